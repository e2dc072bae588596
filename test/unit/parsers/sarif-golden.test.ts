/**
 * Golden tests: real public SARIF logs and ZAP reports (sources in test/fixtures/README.md) →
 * pinned ASFF. Fixed context and clock. `UPDATE_GOLDEN=1` rewrites the golden files.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { validateFinding } from "../../../lambdas/core/asff/validate.ts";
import type { ConversionContext, ReportParser } from "../../../lambdas/core/parsers/contracts.ts";
import { finalizeDrafts } from "../../../lambdas/core/parsers/finalize.ts";
import { sarifParser } from "../../../lambdas/core/parsers/sarif.ts";
import { splitReport } from "../../../lambdas/core/parsers/split-json.ts";
import { zapParser } from "../../../lambdas/core/parsers/zap.ts";

const CONTEXT: ConversionContext = {
  accountId: "123456789012",
  region: "eu-west-1",
  partition: "aws",
  productArn: "arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default",
  nowMs: Date.UTC(2025, 0, 2, 3, 4, 5),
};
const UPDATE = process.env.UPDATE_GOLDEN === "1";

function convert(parser: ReportParser, path: string) {
  const source = path.replace(/^.*fixtures\//, "fixtures/");
  const document: unknown = JSON.parse(readFileSync(path, "utf8"));
  assert.equal(parser.detect(document), true, `${parser.name} detects ${source}`);
  const parsed = parser.parse(document, { source, conversion: CONTEXT });
  const finalized = finalizeDrafts(parsed.drafts, CONTEXT, { source, format: parser.name });
  return { findings: finalized.findings, failures: [...(parsed.failures ?? []), ...finalized.failures] };
}

function golden(parser: ReportParser, dir: string, ext: string): void {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(ext) && !f.endsWith(".asff.golden.json"))
    .sort();
  it(`has fixtures in ${dir}`, () => assert.ok(files.length > 0));
  for (const file of files) {
    it(`converts ${file} to the pinned ASFF, every finding valid`, () => {
      const path = join(dir, file);
      const { findings, failures } = convert(parser, path);
      assert.deepEqual(failures, []);
      assert.ok(findings.length > 0, "the fixture yields findings");
      for (const finding of findings) assert.deepEqual(validateFinding(finding), [], finding.Id);
      assert.equal(new Set(findings.map((f) => f.Id)).size, findings.length, "Ids are unique");
      const goldenPath = `${path}.asff.golden.json`;
      const actual = `${JSON.stringify(findings, null, 2)}\n`;
      if (UPDATE) writeFileSync(goldenPath, actual);
      assert.ok(existsSync(goldenPath), `${goldenPath} is missing: run with UPDATE_GOLDEN=1 and review it`);
      assert.equal(actual, readFileSync(goldenPath, "utf8"), `${goldenPath} (UPDATE_GOLDEN=1 regenerates)`);
    });
  }
}

/** The parser's drafts and failures for `text` read in parts (`entryArrays` + `parseSplit`). */
function parseInParts(text: string, source: string) {
  const split = splitReport(source, text, sarifParser.entryArrays ?? []);
  assert.ok(split !== undefined, `${source} is read in parts`);
  const drafts: unknown[] = [];
  const failures: unknown[] = [];
  for (const item of sarifParser.parseSplit?.(split, { source, conversion: CONTEXT }) ?? []) {
    if (item.failure !== undefined) failures.push(item.failure);
    else drafts.push(item.draft);
  }
  return { drafts, failures };
}

describe("SARIF golden files", () => {
  golden(sarifParser, "test/fixtures/sarif", ".sarif");

  it("reads every fixture in parts (result by result) to the same drafts as the whole document", () => {
    for (const file of readdirSync("test/fixtures/sarif").filter((f) => f.endsWith(".sarif"))) {
      const text = readFileSync(join("test/fixtures/sarif", file), "utf8");
      const whole = sarifParser.parse(JSON.parse(text), { source: file, conversion: CONTEXT });
      assert.deepEqual(
        parseInParts(text, file),
        { drafts: whole.drafts, failures: whole.failures ?? [] },
        file,
      );
    }
  });

  it("reads bad results in parts to the same failures as the whole document", () => {
    const log = {
      version: "2.1.0",
      runs: [
        {
          tool: { driver: { name: "demo", rules: [{ id: "R1" }] } },
          results: [7, { ruleIndex: 9, message: {} }],
        },
        { tool: {}, results: [] },
        {
          tool: { driver: { name: "demo" } },
          results: [{ ruleId: "R1", message: { text: "x" }, __proto__: { polluted: true } }, null],
        },
      ],
    };
    const text = JSON.stringify(log).replace(
      '"results":[{"ruleId"',
      '"results":[{"__proto__":{"x":1},"ruleId"',
    );
    const whole = sarifParser.parse(JSON.parse(text), { source: "bad.sarif", conversion: CONTEXT });
    const parts = parseInParts(text, "bad.sarif");
    assert.equal(parts.failures.length, 4);
    assert.deepEqual(parts, { drafts: whole.drafts, failures: whole.failures ?? [] });
  });

  it("never lets gitleaks' matched secret or commit metadata reach a finding", () => {
    const { findings } = convert(sarifParser, "test/fixtures/sarif/gitleaks-simple.sarif");
    const text = JSON.stringify(findings);
    assert.ok(!text.includes("a secret"), "snippet text");
    assert.ok(!text.includes("johndoe@gmail.com") && !text.includes("John Doe"), "author fields");
    assert.equal(findings[0]?.FindingProviderFields?.Types?.[0], "Sensitive Data Identifications/Passwords");
  });

  it("never copies Bandit's code snippet into a finding", () => {
    const { findings } = convert(sarifParser, "test/fixtures/sarif/bandit.sarif");
    assert.ok(!JSON.stringify(findings).includes("print('hola')"));
  });

  it("keeps two CodeQL results that share a line hash as two findings", () => {
    const { findings } = convert(sarifParser, "test/fixtures/sarif/codeql-js.sarif");
    assert.equal(findings.length, 2);
    const cwes = findings[0]?.Vulnerabilities?.[0]?.CodeVulnerabilities?.[0]?.Cwes;
    assert.deepEqual(cwes, ["CWE-20", "CWE-80", "CWE-116"]);
    assert.equal(findings[0]?.FindingProviderFields?.Severity?.Label, "HIGH"); // security-severity 7.8
  });
});

describe("ZAP golden files", () => {
  golden(zapParser, "test/fixtures/zap", ".json");
});
