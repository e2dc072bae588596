import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { DAY_MS } from "../../../lambdas/core/asff/limits.ts";
import { findingKeyString } from "../../../lambdas/core/hub/contracts.ts";
import { contentHash } from "../../../lambdas/core/pipeline/content-hash.ts";
import {
  type ImportPlan,
  identifyIncoming,
  isIncomingKey,
  type PlanInput,
  planCounts,
  planImport,
  scopePairKey,
  sendThroughProviderFields,
  toProviderFinding,
} from "../../../lambdas/core/pipeline/plan.ts";
import type { ShadowRecord } from "../../../lambdas/ports/shadow-store.ts";
import { ACCOUNT, finding, keyOf, REGION, shadowOf } from "./factories.ts";

const NOW = Date.parse("2026-03-01T00:00:00.000Z");
const T0 = "2026-01-01T00:00:00.000Z";
const T1 = "2026-01-02T00:00:00.000Z";

function plan(
  incoming: AwsSecurityFinding[],
  shadows: ShadowRecord[] = [],
  extra: Partial<PlanInput> = {},
): ImportPlan {
  return planImport({
    incoming: incoming.map((f) => ({ finding: f, source: "report.json" })),
    shadows: new Map(shadows.map((s) => [findingKeyString(s.key), s])),
    nowMs: NOW,
    ...extra,
  });
}

function only<T>(items: readonly T[]): T {
  assert.equal(items.length, 1, `expected exactly one item, got ${items.length}`);
  return items[0] as T;
}

describe("content hash", () => {
  it("ignores key order, timestamps, service-added and customer-owned attributes", () => {
    const a = finding("a");
    const b = Object.fromEntries(Object.entries(finding("a")).reverse()) as unknown as AwsSecurityFinding;
    Object.assign(b, {
      UpdatedAt: T1,
      LastObservedAt: T1,
      ProcessedAt: T1,
      Region: "us-east-1",
      WorkflowState: "NEW",
      Workflow: { Status: "NOTIFIED" },
      Note: { Text: "x", UpdatedBy: "me", UpdatedAt: T1 },
      ProductFields: { "aws/securityhub/FindingId": "x" },
    });
    assert.equal(contentHash(a), contentHash(b));
  });

  it("changes when a provider-owned attribute changes, nested ones included", () => {
    const base = finding("a");
    assert.notEqual(contentHash(base), contentHash(finding("a", { Title: "other" })));
    assert.notEqual(
      contentHash(base),
      contentHash(finding("a", { Resources: [{ Type: "Other", Id: "resource-2" }] })),
    );
    assert.notEqual(contentHash(base), contentHash(finding("a", { ProductFields: { "vendor/x": "1" } })));
  });
});

describe("planImport: new findings", () => {
  it("creates a finding without a shadow, keeping its UpdatedAt and making RecordState explicit", () => {
    const f = finding("a", { UpdatedAt: T1 });
    const send = only(plan([f]).sends);
    assert.equal(send.action, "create");
    assert.equal(send.finding.UpdatedAt, T1);
    assert.equal(send.finding.RecordState, "ACTIVE");
    assert.equal(send.shadow.contentHash, contentHash(f));
    assert.equal(send.shadow.updatedAt, T1);
    assert.equal(send.shadow.createdAt, f.CreatedAt);
  });

  it("records the import's scope in the shadow to commit", () => {
    const send = only(plan([finding("a")], [], { scope: "img@sha256:1" }).sends);
    assert.equal(send.shadow.scope, "img@sha256:1");
  });
});

