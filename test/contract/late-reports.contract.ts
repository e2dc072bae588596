/**
 * The four out-of-order cases of `docs/reliability.md` ("Late deliveries") end to end: the real
 * `runImport` into the in-memory local hub, with the shadow store under test, so that what the
 * plan relies on (observations, scope records, `observedAt` kept by archives) is checked against
 * every adapter. Run by each adapter's `*.test.ts` next to the store contract.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { openLocalHub } from "../../lambdas/adapters/local-hub/local-hub.ts";
import { LocalHubSink } from "../../lambdas/adapters/local-target/local-hub-sink.ts";
import { type ImportReport, runImport } from "../../lambdas/pipeline/import-run.ts";
import { ManualClock } from "../../lambdas/ports/clock.ts";
import type { ShadowStore } from "../../lambdas/ports/shadow-store.ts";
import { hubState } from "../integration/pipeline/scenario.ts";
import { ACCOUNT, finding, REGION } from "../unit/pipeline/factories.ts";
import type { ShadowStoreFactory } from "./shadow-store.contract.ts";

const T0 = "2026-01-01T00:00:00.000Z";
const T1 = "2026-01-02T00:00:00.000Z";
const T2 = "2026-01-03T00:00:00.000Z";
const T3 = "2026-01-04T00:00:00.000Z";

/** Registers the late-report scenarios for one adapter. */
export function lateReportsContract(adapter: string, open: ShadowStoreFactory): void {
  describe(`late and duplicate reports through runImport: ${adapter}`, () => {
    const cleanup: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const close of cleanup.splice(0)) await close();
    });

    /** A store and a hub; `scan(at, findings)` imports one report of scope `s` made at `at`. */
    const setup = async () => {
      const store: ShadowStore = await open();
      const sink = new LocalHubSink(await openLocalHub());
      cleanup.push(async () => {
        await sink.close();
        await store.close();
      });
      const clock = new ManualClock("2026-02-01T00:00:00.000Z");
      const scan = async (at: string, findings: Record<string, string>): Promise<ImportReport> => {
        clock.advance(60_000);
        const report = await runImport(
          {
            findings: Object.entries(findings).map(([id, title]) => ({
              finding: finding(id, { Title: title, UpdatedAt: at }),
              source: `scan-${at}.json`,
            })),
            scope: "s",
            scopeTargets: [{ accountId: ACCOUNT, region: REGION }],
            reportTimeMs: Date.parse(at),
          },
          { store, sink, clock, sleep: async () => {} },
        );
        assert.deepEqual(report.failures, []);
        return report;
      };
      const hub = (ids: string[]) => hubState(sink, ids);
      return { scan, hub };
    };
    const view = (f: AwsSecurityFinding | undefined) => [f?.Title, f?.RecordState, f?.UpdatedAt];

    it("case 1: a finding only a late report carries is created ARCHIVED, dated by the newer scan", async () => {
      const { scan, hub } = await setup();
      await scan(T2, { a: "a" });
      const late = await scan(T1, { a: "a", x: "x" });
      assert.equal(late.counts.created, 1);
      const state = await hub(["a", "x"]);
      assert.deepEqual(view(state.get("x")), ["x", "ARCHIVED", T2]);
      assert.deepEqual(view(state.get("a")), ["a", "ACTIVE", T2]);
    });

    it("case 2: a late change of a finding the newer scan archived keeps the late content, ARCHIVED", async () => {
      const { scan, hub } = await setup();
      await scan(T0, { x: "A" });
      await scan(T2, { y: "y" }); // archives x
      await scan(T1, { x: "B" }); // late
      const x = (await hub(["x"])).get("x");
      assert.equal(x?.Title, "B");
      assert.equal(x?.RecordState, "ARCHIVED");
    });

    it("case 3: a revert (A → B → A, B last) keeps A", async () => {
      const { scan, hub } = await setup();
      await scan(T0, { x: "A" });
      const revert = await scan(T2, { x: "A" });
      assert.equal(revert.counts.unchanged, 1);
      const late = await scan(T1, { x: "B" });
      assert.equal(late.counts.stale, 1);
      assert.deepEqual(view((await hub(["x"])).get("x")), ["A", "ACTIVE", T0]);
    });

    it("case 4: an empty report archives with its own time; late or redelivered it archives nothing seen since", async () => {
      const { scan, hub } = await setup();
      await scan(T0, { x: "x" });
      await scan(T2, { x: "x", y: "y" });
      for (const _ of [1, 2]) {
        const late = await scan(T1, {}); // late, then its SQS duplicate
        assert.equal(late.counts.archived, 0);
      }
      assert.deepEqual(
        [...(await hub(["x", "y"])).values()].map((f) => f.RecordState),
        ["ACTIVE", "ACTIVE"],
      );
      const empty = await scan(T3, {});
      assert.equal(empty.counts.archived, 2);
      const state = await hub(["x", "y"]);
      assert.deepEqual(view(state.get("x")), ["x", "ARCHIVED", T3]);
      assert.deepEqual(view(state.get("y")), ["y", "ARCHIVED", T3]);
      const again = await scan(T3, {}); // its duplicate
      assert.equal(again.apiCalls, 0);
    });
  });
}
