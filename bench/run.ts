/**
 * `npm run bench`: every benchmark of the project in one run. Each benchmark measures its own
 * baseline in the same run (JSON.parse for the parsers, moto_server for serve, a naive
 * send-everything importer for the pipeline, the in-memory store for the shadow stores, the
 * commit without the stored finding for the last sent finding, the first tenth for the local
 * hub's import, the size/time budgets for the Lambdas) and every
 * figure is printed as `name: value unit (ratio vs baseline)`. The results are written to
 * `docs/benchmarks.md` with the machine they were measured on.
 *
 * Options: `--only NAME[,NAME]` runs a subset (names below); `--no-write` leaves the docs alone.
 */
import { writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import type { BenchMetric } from "./lambda.bench.ts";

/** One benchmark of the suite. */
interface SuiteEntry {
  /** Short name for `--only`. */
  readonly name: string;
  /** What it measures and against what, for the report. */
  readonly title: string;
  /** The targets set by the issues, verbatim in spirit, for the report. */
  readonly targets: readonly string[];
  readonly run: () => Promise<BenchMetric[]>;
}

const SUITE: readonly SuiteEntry[] = [
  {
    name: "validator",
    title: "ASFF validator: findings/s and cold start of the precompiled validators",
    targets: [
      "validation on the hot path of parsers and the emulator: ≥ 50,000 findings/s on typical findings",
    ],
    run: async () => (await import("./validator.bench.ts")).validatorBenchMetrics(),
  },
  {
    name: "parsers",
    title: "Trivy report with 100,000 vulnerabilities: parse + normalize + validate vs JSON.parse",
    targets: ["≥ 50,000 findings/s on one core", "≤ 5× the JSON.parse time of the same file"],
    run: async () => (await import("./parsers.bench.ts")).parsersBenchMetrics(),
  },
  {
    name: "sarif",
    title: "SARIF log with 100,000 results: parse + normalize + validate vs JSON.parse",
    targets: ["≥ 50,000 findings/s on one core", "≤ 5× the JSON.parse time of the same file"],
    run: async () => (await import("./sarif.bench.ts")).sarifBenchMetrics(),
  },
  {
    name: "serve",
    title:
      "serve: 100,000 findings in 1,000 BatchImportFindings calls, 1,000 filtered GetFindings, vs moto_server",
    targets: [
      "≥ 20× moto at 50,000 stored findings",
      "import rate flat as the store grows",
      "filtered GetFindings p99 ≤ 20 ms at 100,000 stored",
      "≤ 300 MB RSS",
    ],
    run: async () => (await import("./serve.bench.ts")).serveBenchMetrics(),
  },
  {
    name: "import",
    title: "import pipeline into the local default vs a naive importer (every finding sent every run)",
    targets: [
      "100,000 findings (1,000 full batches), quota off: ≥ 10,000 findings/s end to end",
      "re-import of the same 100,000 unchanged: ≥ 50,000 findings/s with 0 API calls",
      "quota on: calls/s ÷ 10 ≥ 0.95",
    ],
    run: async () => (await import("./import.bench.ts")).importBenchMetrics(),
  },
  {
    name: "stores",
    title:
      "shadow stores: records/s for commit, getMany, conflicting re-commit and listActiveInScope (100,000 records), SQLite vs the in-memory store",
    targets: [
      "no target of its own: supports issue 4's first-import (≥ 10,000 findings/s) and re-import (≥ 50,000 findings/s) targets, the shadow being on both paths",
    ],
    run: async () => (await import("./stores.bench.ts")).storesBenchMetrics(),
  },
  {
    name: "last-finding",
    title:
      "last sent finding kept in the SQLite shadow: CPU per finding of commit/getMany/list with it vs without it (20,000 Trivy findings), codec vs JSON.stringify",
    targets: [
      "no target of its own: its cost is part of issue 4's first-import target (≥ 10,000 findings/s end to end)",
    ],
    run: async () => (await import("./last-finding.bench.ts")).lastFindingBenchMetrics(),
  },
  {
    name: "local-hub-import",
    title:
      "local hub write path alone: BatchImportFindings of 100,000 findings in calls of 100, CPU inside the hub, last tenth vs first tenth",
    targets: [
      "import rate flat as the store grows (issue 2): last tenth ÷ first tenth ≈ 1",
      "supports issue 4's first-import target (≥ 10,000 findings/s end to end)",
    ],
    run: async () => (await import("./local-hub-import.bench.ts")).localHubImportBenchMetrics(),
  },
  {
    name: "lambda",
    title: "Lambda bundles: size with the SDK clients bundled, cold-start init in a fresh Node process",
    targets: ["≤ 1 MB per bundle", "≤ 300 ms init"],
    run: async () => (await import("./lambda.bench.ts")).lambdaBenchMetrics(),
  },
];

/** `name: value unit (ratio vs baseline)`, the suite's one line per figure. */
export function formatMetric(m: BenchMetric): string {
  const value = Number.isInteger(m.value) ? String(m.value) : m.value.toFixed(m.value < 10 ? 3 : 1);
  const ratio =
    m.ratio === undefined
      ? ""
      : ` (${m.ratio.toFixed(m.ratio < 10 ? 2 : 1)}× vs baseline${m.baseline === undefined ? "" : ` ${m.baseline}`})`;
  return `${m.name}: ${value} ${m.unit}${ratio}`;
}

interface EntryResult {
  readonly entry: SuiteEntry;
  readonly metrics: BenchMetric[];
  readonly error?: string;
  readonly seconds: number;
}

function machineLine(): string {
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  return `${cpu}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
}

function markdown(results: readonly EntryResult[], startedAt: Date, load: readonly number[]): string {
  const lines = [
    "# Benchmarks",
    "",
    "Written by `npm run bench` (`bench/run.ts`); every ratio is against a baseline measured in the same run.",
    "",
    `- Date: ${startedAt.toISOString()}`,
    `- Machine: ${machineLine()}`,
    `- Load average at start: ${load.map((l) => l.toFixed(2)).join(", ")} (other work on the machine inflates wall-clock figures; CPU-time figures are printed where a benchmark measures them)`,
    "",
  ];
  for (const r of results) {
    lines.push(`## ${r.entry.name}: ${r.entry.title}`, "", `Targets: ${r.entry.targets.join("; ")}.`, "");
    if (r.error !== undefined) {
      lines.push(`**Failed to run:** ${r.error}`, "");
      continue;
    }
    lines.push("| figure | value | unit | baseline | ratio |", "| --- | ---: | --- | ---: | ---: |");
    for (const m of r.metrics) {
      const value = Number.isInteger(m.value) ? String(m.value) : m.value.toFixed(2);
      lines.push(
        `| ${m.name} | ${value} | ${m.unit} | ${m.baseline ?? ""} | ${m.ratio === undefined ? "" : m.ratio.toFixed(2)} |`,
      );
    }
    lines.push("", `(${r.seconds.toFixed(0)} s)`, "");
  }
  return `${lines.join("\n")}\n`;
}

