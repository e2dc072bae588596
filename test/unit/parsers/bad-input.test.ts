import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateFinding } from "../../../lambdas/core/asff/validate.ts";
import {
  convertReport,
  convertReportBatches,
  convertReports,
} from "../../../lambdas/core/parsers/convert.ts";
import { createRegistry } from "../../../lambdas/core/parsers/registry.ts";
import { fixedContext } from "./helpers.ts";

const ctx = fixedContext();
const trivy = (results: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    SchemaVersion: 2,
    ArtifactName: "app",
    ArtifactType: "filesystem",
    Results: results,
    ...extra,
  });
const vuln = (extra: Record<string, unknown> = {}) => ({
  VulnerabilityID: "CVE-2024-1",
  PkgName: "pkg",
  Severity: "HIGH",
  ...extra,
});

function convert(content: string | Uint8Array, format?: string, options = {}) {
  return convertReport(
    { source: "report.json", content, ...(format ? { format } : {}) },
    ctx,
    undefined,
    options,
  );
}

describe("bad input", () => {
  it("reports truncated JSON with the file, the position and the rule", () => {
    const full = trivy([{ Target: "a", Vulnerabilities: [vuln()] }]);
    const result = convert(full.slice(0, full.length - 7));
    assert.equal(result.findings.length, 0);
    assert.equal(result.failures[0]?.rule, "valid JSON");
    assert.match(
      result.failures[0]?.message ?? "",
      /^report\.json: not valid JSON at line 1, column \d+ \(the file looks truncated\)/,
    );
  });
  it("reports an empty file, but treats a report without results as a clean scan", () => {
    assert.equal(convert("  \n").failures[0]?.rule, "valid JSON");
    const clean = convert(trivy(undefined));
    assert.deepEqual([clean.findings, clean.failures, clean.format], [[], [], "trivy"]);
    const cleanAsff = convert("[]");
    assert.deepEqual([cleanAsff.findings, cleanAsff.failures, cleanAsff.format], [[], [], "asff"]);
  });
  it("names the field and the expected type for wrong types, and keeps the good entries", () => {
    const whole = convert(trivy("not-a-list"));
    assert.deepEqual(
      { field: whole.failures[0]?.field, rule: whole.failures[0]?.rule },
      { field: "Results", rule: "array" },
    );
    const partial = convert(
      trivy([
        {
          Target: "a",
          Vulnerabilities: [vuln(), { VulnerabilityID: null }, "x", vuln({ PkgName: "other" })],
        },
        7,
      ]),
    );
    assert.equal(partial.findings.length, 2);
    assert.deepEqual(
      partial.failures.map((f) => f.field),
      [
        "Results[0].Vulnerabilities[1].VulnerabilityID",
        "Results[0].Vulnerabilities[2].VulnerabilityID",
        "Results[1]",
      ],
    );
  });
  it("reports Trivy fields of the wrong JSON type per entry (file, path, expected type) instead of coercing them", () => {
    const result = convert(
      trivy([
        {
          Target: "package-lock.json",
          Vulnerabilities: [
            vuln({ VulnerabilityID: 20241234 }),
            vuln({ VulnerabilityID: "CVE-2024-2", PkgName: { name: "x" } }),
            vuln({ VulnerabilityID: "CVE-2024-3", InstalledVersion: 1.2 }),
            vuln({ VulnerabilityID: "CVE-2024-4", References: ["https://a", 7] }),
            vuln({ VulnerabilityID: "CVE-2024-5", CVSS: { nvd: { V3Score: "9.8" } } }),
            vuln({ VulnerabilityID: "CVE-2024-6", Layer: "sha256:abc" }),
            vuln({ VulnerabilityID: "CVE-2024-7", CweIDs: null, PkgPath: null }),
            vuln({ VulnerabilityID: "CVE-2024-8" }),
          ],
          Misconfigurations: [
            { ID: "AVD-1", Title: "t", Severity: "HIGH", CauseMetadata: { StartLine: "3" } },
            { ID: 42, Title: "t", Severity: "HIGH" },
          ],
          Secrets: [{ RuleID: "aws-key", Title: "AWS key", StartLine: 1, Layer: { DiffID: 5 } }],
          Licenses: [{ Name: "GPL-3.0", PkgName: ["a"] }],
        },
        { Target: 12, Vulnerabilities: [vuln({ VulnerabilityID: "CVE-2024-9" })] },
      ]),
    );
    assert.deepEqual(
      result.findings.map((f) => f.Vulnerabilities?.[0]?.Id),
      ["CVE-2024-7", "CVE-2024-8"],
      "the well-typed entries still convert (null counts as absent)",
    );
    assert.deepEqual(
      result.failures.map((f) => [f.field, f.rule, f.message]),
      [
        [
          "Results[0].Vulnerabilities[0].VulnerabilityID",
          "required string",
          "report.json: Results[0].Vulnerabilities[0].VulnerabilityID is a JSON number; expected a vulnerability id such as CVE-2024-1234",
        ],
        [
          "Results[0].Vulnerabilities[1].PkgName",
          "JSON type",
          "report.json: Results[0].Vulnerabilities[1].PkgName is a JSON object; expected a string",
        ],
        [
          "Results[0].Vulnerabilities[2].InstalledVersion",
          "JSON type",
          "report.json: Results[0].Vulnerabilities[2].InstalledVersion is a JSON number; expected a string",
        ],
        [
          "Results[0].Vulnerabilities[3].References[1]",
          "JSON type",
          "report.json: Results[0].Vulnerabilities[3].References[1] is a JSON number; expected a string",
        ],
        [
          "Results[0].Vulnerabilities[4].CVSS.nvd.V3Score",
          "JSON type",
          "report.json: Results[0].Vulnerabilities[4].CVSS.nvd.V3Score is a JSON string; expected a number",
        ],
        [
          "Results[0].Vulnerabilities[5].Layer",
          "JSON type",
          "report.json: Results[0].Vulnerabilities[5].Layer is a JSON string; expected an object",
        ],
        [
          "Results[0].Misconfigurations[0].CauseMetadata.StartLine",
          "JSON type",
          "report.json: Results[0].Misconfigurations[0].CauseMetadata.StartLine is a JSON string; expected a number",
        ],
        [
          "Results[0].Misconfigurations[1].ID",
          "required string",
          "report.json: Results[0].Misconfigurations[1].ID is a JSON number; expected a check id such as AVD-AWS-0086",
        ],
        [
          "Results[0].Secrets[0].Layer.DiffID",
          "JSON type",
          "report.json: Results[0].Secrets[0].Layer.DiffID is a JSON number; expected a string",
        ],
        [
          "Results[0].Licenses[0].PkgName",
          "JSON type",
          "report.json: Results[0].Licenses[0].PkgName is a JSON array; expected a string",
        ],
        [
          "Results[1].Target",
          "JSON type",
          "report.json: Results[1].Target is a JSON number; expected a string",
        ],
      ],
    );
  });
  it("refuses a Trivy report whose ArtifactName is not a string, naming the field", () => {
    const result = convert(trivy([{ Target: "a", Vulnerabilities: [vuln()] }], { ArtifactName: 7 }));
    assert.equal(result.findings.length, 0);
    assert.deepEqual(
      result.failures.map((f) => [f.field, f.rule, f.message]),
      [["$.ArtifactName", "JSON type", "report.json: $.ArtifactName is a JSON number; expected a string"]],
    );
  });
  it("streams the same Trivy type failures as convertReport", () => {
    const content = trivy([
      { Target: "a", Vulnerabilities: [vuln({ PkgName: 1 }), vuln({ VulnerabilityID: "CVE-2" })] },
    ]);
    const batches = [...convertReportBatches({ source: "report.json", content }, ctx)];
    const whole = convert(content);
    assert.deepEqual(
      batches.flatMap((b) => b.failures),
      whole.failures,
    );
    assert.deepEqual(
      batches.flatMap((b) => b.findings),
      whole.findings,
    );
  });
  it("reports an unknown format and lists the known ones", () => {
    const result = convert(JSON.stringify({ hello: "world" }));
    assert.equal(result.failures[0]?.rule, "known format");
    assert.match(result.failures[0]?.message ?? "", /"hello".*trivy, grype, sarif, zap, asff/);
    assert.match(convert("{}", "nessus").failures[0]?.message ?? "", /unknown format 'nessus'/);
  });
  it("survives 10 MB strings: text is cut, an unshrinkable finding becomes a failure", () => {
    const huge = "A".repeat(10 * 1024 * 1024);
    const result = convert(
      trivy([
        {
          Target: "a",
          Vulnerabilities: [
            vuln({ Title: huge, Description: huge, References: [huge] }),
            vuln({ PkgName: huge }),
          ],
        },
      ]),
    );
    assert.equal(result.findings.length, 1);
    assert.equal(result.findings[0]?.Title?.length, 256);
    assert.deepEqual(validateFinding(result.findings[0]), []);
    assert.equal(result.failures.length, 1);
    assert.match(result.failures[0]?.rule ?? "", /^maxBytes/);
  });
  it("refuses a report nested deeper than the limit without overflowing the stack", () => {
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    const result = convert(deep);
    assert.equal(result.failures[0]?.rule, "maxDepth 64");
    assert.match(result.failures[0]?.field ?? "", /^\$\[0\]/);
  });
  it("does not let __proto__ or constructor keys pollute prototypes", () => {
    const evil = `{"SchemaVersion":2,"ArtifactName":"app","__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},
      "Results":[{"Target":"a","__proto__":{"Class":"secret"},"Vulnerabilities":[{"VulnerabilityID":"CVE-1","PkgName":"constructor","__proto__":{"isAdmin":true}}]}]}`;
    const result = convert(evil);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(({} as Record<string, unknown>).isAdmin, undefined);
    assert.equal(result.findings.length, 1);
    assert.equal(result.findings[0]?.Vulnerabilities?.[0]?.VulnerablePackages?.[0]?.Name, "constructor");
    assert.ok(!JSON.stringify(result.findings).includes("polluted"));
    const passthrough = convert(`[{"__proto__":{"polluted":"yes"},"Id":"x","GeneratorId":"g"}]`);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(passthrough.findings.length, 0, "the incomplete finding is reported, not sent");
  });
  it("reports invalid UTF-8 instead of replacing bytes silently", () => {
    const bytes = Buffer.concat([
      Buffer.from('{"SchemaVersion":2,"ArtifactName":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}'),
    ]);
    assert.equal(convert(new Uint8Array(bytes)).failures[0]?.rule, "valid UTF-8");
  });
  it("refuses a report above the size cap before decoding it", () => {
    const result = convert(trivy([]), undefined, { maxBytes: 10 });
    assert.match(result.failures[0]?.rule ?? "", /^maxBytes 10$/);
  });
  it("converts the good reports of a batch when one is bad", () => {
    const results = convertReports(
      [
        { source: "bad.json", content: "{" },
        { source: "good.json", content: trivy([{ Target: "a", Vulnerabilities: [vuln()] }]) },
      ],
      ctx,
    );
    assert.deepEqual(
      results.map((r) => [r.source, r.findings.length, r.failures.length]),
      [
        ["bad.json", 0, 1],
        ["good.json", 1, 0],
      ],
    );
  });
  it("reports a custom parser that throws as a failure of that report only", () => {
    const result = convertReport(
      { source: "x.json", content: "{}", format: "boom" },
      ctx,
      createRegistry([
        {
          name: "boom",
          detect: () => false,
          parse: () => {
            throw new TypeError("parser bug");
          },
        },
      ]),
    );
    assert.equal(result.failures[0]?.rule, "boom format");
    assert.match(result.failures[0]?.message ?? "", /parser bug/);
  });
});