describe("planImport: unchanged findings", () => {
  it("skips a finding whose provider content is unchanged, whatever its new timestamps", () => {
    const stored = finding("a");
    const p = plan([finding("a", { UpdatedAt: T1, LastObservedAt: T1 })], [shadowOf(stored)]);
    assert.equal(p.sends.length, 0);
    assert.equal(only(p.skips).action, "unchanged");
  });

  it("counts an unchanged finding from an older report as unchanged, not stale", () => {
    const shadow = shadowOf(finding("a", { UpdatedAt: T1 }));
    const p = plan([finding("a", { UpdatedAt: T0 })], [shadow]);
    assert.equal(only(p.skips).action, "unchanged");
  });

  it("does not refresh an unchanged finding last sent 59 days ago", () => {
    const shadow = shadowOf(finding("a"), {
      updatedAt: new Date(NOW - 59 * DAY_MS).toISOString(),
      lastSentMs: NOW - 59 * DAY_MS,
    });
    assert.equal(only(plan([finding("a")], [shadow]).skips).action, "unchanged");
  });

  it("refreshes an unchanged finding whose last accepted update is older than 60 days, with a later UpdatedAt", () => {
    const storedAt = new Date(NOW - 61 * DAY_MS).toISOString();
    const shadow = shadowOf(finding("a"), { updatedAt: storedAt, lastSentMs: NOW - 61 * DAY_MS });
    const send = only(plan([finding("a", { UpdatedAt: T0 })], [shadow]).sends);
    assert.equal(send.action, "refresh");
    assert.ok(Date.parse(send.finding.UpdatedAt ?? "") > Date.parse(storedAt));
  });

  it("ages a finding by when Security Hub last accepted it, so an old report time does not refresh on every import", () => {
    const shadow = shadowOf(finding("a"), {
      updatedAt: new Date(NOW - 700 * DAY_MS).toISOString(),
      lastSentMs: NOW - DAY_MS,
    });
    assert.equal(only(plan([finding("a")], [shadow]).skips).action, "unchanged");
  });

  it("honours a configured refresh window", () => {
    const shadow = shadowOf(finding("a"), {
      updatedAt: new Date(NOW - 20 * DAY_MS).toISOString(),
      lastSentMs: NOW - 20 * DAY_MS,
    });
    assert.equal(
      only(plan([finding("a")], [shadow], { refreshBeforeExpiryMs: 75 * DAY_MS }).sends).action,
      "refresh",
    );
  });
});

