/**
 * Benchmark: a synthetic SARIF log with 100,000 results → parse (JSON) + normalize (SARIF parser)
 * + finalize and validate (ASFF). Prints findings/s, peak RSS and `JSON.parse` of the same text in
 * the same run as the floor. Targets (issue 3): ≥ 50,000 findings/s on one core; ≤ 5× JSON.parse.
 * Run alone: `node --import tsx bench/sarif.bench.ts [results]`.
 */
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import type { ConversionContext } from "../lambdas/core/parsers/contracts.ts";
import { finalizeDrafts } from "../lambdas/core/parsers/finalize.ts";
import { parseSarif } from "../lambdas/core/parsers/sarif.ts";

/** What one benchmark run measured. */
export interface SarifBenchResult {
  readonly results: number;
  readonly findings: number;
  readonly bytes: number;
  readonly jsonParseMs: number;
  readonly totalMs: number;
  readonly findingsPerSecond: number;
  readonly ratioToJsonParse: number;
  readonly peakRssMb: number;
}

const CONTEXT: ConversionContext = {
  accountId: "123456789012",
  region: "us-east-1",
  partition: "aws",
  productArn: "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default",
  nowMs: Date.UTC(2025, 0, 1),
};

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

/** Runs the benchmark once on `count` results. */
export function runSarifBench(count = 100_000): SarifBenchResult {
  const text = syntheticSarif(count);
  let peakRss = process.memoryUsage().rss;
  const sample = (): void => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  };
  const timer = setInterval(sample, 20);
  try {
    let start = performance.now();
    JSON.parse(text);
    const jsonParseMs = performance.now() - start;
    sample();

    start = performance.now();
    const document: unknown = JSON.parse(text);
    const parsed = parseSarif(document, { source: "bench.sarif", conversion: CONTEXT });
    sample();
    const { findings, failures } = finalizeDrafts(parsed.drafts, CONTEXT, {
      source: "bench.sarif",
      format: "sarif",
    });
    const totalMs = performance.now() - start;
    sample();
    if (failures.length > 0 || parsed.failures.length > 0) {
      throw new Error(
        `benchmark input produced failures: ${JSON.stringify([...parsed.failures, ...failures].slice(0, 3))}`,
      );
    }
    return {
      results: count,
      findings: findings.length,
      bytes: Buffer.byteLength(text),
      jsonParseMs,
      totalMs,
      findingsPerSecond: findings.length / (totalMs / 1000),
      ratioToJsonParse: totalMs / jsonParseMs,
      peakRssMb: peakRss / (1024 * 1024),
    };
  } finally {
    clearInterval(timer);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const count = Number(process.argv[2] ?? 100_000);
  const r = runSarifBench(count);
  console.log(
    [
      `sarif bench: ${r.results} results, ${(r.bytes / 1024 / 1024).toFixed(1)} MB`,
      `  JSON.parse floor: ${r.jsonParseMs.toFixed(0)} ms`,
      `  parse + normalize + validate: ${r.totalMs.toFixed(0)} ms (${r.ratioToJsonParse.toFixed(1)}× JSON.parse; target ≤ 5×)`,
      `  ${r.findings} findings, ${Math.round(r.findingsPerSecond)} findings/s (target ≥ 50,000)`,
      `  peak RSS: ${r.peakRssMb.toFixed(0)} MB`,
    ].join("\n"),
  );
}
