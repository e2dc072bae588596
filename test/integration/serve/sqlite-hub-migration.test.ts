/**
 * The local hub's SQLite file: schema version 6 (the findings' indexes start with a hub number
 * instead of (account, Region); one key index in (hub, Id, product number) order; GeneratorId
 * indexed by its number with UpdatedAt; the resource side table indexed by (number of the
 * resource Id, UpdatedAt)) and the migration of version 1 to 5 files written by earlier releases.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { SqliteHubRepository } from "../../../lambdas/adapters/local-hub/sqlite-repository.ts";
import { findingKeyString, type StoredFinding } from "../../../lambdas/core/hub/contracts.ts";

const KEY = {
  accountId: "123456789012",
  region: "us-east-1",
  productArn: "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default",
  id: "finding-1",
};

/** The layout of schema version 1, frozen here to test the migration. */
const V1_DDL = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE hubs (account_id TEXT NOT NULL, region TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (account_id, region));
CREATE TABLE product_subscriptions (account_id TEXT NOT NULL, region TEXT NOT NULL, product_arn TEXT NOT NULL, subscription_arn TEXT NOT NULL, PRIMARY KEY (account_id, region, product_arn));
CREATE TABLE findings (
  fid INTEGER PRIMARY KEY,
  account_id TEXT NOT NULL, region TEXT NOT NULL, product_arn TEXT NOT NULL, id TEXT NOT NULL,
  generator_id TEXT, aws_account_id TEXT, title TEXT, severity_label TEXT, record_state TEXT,
  workflow_status TEXT, compliance_status TEXT, company_name TEXT, product_name TEXT,
  created_at_ms INTEGER, updated_at_ms INTEGER, last_provider_update_ms INTEGER NOT NULL, doc TEXT NOT NULL
);
CREATE UNIQUE INDEX findings_key ON findings (account_id, region, product_arn, id);
CREATE INDEX findings_id ON findings (account_id, region, id);
CREATE INDEX findings_generator_id ON findings (account_id, region, generator_id);
CREATE TABLE finding_resources (fid INTEGER NOT NULL REFERENCES findings(fid) ON DELETE CASCADE, resource_id TEXT, resource_type TEXT);
INSERT INTO meta (key, value) VALUES ('schema_version', '1');
`;

/** The layout of schema version 2, frozen here to test the migration to version 3. */
const V2_DDL = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE hubs (account_id TEXT NOT NULL, region TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (account_id, region));
CREATE TABLE product_subscriptions (account_id TEXT NOT NULL, region TEXT NOT NULL, product_arn TEXT NOT NULL, subscription_arn TEXT NOT NULL, PRIMARY KEY (account_id, region, product_arn));
CREATE TABLE findings (
  fid INTEGER PRIMARY KEY,
  account_id TEXT NOT NULL, region TEXT NOT NULL, product_arn TEXT NOT NULL, id TEXT NOT NULL,
  generator_id TEXT, aws_account_id TEXT, title TEXT, severity_label TEXT, record_state TEXT,
  workflow_status TEXT, compliance_status TEXT, company_name TEXT, product_name TEXT,
  created_at_ms INTEGER, updated_at_ms INTEGER, last_provider_update_ms INTEGER NOT NULL, doc TEXT NOT NULL
);
CREATE TABLE finding_resources (fid INTEGER NOT NULL REFERENCES findings(fid) ON DELETE CASCADE, resource_id TEXT, resource_type TEXT);
CREATE UNIQUE INDEX findings_key_v2 ON findings (account_id, region, id, product_arn);
CREATE INDEX findings_expiry ON findings (account_id, region, last_provider_update_ms);
CREATE INDEX findings_updated_at_ms ON findings (account_id, region, updated_at_ms);
CREATE INDEX findings_generator_updated ON findings (account_id, region, generator_id, updated_at_ms);
CREATE INDEX finding_resources_fid ON finding_resources (fid);
CREATE INDEX finding_resources_id ON finding_resources (resource_id);
INSERT INTO meta (key, value) VALUES ('schema_version', '2');
`;