describe("planImport: changed findings", () => {
  it("updates changed content with the incoming UpdatedAt when it is later than the stored one", () => {
    const send = only(plan([finding("a", { Title: "new", UpdatedAt: T1 })], [shadowOf(finding("a"))]).sends);
    assert.equal(send.action, "update");
    assert.equal(send.finding.UpdatedAt, T1);
    assert.equal(send.shadow.updatedAt, T1);
  });

  it("moves UpdatedAt 1 ms past the stored one when the report carries the same time", () => {
    const send = only(plan([finding("a", { Title: "new" })], [shadowOf(finding("a"))]).sends);
    assert.equal(send.finding.UpdatedAt, "2026-01-01T00:00:00.001Z");
  });

  it("compares instants, not strings, when the report uses an offset", () => {
    const p = plan(
      [finding("a", { Title: "new", UpdatedAt: "2026-01-01T01:00:00+02:00" })],
      [shadowOf(finding("a"))],
    );
    assert.equal(only(p.skips).action, "stale");
  });

  it("drops changed content from a report older than the shadow's observation as stale", () => {
    const p = plan(
      [finding("a", { Title: "old", UpdatedAt: T0 })],
      [shadowOf(finding("a", { UpdatedAt: T1 }))],
    );
    assert.equal(p.sends.length, 0);
    const skip = only(p.skips);
    assert.equal(skip.action, "stale");
    assert.match(skip.reason, /older than the last observation/);
  });

  it("stays monotonic after a bump when the store keeps observedAt: a same-time change is still sent", () => {
    const shadow = { ...shadowOf(finding("a"), { updatedAt: "2026-01-01T00:00:00.001Z" }), observedAt: T0 };
    const send = only(plan([finding("a", { Title: "third" })], [shadow]).sends);
    assert.equal(send.finding.UpdatedAt, "2026-01-01T00:00:00.002Z");
  });

  it("sends a second and a third change carrying the same report time, each 1 ms later, and keeps observedAt at the report time", () => {
    // Each step commits what the plan produced, as the pipeline does after Security Hub accepted it.
    let shadows: ShadowRecord[] = [];
    const step = (title: string, updatedAt = T0) => {
      const send = only(plan([finding("a", { Title: title, UpdatedAt: updatedAt })], shadows).sends);
      shadows = [{ ...send.shadow, lastSentMs: NOW }];
      return send;
    };
    const sends = [step("first"), step("second"), step("third")];
    assert.deepEqual(
      sends.map((s) => [s.action, s.finding.UpdatedAt, s.shadow.updatedAt, s.shadow.observedAt]),
      [
        ["create", T0, T0, T0],
        ["update", "2026-01-01T00:00:00.001Z", "2026-01-01T00:00:00.001Z", T0],
        ["update", "2026-01-01T00:00:00.002Z", "2026-01-01T00:00:00.002Z", T0],
      ],
    );
    // A genuinely older report is still stale after the bumps.
    const older = plan([finding("a", { Title: "older", UpdatedAt: "2025-12-31T23:59:59.999Z" })], shadows);
    assert.equal(only(older.skips).action, "stale");
    // A later report after the bumps lands with its own time, which becomes the observation.
    const later = step("later", T1);
    assert.deepEqual([later.finding.UpdatedAt, later.shadow.observedAt], [T1, T1]);
  });

  it("falls back to updatedAt for a shadow written before stores kept observedAt", () => {
    const legacy = shadowOf(finding("a"), { updatedAt: "2026-01-01T00:00:00.001Z" });
    assert.equal(Object.hasOwn(legacy, "observedAt"), false);
    const p = plan([finding("a", { Title: "third" })], [legacy]);
    assert.equal(only(p.skips).action, "stale");
    const send = only(plan([finding("a", { Title: "third", UpdatedAt: T1 })], [legacy]).sends);
    assert.equal(send.shadow.observedAt, T1);
  });

  it("keeps CreatedAt and FirstObservedAt from the shadow and advances LastObservedAt", () => {
    const shadow = shadowOf(finding("a"), {
      createdAt: "2025-12-01T00:00:00.000Z",
      firstObservedAt: "2025-12-01T00:00:00.000Z",
    });
    const incoming = finding("a", { Title: "new", UpdatedAt: T1, CreatedAt: T1, FirstObservedAt: T1 });
    const send = only(plan([incoming], [shadow]).sends);
    assert.equal(send.finding.CreatedAt, "2025-12-01T00:00:00.000Z");
    assert.equal(send.finding.FirstObservedAt, "2025-12-01T00:00:00.000Z");
    assert.equal(send.finding.LastObservedAt, T1);
    assert.equal(send.shadow.firstObservedAt, "2025-12-01T00:00:00.000Z");
  });

  it("re-activates a finding whose shadow is ARCHIVED even when its content is unchanged", () => {
    const shadow = shadowOf(finding("a"), { recordState: "ARCHIVED", scope: "s" });
    const send = only(plan([finding("a", { UpdatedAt: T1 })], [shadow], { scope: "s" }).sends);
    assert.equal(send.action, "update");
    assert.equal(send.finding.RecordState, "ACTIVE");
    assert.equal(send.shadow.recordState, "ACTIVE");
  });

  it("sends a finding that moved to another scope so that the shadow's scope follows it", () => {
    const send = only(
      plan([finding("a", { UpdatedAt: T1 })], [shadowOf(finding("a"), { scope: "old" })], { scope: "new" })
        .sends,
    );
    assert.equal(send.action, "update");
    assert.equal(send.shadow.scope, "new");
  });

  it("keeps the shadow's scope when the import has none", () => {
    const p = plan([finding("a", { UpdatedAt: T1 })], [shadowOf(finding("a"), { scope: "s" })]);
    assert.equal(only(p.skips).action, "unchanged");
  });

  it("sends customer-touched attributes only through FindingProviderFields", () => {
    const incoming = finding("a", {
      Title: "new",
      UpdatedAt: T1,
      Severity: { Label: "HIGH" },
      Criticality: 50,
    });
    const send = only(
      plan([incoming], [shadowOf(finding("a"), { customerTouched: ["Severity", "Criticality"] })]).sends,
    );
    assert.equal(send.finding.Severity, undefined);
    assert.equal(send.finding.Criticality, undefined);
    assert.deepEqual(send.finding.FindingProviderFields?.Severity, { Label: "HIGH", Original: "high" });
    assert.equal(send.finding.FindingProviderFields?.Criticality, 50);
    assert.deepEqual(send.shadow.customerTouched, ["Severity", "Criticality"]);
  });
});

