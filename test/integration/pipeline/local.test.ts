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
import { runAcceptanceFlow } from "./scenario.ts";

describe("import pipeline against the in-process local hub", () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
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
});
