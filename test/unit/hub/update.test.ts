import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DAY_MS } from "../../../lambdas/core/asff/limits.ts";
import { HubApiError } from "../../../lambdas/core/hub/contracts.ts";
import { batchUpdateFindings, batchUpdateKeys } from "../../../lambdas/core/hub/update.ts";
import { ACCOUNT, context, finding, PRODUCT_ARN, REGION, T0, TestHub } from "./factories.ts";

const ID = { Id: "finding-1", ProductArn: PRODUCT_ARN };

function seeded(...extra: Record<string, unknown>[]): TestHub {
  const hub = new TestHub();
  hub.import([finding(), ...extra.map((e) => finding(e))]);
  return hub;
}

function rejects(fn: () => unknown, message: RegExp): void {
  assert.throws(
    fn,
    (e: unknown) =>
      e instanceof HubApiError &&
      e.code === "InvalidInputException" &&
      e.httpStatus === 400 &&
      message.test(e.message),
  );
}

describe("BatchUpdateFindings updatable fields", () => {
  it("updates Confidence, Criticality, Types, RelatedFindings and VerificationState", () => {
    const hub = seeded();
    const related = [{ ProductArn: PRODUCT_ARN, Id: "other" }];
    const r = hub.update({
      FindingIdentifiers: [ID],
      Confidence: 80,
      Criticality: 60,
      Types: ["Effects/Data Exposure"],
      RelatedFindings: related,
      VerificationState: "TRUE_POSITIVE",
    });
    assert.deepEqual(r.response, { ProcessedFindings: [ID], UnprocessedFindings: [] });
    const f = hub.json();
    assert.equal(f.Confidence, 80);
    assert.equal(f.Criticality, 60);
    assert.deepEqual(f.Types, ["Effects/Data Exposure"]);
    assert.deepEqual(f.RelatedFindings, related);
    assert.equal(f.VerificationState, "TRUE_POSITIVE");
  });

  it("stamps Note.UpdatedAt with the service time", () => {
    const hub = seeded();
    hub.update(
      { FindingIdentifiers: [ID], Note: { Text: "looked at it", UpdatedBy: "alice" } },
      context({ nowMs: T0 + 60_000 }),
    );
    assert.deepEqual(hub.json().Note, {
      Text: "looked at it",
      UpdatedBy: "alice",
      UpdatedAt: "2024-03-01T12:01:00.000Z",
    });
  });

  it("sets Workflow.Status", () => {
    const hub = seeded();
    hub.update({ FindingIdentifiers: [ID], Workflow: { Status: "SUPPRESSED" } });
    assert.deepEqual(hub.json().Workflow, { Status: "SUPPRESSED" });
  });

  it("merges UserDefinedFields keys into the stored map", () => {
    const hub = seeded();
    hub.update({ FindingIdentifiers: [ID], UserDefinedFields: { team: "a", ticket: "T-1" } });
    hub.update({ FindingIdentifiers: [ID], UserDefinedFields: { ticket: "T-2" } });
    assert.deepEqual(hub.json().UserDefinedFields, { team: "a", ticket: "T-2" });
  });

  it("derives Severity.Label from a Normalized-only update", () => {
    const hub = seeded();
    hub.update({ FindingIdentifiers: [ID], Severity: { Normalized: 45 } });
    assert.deepEqual(hub.json().Severity, { Label: "MEDIUM", Original: "7", Normalized: 45 });
  });

  it("derives Severity.Normalized from a Label-only update", () => {
    const hub = seeded();
    hub.update({ FindingIdentifiers: [ID], Severity: { Label: "LOW" } });
    assert.deepEqual(hub.json().Severity, { Label: "LOW", Original: "7", Normalized: 1 });
  });

  it("never changes UpdatedAt, ProcessedAt, FindingProviderFields or the retention clock", () => {
    const hub = seeded();
    const before = hub.json();
    const lastProvider = hub.get()?.lastProviderUpdateMs;
    hub.update(
      { FindingIdentifiers: [ID], Severity: { Label: "CRITICAL" }, Types: ["TTPs"] },
      context({ nowMs: T0 + DAY_MS }),
    );
    const after = hub.json();
    assert.equal(after.UpdatedAt, before.UpdatedAt);
    assert.equal(after.ProcessedAt, before.ProcessedAt);
    assert.deepEqual(after.FindingProviderFields, before.FindingProviderFields);
    assert.equal(hub.get()?.lastProviderUpdateMs, lastProvider);
  });

  it("marks only the precedence attributes it changed as customer-touched", () => {
    const hub = seeded();
    hub.update({
      FindingIdentifiers: [ID],
      Confidence: 10,
      Note: { Text: "n", UpdatedBy: "u" },
      Workflow: { Status: "NOTIFIED" },
    });
    assert.deepEqual(hub.get()?.customerTouched, ["Confidence"]);
    hub.update({ FindingIdentifiers: [ID], Severity: { Label: "LOW" }, Types: ["TTPs"] });
    assert.deepEqual(hub.get()?.customerTouched, ["Confidence", "Severity", "Types"]);
  });

  it("emits one event per updated finding with the updated finding", () => {
    const hub = seeded({ Id: "finding-2" });
    const r = hub.update({
      FindingIdentifiers: [ID, { Id: "finding-2", ProductArn: PRODUCT_ARN }],
      Workflow: { Status: "RESOLVED" },
    });
    assert.equal(r.events.length, 2);
    assert.deepEqual(
      r.events.map((e) => e.resources[0]),
      [`${PRODUCT_ARN}/finding-1`, `${PRODUCT_ARN}/finding-2`],
    );
    assert.equal(r.events[0]?.detail.findings[0]?.Workflow?.Status, "RESOLVED");
  });
});

