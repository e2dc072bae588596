/**
 * Archives take their content from the shadow's last sent finding (`ShadowStore.lastFindings`):
 * against `shadowhub serve` through the real SDK sink, an archive makes no GetFindings call when
 * the shadow holds the finding, and asks the target only for the findings it lacks (records
 * written by an older shadowhub, which kept no finding).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openLocalHub } from "../../../lambdas/adapters/local-hub/local-hub.ts";
import { LocalHubSink } from "../../../lambdas/adapters/local-target/local-hub-sink.ts";
import { SecurityHubSink } from "../../../lambdas/adapters/securityhub/securityhub-sink.ts";
import { openSqliteShadowStore } from "../../../lambdas/adapters/sqlite/sqlite-shadow-store.ts";
import type { FindingKey } from "../../../lambdas/core/hub/contracts.ts";
import { type ImportRunDeps, runImport } from "../../../lambdas/pipeline/import-run.ts";
import { ManualClock } from "../../../lambdas/ports/clock.ts";
import type { FindingSink } from "../../../lambdas/ports/finding-sink.ts";
import type { ShadowStore } from "../../../lambdas/ports/shadow-store.ts";
import { startTestServe, type TestServe } from "../../helpers/serve.ts";
import { keyOf } from "../../unit/pipeline/factories.ts";
import { hubState, scan } from "./scenario.ts";

const SCOPE = "image@sha256:archive";

/** The SDK sink, counting the keys each `fetchCurrent` (GetFindings) call asked for. */
function countingSink(inner: FindingSink, fetched: FindingKey[][]): FindingSink {
  return {
    description: inner.description,
    emitsEvents: inner.emitsEvents,
    batchImport: (call) => inner.batchImport(call),
    fetchCurrent: (keys) => {
      fetched.push([...keys]);
      return inner.fetchCurrent(keys);
    },
    close: () => inner.close(),
  };
}

/** A store that commits as shadowhub did before it kept the last sent finding. */
function withoutLastFindings(real: ShadowStore): ShadowStore {
  return {
    getMany: (keys) => real.getMany(keys),
    lastFindings: (keys) => real.lastFindings(keys),
    commit: (records) => real.commit(records.map(({ lastFinding: _f, ...record }) => record)),
    listActiveInScope: (scope, accountId, region) => real.listActiveInScope(scope, accountId, region),
    markCustomerTouched: (key, attributes) => real.markCustomerTouched(key, attributes),
    recordObservations: (observations) => real.recordObservations(observations),
    getScope: (scope, accountId, region) => real.getScope(scope, accountId, region),
    advanceScope: (record) => real.advanceScope(record),
    close: () => real.close(),
  };
}

