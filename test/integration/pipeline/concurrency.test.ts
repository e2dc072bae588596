/**
 * Acceptance (issue 4): 8 workers run the whole pipeline concurrently — one DynamoDB Local shadow
 * table, one shared DynamoDB rate limiter, one Security Hub (`serve`, real SDK) — importing
 * overlapping findings with conflicting UpdatedAt in random order. Security Hub must end with the
 * newest version of every finding, and the shadow must agree: nothing lost, no stale overwrite.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDbRateLimiter } from "../../../lambdas/adapters/dynamodb/dynamodb-rate-limiter.ts";
import { DynamoDbShadowStore } from "../../../lambdas/adapters/dynamodb/dynamodb-shadow-store.ts";
import { createShadowTable } from "../../../lambdas/adapters/dynamodb/shadow-table.ts";
import { SecurityHubSink } from "../../../lambdas/adapters/securityhub/securityhub-sink.ts";
import { findingKeyString } from "../../../lambdas/core/hub/contracts.ts";
import { contentHash } from "../../../lambdas/core/pipeline/content-hash.ts";
import type { IncomingFinding } from "../../../lambdas/core/pipeline/plan.ts";
import { type ImportReport, runImport } from "../../../lambdas/pipeline/import-run.ts";
import { type DynamoDbLocal, dynamoDbLocalClient, startDynamoDbLocal } from "../../helpers/dynamodb-local.ts";
import { seededRandom } from "../../helpers/seeded-random.ts";
import { startTestServe, type TestServe } from "../../helpers/serve.ts";
import { finding, keyOf } from "../../unit/pipeline/factories.ts";
import { hubState } from "./scenario.ts";

const WORKERS = 8;
const FINDINGS = 40;
const VERSIONS = 6;
const IMPORTS_PER_WORKER = 3;
const BASE_MS = Date.parse("2026-01-01T00:00:00.000Z");

/** Version `v` of finding `i`: its own title and a later UpdatedAt for a higher version. */
function version(i: number, v: number) {
  const at = new Date(BASE_MS + v * 60_000).toISOString();
  return finding(`conc-${i}`, {
    Title: `conc-${i} v${v}`,
    UpdatedAt: at,
    CreatedAt: new Date(BASE_MS).toISOString(),
  });
}

describe("8 concurrent importers: DynamoDB shadow, shared limiter, one Security Hub", () => {
  let dynamo: DynamoDbLocal;
  let serve: TestServe;
  const clients: DynamoDBClient[] = [];
  before(async () => {
    [dynamo, serve] = await Promise.all([startDynamoDbLocal(), startTestServe({ log: () => {} })]);
  });
  after(async () => {
    for (const c of clients) c.destroy();
    await dynamo?.stop();
    await serve?.close();
  });

  it("ends with the newest version of every finding in Security Hub and in the shadow", async (t) => {
    const tableName = "pipeline-concurrency";
    const setup = dynamoDbLocalClient(dynamo.endpoint);
    clients.push(setup);
    await createShadowTable(setup, tableName);

    // Deal every (finding, version) to 1–3 random workers, in a random order per worker.
    const random = seededRandom(4242);
    const dealt: IncomingFinding[][] = Array.from({ length: WORKERS }, () => []);
    for (let i = 0; i < FINDINGS; i++) {
      for (let v = 0; v < VERSIONS; v++) {
        const copies = 1 + Math.floor(random() * 3);
        for (let c = 0; c < copies; c++) {
          dealt[Math.floor(random() * WORKERS)]?.push({ finding: version(i, v), source: `v${v}` });
        }
      }
    }
    for (const list of dealt) list.sort(() => random() - 0.5);

    const reports: ImportReport[] = [];
    await Promise.all(
      dealt.map(async (items, w) => {
        const client = dynamoDbLocalClient(dynamo.endpoint);
        clients.push(client);
        const store = new DynamoDbShadowStore({ client, tableName });
        const limiter = new DynamoDbRateLimiter({
          client,
          tableName,
          limits: { ratePerSecond: 500, burst: 500 },
        });
        const sink = new SecurityHubSink({
          endpoint: serve.url,
          credentials: { accessKeyId: "AKID", secretAccessKey: "s" },
        });
        try {
          const size = Math.ceil(items.length / IMPORTS_PER_WORKER);
          for (let start = 0; start < items.length; start += size) {
            const report = await runImport(
              { findings: items.slice(start, start + size) },
              { store, sink, limiter, clock: { now: () => Date.now() }, random: seededRandom(w) },
            );
            reports.push(report);
          }
        } finally {
          await sink.close();
        }
      }),
    );

    const failures = reports.flatMap((r) => r.failures);
    assert.deepEqual(failures, [], "no import failed");
    const total = (k: keyof ImportReport["counts"]) => reports.reduce((n, r) => n + r.counts[k], 0);
    t.diagnostic(
      `${reports.length} imports: created ${total("created")}, updated ${total("updated")}, unchanged ${total("unchanged")}, stale ${total("stale")}, calls ${reports.reduce((n, r) => n + r.apiCalls, 0)}`,
    );

    const ids = Array.from({ length: FINDINGS }, (_, i) => `conc-${i}`);
    const sink = new SecurityHubSink({
      endpoint: serve.url,
      credentials: { accessKeyId: "AKID", secretAccessKey: "s" },
    });
    const hub = await hubState(sink, ids);
    await sink.close();
    const store = new DynamoDbShadowStore({ client: setup, tableName });
    const shadows = await store.getMany(ids.map((id) => keyOf(finding(id))));
    for (let i = 0; i < FINDINGS; i++) {
      const newest = version(i, VERSIONS - 1);
      const inHub = hub.get(`conc-${i}`);
      assert.equal(inHub?.Title, newest.Title, `Security Hub holds the newest version of conc-${i}`);
      assert.equal(inHub?.UpdatedAt, newest.UpdatedAt);
      const shadow = shadows.get(findingKeyString(keyOf(newest)));
      assert.equal(shadow?.updatedAt, newest.UpdatedAt, `the shadow of conc-${i} is the newest`);
      assert.equal(shadow?.contentHash, contentHash(newest));
    }
  });
});
