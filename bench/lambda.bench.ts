/**
 * Benchmark of the Lambda bundles (issue 5): for each handler, bundle it with esbuild exactly as
 * the house function construct does (ESM, node22, minified, AWS SDK clients bundled, the
 * `require` banner), then report
 * - the bundle size (raw and gzip; Lambda's limit applies to the zip). Target ≤ 1 MB.
 * - the cold-start init time: a fresh Node process imports the bundle (Lambda's init phase), and
 *   separately imports it and serves a first, empty invocation (configuration loaded, clients
 *   built — the work a real first invocation adds before any I/O). Median of several processes.
 *   Target ≤ 300 ms.
 * Run alone: `node --import tsx bench/lambda.bench.ts [processes]`.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { ENV } from "../lambdas/config/names.ts";
import { ESM_REQUIRE_BANNER, HOUSE_ESBUILD_TARGET, PROJECT_ROOT } from "../lib/house-function.ts";

/** One handler's figures. */
export interface LambdaBenchResult {
  readonly handler: string;
  readonly bundleBytes: number;
  readonly gzipBytes: number;
  /** Median ms to import the bundle in a fresh process. */
  readonly importMs: number;
  /** Median ms to import it and complete a first (empty) invocation. */
  readonly firstInvocationMs: number;
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

/** Runs `script` in a fresh Node process and returns the number it prints. */
function timeInFreshProcess(script: string, dir: string): number {
  const file = join(dir, `probe-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, script);
  const result = spawnSync(process.execPath, [file], {
    env: { ...process.env, ...BENCH_ENV },
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`probe failed: ${result.stderr}`);
  return Number(result.stdout.trim().split("\n").at(-1));
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
        sourcemap: false,
        mainFields: ["module", "main"],
        banner: { js: ESM_REQUIRE_BANNER },
        outfile,
        metafile: true,
        logLevel: "error",
      });
      const bytes = readFileSync(outfile);
      const inputs = Object.values(built.metafile.outputs)[0]?.inputs ?? {};
      const largestInputs = Object.entries(inputs)
        .map(([path, info]) => ({ path, bytes: info.bytesInOutput }))
        .sort((a, b) => b.bytes - a.bytes)
        .slice(0, 5);
      const url = pathToFileURL(outfile).href;
      const importScript = `const t = performance.now(); await import(${JSON.stringify(url)}); console.log(performance.now() - t);`;
      const invokeScript = `const t = performance.now(); const m = await import(${JSON.stringify(url)});
await m.handler(${JSON.stringify(event)}, { functionName: "bench", awsRequestId: "bench" }); console.log(performance.now() - t);`;
      const importTimes: number[] = [];
      const invokeTimes: number[] = [];
      for (let i = 0; i < processes; i++) {
        importTimes.push(timeInFreshProcess(importScript, dir));
        invokeTimes.push(timeInFreshProcess(invokeScript, dir));
      }
      results.push({
        handler: name,
        bundleBytes: statSync(outfile).size,
        gzipBytes: gzipSync(bytes).length,
        importMs: median(importTimes),
        firstInvocationMs: median(invokeTimes),
        largestInputs,
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

/** Prints the results as a table with the targets. */
export function formatLambdaBench(results: readonly LambdaBenchResult[]): string {
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MB`;
  const lines = [
    "handler          bundle     gzip      import   first call  (targets: bundle ≤ 1 MB, init ≤ 300 ms)",
  ];
  for (const r of results) {
    lines.push(
      `${r.handler.padEnd(16)} ${mb(r.bundleBytes).padStart(8)} ${mb(r.gzipBytes).padStart(8)} ${`${r.importMs.toFixed(0)} ms`.padStart(8)} ${`${r.firstInvocationMs.toFixed(0)} ms`.padStart(10)}  ${r.bundleBytes <= 1024 * 1024 ? "size ok" : "SIZE OVER"} ${r.firstInvocationMs <= 300 ? "init ok" : "INIT OVER"}`,
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
