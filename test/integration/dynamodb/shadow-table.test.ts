import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  GetItemCommand,
} from "@aws-sdk/client-dynamodb";
import { DynamoDbShadowStore } from "../../../lambdas/adapters/dynamodb/dynamodb-shadow-store.ts";
import { ACTIVE_SCOPE_INDEX, createShadowTable } from "../../../lambdas/adapters/dynamodb/shadow-table.ts";
import { DAY_MS } from "../../../lambdas/core/asff/limits.ts";
import { ConfigurationError } from "../../../lambdas/core/errors.ts";
import { findingKeyString } from "../../../lambdas/core/hub/contracts.ts";
import { recordOf } from "../../contract/shadow-store.contract.ts";
import { type DynamoDbLocal, dynamoDbLocalClient, startDynamoDbLocal } from "../../helpers/dynamodb-local.ts";

describe("DynamoDB shadow table design", () => {
  let local: DynamoDbLocal;
  let client: DynamoDBClient;
  before(async () => {
    local = await startDynamoDbLocal();
    client = dynamoDbLocalClient(local.endpoint);
  });
  after(async () => {
    client?.destroy();
    await local?.stop();
  });

  it("creates a pk-keyed table with the sparse scope GSI and TTL on expiresAt", async () => {
    await createShadowTable(client, "design");
    const { Table } = await client.send(new DescribeTableCommand({ TableName: "design" }));
    assert.deepEqual(Table?.KeySchema, [{ AttributeName: "pk", KeyType: "HASH" }]);
    const index = Table?.GlobalSecondaryIndexes?.find((i) => i.IndexName === ACTIVE_SCOPE_INDEX);
    assert.deepEqual(index?.KeySchema, [
      { AttributeName: "activeScope", KeyType: "HASH" },
      { AttributeName: "pk", KeyType: "RANGE" },
    ]);
    assert.equal(index?.Projection?.ProjectionType, "ALL");
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: "design" }));
    assert.equal(ttl.TimeToLiveDescription?.AttributeName, "expiresAt");
    assert.equal(ttl.TimeToLiveDescription?.TimeToLiveStatus, "ENABLED");
  });

  it("writes expiresAt 90 days after the last acceptance and the GSI key only while ACTIVE", async () => {
    await createShadowTable(client, "items", { enableTtl: false });
    const store = new DynamoDbShadowStore({ client, tableName: "items" });
    const lastSentMs = Date.UTC(2030, 0, 1, 12, 0, 0, 1);
    const active = recordOf("active", { lastSentMs, scope: "s" });
    const archived = recordOf("archived", { lastSentMs, scope: "s", recordState: "ARCHIVED" });
    await store.commit([active, archived]);
    const item = async (id: string) =>
      (
        await client.send(
          new GetItemCommand({ TableName: "items", Key: { pk: { S: findingKeyString(recordOf(id).key) } } }),
        )
      ).Item;
    const activeItem = await item("active");
    assert.equal(activeItem?.expiresAt?.N, String(Math.ceil((lastSentMs + 90 * DAY_MS) / 1000)));
    assert.equal(activeItem?.activeScope?.S, JSON.stringify(["111111111111", "us-east-1", "s"]));
    assert.equal(activeItem?.updatedAtMs?.N, String(Date.parse(active.updatedAt)));
    assert.equal((await item("archived"))?.activeScope, undefined);
  });

  it("reports a missing table as a configuration error naming it", async () => {
    const store = new DynamoDbShadowStore({ client, tableName: "no-such-table" });
    await assert.rejects(
      store.getMany([recordOf("x").key]),
      (error: unknown) => error instanceof ConfigurationError && /no-such-table/.test(error.message),
    );
    await assert.rejects(store.commit([recordOf("x")]), ConfigurationError);
  });
});