describe("planImport: duplicates and bad findings", () => {
  it("keeps the newest of two versions of one finding in one import and counts the other stale", () => {
    const p = plan([finding("a", { Title: "new", UpdatedAt: T1 }), finding("a", { Title: "old" })]);
    assert.equal(only(p.sends).finding.Title, "new");
    assert.equal(only(p.skips).action, "stale");
  });

  it("fails a finding with an unusable ProductArn, naming the field, and plans the rest", () => {
    const p = plan([finding("bad", { ProductArn: "arn:aws:securityhub:::product/x/y" }), finding("a")]);
    const failure = only(p.failures);
    assert.equal(failure.findingId, "bad");
    assert.equal(failure.errorCode, "InvalidInput");
    assert.match(failure.message, /ProductArn/);
    assert.equal(only(p.sends).key.id, "a");
  });

  it("fails a finding whose UpdatedAt is not an ASFF timestamp", () => {
    const failure = only(plan([finding("a", { UpdatedAt: "yesterday" })]).failures);
    assert.match(failure.message, /UpdatedAt 'yesterday'/);
  });
});

describe("identifyIncoming", () => {
  it("takes each key once, keeps the newest duplicate and sets aside unreadable findings", () => {
    const incoming = [
      finding("a", { Title: "old" }),
      finding("b", { UpdatedAt: "yesterday" }),
      finding("a", { Title: "new", UpdatedAt: T1 }),
      finding("bad", { ProductArn: "nope" }),
    ].map((f) => ({ finding: f, source: "r.json" }));
    const identified = identifyIncoming(incoming);
    assert.deepEqual([...identified.latest.keys()], [findingKeyString(keyOf(finding("a")))]);
    assert.equal(identified.latest.get(findingKeyString(keyOf(finding("a"))))?.incoming.finding.Title, "new");
    assert.equal(identified.latest.get(findingKeyString(keyOf(finding("a"))))?.updatedMs, Date.parse(T1));
    assert.deepEqual([...identified.unreadableTime.keys()], [findingKeyString(keyOf(finding("b")))]);
    assert.ok(isIncomingKey(identified, findingKeyString(keyOf(finding("b")))));
    assert.ok(!isIncomingKey(identified, findingKeyString(keyOf(finding("c")))));
    assert.deepEqual(
      identified.failures.map((f) => f.findingId),
      ["b", "bad"],
    );
    assert.equal(only(identified.duplicates).action, "stale");
  });

  it("gives planImport the same plan whether the caller identified the findings or not", () => {
    const shadow = shadowOf(finding("a"), { scope: "s" });
    const gone = shadowOf(finding("gone"), { scope: "s" });
    const incoming = [
      finding("a", { UpdatedAt: T1 }),
      finding("n"),
      finding("a"),
      finding("x", { UpdatedAt: "?" }),
    ].map((f) => ({ finding: f, source: "r.json" }));
    const base: PlanInput = {
      incoming,
      shadows: new Map([[findingKeyString(shadow.key), shadow]]),
      scope: "s",
      scopeActive: [shadow, gone],
      archiveContent: new Map([[findingKeyString(gone.key), finding("gone")]]),
      nowMs: NOW,
    };
    const plain = planImport(base);
    assert.deepEqual(planImport({ ...base, identified: identifyIncoming(incoming) }), plain);
    assert.deepEqual(planCounts(plain), {
      created: 1,
      updated: 0,
      unchanged: 1,
      stale: 1,
      archived: 1,
      refreshed: 0,
      failed: 1,
    });
  });
});

