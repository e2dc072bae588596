import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import {
  DynamoDbRateLimiter,
  rateLimitItemKey,
} from "../../../lambdas/adapters/dynamodb/dynamodb-rate-limiter.ts";
import { createShadowTable } from "../../../lambdas/adapters/dynamodb/shadow-table.ts";
import { systemClock } from "../../../lambdas/adapters/system-clock.ts";
import { ManualClock } from "../../../lambdas/ports/clock.ts";
import { type DynamoDbLocal, dynamoDbLocalClient, startDynamoDbLocal } from "../../helpers/dynamodb-local.ts";

const ACCOUNT = "111111111111";
const REGION = "us-east-1";

describe("DynamoDbRateLimiter against DynamoDB Local", () => {
  let local: DynamoDbLocal;
  const clients: DynamoDBClient[] = [];
  let tables = 0;
  const newClient = () => {
    const client = dynamoDbLocalClient(local.endpoint);
    clients.push(client);
    return client;
  };
  const newTable = async () => {
    const tableName = `limiter-${++tables}`;
    await createShadowTable(newClient(), tableName, { enableTtl: false });
    return tableName;
  };

  before(async () => {
    local = await startDynamoDbLocal();
  });
  after(async () => {
    for (const client of clients) client.destroy();
    await local?.stop();
  });

  it("never grants more than burst + rate x elapsed across concurrent workers", async () => {
    const tableName = await newTable();
    const limits = { ratePerSecond: 40, burst: 8 };
    const workers = Array.from(
      { length: 4 },
      () => new DynamoDbRateLimiter({ client: newClient(), tableName, limits }),
    );
    const perTaker = 8;
    const grants: number[] = [];
    // Read before any bucket exists: the bucket starts full no earlier than this instant.
    const start = systemClock.now();
    await Promise.all(
      workers.flatMap((limiter) =>
        Array.from({ length: 2 }, async () => {
          for (let i = 0; i < perTaker; i++) {
            await limiter.acquire(ACCOUNT, REGION);
            grants.push(systemClock.now());
          }
        }),
      ),
    );
    assert.equal(grants.length, 4 * 2 * perTaker);
    grants.sort((a, b) => a - b);
    grants.forEach((at, index) => {
      const allowed = limits.burst + (limits.ratePerSecond * (at - start)) / 1000;
      assert.ok(index + 1 <= allowed + 1e-6, `grant #${index + 1} at +${at - start} ms exceeds ${allowed}`);
    });
    // The workers really competed for one item (otherwise this test would prove nothing).
    assert.ok(workers.reduce((sum, w) => sum + w.conflicts, 0) > 0, "no version race happened");
  });

  it("stores the bucket in one versioned item per account and Region", async () => {
    const tableName = await newTable();
    const client = newClient();
    const clock = new ManualClock(1_700_000_000_000);
    const limiter = new DynamoDbRateLimiter({ client, tableName, clock, sleep: async () => {} });
    await limiter.acquire(ACCOUNT, REGION);
    await limiter.acquire(ACCOUNT, REGION);
    await limiter.acquire(ACCOUNT, "eu-west-1");
    const { Item } = await client.send(
      new GetItemCommand({ TableName: tableName, Key: { pk: { S: rateLimitItemKey(ACCOUNT, REGION) } } }),
    );
    assert.equal(Item?.tokens?.N, "28");
    assert.equal(Item?.version?.N, "2");
    assert.equal(Item?.atMs?.N, String(clock.now()));
  });

  it("paces a worker at the configured rate once the burst is spent (simulated time)", async () => {
    const tableName = await newTable();
    const clock = new ManualClock(1_700_000_000_000);
    const waits: number[] = [];
    const limiter = new DynamoDbRateLimiter({
      client: newClient(),
      tableName,
      clock,
      limits: { ratePerSecond: 10, burst: 3 },
      sleep: async (ms) => {
        waits.push(ms);
        clock.advance(ms);
      },
    });
    for (let i = 0; i < 6; i++) await limiter.acquire(ACCOUNT, REGION);
    assert.deepEqual(waits, [100, 100, 100]);
  });

  it("slows every worker down after one of them is throttled", async () => {
    const tableName = await newTable();
    const clock = new ManualClock(1_700_000_000_000);
    const waitsOfB: number[] = [];
    const a = new DynamoDbRateLimiter({ client: newClient(), tableName, clock, sleep: async () => {} });
    const b = new DynamoDbRateLimiter({
      client: newClient(),
      tableName,
      clock,
      recoveryPerSecond: 0,
      sleep: async (ms) => {
        waitsOfB.push(ms);
        clock.advance(ms);
      },
    });
    await b.acquire(ACCOUNT, REGION); // b caches a full bucket
    await a.acquire(ACCOUNT, REGION);
    await a.onThrottled(ACCOUNT, REGION);
    await b.acquire(ACCOUNT, REGION);
    // Emptied and halved to 5/s by a: b waits 200 ms for its token instead of taking one at once.
    assert.deepEqual(waitsOfB, [100, 100]);
    assert.equal(clock.now() - 1_700_000_000_000, 200);
  });
});
