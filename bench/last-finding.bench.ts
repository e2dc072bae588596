/**
 * Cost of keeping the last sent finding in the shadow (`ShadowCommitRecord.lastFinding`) on the
 * commit path, SQLite store: CPU µs per finding for a commit with and without the finding (100
 * records per commit, as the pipeline commits after each BatchImportFindings call), and the
 * compression alone (gzip-1, the codec used, next to gzip-6 and brotli for the record). Findings are the
 * Trivy golden ASFF findings (~3.2 KB of JSON each), each copy with its own Id and Title.
 * CPU time (process.cpuUsage), not only wall time: the machine is shared.
 *
 * Run: node --import tsx bench/last-finding.bench.ts [--findings N]; for `bench/run.ts`:
 * `lastFindingBenchMetrics(findings)`, the commit/getMany/listActiveInScope without the stored
 * finding as the baseline of the same with it, JSON.stringify as the baseline of the codec.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { encodeFindingBlob } from "../lambdas/adapters/finding-blob.ts";
import { openSqliteShadowStore, sqliteShadowPath } from "../lambdas/adapters/sqlite/sqlite-shadow-store.ts";
import type { ShadowCommitRecord } from "../lambdas/ports/shadow-store.ts";
import type { BenchMetric } from "./lambda.bench.ts";

const golden = JSON.parse(
  readFileSync(new URL("../test/fixtures/trivy/alpine-310.image.asff.golden.json", import.meta.url), "utf8"),
) as { findings: AwsSecurityFinding[] };

function findingAt(i: number): AwsSecurityFinding {
  const base = golden.findings[i % golden.findings.length] as AwsSecurityFinding;
  return { ...base, Id: `${base.Id}/${i}`, Title: `${base.Title} #${i}` };
}

function recordsOf(findings: readonly AwsSecurityFinding[], withFinding: boolean): ShadowCommitRecord[] {
  return findings.map((f, i) => ({
    key: {
      accountId: f.AwsAccountId ?? "",
      region: "us-east-1",
      productArn: f.ProductArn ?? "",
      id: f.Id ?? "",
    },
    contentHash: `sha256:${i.toString(16).padStart(64, "0")}`,
    updatedAt: "2024-05-01T10:00:00.000Z",
    observedAt: "2024-05-01T10:00:00.000Z",
    createdAt: "2024-05-01T10:00:00.000Z",
    recordState: "ACTIVE",
    scope: "app@sha256:abc",
    customerTouched: [],
    lastSentMs: Date.UTC(2024, 4, 1, 10),
    ...(withFinding ? { lastFinding: f } : {}),
  }));
}

/** CPU µs per finding. */
function measure(label: string, n: number, fn: () => void | Promise<void>, count = n): Promise<number> {
  return (async () => {
    const cpu = process.cpuUsage();
    const start = performance.now();
    await fn();
    const wallMs = performance.now() - start;
    const used = process.cpuUsage(cpu);
    const cpuUs = used.user + used.system;
    console.log(
      `  ${label.padEnd(44)} CPU ${(cpuUs / count).toFixed(1).padStart(6)} µs/finding   wall ${((wallMs * 1000) / count).toFixed(1).padStart(6)} µs/finding`,
    );
    return cpuUs / count;
  })();
}

/**
 * Runs the benchmark (printing its report) and returns its figures, CPU µs per finding: commit,
 * getMany and listActiveInScope with the stored finding against the same without it (the
 * baseline), the codec against JSON.stringify alone, and the stored size against the JSON.
 */
