/**
 * A `RateLimiter` shared by concurrent workers (Lambda invocations, parallel importers): the
 * token bucket of each (account, Region) lives in one DynamoDB item, and every take is an
 * optimistic read-modify-write guarded by a version number:
 *
 *   item = { pk: "ratelimit#[account,Region]", tokens, atMs, version, rateAfterDecrease?, decreasedAtMs? }
 *   take: refill(tokens, atMs → now) at the (AIMD-adjusted) rate; if ≥ 1 token:
 *         UpdateItem SET tokens = t - 1, atMs = now, version = v + 1  IF version = v  (or the item is new)
 *         a failed condition returns the current item (ReturnValuesOnConditionCheckFailure) → retry at once;
 *         too few tokens → sleep until the next token is due, then retry.
 *
 * So no two workers can spend the same token, and across all workers the grants never exceed
 * burst + rate × elapsed. The item lives in any table whose partition key is `pk` (S), for
 * example the shadow table: its keys start with `ratelimit#`, which no finding key does.
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  type AimdOptions,
  type AimdState,
  type BucketLimits,
  type BucketState,
  fullBucket,
  limiterAimdOptions,
  SECURITY_HUB_IMPORT_LIMITS,
  takePaced,
  throttlePaced,
  validateBucketLimits,
} from "../../core/pipeline/token-bucket.ts";
import type { Clock } from "../../ports/clock.ts";
import {
  type RateLimiter,
  type RateLimiterOptions,
  realSleep,
  type Sleep,
} from "../../ports/rate-limiter.ts";
import { systemClock } from "../system-clock.ts";
import { classifyDynamoDbError, isConditionalCheckFailed } from "./errors.ts";
import { type RetryOptions, withRetries } from "./retry.ts";

export interface DynamoDbRateLimiterOptions extends RateLimiterOptions {
  readonly client: DynamoDBClient;
  /** A table with partition key `pk` (S); the shadow table will do. */
  readonly tableName: string;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default realSleep */
  readonly sleep?: Sleep;
  /** Retries of transient DynamoDB errors (a lost version race is not an error and always retried). */
  readonly retry?: RetryOptions;
}

/** The shared bucket as stored. `version` 0 means "no item yet". */
interface Snapshot {
  readonly state: BucketState;
  readonly aimd: AimdState | undefined;
  readonly version: number;
}

interface Lane {
  readonly pk: string;
  /** The last item seen; saves a read per take when this worker is the only taker. */
  snapshot: Snapshot | undefined;
  tail: Promise<void>;
}

/** The partition key of the bucket item of (accountId, region). */
export function rateLimitItemKey(accountId: string, region: string): string {
  return `ratelimit#${JSON.stringify([accountId, region])}`;
}

function parseSnapshot(item: Record<string, AttributeValue> | undefined): Snapshot | undefined {
  if (item === undefined || item.version?.N === undefined) return undefined;
  const rateAfterDecrease = item.rateAfterDecrease?.N;
  const decreasedAtMs = item.decreasedAtMs?.N;
  return {
    state: { tokens: Number(item.tokens?.N ?? 0), atMs: Number(item.atMs?.N ?? 0) },
    aimd:
      rateAfterDecrease === undefined || decreasedAtMs === undefined
        ? undefined
        : { rateAfterDecrease: Number(rateAfterDecrease), decreasedAtMs: Number(decreasedAtMs) },
    version: Number(item.version.N),
  };
}

/**
 * Token buckets in DynamoDB, one item per (account, Region), 10 calls/s with burst 30 by default.
 * `onThrottled` empties the shared bucket and halves the shared rate (once per burst of throttles
 * within `decreaseHoldOffMs`), so every worker slows down.
 */
export class DynamoDbRateLimiter implements RateLimiter {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #limits: BucketLimits;
  readonly #aimd: AimdOptions;
  readonly #clock: Clock;
  readonly #sleep: Sleep;
  readonly #retry: RetryOptions;
  readonly #lanes = new Map<string, Lane>();
  #conflicts = 0;

  constructor(options: DynamoDbRateLimiterOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#limits = options.limits ?? SECURITY_HUB_IMPORT_LIMITS;
    validateBucketLimits(this.#limits);
    this.#aimd = limiterAimdOptions(this.#limits, options);
    this.#clock = options.clock ?? systemClock;
    this.#sleep = options.sleep ?? realSleep;
    this.#retry = options.retry ?? {};
  }

  /** Version races lost so far (each one was retried); for metrics and tests. */
  get conflicts(): number {
    return this.#conflicts;
  }

  acquire(accountId: string, region: string): Promise<void> {
    const lane = this.#lane(accountId, region);
    // One take in flight per bucket per process: local callers queue instead of racing each other.
    const turn = lane.tail.then(() => this.#take(lane));
    lane.tail = turn.catch(() => undefined);
    return turn;
  }

  onThrottled(accountId: string, region: string): Promise<void> {
    const lane = this.#lane(accountId, region);
    const turn = lane.tail.then(() => this.#decrease(lane));
    lane.tail = turn.catch(() => undefined);
    return turn;
  }

  #lane(accountId: string, region: string): Lane {
    const pk = rateLimitItemKey(accountId, region);
    let lane = this.#lanes.get(pk);
    if (lane === undefined) {
      lane = { pk, snapshot: undefined, tail: Promise.resolve() };
      this.#lanes.set(pk, lane);
    }
    return lane;
  }

  async #take(lane: Lane): Promise<void> {
    for (;;) {
      const snapshot = lane.snapshot ?? (await this.#read(lane.pk));
      const now = this.#clock.now();
      const paced = { bucket: snapshot?.state ?? fullBucket(this.#limits, now), aimd: snapshot?.aimd };
      const result = takePaced(paced, this.#limits, now, this.#aimd);
      if (!result.granted) {
        lane.snapshot = snapshot;
        await this.#sleep(result.waitMs);
        continue;
      }
      const written = await this.#write(lane, snapshot, result.state.bucket, result.state.aimd);
      if (written) return;
    }
  }

  async #decrease(lane: Lane): Promise<void> {
    for (;;) {
      const snapshot = lane.snapshot ?? (await this.#read(lane.pk));
      const now = this.#clock.now();
      const paced = { bucket: snapshot?.state ?? fullBucket(this.#limits, now), aimd: snapshot?.aimd };
      const after = throttlePaced(paced, this.#limits, now, this.#aimd);
      if (await this.#write(lane, snapshot, after.bucket, after.aimd)) return;
    }
  }

  async #read(pk: string): Promise<Snapshot | undefined> {
    const response = await withRetries(async () => {
      try {
        return await this.#client.send(
          new GetItemCommand({ TableName: this.#table, Key: { pk: { S: pk } }, ConsistentRead: true }),
        );
      } catch (error) {
        throw classifyDynamoDbError(error, "GetItem", this.#table);
      }
    }, this.#retry);
    return parseSnapshot(response.Item);
  }

  /**
   * Replaces the bucket if nobody changed it since `expected` was read. Returns false (with the
   * lane's snapshot refreshed from the item DynamoDB returned) when another worker got there first.
   */
  async #write(
    lane: Lane,
    expected: Snapshot | undefined,
    state: BucketState,
    aimd: AimdState | undefined,
  ): Promise<boolean> {
    const version = (expected?.version ?? 0) + 1;
    const values: Record<string, AttributeValue> = {
      ":tokens": { N: String(state.tokens) },
      ":atMs": { N: String(state.atMs) },
      ":version": { N: String(version) },
    };
    let expression = "SET tokens = :tokens, atMs = :atMs, version = :version";
    if (aimd === undefined) {
      expression += " REMOVE rateAfterDecrease, decreasedAtMs";
    } else {
      expression += ", rateAfterDecrease = :rate, decreasedAtMs = :decreasedAt";
      values[":rate"] = { N: String(aimd.rateAfterDecrease) };
      values[":decreasedAt"] = { N: String(aimd.decreasedAtMs) };
    }
    let condition: string;
    if (expected === undefined) {
      condition = "attribute_not_exists(pk)";
    } else {
      condition = "version = :expected";
      values[":expected"] = { N: String(expected.version) };
    }
    try {
      await withRetries(async () => {
        try {
          await this.#client.send(
            new UpdateItemCommand({
              TableName: this.#table,
              Key: { pk: { S: lane.pk } },
              UpdateExpression: expression,
              ConditionExpression: condition,
              ExpressionAttributeValues: values,
              ReturnValuesOnConditionCheckFailure: "ALL_OLD",
            }),
          );
        } catch (error) {
          if (isConditionalCheckFailed(error)) throw error;
          throw classifyDynamoDbError(error, "UpdateItem", this.#table);
        }
      }, this.#retry);
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      this.#conflicts++;
      const current = (error as { Item?: Record<string, AttributeValue> }).Item;
      // Without the item in the error (an endpoint that ignores ALL_OLD), the next round reads it.
      lane.snapshot = parseSnapshot(current);
      return false;
    }
    lane.snapshot = { state, aimd, version };
    return true;
  }
}