/** The side table and its indexes at schema version 3 (the findings table is version 2's). */
const V3_DDL = V2_DDL.replace(
  "CREATE TABLE finding_resources (fid INTEGER NOT NULL REFERENCES findings(fid) ON DELETE CASCADE, resource_id TEXT, resource_type TEXT);",
  "CREATE TABLE finding_resources (fid INTEGER NOT NULL REFERENCES findings(fid) ON DELETE CASCADE, resource_id TEXT, resource_type TEXT, updated_at_ms INTEGER);",
)
  .replace(
    "CREATE INDEX finding_resources_id ON finding_resources (resource_id);",
    "CREATE INDEX finding_resources_id_updated ON finding_resources (resource_id, updated_at_ms);",
  )
  .replace("'schema_version', '2'", "'schema_version', '3'");

/** Schema version 4 (the findings' indexes on (account, Region, ...)), frozen here to test the migration to version 5. */
const V4_DDL = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE hubs (account_id TEXT NOT NULL, region TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (account_id, region));
CREATE TABLE product_subscriptions (account_id TEXT NOT NULL, region TEXT NOT NULL, product_arn TEXT NOT NULL, subscription_arn TEXT NOT NULL, PRIMARY KEY (account_id, region, product_arn));
CREATE TABLE findings (
  fid INTEGER PRIMARY KEY,
  account_id TEXT NOT NULL, region TEXT NOT NULL, product_arn TEXT NOT NULL, id TEXT NOT NULL,
  generator_id TEXT, aws_account_id TEXT, title TEXT, severity_label TEXT, record_state TEXT,
  workflow_status TEXT, compliance_status TEXT, company_name TEXT, product_name TEXT,
  created_at_ms INTEGER, updated_at_ms INTEGER, last_provider_update_ms INTEGER NOT NULL, doc TEXT NOT NULL
);
CREATE TABLE finding_resources (fid INTEGER NOT NULL REFERENCES findings(fid) ON DELETE CASCADE, resource_id TEXT, resource_type TEXT, updated_at_ms INTEGER, resource_hash INTEGER);
CREATE UNIQUE INDEX findings_key_v2 ON findings (account_id, region, id, product_arn);
CREATE INDEX findings_expiry ON findings (account_id, region, last_provider_update_ms);
CREATE INDEX findings_title ON findings (account_id, region, title);
CREATE INDEX findings_created_at_ms ON findings (account_id, region, created_at_ms);
CREATE INDEX findings_updated_at_ms ON findings (account_id, region, updated_at_ms);
CREATE INDEX findings_generator_updated ON findings (account_id, region, generator_id, updated_at_ms);
CREATE INDEX finding_resources_fid ON finding_resources (fid);
CREATE INDEX finding_resources_hash_updated ON finding_resources (resource_hash, updated_at_ms);
CREATE INDEX finding_resources_type ON finding_resources (resource_type);
INSERT INTO meta (key, value) VALUES ('schema_version', '4');
`;

/** Schema version 5 (GeneratorId and the resource Id's hash in the indexes), frozen here to test the migration to version 6. */
const V5_DDL = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE hubs (account_id TEXT NOT NULL, region TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (account_id, region));
CREATE TABLE product_subscriptions (account_id TEXT NOT NULL, region TEXT NOT NULL, product_arn TEXT NOT NULL, subscription_arn TEXT NOT NULL, PRIMARY KEY (account_id, region, product_arn));
CREATE TABLE hub_numbers (hub_no INTEGER PRIMARY KEY, account_id TEXT NOT NULL, region TEXT NOT NULL, UNIQUE (account_id, region));
CREATE TABLE product_numbers (product_no INTEGER PRIMARY KEY, product_arn TEXT NOT NULL UNIQUE);
CREATE TABLE findings (
  fid INTEGER PRIMARY KEY,
  account_id TEXT NOT NULL, region TEXT NOT NULL, product_arn TEXT NOT NULL, id TEXT NOT NULL,
  generator_id TEXT, aws_account_id TEXT, title TEXT, severity_label TEXT, record_state TEXT,
  workflow_status TEXT, compliance_status TEXT, company_name TEXT, product_name TEXT,
  created_at_ms INTEGER, updated_at_ms INTEGER, last_provider_update_ms INTEGER NOT NULL, doc TEXT NOT NULL,
  hub_no INTEGER, product_no INTEGER
);
CREATE TABLE finding_resources (fid INTEGER NOT NULL REFERENCES findings(fid) ON DELETE CASCADE, resource_id TEXT, resource_type TEXT, updated_at_ms INTEGER, resource_hash INTEGER);
CREATE UNIQUE INDEX findings_key_v5 ON findings (hub_no, id, product_no);
CREATE INDEX findings_expiry_v5 ON findings (hub_no, last_provider_update_ms);
CREATE INDEX findings_title_v5 ON findings (hub_no, title);
CREATE INDEX findings_created_at_ms_v5 ON findings (hub_no, created_at_ms);
CREATE INDEX findings_updated_at_ms_v5 ON findings (hub_no, updated_at_ms);
CREATE INDEX findings_generator_v5 ON findings (hub_no, generator_id, updated_at_ms);
CREATE INDEX finding_resources_fid ON finding_resources (fid);
CREATE INDEX finding_resources_hash_updated ON finding_resources (resource_hash, updated_at_ms);
CREATE INDEX finding_resources_type ON finding_resources (resource_type);
INSERT INTO meta (key, value) VALUES ('schema_version', '5');
`;