describe("BatchUpdateFindings UnprocessedFindings codes", () => {
  it("reports FindingNotFound for an unknown finding and processes the others", () => {
    const hub = seeded();
    const missing = { Id: "nope", ProductArn: PRODUCT_ARN };
    const r = hub.update({ FindingIdentifiers: [missing, ID], Confidence: 10 });
    assert.deepEqual(r.response.ProcessedFindings, [ID]);
    assert.deepEqual(r.response.UnprocessedFindings, [
      { FindingIdentifier: missing, ErrorCode: "FindingNotFound", ErrorMessage: "Finding Not Found" },
    ]);
    assert.equal(r.events.length, 1);
  });

  it("reports FindingNotFound for a finding that aged out after 90 days", () => {
    const hub = seeded();
    const r = hub.update(
      { FindingIdentifiers: [ID], Confidence: 10 },
      context({ nowMs: T0 + 90 * DAY_MS + 1 }),
    );
    assert.equal(r.response.UnprocessedFindings[0]?.ErrorCode, "FindingNotFound");
  });

  it("reports DuplicatedFindingIdentifier for every occurrence of a repeated identifier", () => {
    const hub = seeded({ Id: "finding-2" });
    const other = { Id: "finding-2", ProductArn: PRODUCT_ARN };
    const r = hub.update({ FindingIdentifiers: [ID, other, { ...ID }], Confidence: 10 });
    assert.deepEqual(r.response.ProcessedFindings, [other]);
    assert.deepEqual(
      r.response.UnprocessedFindings.map((u) => [u.FindingIdentifier.Id, u.ErrorCode, u.ErrorMessage]),
      [
        ["finding-1", "DuplicatedFindingIdentifier", "Finding Identifier is duplicated"],
        ["finding-1", "DuplicatedFindingIdentifier", "Finding Identifier is duplicated"],
      ],
    );
    assert.equal(hub.json().Confidence, undefined);
  });

  it("reports InvalidInput with the violated rule for an invalid update value", () => {
    const hub = seeded();
    const r = hub.update({ FindingIdentifiers: [ID], Confidence: 101 });
    assert.equal(r.response.UnprocessedFindings[0]?.ErrorCode, "InvalidInput");
    assert.match(
      r.response.UnprocessedFindings[0]?.ErrorMessage ?? "",
      /^Invalid Input: data\.Confidence should be <= 100/,
    );
    assert.equal(r.writes.length, 0);
  });

  it("reports InvalidInput for an invalid Workflow.Status and a too-long note", () => {
    const hub = seeded();
    const bad = hub.update({ FindingIdentifiers: [ID], Workflow: { Status: "DONE" } });
    assert.equal(bad.response.UnprocessedFindings[0]?.ErrorCode, "InvalidInput");
    const note = hub.update({ FindingIdentifiers: [ID], Note: { Text: "x".repeat(513), UpdatedBy: "u" } });
    assert.match(note.response.UnprocessedFindings[0]?.ErrorMessage ?? "", /Note\.Text/);
  });

  it("reports InvalidInput for a malformed identifier and processes the others", () => {
    const hub = seeded();
    const r = hub.update({ FindingIdentifiers: [{ Id: "finding-1" }, ID], Confidence: 5 });
    assert.deepEqual(r.response.ProcessedFindings, [ID]);
    assert.deepEqual(r.response.UnprocessedFindings[0]?.FindingIdentifier, {
      Id: "finding-1",
      ProductArn: "",
    });
    assert.equal(r.response.UnprocessedFindings[0]?.ErrorCode, "InvalidInput");
  });

  it("reports FindingSizeExceeded when the update would grow the finding past 240 KB", () => {
    const hub = new TestHub();
    const bulky = finding({
      Resources: Array.from({ length: 24 }, (_, i) => ({
        Type: "Other",
        Id: `r-${i}`,
        Details: {
          Other: Object.fromEntries(Array.from({ length: 50 }, (_, k) => [`k${k}`, "v".repeat(180)])),
        },
      })),
    });
    assert.equal(hub.import([bulky]).response.SuccessCount, 1);
    const udf = Object.fromEntries(Array.from({ length: 50 }, (_, k) => [`field-${k}`, "u".repeat(1000)]));
    const r = hub.update({ FindingIdentifiers: [ID], UserDefinedFields: udf });
    assert.deepEqual(r.response.UnprocessedFindings[0], {
      FindingIdentifier: ID,
      ErrorCode: "FindingSizeExceeded",
      ErrorMessage: "Finding size exceeded 240 KB",
    });
    assert.equal(hub.json().UserDefinedFields, undefined);
  });
});

