/**
 * Regression: the shadow must keep `observedAt` (the report time of the latest observation)
 * apart from `updatedAt` (what Security Hub accepted, bumped by +1 ms when a change carries the
 * stored time). When the SQLite store dropped `observedAt`, the plan fell back to the bumped
 * `updatedAt` and wrongly took the next change from a report of the same time for a stale one.
 *
 * Wired as `shadowhub import` does it (`openTarget` on the local target: the SQLite shadow and
 * the SQLite-backed local hub in one state directory), each import opening the state afresh
 * like a separate CLI run.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { findingKeyString } from "../../../lambdas/core/hub/contracts.ts";
import { type ImportReport, runImport } from "../../../lambdas/pipeline/import-run.ts";
import { openTarget } from "../../../lambdas/pipeline/targets.ts";
import { ManualClock } from "../../../lambdas/ports/clock.ts";
import type { ShadowRecord } from "../../../lambdas/ports/shadow-store.ts";
import { finding, keyOf } from "../../unit/pipeline/factories.ts";
import { hubState } from "./scenario.ts";

/** The report time every scan of these tests carries (a scanner with a coarse or fixed clock). */
const T = "2026-01-05T00:00:00.000Z";
const T_PLUS = (ms: number) => new Date(Date.parse(T) + ms).toISOString();
const SCOPE = "repo@main/scanner";
const LOCAL = { kind: "local" } as const;

interface Outcome {
  readonly report: ImportReport;
  /** The finding in the local hub after the import, by Id. */
  readonly hub: Map<string, AwsSecurityFinding>;
  /** The shadow after the import, by Id. */
  readonly shadow: Map<string, ShadowRecord>;
}

