/**
 * Acceptance (issue 4): 8 workers commit overlapping shadow records with conflicting UpdatedAt
 * into one DynamoDB Local table. The end state is the newest version of each finding; nothing
 * is lost; no stale version ever overwrites a newer one; customer-touched flags all survive.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDbShadowStore } from "../../../lambdas/adapters/dynamodb/dynamodb-shadow-store.ts";
import { createShadowTable } from "../../../lambdas/adapters/dynamodb/shadow-table.ts";
import { compareAsffTimestamps } from "../../../lambdas/core/asff/timestamp.ts";
import { findingKeyString, PRECEDENCE_ATTRIBUTES } from "../../../lambdas/core/hub/contracts.ts";
import { type DynamoDbLocal, dynamoDbLocalClient, startDynamoDbLocal } from "../../helpers/dynamodb-local.ts";
import { seededRandom } from "../../helpers/seeded-random.ts";
import {
  type CustomerTouch,
  conflictingVersions,
  dealOverlapping,
  newestPerKey,
  runShadowWorker,
} from "./shadow-workers.ts";

const WORKERS = 8;
const FINDINGS = 120;
const VERSIONS = 6;

describe("8 concurrent workers sharing one DynamoDB shadow table", () => {
  let local: DynamoDbLocal;
  const clients: DynamoDBClient[] = [];
  before(async () => {
    local = await startDynamoDbLocal();
  });
  after(async () => {
    for (const client of clients) client.destroy();
    await local?.stop();
  });

  it("ends with the newest version of every finding, loses nothing and never goes backwards", async () => {
    const tableName = "shadow-concurrency";
    const setupClient = dynamoDbLocalClient(local.endpoint);
    clients.push(setupClient);
    await createShadowTable(setupClient, tableName, { enableTtl: false });
    const storeFor = () => {
      const client = dynamoDbLocalClient(local.endpoint);
      clients.push(client);
      return new DynamoDbShadowStore({ client, tableName });
    };

    const versions = conflictingVersions({ findings: FINDINGS, versionsPerFinding: VERSIONS, seed: 42 });
    const newest = newestPerKey(versions);
    const keys = [...newest.values()].map((v) => v.key);
    // The findings exist before the run (an older import), so customers can have touched them.
    const seed = storeFor();
    const initial = keys.map((key) => ({
      key,
      contentHash: "initial",
      updatedAt: "2024-04-30T00:00:00Z",
      createdAt: "2024-04-01T00:00:00.000Z",
      recordState: "ACTIVE" as const,
      customerTouched: [],
      lastSentMs: 0,
    }));
    assert.equal((await seed.commit(initial)).committed, FINDINGS);

    const hands = dealOverlapping(versions, WORKERS, 2, 7);
    const random = seededRandom(99);
    const expectedTouched = new Map<string, Set<string>>();
    const touchesFor = hands.map((hand) =>
      Array.from({ length: 6 }, (): CustomerTouch => {
        const key = keys[Math.floor(random() * keys.length)] as (typeof keys)[number];
        const attribute = PRECEDENCE_ATTRIBUTES[
          Math.floor(random() * PRECEDENCE_ATTRIBUTES.length)
        ] as string;
        const id = findingKeyString(key);
        expectedTouched.set(id, (expectedTouched.get(id) ?? new Set()).add(attribute));
        return {
          key,
          attributes: [attribute as (typeof PRECEDENCE_ATTRIBUTES)[number]],
          afterBatch: Math.floor(random() * Math.ceil(hand.length / 25)),
        };
      }),
    );

    // A watcher reads every shadow while the workers run: UpdatedAt must never move backwards.
    let running = true;
    const regressions: string[] = [];
    const watcher = (async () => {
      const store = storeFor();
      const last = new Map<string, string>();
      while (running) {
        for (const [id, record] of await store.getMany(keys)) {
          const previous = last.get(id);
          if (previous !== undefined && compareAsffTimestamps(record.updatedAt, previous) < 0) {
            regressions.push(`${id}: ${previous} -> ${record.updatedAt}`);
          }
          last.set(id, record.updatedAt);
        }
      }
    })();

    const results = await Promise.all(
      hands.map((hand, w) =>
        runShadowWorker({ store: storeFor(), versions: hand, batchSize: 25, touches: touchesFor[w] }),
      ),
    );
    running = false;
    await watcher;

    const final = await seed.getMany(keys);
    assert.equal(final.size, FINDINGS, "a finding was lost");
    for (const [id, expected] of newest) {
      const got = final.get(id);
      assert.equal(got?.contentHash, expected.contentHash, `${id} is not at its newest version`);
      assert.equal(got?.updatedAt, expected.updatedAt);
      assert.deepEqual(
        [...(got?.customerTouched ?? [])].sort(),
        [...(expectedTouched.get(id) ?? [])].sort(),
        `${id} lost a customer-touched flag`,
      );
    }
    assert.deepEqual(regressions, []);
    const committed = results.reduce((sum, r) => sum + r.committed, 0);
    const conflicts = results.reduce((sum, r) => sum + r.conflicts, 0);
    const stale = results.reduce((sum, r) => sum + r.stale, 0);
    // Every delivered version was either committed, lost a race, or was dropped as stale.
    assert.equal(committed + conflicts + stale, versions.length * 2);
    assert.ok(committed >= FINDINGS, "each finding's newest version was committed by someone");
    assert.ok(conflicts > 0, "no commit race happened: the test would prove nothing");
  });
});
