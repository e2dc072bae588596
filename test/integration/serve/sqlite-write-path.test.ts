/**
 * The SQLite repository's write path: the row ids remembered from a transaction's reads (so that
 * `putFindings` needs no second key lookup) never outlive a deletion or the transaction, and the
 * single-value column reader writes exactly what `indexRow` would.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
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
