/**
 * Benchmark: a synthetic Trivy JSON report with 100,000 vulnerabilities → the whole conversion
 * path (`convertReport`: UTF-8 decode, JSON.parse, depth/`__proto__` inspection, detection, Trivy
 * parser, finalize with fit-to-limits, size check and ASFF validation). Prints findings/s, peak RSS
 * and `JSON.parse` of the same bytes in the same run as the floor.
 * Targets (issue 3): ≥ 50,000 findings/s on one core; ≤ 5× the JSON.parse time.
 * Run alone: `node --import tsx bench/parsers.bench.ts [vulnerabilities]`.
 */
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { buildConversionContext } from "../lambdas/core/parsers/context.ts";
import { convertReport } from "../lambdas/core/parsers/convert.ts";

/** What one run measured. */
export interface ParsersBenchResult {
  readonly vulnerabilities: number;
  readonly findings: number;
  readonly bytes: number;
  /** Fastest of three `JSON.parse` runs of the same text (wall clock). */
  readonly jsonParseMs: number;
  /** CPU time (user + system) of that fastest `JSON.parse`. */
  readonly jsonParseCpuMs: number;
  readonly totalMs: number;
  /** CPU time (user + system) of the conversion: robust when other processes share the cores. */
  readonly totalCpuMs: number;
  readonly findingsPerSecond: number;
  /** Findings per CPU second: the "one core" figure. */
  readonly findingsPerCpuSecond: number;
  readonly cpuRatioToJsonParse: number;
  readonly ratioToJsonParse: number;
  readonly peakRssMb: number;
}

/**
 * A Trivy image report shaped like a real one: 100 results (lock files and the OS), `count`
 * vulnerabilities spread over 2,000 packages, with CVSS, references and 300-600 character texts.
 */
