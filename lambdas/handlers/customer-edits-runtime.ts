/**
 * The customer-edits function's adapters, built once per cold start. Kept apart from the ingest
 * runtime so this function's bundle carries no parsers, S3, Security Hub or EventBridge client.
 * The DynamoDB client reads `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL` itself.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDbShadowStore } from "../adapters/dynamodb/dynamodb-shadow-store.ts";
import { type HandlerConfig, loadConfig } from "../config/load-config.ts";

/** The customer-edits function's adapters. */
export interface CustomerEditsRuntime {
  readonly config: HandlerConfig;
  readonly store: DynamoDbShadowStore;
  close(): Promise<void>;
}

/** Loads the configuration and builds the shadow store for the customer-edits function. */
export function createCustomerEditsRuntime(
  env: Readonly<Record<string, string | undefined>>,
): CustomerEditsRuntime {
  const config = loadConfig(env);
  const dynamo = new DynamoDBClient({ region: config.region });
  const store = new DynamoDbShadowStore({ client: dynamo, tableName: config.tableName });
  return {
    config,
    store,
    close: async () => {
      await store.close();
      dynamo.destroy();
    },
  };
}