/** The indexes of the findings table at the current version (the text key columns are no longer indexed). */
const V5_INDEXES = [
  "findings_key_v5",
  "findings_expiry_v5",
  "findings_title_v5",
  "findings_created_at_ms_v5",
  "findings_updated_at_ms_v5",
  "findings_generator_no",
];
const RETIRED_INDEXES = [
  "findings_key",
  "findings_id",
  "findings_generator_id",
  "findings_key_v2",
  "findings_expiry",
  "findings_title",
  "findings_created_at_ms",
  "findings_updated_at_ms",
  "findings_generator_updated",
  "findings_generator_v5",
];

function schemaVersion(file: string): unknown {
  const check = new Database(file, { readonly: true });
  try {
    return check.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get();
  } finally {
    check.close();
  }
}

function stored(title: string): StoredFinding {
  return {
    key: KEY,
    finding: {
      SchemaVersion: "2018-10-08",
      GeneratorId: "rule-1",
      CreatedAt: "2026-01-01T00:00:00.000Z",
      Description: "d",
      Id: KEY.id,
      ProductArn: KEY.productArn,
      AwsAccountId: KEY.accountId,
      Title: title,
      UpdatedAt: "2026-01-01T00:00:00.000Z",
      Resources: [{ Type: "Other", Id: "r-1" }],
    },
    customerTouched: [],
    lastProviderUpdateMs: Date.UTC(2026, 0, 1),
  };
}

function indexNames(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'findings'").all() as {
        name: string;
      }[]
    ).map((r) => r.name);
  } finally {
    db.close();
  }
}

