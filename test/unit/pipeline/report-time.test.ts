import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { convertReport } from "../../../lambdas/core/parsers/convert.ts";
import { importReportTimeMs, reportTimeMs } from "../../../lambdas/core/pipeline/report-time.ts";
import { finding } from "./factories.ts";

const NOW = Date.parse("2026-03-01T00:00:00.000Z");
const ctx = {
  accountId: "123456789012",
  region: "us-east-1",
  productArn: "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default",
  partition: "aws" as const,
  nowMs: NOW,
};
const convert = (document: unknown) =>
  convertReport({ source: "r.json", content: JSON.stringify(document) }, ctx);

describe("report time of an import", () => {
  it("takes the report's own time first, then its findings' newest UpdatedAt, then the fallback", () => {
    const a = finding("a", { UpdatedAt: "2026-01-01T00:00:00.000Z" });
    const b = finding("b", { UpdatedAt: "2026-01-02T00:00:00.000Z" });
    assert.equal(
      reportTimeMs({ reportTime: "2026-01-05T00:00:00Z", findings: [a] }, NOW),
      Date.parse("2026-01-05T00:00:00Z"),
    );
    assert.equal(reportTimeMs({ findings: [b, a] }, NOW), Date.parse("2026-01-02T00:00:00Z"));
    assert.equal(reportTimeMs({ findings: [] }, NOW), NOW);
  });

  it("takes the newest report of an import, and the fallback for no report", () => {
    const old = { reportTime: "2026-01-01T00:00:00Z", findings: [] };
    const newer = { reportTime: "2026-01-03T00:00:00Z", findings: [] };
    assert.equal(importReportTimeMs([newer, old], NOW), Date.parse("2026-01-03T00:00:00Z"));
    assert.equal(importReportTimeMs([], NOW), NOW);
  });

  it("dates empty reports of every built-in format that carries a time", () => {
    const cases: [string, unknown, string | undefined][] = [
      [
        "trivy",
        {
          SchemaVersion: 2,
          CreatedAt: "2026-01-04T10:00:00.123456+02:00",
          ArtifactName: "x",
          ArtifactType: "container_image",
          Results: [],
        },
        "2026-01-04T08:00:00.123Z",
      ],
      [
        "grype",
        {
          matches: [],
          source: { type: "image", target: {} },
          descriptor: { name: "grype", timestamp: "2026-01-04T10:00:00Z" },
        },
        "2026-01-04T10:00:00.000Z",
      ],
      [
        "sarif",
        {
          version: "2.1.0",
          runs: [
            {
              tool: { driver: { name: "a" } },
              invocations: [{ executionSuccessful: true, startTimeUtc: "2026-01-04T09:00:00Z" }],
              results: [],
            },
            {
              tool: { driver: { name: "b" } },
              invocations: [{ executionSuccessful: true, endTimeUtc: "2026-01-04T11:00:00Z" }],
              results: [],
            },
          ],
        },
        "2026-01-04T11:00:00.000Z",
      ],
      [
        "zap",
        {
          "@version": "2.14.0",
          "@generated": "Sun, 4 Jan 2026 10:00:00",
          created: "2026-01-04T10:00:00Z",
          site: [],
        },
        "2026-01-04T10:00:00.000Z",
      ],
      ["asff", [], undefined],
    ];
    for (const [format, document, expected] of cases) {
      const result = convert(document);
      assert.equal(result.format, format, JSON.stringify(result.failures));
      assert.equal(result.findings.length, 0, format);
      assert.equal(result.reportTime, expected, format);
    }
  });

  it("leaves a report with a malformed time undated", () => {
    const result = convert({
      SchemaVersion: 2,
      CreatedAt: "yesterday",
      ArtifactName: "x",
      ArtifactType: "container_image",
      Results: [],
    });
    assert.equal(result.format, "trivy");
    assert.equal(result.reportTime, undefined);
  });
});
