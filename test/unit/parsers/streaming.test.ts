/**
 * Streaming conversion: `convertReportBatches`, the parsers' `parseItems` and `createFinalizer`
 * must give exactly what the whole-report path gives, in bounded batches, and keep the
 * never-throw contract for bad input.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigurationError, InputError } from "../../../lambdas/core/errors.ts";
import type {
  ConversionFailure,
  FindingDraft,
  ReportParser,
} from "../../../lambdas/core/parsers/contracts.ts";
import {
  type ConversionBatch,
  convertReport,
  convertReportBatches,
} from "../../../lambdas/core/parsers/convert.ts";
import { createFinalizer, finalizeDrafts } from "../../../lambdas/core/parsers/finalize.ts";
import { createRegistry } from "../../../lambdas/core/parsers/registry.ts";
import { parseTrivy, trivyItems } from "../../../lambdas/core/parsers/trivy.ts";
import { fixedContext } from "./helpers.ts";

const FIXTURES = join(import.meta.dirname, "../../fixtures");
const ctx = fixedContext();

function fixtures(): { name: string; content: Buffer }[] {
  const out: { name: string; content: Buffer }[] = [];
  for (const format of ["trivy", "grype", "sarif", "zap", "asff"]) {
    for (const name of readdirSync(join(FIXTURES, format))) {
      if (name.includes(".golden.")) continue;
      out.push({ name: `${format}/${name}`, content: readFileSync(join(FIXTURES, format, name)) });
    }
  }
  return out;
}

function collect(batches: Iterable<ConversionBatch>): {
  batches: ConversionBatch[];
  findings: unknown[];
  failures: ConversionFailure[];
} {
  const all = [...batches];
  return {
    batches: all,
    findings: all.flatMap((b) => b.findings),
    failures: all.flatMap((b) => b.failures),
  };
}

const byText = (a: ConversionFailure, b: ConversionFailure): number =>
  JSON.stringify(a) < JSON.stringify(b) ? -1 : 1;

function trivyReport(vulnerabilities: number): string {
  return JSON.stringify({
    SchemaVersion: 2,
    ArtifactName: "app",
    ArtifactType: "filesystem",
    Results: [
      {
        Target: "package-lock.json",
        Class: "lang-pkgs",
        Type: "npm",
        Vulnerabilities: [
          ...Array.from({ length: vulnerabilities }, (_, i) => ({
            VulnerabilityID: `CVE-2024-${1000 + i}`,
            PkgName: `pkg-${i}`,
            Severity: "HIGH",
          })),
          { PkgName: "no-id" },
        ],
      },
    ],
  });
}

describe("convertReportBatches", () => {
  it("yields exactly convertReport's findings, in order, and the same failures, for every fixture", () => {
    for (const { name, content } of fixtures()) {
      const whole = convertReport({ source: name, content }, ctx);
      const streamed = collect(
        convertReportBatches({ source: name, content }, ctx, undefined, { batchSize: 7 }),
      );
      assert.deepEqual(streamed.findings, whole.findings, `${name}: findings`);
      assert.deepEqual(
        [...streamed.failures].sort(byText),
        [...whole.failures].sort(byText),
        `${name}: failures`,
      );
      for (const batch of streamed.batches) {
        assert.equal(batch.format, whole.format, `${name}: format`);
        assert.ok(batch.findings.length <= 7, `${name}: batch of ${batch.findings.length} > 7`);
      }
    }
  });

  it("fills every batch but the last to the batch size (100 by default)", () => {
    const streamed = collect(convertReportBatches({ source: "r.json", content: trivyReport(250) }, ctx));
    assert.deepEqual(
      streamed.batches.map((b) => b.findings.length),
      [100, 100, 50],
    );
    assert.equal(streamed.failures.length, 1, "the entry without a VulnerabilityID");
    assert.equal(streamed.failures[0]?.field, "Results[0].Vulnerabilities[250].VulnerabilityID");
  });

  it("yields one batch with the failure for unreadable or unknown reports", () => {
    for (const content of ['{"SchemaVersion": 2, "Resu', '{"unknown": true}']) {
      const streamed = collect(convertReportBatches({ source: "bad.json", content }, ctx));
      assert.equal(streamed.batches.length, 1);
      assert.equal(streamed.findings.length, 0);
      assert.equal(streamed.failures.length, 1);
      assert.match(streamed.failures[0]?.message ?? "", /^bad\.json: /);
    }
  });

  it("yields one empty batch with the format for a clean scan", () => {
    const content = JSON.stringify({ SchemaVersion: 2, ArtifactName: "app", Results: [] });
    const streamed = collect(convertReportBatches({ source: "clean.json", content }, ctx));
    assert.equal(streamed.batches.length, 1);
    assert.equal(streamed.batches[0]?.format, "trivy");
    assert.equal(streamed.findings.length + streamed.failures.length, 0);
  });

  it("streams a custom parser without parseItems from its parse result", () => {
    const drafts = (): FindingDraft[] =>
      Array.from({ length: 5 }, (_, i) => ({
        Id: `custom/${i % 4}`,
        GeneratorId: "custom/rule",
        Title: `Issue ${i}`,
        Description: "d",
        Severity: { Label: "LOW" },
        Types: ["Software and Configuration Checks"],
        Resources: [{ Type: "Other", Id: "r" }],
      }));
    const custom: ReportParser = {
      name: "custom",
      detect: (d) => typeof d === "object" && d !== null && "custom" in d,
      parse: () => ({ drafts: drafts(), failures: [{ source: "c.json", rule: "r", message: "m" }] }),
    };
    const registry = createRegistry([custom]);
    const content = '{"custom": 1}';
    const whole = convertReport({ source: "c.json", content }, ctx, registry);
    const streamed = collect(
      convertReportBatches({ source: "c.json", content }, ctx, registry, { batchSize: 2 }),
    );
    assert.equal(whole.findings.length, 4, "the repeated Id custom/0 is kept once");
    assert.deepEqual(streamed.findings, whole.findings);
    assert.deepEqual(streamed.failures, whole.failures);
    assert.deepEqual(
      streamed.batches.map((b) => b.findings.length),
      [2, 2, 0],
    );
  });

  it("ends the stream with a failure when a parser throws after yielding findings", () => {
    const draft: FindingDraft = {
      Id: "x/1",
      GeneratorId: "x",
      Title: "t",
      Description: "d",
      Severity: { Label: "LOW" },
      Types: ["Software and Configuration Checks"],
      Resources: [{ Type: "Other", Id: "r" }],
    };
    const broken: ReportParser = {
      name: "broken",
      detect: () => false,
      parse: () => ({ drafts: [] }),
      *parseItems() {
        yield { draft };
        throw new InputError("c.json: entry 2 is unreadable", { source: "c.json", rule: "entry" });
      },
    };
    const registry = createRegistry([broken]);
    const streamed = collect(
      convertReportBatches({ source: "c.json", content: "{}", format: "broken" }, ctx, registry, {
        batchSize: 1,
      }),
    );
    assert.equal(streamed.findings.length, 1);
    assert.deepEqual(
      streamed.failures.map((f) => f.rule),
      ["entry"],
    );
    // the whole-report path reports the same failure and, as before, no findings
    const whole = convertReport({ source: "c.json", content: "{}", format: "broken" }, ctx, registry);
    assert.deepEqual(
      whole.failures.map((f) => f.rule),
      ["entry"],
    );
    assert.equal(whole.findings.length, 0);
  });
});

describe("parser registry", () => {
  it("rejects a parseItems that is not a function", () => {
    const bad = { name: "x", detect: () => false, parse: () => ({ drafts: [] }), parseItems: 1 };
    assert.throws(() => createRegistry([bad as unknown as ReportParser]), ConfigurationError);
  });
});

describe("trivyItems", () => {
  it("yields parseTrivy's drafts in order and its failures", () => {
    const document: unknown = JSON.parse(trivyReport(3));
    const context = { source: "r.json", conversion: ctx };
    const items = [...trivyItems(document, context)];
    const parsed = parseTrivy(JSON.parse(trivyReport(3)), context);
    assert.deepEqual(
      items.flatMap((i) => (i.draft ? [i.draft] : [])),
      parsed.drafts,
    );
    assert.deepEqual(
      items.flatMap((i) => (i.failure ? [i.failure] : [])),
      parsed.failures,
    );
  });

  it("throws InputError on the first step for a document that is not a Trivy report", () => {
    const items = trivyItems([], { source: "r.json", conversion: ctx });
    assert.throws(() => items.next(), InputError);
  });
});

describe("createFinalizer", () => {
  it("finalizes one draft at a time like finalizeDrafts and drops a repeated Id", () => {
    const draft = (title: string): FindingDraft => ({
      Id: "x/1",
      GeneratorId: "x",
      Title: title,
      Description: "d",
      Severity: { Label: "HIGH", Original: "high" },
      Types: ["Software and Configuration Checks"],
      Resources: [{ Type: "Other", Id: "r" }],
    });
    const finalizer = createFinalizer(ctx, { source: "s", format: "f" });
    const first = finalizer.add(draft("first"));
    const second = finalizer.add(draft("second"));
    assert.equal(first.finding?.Title, "first");
    assert.ok("duplicate" in second && second.duplicate);
    const batch = finalizeDrafts([draft("first"), draft("second")], ctx, { source: "s", format: "f" });
    assert.deepEqual([first.finding], batch.findings);
  });
});