describe("planImport: scope reconciliation", () => {
  const stored = finding("gone", {
    Title: "Gone",
    ProductFields: { "aws/securityhub/FindingId": "x", "v/k": "1" },
  });
  const storedInHub: AwsSecurityFinding = {
    ...stored,
    ProcessedAt: T0,
    Region: "us-east-1",
    Workflow: { Status: "NOTIFIED" },
    WorkflowState: "NEW",
    Note: { Text: "customer note", UpdatedBy: "c", UpdatedAt: T0 },
    Severity: { Label: "LOW", Normalized: 1 },
  };
  const goneShadow = shadowOf(stored, { scope: "s" });
  const content = new Map([[findingKeyString(goneShadow.key), storedInHub]]);

  it("archives a finding ACTIVE in the scope and absent from the scan, resending its full provider content", () => {
    const p = plan([finding("a", { UpdatedAt: T1 })], [goneShadow], {
      scope: "s",
      scopeActive: [goneShadow],
      archiveContent: content,
    });
    const archive = only(p.sends.filter((s) => s.action === "archive"));
    assert.equal(archive.finding.RecordState, "ARCHIVED");
    assert.equal(archive.finding.Title, "Gone");
    assert.equal(archive.finding.UpdatedAt, T1);
    assert.deepEqual(archive.finding.ProductFields, { "v/k": "1" });
    for (const name of ["ProcessedAt", "Region", "Workflow", "WorkflowState", "Note", "Severity"]) {
      assert.equal((archive.finding as unknown as Record<string, unknown>)[name], undefined, name);
    }
    assert.deepEqual(archive.finding.FindingProviderFields?.Severity, { Label: "HIGH", Original: "high" });
    assert.equal(archive.shadow.recordState, "ARCHIVED");
    assert.equal(archive.shadow.contentHash, goneShadow.contentHash);
  });

  it("archives everything the scope held on an empty scan, moving UpdatedAt by 1 ms", () => {
    const archive = only(
      plan([], [], { scope: "s", scopeActive: [goneShadow], archiveContent: content }).sends,
    );
    assert.equal(archive.action, "archive");
    assert.equal(archive.finding.UpdatedAt, "2026-01-01T00:00:00.001Z");
  });

  it("never archives a finding of another scope", () => {
    const other = shadowOf(finding("other"), { scope: "t" });
    const p = plan([], [], {
      scope: "s",
      scopeActive: [other],
      archiveContent: new Map([[findingKeyString(other.key), finding("other")]]),
    });
    assert.equal(p.sends.length, 0);
  });

  it("archives nothing without a scope", () => {
    assert.equal(plan([], [], { scopeActive: [goneShadow], archiveContent: content }).sends.length, 0);
  });

  it("does not archive a finding whose conversion failed in this import", () => {
    const p = plan([], [], {
      scope: "s",
      scopeActive: [goneShadow],
      archiveContent: content,
      protectedIds: new Set(["gone"]),
    });
    assert.equal(p.sends.length, 0);
  });

  it("does not archive a finding of this import whose UpdatedAt is unreadable: it was seen, only failed", () => {
    const p = plan([{ ...stored, UpdatedAt: "yesterday" }], [goneShadow], {
      scope: "s",
      scopeActive: [goneShadow],
      archiveContent: content,
    });
    assert.equal(p.sends.length, 0);
    assert.match(only(p.failures).message, /UpdatedAt 'yesterday'/);
  });

  it("does not archive a finding observed after the scan that lacks it", () => {
    const newer = shadowOf(stored, { scope: "s", updatedAt: "2026-02-01T00:00:00.000Z" });
    const p = plan([finding("a", { UpdatedAt: T1 })], [], {
      scope: "s",
      scopeActive: [newer],
      archiveContent: content,
    });
    assert.equal(only(p.skips).action, "stale");
    assert.equal(only(p.sends).action, "create");
  });

  it("reports an archive whose last content is unavailable as failed instead of sending a clobbering stub", () => {
    const p = plan([], [], { scope: "s", scopeActive: [goneShadow] });
    assert.equal(p.sends.length, 0);
    assert.equal(only(p.failures).errorCode, "ArchiveContentUnavailable");
  });

  it("counts every outcome", () => {
    const p = plan(
      [
        finding("new"),
        finding("same"),
        finding("changed", { Title: "x" }),
        finding("old", { Title: "x", UpdatedAt: T0 }),
      ],
      [
        shadowOf(finding("same"), { scope: "s" }),
        shadowOf(finding("changed"), { scope: "s" }),
        shadowOf(finding("old", { UpdatedAt: T1 }), { scope: "s" }),
        goneShadow,
      ],
      { scope: "s", scopeActive: [goneShadow], archiveContent: content },
    );
    assert.deepEqual(planCounts(p), {
      created: 1,
      updated: 1,
      unchanged: 1,
      stale: 1,
      archived: 1,
      refreshed: 0,
      failed: 0,
    });
  });
});

