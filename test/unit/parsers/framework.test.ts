import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_FINDING_BYTES } from "../../../lambdas/core/asff/limits.ts";
import { validateFinding } from "../../../lambdas/core/asff/validate.ts";
import { ConfigurationError } from "../../../lambdas/core/errors.ts";
import { buildConversionContext, partitionForRegion } from "../../../lambdas/core/parsers/context.ts";
import type { FindingDraft, ReportParser } from "../../../lambdas/core/parsers/contracts.ts";
import { finalizeDraft, finalizeDrafts, markControlFree } from "../../../lambdas/core/parsers/finalize.ts";
import { findingId, generatorId } from "../../../lambdas/core/parsers/ids.ts";
import { REDACTED, redactProperties, redactValues } from "../../../lambdas/core/parsers/redact.ts";
import { createRegistry, ParserRegistry } from "../../../lambdas/core/parsers/registry.ts";
import { cleanText, codePointLength, truncate } from "../../../lambdas/core/parsers/text.ts";
import { FIXED_NOW_MS, fixedContext } from "./helpers.ts";

function draft(overrides: Partial<FindingDraft> = {}): FindingDraft {
  return {
    Id: "tool/rule/abc",
    GeneratorId: "tool/rule",
    Title: "A title",
    Description: "A description",
    Severity: { Label: "HIGH", Original: "high" },
    Types: ["Software and Configuration Checks/Vulnerabilities/CVE"],
    Resources: [{ Type: "Other", Id: "thing" }],
    ...overrides,
  };
}

function finalized(d: FindingDraft, ctx = fixedContext()) {
  const result = finalizeDraft(d, ctx, { source: "test.json", format: "test" });
  if ("failure" in result) assert.fail(`unexpected failure: ${result.failure.message}`);
  return result.finding;
}

describe("buildConversionContext", () => {
  it("derives the partition from the Region and the default ProductArn from it", () => {
    assert.equal(partitionForRegion("cn-north-1"), "aws-cn");
    assert.equal(partitionForRegion("us-gov-west-1"), "aws-us-gov");
    assert.equal(partitionForRegion("eu-west-1"), "aws");
    const cn = buildConversionContext({ accountId: "111122223333", region: "cn-northwest-1", nowMs: 0 });
    assert.equal(
      cn.productArn,
      "arn:aws-cn:securityhub:cn-northwest-1:111122223333:product/111122223333/default",
    );
    const gov = buildConversionContext({ accountId: "111122223333", region: "us-gov-east-1", nowMs: 0 });
    assert.equal(gov.partition, "aws-us-gov");
  });
  it("lists every problem in one ConfigurationError", () => {
    assert.throws(
      () => buildConversionContext({ accountId: "12345", region: "mars-1", partition: "aws-xx", nowMs: 0 }),
      (error: unknown) =>
        error instanceof ConfigurationError &&
        /12345/.test(error.message) &&
        /mars-1/.test(error.message) &&
        /aws-xx/.test(error.message),
    );
  });
  it("rejects a ProductArn in another Region or partition", () => {
    assert.throws(
      () =>
        buildConversionContext({
          accountId: "111122223333",
          region: "eu-west-1",
          productArn: "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default",
          nowMs: 0,
        }),
      /requires them to be equal/,
    );
    assert.throws(
      () =>
        buildConversionContext({
          accountId: "111122223333",
          region: "cn-north-1",
          partition: "aws",
          nowMs: 0,
        }),
      /does not match Region/,
    );
  });
  it("requires the account and the Region", () => {
    assert.throws(() => buildConversionContext({ nowMs: 0 }), /account id is missing.*Region is missing/);
  });
});

describe("text", () => {
  it("truncates by code points with a visible ellipsis inside the limit", () => {
    const text = "😀".repeat(300);
    const cut = truncate(text, 256);
    assert.equal(codePointLength(cut), 256);
    assert.ok(cut.endsWith("…"));
    assert.equal(truncate("short", 256), "short");
  });
  it("strips ANSI colour codes, HTML and control characters", () => {
    assert.equal(
      cleanText("\u001b[31mred\u001b[0m <b>bold</b> &lt;x&gt;\u0000 List<String>"),
      "red bold <x> List<String>",
    );
    assert.equal(cleanText("<p>one</p><p>two</p>"), "one\ntwo");
  });
});

