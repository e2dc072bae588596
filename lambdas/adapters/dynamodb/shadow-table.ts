/**
 * The DynamoDB shadow table design (see docs/shadow-store.md), shared by the store, the rate
 * limiter, the CDK stack and the tests:
 * - partition key `pk` (S): `findingKeyString(key)`, the JSON array [account, Region, ProductArn, Id];
 *   rate-limiter items use `ratelimit#…` keys and scope records `scope#…` keys (see
 *   {@link scopeItemKey}) in the same key space without clashing (a finding key starts with `[`);
 * - sparse GSI `activeScope-index` on `activeScope` (S) = JSON [account, Region, scope], set only
 *   while the record is ACTIVE and has a scope, so the index holds exactly the archiving candidates;
 * - TTL attribute `expiresAt` (epoch seconds) = last acceptance + Security Hub's 90-day retention.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { classifyDynamoDbError } from "./errors.ts";

/** Attribute names of a shadow item. */
export const SHADOW_ATTRIBUTES = {
  pk: "pk",
  accountId: "accountId",
  region: "region",
  productArn: "productArn",
  findingId: "findingId",
  contentHash: "contentHash",
  updatedAt: "updatedAt",
  updatedAtMs: "updatedAtMs",
  /** Report time of the latest observation (S); absent in items written before it was kept. */
  observedAt: "observedAt",
  /** `observedAt` in epoch ms (N), what `recordObservations` compares; absent in older items. */
  observedAtMs: "observedAtMs",
  createdAt: "createdAt",
  firstObservedAt: "firstObservedAt",
  recordState: "recordState",
  scope: "scope",
  activeScope: "activeScope",
  customerTouched: "customerTouched",
  lastSentMs: "lastSentMs",
  expiresAt: "expiresAt",
  /** Scope items: report time of the newest report applied to the scope (S, ASFF timestamp). */
  lastScanAt: "lastScanAt",
  /** Scope items: `lastScanAt` in epoch ms (N), what the conditional maximum compares. */
  lastScanMs: "lastScanMs",
  /** Finding items: the last sent finding, gzip of its JSON (B). */
  finding: "finding",
} as const;

/**
 * Partition key of the item holding the last sent finding of the shadow item `pk`
 * (`findingKeyString`). A separate item, not an attribute of the shadow item: the GSI projects
 * ALL attributes (a blob there would be copied into the index and read by every scope listing),
 * and DynamoDB bills reads and writes by item size, so every `getMany`, observation and customer
 * flag on the shadow item would pay for the blob too.
 */
export function findingItemKey(pk: string): string {
  return `finding#${pk}`;
}

/** Partition key of the scope record of `scope` in (account, Region). */
export function scopeItemKey(accountId: string, region: string, scope: string): string {
  return `scope#${JSON.stringify([accountId, region, scope])}`;
}

/** The sparse GSI listing ACTIVE records per (account, Region, scope). */
export const ACTIVE_SCOPE_INDEX = "activeScope-index";

/** The GSI partition key value for an ACTIVE record of `scope`. */
export function activeScopeValue(accountId: string, region: string, scope: string): string {
  return JSON.stringify([accountId, region, scope]);
}

export interface CreateShadowTableOptions {
  /** Give up waiting for ACTIVE after this long. @default 60000 */
  readonly timeoutMs?: number;
  /** Turn on TTL on `expiresAt`. @default true */
  readonly enableTtl?: boolean;
}

/**
 * Creates the shadow table (on-demand capacity) with its GSI and TTL, and waits until it is
 * ACTIVE. For tests and local setups; deployed stacks create the same design with CDK.
 */
export async function createShadowTable(
  client: DynamoDBClient,
  tableName: string,
  options: CreateShadowTableOptions = {},
): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [
          { AttributeName: SHADOW_ATTRIBUTES.pk, AttributeType: "S" },
          { AttributeName: SHADOW_ATTRIBUTES.activeScope, AttributeType: "S" },
        ],
        KeySchema: [{ AttributeName: SHADOW_ATTRIBUTES.pk, KeyType: "HASH" }],
        GlobalSecondaryIndexes: [
          {
            IndexName: ACTIVE_SCOPE_INDEX,
            KeySchema: [
              { AttributeName: SHADOW_ATTRIBUTES.activeScope, KeyType: "HASH" },
              { AttributeName: SHADOW_ATTRIBUTES.pk, KeyType: "RANGE" },
            ],
            Projection: { ProjectionType: "ALL" },
          },
        ],
      }),
    );
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    for (;;) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === "ACTIVE");
      if (Table?.TableStatus === "ACTIVE" && indexesActive) break;
      if (Date.now() > deadline) throw new Error(`table ${tableName} did not become ACTIVE in time`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    if (options.enableTtl ?? true) {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: tableName,
          TimeToLiveSpecification: { AttributeName: SHADOW_ATTRIBUTES.expiresAt, Enabled: true },
        }),
      );
    }
  } catch (error) {
    throw classifyDynamoDbError(error, "CreateTable", tableName);
  }
}
