/**
 * Benchmark of the import pipeline (issue 4):
 * 1. 100,000 findings (1,000 full batches) from a synthetic Trivy report into the local default
 *    (embedded hub + SQLite shadow, no quota), end to end: read → parse → plan → batch → send →
 *    commit. Target ≥ 10,000 findings/s.
 * 2. Re-import of the same 100,000 unchanged. Target ≥ 50,000 findings/s with 0 API calls.
 * 2b. The next day's scan of the same content: 0 calls, every observation recorded.
 * 3. The naive baseline in the same run (as peers do: every finding sent on every run, 100 per
 *    call, no shadow) for the same two runs: ratio of API calls and wall time.
 * 4. A short run against `serve` with the quota on and the in-process limiter: sustained
 *    calls/s ÷ 10. Target ≥ 0.95.
 * Run alone: `node --import tsx bench/import.bench.ts [findings] [quotaCalls] [--json]`; for
 * `bench/run.ts`: `runImportBench()` then `importBenchFigures(result)`.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { openLocalHub } from "../lambdas/adapters/local-hub/local-hub.ts";
import { LocalHubSink } from "../lambdas/adapters/local-target/local-hub-sink.ts";
import { InProcessRateLimiter } from "../lambdas/adapters/memory/in-process-rate-limiter.ts";
import { MemoryShadowStore } from "../lambdas/adapters/memory/memory-shadow-store.ts";
import { SecurityHubSink } from "../lambdas/adapters/securityhub/securityhub-sink.ts";
import { openSqliteShadowStore } from "../lambdas/adapters/sqlite/sqlite-shadow-store.ts";
import { systemClock } from "../lambdas/adapters/system-clock.ts";
import { IMPORT_RATE_PER_SECOND, MAX_FINDINGS_PER_IMPORT } from "../lambdas/core/asff/limits.ts";
import type { ConversionContext } from "../lambdas/core/parsers/contracts.ts";
import {
  type ConversionBatch,
  convertReport,
  convertReportBatches,
} from "../lambdas/core/parsers/convert.ts";
import type { IncomingFinding } from "../lambdas/core/pipeline/plan.ts";
import { type ImportReport, runImport, runImportStream } from "../lambdas/pipeline/import-run.ts";
import { reportChunks } from "../lambdas/pipeline/report-chunks.ts";
import { REMOTE_IMPORT_LIMITS } from "../lambdas/pipeline/targets.ts";
import type { FindingSink } from "../lambdas/ports/finding-sink.ts";
import { startServer } from "../lambdas/serve/server.ts";

const ACCOUNT = "123456789012";
/** Calls in flight in the quota run: enough that call latency, not the limiter, is never the cap. */
const QUOTA_CONCURRENCY = 8;
const REGION = "us-east-1";
const CONTEXT: ConversionContext = {
  accountId: ACCOUNT,
  region: REGION,
  partition: "aws",
  productArn: `arn:aws:securityhub:${REGION}:${ACCOUNT}:product/${ACCOUNT}/default`,
  scope: "bench-image@sha256:0001",
  nowMs: Date.UTC(2026, 0, 1),
};

/** A Trivy image report with `count` vulnerabilities spread over packages (one finding each). */
export function syntheticTrivyReport(count: number, createdAt = "2026-01-01T00:00:00Z"): string {
  const vulnerabilities = Array.from({ length: count }, (_, i) => ({
    VulnerabilityID: `CVE-2026-${String(10000 + (i % 50000)).padStart(5, "0")}`,
    PkgID: `pkg-${Math.floor(i / 2)}@1.0.${i % 7}`,
    PkgName: `pkg-${Math.floor(i / 2)}`,
    InstalledVersion: `1.0.${i % 7}`,
    FixedVersion: `1.0.${(i % 7) + 1}`,
    Status: "fixed",
    SeveritySource: "nvd",
    PrimaryURL: `https://avd.aquasec.com/nvd/cve-2026-${i}`,
    Title: `pkg-${Math.floor(i / 2)}: synthetic vulnerability ${i}`,
    Description: "A synthetic vulnerability used by the import benchmark. ".repeat(4),
    Severity: ["LOW", "MEDIUM", "HIGH", "CRITICAL"][i % 4],
    CweIDs: ["CWE-79"],
    References: [`https://example.com/advisories/${i}`],
    PublishedDate: "2025-06-01T00:00:00Z",
    LastModifiedDate: "2025-07-01T00:00:00Z",
  }));
  return JSON.stringify({
    SchemaVersion: 2,
    CreatedAt: createdAt,
    ArtifactName: "registry.example.com/bench:1.0",
    ArtifactType: "container_image",
    Metadata: {
      OS: { Family: "debian", Name: "12.5" },
      ImageID: "sha256:0001",
      RepoDigests: ["bench@sha256:0001"],
    },
    Results: [
      {
        Target: "registry.example.com/bench:1.0 (debian 12.5)",
        Class: "os-pkgs",
        Type: "debian",
        Vulnerabilities: vulnerabilities,
      },
    ],
  });
}