describe("finding ids", () => {
  it("is a pure function of the stable inputs", () => {
    assert.equal(
      findingId("trivy", "CVE-1", ["img", "pkg", "/a"]),
      findingId("trivy", "CVE-1", ["img", "pkg", "/a"]),
    );
    assert.notEqual(
      findingId("trivy", "CVE-1", ["img", "pkg", "/a"]),
      findingId("trivy", "CVE-1", ["img", "pkg", "/b"]),
    );
    // the separator cannot be forged by moving characters between parts
    assert.notEqual(findingId("t", "r", ["a/b", "c"]), findingId("t", "r", ["a", "b/c"]));
  });
  it("stays within 512 characters for any rule", () => {
    assert.ok(findingId("t", "x".repeat(5000), ["y".repeat(5000)]).length <= 512);
    const long1 = generatorId("t", `${"x".repeat(600)}1`);
    const long2 = generatorId("t", `${"x".repeat(600)}2`);
    assert.ok(long1.length <= 512);
    assert.notEqual(long1, long2);
  });
});

describe("redaction", () => {
  it("replaces secret-named properties at any depth and keeps line numbers", () => {
    const out = redactProperties({
      offender: "AKIAIOSFODNN7EXAMPLE",
      nested: { Match: "x=1", line: 4 },
      Lines: ["a"],
    });
    assert.deepEqual(out, { offender: REDACTED, nested: { Match: REDACTED, line: 4 }, Lines: REDACTED });
  });
  it("removes known secret values from text", () => {
    assert.equal(redactValues("key=AKIAIOSFODNN7EXAMPLE;", ["AKIAIOSFODNN7EXAMPLE"]), `key=${REDACTED};`);
  });
});

describe("registry", () => {
  const custom: ReportParser = {
    name: "acme",
    detect: (d) => (d as { acme?: unknown })?.acme === true,
    parse: () => ({ drafts: [] }),
  };
  it("refuses duplicate and malformed parsers with a ConfigurationError", () => {
    assert.throws(() => createRegistry([{ ...custom, name: "trivy" }]), ConfigurationError);
    assert.throws(() => createRegistry([{ ...custom, name: "Bad Name" }]), ConfigurationError);
    assert.throws(() => new ParserRegistry().register({ name: "x" } as unknown as ReportParser), /detect/);
  });
  it("tries custom parsers before the built-ins and survives a throwing detect", () => {
    const throwing: ReportParser = {
      name: "boom",
      detect: () => {
        throw new Error("bug");
      },
      parse: () => ({ drafts: [] }),
    };
    const registry = createRegistry([throwing, custom]);
    assert.equal(registry.detect({ acme: true, SchemaVersion: 2, Results: [] })?.name, "acme");
    assert.equal(registry.detect({ SchemaVersion: 2, Results: [] })?.name, "trivy");
  });
});

