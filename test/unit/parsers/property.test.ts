/**
 * Property tests (fast-check) for the Trivy and Grype parsers and the finalizer: whatever a
 * parser accepts yields valid ASFF; Ids depend only on the stable inputs, not on order; two
 * findings of one report share an Id only when they describe the same issue.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { validateFinding } from "../../../lambdas/core/asff/validate.ts";
import { convertReport } from "../../../lambdas/core/parsers/convert.ts";
import { fixedContext } from "./helpers.ts";

const ctx = fixedContext({ scope: "prop" });
const RUNS = { numRuns: 60 };

// Text with the characters that break naive converters: controls, ANSI, HTML, quotes, emoji.
const messyText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.constantFrom(
    "\u001b[31mred\u001b[0m",
    "<b>x</b>",
    '"q"\\',
    "😀".repeat(300),
    "a\u0000b",
    " ",
    "",
    "x".repeat(2000),
  ),
);
const severity = fc.constantFrom("UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL", "weird", undefined);
const vulnId = fc.oneof(
  fc.constantFrom("CVE-2024-0001", "CVE-2024-0002", "GHSA-xxxx-yyyy"),
  fc.string({ minLength: 1, maxLength: 20 }),
);
const pkgName = fc.constantFrom("openssl", "lodash", "zlib", "constructor", "__proto__");
const pkgPath = fc.option(fc.constantFrom("a/node_modules/x", "b/node_modules/x", "/usr/lib/x"), {
  nil: undefined,
});

const trivyVuln = fc.record({
  VulnerabilityID: vulnId,
  PkgName: pkgName,
  PkgPath: pkgPath,
  InstalledVersion: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
  FixedVersion: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
  Severity: severity,
  Title: fc.option(messyText, { nil: undefined }),
  Description: fc.option(messyText, { nil: undefined }),
  References: fc.array(fc.webUrl(), { maxLength: 5 }),
  CVSS: fc.option(
    fc.record({
      nvd: fc.record({
        V3Score: fc.double({ min: 0, max: 10, noNaN: true }),
        V3Vector: fc.constant("CVSS:3.1/AV:N"),
      }),
    }),
    {
      nil: undefined,
    },
  ),
});
const trivyResult = fc.record({
  Target: fc.constantFrom("package-lock.json", "app/go.mod", "img (alpine 3.19)"),
  Class: fc.constantFrom("os-pkgs", "lang-pkgs"),
  Type: fc.constantFrom("npm", "alpine", "gomod"),
  Vulnerabilities: fc.array(trivyVuln, { maxLength: 8 }),
});
const trivyReport = fc.record({
  SchemaVersion: fc.constant(2),
  ArtifactName: fc.constantFrom(
    "alpine:3.19",
    "repo",
    `111122223333.dkr.ecr.us-west-2.amazonaws.com/a@sha256:${"c".repeat(64)}`,
  ),
  ArtifactType: fc.constantFrom("container_image", "filesystem", "repository"),
  CreatedAt: fc.option(fc.constantFrom("2024-02-03T04:05:06.789+01:00", "not a time"), { nil: undefined }),
  Results: fc.array(trivyResult, { maxLength: 4 }),
});

function convert(report: unknown) {
  return convertReport({ source: "prop.json", content: JSON.stringify(report) }, ctx);
}

/** The issue identity the Id must follow: (artifact, class or target, CVE, package, path). */
function issueKey(
  report: { ArtifactName: string },
  result: { Target: string; Class: string; Type: string },
  v: { VulnerabilityID: string; PkgName: string; PkgPath?: string },
) {
  const where = result.Class === "os-pkgs" ? `os:${result.Type}` : result.Target;
  return JSON.stringify([report.ArtifactName, where, v.VulnerabilityID.trim(), v.PkgName, v.PkgPath ?? ""]);
}

describe("parser properties", () => {
  it("every finding of an accepted Trivy report passes the validator", () => {
    fc.assert(
      fc.property(trivyReport, (report) => {
        const result = convert(report);
        for (const f of result.findings) assert.deepEqual(validateFinding(f), []);
        for (const failure of result.failures)
          assert.match(failure.field ?? "", /VulnerabilityID$/, "only blank ids are refused");
      }),
      RUNS,
    );
  });
  it("Ids are a pure function of the stable inputs: same report, same Ids; reordering changes none", () => {
    fc.assert(
      fc.property(trivyReport, fc.integer(), (report, seed) => {
        const first = convert(report)
          .findings.map((f) => f.Id)
          .sort();
        const again = convert(structuredClone(report))
          .findings.map((f) => f.Id)
          .sort();
        assert.deepEqual(again, first);
        // shuffle results and the vulnerabilities inside them deterministically
        const rotate = <T>(xs: T[]): T[] =>
          xs.length === 0 ? xs : [...xs.slice(seed % xs.length), ...xs.slice(0, seed % xs.length)].reverse();
        const shuffled = {
          ...report,
          Results: rotate(
            report.Results.map((r) => ({ ...r, Vulnerabilities: rotate([...r.Vulnerabilities]) })),
          ),
        };
        assert.deepEqual(
          convert(shuffled)
            .findings.map((f) => f.Id)
            .sort(),
          first,
        );
      }),
      RUNS,
    );
  });
  it("two findings share an Id only when they are the same issue", () => {
    fc.assert(
      fc.property(trivyReport, (report) => {
        const keys = new Set<string>();
        for (const result of report.Results) {
          for (const v of result.Vulnerabilities)
            if (v.VulnerabilityID.trim() !== "") keys.add(issueKey(report, result, v));
        }
        const findings = convert(report).findings;
        assert.equal(
          new Set(findings.map((f) => f.Id)).size,
          findings.length,
          "no duplicate Ids in the output",
        );
        assert.equal(findings.length, keys.size, "one finding per distinct issue");
      }),
      RUNS,
    );
  });
  it("every finding of an accepted Grype report passes the validator", () => {
    const match = fc.record({
      vulnerability: fc.record({
        id: vulnId,
        severity: fc.constantFrom("Negligible", "Low", "Medium", "High", "Critical", "Unknown"),
        description: fc.option(messyText, { nil: undefined }),
        urls: fc.array(fc.webUrl(), { maxLength: 3 }),
        fix: fc.record({
          versions: fc.array(fc.string({ maxLength: 6 }), { maxLength: 2 }),
          state: fc.constantFrom("fixed", "not-fixed", ""),
        }),
        epss: fc.array(fc.record({ epss: fc.double({ min: 0, max: 1, noNaN: true }) }), { maxLength: 1 }),
      }),
      artifact: fc.record({
        name: pkgName,
        version: fc.string({ maxLength: 8 }),
        type: fc.constantFrom("npm", "deb"),
        locations: fc.array(fc.record({ path: fc.constantFrom("/a", "/b") }), { maxLength: 2 }),
      }),
    });
    fc.assert(
      fc.property(fc.array(match, { maxLength: 10 }), (matches) => {
        const result = convert({
          matches,
          source: { type: "directory", target: "." },
          descriptor: { name: "grype" },
        });
        assert.equal(result.format, "grype");
        for (const f of result.findings) assert.deepEqual(validateFinding(f), []);
      }),
      RUNS,
    );
  });
});
