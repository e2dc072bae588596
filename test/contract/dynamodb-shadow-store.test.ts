import { after, before } from "node:test";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDbShadowStore } from "../../lambdas/adapters/dynamodb/dynamodb-shadow-store.ts";
import { createShadowTable } from "../../lambdas/adapters/dynamodb/shadow-table.ts";
import { type DynamoDbLocal, dynamoDbLocalClient, startDynamoDbLocal } from "../helpers/dynamodb-local.ts";
import { shadowStoreContract } from "./shadow-store.contract.ts";

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
