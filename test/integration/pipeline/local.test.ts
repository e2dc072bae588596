import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { openLocalHub } from "../../../lambdas/adapters/local-hub/local-hub.ts";
import { LocalHubSink } from "../../../lambdas/adapters/local-target/local-hub-sink.ts";
import { MemoryShadowStore } from "../../../lambdas/adapters/memory/memory-shadow-store.ts";
import {
  openSqliteShadowStore,
  sqliteShadowPath,
} from "../../../lambdas/adapters/sqlite/sqlite-shadow-store.ts";
import { MAX_FINDING_BYTES } from "../../../lambdas/core/asff/limits.ts";
import { type FindingKey, findingKeyString } from "../../../lambdas/core/hub/contracts.ts";
import { batchFindings } from "../../../lambdas/core/pipeline/batch.ts";
import { runImport } from "../../../lambdas/pipeline/import-run.ts";
import { ManualClock } from "../../../lambdas/ports/clock.ts";
import type { ShadowRecord, ShadowStore } from "../../../lambdas/ports/shadow-store.ts";
import { finding, keyOf } from "../../unit/pipeline/factories.ts";
import { hubState, runAcceptanceFlow, scan } from "./scenario.ts";

/** A real store with some methods replaced (to inject a crash or a racing writer). */
function delegate(real: ShadowStore, overrides: Partial<ShadowStore>): ShadowStore {
  return {
    getMany: (keys) => real.getMany(keys),
    lastFindings: (keys) => real.lastFindings(keys),
    commit: (records) => real.commit(records),
    listActiveInScope: (scope, accountId, region) => real.listActiveInScope(scope, accountId, region),
    markCustomerTouched: (key, attributes) => real.markCustomerTouched(key, attributes),
    recordObservations: (observations) => real.recordObservations(observations),
    getScope: (scope, accountId, region) => real.getScope(scope, accountId, region),
    advanceScope: (record) => real.advanceScope(record),
    close: () => real.close(),
    ...overrides,
  };
}

describe("import pipeline against the in-process local hub", () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("still reports a finding over 240 KB when the batcher's size bound reaches the hub", async () => {
    const sink = new LocalHubSink(await openLocalHub());
    const big = finding("big", { Description: "x".repeat(MAX_FINDING_BYTES) });
    const small = finding("small");
    for (const findings of [[big, small], [small]]) {
      const [batch] = batchFindings(findings.map((f) => ({ key: keyOf(f), finding: f })));
      assert.ok(batch);
      const result = await sink.batchImport({
        accountId: batch.accountId,
        region: batch.region,
        findings: batch.items.map((i) => i.finding),
        bytes: batch.bytes,
        largestFindingBytes: batch.largestFindingBytes,
      });
      assert.deepEqual(
        result.failed.map((f) => [f.id, f.errorCode]),
        findings.length === 2 ? [["big", "FindingSizeExceeded"]] : [],
      );
    }
    await sink.close();
  });

  it("runs the acceptance flow with an in-memory hub and shadow", async () => {
    const sink = new LocalHubSink(await openLocalHub());
    const store = new MemoryShadowStore();
    try {
      await runAcceptanceFlow({ sink, store });
    } finally {
      await sink.close();
      await store.close();
    }
  });

  it("runs the acceptance flow on SQLite state and emits one aws.securityhub event per accepted finding", async () => {
    const dir = mkdtempSync(join(tmpdir(), "shadowhub-pipeline-"));
    dirs.push(dir);
    const eventsFile = join(dir, "events.jsonl");
    const sink = new LocalHubSink(await openLocalHub({ stateDir: dir, eventsFile }));
    const store = openSqliteShadowStore({ path: sqliteShadowPath(dir) });
    try {
      const reports = await runAcceptanceFlow({ sink, store });
      const sent = reports.reduce(
        (n, r) => n + r.counts.created + r.counts.updated + r.counts.archived + r.counts.refreshed,
        0,
      );
      const events = readFileSync(eventsFile, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      assert.equal(events.length, sent);
      assert.ok(
        events.every(
          (e) => e.source === "aws.securityhub" && e["detail-type"] === "Security Hub Findings - Imported",
        ),
      );
    } finally {
      await sink.close();
      await store.close();
    }
  });

  it("commits nothing before Security Hub accepted: a crash between send and commit causes a harmless resend", async () => {
    const sink = new LocalHubSink(await openLocalHub());
    const real = new MemoryShadowStore();
    let crash = true;
    // The real store, with its commit failing once as if the process died right after the call.
    const store = delegate(real, {
      commit: async (records: readonly ShadowRecord[]) => {
        if (crash) {
          crash = false;
          throw new Error("process killed between BatchImportFindings and the shadow commit");
        }
        return real.commit(records);
      },
    });
    const deps = { store, sink, clock: new ManualClock(0), sleep: async () => {} };
    try {
      await assert.rejects(runImport({ findings: scan(1, ["crash-1"]) }, deps), /process killed/);
      assert.equal((await hubState(sink, ["crash-1"])).size, 1, "Security Hub has the finding");
      assert.equal((await real.getMany([keyOf(finding("crash-1"))])).size, 0, "the shadow does not");
      const again = await runImport({ findings: scan(1, ["crash-1"]) }, deps);
      assert.equal(
        again.counts.created,
        1,
        "resent: Security Hub ignores the equal UpdatedAt, nothing is lost",
      );
      assert.equal((await real.getMany([keyOf(finding("crash-1"))])).size, 1);
      assert.equal((await hubState(sink, ["crash-1"])).get("crash-1")?.Title, "Finding crash-1");
    } finally {
      await sink.close();
    }
  });

  it("counts a send as stale when another worker committed a newer version first", async () => {
    const sink = new LocalHubSink(await openLocalHub());
    const store = new MemoryShadowStore();
    const newer = finding("race-1", { UpdatedAt: "2026-01-09T00:00:00.000Z", Title: "newer" });
    // Another worker commits the newer version after this worker loaded its (empty) shadow.
    const racing = delegate(store, {
      getMany: async (keys: readonly FindingKey[]) => {
        const loaded = await store.getMany(keys);
        await store.commit([
          {
            key: keyOf(newer),
            contentHash: "other",
            updatedAt: newer.UpdatedAt ?? "",
            createdAt: newer.CreatedAt ?? "",
            recordState: "ACTIVE",
            customerTouched: [],
            lastSentMs: 0,
          },
        ]);
        return loaded;
      },
    });
    try {
      const report = await runImport(
        { findings: scan(1, ["race-1"]) },
        { store: racing, sink, clock: new ManualClock(0), sleep: async () => {} },
      );
      assert.equal(report.counts.created, 0);
      assert.equal(report.counts.stale, 1);
      const kept = await store.getMany([keyOf(newer)]);
      assert.equal(
        kept.get(findingKeyString(keyOf(newer)))?.updatedAt,
        newer.UpdatedAt,
        "no stale overwrite",
      );
    } finally {
      await sink.close();
    }
  });
});