describe("observedAt survives the SQLite shadow between imports", () => {
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  /** One `shadowhub import` run on `stateDir`: open, import, read back, close. */
  async function importOnce(
    stateDir: string,
    clock: ManualClock,
    findings: AwsSecurityFinding[],
    ids: readonly string[],
  ): Promise<Outcome> {
    clock.advance(60_000);
    const target = await openTarget(LOCAL, { stateDir, env: {} });
    try {
      const report = await runImport(
        { findings: findings.map((f) => ({ finding: f, source: `report-${f.Id}.json` })), scope: SCOPE },
        { store: target.store, sink: target.sink, clock, sleep: async () => {} },
      );
      assert.deepEqual(report.failures, [], "no failures expected");
      const hub = await hubState(target.sink, ids);
      const stored = await target.store.getMany(ids.map((id) => keyOf(finding(id))));
      const shadow = new Map(
        ids.flatMap((id) => {
          const record = stored.get(findingKeyString(keyOf(finding(id))));
          return record === undefined ? [] : [[id, record] as const];
        }),
      );
      return { report, hub, shadow };
    } finally {
      await target.close();
    }
  }

  const fresh = () => {
    const dir = mkdtempSync(join(tmpdir(), "shadowhub-observed-at-"));
    dirs.push(dir);
    return { dir, clock: new ManualClock("2026-01-10T00:00:00.000Z") };
  };

  const counts = (r: ImportReport) => {
    const nonZero = Object.entries({ ...r.counts, apiCalls: r.apiCalls }).filter(([, n]) => n !== 0);
    return Object.fromEntries(nonZero);
  };

  it("imports three versions of one finding carrying the same report time as created, updated, updated; an older report is stale", async () => {
    const { dir, clock } = fresh();
    const version = (title: string, updatedAt = T) => [finding("f", { Title: title, UpdatedAt: updatedAt })];

    const first = await importOnce(dir, clock, version("first"), ["f"]);
    assert.deepEqual(counts(first.report), { created: 1, apiCalls: 1 });
    assert.equal(first.hub.get("f")?.UpdatedAt, T);

    // The second version carries the same report time: its UpdatedAt is bumped 1 ms past the stored one.
    const second = await importOnce(dir, clock, version("second"), ["f"]);
    assert.deepEqual(counts(second.report), { updated: 1, apiCalls: 1 });
    assert.equal(second.hub.get("f")?.Title, "second");
    assert.equal(second.hub.get("f")?.UpdatedAt, T_PLUS(1));
    assert.equal(second.shadow.get("f")?.updatedAt, T_PLUS(1));
    assert.equal(second.shadow.get("f")?.observedAt, T, "the shadow keeps the report time, not the bump");

    // The third version, same report time again: news, not a stale delivery.
    const third = await importOnce(dir, clock, version("third"), ["f"]);
    assert.deepEqual(counts(third.report), { updated: 1, apiCalls: 1 });
    assert.equal(third.hub.get("f")?.Title, "third");
    assert.equal(third.hub.get("f")?.UpdatedAt, T_PLUS(2));
    assert.deepEqual([third.shadow.get("f")?.updatedAt, third.shadow.get("f")?.observedAt], [T_PLUS(2), T]);

    // A genuinely older report (one day before) is dropped and Security Hub keeps the third version.
    const older = await importOnce(dir, clock, version("older", "2026-01-04T00:00:00.000Z"), ["f"]);
    assert.deepEqual(counts(older.report), { stale: 1 });
    assert.equal(older.hub.get("f")?.Title, "third");
    assert.equal(older.hub.get("f")?.UpdatedAt, T_PLUS(2));
    assert.deepEqual(older.shadow.get("f"), third.shadow.get("f"), "the shadow is untouched");

    // ...while a report 1 ms after T (earlier than the bumped UpdatedAt T+2 ms) is news and lands after it.
    const later = await importOnce(dir, clock, version("later", T_PLUS(1)), ["f"]);
    assert.deepEqual(counts(later.report), { updated: 1, apiCalls: 1 });
    assert.equal(later.hub.get("f")?.UpdatedAt, T_PLUS(3));
    assert.equal(later.shadow.get("f")?.observedAt, T_PLUS(1));
  });

  it("archives a finding that a scan of the same report time no longer holds after it was changed and bumped", async () => {
    const { dir, clock } = fresh();
    const ids = ["gone", "kept"];
    const first = await importOnce(dir, clock, [finding("gone"), finding("kept")].map(at(T)), ids);
    assert.deepEqual(counts(first.report), { created: 2, apiCalls: 1 });

    const changed = await importOnce(
      dir,
      clock,
      [finding("gone", { Title: "changed" }), finding("kept")].map(at(T)),
      ids,
    );
    assert.deepEqual(counts(changed.report), { updated: 1, unchanged: 1, apiCalls: 1 });
    assert.equal(changed.hub.get("gone")?.UpdatedAt, T_PLUS(1));

    // Same report time, "gone" absent from the scope: the scan is as new as the last observation.
    const removed = await importOnce(dir, clock, [finding("kept")].map(at(T)), ids);
    assert.deepEqual(counts(removed.report), { archived: 1, unchanged: 1, apiCalls: 1 });
    assert.equal(removed.hub.get("gone")?.RecordState, "ARCHIVED");
    assert.equal(removed.hub.get("gone")?.Title, "changed", "the archive resends the last content");
    assert.equal(removed.hub.get("gone")?.UpdatedAt, T_PLUS(2));
    assert.equal(removed.shadow.get("gone")?.recordState, "ARCHIVED");

    // A scan older than the last observation still archives nothing.
    const stale = await importOnce(
      dir,
      clock,
      [finding("gone", { Title: "changed" })].map(at(T_PLUS(-1))),
      ids,
    );
    // The report is late (older than the scope's last scan): "gone" ends ARCHIVED whatever it
    // says, which is what the shadow holds with that content (unchanged); "kept" was observed
    // after this scan, so its absence is stale.
    assert.deepEqual(
      counts(stale.report),
      { stale: 1, unchanged: 1 },
      "the old reappearance and the old absence",
    );
    assert.equal(stale.hub.get("kept")?.RecordState, "ACTIVE");
    assert.equal(stale.hub.get("gone")?.RecordState, "ARCHIVED");
    assert.equal(stale.hub.get("gone")?.UpdatedAt, T_PLUS(2));
  });
});

/** Sets the report time (UpdatedAt) of a finding. */
function at(updatedAt: string): (f: AwsSecurityFinding) => AwsSecurityFinding {
  return (f) => ({ ...f, UpdatedAt: updatedAt });
}
