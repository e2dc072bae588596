import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  openSqliteShadowStore,
  sqliteShadowPath,
} from "../../lambdas/adapters/sqlite/sqlite-shadow-store.ts";
import { ConfigurationError } from "../../lambdas/core/errors.ts";
import { findingKeyString } from "../../lambdas/core/hub/contracts.ts";
import { keyOf, recordOf, shadowStoreContract } from "./shadow-store.contract.ts";

const root = mkdtempSync(join(tmpdir(), "shadowhub-sqlite-"));
let counter = 0;
after(() => rmSync(root, { recursive: true, force: true }));

shadowStoreContract("SQLite (file, WAL)", async () =>
  openSqliteShadowStore({ path: sqliteShadowPath(join(root, `state-${++counter}`)) }),
);

shadowStoreContract("SQLite (:memory:)", async () => openSqliteShadowStore({ path: ":memory:" }));

describe("openSqliteShadowStore", () => {
  it("keeps records across close and reopen of the same --state directory", async () => {
    const path = sqliteShadowPath(join(root, "persist"));
    const first = openSqliteShadowStore({ path });
    await first.commit([recordOf("kept", { customerTouched: ["Severity"] })]);
    await first.close();
    const second = openSqliteShadowStore({ path });
    const got = await second.getMany([keyOf("kept")]);
    assert.deepEqual(
      got.get(findingKeyString(keyOf("kept"))),
      recordOf("kept", { customerTouched: ["Severity"] }),
    );
    await second.close();
  });

  it("lets a stale writer on a second connection lose to the newer record", async () => {
    const path = sqliteShadowPath(join(root, "two-writers"));
    const a = openSqliteShadowStore({ path });
    const b = openSqliteShadowStore({ path });
    await a.commit([recordOf("f", { updatedAt: "2024-06-01T00:00:00Z", contentHash: "new" })]);
    const result = await b.commit([recordOf("f", { updatedAt: "2024-05-01T00:00:00Z", contentHash: "old" })]);
    assert.deepEqual(result.conflicts, [keyOf("f")]);
    assert.equal((await b.getMany([keyOf("f")])).get(findingKeyString(keyOf("f")))?.contentHash, "new");
    await a.close();
    await b.close();
  });

  it("uses a write-ahead log and an index on account, Region, scope and RecordState", async () => {
    const path = sqliteShadowPath(join(root, "pragmas"));
    const store = openSqliteShadowStore({ path });
    await store.close();
    const { default: Database } = await import("better-sqlite3");
    const db = new Database(path, { readonly: true });
    assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
    const plan = db
      .prepare(
        "EXPLAIN QUERY PLAN SELECT * FROM shadow WHERE account_id = ? AND region = ? AND scope = ? AND record_state = 'ACTIVE'",
      )
      .all("1", "r", "s") as { detail: string }[];
    assert.match(plan.map((row) => row.detail).join("\n"), /USING INDEX shadow_scope/);
    db.close();
  });

  it("reports a path that is not a database as a configuration error naming the file", () => {
    const path = join(root, "not-a-db.sqlite");
    writeFileSync(path, "this is not sqlite, just text long enough to be read as a header ".repeat(4));
    assert.throws(
      () => openSqliteShadowStore({ path }),
      (error: unknown) => error instanceof ConfigurationError && error.message.includes(path),
    );
  });
});