describe("archive content from the shadow's last sent finding (serve over HTTP, SQLite shadow)", () => {
  let serve: TestServe;
  before(async () => {
    serve = await startTestServe({ log: () => {} });
  });
  after(async () => {
    await serve.close();
  });

  const depsFor = (store: ShadowStore, sink: FindingSink): ImportRunDeps => ({
    store,
    sink,
    clock: new ManualClock("2026-01-10T00:00:00.000Z"),
    sleep: async () => {},
    random: () => 0,
  });

  it("archives with no GetFindings call and keeps the title, resources and severity Security Hub shows", async () => {
    const fetched: FindingKey[][] = [];
    const sdk = new SecurityHubSink({
      endpoint: serve.url,
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    });
    const sink = countingSink(sdk, fetched);
    const store = openSqliteShadowStore({ path: ":memory:" });
    try {
      const titles = { "arc-gone": "Kept title of the gone finding" };
      const first = await runImport(
        { findings: scan(1, ["arc-stays", "arc-gone"], titles), scope: SCOPE },
        depsFor(store, sink),
      );
      assert.equal(first.counts.created, 2);
      const before = (await hubState(sdk, ["arc-gone"])).get("arc-gone");

      const second = await runImport(
        { findings: scan(2, ["arc-stays"]), scope: SCOPE },
        depsFor(store, sink),
      );
      assert.equal(second.counts.archived, 1);
      assert.deepEqual(second.failures, []);
      assert.deepEqual(fetched, [], "no GetFindings: the shadow held the archived finding");

      const archived = (await hubState(sdk, ["arc-gone"])).get("arc-gone");
      assert.equal(archived?.RecordState, "ARCHIVED");
      assert.equal(archived?.Title, "Kept title of the gone finding");
      assert.deepEqual(archived?.Resources, before?.Resources);
      assert.deepEqual(archived?.Severity, before?.Severity);
      assert.equal(archived?.UpdatedAt, "2026-01-02T00:00:00.000Z");
    } finally {
      await store.close();
      await sink.close();
    }
  });

  it("asks GetFindings only for the candidates whose shadow holds no finding (written by an older version)", async () => {
    const fetched: FindingKey[][] = [];
    const sdk = new SecurityHubSink({
      endpoint: serve.url,
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    });
    const sink = countingSink(sdk, fetched);
    const store = openSqliteShadowStore({ path: ":memory:" });
    const scope = `${SCOPE}-old`;
    try {
      // All four committed by an older shadowhub (no finding kept); then "new-…" changed and
      // were committed by this one, which kept their findings.
      const ids = ["old-1", "old-2", "new-1", "new-2"];
      await runImport({ findings: scan(1, ids), scope }, depsFor(withoutLastFindings(store), sink));
      const changed = { "new-1": "Changed new-1", "new-2": "Changed new-2" };
      const update = await runImport({ findings: scan(1, ids, changed), scope }, depsFor(store, sink));
      assert.equal(update.counts.updated, 2);
      const kept = await store.lastFindings(scan(1, ["old-1", "new-1"]).map((f) => keyOf(f.finding)));
      assert.deepEqual(
        [...kept.values()].map((k) => k.finding.Id),
        ["new-1"],
      );

      const report = await runImport({ findings: scan(2, ["old-2", "new-2"]), scope }, depsFor(store, sink));
      assert.equal(report.counts.archived, 2);
      assert.deepEqual(report.failures, []);
      assert.deepEqual(
        fetched.map((keys) => keys.map((k) => k.id)),
        [["old-1"]],
      );
      const hub = await hubState(sdk, ["old-1", "new-1"]);
      assert.equal(hub.get("old-1")?.RecordState, "ARCHIVED");
      assert.equal(hub.get("new-1")?.RecordState, "ARCHIVED");
      assert.equal(hub.get("old-1")?.Title, "Finding old-1");
      assert.equal(hub.get("new-1")?.Title, "Changed new-1");
    } finally {
      await store.close();
      await sink.close();
    }
  });

  it("does not resend a stored finding older than the shadow: a newer commit that kept none makes the archive fetch", async () => {
    const fetched: FindingKey[][] = [];
    const sdk = new SecurityHubSink({
      endpoint: serve.url,
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    });
    const sink = countingSink(sdk, fetched);
    const store = openSqliteShadowStore({ path: ":memory:" });
    const scope = `${SCOPE}-stale`;
    try {
      await runImport({ findings: scan(1, ["st-1", "st-2"]), scope }, depsFor(store, sink));
      // A newer version committed without its finding: the stored one is now outdated.
      const changed = { "st-1": "Newer title", "st-2": "Newer title" };
      await runImport(
        { findings: scan(3, ["st-1", "st-2"], changed), scope },
        depsFor(withoutLastFindings(store), sink),
      );
      const report = await runImport({ findings: scan(4, ["st-2"]), scope }, depsFor(store, sink));
      assert.equal(report.counts.archived, 1);
      assert.deepEqual(
        fetched.map((keys) => keys.map((k) => k.id)),
        [["st-1"]],
      );
      const archived = (await hubState(sdk, ["st-1"])).get("st-1");
      assert.equal(archived?.RecordState, "ARCHIVED");
      assert.equal(archived?.Title, "Newer title");
    } finally {
      await store.close();
      await sink.close();
    }
  });

  it("keeps no copy for the local hub target, whose own store is free to read: the archive reads the hub", async () => {
    const fetched: FindingKey[][] = [];
    const local = new LocalHubSink(await openLocalHub({}));
    assert.equal(local.currentIsLocal, true);
    const store = openSqliteShadowStore({ path: ":memory:" });
    const scope = `${SCOPE}-local`;
    // The counting wrapper passes the flag through, as any delegating sink must.
    const sink: FindingSink = { ...countingSink(local, fetched), currentIsLocal: local.currentIsLocal };
    try {
      await runImport({ findings: scan(1, ["lo-1", "lo-2"]), scope }, depsFor(store, sink));
      const kept = await store.lastFindings(scan(1, ["lo-1", "lo-2"]).map((f) => keyOf(f.finding)));
      assert.equal(kept.size, 0, "no compressed copy written for a local target");

      const report = await runImport({ findings: scan(2, ["lo-2"]), scope }, depsFor(store, sink));
      assert.equal(report.counts.archived, 1);
      assert.deepEqual(report.failures, []);
      assert.deepEqual(
        fetched.map((keys) => keys.map((k) => k.id)),
        [["lo-1"]],
      );
      const archived = (await hubState(local, ["lo-1"])).get("lo-1");
      assert.equal(archived?.RecordState, "ARCHIVED");
      assert.equal(archived?.Title, "Finding lo-1");
    } finally {
      await store.close();
      await sink.close();
    }
  });
});
