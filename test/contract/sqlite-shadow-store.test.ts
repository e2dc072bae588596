import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import Database from "better-sqlite3";
import {
  openSqliteShadowStore,
  sqliteShadowPath,
} from "../../lambdas/adapters/sqlite/sqlite-shadow-store.ts";
import { ConfigurationError } from "../../lambdas/core/errors.ts";
import { findingKeyString } from "../../lambdas/core/hub/contracts.ts";
import { lateReportsContract } from "./late-reports.contract.ts";
import { keyOf, recordOf, shadowStoreContract } from "./shadow-store.contract.ts";

const root = mkdtempSync(join(tmpdir(), "shadowhub-sqlite-"));
let counter = 0;
after(() => rmSync(root, { recursive: true, force: true }));

shadowStoreContract("SQLite (file, WAL)", async () =>
  openSqliteShadowStore({ path: sqliteShadowPath(join(root, `state-${++counter}`)) }),
);
lateReportsContract("SQLite (file, WAL)", async () =>
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

  it("creates new files with 16 KB pages and leaves the page size of an existing file alone", async () => {
    const fresh = sqliteShadowPath(join(root, "pages-new"));
    await openSqliteShadowStore({ path: fresh }).close();
    const old = sqliteShadowPath(join(root, "pages-old"));
    writeVersion1File(old, "old");
    const store = openSqliteShadowStore({ path: old });
    assert.equal((await store.commit([recordOf("new")])).committed, 1);
    assert.equal((await store.getMany([keyOf("old"), keyOf("new")])).size, 2);
    await store.close();
    for (const [path, size] of [
      [fresh, 16384],
      [old, 4096],
    ] as const) {
      const db = new Database(path, { readonly: true });
      assert.equal(db.pragma("page_size", { simple: true }), size, path);
      db.close();
    }
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

/** The layout of schema version 1 (before `observed_at`), frozen here to test the migration. */
const SCHEMA_V1 = `
CREATE TABLE shadow (
  pk                TEXT PRIMARY KEY,
  account_id        TEXT NOT NULL,
  region            TEXT NOT NULL,
  product_arn       TEXT NOT NULL,
  finding_id        TEXT NOT NULL,
  content_hash      TEXT NOT NULL,
  updated_at        TEXT NOT NULL,
  updated_at_ms     INTEGER NOT NULL,
  created_at        TEXT NOT NULL,
  first_observed_at TEXT,
  record_state      TEXT NOT NULL CHECK (record_state IN ('ACTIVE', 'ARCHIVED')),
  scope             TEXT,
  customer_touched  INTEGER NOT NULL DEFAULT 0,
  last_sent_ms      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX shadow_scope ON shadow (account_id, region, scope, record_state);
PRAGMA user_version = 1;
`;

/** Writes a version-1 state file holding one record (as shadowhub before `observedAt` did). */
function writeVersion1File(path: string, id: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.exec(SCHEMA_V1);
  const r = recordOf(id);
  db.prepare("INSERT INTO shadow VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").run(
    findingKeyString(r.key),
    r.key.accountId,
    r.key.region,
    r.key.productArn,
    r.key.id,
    r.contentHash,
    r.updatedAt,
    Date.parse(r.updatedAt),
    r.createdAt,
    r.firstObservedAt ?? null,
    r.recordState,
    r.scope ?? null,
    0,
    r.lastSentMs,
  );
  db.close();
}

function columnsOf(path: string): { version: number; columns: string[] } {
  const db = new Database(path, { readonly: true });
  const version = Number(db.pragma("user_version", { simple: true }));
  const columns = (db.pragma("table_info(shadow)") as { name: string }[]).map((c) => c.name);
  db.close();
  return { version, columns };
}

describe("SQLite schema migration (observed_at in version 2; observed_at_ms and scope_state in version 3; last_finding in version 4)", () => {
  it("opens a version-1 state file: old records load without observedAt, new commits keep it", async () => {
    const path = sqliteShadowPath(join(root, "v1"));
    writeVersion1File(path, "old");
    assert.equal(columnsOf(path).columns.includes("observed_at"), false);

    const store = openSqliteShadowStore({ path });
    const { observedAt: _o, ...legacy } = recordOf("old");
    const loaded = (await store.getMany([keyOf("old")])).get(findingKeyString(keyOf("old")));
    assert.deepEqual(loaded, legacy);
    assert.equal(Object.hasOwn(loaded ?? {}, "observedAt"), false);
    const listed = [];
    for await (const r of store.listActiveInScope(legacy.scope ?? "", "111111111111", "us-east-1"))
      listed.push(r);
    assert.deepEqual(listed, [legacy]);

    // The old record is updated like any other: the condition still compares updatedAt.
    const update = recordOf("old", {
      updatedAt: "2024-05-01T10:00:00.001Z",
      observedAt: "2024-05-01T10:00:00Z",
    });
    assert.deepEqual(await store.commit([update, recordOf("new")]), { committed: 2, conflicts: [] });
    const got = await store.getMany([keyOf("old"), keyOf("new")]);
    assert.deepEqual(got.get(findingKeyString(keyOf("old"))), update);
    assert.deepEqual(got.get(findingKeyString(keyOf("new"))), recordOf("new"));
    await store.close();

    assert.deepEqual(columnsOf(path), {
      version: 4,
      columns: [
        "pk",
        "account_id",
        "region",
        "product_arn",
        "finding_id",
        "content_hash",
        "updated_at",
        "updated_at_ms",
        "created_at",
        "first_observed_at",
        "record_state",
        "scope",
        "customer_touched",
        "last_sent_ms",
        "observed_at",
        "observed_at_ms",
      ],
    });
  });

  it("migrates once: a second connection opened on the old file, and every later open, find the column in place", async () => {
    const path = sqliteShadowPath(join(root, "v1-twice"));
    writeVersion1File(path, "old");
    const a = openSqliteShadowStore({ path });
    const b = openSqliteShadowStore({ path });
    await a.commit([recordOf("x")]);
    assert.equal(
      (await b.getMany([keyOf("x")])).get(findingKeyString(keyOf("x")))?.observedAt,
      recordOf("x").observedAt,
    );
    await a.close();
    await b.close();
    const again = openSqliteShadowStore({ path });
    assert.equal((await again.getMany([keyOf("old"), keyOf("x")])).size, 2);
    await again.close();
    assert.equal(columnsOf(path).columns.filter((c) => c === "observed_at").length, 1);
  });

  it("creates new files at version 4 with the observed_at columns and the scope_state and last_finding tables", async () => {
    const path = sqliteShadowPath(join(root, "v4-new"));
    await openSqliteShadowStore({ path }).close();
    const { version, columns } = columnsOf(path);
    assert.equal(version, 4);
    assert.ok(columns.includes("observed_at") && columns.includes("observed_at_ms"));
    const db = new Database(path, { readonly: true });
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
      name: string;
    }[];
    db.close();
    assert.ok(tables.some((t) => t.name === "scope_state"));
    assert.ok(tables.some((t) => t.name === "last_finding"));
    // The finding blobs live only in last_finding: the shadow rows every import reads stay small.
    assert.equal(columns.includes("finding"), false);
  });

  it("migrates a version-3 file: old records have no stored finding until their next commit", async () => {
    const path = sqliteShadowPath(join(root, "v3"));
    writeVersion1File(path, "old");
    const db = new Database(path);
    db.exec(
      "ALTER TABLE shadow ADD COLUMN observed_at TEXT; ALTER TABLE shadow ADD COLUMN observed_at_ms INTEGER",
    );
    db.exec(
      "CREATE TABLE scope_state (pk TEXT PRIMARY KEY, account_id TEXT NOT NULL, region TEXT NOT NULL, scope TEXT NOT NULL, last_scan_at TEXT NOT NULL, last_scan_ms INTEGER NOT NULL) WITHOUT ROWID",
    );
    db.pragma("user_version = 3");
    db.close();
    const store = openSqliteShadowStore({ path });
    assert.equal((await store.lastFindings([keyOf("old")])).size, 0);
    const update = recordOf("old", { updatedAt: "2024-05-02T00:00:00Z" });
    const finding = { Id: "old", Title: "kept" } as unknown as AwsSecurityFinding;
    await store.commit([{ ...update, lastFinding: finding }]);
    assert.deepEqual((await store.lastFindings([keyOf("old")])).get(findingKeyString(keyOf("old"))), {
      finding,
      updatedAt: update.updatedAt,
    });
    await store.close();
    assert.equal(columnsOf(path).version, 4);
  });

  it("migrates a version-2 file: observed_at_ms is filled from observed_at, so observations compare with it", async () => {
    const path = sqliteShadowPath(join(root, "v2"));
    writeVersion1File(path, "old");
    const db = new Database(path);
    db.exec("ALTER TABLE shadow ADD COLUMN observed_at TEXT");
    // Observed 5 ms before the (bumped) updatedAt.
    db.prepare("UPDATE shadow SET observed_at = ?, updated_at = ?, updated_at_ms = ?").run(
      "2024-05-01T10:00:00Z",
      "2024-05-01T10:00:00.005Z",
      Date.parse("2024-05-01T10:00:00.005Z"),
    );
    db.pragma("user_version = 2");
    db.close();
    const store = openSqliteShadowStore({ path });
    // Later than observed_at, earlier than updated_at: advances only if observed_at_ms was filled in.
    const at = "2024-05-01T10:00:00.002Z";
    assert.equal(await store.recordObservations([{ key: keyOf("old"), observedAt: at }]), 1);
    assert.equal((await store.getMany([keyOf("old")])).get(findingKeyString(keyOf("old")))?.observedAt, at);
    assert.equal(await store.advanceScope({ accountId: "1", region: "r", scope: "s", lastScanAt: at }), true);
    await store.close();
    assert.equal(columnsOf(path).version, 4);
  });

  it("refuses a file written by a newer schema, naming the file and both versions", () => {
    const path = sqliteShadowPath(join(root, "v5"));
    mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    db.pragma("user_version = 5");
    db.close();
    assert.throws(
      () => openSqliteShadowStore({ path }),
      (error: unknown) =>
        error instanceof ConfigurationError &&
        error.message.includes(path) &&
        /schema version 5/.test(error.message) &&
        /understands 4/.test(error.message),
    );
  });
});
