import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DAY_MS, MAX_FINDING_BYTES, MAX_IMPORT_REQUEST_BYTES } from "../../../lambdas/core/asff/limits.ts";
import { HubApiError } from "../../../lambdas/core/hub/contracts.ts";
import {
  batchImportFindings,
  decideImport,
  decideImportFromRecord,
  importKeys,
} from "../../../lambdas/core/hub/import.ts";
import { ACCOUNT, context, finding, PARTNER_ARN, PRODUCT_ARN, REGION, T0, TestHub } from "./factories.ts";

function rejects(fn: () => unknown, code: string, status: number, message?: RegExp | string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof HubApiError, `expected HubApiError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.equal(e.httpStatus, status);
    if (typeof message === "string") assert.equal(e.message, message);
    else if (message) assert.match(e.message, message);
    return true;
  });
}

describe("BatchImportFindings whole-request checks", () => {
  it("rejects more than 100 findings with Security Hub's InvalidInputException message", () => {
    const findings = Array.from({ length: 109 }, (_, i) => finding({ Id: `f-${i}` }));
    rejects(
      () => batchImportFindings({ Findings: findings }, new Map(), context()),
      "InvalidInputException",
      400,
      "Invalid parameter 'Findings'. Size '109' is greater than maximum value: 100.",
    );
  });

  it("accepts exactly 100 findings", () => {
    const findings = Array.from({ length: 100 }, (_, i) => finding({ Id: `f-${i}` }));
    const r = batchImportFindings({ Findings: findings }, new Map(), context());
    assert.equal(r.response.SuccessCount, 100);
  });

  it("rejects an empty Findings list", () => {
    rejects(
      () => batchImportFindings({ Findings: [] }, new Map(), context()),
      "InvalidInputException",
      400,
      /Size '0' is less than minimum value: 1/,
    );
  });

  it("rejects a body without a Findings list", () => {
    rejects(
      () => batchImportFindings({ findings: [] }, new Map(), context()),
      "InvalidInputException",
      400,
      /'Findings'/,
    );
    rejects(() => batchImportFindings("nope", new Map(), context()), "InvalidInputException", 400);
  });

  it("rejects a request body over 6 MB with 413 RequestEntityTooLargeException", () => {
    rejects(
      () =>
        batchImportFindings({ Findings: [finding()] }, new Map(), context(), {
          requestBytes: MAX_IMPORT_REQUEST_BYTES + 1,
        }),
      "RequestEntityTooLargeException",
      413,
      /6 MB/,
    );
    const ok = batchImportFindings({ Findings: [finding()] }, new Map(), context(), {
      requestBytes: MAX_IMPORT_REQUEST_BYTES,
    });
    assert.equal(ok.response.SuccessCount, 1);
  });

  it("denies the whole request when a finding's AwsAccountId is not the caller's", () => {
    rejects(
      () =>
        batchImportFindings(
          { Findings: [finding(), finding({ Id: "x", AwsAccountId: "999999999999" })] },
          new Map(),
          context(),
        ),
      "AccessDeniedException",
      403,
      /not authorized to perform: securityhub:BatchImportFindings/,
    );
  });

  it("allows another account's finding from a partner product enabled for import", () => {
    const ctx = context({ isProductEnabled: (arn) => arn === PARTNER_ARN });
    const r = batchImportFindings(
      { Findings: [finding({ ProductArn: PARTNER_ARN, AwsAccountId: "999999999999" })] },
      new Map(),
      ctx,
    );
    assert.equal(r.response.SuccessCount, 1);
    assert.equal(r.writes[0]?.key.accountId, "999999999999");
  });

  it("denies another account's finding from a partner product that is not enabled", () => {
    rejects(
      () =>
        batchImportFindings(
          { Findings: [finding({ ProductArn: PARTNER_ARN, AwsAccountId: "999999999999" })] },
          new Map(),
          context(),
        ),
      "AccessDeniedException",
      403,
    );
  });

  it("denies the whole request when a ProductArn names another Region", () => {
    const arn = `arn:aws:securityhub:eu-west-1:${ACCOUNT}:product/${ACCOUNT}/default`;
    rejects(
      () => batchImportFindings({ Findings: [finding({ ProductArn: arn })] }, new Map(), context()),
      "AccessDeniedException",
      403,
      /eu-west-1/,
    );
  });
});

describe("BatchImportFindings per-finding checks", () => {
  it("fails an oversized finding with FindingSizeExceeded and keeps the rest of the batch", () => {
    const big = finding({ Id: "big", ProductFields: { "acme/x/blob": "x".repeat(2000) } });
    (big as { Resources: unknown[] }).Resources = Array.from({ length: 30 }, (_, i) => ({
      Type: "Other",
      Id: `r-${i}`,
      Details: {
        Other: Object.fromEntries(Array.from({ length: 50 }, (_, k) => [`k${k}`, "v".repeat(180)])),
      },
    }));
    assert.ok(JSON.stringify(big).length > MAX_FINDING_BYTES);
    const r = batchImportFindings({ Findings: [big, finding()] }, new Map(), context());
    assert.deepEqual(
      r.response.FailedFindings.map((f) => [f.Id, f.ErrorCode]),
      [["big", "FindingSizeExceeded"]],
    );
    assert.match(r.response.FailedFindings[0]?.ErrorMessage ?? "", /Finding size exceeded 240 KB/);
    assert.equal(r.response.SuccessCount, 1);
  });

  it("fails every finding with InvalidAccess when Security Hub is disabled", () => {
    const r = batchImportFindings(
      { Findings: [finding(), finding({ Id: "2" })] },
      new Map(),
      context({ hubEnabled: false }),
    );
    assert.equal(r.response.FailedCount, 2);
    assert.ok(r.response.FailedFindings.every((f) => f.ErrorCode === "InvalidAccess"));
    assert.equal(r.writes.length, 0);
    assert.equal(r.events.length, 0);
  });

  it("fails a finding from a product that is not enabled with InvalidAccess", () => {
    const aws = `arn:aws:securityhub:${REGION}::product/aws/guardduty`;
    const r = batchImportFindings(
      { Findings: [finding({ ProductArn: aws }), finding({ Id: "ok" })] },
      new Map(),
      context(),
    );
    assert.deepEqual(
      r.response.FailedFindings.map((f) => f.ErrorCode),
      ["InvalidAccess"],
    );
    assert.match(r.response.FailedFindings[0]?.ErrorMessage ?? "", /EnableImportFindingsForProduct/);
    assert.equal(r.response.SuccessCount, 1);
  });

  it("always allows the caller's own default product", () => {
    const r = batchImportFindings(
      { Findings: [finding()] },
      new Map(),
      context({ isProductEnabled: () => false }),
    );
    assert.equal(r.response.SuccessCount, 1);
  });

  it("fails an invalid finding with InvalidInput and the validator's Security Hub message", () => {
    const r = batchImportFindings(
      { Findings: [finding({ Title: "t".repeat(257) }), finding({ Id: "ok" })] },
      new Map(),
      context(),
    );
    assert.deepEqual(r.response.FailedFindings, [
      {
        Id: "finding-1",
        ErrorCode: "InvalidInput",
        ErrorMessage:
          "Finding does not adhere to Amazon Finding Format. data.Title should NOT be longer than 256 characters.",
      },
    ]);
    assert.equal(r.response.SuccessCount, 1);
  });

  it("reports every schema violation of a finding after a single prefix", () => {
    const r = batchImportFindings(
      { Findings: [finding({ Title: "t".repeat(257), Description: "d".repeat(1025) })] },
      new Map(),
      context(),
    );
    const message = r.response.FailedFindings[0]?.ErrorMessage ?? "";
    assert.equal(message.split("Finding does not adhere to Amazon Finding Format.").length, 2);
    assert.match(message, /data\.Title should NOT be longer than 256 characters/);
    assert.match(message, /data\.Description should NOT be longer than 1024 characters/);
  });

  it("fails a non-object entry with InvalidInput and an empty Id", () => {
    const r = batchImportFindings({ Findings: [42, finding()] }, new Map(), context());
    assert.equal(r.response.FailedFindings[0]?.Id, "");
    assert.equal(r.response.FailedFindings[0]?.ErrorCode, "InvalidInput");
    assert.equal(r.outcomes[0]?.outcome, "failed");
    assert.equal(r.outcomes[0]?.key, undefined);
  });

  it("fails a finding whose ProductArn is not a product ARN with InvalidInput", () => {
    const r = batchImportFindings(
      { Findings: [finding({ ProductArn: "arn:aws:securityhub:::nonsense" })] },
      new Map(),
      context(),
    );
    assert.equal(r.response.FailedFindings[0]?.ErrorCode, "InvalidInput");
    assert.match(r.response.FailedFindings[0]?.ErrorMessage ?? "", /ProductArn/);
  });

  it("answers a deeply nested hostile entry with InvalidInput instead of crashing", () => {
    let deep: unknown = "x";
    for (let i = 0; i < 20_000; i++) deep = { a: deep };
    const r = batchImportFindings(
      {
        Findings: [
          finding({ Id: "deep", Resources: [{ Type: "Other", Id: "r", Details: { Other: deep } }] }),
          finding(),
        ],
      },
      new Map(),
      context(),
    );
    assert.deepEqual(
      r.response.FailedFindings.map((f) => [f.Id, f.ErrorCode]),
      [["deep", "InvalidInput"]],
    );
    assert.equal(r.response.SuccessCount, 1);
  });

  it("keeps a __proto__ key as plain data", () => {
    const hostile = JSON.parse(`{"ProductFields": {"__proto__": {"polluted": "yes"}, "acme/x/y": "1"}}`);
    const r = batchImportFindings({ Findings: [finding(hostile)] }, new Map(), context());
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(r.response.FailedCount + r.response.SuccessCount, 1);
  });

  it("fails a finding whose AwsAccountId is not 12 digits with InvalidInput, not the whole batch", () => {
    const r = batchImportFindings(
      { Findings: [finding({ Id: "bad", AwsAccountId: "12345678901x" }), finding()] },
      new Map(),
      context(),
    );
    assert.deepEqual(
      r.response.FailedFindings.map((f) => [f.Id, f.ErrorCode]),
      [["bad", "InvalidInput"]],
    );
    assert.match(r.response.FailedFindings[0]?.ErrorMessage ?? "", /AwsAccountId/);
    assert.equal(r.response.SuccessCount, 1);
  });

  it("checks size before access before schema", () => {
    const invalidAndDisabled = finding({ Title: "" });
    const r = batchImportFindings(
      { Findings: [invalidAndDisabled] },
      new Map(),
      context({ hubEnabled: false }),
    );
    assert.equal(r.response.FailedFindings[0]?.ErrorCode, "InvalidAccess");
  });
});

describe("BatchImportFindings create / ignore / update", () => {
  it("creates a finding that does not exist and emits one event", () => {
    const hub = new TestHub();
    const r = hub.import([finding()]);
    assert.deepEqual(r.response, { FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
    assert.equal(r.outcomes[0]?.outcome, "created");
    assert.equal(r.events.length, 1);
    assert.equal(hub.get()?.lastProviderUpdateMs, T0);
    assert.deepEqual(hub.get()?.customerTouched, []);
  });

  it("ignores an update whose UpdatedAt equals the stored one", () => {
    const hub = new TestHub();
    hub.import([finding()]);
    const r = hub.import([finding({ Title: "changed" })], context({ nowMs: T0 + 1000 }));
    assert.equal(r.outcomes[0]?.outcome, "ignored");
    assert.equal(hub.json().Title, "A finding");
    assert.equal(r.writes.length, 0);
  });

  it("ignores an update whose UpdatedAt is earlier than the stored one", () => {
    const hub = new TestHub();
    hub.import([finding({ UpdatedAt: "2024-03-01T11:00:00Z" })]);
    const r = hub.import([finding({ UpdatedAt: "2024-03-01T10:59:59.999Z", Title: "older" })]);
    assert.equal(r.outcomes[0]?.outcome, "ignored");
    assert.equal(hub.json().Title, "A finding");
  });

  it("compares UpdatedAt as instants, honouring offsets", () => {
    const hub = new TestHub();
    hub.import([finding({ UpdatedAt: "2024-03-01T12:00:00Z" })]);
    // 13:30+02:00 is 11:30Z: earlier, although the text sorts later.
    assert.equal(
      hub.import([finding({ UpdatedAt: "2024-03-01T13:30:00+02:00", Title: "x" })]).outcomes[0]?.outcome,
      "ignored",
    );
    // 08:30-0400 is 12:30Z: later.
    assert.equal(
      hub.import([finding({ UpdatedAt: "2024-03-01T08:30:00-0400", Title: "y" })]).outcomes[0]?.outcome,
      "updated",
    );
    assert.equal(hub.json().Title, "y");
  });

  it("counts an ignored stale update as a success and emits no event", () => {
    const hub = new TestHub();
    hub.import([finding()]);
    const r = hub.import([finding()]);
    assert.deepEqual(r.response, { FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
    assert.equal(r.events.length, 0);
  });

  it("updates a finding whose UpdatedAt is later, overwriting provider data and dropping omitted fields", () => {
    const hub = new TestHub();
    hub.import([
      finding({ SourceUrl: "https://example.com/f1", Remediation: { Recommendation: { Text: "fix" } } }),
    ]);
    const r = hub.import(
      [finding({ UpdatedAt: "2024-03-01T11:00:00Z", Title: "new title" })],
      context({ nowMs: T0 + 5000 }),
    );
    assert.equal(r.outcomes[0]?.outcome, "updated");
    assert.equal(r.events.length, 1);
    const f = hub.json();
    assert.equal(f.Title, "new title");
    assert.equal(f.SourceUrl, undefined);
    assert.equal(f.Remediation, undefined);
    assert.equal(hub.get()?.lastProviderUpdateMs, T0 + 5000);
  });

  it("keys findings by ProductArn and Id: the same Id from another product is a different finding", () => {
    const hub = new TestHub();
    const ctx = context({ isProductEnabled: () => true });
    const r = hub.import([finding(), finding({ ProductArn: PARTNER_ARN })], ctx);
    assert.deepEqual(
      r.outcomes.map((o) => o.outcome),
      ["created", "created"],
    );
    assert.equal(hub.store.size, 2);
  });

  it("applies a repeated Id in one batch in order: the later UpdatedAt updates the earlier one", () => {
    const hub = new TestHub();
    const r = hub.import([finding(), finding({ UpdatedAt: "2024-03-01T11:00:00Z", Title: "second" })]);
    assert.deepEqual(
      r.outcomes.map((o) => o.outcome),
      ["created", "updated"],
    );
    assert.equal(r.writes.length, 1);
    assert.equal(r.events.length, 2);
    assert.equal(hub.json().Title, "second");
  });

  it("ignores a repeated Id in one batch whose UpdatedAt is not later", () => {
    const hub = new TestHub();
    const r = hub.import([finding(), finding({ Title: "same time" })]);
    assert.deepEqual(
      r.outcomes.map((o) => o.outcome),
      ["created", "ignored"],
    );
    assert.equal(r.response.SuccessCount, 2);
    assert.equal(hub.json().Title, "A finding");
  });

  it("keeps CreatedAt as the provider sends it on update (full overwrite)", () => {
    const hub = new TestHub();
    hub.import([finding()]);
    hub.import([finding({ UpdatedAt: "2024-03-01T11:00:00Z", CreatedAt: "2024-03-01T09:00:00Z" })]);
    assert.equal(hub.json().CreatedAt, "2024-03-01T09:00:00Z");
  });

  it("decideImportFromRecord applies the same rules to a shadow record", () => {
    const record = { updatedAt: "2024-03-01T10:00:00Z", lastSentMs: T0 };
    assert.equal(decideImportFromRecord("2024-03-01T10:00:00Z", record, T0), "ignore");
    assert.equal(decideImportFromRecord("2024-03-01T11:00:00+01:00", record, T0), "ignore");
    assert.equal(decideImportFromRecord("2024-03-01T10:00:00.001Z", record, T0), "update");
    assert.equal(decideImportFromRecord("2024-03-01T09:00:00Z", record, T0 + 90 * DAY_MS + 1), "create");
    assert.equal(decideImportFromRecord("2024-03-01T09:00:00Z", undefined, T0), "create");
  });

  it("decideImport answers create for an absent finding", () => {
    assert.equal(decideImport("2024-01-01T00:00:00Z", undefined, T0), "create");
  });
});

describe("BatchImportFindings restricted attributes", () => {
  it("keeps a provider's Note, UserDefinedFields, VerificationState and Workflow on create", () => {
    const hub = new TestHub();
    hub.import([
      finding({
        Note: { Text: "initial", UpdatedBy: "scanner", UpdatedAt: "2024-03-01T10:00:00Z" },
        UserDefinedFields: { team: "a" },
        VerificationState: "UNKNOWN",
        Workflow: { Status: "NOTIFIED" },
      }),
    ]);
    const f = hub.json();
    assert.deepEqual(f.Note, { Text: "initial", UpdatedBy: "scanner", UpdatedAt: "2024-03-01T10:00:00Z" });
    assert.deepEqual(f.UserDefinedFields, { team: "a" });
    assert.equal(f.VerificationState, "UNKNOWN");
    assert.deepEqual(f.Workflow, { Status: "NOTIFIED" });
  });

  it("keeps the stored Note, UserDefinedFields, VerificationState and Workflow on update", () => {
    const hub = new TestHub();
    hub.import([finding({ UserDefinedFields: { team: "a" }, VerificationState: "UNKNOWN" })]);
    hub.update({
      FindingIdentifiers: [{ Id: "finding-1", ProductArn: PRODUCT_ARN }],
      Note: { Text: "customer note", UpdatedBy: "alice" },
      Workflow: { Status: "NOTIFIED" },
    });
    const before = hub.json();
    hub.import([
      finding({
        UpdatedAt: "2024-03-01T11:00:00Z",
        Note: { Text: "provider note", UpdatedBy: "scanner", UpdatedAt: "2024-03-01T11:00:00Z" },
        UserDefinedFields: { team: "b" },
        VerificationState: "TRUE_POSITIVE",
        Workflow: { Status: "RESOLVED" },
      }),
    ]);
    const f = hub.json();
    assert.deepEqual(f.Note, before.Note);
    assert.deepEqual(f.UserDefinedFields, { team: "a" });
    assert.equal(f.VerificationState, "UNKNOWN");
    assert.deepEqual(f.Workflow, { Status: "NOTIFIED" });
  });

  it("does not add a restricted attribute on update that the stored finding lacks", () => {
    const hub = new TestHub();
    hub.import([finding()]);
    hub.import([
      finding({
        UpdatedAt: "2024-03-01T11:00:00Z",
        VerificationState: "TRUE_POSITIVE",
        UserDefinedFields: { a: "b" },
      }),
    ]);
    assert.equal(hub.json().VerificationState, undefined);
    assert.equal(hub.json().UserDefinedFields, undefined);
  });
});

describe("BatchImportFindings service-added fields", () => {
  it("sets ProcessedAt, Region, RecordState ACTIVE, Workflow NEW and WorkflowState NEW", () => {
    const hub = new TestHub();
    hub.import([finding({ Region: "eu-north-1", ProcessedAt: "2020-01-01T00:00:00Z" })]);
    const f = hub.json();
    assert.equal(f.ProcessedAt, "2024-03-01T12:00:00.000Z");
    assert.equal(f.Region, REGION);
    assert.equal(f.RecordState, "ACTIVE");
    assert.deepEqual(f.Workflow, { Status: "NEW" });
    assert.equal(f.WorkflowState, "NEW");
  });

  it("adds the aws/securityhub ProductFields keys next to the provider's own", () => {
    const hub = new TestHub();
    hub.import([finding({ ProductFields: { "acme/scanner/rule": "r1" } })]);
    assert.deepEqual(hub.json().ProductFields, {
      "acme/scanner/rule": "r1",
      "aws/securityhub/FindingId": `${PRODUCT_ARN}/finding-1`,
      "aws/securityhub/ProductName": "Default",
      "aws/securityhub/CompanyName": "Personal",
    });
  });

  it("names a custom integration Personal/Default unless the provider overrides CompanyName/ProductName", () => {
    const hub = new TestHub();
    hub.import([finding(), finding({ Id: "named", CompanyName: "Acme", ProductName: "DecoyDetector" })]);
    assert.equal(hub.json().CompanyName, "Personal");
    assert.equal(hub.json().ProductName, "Default");
    const named = hub.json("named");
    assert.equal(named.CompanyName, "Acme");
    assert.equal(named.ProductName, "DecoyDetector");
    // The ProductFields copies are not synchronised with an override (spec §1.10).
    assert.equal((named.ProductFields as Record<string, string>)["aws/securityhub/ProductName"], "Default");
  });

  it("ignores a partner's CompanyName/ProductName in favour of the product registry", () => {
    const hub = new TestHub();
    const ctx = context({
      isProductEnabled: () => true,
      productNames: (arn) =>
        arn === PARTNER_ARN ? { companyName: "Generico", productName: "Secure Pro" } : undefined,
    });
    hub.import([finding({ ProductArn: PARTNER_ARN, CompanyName: "Fake", ProductName: "Fake" })], ctx);
    const f = hub.json("finding-1", PARTNER_ARN);
    assert.equal(f.CompanyName, "Generico");
    assert.equal(f.ProductName, "Secure Pro");
  });

  it("keeps the stored WorkflowState when an update omits it and takes the provider's when sent", () => {
    const hub = new TestHub();
    hub.import([finding({ WorkflowState: "ASSIGNED" })]);
    hub.import([finding({ UpdatedAt: "2024-03-01T11:00:00Z" })]);
    assert.equal(hub.json().WorkflowState, "ASSIGNED");
    hub.import([finding({ UpdatedAt: "2024-03-01T12:00:00Z", WorkflowState: "RESOLVED" })]);
    assert.equal(hub.json().WorkflowState, "RESOLVED");
  });

  it("keeps a provider's RecordState ARCHIVED", () => {
    const hub = new TestHub();
    hub.import([finding({ RecordState: "ARCHIVED" })]);
    assert.equal(hub.json().RecordState, "ARCHIVED");
  });

  it("rounds nanosecond timestamps to the millisecond, keeping the offset", () => {
    const hub = new TestHub();
    hub.import([
      finding({
        CreatedAt: "2024-03-01T10:00:00.123456789Z",
        UpdatedAt: "2024-03-01T10:00:00.9996Z",
        FirstObservedAt: "2024-03-01T11:00:00.123456789+02:00",
        LastObservedAt: "2024-03-01T10:00:00Z",
      }),
    ]);
    const f = hub.json();
    assert.equal(f.CreatedAt, "2024-03-01T10:00:00.123Z");
    assert.equal(f.UpdatedAt, "2024-03-01T10:00:01.000Z");
    assert.equal(f.FirstObservedAt, "2024-03-01T11:00:00.123+02:00");
    assert.equal(f.LastObservedAt, "2024-03-01T10:00:00Z");
  });
});

describe("BatchImportFindings severity auto-fill", () => {
  const cases: [Record<string, unknown>, Record<string, unknown>][] = [
    [{ Label: "INFORMATIONAL" }, { Label: "INFORMATIONAL", Normalized: 0 }],
    [{ Label: "LOW" }, { Label: "LOW", Normalized: 1 }],
    [{ Label: "MEDIUM" }, { Label: "MEDIUM", Normalized: 40 }],
    [{ Label: "HIGH" }, { Label: "HIGH", Normalized: 70 }],
    [{ Label: "CRITICAL" }, { Label: "CRITICAL", Normalized: 90 }],
    [{ Normalized: 0 }, { Label: "INFORMATIONAL", Normalized: 0 }],
    [{ Normalized: 39 }, { Label: "LOW", Normalized: 39 }],
    [{ Normalized: 40 }, { Label: "MEDIUM", Normalized: 40 }],
    [{ Normalized: 69 }, { Label: "MEDIUM", Normalized: 69 }],
    [{ Normalized: 89 }, { Label: "HIGH", Normalized: 89 }],
    [{ Normalized: 100 }, { Label: "CRITICAL", Normalized: 100 }],
    [
      { Label: "LOW", Normalized: 95 },
      { Label: "LOW", Normalized: 95 },
    ],
  ];
  for (const [given, expected] of cases) {
    it(`derives ${JSON.stringify(expected)} from top-level Severity ${JSON.stringify(given)}`, () => {
      const hub = new TestHub();
      hub.import([finding({ FindingProviderFields: { Types: ["TTPs"] }, Severity: given })]);
      assert.deepEqual(hub.json().Severity, expected);
    });
  }

  it("derives Normalized when the severity comes from FindingProviderFields", () => {
    const hub = new TestHub();
    hub.import([finding()]);
    assert.deepEqual(hub.json().Severity, { Label: "HIGH", Original: "7", Normalized: 70 });
  });
});

describe("BatchImportFindings automatic workflow resets", () => {
  function setup(workflow: string, extra: Record<string, unknown>): TestHub {
    const hub = new TestHub();
    hub.import([finding(extra)]);
    hub.update({
      FindingIdentifiers: [{ Id: "finding-1", ProductArn: PRODUCT_ARN }],
      Workflow: { Status: workflow },
    });
    return hub;
  }
  const later = "2024-03-01T11:00:00Z";

  for (const status of ["NOTIFIED", "RESOLVED"]) {
    it(`resets Workflow ${status} to NEW when an archived finding becomes active`, () => {
      const hub = setup(status, { RecordState: "ARCHIVED" });
      hub.import([finding({ UpdatedAt: later, RecordState: "ACTIVE" })]);
      assert.deepEqual(hub.json().Workflow, { Status: "NEW" });
    });
    for (const compliance of ["FAILED", "WARNING", "NOT_AVAILABLE"]) {
      it(`resets Workflow ${status} to NEW when Compliance goes from PASSED to ${compliance}`, () => {
        const hub = setup(status, { Compliance: { Status: "PASSED" } });
        hub.import([finding({ UpdatedAt: later, Compliance: { Status: compliance } })]);
        assert.deepEqual(hub.json().Workflow, { Status: "NEW" });
      });
    }
  }

  it("leaves Workflow SUPPRESSED when an archived finding becomes active", () => {
    const hub = setup("SUPPRESSED", { RecordState: "ARCHIVED" });
    hub.import([finding({ UpdatedAt: later })]);
    assert.deepEqual(hub.json().Workflow, { Status: "SUPPRESSED" });
  });

  it("leaves Workflow SUPPRESSED when Compliance goes from PASSED to FAILED", () => {
    const hub = setup("SUPPRESSED", { Compliance: { Status: "PASSED" } });
    hub.import([finding({ UpdatedAt: later, Compliance: { Status: "FAILED" } })]);
    assert.deepEqual(hub.json().Workflow, { Status: "SUPPRESSED" });
  });

  it("leaves Workflow NOTIFIED when an active finding stays active", () => {
    const hub = setup("NOTIFIED", {});
    hub.import([finding({ UpdatedAt: later })]);
    assert.deepEqual(hub.json().Workflow, { Status: "NOTIFIED" });
  });

  it("leaves Workflow RESOLVED when Compliance stays FAILED", () => {
    const hub = setup("RESOLVED", { Compliance: { Status: "FAILED" } });
    hub.import([finding({ UpdatedAt: later, Compliance: { Status: "FAILED" } })]);
    assert.deepEqual(hub.json().Workflow, { Status: "RESOLVED" });
  });
});

describe("BatchImportFindings 90-day retention", () => {
  it("creates a new finding when the stored one's last provider update is more than 90 days old", () => {
    const hub = new TestHub();
    hub.import([finding()]);
    hub.update({
      FindingIdentifiers: [{ Id: "finding-1", ProductArn: PRODUCT_ARN }],
      Severity: { Label: "LOW" },
    });
    const later = T0 + 90 * DAY_MS + 1;
    const r = hub.import([finding({ Title: "reborn" })], context({ nowMs: later }));
    assert.equal(r.outcomes[0]?.outcome, "created");
    assert.equal(hub.json().Title, "reborn");
    assert.deepEqual(hub.get()?.customerTouched, []);
    assert.deepEqual(hub.json().Severity, { Label: "HIGH", Original: "7", Normalized: 70 });
  });

  it("still ignores a stale update at exactly 90 days", () => {
    const hub = new TestHub();
    hub.import([finding()]);
    const r = hub.import([finding({ Title: "same" })], context({ nowMs: T0 + 90 * DAY_MS }));
    assert.equal(r.outcomes[0]?.outcome, "ignored");
  });
});

describe("importKeys", () => {
  it("lists one key per distinct finding and skips garbage entries", () => {
    const keys = importKeys(
      { Findings: [finding(), finding(), null, 7, { Id: 3 }, finding({ Id: "b" })] },
      context(),
    );
    assert.deepEqual(
      keys.map((k) => k.id),
      ["finding-1", "b"],
    );
    assert.deepEqual(keys[0], {
      accountId: ACCOUNT,
      region: REGION,
      productArn: PRODUCT_ARN,
      id: "finding-1",
    });
  });

  it("returns nothing for a request that is not an import body", () => {
    assert.deepEqual(importKeys("garbage", context()), []);
    assert.deepEqual(importKeys({ Findings: "x" }, context()), []);
  });
});