export async function lastFindingBenchMetrics(n = 20_000): Promise<BenchMetric[]> {
  const cpu = new Map<string, number>();
  const findings = Array.from({ length: n }, (_, i) => findingAt(i));
  const json = findings.map((f) => JSON.stringify(f));
  const rawBytes = json.reduce((sum, s) => sum + Buffer.byteLength(s), 0);
  console.log(`${n} findings, ${(rawBytes / n).toFixed(0)} B of JSON each on average`);

  // One untimed pass first, so no row pays for the JIT and zlib's first allocations.
  for (const s of json.slice(0, 2_000)) {
    gzipSync(s, { level: 1 });
    gzipSync(s, { level: 6 });
    brotliCompressSync(s, { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } });
  }
  cpu.set(
    "stringify",
    await measure("JSON.stringify alone", n, () => {
      for (const f of findings) JSON.stringify(f);
    }),
  );
  let gz1Bytes = 0;
  await measure("gzip level 1 (the codec)", n, () => {
    for (const s of json) gz1Bytes += gzipSync(s, { level: 1 }).byteLength;
  });
  let gz6Bytes = 0;
  await measure("gzip level 6 (zlib default)", n, () => {
    for (const s of json) gz6Bytes += gzipSync(s, { level: 6 }).byteLength;
  });
  let brBytes = 0;
  await measure("brotli quality 4", n, () => {
    for (const s of json)
      brBytes += brotliCompressSync(s, { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } }).byteLength;
  });
  cpu.set(
    "encode",
    await measure("encodeFindingBlob (stringify + gzip-1)", n, () => {
      for (const f of findings) encodeFindingBlob(f);
    }),
  );
  const brotliSample = json.slice(0, Math.min(json.length, 2_000));
  await measure(
    `brotli quality 11 (default; ${brotliSample.length} findings)`,
    n,
    () => {
      for (const s of brotliSample) brotliCompressSync(s);
    },
    brotliSample.length,
  );
  console.log(
    `  compressed: gzip-1 ${(gz1Bytes / n).toFixed(0)} B (${((100 * gz1Bytes) / rawBytes).toFixed(0)} %), gzip-6 ${(gz6Bytes / n).toFixed(0)} B (${((100 * gz6Bytes) / rawBytes).toFixed(0)} %), brotli-4 ${(brBytes / n).toFixed(0)} B (${((100 * brBytes) / rawBytes).toFixed(0)} %)`,
  );

  for (const withFinding of [false, true]) {
    const dir = mkdtempSync(join(tmpdir(), "shadowhub-lastfinding-"));
    const store = openSqliteShadowStore({ path: sqliteShadowPath(dir) });
    const records = recordsOf(findings, withFinding);
    const mode = withFinding ? "with" : "without";
    cpu.set(
      `commit ${mode}`,
      await measure(
        `SQLite commit, 100/call, ${withFinding ? "with" : "without"} lastFinding`,
        n,
        async () => {
          for (let i = 0; i < records.length; i += 100) await store.commit(records.slice(i, i + 100));
        },
      ),
    );
    const keys = records.map((r) => r.key);
    cpu.set(
      `getMany ${mode}`,
      await measure(
        `SQLite getMany, 100/call (${withFinding ? "blobs stored" : "no blobs"})`,
        n,
        async () => {
          for (let i = 0; i < keys.length; i += 100) await store.getMany(keys.slice(i, i + 100));
        },
      ),
    );
    cpu.set(
      `listActiveInScope ${mode}`,
      await measure(
        `SQLite listActiveInScope (${withFinding ? "blobs stored" : "no blobs"})`,
        n,
        async () => {
          for await (const _ of store.listActiveInScope("app@sha256:abc", "123456789012", "us-east-1"));
        },
      ),
    );
    if (withFinding) {
      cpu.set(
        "lastFindings",
        await measure("SQLite lastFindings, 100/call (read + gunzip)", n, async () => {
          for (let i = 0; i < keys.length; i += 100) await store.lastFindings(keys.slice(i, i + 100));
        }),
      );
    }
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const out: BenchMetric[] = [];
  const vs = (name: string, value: number, unit: string, baseline: number): void => {
    out.push({ name, value, unit, baseline: Number(baseline.toFixed(2)), ratio: value / baseline });
  };
  const get = (k: string) => cpu.get(k) ?? Number.NaN;
  for (const op of ["commit", "getMany", "listActiveInScope"]) {
    vs(`lastFinding.sqlite.${op}.cpu`, get(`${op} with`), "µs/finding", get(`${op} without`));
  }
  out.push({ name: "lastFinding.sqlite.lastFindings.cpu", value: get("lastFindings"), unit: "µs/finding" });
  vs("lastFinding.encodeFindingBlob.cpu", get("encode"), "µs/finding", get("stringify"));
  vs("lastFinding.gzip1.bytes", Math.round(gz1Bytes / n), "B/finding", Math.round(rawBytes / n));
  return out;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string) => process.argv[process.argv.indexOf(name) + 1];
  await lastFindingBenchMetrics(Number(process.argv.includes("--findings") ? arg("--findings") : 20_000));
}
