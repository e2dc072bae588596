/** BatchUpdateFindings update members (spec §4.1) and the seed's own finding. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { validateBatchUpdateFields, validateFinding } from "../../../lambdas/core/asff/validate.ts";
import { chars, pairs, times } from "./finding-factory.ts";

const ids = [
  { Id: "f-1", ProductArn: "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default" },
];
const TYPES = 'should match pattern "^([^/]+)(/[^/]+){0,2}$"';
const related = { ProductArn: ids[0]?.ProductArn, Id: "r" };

const CASES: ReadonlyArray<{ name: string; request: Record<string, unknown>; expect: string[] }> = [
  {
    name: "accepts every update member",
    request: {
      FindingIdentifiers: ids,
      Note: { Text: "triaged", UpdatedBy: "alice" },
      Severity: { Label: "LOW", Normalized: 1, Product: 1.5 },
      VerificationState: "FALSE_POSITIVE",
      Confidence: 0,
      Criticality: 100,
      Types: ["TTPs/Discovery"],
      UserDefinedFields: { ticket: "SEC-1" },
      Workflow: { Status: "RESOLVED" },
      RelatedFindings: [related],
    },
    expect: [],
  },
  {
    name: "requires FindingIdentifiers",
    request: {},
    expect: ["data should have required property 'FindingIdentifiers'."],
  },
  {
    name: "requires both members of an identifier",
    request: { FindingIdentifiers: [{ Id: "f-1" }] },
    expect: ["data.FindingIdentifiers[0] should have required property 'ProductArn'."],
  },
  {
    name: "requires Note.UpdatedBy",
    request: { FindingIdentifiers: ids, Note: { Text: "t" } },
    expect: ["data.Note should have required property 'UpdatedBy'."],
  },
  {
    name: "limits Note.Text to 512 characters",
    request: { FindingIdentifiers: ids, Note: { Text: chars(513), UpdatedBy: "a" } },
    expect: ["data.Note.Text should NOT be longer than 512 characters."],
  },
  {
    name: "rejects Severity.Normalized 101",
    request: { FindingIdentifiers: ids, Severity: { Normalized: 101 } },
    expect: ["data.Severity.Normalized should be <= 100."],
  },
  {
    name: "rejects an unknown Severity.Label",
    request: { FindingIdentifiers: ids, Severity: { Label: "URGENT" } },
    expect: ["data.Severity.Label should be equal to one of the allowed values."],
  },
  {
    name: "rejects a string Severity.Product",
    request: { FindingIdentifiers: ids, Severity: { Product: "5" } },
    expect: ["data.Severity.Product should be number."],
  },
  {
    name: "rejects VerificationState Confirmed",
    request: { FindingIdentifiers: ids, VerificationState: "Confirmed" },
    expect: ["data.VerificationState should be equal to one of the allowed values."],
  },
  {
    name: "rejects Confidence 101",
    request: { FindingIdentifiers: ids, Confidence: 101 },
    expect: ["data.Confidence should be <= 100."],
  },
  {
    name: "rejects Criticality -1",
    request: { FindingIdentifiers: ids, Criticality: -1 },
    expect: ["data.Criticality should be >= 0."],
  },
  {
    name: "rejects an empty type",
    request: { FindingIdentifiers: ids, Types: [""] },
    expect: [`data.Types[0] ${TYPES}.`],
  },
  {
    name: "rejects 51 types",
    request: { FindingIdentifiers: ids, Types: times(51, "TTPs") },
    expect: ["data.Types should NOT have more than 50 items."],
  },
  {
    name: "rejects 51 user-defined fields",
    request: { FindingIdentifiers: ids, UserDefinedFields: pairs(51) },
    expect: ["data.UserDefinedFields should NOT have more than 50 properties."],
  },
  {
    name: "rejects a 1025-character user-defined value",
    request: { FindingIdentifiers: ids, UserDefinedFields: { k: chars(1025) } },
    expect: ["data.UserDefinedFields.k should NOT be longer than 1024 characters."],
  },
  {
    name: "rejects Workflow.Status OPEN",
    request: { FindingIdentifiers: ids, Workflow: { Status: "OPEN" } },
    expect: ["data.Workflow.Status should be equal to one of the allowed values."],
  },
  {
    name: "rejects 11 related findings",
    request: { FindingIdentifiers: ids, RelatedFindings: times(11, related) },
    expect: ["data.RelatedFindings should NOT have more than 10 items."],
  },
  {
    name: "rejects a related finding without Id",
    request: { FindingIdentifiers: ids, RelatedFindings: [{ ProductArn: "arn:aws:securityhub:x" }] },
    expect: ["data.RelatedFindings[0] should have required property 'Id'."],
  },
];

describe("validateBatchUpdateFields", () => {
  for (const c of CASES) {
    it(c.name, () => {
      assert.deepEqual(
        validateBatchUpdateFields(c.request).map((v) => v.message),
        c.expect,
      );
    });
  }
});

describe("the seed's batch-import-findings example", () => {
  it("is a valid finding", () => {
    // test/unit/asff/fixtures/seed-batch-import-findings.json: the `--findings` array of the AWS CLI
    // example in ../shared/seed (User Guide finding-update-batchimportfindings.md), copied verbatim.
    const findings = JSON.parse(
      readFileSync(new URL("./fixtures/seed-batch-import-findings.json", import.meta.url), "utf8"),
    ) as unknown[];
    assert.equal(findings.length, 1);
    for (const f of findings) assert.deepEqual(validateFinding(f), []);
  });
});