async function main(): Promise<number> {
  const onlyIndex = process.argv.indexOf("--only");
  const only = onlyIndex >= 0 ? new Set((process.argv[onlyIndex + 1] ?? "").split(",")) : undefined;
  const entries = SUITE.filter((e) => only === undefined || only.has(e.name));
  if (entries.length === 0) {
    console.error(`bench: nothing selected; names: ${SUITE.map((e) => e.name).join(", ")}`);
    return 2;
  }
  const startedAt = new Date();
  const load = loadavg();
  console.log(`bench: ${machineLine()}; load ${load.map((l) => l.toFixed(2)).join(" ")}`);
  const results: EntryResult[] = [];
  for (const entry of entries) {
    console.log(`\n== ${entry.name}: ${entry.title}`);
    const t0 = process.hrtime.bigint();
    try {
      const metrics = await entry.run();
      for (const m of metrics) console.log(formatMetric(m));
      results.push({ entry, metrics, seconds: Number(process.hrtime.bigint() - t0) / 1e9 });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      console.error(`${entry.name}: failed: ${message}`);
      results.push({
        entry,
        metrics: [],
        error: message,
        seconds: Number(process.hrtime.bigint() - t0) / 1e9,
      });
    }
  }
  if (!process.argv.includes("--no-write")) {
    const path = join(import.meta.dirname, "..", "docs", "benchmarks.md");
    writeFileSync(path, markdown(results, startedAt, load));
    console.log(`\nbench: wrote ${path}`);
  }
  return results.some((r) => r.error !== undefined) ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main();
}