export interface RunFigures {
  readonly findings: number;
  readonly ms: number;
  readonly findingsPerSecond: number;
  readonly apiCalls: number;
  /** CPU time of this process (all threads) for the whole run: read, convert, plan, send, commit. */
  readonly cpuMs?: number;
  /** CPU time of the conversion step alone (read + parse + convert to ASFF: the parsers' share). */
  readonly convertCpuMs?: number;
}

/** One figure for `bench/run.ts`: a name, a value and its unit; `baseline`/`ratio` when compared. */
export interface BenchFigure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline?: number;
  readonly ratio?: number;
}

export interface ImportBenchResult {
  readonly first: RunFigures;
  readonly reimport: RunFigures;
  /** The next day's scan with the same content: 0 calls, but every finding's observation is recorded. */
  readonly rescan: RunFigures;
  readonly naiveFirst: RunFigures;
  readonly naiveReimport: RunFigures;
  readonly quota: {
    readonly calls: number;
    readonly seconds: number;
    readonly callsPerSecond: number;
    readonly ratio: number;
    readonly throttled: number;
    readonly retries: number;
  };
  readonly peakRssMb: number;
}

function figures(
  findings: number,
  ms: number,
  apiCalls: number,
  cpu: { cpuMs?: number; convertCpuMs?: number } = {},
): RunFigures {
  return { findings, ms, findingsPerSecond: Math.round((findings / ms) * 1000), apiCalls, ...cpu };
}

