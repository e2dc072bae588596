/**
 * The local hub's write path alone: BatchImportFindings of N findings (default 100,000) in calls
 * of 100 into an in-process `LocalHub` on a fresh SQLite file, without HTTP or the SDK. Prints the
 * CPU time spent inside the hub calls (per finding, and per call in each tenth of the run, to show
 * whether it stays flat as the store grows) next to wall time. CPU, because the build machine is
 * shared and wall time mostly measures the wait for a core.
 *
 * Run: `node --import tsx bench/local-hub-import.bench.ts [N] [--wal-frames]`; profile with
 * `node --import tsx --cpu-prof --cpu-prof-dir=DIR bench/local-hub-import.bench.ts`. For
 * `bench/run.ts`: `localHubImportBenchMetrics(findings)`, the CPU per finding of the first tenth as
 * the baseline of the last tenth's (flat import rate as the store grows: ratio ≈ 1).
 *
 * `--wal-frames` counts the pages each commit writes (WAL frames) by tenth: the checkpoint worker
 * is off and a second connection checkpoints after every call (PASSIVE, outside the measured CPU;
 * it never resets the hub connection's page cache), reading the frame count the checkpoint
 * reports. Every dirty page is one frame, so this shows how many distinct B-tree pages a call of
 * 100 findings touches as the store grows.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { PerformanceObserver, performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { openLocalHub } from "../lambdas/adapters/local-hub/local-hub.ts";
import { SqliteHubRepository } from "../lambdas/adapters/local-hub/sqlite-repository.ts";
import type { BenchMetric } from "./lambda.bench.ts";
import { BENCH_ACCOUNT, BENCH_REGION, syntheticFinding } from "./serve.bench.ts";

/**
 * Runs the benchmark (printing its report) and returns its figures: CPU µs per finding inside the
 * hub for the whole run and for the last tenth, with the first tenth's as the last tenth's
 * baseline, and the wall-clock import rate.
 */
export async function localHubImportBenchMetrics(
  total = 100_000,
  options: { readonly walFrames?: boolean } = {},
): Promise<BenchMetric[]> {
  if (!Number.isInteger(total) || total < 1000 || total % 1000 !== 0) {
    throw new Error(`findings: a multiple of 1,000, got ${total}`);
  }
  const dir = await mkdtemp(join(tmpdir(), "shadowhub-local-hub-bench-"));
  const clock = { now: () => Date.UTC(2026, 0, 10) };
  const file = join(dir, "local-hub.sqlite");
  const hub = await openLocalHub(
    options.walFrames === true
      ? { repository: new SqliteHubRepository({ file, checkpointWorker: false }), clock }
      : { stateDir: dir, clock },
  );
  const Database = createRequire(import.meta.url)("better-sqlite3") as typeof import("better-sqlite3");
  const checkpointer = options.walFrames === true ? new Database(file) : undefined;
  let frames = 0;
  const frameTenths: number[] = [];
  const caller = { accountId: BENCH_ACCOUNT, region: BENCH_REGION };
  const perTenth = total / 10;
  const tenths: number[] = [];
  // Garbage-collection pauses of the main thread, summed per tenth (a pause is wall time the
  // calls wait, whatever its CPU).
  let gcMs = 0;
  const gcTenths: number[] = [];
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  });
  gc.observe({ entryTypes: ["gc"] });
  let hubCpuUs = 0;
  let tenthStartUs = 0;
  const started = performance.now();
  const processCpu = process.cpuUsage();
  try {
    for (let first = 0; first < total; first += 100) {
      const findings = Array.from({ length: 100 }, (_, j) => syntheticFinding(first + j));
      // What the caller knows and passes, as the import pipeline's local sink does (its batcher
      // measured each finding): the body's size and the largest finding's, which spares the hub
      // its own per-finding 240 KB check (serve passes a bound read from the request body). It is
      // not the hub's work.
      const findingBytesBound = Math.max(...findings.map((f) => Buffer.byteLength(JSON.stringify(f))));
      const body = { Findings: findings };
      const requestBytes = Buffer.byteLength(JSON.stringify(body));
      const before = process.cpuUsage();
      const response = await hub.batchImportFindings(body, caller, { requestBytes, findingBytesBound });
      const spent = process.cpuUsage(before);
      hubCpuUs += spent.user + spent.system;
      if (response.FailedCount !== 0)
        throw new Error(`import failed: ${JSON.stringify(response.FailedFindings?.[0])}`);
      if (checkpointer !== undefined) {
        const [result] = checkpointer.pragma("wal_checkpoint(PASSIVE)") as { busy: number; log: number }[];
        frames += result?.log ?? 0;
      }
      if ((first + 100) % perTenth === 0) {
        tenths.push((hubCpuUs - tenthStartUs) / 1000 / (perTenth / 100));
        // Observer callbacks run as tasks; the calls above only yield to microtasks.
        await new Promise((resolve) => setImmediate(resolve));
        gcTenths.push(gcMs / (perTenth / 100));
        gcMs = 0;
        tenthStartUs = hubCpuUs;
        frameTenths.push(frames / (perTenth / 100));
        frames = 0;
      }
    }
  } finally {
    gc.disconnect();
    checkpointer?.close();
    await hub.close();
  }
  const wallMs = performance.now() - started;
  const processUsed = process.cpuUsage(processCpu);
  const processCpuUs = processUsed.user + processUsed.system;
  await rm(dir, { recursive: true, force: true });
  process.stdout.write(
    `local hub (SQLite) import of ${total} findings in ${total / 100} calls: ${(hubCpuUs / total).toFixed(1)} µs of CPU per finding inside the hub (${(hubCpuUs / 1000 / (total / 100)).toFixed(1)} ms per call), wall ${(wallMs / 1000).toFixed(1)} s including building the requests, load average ${loadavg()[0]?.toFixed(1)}\n` +
      `CPU per call by tenth: ${tenths.map((v) => v.toFixed(1)).join(", ")} ms (last ÷ first ${((tenths.at(-1) ?? 0) / (tenths[0] ?? 1)).toFixed(2)})\n` +
      `GC pauses per call by tenth: ${gcTenths.map((v) => v.toFixed(2)).join(", ")} ms\n` +
      (checkpointer === undefined
        ? ""
        : `WAL frames (pages written) per commit by tenth: ${frameTenths.map((v) => v.toFixed(0)).join(", ")} (checkpoint worker off)\n`) +
      `whole process, close included: ${(processCpuUs / total).toFixed(1)} µs of CPU per finding (${(processUsed.system / total).toFixed(1)} µs system), with building the requests and the WAL checkpoint worker (which runs beside the calls, so only part of its CPU falls inside them)\n`,
  );
  const perFinding = (msPerCall: number | undefined) => ((msPerCall ?? Number.NaN) * 1000) / 100;
  const firstTenth = perFinding(tenths[0]);
  const lastTenth = perFinding(tenths.at(-1));
  return [
    { name: "localHubImport.cpu", value: hubCpuUs / total, unit: "µs/finding" },
    {
      name: "localHubImport.lastTenth.cpu",
      value: lastTenth,
      unit: "µs/finding",
      baseline: Number(firstTenth.toFixed(2)),
      ratio: lastTenth / firstTenth,
    },
    { name: "localHubImport.processCpu", value: processCpuUs / total, unit: "µs/finding" },
    { name: "localHubImport.wall", value: Math.round((total * 1000) / wallMs), unit: "findings/s" },
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const count = args.find((a) => !a.startsWith("--"));
  await localHubImportBenchMetrics(Number(count ?? 100_000), { walFrames: args.includes("--wal-frames") });
}
