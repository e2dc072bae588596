import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { after, before, describe, it } from "node:test";
import { CreateTableCommand, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { type DynamoDbLocal, dynamoDbLocalClient, startDynamoDbLocal } from "../../helpers/dynamodb-local.ts";

describe("startDynamoDbLocal", () => {
  let local: DynamoDbLocal;
  before(async () => {
    local = await startDynamoDbLocal();
  });
  after(async () => {
    await local.stop();
  });

  it("answers DynamoDB API calls on a loopback endpoint", async () => {
    assert.match(local.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    const client = dynamoDbLocalClient(local.endpoint);
    await client.send(
      new CreateTableCommand({
        TableName: "probe",
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    const tables = await client.send(new ListTablesCommand({}));
    assert.deepEqual(tables.TableNames, ["probe"]);
    client.destroy();
  });

  it("stops the server so the port no longer answers", async () => {
    const second = await startDynamoDbLocal();
    await second.stop();
    await second.stop();
    await assert.rejects(fetch(second.endpoint, { signal: AbortSignal.timeout(2_000) }));
  });

  it("kills the server when the process that started it dies without stopping it", async () => {
    const helper = new URL("../../helpers/dynamodb-local.ts", import.meta.url).pathname;
    const script = `import { startDynamoDbLocal } from ${JSON.stringify(helper)};
      const local = await startDynamoDbLocal();
      console.log(local.endpoint);
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let endpoint = "";
    for await (const chunk of child.stdout) {
      endpoint += String(chunk);
      if (endpoint.includes("\n")) break;
    }
    endpoint = endpoint.trim();
    assert.match(endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    child.kill("SIGKILL");
    await once(child, "exit");
    // The watchdog notices within about a second; poll until the port is closed.
    for (let attempt = 0; attempt < 60; attempt++) {
      try {
        await fetch(endpoint, { signal: AbortSignal.timeout(1_000) });
      } catch {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.fail(`DynamoDB Local on ${endpoint} still answers after its parent died`);
  });
});
