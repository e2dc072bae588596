/**
 * The SQLite repository's write path: the row ids remembered from a transaction's reads (so that
 * `putFindings` needs no second key lookup) never outlive a deletion or the transaction, an
 * update leaves a finding's resource rows alone when its resources did not change, and the
 * single-value column reader writes exactly what `indexRow` would.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import Database from "better-sqlite3";
import {
  INDEXED_COLUMNS,
  indexRow,
  MULTI_VALUED_COLUMNS,
  scalarIndexValue,
} from "../../../lambdas/adapters/local-hub/repository.ts";
import { SqliteHubRepository } from "../../../lambdas/adapters/local-hub/sqlite-repository.ts";
import type { StoredFinding } from "../../../lambdas/core/hub/contracts.ts";
import { makeFinding } from "./scenarios.ts";

const ACCOUNT = "123456789012";
const REGION = "us-east-1";

function stored(id: string, lastProviderUpdateMs: number, title: string): StoredFinding {
  const finding = makeFinding(ACCOUNT, id, { Title: title });
  return {
    key: { accountId: ACCOUNT, region: REGION, productArn: String(finding.ProductArn), id },
    finding: { ...finding, Region: REGION },
    customerTouched: [],
    lastProviderUpdateMs,
  };
}

describe("SQLite repository write path", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "shadowhub-write-path-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("inserts a finding again when a purge in the same transaction deleted the row it read", () => {
    const repo = new SqliteHubRepository({ file: join(dir, "purge.sqlite") });
    try {
      const old = stored("f-1", 1_000, "old");
      repo.putFindings([old]);
      repo.transaction(() => {
        assert.equal(repo.getFindings([old.key]).size, 1);
        assert.equal(repo.purgeExpired(ACCOUNT, REGION, 1_000), 1);
        repo.putFindings([stored("f-1", 5_000, "new")]);
      });
      assert.equal(repo.countFindings(), 1);
      const [again] = repo.getFindings([old.key]).values();
      assert.equal(again?.finding.Title, "new");
      assert.equal(again?.lastProviderUpdateMs, 5_000);
    } finally {
      repo.close();
    }
  });

  it("writes a key twice in one transaction as one row, and forgets row ids when the transaction ends", () => {
    const repo = new SqliteHubRepository({ file: join(dir, "twice.sqlite") });
    try {
      const first = stored("f-2", 1_000, "first");
      repo.transaction(() => {
        assert.equal(repo.getFindings([first.key]).size, 0);
        repo.putFindings([first]);
        repo.putFindings([stored("f-2", 2_000, "second")]);
      });
      assert.equal(repo.countFindings(), 1);
      // Outside any transaction nothing is remembered: a put after another connection deleted the
      // row must insert it, not update a row that is gone.
      repo.transaction(() => repo.getFindings([first.key]));
      const other = new SqliteHubRepository({ file: join(dir, "twice.sqlite") });
      try {
        assert.equal(other.purgeExpired(ACCOUNT, REGION, 10_000), 1);
      } finally {
        other.close();
      }
      repo.putFindings([stored("f-2", 20_000, "third")]);
      assert.equal(repo.countFindings(), 1);
      assert.equal([...repo.getFindings([first.key]).values()][0]?.finding.Title, "third");
    } finally {
      repo.close();
    }
  });

  it("keeps a finding's resource rows when an update has the same resources (moving only their UpdatedAt) and rewrites them when the resources change", () => {
    const file = join(dir, "resources.sqlite");
    const repo = new SqliteHubRepository({ file });
    const check = new Database(file, { readonly: true });
    const rows = () =>
      check
        .prepare(
          "SELECT rowid AS rid, resource_id, resource_type, updated_at_ms FROM finding_resources ORDER BY rowid",
        )
        .all() as { rid: number; resource_id: string | null; resource_type: string; updated_at_ms: number }[];
    const version = (updatedAt: string, title: string, resources: AwsSecurityFinding["Resources"]) => {
      const s = stored("f-4", Date.parse(updatedAt), title);
      return { ...s, finding: { ...s.finding, UpdatedAt: updatedAt, Resources: resources } };
    };
    const byResource = (id: string) =>
      [
        ...repo.queryFindings({
          accountId: ACCOUNT,
          region: REGION,
          constraints: [{ kind: "string", column: "resource_id", equals: [id], prefixes: [] }],
          expiredAtOrBeforeMs: 0,
          order: { column: "updated_at_ms", descending: true },
        }),
      ].map((f) => f.finding.Title);
    const update = (next: StoredFinding) =>
      repo.transaction(() => {
        repo.getFindings([next.key]);
        repo.putFindings([next]);
      });
    try {
      const two = [
        { Type: "Other", Id: "r-1" },
        { Type: "Container", Id: "r-2" },
      ];
      repo.putFindings([version("2026-01-01T00:00:00.000Z", "first", two)]);
      const first = rows();
      assert.equal(first.length, 2);
      // A re-import with the same resources: same rows, their UpdatedAt moved.
      update(version("2026-01-02T00:00:00.000Z", "second", structuredClone(two)));
      assert.deepEqual(
        rows(),
        first.map((r) => ({ ...r, updated_at_ms: Date.parse("2026-01-02T00:00:00.000Z") })),
      );
      assert.deepEqual(byResource("r-2"), ["second"]);
      // Same resources and UpdatedAt (as BatchUpdateFindings writes): nothing changes.
      const unchanged = rows();
      update(version("2026-01-02T00:00:00.000Z", "third", structuredClone(two)));
      assert.deepEqual(rows(), unchanged);
      // Another Type for the same Id, then a resource fewer: the rows are rewritten.
      update(
        version("2026-01-02T00:00:00.000Z", "fourth", [
          { Type: "Other", Id: "r-1" },
          { Type: "Other", Id: "r-2" },
        ]),
      );
      assert.deepEqual(
        rows().map((r) => [r.resource_id, r.resource_type]),
        [
          ["r-1", "Other"],
          ["r-2", "Other"],
        ],
      );
      update(version("2026-01-03T00:00:00.000Z", "fifth", [{ Type: "Other", Id: "r-1" }]));
      assert.deepEqual(
        rows().map((r) => [r.resource_id, r.updated_at_ms]),
        [["r-1", Date.parse("2026-01-03T00:00:00.000Z")]],
      );
      assert.deepEqual(byResource("r-2"), []);
      assert.deepEqual(byResource("r-1"), ["fifth"]);
      // Written twice in one transaction, and without a read first: the rows follow the last write.
      repo.transaction(() => {
        const key = version("2026-01-04T00:00:00.000Z", "", []).key;
        repo.getFindings([key]);
        repo.putFindings([version("2026-01-04T00:00:00.000Z", "sixth", [{ Type: "Other", Id: "r-3" }])]);
        repo.putFindings([version("2026-01-05T00:00:00.000Z", "seventh", [{ Type: "Other", Id: "r-1" }])]);
      });
      assert.deepEqual(
        rows().map((r) => [r.resource_id, r.updated_at_ms]),
        [["r-1", Date.parse("2026-01-05T00:00:00.000Z")]],
      );
      repo.putFindings([version("2026-01-06T00:00:00.000Z", "eighth", [])]);
      assert.deepEqual(rows(), []);
      assert.deepEqual(byResource("r-1"), []);
    } finally {
      check.close();
      repo.close();
    }
  });

  it("reads each single-valued column as indexRow does, odd shapes included", () => {
    const base = makeFinding(ACCOUNT, "f-3", {});
    const odd: unknown[] = [
      base,
      { ...base, Severity: null, Workflow: ["NEW"], Compliance: { Status: 7 }, Title: 42 },
      { ...base, UpdatedAt: "2026-01-01T10:00:00.123456+02:00", CreatedAt: "not a date" },
      { ...base, Workflow: { Status: null }, RecordState: undefined, GeneratorId: "" },
      Object.assign(Object.create({ Title: "inherited" }) as object, { Id: "x", ProductArn: "p" }),
    ];
    for (const finding of odd as AwsSecurityFinding[]) {
      const row = indexRow(finding);
      for (const column of INDEXED_COLUMNS) {
        if (MULTI_VALUED_COLUMNS.has(column)) continue;
        assert.deepEqual(scalarIndexValue(finding, column), row[column][0] ?? null, column);
      }
    }
  });
});
