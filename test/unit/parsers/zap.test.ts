/** Behaviour of the OWASP ZAP JSON parser. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InputError } from "../../../lambdas/core/errors.ts";
import type { ConversionContext } from "../../../lambdas/core/parsers/contracts.ts";
import { isZapReport, parseZap } from "../../../lambdas/core/parsers/zap.ts";

const CONTEXT: ConversionContext = {
  accountId: "123456789012",
  region: "us-east-1",
  partition: "aws",
  productArn: "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default",
  nowMs: Date.UTC(2025, 0, 1),
};
type Obj = Record<string, unknown>;
const alert = (extra: Obj = {}): Obj => ({
  pluginid: "40012",
  alertRef: "40012",
  alert: "Cross Site Scripting (Reflected)",
  riskcode: "3",
  confidence: "2",
  riskdesc: "High (Medium)",
  desc: "<p>XSS</p>",
  solution: "<p>Encode output</p>",
  reference: "<p>https://owasp.org/xss</p><p>https://cwe.mitre.org/data/definitions/79.html</p>",
  cweid: "79",
  wascid: "8",
  instances: [
    {
      uri: "http://app/q?x=1",
      method: "GET",
      param: "x",
      attack: "<script>alert(1)</script>",
      evidence: "session=abcd1234efgh",
    },
  ],
  count: "1",
  ...extra,
});
const report = (alerts: unknown[], extra: Obj = {}): Obj => ({
  "@programName": "ZAP",
  "@version": "2.14.0",
  site: [{ "@name": "http://app", "@host": "app", "@port": "80", "@ssl": "false", alerts }],
  ...extra,
});
const parse = (doc: unknown, scope?: string) =>
  parseZap(doc, { source: "zap.json", conversion: { ...CONTEXT, ...(scope ? { scope } : {}) } });

describe("ZAP parser", () => {
  it("detects ZAP reports, old ones without @programName too, and nothing else", () => {
    assert.equal(isZapReport(report([])), true);
    assert.equal(isZapReport({ "@version": "2.11.1", site: [{ "@name": "x", alerts: [] }] }), true);
    for (const doc of [null, [], { site: {} }, { runs: [] }, { site: [] }])
      assert.equal(isZapReport(doc), false);
  });
  it("maps risk, confidence, CWE, solution and references", () => {
    const [d] = parse(report([alert()])).drafts;
    assert.equal(d?.Title, "Cross Site Scripting (Reflected)");
    assert.deepEqual(d?.FindingProviderFields?.Severity, { Label: "HIGH", Original: "High (Medium)" });
    assert.equal(d?.FindingProviderFields?.Confidence, 60);
    assert.deepEqual(d?.FindingProviderFields?.Types, [
      "Software and Configuration Checks/Vulnerabilities/CWE",
    ]);
    assert.equal(d?.Vulnerabilities?.[0]?.Id, "CWE-79");
    assert.deepEqual(d?.Vulnerabilities?.[0]?.ReferenceUrls, [
      "https://owasp.org/xss",
      "https://cwe.mitre.org/data/definitions/79.html",
    ]);
    assert.deepEqual(d?.Remediation?.Recommendation, { Text: "Encode output", Url: "https://owasp.org/xss" });
    assert.deepEqual(d?.Resources, [
      { Type: "Other", Id: "http://app", Details: { Other: { host: "app", port: "80", ssl: "false" } } },
    ]);
    assert.equal(d?.ProductFields?.["shadowhub/zap/WascId"], "WASC-8");
  });
  it("summarises instances without copying evidence or attack strings", () => {
    const [d] = parse(report([alert({ desc: "<p>token session=abcd1234efgh seen</p>" })])).drafts;
    assert.match(d?.Description ?? "", /GET http:\/\/app\/q\?x=1 \(parameter: x\)/);
    const text = JSON.stringify(d);
    assert.ok(!text.includes("abcd1234efgh") && !text.includes("<script>"), text);
  });
  it("skips alerts ZAP marks as false positives (confidence 0)", () => {
    assert.equal(parse(report([alert({ confidence: "0" })])).drafts.length, 0);
  });
  it("gives one stable Id per alert and site, independent of risk, instances and order", () => {
    const a = parse(
      report([alert(), alert({ alertRef: "10020", pluginid: "10020", alert: "Clickjacking" })]),
    ).drafts;
    const b = parse(
      report([
        alert({ alertRef: "10020", pluginid: "10020", alert: "Clickjacking" }),
        alert({ instances: [] }),
      ]),
    ).drafts;
    assert.deepEqual(a.map((d) => d.Id).sort(), b.map((d) => d.Id).sort());
    assert.notEqual(
      parse(report([alert()]), "prod").drafts[0]?.Id,
      a.find((d) => d.GeneratorId === "zap/40012")?.Id,
    );
  });
  it("uses `created` as the report time, not the zone-less @generated", () => {
    assert.equal(
      parse(report([alert()], { created: "2026-02-25T11:09:49.007472780Z" })).drafts[0]?.UpdatedAt,
      "2026-02-25T11:09:49.007Z",
    );
    assert.equal(
      parse(report([alert()], { "@generated": "Sat, 15 Jan 2022 09:20:08" })).drafts[0]?.UpdatedAt,
      "2025-01-01T00:00:00.000Z",
    );
  });
  it("reports bad sites and alerts as failures and converts the rest", () => {
    const doc = {
      "@version": "2.14.0",
      site: [
        7,
        { "@name": "http://x", alerts: "no" },
        {
          "@name": "http://y",
          alerts: [
            null,
            alert({ riskcode: "9" }),
            alert({ pluginid: undefined, alertRef: undefined }),
            alert(),
          ],
        },
      ],
    };
    const { drafts, failures } = parse(doc);
    assert.equal(drafts.length, 1);
    assert.deepEqual(
      failures.map((f) => f.field),
      [
        "site[0].@name",
        "site[1].alerts",
        "site[2].alerts[0]",
        "site[2].alerts[1].riskcode",
        "site[2].alerts[2]",
      ],
    );
  });
  it("throws an InputError naming the field for a document that is not a ZAP report", () => {
    assert.throws(
      () => parse([]),
      (e: unknown) => e instanceof InputError && e.location.field === "$",
    );
    assert.throws(
      () => parse({ site: 1 }),
      (e: unknown) => e instanceof InputError && e.location.field === "site",
    );
  });
});