describe("BatchUpdateFindings whole-request errors", () => {
  it("rejects a request without FindingIdentifiers", () => {
    rejects(() => batchUpdateFindings({ Confidence: 1 }, new Map(), context()), /'FindingIdentifiers'/);
  });

  it("rejects more than 100 identifiers", () => {
    const ids = Array.from({ length: 101 }, (_, i) => ({ Id: `f-${i}`, ProductArn: PRODUCT_ARN }));
    rejects(
      () => batchUpdateFindings({ FindingIdentifiers: ids, Confidence: 1 }, new Map(), context()),
      /Size '101' is greater than maximum value: 100/,
    );
  });

  it("rejects a request that updates nothing", () => {
    rejects(() => batchUpdateFindings({ FindingIdentifiers: [ID] }, new Map(), context()), /at least one of/);
  });
});

describe("batchUpdateKeys", () => {
  it("lists the caller's keys for well-formed identifiers, once each", () => {
    const keys = batchUpdateKeys({ FindingIdentifiers: [ID, ID, { Id: 3 }, "x"] }, context());
    assert.deepEqual(keys, [
      { accountId: ACCOUNT, region: REGION, productArn: PRODUCT_ARN, id: "finding-1" },
    ]);
    assert.deepEqual(batchUpdateKeys(null, context()), []);
  });
});