describe("planImport: late and out-of-order reports", () => {
  const T2 = "2026-01-03T00:00:00.000Z";
  const T3 = "2026-01-04T00:00:00.000Z";
  /** The scope `s` had a scan at `at` applied already. */
  const lastScan = (at: string) => new Map([[scopePairKey(ACCOUNT, REGION), Date.parse(at)]]);

  describe("case 1: a late report carries a finding the newer scan of its scope no longer had", () => {
    it("creates it ARCHIVED, dated no earlier than the newer scan, with the late report's time as its observation", () => {
      const p = plan([finding("x", { UpdatedAt: T1 })], [], { scope: "s", lastScanMs: lastScan(T2) });
      const send = only(p.sends);
      assert.equal(send.action, "create");
      assert.equal(send.finding.RecordState, "ARCHIVED");
      assert.equal(send.finding.UpdatedAt, T2);
      assert.equal(send.shadow.recordState, "ARCHIVED");
      assert.equal(send.shadow.updatedAt, T2);
      assert.equal(send.shadow.observedAt, T1);
      assert.equal(send.shadow.scope, "s");
    });

    it("moves a finding ACTIVE in another scope and observed before the late report into this scope, ARCHIVED", () => {
      const f = finding("x", { UpdatedAt: T0 });
      const shadow = shadowOf(f, { scope: "t", observedAt: T0 });
      const p = plan([finding("x", { UpdatedAt: T1 })], [shadow], { scope: "s", lastScanMs: lastScan(T2) });
      const send = only(p.sends);
      assert.equal(send.action, "update");
      assert.equal(send.finding.RecordState, "ARCHIVED");
      assert.equal(send.finding.UpdatedAt, T2);
      assert.equal(send.shadow.scope, "s");
      assert.equal(send.shadow.observedAt, T1);
    });

    it("drops the finding as stale when its shadow was observed after the late report (elsewhere too)", () => {
      const shadow = shadowOf(finding("x", { UpdatedAt: T3 }), { scope: "t", observedAt: T3 });
      const p = plan([finding("x", { UpdatedAt: T1, Title: "older" })], [shadow], {
        scope: "s",
        lastScanMs: lastScan(T2),
      });
      assert.equal(p.sends.length, 0);
      assert.equal(only(p.skips).action, "stale");
    });

    it("treats a finding ACTIVE in the late report's scope by its own observation time (not archived)", () => {
      const shadow = shadowOf(finding("x", { UpdatedAt: T0 }), { scope: "s", observedAt: T0 });
      const p = plan([finding("x", { UpdatedAt: T1, Title: "changed" })], [shadow], {
        scope: "s",
        lastScanMs: lastScan(T2),
      });
      const send = only(p.sends);
      assert.equal(send.action, "update");
      assert.equal(send.finding.RecordState, "ACTIVE");
      assert.equal(send.finding.UpdatedAt, T1);
    });

    it("is not late when its report time equals the scope's last scan (a redelivery of that scan)", () => {
      const p = plan([finding("x", { UpdatedAt: T2 })], [], { scope: "s", lastScanMs: lastScan(T2) });
      assert.equal(only(p.sends).finding.RecordState, "ACTIVE");
    });

    it("uses the import's report time, not the findings' UpdatedAt, to tell a late report", () => {
      const p = plan([finding("x", { UpdatedAt: T3 })], [], {
        scope: "s",
        lastScanMs: lastScan(T2),
        reportTimeMs: Date.parse(T1),
      });
      assert.equal(only(p.sends).finding.RecordState, "ARCHIVED");
      assert.equal(p.reportTimeMs, Date.parse(T1));
    });

    it("knows no lateness without a scope", () => {
      const p = plan([finding("x", { UpdatedAt: T1 })], [], { lastScanMs: lastScan(T2) });
      assert.equal(only(p.sends).finding.RecordState, "ACTIVE");
    });
  });

  describe("case 2: a late change of a finding the newer scan already archived", () => {
    it("resends it ARCHIVED with the late content, 1 ms after the archive", () => {
      const f = finding("x", { UpdatedAt: T0 });
      // Archived by the scan at T2; its content was last observed at T0.
      const archived = shadowOf(f, { scope: "s", recordState: "ARCHIVED", updatedAt: T2, observedAt: T0 });
      const p = plan([finding("x", { UpdatedAt: T1, Title: "late change" })], [archived], {
        scope: "s",
        lastScanMs: lastScan(T2),
      });
      const send = only(p.sends);
      assert.equal(send.action, "update");
      assert.equal(send.finding.RecordState, "ARCHIVED");
      assert.equal(send.finding.Title, "late change");
      assert.equal(send.finding.UpdatedAt, "2026-01-03T00:00:00.001Z");
      assert.equal(send.shadow.observedAt, T1);
    });

    it("skips the late report as unchanged when its content is the archived one", () => {
      const f = finding("x", { UpdatedAt: T1 });
      const archived = shadowOf(f, { scope: "s", recordState: "ARCHIVED", updatedAt: T2, observedAt: T1 });
      const p = plan([f], [archived], { scope: "s", lastScanMs: lastScan(T2) });
      assert.equal(p.sends.length, 0);
      assert.equal(only(p.skips).action, "unchanged");
    });

    it("keeps the content's observation time in an archive's shadow, not the archive's time", () => {
      const gone = shadowOf(finding("gone", { UpdatedAt: T0 }), { scope: "s", observedAt: T0 });
      const stored = finding("gone", { UpdatedAt: T0 });
      const p = plan([finding("a", { UpdatedAt: T2 })], [gone], {
        scope: "s",
        scopeActive: [gone],
        archiveContent: new Map([[findingKeyString(gone.key), stored]]),
      });
      const archive = only(p.sends.filter((x) => x.action === "archive"));
      assert.equal(archive.finding.UpdatedAt, T2);
      assert.equal(archive.shadow.updatedAt, T2);
      assert.equal(archive.shadow.observedAt, T0);
    });
  });

  describe("case 3: a newer scan reverts a change (A → B → A) and B arrives last", () => {
    const a = finding("x", { UpdatedAt: T0, Title: "A" });

    it("records the report time of an unchanged finding as an observation when it is newer", () => {
      const p = plan([{ ...a, UpdatedAt: T2 }], [shadowOf(a, { scope: "s", observedAt: T0 })], {
        scope: "s",
      });
      assert.equal(p.sends.length, 0);
      assert.deepEqual(p.observations, [{ key: keyOf(a), observedAt: T2 }]);
    });

    it("records no observation for a report that is not newer than the shadow's", () => {
      const p = plan([{ ...a, UpdatedAt: T0 }], [shadowOf(a, { scope: "s", observedAt: T0 })], {
        scope: "s",
      });
      assert.deepEqual(p.observations, []);
    });

    it("then drops the late B as stale instead of overwriting A", () => {
      // The shadow after the revert was seen at T2 (recorded as an observation); B was made at T1.
      const shadow = shadowOf(a, { scope: "s", observedAt: T2 });
      const p = plan([finding("x", { UpdatedAt: T1, Title: "B" })], [shadow], {
        scope: "s",
        lastScanMs: lastScan(T2),
      });
      assert.equal(p.sends.length, 0);
      assert.equal(only(p.skips).action, "stale");
    });
  });

  describe("case 4: an empty report has a report time of its own", () => {
    const gone = shadowOf(finding("gone", { UpdatedAt: T0 }), { scope: "s", observedAt: T0 });
    const content = new Map([[findingKeyString(gone.key), finding("gone", { UpdatedAt: T0 })]]);

    it("dates the archives of an empty report with its report time", () => {
      const p = plan([], [], {
        scope: "s",
        scopeActive: [gone],
        archiveContent: content,
        reportTimeMs: Date.parse(T2),
      });
      const archive = only(p.sends);
      assert.equal(archive.action, "archive");
      assert.equal(archive.finding.UpdatedAt, T2);
      assert.equal(p.reportTimeMs, Date.parse(T2));
    });

    it("archives nothing the scope gained after a late (or redelivered) empty report", () => {
      const gained = shadowOf(finding("gained", { UpdatedAt: T3 }), { scope: "s", observedAt: T3 });
      const p = plan([], [], {
        scope: "s",
        scopeActive: [gained],
        archiveContent: new Map([[findingKeyString(gained.key), finding("gained")]]),
        reportTimeMs: Date.parse(T2),
        lastScanMs: lastScan(T3),
      });
      assert.equal(p.sends.length, 0);
      assert.equal(only(p.skips).action, "stale");
    });

    it("has no report time for an empty report nobody dated", () => {
      assert.equal(plan([], [], { scope: "s" }).reportTimeMs, undefined);
    });

    it("falls back to the newest UpdatedAt of the findings for a report without a time", () => {
      const p = plan([finding("a", { UpdatedAt: T1 }), finding("b", { UpdatedAt: T2 })], [], { scope: "s" });
      assert.equal(p.reportTimeMs, Date.parse(T2));
    });
  });
});

describe("provider-field helpers", () => {
  it("derives the FPF Severity label from a Normalized-only top-level Severity", () => {
    const out = sendThroughProviderFields(
      finding("a", { FindingProviderFields: {}, Severity: { Normalized: 75 } }),
      ["Severity"],
    );
    assert.deepEqual(out.FindingProviderFields?.Severity, { Label: "HIGH" });
  });

  it("leaves a finding untouched when no attribute was customer-touched", () => {
    const f = finding("a", { Severity: { Label: "LOW" } });
    assert.equal(sendThroughProviderFields(f, []), f);
  });

  it("drops ProductFields entirely when only service keys were stored", () => {
    const out = toProviderFinding(
      finding("a", { ProductFields: { "aws/securityhub/ProductName": "Default" } }),
    );
    assert.equal(out.ProductFields, undefined);
    assert.deepEqual(keyOf(out), keyOf(finding("a")));
  });
});
