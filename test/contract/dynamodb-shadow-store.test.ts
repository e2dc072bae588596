import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { DynamoDbShadowStore } from "../../lambdas/adapters/dynamodb/dynamodb-shadow-store.ts";
import {
  SHADOW_ATTRIBUTES as A,
  activeScopeValue,
  createShadowTable,
} from "../../lambdas/adapters/dynamodb/shadow-table.ts";
import { findingKeyString } from "../../lambdas/core/hub/contracts.ts";
import { type DynamoDbLocal, dynamoDbLocalClient, startDynamoDbLocal } from "../helpers/dynamodb-local.ts";
import { lateReportsContract } from "./late-reports.contract.ts";
import { keyOf, recordOf, shadowStoreContract } from "./shadow-store.contract.ts";

let local: DynamoDbLocal;
let client: DynamoDBClient;
let tables = 0;

before(async () => {
  local = await startDynamoDbLocal();
  client = dynamoDbLocalClient(local.endpoint);
});
after(async () => {
  client?.destroy();
  await local?.stop();
});

// A fresh table per test; small Query pages so listing crosses page boundaries. TTL stays off:
// the contract's records were last sent in 2024, so DynamoDB Local's TTL worker would (rightly)
// delete them mid-test. TTL is covered in test/integration/dynamodb/shadow-table.test.ts.
shadowStoreContract("DynamoDB (DynamoDB Local)", async () => {
  const tableName = `shadow-${++tables}`;
  await createShadowTable(client, tableName, { enableTtl: false });
  return new DynamoDbShadowStore({ client, tableName, queryPageSize: 40 });
});
lateReportsContract("DynamoDB (DynamoDB Local)", async () => {
  const tableName = `shadow-${++tables}`;
  await createShadowTable(client, tableName, { enableTtl: false });
  return new DynamoDbShadowStore({ client, tableName, queryPageSize: 40 });
});

describe("DynamoDB shadow items and observedAt", () => {
  it("loads an item written before observedAt was kept, and adds or removes the attribute with later commits", async () => {
    const tableName = `shadow-legacy-${++tables}`;
    await createShadowTable(client, tableName, { enableTtl: false });
    const { observedAt: _o, ...legacy } = recordOf("old");
    const pk = findingKeyString(legacy.key);
    // The item exactly as the store wrote it before the observedAt attribute existed.
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          [A.pk]: { S: pk },
          [A.accountId]: { S: legacy.key.accountId },
          [A.region]: { S: legacy.key.region },
          [A.productArn]: { S: legacy.key.productArn },
          [A.findingId]: { S: legacy.key.id },
          [A.contentHash]: { S: legacy.contentHash },
          [A.updatedAt]: { S: legacy.updatedAt },
          [A.updatedAtMs]: { N: String(Date.parse(legacy.updatedAt)) },
          [A.createdAt]: { S: legacy.createdAt },
          [A.firstObservedAt]: { S: legacy.firstObservedAt ?? "" },
          [A.recordState]: { S: legacy.recordState },
          [A.scope]: { S: legacy.scope ?? "" },
          [A.activeScope]: {
            S: activeScopeValue(legacy.key.accountId, legacy.key.region, legacy.scope ?? ""),
          },
          [A.lastSentMs]: { N: String(legacy.lastSentMs) },
          [A.expiresAt]: { N: String(Math.ceil(legacy.lastSentMs / 1000) + 90 * 86_400) },
        },
      }),
    );
    const store = new DynamoDbShadowStore({ client, tableName });
    const loaded = (await store.getMany([keyOf("old")])).get(pk);
    assert.deepEqual(loaded, legacy);
    assert.equal(Object.hasOwn(loaded ?? {}, "observedAt"), false);

    const raw = async () =>
      (
        await client.send(
          new GetItemCommand({ TableName: tableName, Key: { [A.pk]: { S: pk } }, ConsistentRead: true }),
        )
      ).Item;
    const update = recordOf("old", {
      updatedAt: "2024-05-01T10:00:00.001Z",
      observedAt: "2024-05-01T10:00:00Z",
    });
    assert.deepEqual(await store.commit([update]), { committed: 1, conflicts: [] });
    assert.deepEqual((await raw())?.[A.observedAt], { S: "2024-05-01T10:00:00Z" });
    assert.deepEqual((await store.getMany([keyOf("old")])).get(pk), update);

    const { observedAt: _o2, ...without } = recordOf("old", { updatedAt: "2024-05-02T00:00:00Z" });
    assert.deepEqual(await store.commit([without]), { committed: 1, conflicts: [] });
    assert.equal((await raw())?.[A.observedAt], undefined);
  });
});
