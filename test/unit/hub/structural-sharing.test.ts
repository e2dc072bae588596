/**
 * The engine shares unchanged nested values between its inputs and its results instead of deep
 * copying every imported finding (a performance decision, see `applyProviderFinding`). These tests
 * pin what makes that safe: inputs are never modified, results are new top-level objects, rounding
 * copies only the path to a rounded timestamp, and a member named `__proto__` stays a member.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyProviderFinding, batchImportFindings } from "../../../lambdas/core/hub/import.ts";
import { shallowCopy } from "../../../lambdas/core/hub/json.ts";
import { roundTimestamps } from "../../../lambdas/core/hub/timestamps.ts";
import { context, finding, json, storeOf, TestHub } from "./factories.ts";

describe("applyProviderFinding without deep copies", () => {
  it("leaves the incoming finding exactly as it was, on create and on update", () => {
    const first = finding({
      Severity: { Label: "LOW" },
      ProductFields: { "vendor/key": "v" },
      Workflow: { Status: "NOTIFIED" },
    });
    const before = structuredClone(first);
    const created = applyProviderFinding(first, undefined, context());
    assert.deepEqual(first, before);
    const second = finding({ UpdatedAt: "2024-03-01T11:00:00.000Z", Severity: { Normalized: 70 } });
    const secondBefore = structuredClone(second);
    applyProviderFinding(second, created, context());
    assert.deepEqual(second, secondBefore);
  });

  it("leaves the stored finding exactly as it was when an update is applied to it", () => {
    const hub = new TestHub();
    hub.import([finding({ Note: { Text: "n", UpdatedBy: "u", UpdatedAt: "2024-03-01T10:00:00.000Z" } })]);
    const stored = [...hub.store.values()][0];
    assert.ok(stored);
    const before = structuredClone(stored);
    hub.import([finding({ UpdatedAt: "2024-03-01T11:00:00.000Z", Title: "changed" })]);
    assert.deepEqual(stored, before);
  });

  it("returns a new top-level object with the service fields, never the incoming one", () => {
    const incoming = finding();
    const result = applyProviderFinding(incoming, undefined, context());
    assert.notEqual(result.finding, incoming);
    assert.equal(json(result.finding).RecordState, "ACTIVE");
    assert.equal(incoming.RecordState, undefined);
  });

  it("does not let a later change of the request alter the event already built", () => {
    const incoming = finding({ Title: "before" });
    const result = batchImportFindings({ Findings: [incoming] }, storeOf([]), context());
    incoming.Title = "after";
    assert.equal(result.events[0]?.detail.findings[0]?.Title, "before");
  });
});

describe("roundTimestamps", () => {
  it("returns the same object when no timestamp has more than millisecond precision", () => {
    const value = { CreatedAt: "2024-03-01T10:00:00.123Z", Nested: [{ ObservedAt: "2024-03-01T10:00:00Z" }] };
    assert.equal(roundTimestamps(value), value);
  });

  it("copies only the objects on the path to a rounded value and leaves the input untouched", () => {
    const untouched = { Name: "x" };
    const value = {
      Other: untouched,
      Process: { LaunchedAt: "2024-03-01T10:00:00.1234567Z" },
    };
    const rounded = roundTimestamps(value);
    assert.notEqual(rounded, value);
    assert.equal(rounded.Other, untouched);
    assert.equal(rounded.Process.LaunchedAt, "2024-03-01T10:00:00.123Z");
    assert.equal(value.Process.LaunchedAt, "2024-03-01T10:00:00.1234567Z");
  });

  it("keeps a member named __proto__ as a member when it copies the object holding it", () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}, "UpdatedAt": "2024-03-01T10:00:00.1234Z"}');
    const rounded = roundTimestamps(value) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(rounded), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(rounded, "__proto__")?.value, { polluted: true });
    assert.equal((rounded as { polluted?: unknown }).polluted, undefined);
  });
});

describe("shallowCopy", () => {
  it("copies own members, including one named __proto__, without changing the prototype", () => {
    const value = JSON.parse('{"a": 1, "__proto__": {"polluted": true}}') as Record<string, unknown>;
    const copy = shallowCopy(value);
    assert.notEqual(copy, value);
    assert.equal(copy.a, 1);
    assert.equal(Object.getPrototypeOf(copy), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(copy, "__proto__")?.value, { polluted: true });
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);
  });
});
