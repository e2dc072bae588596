import assert from "node:assert/strict";
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
});