/** CPU time (user + system, all threads) of this process since `since`, in ms. */
function cpuMsSince(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

/**
 * Read + convert + import one report file through the pipeline as the CLI does (streamed: the
 * report converted batch by batch into `runImportStream`); returns the report and time. The
 * conversion step (read + parse + convert, the parsers' share) is timed batch by batch.
 */
async function pipelineRun(
  file: string,
  deps: Parameters<typeof runImport>[1],
): Promise<{ report: ImportReport; ms: number; findings: number; cpuMs: number; convertCpuMs: number }> {
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  let convertCpuMs = 0;
  const nowMs = Date.now();
  const read = async () => {
    const since = process.cpuUsage();
    const content = await readFile(file);
    convertCpuMs += cpuMsSince(since);
    return content;
  };
  function* timedBatches(source: string, content: string | Uint8Array): Generator<ConversionBatch> {
    const batches = convertReportBatches({ source, content }, { ...CONTEXT, nowMs })[Symbol.iterator]();
    for (;;) {
      const since = process.cpuUsage();
      const step = batches.next();
      convertCpuMs += cpuMsSince(since);
      if (step.done) return;
      if (step.value.failures.length > 0)
        throw new Error(`bench report failed to convert: ${step.value.failures[0]?.message}`);
      yield step.value;
    }
  }
  const stats = { findings: 0 };
  const report = await runImportStream(
    {
      // As the CLI does: the report's own time orders reports of the scope.
      chunks: reportChunks([{ source: file, read }], timedBatches, nowMs, stats),
      ...(CONTEXT.scope ? { scope: CONTEXT.scope } : {}),
      scopeTargets: [CONTEXT],
    },
    deps,
  );
  if (report.failures.length > 0) throw new Error(`bench import failed: ${report.failures[0]?.message}`);
  return {
    report,
    ms: performance.now() - start,
    findings: stats.findings,
    cpuMs: cpuMsSince(cpuStart),
    convertCpuMs,
  };
}

/** The peers' way: read + convert + send everything, 100 per call, no shadow. */
async function naiveRun(file: string, sink: LocalHubSink): Promise<RunFigures> {
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const content = await readFile(file);
  const { findings } = convertReport({ source: file, content }, { ...CONTEXT, nowMs: Date.now() });
  let calls = 0;
  for (let i = 0; i < findings.length; i += MAX_FINDINGS_PER_IMPORT) {
    await sink.batchImport({
      accountId: ACCOUNT,
      region: REGION,
      findings: findings.slice(i, i + MAX_FINDINGS_PER_IMPORT),
    });
    calls++;
  }
  return figures(findings.length, performance.now() - start, calls, { cpuMs: cpuMsSince(cpuStart) });
}

/** Runs the benchmark. `findings` defaults to 100,000; `quotaCalls` (quota-on run) to 80. */
export async function runImportBench(findings = 100_000, quotaCalls = 80): Promise<ImportBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), "shadowhub-import-bench-"));
  let peakRss = process.memoryUsage().rss;
  const sample = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  try {
    const file = join(dir, "trivy.json");
    writeFileSync(file, syntheticTrivyReport(findings));
    const nextDay = join(dir, "trivy-next-day.json");
    writeFileSync(nextDay, syntheticTrivyReport(findings, "2026-01-02T00:00:00Z"));

    // 1–2. shadowhub, local default: embedded hub + SQLite shadow.
    const stateDir = join(dir, "state");
    const hub = await openLocalHub({ stateDir });
    const sink = new LocalHubSink(hub);
    const store = openSqliteShadowStore({ path: join(stateDir, "shadow.sqlite") });
    const deps = { store, sink, clock: systemClock };
    const r1 = await pipelineRun(file, deps);
    const r2 = await pipelineRun(file, deps);
    if (r2.report.apiCalls !== 0) throw new Error(`re-import made ${r2.report.apiCalls} calls; expected 0`);
    const r3 = await pipelineRun(nextDay, deps);
    if (r3.report.apiCalls !== 0)
      throw new Error(`next-day rescan made ${r3.report.apiCalls} calls; expected 0`);
    await sink.close();
    await store.close();

    // 3. naive baseline into a fresh embedded hub.
    const naiveSink = new LocalHubSink(await openLocalHub({ stateDir: join(dir, "naive") }));
    const naiveFirst = await naiveRun(file, naiveSink);
    const naiveReimport = await naiveRun(file, naiveSink);
    await naiveSink.close();

    // 4. quota on: serve enforces 10/s burst 30; the pipeline paces itself with the limiter.
    const server = await startServer({ host: "127.0.0.1", port: 0, quota: true, log: () => {} });
    const remote = new SecurityHubSink({
      endpoint: server.url,
      credentials: { accessKeyId: "AKID", secretAccessKey: "s" },
    });
    const quotaFindings: IncomingFinding[] = Array.from(
      { length: quotaCalls * MAX_FINDINGS_PER_IMPORT },
      (_, i) => ({
        finding: {
          SchemaVersion: "2018-10-08",
          Id: `quota-${i}`,
          ProductArn: CONTEXT.productArn,
          GeneratorId: "bench",
          AwsAccountId: ACCOUNT,
          CreatedAt: "2026-01-01T00:00:00Z",
          UpdatedAt: "2026-01-01T00:00:00Z",
          Title: `quota ${i}`,
          Description: "quota run",
          FindingProviderFields: { Severity: { Label: "LOW" }, Types: ["Software and Configuration Checks"] },
          Resources: [{ Type: "Other", Id: `r-${i}` }],
        },
      }),
    );
    // Record when each call starts: after the burst, the spacing of starts is the sustained rate.
    const starts: number[] = [];
    const timed: FindingSink = {
      description: remote.description,
      emitsEvents: remote.emitsEvents,
      batchImport: (call) => {
        starts.push(performance.now());
        return remote.batchImport(call);
      },
      fetchCurrent: (keys) => remote.fetchCurrent(keys),
      close: () => remote.close(),
    };
    const qStart = performance.now();
    const q = await runImport(
      { findings: quotaFindings },
      {
        store: new MemoryShadowStore(),
        sink: timed,
        clock: systemClock,
        limiter: new InProcessRateLimiter({ limits: REMOTE_IMPORT_LIMITS }),
        concurrency: QUOTA_CONCURRENCY,
      },
    );
    const seconds = (performance.now() - qStart) / 1000;
    await remote.close();
    await server.close();
    if (q.failures.length > 0)
      throw new Error(`quota run: ${q.failures[0]?.errorCode} ${q.failures[0]?.message}`);
    // The second half of the run: the burst and the tokens refilled while it ran are spent by then.
    const afterBurst = starts.slice(Math.max(REMOTE_IMPORT_LIMITS.burst, Math.floor(starts.length / 2)));
    const first = afterBurst[0] ?? 0;
    const last = afterBurst[afterBurst.length - 1] ?? 0;
    const callsPerSecond =
      afterBurst.length > 1 ? ((afterBurst.length - 1) / (last - first)) * 1000 : Number.NaN;

    return {
      first: figures(r1.findings, r1.ms, r1.report.apiCalls, {
        cpuMs: r1.cpuMs,
        convertCpuMs: r1.convertCpuMs,
      }),
      reimport: figures(r2.findings, r2.ms, r2.report.apiCalls, {
        cpuMs: r2.cpuMs,
        convertCpuMs: r2.convertCpuMs,
      }),
      rescan: figures(r3.findings, r3.ms, r3.report.apiCalls, {
        cpuMs: r3.cpuMs,
        convertCpuMs: r3.convertCpuMs,
      }),
      naiveFirst,
      naiveReimport,
      quota: {
        calls: q.apiCalls,
        seconds,
        callsPerSecond,
        ratio: callsPerSecond / IMPORT_RATE_PER_SECOND,
        throttled: q.throttled,
        retries: q.retries,
      },
      peakRssMb: Math.round(peakRss / 1024 / 1024),
    };
  } finally {
    clearInterval(sample);
    rmSync(dir, { recursive: true, force: true });
  }
}

