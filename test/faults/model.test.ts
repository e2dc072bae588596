/** The reference model and the checker, case by case: the driver is only as good as these. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { checkState, UpdatedAtWatch } from "./checker.ts";
import { generateSequence } from "./generator.ts";
import { type ProviderContent, ReferenceModel, replayScans, type ScanReport } from "./model.ts";
import { Prng } from "./prng.ts";

const content = (title: string, severity: ProviderContent["severity"] = "HIGH"): ProviderContent => ({
  title,
  description: "d",
  severity,
  severityForm: "fpf",
  types: ["Effects/Data Exposure"],
  resourceId: "r",
});

const scan = (
  name: string,
  scope: string,
  timeMs: number,
  findings: Record<string, ProviderContent>,
): ScanReport => ({
  name,
  scope,
  timeMs,
  findings: new Map(Object.entries(findings)),
});

/** How Security Hub would show the model's expectation (FPF holds the provider's values). */
function stored(id: string, c: ProviderContent, extra: Partial<AwsSecurityFinding> = {}): AwsSecurityFinding {
  return {
    Id: id,
    Title: c.title,
    Description: c.description,
    Severity: { Label: c.severity },
    Types: [...c.types],
    FindingProviderFields: { Severity: { Label: c.severity }, Types: [...c.types] },
    Resources: [{ Type: "Other", Id: c.resourceId }],
    RecordState: "ACTIVE",
    Workflow: { Status: "NEW" },
    UpdatedAt: "2026-01-01T00:00:10.000Z",
    ...extra,
  } as AwsSecurityFinding;
}

describe("replayScans", () => {
  it("takes the latest scan's content and archives what a later scan of the same scope lacks", () => {
    const state = replayScans([
      scan("s1", "A", 1_000, { a: content("a1"), b: content("b1") }),
      scan("s2", "A", 2_000, { a: content("a2") }),
    ]);
    assert.equal(state.get("a")?.content.title, "a2");
    assert.equal(state.get("a")?.recordState, "ACTIVE");
    assert.equal(state.get("b")?.recordState, "ARCHIVED");
    assert.equal(state.get("b")?.content.title, "b1", "an archived finding keeps its last content");
  });

  it("orders by scan time, not by delivery order", () => {
    const late = replayScans([
      scan("s2", "A", 2_000, { a: content("a2") }),
      scan("s1", "A", 1_000, { a: content("a1"), b: content("b1") }),
    ]);
    assert.equal(late.get("a")?.content.title, "a2");
    assert.equal(late.get("b")?.recordState, "ARCHIVED");
  });

  it("never archives a finding from another scope, and follows a finding that moved", () => {
    const state = replayScans([
      scan("s1", "A", 1_000, { a: content("a1") }),
      scan("s2", "B", 2_000, { a: content("a1") }),
      scan("s3", "A", 3_000, {}),
    ]);
    assert.equal(state.get("a")?.recordState, "ACTIVE");
    assert.equal(state.get("a")?.scope, "B");
  });

  it("keeps the time of the last change apart from the time of the last observation", () => {
    const state = replayScans([
      scan("s1", "A", 1_000, { a: content("a1") }),
      scan("s2", "A", 2_000, { a: content("a1") }),
    ]);
    assert.equal(state.get("a")?.changedMs, 1_000);
    assert.equal(state.get("a")?.observedMs, 2_000);
  });
});