describe("SQLite hub schema", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "shadowhub-hub-schema-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("creates new files with 32 KB pages, indexes that start with the hub number, a single key index (hub, Id, product number), and GeneratorId's number indexed with UpdatedAt", () => {
    const file = join(dir, "new.sqlite");
    new SqliteHubRepository({ file }).close();
    const db = new Database(file, { readonly: true });
    try {
      assert.equal(db.pragma("page_size", { simple: true }), 32768);
    } finally {
      db.close();
    }
    const names = indexNames(file);
    assert.deepEqual(names.filter((n) => V5_INDEXES.includes(n)).sort(), [...V5_INDEXES].sort());
    assert.ok(!names.some((n) => RETIRED_INDEXES.includes(n)));
    assert.deepEqual(schemaVersion(file), { value: "6" });
  });

  it("migrates a version 1 file: keeps its findings, replaces the two key indexes, updates in place", () => {
    const file = join(dir, "v1.sqlite");
    const db = new Database(file);
    db.exec(V1_DDL);
    db.prepare(
      "INSERT INTO findings (account_id, region, product_arn, id, title, last_provider_update_ms, doc) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ).run(
      KEY.accountId,
      KEY.region,
      KEY.productArn,
      KEY.id,
      "old",
      Date.UTC(2026, 0, 1),
      JSON.stringify(stored("old")),
    );
    db.close();

    const repo = new SqliteHubRepository({ file });
    try {
      assert.equal(repo.getFindings([KEY]).values().next().value?.finding.Title, "old");
      repo.transaction(() => repo.putFindings([stored("new")]));
      assert.equal(repo.countFindings(), 1);
      assert.equal(repo.getFindings([KEY]).values().next().value?.finding.Title, "new");
    } finally {
      repo.close();
    }
    const names = indexNames(file);
    assert.ok(V5_INDEXES.every((n) => names.includes(n)));
    assert.ok(!names.some((n) => RETIRED_INDEXES.includes(n)));
    assert.deepEqual(schemaVersion(file), { value: "6" });
  });

  it("migrates a version 2 file: the resource side table gets its findings' UpdatedAt and the (resource Id, UpdatedAt) index", () => {
    const file = join(dir, "v2.sqlite");
    const db = new Database(file);
    db.exec(V2_DDL);
    const updatedAtMs = Date.UTC(2026, 0, 1);
    const { lastInsertRowid } = db
      .prepare(
        "INSERT INTO findings (account_id, region, product_arn, id, updated_at_ms, last_provider_update_ms, doc) VALUES (?, ?, ?, ?, ?, ?, ?)",
      )
      .run(
        KEY.accountId,
        KEY.region,
        KEY.productArn,
        KEY.id,
        updatedAtMs,
        updatedAtMs,
        JSON.stringify(stored("old")),
      );
    db.prepare(
      "INSERT INTO finding_resources (fid, resource_id, resource_type) VALUES (?, 'r-1', 'Other')",
    ).run(lastInsertRowid);
    db.close();

    const repo = new SqliteHubRepository({ file });
    try {
      const byResource = [
        ...repo.queryFindings({
          accountId: KEY.accountId,
          region: KEY.region,
          constraints: [{ kind: "string", column: "resource_id", equals: ["r-1"], prefixes: [] }],
          expiredAtOrBeforeMs: 0,
          order: { column: "updated_at_ms", descending: true },
        }),
      ];
      assert.deepEqual(
        byResource.map((s) => s.finding.Title),
        ["old"],
      );
    } finally {
      repo.close();
    }
    const check = new Database(file, { readonly: true });
    try {
      assert.deepEqual(check.prepare("SELECT updated_at_ms FROM finding_resources").all(), [
        { updated_at_ms: updatedAtMs },
      ]);
      const names = (
        check
          .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'finding_resources'")
          .all() as {
          name: string;
        }[]
      ).map((r) => r.name);
      assert.ok(names.includes("finding_resources_no_updated"));
      assert.ok(
        !names.includes("finding_resources_id") &&
          !names.includes("finding_resources_id_updated") &&
          !names.includes("finding_resources_hash_updated"),
      );
      assert.deepEqual(check.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get(), {
        value: "6",
      });
    } finally {
      check.close();
    }
  });

  it("migrates a version 3 file: each resource row gets the number of its Id, read through the new index", () => {
    const file = join(dir, "v3.sqlite");
    const db = new Database(file);
    db.exec(V3_DDL);
    const updatedAtMs = Date.UTC(2026, 0, 1);
    const insertFinding = db.prepare(
      "INSERT INTO findings (account_id, region, product_arn, id, updated_at_ms, last_provider_update_ms, doc) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    const insertResource = db.prepare(
      "INSERT INTO finding_resources (fid, resource_id, resource_type, updated_at_ms) VALUES (?, ?, 'Other', ?)",
    );
    const first = insertFinding.run(
      KEY.accountId,
      KEY.region,
      KEY.productArn,
      KEY.id,
      updatedAtMs,
      updatedAtMs,
      JSON.stringify(stored("old")),
    ).lastInsertRowid;
    insertResource.run(first, "r-1", updatedAtMs);
    const second = insertFinding.run(
      KEY.accountId,
      KEY.region,
      KEY.productArn,
      "finding-2",
      updatedAtMs + 1,
      updatedAtMs,
      JSON.stringify({ ...stored("other"), key: { ...KEY, id: "finding-2" } }),
    ).lastInsertRowid;
    insertResource.run(second, "r-2", updatedAtMs + 1);
    insertResource.run(second, null, updatedAtMs + 1);
    db.close();

    const repo = new SqliteHubRepository({ file });
    try {
      const byResource = (id: string, order?: { column: "updated_at_ms"; descending: boolean }) =>
        [
          ...repo.queryFindings({
            accountId: KEY.accountId,
            region: KEY.region,
            constraints: [{ kind: "string", column: "resource_id", equals: [id], prefixes: [] }],
            expiredAtOrBeforeMs: 0,
            ...(order === undefined ? {} : { order }),
          }),
        ].map((s) => s.finding.Title);
      assert.deepEqual(byResource("r-1", { column: "updated_at_ms", descending: true }), ["old"]);
      assert.deepEqual(byResource("r-2"), ["other"]);
      assert.deepEqual(byResource("r-3"), []);
    } finally {
      repo.close();
    }
    const check = new Database(file, { readonly: true });
    try {
      assert.deepEqual(
        check
          .prepare(
            "SELECT r.resource_id, n.resource_id AS numbered FROM finding_resources r LEFT JOIN resource_numbers n ON n.resource_no = r.resource_no ORDER BY r.rowid",
          )
          .all(),
        [
          { resource_id: "r-1", numbered: "r-1" },
          { resource_id: "r-2", numbered: "r-2" },
          { resource_id: null, numbered: null },
        ],
      );
      const names = (
        check
          .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'finding_resources'")
          .all() as { name: string }[]
      ).map((r) => r.name);
      assert.ok(
        names.includes("finding_resources_no_updated") && !names.includes("finding_resources_id_updated"),
      );
      assert.deepEqual(check.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get(), {
        value: "6",
      });
    } finally {
      check.close();
    }
  });

  it("migrates a version 4 file: findings get hub and product numbers, are read and updated through the new indexes, hubs stay apart", () => {
    const file = join(dir, "v4.sqlite");
    const db = new Database(file);
    db.exec(V4_DDL);
    const other = { ...KEY, accountId: "210987654321", region: "eu-west-1" };
    const otherProduct = "arn:aws:securityhub:us-east-1::product/aws/guardduty";
    const updatedAtMs = Date.UTC(2026, 0, 1);
    const insert = db.prepare(
      "INSERT INTO findings (account_id, region, product_arn, id, generator_id, title, updated_at_ms, last_provider_update_ms, doc) VALUES (?, ?, ?, ?, 'rule-1', ?, ?, ?, ?)",
    );
    const rows: [typeof KEY, string][] = [
      [KEY, "mine"],
      [{ ...KEY, productArn: otherProduct }, "same Id, other product"],
      [other, "other hub"],
    ];
    for (const [key, title] of rows) {
      const finding = { ...stored(title), key };
      insert.run(
        key.accountId,
        key.region,
        key.productArn,
        key.id,
        title,
        updatedAtMs,
        updatedAtMs,
        JSON.stringify(finding),
      );
    }
    db.close();

    const repo = new SqliteHubRepository({ file });
    try {
      const title = (key: typeof KEY) => repo.getFindings([key]).get(findingKeyString(key))?.finding.Title;
      assert.equal(title(KEY), "mine");
      assert.equal(title({ ...KEY, productArn: otherProduct }), "same Id, other product");
      assert.equal(title(other), "other hub");
      assert.equal(title({ ...other, region: "us-east-1" }), undefined);
      const byRule = (key: typeof KEY) =>
        [
          ...repo.queryFindings({
            accountId: key.accountId,
            region: key.region,
            constraints: [{ kind: "string", column: "generator_id", equals: ["rule-1"], prefixes: [] }],
            expiredAtOrBeforeMs: 0,
            order: { column: "updated_at_ms", descending: true },
          }),
        ]
          .map((s) => s.finding.Title)
          .sort();
      assert.deepEqual(byRule(KEY), ["mine", "same Id, other product"]);
      assert.deepEqual(byRule(other), ["other hub"]);
      // An update finds the migrated row (no second row), and a new hub gets its own number.
      repo.transaction(() => {
        repo.getFindings([KEY]);
        repo.putFindings([{ ...stored("updated"), key: KEY }]);
      });
      const third = { ...KEY, accountId: "333333333333" };
      repo.putFindings([{ ...stored("third hub"), key: third }]);
      assert.equal(repo.countFindings(), 4);
      assert.equal(title(KEY), "updated");
      assert.equal(title(third), "third hub");
      assert.deepEqual(byRule(other), ["other hub"]);
      assert.equal(repo.purgeExpired(other.accountId, other.region, updatedAtMs), 1);
      assert.equal(repo.countFindings(), 3);
    } finally {
      repo.close();
    }
    const names = indexNames(file);
    assert.ok(V5_INDEXES.every((n) => names.includes(n)));
    assert.ok(!names.some((n) => RETIRED_INDEXES.includes(n)));
    assert.deepEqual(schemaVersion(file), { value: "6" });
    const check = new Database(file, { readonly: true });
    try {
      assert.equal((check.prepare("SELECT count(*) AS n FROM hub_numbers").get() as { n: number }).n, 3);
      assert.equal(
        (
          check
            .prepare("SELECT count(*) AS n FROM findings WHERE hub_no IS NULL OR product_no IS NULL")
            .get() as {
            n: number;
          }
        ).n,
        0,
      );
    } finally {
      check.close();
    }
  });

  it("migrates a version 5 file: findings get GeneratorId numbers and resource rows resource numbers, read by EQUALS and PREFIX through the new indexes, updated in place", () => {
    const file = join(dir, "v5.sqlite");
    const db = new Database(file);
    db.exec(V5_DDL);
    db.exec("INSERT INTO hub_numbers (account_id, region) VALUES ('123456789012', 'us-east-1')");
    db.prepare("INSERT INTO product_numbers (product_arn) VALUES (?)").run(KEY.productArn);
    const updatedAtMs = Date.UTC(2026, 0, 1);
    const insertFinding = db.prepare(
      "INSERT INTO findings (hub_no, product_no, account_id, region, product_arn, id, generator_id, title, updated_at_ms, last_provider_update_ms, doc) VALUES (1, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    );
    const insertResource = db.prepare(
      "INSERT INTO finding_resources (fid, resource_id, resource_type, updated_at_ms, resource_hash) VALUES (?, ?, 'Other', ?, 12345)",
    );
    const rows: [string, string, string | null, string][] = [
      ["finding-1", "rule-a", "r-1", "one"],
      ["finding-2", "rule-b", "r-2", "two"],
      ["finding-3", "rule-a", "r-2", "three"],
      ["finding-4", "other", null, "four"],
    ];
    rows.forEach(([id, rule, resource, title], i) => {
      const key = { ...KEY, id };
      const finding = stored(title);
      const doc = {
        ...finding,
        key,
        finding: {
          ...finding.finding,
          Id: id,
          GeneratorId: rule,
          Resources: resource === null ? [] : [{ Type: "Other", Id: resource }],
        },
      };
      const fid = insertFinding.run(
        KEY.accountId,
        KEY.region,
        KEY.productArn,
        id,
        rule,
        title,
        updatedAtMs + i,
        updatedAtMs,
        JSON.stringify(doc),
      ).lastInsertRowid;
      if (resource !== null) insertResource.run(fid, resource, updatedAtMs + i);
    });
    db.close();

    const repo = new SqliteHubRepository({ file });
    try {
      const titles = (
        column: "generator_id" | "resource_id",
        equals: string[],
        prefixes: string[] = [],
        order = true,
      ) =>
        [
          ...repo.queryFindings({
            accountId: KEY.accountId,
            region: KEY.region,
            constraints: [{ kind: "string", column, equals, prefixes }],
            expiredAtOrBeforeMs: 0,
            ...(order ? { order: { column: "updated_at_ms" as const, descending: true } } : {}),
          }),
        ].map((s) => s.finding.Title);
      // Walks (one value, in UpdatedAt order) and reads through the index (several values, unordered).
      assert.deepEqual(titles("generator_id", ["rule-a"]), ["three", "one"]);
      assert.deepEqual(titles("generator_id", ["rule-a", "rule-b"], [], false).sort(), [
        "one",
        "three",
        "two",
      ]);
      assert.deepEqual(titles("generator_id", [], ["rule-"], false).sort(), ["one", "three", "two"]);
      assert.deepEqual(titles("generator_id", ["rule-c"]), []);
      assert.deepEqual(titles("resource_id", ["r-2"]), ["three", "two"]);
      assert.deepEqual(titles("resource_id", [], ["r-"], false).sort(), ["one", "three", "two"]);
      assert.deepEqual(titles("resource_id", ["r-9"]), []);
      // An update keeps the row and moves it to its new GeneratorId and resource.
      const key = { ...KEY, id: "finding-1" };
      const updated = stored("one, moved");
      repo.transaction(() => {
        repo.getFindings([key]);
        repo.putFindings([
          {
            ...updated,
            key,
            finding: {
              ...updated.finding,
              Id: key.id,
              GeneratorId: "rule-b",
              Resources: [{ Type: "Other", Id: "r-3" }],
            },
          },
        ]);
      });
      assert.equal(repo.countFindings(), 4);
      assert.deepEqual(titles("generator_id", ["rule-a"]), ["three"]);
      assert.deepEqual(titles("generator_id", ["rule-b"], [], false).sort(), ["one, moved", "two"]);
      assert.deepEqual(titles("resource_id", ["r-1"]), []);
      assert.deepEqual(titles("resource_id", ["r-3"]), ["one, moved"]);
    } finally {
      repo.close();
    }
    const names = indexNames(file);
    assert.ok(V5_INDEXES.every((n) => names.includes(n)));
    assert.ok(!names.some((n) => RETIRED_INDEXES.includes(n)));
    assert.deepEqual(schemaVersion(file), { value: "6" });
    const check = new Database(file, { readonly: true });
    try {
      assert.deepEqual(
        check.prepare("SELECT generator_id FROM generator_numbers ORDER BY generator_no").pluck().all(),
        ["other", "rule-a", "rule-b"],
      );
      assert.equal(
        check
          .prepare(
            "SELECT count(*) FROM findings f JOIN generator_numbers g ON g.generator_no = f.generator_no WHERE g.generator_id = f.generator_id",
          )
          .pluck()
          .get(),
        4,
      );
      assert.deepEqual(
        check.prepare("SELECT resource_id FROM resource_numbers ORDER BY resource_no").pluck().all(),
        ["r-1", "r-2", "r-3"],
      );
      const plan = (sql: string) =>
        (check.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[])
          .map((r) => r.detail)
          .join("; ");
      assert.match(
        plan("SELECT doc FROM findings WHERE hub_no = 1 AND generator_no = 2 ORDER BY updated_at_ms DESC"),
        /USING INDEX findings_generator_no \(hub_no=\? AND generator_no=\?\)/,
      );
      assert.match(
        plan(
          "SELECT fid, resource_id FROM finding_resources WHERE resource_no = 2 ORDER BY updated_at_ms DESC",
        ),
        /USING INDEX finding_resources_no_updated \(resource_no=\?\)/,
      );
    } finally {
      check.close();
    }
  });

  it("forgets GeneratorId and resource numbers assigned in a transaction that rolled back", () => {
    const file = join(dir, "rollback-numbers.sqlite");
    const repo = new SqliteHubRepository({ file });
    const numbered = (id: string, rule: string, resource: string): StoredFinding => {
      const s = stored(id);
      return {
        ...s,
        key: { ...KEY, id },
        finding: { ...s.finding, Id: id, GeneratorId: rule, Resources: [{ Type: "Other", Id: resource }] },
      };
    };
    try {
      // The first finding makes the hub and product numbers outlive the rollback below.
      repo.putFindings([numbered("kept", "rule-kept", "r-kept")]);
      assert.throws(() =>
        repo.transaction(() => {
          repo.putFindings([numbered("rolled back", "rule-gone", "r-gone")]);
          throw new Error("abort");
        }),
      );
      // Another GeneratorId and resource take the numbers the rolled-back ones had.
      repo.putFindings([numbered("second", "rule-second", "r-second")]);
      const titles = (column: "generator_id" | "resource_id", value: string) =>
        [
          ...repo.queryFindings({
            accountId: KEY.accountId,
            region: KEY.region,
            constraints: [{ kind: "string", column, equals: [value], prefixes: [] }],
            expiredAtOrBeforeMs: 0,
            order: { column: "updated_at_ms", descending: true },
          }),
        ].map((s) => s.finding.Title);
      assert.deepEqual(titles("generator_id", "rule-gone"), []);
      assert.deepEqual(titles("resource_id", "r-gone"), []);
      assert.deepEqual(titles("generator_id", "rule-second"), ["second"]);
      assert.deepEqual(titles("resource_id", "r-second"), ["second"]);
      repo.putFindings([numbered("gone, again", "rule-gone", "r-gone")]);
      assert.deepEqual(titles("generator_id", "rule-gone"), ["gone, again"]);
      assert.deepEqual(titles("generator_id", "rule-second"), ["second"]);
      assert.deepEqual(titles("resource_id", "r-gone"), ["gone, again"]);
    } finally {
      repo.close();
    }
  });

  it("forgets a hub number assigned in a transaction that rolled back", () => {
    const file = join(dir, "rollback.sqlite");
    const repo = new SqliteHubRepository({ file });
    const fresh = { ...KEY, accountId: "444444444444" };
    try {
      assert.throws(() =>
        repo.transaction(() => {
          repo.putFindings([{ ...stored("rolled back"), key: fresh }]);
          throw new Error("abort");
        }),
      );
      // A second hub takes the number the rolled-back one had; the first must not share it.
      const second = { ...KEY, accountId: "555555555555" };
      repo.putFindings([{ ...stored("second"), key: second }]);
      repo.putFindings([{ ...stored("fresh"), key: fresh }]);
      const titles = (key: typeof KEY) =>
        [
          ...repo.queryFindings({
            accountId: key.accountId,
            region: key.region,
            constraints: [],
            expiredAtOrBeforeMs: 0,
          }),
        ].map((s) => s.finding.Title);
      assert.deepEqual(titles(second), ["second"]);
      assert.deepEqual(titles(fresh), ["fresh"]);
    } finally {
      repo.close();
    }
  });

  it("refuses a file written by a newer schema version, naming the file and the versions", () => {
    const file = join(dir, "v7.sqlite");
    const db = new Database(file);
    db.exec(
      "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('schema_version', '7');",
    );
    db.close();
    assert.throws(
      () => new SqliteHubRepository({ file }),
      (error: Error) =>
        error.message.includes(file) &&
        /schema version 7/.test(error.message) &&
        /expected 6/.test(error.message),
    );
  });
});
