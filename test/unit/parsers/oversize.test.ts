/**
 * Oversize findings: the shrink policy's outcome for huge values, and how often the finalizer has
 * to serialize a finding to get there (counted through the injected `sizeOf`, not timed).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_FINDING_BYTES } from "../../../lambdas/core/asff/limits.ts";
import { validateFinding } from "../../../lambdas/core/asff/validate.ts";
import type { FindingDraft } from "../../../lambdas/core/parsers/contracts.ts";
import { convertReport } from "../../../lambdas/core/parsers/convert.ts";
import {
  type FindingSizer,
  finalizeDraft,
  findingJsonBytes,
  unshrinkableUnits,
} from "../../../lambdas/core/parsers/finalize.ts";
import { parseReport } from "../../../lambdas/core/parsers/safe-json.ts";
import { trivyItems } from "../../../lambdas/core/parsers/trivy.ts";
import { fixedContext } from "./helpers.ts";

const MB = 1024 * 1024;
const ctx = fixedContext();

/** A sizer that counts its calls and checks that every answer is exact. */
function countingSizer(): { sizeOf: FindingSizer; readonly calls: number } {
  const counter = {
    calls: 0,
    sizeOf: ((f) => {
      counter.calls++;
      return Buffer.byteLength(JSON.stringify(f), "utf8");
    }) as FindingSizer,
  };
  return counter;
}

function trivyReport(vulnerabilities: unknown[]): string {
  return JSON.stringify({
    SchemaVersion: 2,
    ArtifactName: "app",
    ArtifactType: "filesystem",
    Results: [
      { Target: "package-lock.json", Class: "lang-pkgs", Type: "npm", Vulnerabilities: vulnerabilities },
    ],
  });
}

function trivyDrafts(report: string): FindingDraft[] {
  const document = parseReport("big.json", report);
  const drafts: FindingDraft[] = [];
  for (const item of trivyItems(document, { source: "big.json", conversion: ctx })) {
    if (item.draft) drafts.push(item.draft);
  }
  return drafts;
}

describe("oversize findings", () => {
  it("fails a 10 MB package name by size after one serialization, and still converts the other finding", () => {
    const report = trivyReport([
      {
        VulnerabilityID: "CVE-2024-1",
        PkgName: "n".repeat(10 * MB),
        InstalledVersion: "1.0",
        FixedVersion: "1.1",
        Severity: "HIGH",
        References: Array.from({ length: 50 }, (_, i) => `https://example.com/${i}`),
      },
      { VulnerabilityID: "CVE-2024-2", PkgName: "small", InstalledVersion: "1.0", Severity: "LOW" },
    ]);
    const [huge, small] = trivyDrafts(report);
    assert.ok(huge && small);
    const counter = countingSizer();
    const result = finalizeDraft(huge, ctx, { source: "big.json", format: "trivy", sizeOf: counter.sizeOf });
    assert.ok("failure" in result, "a package name no step may cut cannot fit");
    assert.equal(result.failure.rule, `maxBytes ${MAX_FINDING_BYTES}`);
    assert.match(result.failure.findingId ?? "", /^trivy\/CVE-2024-1\//);
    assert.match(result.failure.message, /after every shrink step/);
    // before: the copy was shrunk and re-serialized after each step that changed it
    assert.equal(counter.calls, 1, "the oversize finding is serialized once");

    const whole = convertReport({ source: "big.json", content: report }, ctx);
    assert.deepEqual(
      whole.findings.map((f) => f.Vulnerabilities?.[0]?.Id),
      ["CVE-2024-2"],
    );
    assert.deepEqual(
      whole.failures.map((f) => f.rule),
      [`maxBytes ${MAX_FINDING_BYTES}`],
    );
  });

  it("fails a 1 MB resource Id the same way", () => {
    const counter = countingSizer();
    const result = finalizeDraft(
      {
        Id: "tool/rule/abc",
        GeneratorId: "tool/rule",
        Title: "t",
        Description: "d",
        Severity: { Label: "HIGH" },
        Types: ["Software and Configuration Checks"],
        Resources: [{ Type: "Other", Id: "x".repeat(MB) }],
      },
      ctx,
      { source: "big.json", sizeOf: counter.sizeOf },
    );
    assert.ok("failure" in result);
    assert.equal(counter.calls, 1);
  });

  it("halves 20,000 packages without serializing the finding once per halving, to the same result", () => {
    const packages = Array.from({ length: 20_000 }, (_, i) => ({
      Name: `pkg-${i}`,
      Version: "1.0.0",
      FilePath: `/usr/lib/${"p".repeat(40)}/${i}`,
    }));
    const draft = (): FindingDraft => ({
      Id: "tool/rule/abc",
      GeneratorId: "tool/rule",
      Title: "t",
      Description: "d",
      Severity: { Label: "HIGH" },
      Types: ["Software and Configuration Checks"],
      Resources: [{ Type: "Other", Id: "thing" }],
      Vulnerabilities: [{ Id: "CVE-1", VulnerablePackages: structuredClone(packages) }],
    });
    const counter = countingSizer();
    const result = finalizeDraft(draft(), ctx, { source: "x.json", sizeOf: counter.sizeOf });
    assert.ok("finding" in result);
    const f = result.finding;
    const bytes = Buffer.byteLength(JSON.stringify(f), "utf8");
    assert.ok(bytes <= MAX_FINDING_BYTES);
    // halving (rounding up) from 20,000 until it fits: the count before the last halving did not fit
    const counts = [20_000];
    while ((counts.at(-1) ?? 1) > 1) counts.push(Math.ceil((counts.at(-1) ?? 1) / 2));
    const kept = f.Vulnerabilities?.[0]?.VulnerablePackages?.length ?? 0;
    const before = counts[counts.indexOf(kept) - 1];
    assert.ok(before !== undefined, `${kept} is a halving of 20,000`);
    assert.equal(Number(f.ProductFields?.["shadowhub/omitted-packages"]), 20_000 - kept);
    const oneLess = structuredClone(f);
    const vulnerability = oneLess.Vulnerabilities?.[0];
    assert.ok(vulnerability);
    vulnerability.VulnerablePackages = packages.slice(0, before);
    assert.ok(findingJsonBytes(oneLess as unknown as Record<string, unknown>) > MAX_FINDING_BYTES);
    assert.deepEqual(validateFinding(f), []);
    // one measurement to find it is too big, one after the packages step: not one per halving
    assert.ok(counter.calls <= 3, `${counter.calls} serializations for ${counts.indexOf(kept)} halvings`);
  });

  it("counts as unshrinkable only what no shrink step removes", () => {
    const f = {
      Id: "abc",
      Resources: [
        { Type: "T", Id: "r1", Details: { Other: { k: "x".repeat(1000) } } },
        { Type: "T", Id: "r2" },
      ],
      Vulnerabilities: [
        {
          Id: "V",
          ReferenceUrls: ["u".repeat(1000)],
          VulnerablePackages: [{ Name: "p1" }, { Name: "p".repeat(1000) }],
          Cvss: [{ BaseVector: "a" }, { BaseVector: "b".repeat(1000) }],
        },
      ],
      ProductFields: { "shadowhub/format": "trivy", other: "o".repeat(1000) },
    };
    const units = unshrinkableUnits(f);
    assert.ok(units < 200, `${units}`);
    assert.ok(units >= "abcr1r2VTIdTypeIdp1Namea".length);
  });
});
