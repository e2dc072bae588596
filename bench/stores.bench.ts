/**
 * Shadow store benchmark: records/s for commit (in 100-record batches, as the pipeline commits
 * after each BatchImportFindings call), getMany (100 keys per call), a re-commit that only
 * conflicts (the unchanged re-import case), listActiveInScope and recordObservations (a newer
 * scan of unchanged content: every record advances), for the in-memory and SQLite stores, and
 * optionally DynamoDB Local (--dynamodb, fewer records: it is a test server). Each line also
 * prints the CPU time per record (this process, all threads), which stays meaningful on a
 * shared, loaded machine where records/s mostly says who got the cores.
 *
 * Run: node --import tsx bench/stores.bench.ts [--records N] [--dynamodb]; for `bench/run.ts`:
 * `storesBenchMetrics(options)`, each SQLite/DynamoDB Local figure with the in-memory store's
 * figure for the same operation, measured in the same run, as its baseline.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { DynamoDbShadowStore } from "../lambdas/adapters/dynamodb/dynamodb-shadow-store.ts";
import { createShadowTable } from "../lambdas/adapters/dynamodb/shadow-table.ts";
import { MemoryShadowStore } from "../lambdas/adapters/memory/memory-shadow-store.ts";
import { openSqliteShadowStore, sqliteShadowPath } from "../lambdas/adapters/sqlite/sqlite-shadow-store.ts";
import type { ShadowRecord, ShadowStore } from "../lambdas/ports/shadow-store.ts";
import { dynamoDbLocalClient, startDynamoDbLocal } from "../test/helpers/dynamodb-local.ts";
import type { BenchMetric } from "./lambda.bench.ts";

function makeRecords(n: number): ShadowRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    key: {
      accountId: "111111111111",
      region: "us-east-1",
      productArn: "arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default",
      id: `trivy/CVE-2024-${i}/arn:aws:ecr:us-east-1:111111111111:repository/app/sha256:abc/openssl`,
    },
    contentHash: `sha256:${i.toString(16).padStart(64, "0")}`,
    updatedAt: "2024-05-01T10:00:00.000Z",
    createdAt: "2024-05-01T10:00:00.000Z",
    firstObservedAt: "2024-05-01T09:00:00.000Z",
    recordState: "ACTIVE",
    scope: "app@sha256:abc",
    customerTouched: [],
    lastSentMs: Date.UTC(2024, 4, 1, 10),
  }));
}

/** records/s per operation of one store. */
type StoreRates = Map<string, number>;

async function timed(rates: StoreRates, label: string, n: number, fn: () => Promise<void>): Promise<void> {
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  await fn();
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  rates.set(label, (n * 1000) / ms);
  console.log(
    `  ${label.padEnd(34)} ${String(Math.round((n * 1000) / ms)).padStart(9)} records/s  (${ms.toFixed(0)} ms; ${((cpu.user + cpu.system) / n).toFixed(1)} µs CPU per record)`,
  );
}

async function bench(name: string, store: ShadowStore, n: number): Promise<StoreRates> {
  const rates: StoreRates = new Map();
  const data = makeRecords(n);
  console.log(`${name}: ${n} records`);
  await timed(rates, "commit (100 per call)", n, async () => {
    for (let i = 0; i < n; i += 100) await store.commit(data.slice(i, i + 100));
  });
  await timed(rates, "getMany (100 keys per call)", n, async () => {
    for (let i = 0; i < n; i += 100) {
      const got = await store.getMany(data.slice(i, i + 100).map((r) => r.key));
      if (got.size !== Math.min(100, n - i)) throw new Error("getMany lost records");
    }
  });
  await timed(rates, "re-commit, all conflicts", n, async () => {
    for (let i = 0; i < n; i += 100) {
      const result = await store.commit(data.slice(i, i + 100));
      if (result.committed !== 0) throw new Error("a stale commit won");
    }
  });
  await timed(rates, "listActiveInScope", n, async () => {
    let count = 0;
    for await (const _ of store.listActiveInScope("app@sha256:abc", "111111111111", "us-east-1")) count++;
    if (count !== n) throw new Error(`listed ${count} of ${n}`);
  });
  await timed(rates, "recordObservations, all advance", n, async () => {
    const advanced = await store.recordObservations(
      data.map((r) => ({ key: r.key, observedAt: "2024-05-02T10:00:00.000Z" })),
    );
    if (advanced !== n) throw new Error(`advanced ${advanced} of ${n}`);
  });
  await store.close();
  return rates;
}

export interface StoresBenchOptions {
  /** Records for the in-memory and SQLite stores (default 100,000). */
  readonly records?: number;
  /** Records for DynamoDB Local; 0 skips it (default 0: it needs Java and is a test server). */
  readonly dynamodbRecords?: number;
}

const OPS: ReadonlyArray<readonly [string, string]> = [
  ["commit (100 per call)", "commit"],
  ["getMany (100 keys per call)", "getMany"],
  ["re-commit, all conflicts", "recommit"],
  ["listActiveInScope", "listActiveInScope"],
  ["recordObservations, all advance", "recordObservations"],
];

/**
 * Runs the benchmark (printing its report) and returns its figures: records/s per operation and
 * store; the in-memory store's figure for the same operation is the baseline of the others (for
 * DynamoDB Local, an in-memory run of the same size, in the same run).
 */
export async function storesBenchMetrics(options: StoresBenchOptions = {}): Promise<BenchMetric[]> {
  const records = options.records ?? 100_000;
  const dynamodbRecords = options.dynamodbRecords ?? 0;
  const out: BenchMetric[] = [];
  const add = (store: string, rates: StoreRates, baseline?: StoreRates) => {
    for (const [label, op] of OPS) {
      const value = Math.round(rates.get(label) ?? 0);
      const base = baseline === undefined ? undefined : Math.round(baseline.get(label) ?? 0);
      out.push({
        name: `stores.${store}.${op}`,
        value,
        unit: "records/s",
        ...(base === undefined || base === 0 ? {} : { baseline: base, ratio: value / base }),
      });
    }
  };
  const memory = await bench("in-memory", new MemoryShadowStore(), records);
  add("memory", memory);
  const dir = mkdtempSync(join(tmpdir(), "shadowhub-bench-"));
  try {
    add(
      "sqlite",
      await bench("SQLite (WAL file)", openSqliteShadowStore({ path: sqliteShadowPath(dir) }), records),
      memory,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (dynamodbRecords > 0) {
    const n = Math.min(records, dynamodbRecords);
    const memorySmall = n === records ? memory : await bench("in-memory", new MemoryShadowStore(), n);
    const local = await startDynamoDbLocal();
    const client = dynamoDbLocalClient(local.endpoint);
    try {
      await createShadowTable(client, "bench", { enableTtl: false });
      add(
        "dynamodbLocal",
        await bench("DynamoDB Local", new DynamoDbShadowStore({ client, tableName: "bench" }), n),
        memorySmall,
      );
    } finally {
      client.destroy();
      await local.stop();
    }
  }
  return out;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string) => process.argv[process.argv.indexOf(name) + 1];
  const records = Number(process.argv.includes("--records") ? arg("--records") : 100_000);
  await storesBenchMetrics({
    records,
    dynamodbRecords: process.argv.includes("--dynamodb") ? 5_000 : 0,
  });
}
