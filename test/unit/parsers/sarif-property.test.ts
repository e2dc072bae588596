/** Property tests (fast-check) for the SARIF and ZAP parsers: validity, order independence, unique Ids. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { validateFinding } from "../../../lambdas/core/asff/validate.ts";
import type { ConversionContext, FindingDraft } from "../../../lambdas/core/parsers/contracts.ts";
import { finalizeDrafts } from "../../../lambdas/core/parsers/finalize.ts";
import { parseSarif } from "../../../lambdas/core/parsers/sarif.ts";
import { parseZap } from "../../../lambdas/core/parsers/zap.ts";

const CONTEXT: ConversionContext = {
  accountId: "123456789012",
  region: "us-east-1",
  partition: "aws",
  productArn: "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default",
  nowMs: Date.UTC(2025, 0, 1),
};

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    "",
    "   ",
    "\u001b[1mbold\u001b[0m",
    "<p>x</p>",
    "{0} and {1}",
    "a\u0000b",
    "é🙂",
    "__proto__",
  ),
  fc.string({ minLength: 1100, maxLength: 1300 }),
);
const rule = fc.record(
  {
    id: fc.constantFrom("R1", "R2", "js/xss", "CKV_AWS_1", "__proto__", "[HIGH] CVE-2021-1"),
    name: fc.option(text, { nil: undefined }),
    shortDescription: fc.option(fc.record({ text }), { nil: undefined }),
    defaultConfiguration: fc.option(
      fc.record({ level: fc.constantFrom("error", "warning", "note", "none", "bogus") }),
      { nil: undefined },
    ),
    properties: fc.option(
      fc.record({
        "security-severity": fc.oneof(
          fc.constantFrom("9.8", "0.0", "x", "11"),
          fc.double({ min: -1, max: 12, noNaN: true }),
        ),
        tags: fc.array(fc.constantFrom("security", "external/cwe/cwe-079", "CWE-89: SQLi", "secret"), {
          maxLength: 3,
        }),
      }),
      { nil: undefined },
    ),
  },
  { requiredKeys: ["id"] },
);
const result = fc.record(
  {
    ruleId: fc.option(fc.constantFrom("R1", "R2", "js/xss", "CKV_AWS_1", "__proto__", "unknown"), {
      nil: undefined,
    }),
    ruleIndex: fc.option(fc.integer({ min: -1, max: 4 }), { nil: undefined }),
    level: fc.option(fc.constantFrom("error", "warning", "note", "none"), { nil: undefined }),
    kind: fc.option(fc.constantFrom("fail", "pass", "review", "open", "informational"), { nil: undefined }),
    message: fc.record({ text }),
    locations: fc.array(
      fc.record({
        physicalLocation: fc.record({
          artifactLocation: fc.record({
            uri: fc.constantFrom("a.js", "src/b.py", "./c.tf", "file:///abs/d.go", "%20e.js"),
          }),
          region: fc.record(
            { startLine: fc.integer({ min: 0, max: 50 }), snippet: fc.record({ text }) },
            { requiredKeys: [] },
          ),
        }),
      }),
      { maxLength: 2 },
    ),
    partialFingerprints: fc.option(fc.record({ primaryLocationLineHash: fc.constantFrom("h1", "h2") }), {
      nil: undefined,
    }),
    properties: fc.option(fc.record({ offender: text }), { nil: undefined }),
  },
  { requiredKeys: ["message"] },
);
const sarifLog = fc.record({
  version: fc.constant("2.1.0"),
  runs: fc.array(
    fc.record({
      tool: fc.record({
        driver: fc.record({
          name: fc.constantFrom("CodeQL", "gitleaks", "checkov", "x"),
          rules: fc.array(rule, { maxLength: 4 }),
        }),
      }),
      results: fc.array(result, { maxLength: 12 }),
    }),
    { minLength: 1, maxLength: 2 },
  ),
});

function parse(document: unknown): FindingDraft[] {
  return parseSarif(document, { source: "p.sarif", conversion: CONTEXT }, { includePassed: true }).drafts;
}
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe("SARIF properties", () => {
  it("every accepted log yields findings that pass the validator", () => {
    fc.assert(
      fc.property(sarifLog, (doc) => {
        const { findings, failures } = finalizeDrafts(parse(doc), CONTEXT, {
          source: "p.sarif",
          format: "sarif",
        });
        assert.deepEqual(failures, []);
        for (const f of findings) assert.deepEqual(validateFinding(f), []);
      }),
      { numRuns: 150 },
    );
  });
  it("reordering the results changes no Id and no finding", () => {
    fc.assert(
      fc.property(sarifLog, fc.integer(), (doc, seed) => {
        const reordered = {
          ...doc,
          runs: doc.runs.map((run) => ({ ...run, results: shuffled(run.results, seed) })),
        };
        assert.deepEqual(parse(reordered), parse(doc));
      }),
      { numRuns: 150 },
    );
  });
  it("no two findings of one log share an Id", () => {
    fc.assert(
      fc.property(sarifLog, (doc) => {
        const ids = parse(doc).map((d) => d.Id);
        assert.equal(new Set(ids).size, ids.length);
      }),
      { numRuns: 150 },
    );
  });
  it("the Id is a pure function of the inputs: parsing twice gives the same Ids", () => {
    fc.assert(
      fc.property(sarifLog, (doc) => {
        assert.deepEqual(
          parse(structuredClone(doc)).map((d) => d.Id),
          parse(doc).map((d) => d.Id),
        );
      }),
      { numRuns: 50 },
    );
  });
  it("an offender value never reaches a finding of a secret scanner", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9]{12,30}$/), (secret) => {
        const doc = {
          version: "2.1.0",
          runs: [
            {
              tool: { driver: { name: "gitleaks" } },
              results: [{ ruleId: "k", message: { text: `leak ${secret}` }, properties: { Secret: secret } }],
            },
          ],
        };
        assert.ok(!JSON.stringify(parse(doc)).includes(secret));
      }),
      { numRuns: 100 },
    );
  });
});

const alert = fc.record({
  pluginid: fc.constantFrom("10020", "10038", "40012"),
  alertRef: fc.option(fc.constantFrom("10020", "10020-1", "40012"), { nil: undefined }),
  alert: text,
  riskcode: fc.constantFrom("0", "1", "2", "3"),
  confidence: fc.constantFrom("1", "2", "3", "4"),
  desc: text,
  solution: text,
  reference: fc.constantFrom("", "<p>https://example.com/a</p>"),
  cweid: fc.constantFrom("-1", "0", "79", "693"),
  instances: fc.array(
    fc.record({
      uri: fc.constantFrom("http://a/", "http://a/x"),
      method: fc.constant("GET"),
      evidence: text,
    }),
    { maxLength: 3 },
  ),
});
const zapReport = fc.record({
  "@version": fc.constant("2.14.0"),
  site: fc.array(
    fc.record({
      "@name": fc.constantFrom("http://a", "https://b:8443"),
      alerts: fc.array(alert, { maxLength: 8 }),
    }),
    {
      minLength: 1,
      maxLength: 2,
    },
  ),
});

describe("ZAP properties", () => {
  const parseZ = (doc: unknown) => parseZap(doc, { source: "z.json", conversion: CONTEXT });
  it("every report yields valid, uniquely identified findings whatever the alert order", () => {
    fc.assert(
      fc.property(zapReport, fc.integer(), (doc, seed) => {
        const { drafts } = parseZ(doc);
        const { findings, failures } = finalizeDrafts(drafts, CONTEXT, { source: "z.json", format: "zap" });
        assert.deepEqual(
          failures.filter((f) => f.rule !== "alert with pluginid and name"),
          [],
        );
        for (const f of findings) assert.deepEqual(validateFinding(f), []);
        assert.equal(new Set(drafts.map((d) => d.Id)).size, drafts.length);
        const reordered = { ...doc, site: doc.site.map((s) => ({ ...s, alerts: shuffled(s.alerts, seed) })) };
        assert.deepEqual(parseZ(reordered).drafts, drafts);
      }),
      { numRuns: 150 },
    );
  });
});
