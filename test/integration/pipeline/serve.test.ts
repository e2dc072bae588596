/**
 * The import pipeline against `shadowhub serve` over HTTP with the real SDK v3 client: the
 * acceptance flow, retries on injected faults, per-finding error handling, and four importers
 * sharing one rate limiter against the quota.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { InProcessRateLimiter } from "../../../lambdas/adapters/memory/in-process-rate-limiter.ts";
import { MemoryShadowStore } from "../../../lambdas/adapters/memory/memory-shadow-store.ts";
import { SecurityHubSink } from "../../../lambdas/adapters/securityhub/securityhub-sink.ts";
import { findingKeyString } from "../../../lambdas/core/hub/contracts.ts";
import { runImport } from "../../../lambdas/pipeline/import-run.ts";
import { ManualClock } from "../../../lambdas/ports/clock.ts";
import { startTestServe, type TestServe } from "../../helpers/serve.ts";
import { finding, keyOf } from "../../unit/pipeline/factories.ts";
import { hubState, runAcceptanceFlow, scan } from "./scenario.ts";

const CREDENTIALS = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" };

describe("import pipeline against serve over HTTP (real SDK)", () => {
  let serve: TestServe;
  before(async () => {
    serve = await startTestServe({ log: () => {} });
  });
  after(async () => {
    await serve.close();
  });
  const sinkFor = (url: string, requestTimeoutMs?: number) =>
    new SecurityHubSink({
      endpoint: url,
      credentials: CREDENTIALS,
      ...(requestTimeoutMs ? { requestTimeoutMs } : {}),
    });

  it("runs the acceptance flow", async () => {
    const sink = sinkFor(serve.url);
    try {
      await runAcceptanceFlow({ sink, store: new MemoryShadowStore() });
    } finally {
      await sink.close();
    }
  });

  it("retries throttling, 500, connection resets and time-outs, tells the limiter, and commits once accepted", async () => {
    serve.faults.add({ kind: "throttle", operation: "BatchImportFindings", times: 2 });
    serve.faults.add({ kind: "internal", operation: "BatchImportFindings", times: 1 });
    serve.faults.add({ kind: "reset", operation: "BatchImportFindings", times: 1 });
    serve.faults.add({ kind: "timeout", operation: "BatchImportFindings", times: 1, holdMs: 2_000 });
    const sink = sinkFor(serve.url, 300);
    const store = new MemoryShadowStore();
    const throttles: string[] = [];
    const limiter = {
      acquire: async () => {},
      onThrottled: async (account: string, region: string) => {
        throttles.push(`${account}/${region}`);
      },
    };
    const slept: number[] = [];
    try {
      const report = await runImport(
        { findings: scan(1, ["retry-1", "retry-2"]) },
        {
          store,
          sink,
          limiter,
          clock: new ManualClock(0),
          sleep: async (ms) => {
            slept.push(ms);
          },
          random: () => 0.5,
        },
      );
      assert.deepEqual(report.failures, []);
      assert.equal(report.counts.created, 2);
      assert.equal(report.apiCalls, 6);
      assert.equal(report.retries, 5);
      assert.equal(report.throttled, 2);
      assert.deepEqual(throttles, ["123456789012/us-east-1", "123456789012/us-east-1"]);
      assert.deepEqual(slept, [50, 100, 200, 400, 800], "exponential backoff with (injected) full jitter");
      const shadows = await store.getMany([keyOf(finding("retry-1"))]);
      assert.equal(shadows.size, 1);
    } finally {
      await sink.close();
    }
  });

  it("reports InvalidInput with Security Hub's message and never retries it; commits the rest", async () => {
    const sink = sinkFor(serve.url);
    const bad = finding("invalid-1", { UpdatedAt: "2026-01-01T00:00:00.000Z", Title: "x".repeat(300) });
    try {
      const report = await runImport(
        { findings: [{ finding: bad, source: "bad.json" }, ...scan(1, ["valid-1"])] },
        { store: new MemoryShadowStore(), sink, clock: new ManualClock(0), sleep: async () => {} },
      );
      assert.equal(report.apiCalls, 1);
      assert.equal(report.counts.created, 1);
      assert.equal(report.counts.failed, 1);
      assert.deepEqual(report.failedByCode, { InvalidInput: 1 });
      const failure = report.failures[0];
      assert.equal(failure?.findingId, "invalid-1");
      assert.equal(failure?.source, "bad.json");
      assert.match(failure?.message ?? "", /Title should NOT be longer than 256 characters/);
    } finally {
      await sink.close();
    }
  });

  it("reports InvalidAccess as not enabled, does not commit, and sends the finding again next time", async () => {
    serve.faults.add({
      kind: "finding",
      operation: "BatchImportFindings",
      ids: ["access-1"],
      errorCode: "InvalidAccess",
    });
    const sink = sinkFor(serve.url);
    const store = new MemoryShadowStore();
    const deps = { store, sink, clock: new ManualClock(0), sleep: async () => {} };
    try {
      const first = await runImport({ findings: scan(1, ["access-1", "access-2"]) }, deps);
      assert.equal(first.apiCalls, 1, "InvalidAccess is not retried within the import");
      assert.deepEqual(first.failedByCode, { InvalidAccess: 1 });
      assert.match(first.failures[0]?.message ?? "", /not enabled/);
      assert.equal((await store.getMany([keyOf(finding("access-1"))])).size, 0, "not committed");
      const second = await runImport({ findings: scan(2, ["access-1", "access-2"]) }, deps);
      assert.equal(second.counts.created, 1);
      assert.equal(second.counts.unchanged, 1);
      assert.equal((await hubState(sink, ["access-1"])).size, 1);
    } finally {
      await sink.close();
    }
  });

  it("retries a per-finding internal failure with the call, only for that finding", async () => {
    serve.faults.add({
      kind: "finding",
      operation: "BatchImportFindings",
      ids: ["flaky-1"],
      errorCode: "InternalFailure",
    });
    const sink = sinkFor(serve.url);
    try {
      const report = await runImport(
        { findings: scan(1, ["flaky-1", "flaky-2"]) },
        { store: new MemoryShadowStore(), sink, clock: new ManualClock(0), sleep: async () => {} },
      );
      assert.deepEqual(report.failures, []);
      assert.equal(report.counts.created, 2);
      assert.equal(report.apiCalls, 2);
    } finally {
      await sink.close();
    }
  });
});

describe("four importers sharing one rate limiter against serve with the quota on", () => {
  it("lets no 429 reach the user and lands every finding", async (t) => {
    const serve = await startTestServe({ quota: true, log: () => {} });
    const limiter = new InProcessRateLimiter();
    const importers = 4;
    const batchesEach = 15;
    const sinks = Array.from(
      { length: importers },
      () => new SecurityHubSink({ endpoint: serve.url, credentials: CREDENTIALS }),
    );
    try {
      const started = performance.now();
      const reports = await Promise.all(
        sinks.map((sink, w) => {
          const findings = Array.from({ length: batchesEach * 100 }, (_, i) => ({
            source: `worker-${w}.json`,
            finding: finding(`w${w}-${i}`),
          }));
          return runImport(
            { findings },
            { store: new MemoryShadowStore(), sink, limiter, clock: new ManualClock(Date.now()) },
          );
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      for (const r of reports) {
        assert.deepEqual(r.failures, [], "no failure (no 429) surfaced");
        assert.equal(r.counts.created, batchesEach * 100);
      }
      const calls = reports.reduce((n, r) => n + r.apiCalls, 0);
      const throttled = reports.reduce((n, r) => n + r.throttled, 0);
      // Sustained rate after the burst of 30: reported, not asserted (no timing thresholds in tests).
      t.diagnostic(
        `${calls} calls in ${seconds.toFixed(2)} s; sustained ≈ ${((calls - 30) / seconds).toFixed(2)} calls/s; 429s absorbed: ${throttled}`,
      );
      const found = await sinks[0]?.fetchCurrent([keyOf(finding("w3-1499")), keyOf(finding("w0-0"))]);
      assert.equal(found?.size, 2);
      assert.ok(found?.has(findingKeyString(keyOf(finding("w3-1499")))));
    } finally {
      for (const s of sinks) await s.close();
      await serve.close();
    }
  });
});
