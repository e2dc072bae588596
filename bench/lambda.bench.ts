/**
 * Benchmark of the Lambda bundles (issue 5): for each handler, bundle it with esbuild exactly as
 * the house function construct does (ESM, node22, minified with names kept, AWS SDK clients bundled, the
 * `require` banner), then report
 * - the bundle size (raw and gzip; Lambda's limit applies to the zip). Target ≤ 1 MB. The files
 *   the house function copies beside the bundle (the ASFF validator's lazily loaded chunks, see
 *   `HOUSE_RUNTIME_FILES`) are reported separately: they are loaded only when a finding needs one.
 * - the cold-start init time: a fresh Node process imports the bundle (Lambda's init phase), and
 *   separately imports it and serves a first, empty invocation (configuration loaded, clients
 *   built — the work a real first invocation adds before any I/O). Median of several processes,
 *   wall time and CPU time (user + system of the process during that work: less sensitive to a
 *   machine loaded by other work, which the load average printed alongside shows). Target ≤ 300 ms.
 * Run alone: `node --import tsx bench/lambda.bench.ts [processes]`; `lambdaBenchMetrics()` gives the
 * same figures as `{ name, value, unit, baseline, ratio }` rows (baseline = the target).
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { ENV } from "../lambdas/config/names.ts";
import {
  ESM_REQUIRE_BANNER,
  HOUSE_ESBUILD_TARGET,
  HOUSE_RUNTIME_FILES,
  PROJECT_ROOT,
} from "../lib/house-function.ts";

/** Targets of issue 5. */
export const LAMBDA_TARGETS = { bundleBytes: 1024 * 1024, initMs: 300 } as const;

/** One measured figure, for `bench/run.ts`; `ratio` = value / baseline (≤ 1 meets a target). */
export interface BenchMetric {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline?: number;
  readonly ratio?: number;
}

/** One handler's figures. */
export interface LambdaBenchResult {
  readonly handler: string;
  readonly bundleBytes: number;
  readonly gzipBytes: number;
  /** Files copied beside the bundle and loaded on demand (count, raw and gzip bytes). */
  readonly runtimeFiles: { readonly count: number; readonly bytes: number; readonly gzipBytes: number };
  /** Median ms to import the bundle in a fresh process. */
  readonly importMs: number;
  /** Median CPU ms (user + system) of that import. */
  readonly importCpuMs: number;
  /** Median ms to import it and complete a first (empty) invocation. */
  readonly firstInvocationMs: number;
  /** Median CPU ms of import and first invocation. */
  readonly firstInvocationCpuMs: number;
  /** 1-minute load average when this handler was measured (the machine may be shared). */
  readonly loadAverage: number;
  /** Largest inputs of the bundle, for whoever wants to shrink it. */
  readonly largestInputs: readonly { readonly path: string; readonly bytes: number }[];
}

const HANDLERS = {
  ingest: { entry: "lambdas/handlers/ingest.ts", event: { Records: [] } },
  "customer-edits": {
    entry: "lambdas/handlers/customer-edits.ts",
    event: { id: "bench", "detail-type": "Security Hub Findings - Imported", detail: { findings: [] } },
  },
} as const;