export function syntheticTrivyReport(count: number): Uint8Array {
  const perResult = Math.ceil(count / 100);
  const results = Array.from({ length: 100 }, (_, r) => ({
    Target: r === 0 ? "registry.example.com/shop/api:1.4 (debian 12.5)" : `app/module-${r}/package-lock.json`,
    Class: r === 0 ? "os-pkgs" : "lang-pkgs",
    Type: r === 0 ? "debian" : "npm",
    Vulnerabilities: Array.from({ length: Math.min(perResult, count - r * perResult) }, (_, j) => {
      const i = r * perResult + j;
      return {
        VulnerabilityID: `CVE-2024-${String(10000 + (i % 20000)).padStart(5, "0")}`,
        PkgID: `pkg-${i % 2000}@1.${i % 10}.0`,
        PkgName: `pkg-${i % 2000}`,
        PkgPath: r === 0 ? undefined : `app/module-${r}/node_modules/pkg-${i % 2000}/package.json`,
        InstalledVersion: `1.${i % 10}.0`,
        FixedVersion: i % 3 === 0 ? "" : `1.${i % 10}.1`,
        Status: i % 3 === 0 ? "affected" : "fixed",
        Layer: { DiffID: `sha256:${(i % 7).toString(16).repeat(64)}` },
        SeveritySource: "nvd",
        PrimaryURL: `https://avd.aquasec.com/nvd/cve-2024-${i}`,
        DataSource: {
          ID: "ghsa",
          Name: "GitHub Security Advisory npm",
          URL: "https://github.com/advisories",
        },
        Title: `pkg-${i % 2000}: prototype pollution in merge() allows property injection (${i})`,
        Description:
          "A prototype pollution vulnerability in the merge function allows an attacker who controls the input object to add or modify properties of Object.prototype, which can lead to denial of service or, depending on the application, remote code execution. ".repeat(
            1 + (i % 2),
          ),
        Severity: ["LOW", "MEDIUM", "HIGH", "CRITICAL", "UNKNOWN"][i % 5],
        CweIDs: ["CWE-1321"],
        CVSS: { nvd: { V3Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", V3Score: 9.8 } },
        References: Array.from({ length: 4 }, (_, k) => `https://example.com/advisories/${i}/${k}`),
        PublishedDate: "2024-01-15T10:15:00Z",
        LastModifiedDate: "2024-02-01T08:00:00Z",
      };
    }),
  }));
  return new TextEncoder().encode(
    JSON.stringify({
      SchemaVersion: 2,
      CreatedAt: "2024-03-01T12:00:00.123456789Z",
      ArtifactName: "registry.example.com/shop/api:1.4",
      ArtifactType: "container_image",
      Metadata: { OS: { Family: "debian", Name: "12.5" }, ImageID: `sha256:${"a".repeat(64)}` },
      Results: results,
    }),
  );
}

/** Runs the benchmark once on `count` vulnerabilities. */
export function runParsersBench(count = 100_000): ParsersBenchResult {
  const bytes = syntheticTrivyReport(count);
  const ctx = buildConversionContext({
    accountId: "123456789012",
    region: "us-east-1",
    nowMs: Date.UTC(2025, 0, 1),
  });
  // Warm up the validator's compiled schema and the JIT on a small report first.
  convertReport({ source: "warmup.json", content: syntheticTrivyReport(2_000) }, ctx);

  const text = new TextDecoder().decode(bytes);
  let jsonParseMs = Number.POSITIVE_INFINITY;
  let jsonParseCpuMs = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const cpu = process.cpuUsage();
    const t = performance.now();
    JSON.parse(text);
    jsonParseMs = Math.min(jsonParseMs, performance.now() - t);
    const used = process.cpuUsage(cpu);
    jsonParseCpuMs = Math.min(jsonParseCpuMs, (used.user + used.system) / 1000);
  }

  const cpu = process.cpuUsage();
  const start = performance.now();
  const result = convertReport({ source: "bench.json", content: bytes }, ctx);
  const totalMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  const totalCpuMs = (used.user + used.system) / 1000;
  if (result.failures.length > 0) {
    throw new Error(`benchmark input produced failures: ${JSON.stringify(result.failures.slice(0, 3))}`);
  }
  return {
    vulnerabilities: count,
    findings: result.findings.length,
    bytes: bytes.byteLength,
    jsonParseMs,
    jsonParseCpuMs,
    totalMs,
    totalCpuMs,
    findingsPerSecond: result.findings.length / (totalMs / 1000),
    findingsPerCpuSecond: result.findings.length / (totalCpuMs / 1000),
    ratioToJsonParse: totalMs / jsonParseMs,
    cpuRatioToJsonParse: totalCpuMs / jsonParseCpuMs,
    // maxRSS is the process's true peak (kilobytes), not a sample.
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
}

/** Prints one run as a small table. */
export function printParsersBench(r: ParsersBenchResult): void {
  const lines = [
    `Trivy → ASFF (${r.vulnerabilities.toLocaleString("en")} vulnerabilities, ${(r.bytes / 1048576).toFixed(1)} MiB)`,
    `  findings            ${r.findings.toLocaleString("en")}`,
    "                      wall          CPU (user+sys)",
    `  JSON.parse (floor)  ${r.jsonParseMs.toFixed(0).padStart(6)} ms     ${r.jsonParseCpuMs.toFixed(0).padStart(6)} ms`,
    `  convertReport       ${r.totalMs.toFixed(0).padStart(6)} ms     ${r.totalCpuMs.toFixed(0).padStart(6)} ms`,
    `  × JSON.parse        ${r.ratioToJsonParse.toFixed(2).padStart(6)}        ${r.cpuRatioToJsonParse.toFixed(2).padStart(6)}      (target ≤ 5×)`,
    `  findings/s          ${Math.round(r.findingsPerSecond).toLocaleString("en").padStart(9)}  ${Math.round(r.findingsPerCpuSecond).toLocaleString("en").padStart(9)}   (target ≥ 50,000 on one core)`,
    `  peak RSS            ${r.peakRssMb.toFixed(0)} MiB`,
  ];
  console.log(lines.join("\n"));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const count = Number(process.argv[2] ?? 100_000);
  printParsersBench(runParsersBench(count));
}