describe("ReferenceModel", () => {
  it("raises the UpdatedAt floor only with a delivery that changes the expected state", () => {
    const model = new ReferenceModel();
    model.deliver(scan("s1", "A", 1_000, { a: content("A") }));
    model.deliver(scan("s3", "A", 3_000, { a: content("A") })); // a revert of s2, which is late
    assert.equal(model.expected().get("a")?.updatedAtFloorMs, 1_000);
    model.deliver(scan("s2", "A", 2_000, { a: content("B") }));
    const a = model.expected().get("a");
    // The replay dates the last change at s3 (B → A), but Security Hub never held B.
    assert.equal(a?.changedMs, 3_000);
    assert.equal(a?.updatedAtFloorMs, 1_000);
    assert.equal(a?.content.title, "A");
  });

  it("raises the UpdatedAt floor to the replay's last change when a late delivery changes the state", () => {
    const model = new ReferenceModel();
    model.deliver(scan("s1", "A", 1_000, { a: content("A") }));
    model.deliver(scan("s3", "A", 3_000, {})); // archives a
    model.deliver(scan("s2", "A", 2_000, { a: content("B") })); // late: archived content becomes B
    const a = model.expected().get("a");
    assert.equal(a?.recordState, "ARCHIVED");
    assert.equal(a?.content.title, "B");
    assert.equal(a?.updatedAtFloorMs, 3_000);
  });

  it("counts a redelivered scan once and keeps customer values over provider updates", () => {
    const model = new ReferenceModel();
    const s1 = scan("s1", "A", 1_000, { a: content("a1", "LOW") });
    model.deliver(s1);
    model.customerUpdate({ ids: ["a"], severity: "CRITICAL", note: "mine" });
    model.deliver(scan("s2", "A", 2_000, { a: content("a2", "MEDIUM") }));
    model.deliver(s1);
    const a = model.expected().get("a");
    assert.equal(a?.content.title, "a2");
    assert.deepEqual(a?.customer, { severity: "CRITICAL", note: "mine" });
    assert.equal(model.deliveredScans.size, 2);
  });

  it("resets a NOTIFIED or RESOLVED workflow when an archived finding comes back, and leaves SUPPRESSED", () => {
    const model = new ReferenceModel();
    model.deliver(scan("s1", "A", 1_000, { a: content("a"), b: content("b") }));
    model.deliver(scan("s2", "A", 2_000, {}));
    model.customerUpdate({ ids: ["a"], workflow: "RESOLVED" });
    model.customerUpdate({ ids: ["b"], workflow: "SUPPRESSED" });
    model.deliver(scan("s3", "A", 3_000, { a: content("a"), b: content("b") }));
    assert.equal(model.expected().get("a")?.customer.workflow, "NEW");
    assert.equal(model.expected().get("b")?.customer.workflow, "SUPPRESSED");
  });
});

describe("checkState", () => {
  const model = new ReferenceModel();
  model.deliver(scan("s1", "A", 1_000, { a: content("a1") }));
  model.deliver(scan("s2", "A", 2_000, { a: content("a2") }));
  model.customerUpdate({ ids: ["a"], severity: "LOW" });
  const history = [...model.deliveredScans.values()];
  const expected = model.expected();
  const good = stored("a", content("a2"), { Severity: { Label: "LOW" } });

  it("passes Security Hub's state when it equals the model", () => {
    assert.deepEqual(checkState(expected, [good], history), []);
  });

  it("reports an older scan's content as a stale overwrite", () => {
    const kinds = checkState(
      expected,
      [{ ...stored("a", content("a1")), Severity: { Label: "LOW" } }],
      history,
    ).map((v) => v.kind);
    assert.deepEqual(kinds, ["stale-overwrite"]);
  });

  it("reports a customer's value replaced by the provider's", () => {
    const kinds = checkState(expected, [{ ...good, Severity: { Label: "HIGH" } }], history).map(
      (v) => v.kind,
    );
    assert.deepEqual(kinds, ["customer-overwrite"]);
  });

  it("reports lost, duplicate and unexpected findings", () => {
    assert.deepEqual(
      checkState(expected, [], history).map((v) => v.kind),
      ["lost"],
    );
    assert.deepEqual(
      checkState(expected, [good, good, stored("zz", content("z"))], history).map((v) => v.kind),
      ["duplicate", "unexpected"],
    );
  });

  it("excuses a difference only for a finding reported failed with a code and a message", () => {
    const failure = { findingId: "a", errorCode: "Throttled", message: "gave up after 8 attempts" };
    assert.deepEqual(checkState(expected, [], history, [failure]), []);
    assert.equal(checkState(expected, [], history, [{ ...failure, message: "" }]).length, 1);
  });

  it("reports UpdatedAt going backwards between checks", () => {
    const watch = new UpdatedAtWatch();
    assert.deepEqual(watch.check([good]), []);
    const kinds = watch.check([{ ...good, UpdatedAt: "2026-01-01T00:00:09.999Z" }]).map((v) => v.kind);
    assert.deepEqual(kinds, ["updated-at-regressed"]);
  });
});

describe("generateSequence", () => {
  it("is a pure function of the PRNG state", () => {
    const a = generateSequence(new Prng(42), { dynamo: true }, 0);
    const b = generateSequence(new Prng(42), { dynamo: true }, 0);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, generateSequence(new Prng(43), { dynamo: true }, 0));
  });
});