/** A configuration that loads without any service (no call is made by an empty invocation). */
const BENCH_ENV: Record<string, string> = {
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "bench",
  AWS_SECRET_ACCESS_KEY: "bench",
  POWERTOOLS_LOG_LEVEL: "SILENT",
  POWERTOOLS_METRICS_DISABLED: "true",
  [ENV.tableName]: "shadow",
  [ENV.eventBusName]: "bus",
  [ENV.productArns]: "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default",
  [ENV.targets]: '[{"accountId":"123456789012","regions":["us-east-1"]}]',
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Runs `script` in a fresh Node process; it prints `<wall ms> <cpu ms>` last. */
function timeInFreshProcess(script: string, dir: string): { wallMs: number; cpuMs: number } {
  const file = join(dir, `probe-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, script);
  const result = spawnSync(process.execPath, [file], {
    env: { ...process.env, ...BENCH_ENV },
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`probe failed: ${result.stderr}`);
  const [wall, cpu] = (result.stdout.trim().split("\n").at(-1) ?? "").split(" ").map(Number);
  return { wallMs: wall ?? Number.NaN, cpuMs: cpu ?? Number.NaN };
}

/** Probe script: measures `body` (which may use `url`) in wall and CPU time. */
function probe(body: string): string {
  return `const c0 = process.cpuUsage(); const t = performance.now();
${body}
const c = process.cpuUsage(c0); console.log(\`\${performance.now() - t} \${(c.user + c.system) / 1000}\`);`;
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Bundles and measures every handler. */
export async function runLambdaBench(processes = 5): Promise<LambdaBenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), "shadowhub-lambda-bench-"));
  const results: LambdaBenchResult[] = [];
  try {
    for (const [name, { entry, event }] of Object.entries(HANDLERS)) {
      const outfile = join(dir, name, "index.mjs");
      const built = await build({
        entryPoints: [join(PROJECT_ROOT, entry)],
        bundle: true,
        platform: "node",
        format: "esm",
        target: HOUSE_ESBUILD_TARGET,
        minify: true,
        keepNames: true,
        sourcemap: false,
        mainFields: ["module", "main"],
        banner: { js: ESM_REQUIRE_BANNER },
        outfile,
        metafile: true,
        logLevel: "error",
      });
      // What the house function's afterBundling hook copies (it runs `cp`; same files).
      const runtimeFiles: string[] = [];
      for (const { from, to } of HOUSE_RUNTIME_FILES) {
        cpSync(join(PROJECT_ROOT, from), join(dir, name, to), { recursive: true });
        runtimeFiles.push(...filesUnder(join(dir, name, to)));
      }
      const runtimeBytes = runtimeFiles.map((file) => readFileSync(file));
      const bytes = readFileSync(outfile);
      const inputs = Object.values(built.metafile.outputs)[0]?.inputs ?? {};
      const largestInputs = Object.entries(inputs)
        .map(([path, info]) => ({ path, bytes: info.bytesInOutput }))
        .sort((a, b) => b.bytes - a.bytes)
        .slice(0, 5);
      const url = pathToFileURL(outfile).href;
      const importScript = probe(`await import(${JSON.stringify(url)});`);
      const invokeScript = probe(`const m = await import(${JSON.stringify(url)});
await m.handler(${JSON.stringify(event)}, { functionName: "bench", awsRequestId: "bench" });`);
      const imports: { wallMs: number; cpuMs: number }[] = [];
      const invocations: { wallMs: number; cpuMs: number }[] = [];
      for (let i = 0; i < processes; i++) {
        imports.push(timeInFreshProcess(importScript, dir));
        invocations.push(timeInFreshProcess(invokeScript, dir));
      }
      results.push({
        handler: name,
        bundleBytes: statSync(outfile).size,
        gzipBytes: gzipSync(bytes).length,
        runtimeFiles: {
          count: runtimeFiles.length,
          bytes: runtimeBytes.reduce((sum, b) => sum + b.length, 0),
          gzipBytes: runtimeBytes.reduce((sum, b) => sum + gzipSync(b).length, 0),
        },
        importMs: median(imports.map((m) => m.wallMs)),
        importCpuMs: median(imports.map((m) => m.cpuMs)),
        firstInvocationMs: median(invocations.map((m) => m.wallMs)),
        firstInvocationCpuMs: median(invocations.map((m) => m.cpuMs)),
        loadAverage: loadavg()[0] ?? Number.NaN,
        largestInputs,
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

/** The results as metric rows; size and init rows carry the target as baseline. */
export function toBenchMetrics(results: readonly LambdaBenchResult[]): BenchMetric[] {
  const rows: BenchMetric[] = [];
  const target = (name: string, value: number, unit: string, baseline: number): BenchMetric => ({
    name,
    value,
    unit,
    baseline,
    ratio: value / baseline,
  });
  for (const r of results) {
    const p = `lambda.${r.handler}`;
    rows.push(target(`${p}.bundle`, r.bundleBytes, "bytes", LAMBDA_TARGETS.bundleBytes));
    rows.push({ name: `${p}.bundle.gzip`, value: r.gzipBytes, unit: "bytes" });
    rows.push({ name: `${p}.lazy-files`, value: r.runtimeFiles.bytes, unit: "bytes" });
    rows.push({ name: `${p}.lazy-files.gzip`, value: r.runtimeFiles.gzipBytes, unit: "bytes" });
    rows.push(target(`${p}.init.import`, r.importMs, "ms", LAMBDA_TARGETS.initMs));
    rows.push(target(`${p}.init.import.cpu`, r.importCpuMs, "ms", LAMBDA_TARGETS.initMs));
    rows.push(target(`${p}.init.first-invocation`, r.firstInvocationMs, "ms", LAMBDA_TARGETS.initMs));
    rows.push(target(`${p}.init.first-invocation.cpu`, r.firstInvocationCpuMs, "ms", LAMBDA_TARGETS.initMs));
    rows.push({ name: `${p}.load-average`, value: r.loadAverage, unit: "load" });
  }
  return rows;
}

/** Bundles and measures every handler; the figures as metric rows. */
export async function lambdaBenchMetrics(processes = 5): Promise<BenchMetric[]> {
  return toBenchMetrics(await runLambdaBench(processes));
}

/** Prints the results as a table with the targets. */
export function formatLambdaBench(results: readonly LambdaBenchResult[]): string {
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MB`;
  const ms = (n: number) => `${n.toFixed(0)} ms`;
  const lines = [
    "handler          bundle     gzip  import (cpu)  first call (cpu)  load   (targets: bundle ≤ 1 MB, init ≤ 300 ms)",
  ];
  for (const r of results) {
    lines.push(
      `${r.handler.padEnd(16)} ${mb(r.bundleBytes).padStart(8)} ${mb(r.gzipBytes).padStart(8)} ${ms(r.importMs).padStart(7)} (${ms(r.importCpuMs)}) ${ms(r.firstInvocationMs).padStart(8)} (${ms(r.firstInvocationCpuMs)}) ${r.loadAverage.toFixed(1).padStart(5)}  ${r.bundleBytes <= LAMBDA_TARGETS.bundleBytes ? "size ok" : "SIZE OVER"} ${r.firstInvocationMs <= LAMBDA_TARGETS.initMs ? "init ok" : "INIT OVER"}`,
    );
    lines.push(
      `    + ${r.runtimeFiles.count} files loaded on demand beside it: ${mb(r.runtimeFiles.bytes)} (${mb(r.runtimeFiles.gzipBytes)} gzip)`,
    );
    for (const input of r.largestInputs)
      lines.push(`    ${(input.bytes / 1024).toFixed(0).padStart(6)} KB  ${input.path}`);
  }
  return lines.join("\n");
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const processes = Number(process.argv[2] ?? 5);
  console.log(formatLambdaBench(await runLambdaBench(processes)));
}
