/**
 * Benchmark: a synthetic SARIF log with 100,000 results (a CodeQL-like run with 200 rules over 5,000
 * files) → the whole conversion from the log's bytes (the log is read result by result: one
 * validating scan, detection, each result decoded and `JSON.parse`d as the SARIF parser reaches it;
 * then finalize and ASFF validation), with `JSON.parse` of the whole text in the same process as
 * the floor. The harness, the two measured paths (`batches`: streamed
 * `convertReportBatches`; `whole`: `convertReport`) and the printed figures are those of
 * `bench/parsers.bench.ts`. Targets (issue 3): ≥ 50,000 findings/s on one core; ≤ 5× JSON.parse.
 *
 * Run alone: `node --import tsx bench/sarif.bench.ts [results]`.
 * `sarifBenchMetrics()` returns the figures as `BenchMetric` rows for `bench/run.ts`.
 */
import { pathToFileURL } from "node:url";
import type { BenchMetric } from "./lambda.bench.ts";
import {
  type ConversionFigures,
  conversionMetrics,
  formatConversion,
  measureConversion,
} from "./parsers.bench.ts";

/** A SARIF log shaped like a real CodeQL/Semgrep run: 200 rules, `count` results over 5,000 files. */
export function syntheticSarif(count: number): string {
  const rules = Array.from({ length: 200 }, (_, i) => ({
    id: `bench/rule-${i}`,
    name: `bench/rule-${i}`,
    shortDescription: { text: `Synthetic rule ${i}: unsanitized input reaches a sink` },
    fullDescription: { text: "User-controlled data flows into a dangerous function without validation." },
    defaultConfiguration: { level: i % 3 === 0 ? "error" : "warning" },
    help: { text: "Validate or encode the value before use.", markdown: "**Validate** the value." },
    helpUri: `https://example.com/rules/${i}`,
    properties: {
      tags: ["security", `external/cwe/cwe-${79 + (i % 20)}`],
      "security-severity": String((i % 100) / 10),
      precision: "high",
    },
  }));
  const results = Array.from({ length: count }, (_, i) => ({
    ruleId: `bench/rule-${i % 200}`,
    ruleIndex: i % 200,
    message: {
      text: `Value from [user input](1) reaches sink {0} in call ${i}.`,
      arguments: [`sink${i % 7}`],
    },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: `src/module-${i % 5000}/file.ts`, uriBaseId: "%SRCROOT%" },
          region: {
            startLine: 1 + (i % 400),
            startColumn: 5,
            endColumn: 40,
            snippet: { text: "const x = input;" },
          },
        },
      },
    ],
    partialFingerprints: { primaryLocationLineHash: `${(i * 2654435761) % 4294967296}:1` },
  }));
  return JSON.stringify({
    version: "2.1.0",
    runs: [{ tool: { driver: { name: "CodeQL", semanticVersion: "2.20.0", rules } }, results }],
  });
}

/** Measures the SARIF conversion of `count` results along both paths. */
export function runSarifBench(count = 100_000): ConversionFigures[] {
  return measureConversion("sarif", count, syntheticSarif(count), syntheticSarif(2_000));
}

/** `runSarifBench` as `BenchMetric` rows, for `bench/run.ts`. */
export async function sarifBenchMetrics(count = 100_000): Promise<BenchMetric[]> {
  return conversionMetrics(runSarifBench(count));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const count = Number(process.argv[2] ?? 100_000);
  console.log(formatConversion(`SARIF → ASFF (${count.toLocaleString("en")} results)`, runSarifBench(count)));
}