function line(name: string, f: RunFigures): string {
  const cpu = f.cpuMs === undefined ? "" : `  ${(f.cpuMs / 1000).toFixed(2).padStart(6)} CPU-s`;
  return `${name.padEnd(34)} ${String(f.findings).padStart(7)} findings  ${(f.ms / 1000).toFixed(2).padStart(7)} s${cpu}  ${String(f.findingsPerSecond).padStart(8)} findings/s  ${String(f.apiCalls).padStart(5)} calls`;
}

/** findings per CPU-second of a run (whole run, or without the conversion step). */
function perCpuSecond(f: RunFigures, withoutConversion = false): number | undefined {
  if (f.cpuMs === undefined) return undefined;
  const ms = withoutConversion ? f.cpuMs - (f.convertCpuMs ?? 0) : f.cpuMs;
  return ms > 0 ? Math.round((f.findings / ms) * 1000) : undefined;
}

/**
 * The result as figures for `bench/run.ts`: wall-clock rates (what the targets name) and
 * CPU-time rates (findings per CPU-second of this process), which stay meaningful on a shared,
 * loaded machine; the pipeline's own share excludes the conversion (parsers) step.
 */
export function importBenchFigures(r: ImportBenchResult): BenchFigure[] {
  const out: BenchFigure[] = [];
  const add = (name: string, value: number | undefined, unit: string, baseline?: number) => {
    if (value === undefined || !Number.isFinite(value)) return;
    out.push({
      name,
      value,
      unit,
      ...(baseline === undefined ? {} : { baseline, ratio: baseline === 0 ? Number.NaN : value / baseline }),
    });
  };
  add("first import (wall)", r.first.findingsPerSecond, "findings/s", 10_000);
  add("first import (CPU)", perCpuSecond(r.first), "findings/CPU-s", 10_000);
  add("first import without conversion (CPU)", perCpuSecond(r.first, true), "findings/CPU-s");
  add("unchanged re-import (wall)", r.reimport.findingsPerSecond, "findings/s", 50_000);
  add("unchanged re-import (CPU)", perCpuSecond(r.reimport), "findings/CPU-s", 50_000);
  add("unchanged re-import without conversion (CPU)", perCpuSecond(r.reimport, true), "findings/CPU-s");
  add("unchanged re-import API calls", r.reimport.apiCalls, "calls", r.naiveReimport.apiCalls);
  add("next-day rescan, same content (CPU)", perCpuSecond(r.rescan), "findings/CPU-s");
  add("next-day rescan without conversion (CPU)", perCpuSecond(r.rescan, true), "findings/CPU-s");
  add("re-import wall time vs naive", r.reimport.ms, "ms", r.naiveReimport.ms);
  add("first import wall time vs naive", r.first.ms, "ms", r.naiveFirst.ms);
  // CPU time too: on a shared machine the wall-time ratio mostly says who got the cores.
  add("re-import CPU time vs naive", r.reimport.cpuMs, "CPU-ms", r.naiveReimport.cpuMs);
  add("first import CPU time vs naive", r.first.cpuMs, "CPU-ms", r.naiveFirst.cpuMs);
  add("quota on: calls/s ÷ 10", r.quota.ratio, "ratio", 0.95);
  add("peak RSS", r.peakRssMb, "MB");
  return out;
}

