/**
 * The cloud `ShadowStore`: one DynamoDB table shared by every worker (design in
 * `shadow-table.ts` and docs/shadow-store.md).
 *
 * - `getMany`: strongly consistent BatchGetItem in chunks of 100 keys; unprocessed keys are
 *   retried with backoff and jitter, bounded.
 * - `commit`: one conditional UpdateItem per record —
 *   `attribute_not_exists(pk) OR updatedAtMs < :new` — because BatchWriteItem cannot carry
 *   conditions. Writes run 25 at a time; records of one key run in order. A failed condition is
 *   a conflict (another worker holds an equal or newer version), returned, never thrown.
 *   Customer-touched flags are a string set extended with `ADD`, so a commit can only add flags.
 * - `recordObservations`: one conditional UpdateItem per observation
 *   (`observedAtMs < :new`, or `updatedAtMs < :new` for an item without it), 25 at a time.
 * - Scope records: a separate item per (account, Region, scope) under a `scope#…` key in the
 *   same table, advanced with a conditional maximum (`lastScanMs < :new`).
 */
import {
  type AttributeValue,
  BatchGetItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { parseAsffTimestamp } from "../../core/asff/timestamp.ts";
import { ThrottlingError } from "../../core/errors.ts";
import { type FindingKey, findingKeyString, type PrecedenceAttribute } from "../../core/hub/contracts.ts";
import { realSleep } from "../../ports/rate-limiter.ts";
import {
  type CommitResult,
  checkObservation,
  checkScopeRecord,
  checkShadowRecord,
  mergeCustomerTouched,
  type RecordState,
  type ScopeRecord,
  type ShadowCommitRecord,
  type ShadowObservation,
  type ShadowRecord,
  type ShadowStore,
  type StoredFinding,
  shadowExpiresAtMs,
} from "../../ports/shadow-store.ts";
import { decodeFindingBlob, encodeFindingBlob } from "../finding-blob.ts";
import { classifyDynamoDbError, isConditionalCheckFailed } from "./errors.ts";
import { backoffDelayMs, type RetryOptions, settleWithConcurrency, withRetries } from "./retry.ts";
import {
  SHADOW_ATTRIBUTES as A,
  ACTIVE_SCOPE_INDEX,
  activeScopeValue,
  findingItemKey,
  scopeItemKey,
} from "./shadow-table.ts";

/** Keys per BatchGetItem request (DynamoDB's limit). */
export const BATCH_GET_MAX_KEYS = 100;

/**
 * Largest compressed finding kept in a finding item. DynamoDB refuses items over 400 KB; a
 * finding is at most 240 KB of JSON before compression, so this is never reached by a valid
 * finding — but a blob over it is not stored (the archive then falls back to GetFindings) rather
 * than failing a commit Security Hub has already accepted.
 */
export const MAX_FINDING_BLOB_BYTES = 380 * 1024;

export interface DynamoDbShadowStoreOptions {
  /** The injected client (its Region, endpoint and credentials are the caller's choice). */
  readonly client: DynamoDBClient;
  /** A table created with `createShadowTable` or the CDK stack. */
  readonly tableName: string;
  /** Conditional writes in flight per commit. @default 25 */
  readonly writeConcurrency?: number;
  /** BatchGetItem requests in flight per `getMany`. @default 4 */
  readonly readConcurrency?: number;
  /** Items per Query page when listing a scope. @default DynamoDB's 1 MB page */
  readonly queryPageSize?: number;
  /** Retries of unprocessed keys and transient errors. */
  readonly retry?: RetryOptions;
}

type Item = Record<string, AttributeValue>;

function str(item: Item, name: string): string {
  const value = item[name]?.S;
  if (value === undefined)
    throw new Error(`shadow item ${item[A.pk]?.S ?? "?"} has no string attribute ${name}`);
  return value;
}

function num(item: Item, name: string): number {
  const value = item[name]?.N;
  if (value === undefined)
    throw new Error(`shadow item ${item[A.pk]?.S ?? "?"} has no number attribute ${name}`);
  return Number(value);
}

function toRecord(item: Item): ShadowRecord {
  const firstObservedAt = item[A.firstObservedAt]?.S;
  const observedAt = item[A.observedAt]?.S;
  const scope = item[A.scope]?.S;
  return {
    key: {
      accountId: str(item, A.accountId),
      region: str(item, A.region),
      productArn: str(item, A.productArn),
      id: str(item, A.findingId),
    },
    contentHash: str(item, A.contentHash),
    updatedAt: str(item, A.updatedAt),
    ...(observedAt === undefined ? {} : { observedAt }),
    createdAt: str(item, A.createdAt),
    ...(firstObservedAt === undefined ? {} : { firstObservedAt }),
    recordState: str(item, A.recordState) as RecordState,
    ...(scope === undefined ? {} : { scope }),
    customerTouched: mergeCustomerTouched([], (item[A.customerTouched]?.SS ?? []) as PrecedenceAttribute[]),
    lastSentMs: num(item, A.lastSentMs),
  };
}

/** The conditional UpdateItem that writes `record` unless the stored one is as new or newer. */
function conditionalUpdate(tableName: string, record: ShadowRecord, updatedAtMs: number): UpdateItemCommand {
  const names: Record<string, string> = {};
  const values: Record<string, AttributeValue> = {};
  const set: string[] = [];
  const remove: string[] = [];
  const put = (attribute: string, value: AttributeValue | undefined) => {
    names[`#${attribute}`] = attribute;
    if (value === undefined) {
      remove.push(`#${attribute}`);
    } else {
      values[`:${attribute}`] = value;
      set.push(`#${attribute} = :${attribute}`);
    }
  };
  put(A.accountId, { S: record.key.accountId });
  put(A.region, { S: record.key.region });
  put(A.productArn, { S: record.key.productArn });
  put(A.findingId, { S: record.key.id });
  put(A.contentHash, { S: record.contentHash });
  put(A.updatedAt, { S: record.updatedAt });
  put(A.updatedAtMs, { N: String(updatedAtMs) });
  // A record without observedAt removes a stored one: a commit replaces the whole record.
  put(A.observedAt, record.observedAt === undefined ? undefined : { S: record.observedAt });
  const observedAtMs = record.observedAt === undefined ? undefined : parseAsffTimestamp(record.observedAt);
  put(A.observedAtMs, observedAtMs === undefined ? undefined : { N: String(observedAtMs) });
  put(A.createdAt, { S: record.createdAt });
  put(A.firstObservedAt, record.firstObservedAt === undefined ? undefined : { S: record.firstObservedAt });
  put(A.recordState, { S: record.recordState });
  put(A.scope, record.scope === undefined ? undefined : { S: record.scope });
  const active = record.recordState === "ACTIVE" && record.scope !== undefined;
  put(
    A.activeScope,
    active
      ? { S: activeScopeValue(record.key.accountId, record.key.region, record.scope as string) }
      : undefined,
  );
  put(A.lastSentMs, { N: String(record.lastSentMs) });
  put(A.expiresAt, { N: String(Math.ceil(shadowExpiresAtMs(record) / 1000)) });
  let expression = `SET ${set.join(", ")}`;
  if (remove.length > 0) expression += ` REMOVE ${remove.join(", ")}`;
  // ADD to a string set is a union done by DynamoDB itself; an empty set is not allowed, so no flags, no ADD.
  if (record.customerTouched.length > 0) {
    names[`#${A.customerTouched}`] = A.customerTouched;
    values[":touched"] = { SS: [...new Set(record.customerTouched)] };
    expression += ` ADD #${A.customerTouched} :touched`;
  }
  names[`#${A.pk}`] = A.pk;
  return new UpdateItemCommand({
    TableName: tableName,
    Key: { [A.pk]: { S: findingKeyString(record.key) } },
    UpdateExpression: expression,
    ConditionExpression: `attribute_not_exists(#${A.pk}) OR #${A.updatedAtMs} < :${A.updatedAtMs}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  });
}

/** A `ShadowStore` in a DynamoDB table, safe to share between concurrent workers. */
export class DynamoDbShadowStore implements ShadowStore {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #writeConcurrency: number;
  readonly #readConcurrency: number;
  readonly #queryPageSize: number | undefined;
  readonly #retry: RetryOptions;

  constructor(options: DynamoDbShadowStoreOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#writeConcurrency = options.writeConcurrency ?? 25;
    this.#readConcurrency = options.readConcurrency ?? 4;
    this.#queryPageSize = options.queryPageSize;
    this.#retry = options.retry ?? {};
  }

  async getMany(keys: readonly FindingKey[]): Promise<Map<string, ShadowRecord>> {
    // BatchGetItem rejects duplicate keys in one request, so deduplicate first.
    const ids = [...new Set(keys.map(findingKeyString))];
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += BATCH_GET_MAX_KEYS)
      chunks.push(ids.slice(i, i + BATCH_GET_MAX_KEYS));
    const found = new Map<string, ShadowRecord>();
    const settled = await settleWithConcurrency(
      chunks.map((chunk) => () => this.#getChunk(chunk)),
      this.#readConcurrency,
    );
    for (const result of settled) {
      if (result.status === "rejected") throw result.reason;
      for (const item of result.value) found.set(str(item, A.pk), toRecord(item));
    }
    return found;
  }

  async #getChunk(ids: readonly string[]): Promise<Item[]> {
    const items: Item[] = [];
    let pending: Item[] = ids.map((id) => ({ [A.pk]: { S: id } }));
    const maxAttempts = this.#retry.maxAttempts ?? 8;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const response = await withRetries(async () => {
        try {
          return await this.#client.send(
            new BatchGetItemCommand({
              RequestItems: { [this.#table]: { Keys: pending, ConsistentRead: true } },
            }),
          );
        } catch (error) {
          throw classifyDynamoDbError(error, "BatchGetItem", this.#table);
        }
      }, this.#retry);
      items.push(...(response.Responses?.[this.#table] ?? []));
      pending = response.UnprocessedKeys?.[this.#table]?.Keys ?? [];
      if (pending.length === 0) break;
      if (attempt >= maxAttempts) {
        throw new ThrottlingError(
          `DynamoDB BatchGetItem on table ${this.#table}: ${pending.length} keys still unprocessed after ${attempt} attempts; retry later or raise the table's read capacity`,
        );
      }
      // Unprocessed keys mean the table is short of capacity: back off before asking again.
      await (this.#retry.sleep ?? realSleep)(backoffDelayMs(attempt, this.#retry));
    }
    return items;
  }

  async lastFindings(keys: readonly FindingKey[]): Promise<Map<string, StoredFinding>> {
    const ids = [...new Set(keys.map(findingKeyString))];
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += BATCH_GET_MAX_KEYS)
      chunks.push(ids.slice(i, i + BATCH_GET_MAX_KEYS).map(findingItemKey));
    const found = new Map<string, StoredFinding>();
    const settled = await settleWithConcurrency(
      chunks.map((chunk) => () => this.#getChunk(chunk)),
      this.#readConcurrency,
    );
    for (const result of settled) {
      if (result.status === "rejected") throw result.reason;
      for (const item of result.value) {
        const id = str(item, A.pk).slice(findingItemKey("").length);
        const blob = item[A.finding]?.B;
        if (blob === undefined)
          throw new Error(`finding item ${str(item, A.pk)} has no binary attribute ${A.finding}`);
        found.set(id, { finding: decodeFindingBlob(blob, id), updatedAt: str(item, A.updatedAt) });
      }
    }
    return found;
  }

  async commit(records: readonly ShadowCommitRecord[]): Promise<CommitResult> {
    const times = records.map(checkShadowRecord);
    // Records of one key are written in order by one task; different keys in parallel.
    const lanes = new Map<string, number[]>();
    records.forEach((record, index) => {
      const id = findingKeyString(record.key);
      const lane = lanes.get(id);
      if (lane === undefined) lanes.set(id, [index]);
      else lane.push(index);
    });
    const won = new Array<boolean>(records.length).fill(false);
    const settled = await settleWithConcurrency(
      [...lanes.values()].map((indexes) => async () => {
        for (const index of indexes) {
          const record = records[index] as ShadowCommitRecord;
          won[index] = await this.#write(record, times[index] as number);
          // Only after the record won: a lost commit must not replace the finding of the winner.
          if (won[index] && record.lastFinding !== undefined) {
            await this.#writeFinding(record, record.lastFinding, times[index] as number);
          }
        }
      }),
      this.#writeConcurrency,
    );
    const failures = settled.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failures.length > 0) {
      // Some writes may have landed: retrying the whole commit is safe (they come back as conflicts).
      throw failures[0]?.reason;
    }
    let committed = 0;
    const conflicts: FindingKey[] = [];
    records.forEach((record, index) => {
      if (won[index]) committed++;
      else conflicts.push(record.key);
    });
    return { committed, conflicts };
  }

  /** Writes one record; false when the condition failed (the store holds an equal or newer one). */
  async #write(record: ShadowRecord, updatedAtMs: number): Promise<boolean> {
    return withRetries(async () => {
      try {
        await this.#client.send(conditionalUpdate(this.#table, record, updatedAtMs));
        return true;
      } catch (error) {
        if (isConditionalCheckFailed(error)) return false;
        throw classifyDynamoDbError(error, "UpdateItem", this.#table);
      }
    }, this.#retry);
  }

  /**
   * Stores the last sent finding of `record` in its finding item, unless that item already holds
   * one of an equal or newer `updatedAt` (two workers' commits of one key finishing out of
   * order). Not atomic with the shadow item: a crash in between leaves an older finding, which
   * the pipeline recognises by its `updatedAt` and does not use.
   */
  async #writeFinding(record: ShadowRecord, finding: AwsSecurityFinding, updatedAtMs: number): Promise<void> {
    const blob = encodeFindingBlob(finding);
    if (blob.byteLength > MAX_FINDING_BLOB_BYTES) return;
    await withRetries(async () => {
      try {
        await this.#client.send(
          new UpdateItemCommand({
            TableName: this.#table,
            Key: { [A.pk]: { S: findingItemKey(findingKeyString(record.key)) } },
            UpdateExpression:
              "SET #finding = :finding, #updatedAt = :updatedAt, #updatedAtMs = :ms, #expiresAt = :expiresAt",
            ConditionExpression: "attribute_not_exists(#pk) OR #updatedAtMs < :ms",
            ExpressionAttributeNames: {
              "#pk": A.pk,
              "#finding": A.finding,
              "#updatedAt": A.updatedAt,
              "#updatedAtMs": A.updatedAtMs,
              "#expiresAt": A.expiresAt,
            },
            ExpressionAttributeValues: {
              ":finding": { B: blob },
              ":updatedAt": { S: record.updatedAt },
              ":ms": { N: String(updatedAtMs) },
              // Security Hub deletes the finding with its shadow: the blob expires with it.
              ":expiresAt": { N: String(Math.ceil(shadowExpiresAtMs(record) / 1000)) },
            },
          }),
        );
      } catch (error) {
        if (isConditionalCheckFailed(error)) return;
        throw classifyDynamoDbError(error, "UpdateItem", this.#table);
      }
    }, this.#retry);
  }

  async recordObservations(observations: readonly ShadowObservation[]): Promise<number> {
    const times = observations.map(checkObservation);
    const settled = await settleWithConcurrency(
      observations.map((observation, index) => () => this.#observe(observation, times[index] as number)),
      this.#writeConcurrency,
    );
    let advanced = 0;
    for (const result of settled) {
      if (result.status === "rejected") throw result.reason;
      if (result.value) advanced++;
    }
    return advanced;
  }

  /** Advances one item's observation; false when the item is absent or already as recent. */
  async #observe(observation: ShadowObservation, ms: number): Promise<boolean> {
    return withRetries(async () => {
      try {
        await this.#client.send(
          new UpdateItemCommand({
            TableName: this.#table,
            Key: { [A.pk]: { S: findingKeyString(observation.key) } },
            UpdateExpression: "SET #observedAt = :observedAt, #observedAtMs = :ms",
            // An item written before observedAtMs existed compares its updatedAt (never earlier
            // than its observation), as the plan's fallback does: at worst an observation waits
            // for the next scan. Never creates an item.
            ConditionExpression:
              "attribute_exists(#pk) AND (#observedAtMs < :ms OR (attribute_not_exists(#observedAtMs) AND #updatedAtMs < :ms))",
            ExpressionAttributeNames: {
              "#pk": A.pk,
              "#observedAt": A.observedAt,
              "#observedAtMs": A.observedAtMs,
              "#updatedAtMs": A.updatedAtMs,
            },
            ExpressionAttributeValues: {
              ":observedAt": { S: observation.observedAt },
              ":ms": { N: String(ms) },
            },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionalCheckFailed(error)) return false;
        throw classifyDynamoDbError(error, "UpdateItem", this.#table);
      }
    }, this.#retry);
  }

  async getScope(scope: string, accountId: string, region: string): Promise<ScopeRecord | undefined> {
    const response = await withRetries(async () => {
      try {
        return await this.#client.send(
          new GetItemCommand({
            TableName: this.#table,
            Key: { [A.pk]: { S: scopeItemKey(accountId, region, scope) } },
            ConsistentRead: true,
          }),
        );
      } catch (error) {
        throw classifyDynamoDbError(error, "GetItem", this.#table);
      }
    }, this.#retry);
    const lastScanAt = response.Item?.[A.lastScanAt]?.S;
    return lastScanAt === undefined ? undefined : { accountId, region, scope, lastScanAt };
  }

  async advanceScope(record: ScopeRecord): Promise<boolean> {
    const ms = checkScopeRecord(record);
    return withRetries(async () => {
      try {
        await this.#client.send(
          new UpdateItemCommand({
            TableName: this.#table,
            Key: { [A.pk]: { S: scopeItemKey(record.accountId, record.region, record.scope) } },
            UpdateExpression: "SET #lastScanAt = :at, #lastScanMs = :ms",
            ConditionExpression: "attribute_not_exists(#pk) OR #lastScanMs < :ms",
            ExpressionAttributeNames: {
              "#pk": A.pk,
              "#lastScanAt": A.lastScanAt,
              "#lastScanMs": A.lastScanMs,
            },
            ExpressionAttributeValues: { ":at": { S: record.lastScanAt }, ":ms": { N: String(ms) } },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionalCheckFailed(error)) return false;
        throw classifyDynamoDbError(error, "UpdateItem", this.#table);
      }
    }, this.#retry);
  }

  async *listActiveInScope(scope: string, accountId: string, region: string): AsyncIterable<ShadowRecord> {
    let startKey: Item | undefined;
    do {
      const page = await withRetries(async () => {
        try {
          return await this.#client.send(
            new QueryCommand({
              TableName: this.#table,
              IndexName: ACTIVE_SCOPE_INDEX,
              KeyConditionExpression: "#activeScope = :activeScope",
              ExpressionAttributeNames: { "#activeScope": A.activeScope },
              ExpressionAttributeValues: {
                ":activeScope": { S: activeScopeValue(accountId, region, scope) },
              },
              ExclusiveStartKey: startKey,
              Limit: this.#queryPageSize,
            }),
          );
        } catch (error) {
          throw classifyDynamoDbError(error, "Query", this.#table);
        }
      }, this.#retry);
      for (const item of page.Items ?? []) yield toRecord(item);
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  }

  async markCustomerTouched(key: FindingKey, attributes: readonly PrecedenceAttribute[]): Promise<void> {
    const touched = mergeCustomerTouched([], attributes);
    if (touched.length === 0) return;
    await withRetries(async () => {
      try {
        await this.#client.send(
          new UpdateItemCommand({
            TableName: this.#table,
            Key: { [A.pk]: { S: findingKeyString(key) } },
            UpdateExpression: "ADD #touched :touched",
            // Without a shadow there is nothing to protect: do not create a partial item.
            ConditionExpression: "attribute_exists(#pk)",
            ExpressionAttributeNames: { "#touched": A.customerTouched, "#pk": A.pk },
            ExpressionAttributeValues: { ":touched": { SS: touched } },
          }),
        );
      } catch (error) {
        if (isConditionalCheckFailed(error)) return;
        throw classifyDynamoDbError(error, "UpdateItem", this.#table);
      }
    }, this.#retry);
  }

  /** The client belongs to the caller (it may be shared), so closing the store does not destroy it. */
  async close(): Promise<void> {}
}
