import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DAY_MS, RETENTION_MS } from "../../../lambdas/core/asff/limits.ts";
import { importedEvent } from "../../../lambdas/core/hub/events.ts";
import { expireFindings, expiresAtMs, isExpired } from "../../../lambdas/core/hub/retention.ts";
import { ACCOUNT, context, finding, PRODUCT_ARN, REGION, T0, TestHub } from "./factories.ts";

describe("Security Hub Findings - Imported events", () => {
  it("builds the §5.1 envelope around one stored finding", () => {
    const hub = new TestHub();
    const r = hub.import([finding()]);
    const stored = hub.get();
    assert.ok(stored);
    assert.deepEqual(r.events, [
      {
        version: "0",
        id: "event-1",
        "detail-type": "Security Hub Findings - Imported",
        source: "aws.securityhub",
        account: ACCOUNT,
        time: "2024-03-01T12:00:00Z",
        region: REGION,
        resources: [`${PRODUCT_ARN}/finding-1`],
        detail: { findings: [stored.finding] },
      },
    ]);
  });

  it("carries the service-added fields of the stored finding", () => {
    const hub = new TestHub();
    const [event] = hub.import([finding()]).events;
    const f = event?.detail.findings[0];
    assert.equal(f?.ProcessedAt, "2024-03-01T12:00:00.000Z");
    assert.equal(f?.ProductFields?.["aws/securityhub/FindingId"], `${PRODUCT_ARN}/finding-1`);
  });

  it("uses a caller-chosen source", () => {
    const hub = new TestHub();
    hub.import([finding()]);
    const stored = hub.get();
    assert.ok(stored);
    assert.equal(importedEvent(stored, context(), "shadowhub").source, "shadowhub");
  });

  it("emits exactly one event per created or updated finding and none for ignored or failed ones", () => {
    const hub = new TestHub();
    const first = hub.import([finding({ Id: "a" }), finding({ Id: "b" }), finding({ Id: "bad", Title: "" })]);
    assert.equal(first.events.length, 2);
    const second = hub.import([
      finding({ Id: "a" }), // ignored: same UpdatedAt
      finding({ Id: "b", UpdatedAt: "2024-03-01T11:00:00Z" }), // updated
      finding({ Id: "c" }), // created
    ]);
    assert.deepEqual(
      second.outcomes.map((o) => o.outcome),
      ["ignored", "updated", "created"],
    );
    assert.deepEqual(
      second.events.map((e) => e.resources[0]),
      [`${PRODUCT_ARN}/b`, `${PRODUCT_ARN}/c`],
    );
    assert.deepEqual(
      second.events.map((e) => e.id),
      ["event-1", "event-2"],
    );
  });
});

describe("retention helpers", () => {
  it("expires a finding only when its last provider update is more than 90 days old", () => {
    assert.equal(isExpired({ lastProviderUpdateMs: T0 }, T0 + RETENTION_MS), false);
    assert.equal(isExpired({ lastProviderUpdateMs: T0 }, T0 + RETENTION_MS + 1), true);
    assert.equal(expiresAtMs({ lastProviderUpdateMs: T0 }), T0 + 90 * DAY_MS);
  });

  it("splits findings into kept and expired", () => {
    const a = { id: "a", lastProviderUpdateMs: T0 - 100 * DAY_MS };
    const b = { id: "b", lastProviderUpdateMs: T0 - 10 * DAY_MS };
    const { kept, expired } = expireFindings([a, b], T0);
    assert.deepEqual(kept, [b]);
    assert.deepEqual(expired, [a]);
  });
});
