/**
 * The acceptance flow of the import pipeline, run against any target (local hub, `serve` over
 * HTTP with the real SDK, moto_server): import; re-import unchanged; change one; remove one from
 * the scope; import another scope; reappear. Each step asserts the report and the target's state.
 */
import assert from "node:assert/strict";
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { findingKeyString } from "../../../lambdas/core/hub/contracts.ts";
import type { IncomingFinding } from "../../../lambdas/core/pipeline/plan.ts";
import { type ImportReport, type ImportRunDeps, runImport } from "../../../lambdas/pipeline/import-run.ts";
import { ManualClock } from "../../../lambdas/ports/clock.ts";
import type { FindingSink } from "../../../lambdas/ports/finding-sink.ts";
import type { ShadowStore } from "../../../lambdas/ports/shadow-store.ts";
import { finding, keyOf } from "../../unit/pipeline/factories.ts";

/** Report time of scan `n` (each scan of the flow is a new scan with its own time). */
export const scanTime = (n: number) => `2026-01-${String(n).padStart(2, "0")}T00:00:00.000Z`;

export function scan(
  n: number,
  ids: readonly string[],
  titles: Readonly<Record<string, string>> = {},
): IncomingFinding[] {
  return ids.map((id) => ({
    source: `scan-${n}.json`,
    finding: finding(id, {
      UpdatedAt: scanTime(n),
      CreatedAt: scanTime(n),
      ...(titles[id] ? { Title: titles[id] } : {}),
    }),
  }));
}

/** A target for the flow: a sink, a fresh shadow store, and extra run options. */
export interface FlowTarget {
  readonly sink: FindingSink;
  readonly store: ShadowStore;
  readonly deps?: Partial<ImportRunDeps>;
}

export async function hubState(
  sink: FindingSink,
  ids: readonly string[],
): Promise<Map<string, AwsSecurityFinding>> {
  const found = await sink.fetchCurrent(ids.map((id) => keyOf(finding(id))));
  return new Map([...found.values()].map((f) => [f.Id ?? "", f]));
}

function counts(report: ImportReport) {
  return { ...report.counts, apiCalls: report.apiCalls };
}

const ZERO = { created: 0, updated: 0, unchanged: 0, stale: 0, archived: 0, refreshed: 0, failed: 0 };

/** Runs the whole flow, asserting every step; returns the reports for target-specific checks. */
export async function runAcceptanceFlow(target: FlowTarget): Promise<ImportReport[]> {
  const clock = new ManualClock("2026-01-10T00:00:00.000Z");
  const deps: ImportRunDeps = {
    store: target.store,
    sink: target.sink,
    clock,
    sleep: async () => {},
    ...target.deps,
  };
  const run = async (findings: IncomingFinding[], scope: string) => {
    clock.advance(60_000);
    const report = await runImport({ findings, scope }, deps);
    assert.deepEqual(report.failures, [], "no failures expected");
    return report;
  };
  const reports: ImportReport[] = [];
  const APP = "repo@main/trivy";

  // 1. First import: everything is new, one call.
  reports.push(await run(scan(1, ["a", "b", "c"]), APP));
  assert.deepEqual(counts(reports[0] as ImportReport), { ...ZERO, created: 3, apiCalls: 1 });
  let state = await hubState(target.sink, ["a", "b", "c"]);
  assert.equal(state.size, 3);

  // 2. The same findings from a later scan: nothing to send.
  reports.push(await run(scan(2, ["a", "b", "c"]), APP));
  assert.deepEqual(counts(reports[1] as ImportReport), { ...ZERO, unchanged: 3, apiCalls: 0 });

  // 3. One finding changed.
  reports.push(await run(scan(3, ["a", "b", "c"], { b: "b changed" }), APP));
  assert.deepEqual(counts(reports[2] as ImportReport), { ...ZERO, updated: 1, unchanged: 2, apiCalls: 1 });
  state = await hubState(target.sink, ["b"]);
  assert.equal(state.get("b")?.Title, "b changed");
  assert.equal(state.get("b")?.UpdatedAt?.slice(0, 19), scanTime(3).slice(0, 19));

  // 4. One finding gone from the same scope: archived with its full content.
  reports.push(await run(scan(4, ["a", "b"], { b: "b changed" }), APP));
  assert.deepEqual(counts(reports[3] as ImportReport), { ...ZERO, archived: 1, unchanged: 2, apiCalls: 1 });
  state = await hubState(target.sink, ["a", "b", "c"]);
  assert.equal(state.get("c")?.RecordState, "ARCHIVED");
  assert.equal(state.get("c")?.Title, "Finding c", "the archive keeps the finding's content");
  assert.equal(state.get("a")?.RecordState, "ACTIVE");

  // 5. Another scope: nothing of the first scope is archived.
  reports.push(await run(scan(5, ["d"]), "image@sha256:feed"));
  assert.deepEqual(counts(reports[4] as ImportReport), { ...ZERO, created: 1, apiCalls: 1 });
  state = await hubState(target.sink, ["a", "b", "d"]);
  assert.equal(state.get("a")?.RecordState, "ACTIVE");
  assert.equal(state.get("b")?.RecordState, "ACTIVE");

  // 6. The archived finding reappears: ACTIVE again.
  reports.push(await run(scan(6, ["a", "b", "c"], { b: "b changed" }), APP));
  assert.deepEqual(counts(reports[5] as ImportReport), { ...ZERO, updated: 1, unchanged: 2, apiCalls: 1 });
  state = await hubState(target.sink, ["c"]);
  assert.equal(state.get("c")?.RecordState, "ACTIVE");

  // The shadow agrees with the target.
  const shadows = await target.store.getMany(["a", "b", "c", "d"].map((id) => keyOf(finding(id))));
  assert.deepEqual(
    ["a", "b", "c", "d"].map((id) => shadows.get(findingKeyString(keyOf(finding(id))))?.recordState),
    ["ACTIVE", "ACTIVE", "ACTIVE", "ACTIVE"],
  );
  return reports;
}
