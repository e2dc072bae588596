/**
 * Imports larger than any argument list: the streamed import must not pass one argument per
 * finding anywhere (`push(...list)` overflows the stack at ~125,000 elements on Node 20).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryShadowStore } from "../../../lambdas/adapters/memory/memory-shadow-store.ts";
import { contentHash } from "../../../lambdas/core/pipeline/content-hash.ts";
import type { IncomingFinding } from "../../../lambdas/core/pipeline/plan.ts";
import { type ImportChunk, runImportStream } from "../../../lambdas/pipeline/import-run.ts";
import { ManualClock } from "../../../lambdas/ports/clock.ts";
import type { FindingSink } from "../../../lambdas/ports/finding-sink.ts";
import { finding, keyOf } from "../../unit/pipeline/factories.ts";

const COUNT = 150_000;
const CHUNK = 1_000;
const SCOPE = "large@sha256:1";

/** A sink that must never be called: every finding of these imports is unchanged. */
const silentSink: FindingSink = {
  description: "no calls expected",
  emitsEvents: false,
  batchImport: () => Promise.reject(new Error("unexpected BatchImportFindings call")),
  fetchCurrent: () => Promise.reject(new Error("unexpected fetch")),
  close: () => Promise.resolve(),
};

function* chunks(updatedAt: string): Generator<ImportChunk> {
  for (let start = 0; start < COUNT; start += CHUNK) {
    const findings: IncomingFinding[] = [];
    for (let i = start; i < Math.min(COUNT, start + CHUNK); i++) {
      findings.push({ finding: finding(`large-${i}`, { UpdatedAt: updatedAt }), source: "large.json" });
    }
    yield { findings };
  }
}

/** A store holding every finding of the import ACTIVE in SCOPE, as a previous import left it. */
async function seededStore(): Promise<MemoryShadowStore> {
  const store = new MemoryShadowStore();
  const records = [];
  for (let i = 0; i < COUNT; i++) {
    const f = finding(`large-${i}`);
    records.push({
      key: keyOf(f),
      contentHash: contentHash(f),
      updatedAt: "2026-01-01T00:00:00.000Z",
      observedAt: "2026-01-01T00:00:00.000Z",
      createdAt: "2026-01-01T00:00:00.000Z",
      recordState: "ACTIVE" as const,
      scope: SCOPE,
      customerTouched: [],
      lastSentMs: Date.parse("2026-01-01T00:00:00.000Z"),
    });
  }
  await store.commit(records);
  return store;
}

describe("an unchanged re-import of 150,000 findings", () => {
  it("is counted unchanged and records every newer observation", async () => {
    const store = await seededStore();
    const deps = { store, sink: silentSink, clock: new ManualClock("2026-01-03T00:00:00.000Z") };
    const streamed = await runImportStream(
      { chunks: chunks("2026-01-02T00:00:00.000Z"), scope: SCOPE },
      deps,
    );
    assert.equal(streamed.counts.unchanged, COUNT);
    assert.equal(streamed.apiCalls, 0);
    assert.deepEqual(streamed.failures, []);
    const [last] = (await store.getMany([keyOf(finding(`large-${COUNT - 1}`))])).values();
    assert.equal(last?.observedAt, "2026-01-02T00:00:00.000Z");
  });
});