/**
 * Runs the benchmark and returns its figures (the entry point of `bench/run.ts`); prints the
 * human-readable report too, as running it alone does.
 */
export async function importBenchMetrics(findings = 100_000, quotaCalls = 80): Promise<BenchFigure[]> {
  const result = await runImportBench(findings, quotaCalls);
  console.log(formatImportBench(result));
  return importBenchFigures(result);
}

/** Prints the result as a small report. */
export function formatImportBench(r: ImportBenchResult): string {
  const ratio = (a: number, b: number) => (b === 0 ? "∞" : (a / b).toFixed(1));
  const cpuRatio = (naive: RunFigures, ours: RunFigures) =>
    naive.cpuMs === undefined || ours.cpuMs === undefined ? "n/a" : ratio(naive.cpuMs, ours.cpuMs);
  return [
    "import pipeline benchmark (local default = embedded hub + SQLite shadow, quota off)",
    line("shadowhub first import", r.first) +
      `   target ≥ 10,000/s: ${r.first.findingsPerSecond >= 10_000 ? "met" : "MISSED"}`,
    line("shadowhub re-import (unchanged)", r.reimport) +
      `   target ≥ 50,000/s, 0 calls: ${r.reimport.findingsPerSecond >= 50_000 && r.reimport.apiCalls === 0 ? "met" : "MISSED"}`,
    line("shadowhub next-day rescan (same)", r.rescan) +
      ` (observations recorded; ${perCpuSecond(r.rescan, true) ?? "n/a"} findings/CPU-s without conversion)`,
    `  CPU: first import ${perCpuSecond(r.first) ?? "n/a"} findings/CPU-s (${perCpuSecond(r.first, true) ?? "n/a"} without conversion; conversion ${r.first.convertCpuMs === undefined ? "n/a" : ((r.first.convertCpuMs * 1000) / r.first.findings).toFixed(1)} µs/finding); re-import ${perCpuSecond(r.reimport) ?? "n/a"} findings/CPU-s (${perCpuSecond(r.reimport, true) ?? "n/a"} without conversion; conversion ${r.reimport.convertCpuMs === undefined ? "n/a" : ((r.reimport.convertCpuMs * 1000) / r.reimport.findings).toFixed(1)} µs/finding); load average ${loadavg()[0]?.toFixed(1)}`,
    line("naive first import (peers)", r.naiveFirst),
    line("naive re-import (peers)", r.naiveReimport),
    `re-import vs naive: ${r.naiveReimport.apiCalls} vs ${r.reimport.apiCalls} API calls; wall time ${ratio(r.naiveReimport.ms, r.reimport.ms)}× faster; CPU time ${cpuRatio(r.naiveReimport, r.reimport)}× less`,
    `first import vs naive: ${r.first.apiCalls} vs ${r.naiveFirst.apiCalls} API calls; wall time ${ratio(r.naiveFirst.ms, r.first.ms)}× (naive/shadowhub); CPU time ${cpuRatio(r.naiveFirst, r.first)}× (naive/shadowhub)`,
    `quota on (serve 10/s burst 30; in-process limiter 10/s burst 20): ${r.quota.calls} calls in ${r.quota.seconds.toFixed(2)} s → ${r.quota.callsPerSecond.toFixed(2)} calls/s sustained (spacing of call starts over the second half); ÷10 = ${r.quota.ratio.toFixed(3)} (target ≥ 0.95: ${r.quota.ratio >= 0.95 ? "met" : "MISSED"}); 429s absorbed: ${r.quota.throttled}; retried calls: ${r.quota.retries}`,
    `peak RSS ${r.peakRssMb} MB`,
  ].join("\n");
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const findings = Number(process.argv[2] ?? 100_000);
  const quotaCalls = Number(process.argv[3] ?? 80);
  const result = await runImportBench(findings, quotaCalls);
  console.log(formatImportBench(result));
  if (process.argv.includes("--json")) console.log(JSON.stringify(importBenchFigures(result)));
}