describe("finalize", () => {
  it("adds identity and context and moves provider fields to FindingProviderFields", () => {
    const ctx = fixedContext({ companyName: "Acme", productName: "Scanner", scope: "repo@main" });
    const f = finalized(draft({ Confidence: 80, Criticality: 50 }), ctx);
    assert.equal(f.SchemaVersion, "2018-10-08");
    assert.equal(f.ProductArn, ctx.productArn);
    assert.equal(f.AwsAccountId, "123456789012");
    assert.equal(f.CreatedAt, new Date(FIXED_NOW_MS).toISOString());
    assert.equal(f.UpdatedAt, f.CreatedAt);
    assert.equal(f.CompanyName, "Acme");
    assert.equal(f.ProductName, "Scanner");
    assert.equal(f.ProductFields?.["shadowhub/scope"], "repo@main");
    assert.deepEqual(f.FindingProviderFields, {
      Severity: { Label: "HIGH", Original: "high" },
      Types: ["Software and Configuration Checks/Vulnerabilities/CVE"],
      Confidence: 80,
      Criticality: 50,
    });
    for (const key of ["Severity", "Types", "Confidence", "Criticality"] as const)
      assert.equal(f[key], undefined);
    assert.deepEqual(validateFinding(f), []);
  });
  it("trusts the control-free mark on the marked draft only, never on a copy or on the context", () => {
    const clean = draft();
    markControlFree(clean);
    assert.deepEqual(Object.keys(clean), Object.keys(draft()));
    assert.deepEqual(finalized(clean), finalized(draft()));
    // a parser's copy of a marked draft with a new value is searched again
    const copy = { ...clean, Title: "bad\u001b[31m title" };
    assert.equal(finalized(copy).Title, "bad title");
    // the context's strings are checked whatever the draft's mark says
    const dirty = {
      ...fixedContext(),
      accountId: "1234567890\u000712",
      productArn: `${fixedContext().productArn}\u0000`,
    };
    const marked = draft();
    markControlFree(marked);
    const result = finalizeDraft(marked, dirty, { source: "t", format: "test" });
    assert.ok("finding" in result);
    assert.equal(result.finding.ProductArn, fixedContext().productArn);
    assert.equal(result.finding.AwsAccountId, "123456789012");
    // a frozen draft cannot be marked and is searched like any other
    const frozen = Object.freeze(draft({ Title: "x\u001b[1my" }));
    markControlFree(frozen);
    assert.equal(finalized(frozen).Title, "xy");
  });
  it("keeps the report's own time, normalized to UTC milliseconds", () => {
    const f = finalized(
      draft({ CreatedAt: "2024-05-01T10:00:00.123456+02:00", UpdatedAt: "2024-05-01T10:00:00.123456+02:00" }),
    );
    assert.equal(f.UpdatedAt, "2024-05-01T08:00:00.123Z");
  });
  it("fits Title, Description, Remediation text and maps to the limits with a visible ellipsis", () => {
    const productFields: Record<string, string> = {};
    for (let i = 0; i < 80; i++) productFields[`k${i}`] = "v".repeat(3000);
    const f = finalized(
      draft({
        Title: `<b>${"t".repeat(400)}</b>`,
        Description: `"quoted"\n${"d".repeat(2000)}`,
        Remediation: { Recommendation: { Text: "r".repeat(900) } },
        ProductFields: productFields,
        Resources: [{ Type: "Other", Id: "x", Details: { Other: { ["k".repeat(200)]: "v".repeat(5000) } } }],
      }),
      fixedContext({ scope: "s" }),
    );
    assert.equal(codePointLength(f.Title ?? ""), 256);
    assert.ok(f.Title?.endsWith("…") && !f.Title.includes("<b>"));
    assert.equal(codePointLength(f.Description ?? ""), 1024);
    assert.equal(codePointLength(f.Remediation?.Recommendation?.Text ?? ""), 512);
    assert.equal(Object.keys(f.ProductFields ?? {}).length, 50);
    assert.equal(f.ProductFields?.["shadowhub/scope"], "s", "shadowhub's own keys survive the cap");
    assert.deepEqual(validateFinding(f), []);
  });
  it("shrinks an oversize finding by the documented policy and records what it did", () => {
    const packages = Array.from({ length: 5000 }, (_, i) => ({
      Name: `pkg-${i}`,
      Version: "1.0.0",
      FilePath: `/usr/lib/${"p".repeat(40)}/${i}`,
    }));
    const f = finalized(
      draft({
        Vulnerabilities: [
          {
            Id: "CVE-1",
            VulnerablePackages: packages,
            ReferenceUrls: Array.from({ length: 500 }, (_, i) => `https://example.com/${i}`),
          },
        ],
      }),
    );
    assert.ok(Buffer.byteLength(JSON.stringify(f)) <= MAX_FINDING_BYTES);
    assert.match(f.ProductFields?.["shadowhub/shrunk"] ?? "", /references/);
    assert.match(f.ProductFields?.["shadowhub/shrunk"] ?? "", /packages/);
    const kept = f.Vulnerabilities?.[0]?.VulnerablePackages?.length ?? 0;
    assert.equal(Number(f.ProductFields?.["shadowhub/omitted-packages"]), 5000 - kept);
    assert.deepEqual(validateFinding(f), []);
  });
  it("reports a finding that cannot be shrunk under 240 KB as a failure with the reason", () => {
    const result = finalizeDraft(
      draft({ Resources: [{ Type: "Other", Id: "x".repeat(300_000) }] }),
      fixedContext(),
      {
        source: "big.json",
      },
    );
    assert.ok("failure" in result);
    assert.equal(result.failure.rule, `maxBytes ${MAX_FINDING_BYTES}`);
    assert.equal(result.failure.findingId, "tool/rule/abc");
    assert.match(result.failure.message, /after every shrink step/);
  });
  it("turns a validator complaint into a failure and never returns the invalid finding", () => {
    const result = finalizeDrafts(
      [draft({ Compliance: { Status: "BROKEN" as "PASSED" } }), draft({ Id: "ok" })],
      fixedContext(),
      {
        source: "x.json",
      },
    );
    assert.equal(result.findings.length, 1);
    assert.equal(result.findings[0]?.Id, "ok");
    assert.equal(result.failures.length, 1);
    assert.match(result.failures[0]?.message ?? "", /Compliance\.Status/);
  });
  it("keeps one finding per Id when a report lists the same issue twice", () => {
    const result = finalizeDrafts([draft(), draft()], fixedContext(), { source: "x.json" });
    assert.equal(result.findings.length, 1);
  });
  it("drops blank strings and empty lists that ASFF would reject", () => {
    const f = finalized(
      draft({
        SourceUrl: "  ",
        Vulnerabilities: [
          { Id: "CVE-1", ReferenceUrls: [], VulnerablePackages: [{ Name: "a", FixedInVersion: "" }] },
        ],
      }),
    );
    assert.equal(f.SourceUrl, undefined);
    assert.deepEqual(f.Vulnerabilities, [{ Id: "CVE-1", VulnerablePackages: [{ Name: "a" }] }]);
  });
});
