/**
 * Shadow store benchmark: records/s for commit (in 100-record batches, as the pipeline commits
 * after each BatchImportFindings call), getMany (100 keys per call), a re-commit that only
 * conflicts (the unchanged re-import case) and listActiveInScope, for the in-memory and SQLite
 * stores, and optionally DynamoDB Local (--dynamodb, fewer records: it is a test server).
 *
 * Run: node --import tsx bench/stores.bench.ts [--records N] [--dynamodb]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { DynamoDbShadowStore } from "../lambdas/adapters/dynamodb/dynamodb-shadow-store.ts";
import { createShadowTable } from "../lambdas/adapters/dynamodb/shadow-table.ts";
import { MemoryShadowStore } from "../lambdas/adapters/memory/memory-shadow-store.ts";
import { openSqliteShadowStore, sqliteShadowPath } from "../lambdas/adapters/sqlite/sqlite-shadow-store.ts";
import type { ShadowRecord, ShadowStore } from "../lambdas/ports/shadow-store.ts";
import { dynamoDbLocalClient, startDynamoDbLocal } from "../test/helpers/dynamodb-local.ts";

const arg = (name: string) => process.argv[process.argv.indexOf(name) + 1];
const records = Number(process.argv.includes("--records") ? arg("--records") : 100_000);

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

async function timed(label: string, n: number, fn: () => Promise<void>): Promise<void> {
  const start = performance.now();
  await fn();
  const ms = performance.now() - start;
  console.log(
    `  ${label.padEnd(34)} ${String(Math.round((n * 1000) / ms)).padStart(9)} records/s  (${ms.toFixed(0)} ms)`,
  );
}

async function bench(name: string, store: ShadowStore, n: number): Promise<void> {
  const data = makeRecords(n);
  console.log(`${name}: ${n} records`);
  await timed("commit (100 per call)", n, async () => {
    for (let i = 0; i < n; i += 100) await store.commit(data.slice(i, i + 100));
  });
  await timed("getMany (100 keys per call)", n, async () => {
    for (let i = 0; i < n; i += 100) {
      const got = await store.getMany(data.slice(i, i + 100).map((r) => r.key));
      if (got.size !== Math.min(100, n - i)) throw new Error("getMany lost records");
    }
  });
  await timed("re-commit, all conflicts", n, async () => {
    for (let i = 0; i < n; i += 100) {
      const result = await store.commit(data.slice(i, i + 100));
      if (result.committed !== 0) throw new Error("a stale commit won");
    }
  });
  await timed("listActiveInScope", n, async () => {
    let count = 0;
    for await (const _ of store.listActiveInScope("app@sha256:abc", "111111111111", "us-east-1")) count++;
    if (count !== n) throw new Error(`listed ${count} of ${n}`);
  });
  await store.close();
}

await bench("in-memory", new MemoryShadowStore(), records);
const dir = mkdtempSync(join(tmpdir(), "shadowhub-bench-"));
try {
  await bench("SQLite (WAL file)", openSqliteShadowStore({ path: sqliteShadowPath(dir) }), records);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (process.argv.includes("--dynamodb")) {
  const local = await startDynamoDbLocal();
  const client = dynamoDbLocalClient(local.endpoint);
  try {
    await createShadowTable(client, "bench", { enableTtl: false });
    await bench(
      "DynamoDB Local",
      new DynamoDbShadowStore({ client, tableName: "bench" }),
      Math.min(records, 5_000),
    );
  } finally {
    client.destroy();
    await local.stop();
  }
}
