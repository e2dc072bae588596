/**
 * The SQLite repository's WAL checkpoints from a worker thread (`wal-checkpointer.ts`): the
 * database file receives the committed pages while the main connection keeps writing, nothing
 * is lost, and closing (even before the worker started) leaves no WAL behind.
 */
import assert from "node:assert/strict";
import { closeSync, existsSync, openSync, readSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { SqliteHubRepository } from "../../../lambdas/adapters/local-hub/sqlite-repository.ts";
import { findingKeyString, type StoredFinding } from "../../../lambdas/core/hub/contracts.ts";
import { makeFinding } from "./scenarios.ts";

const ACCOUNT = "123456789012";
const REGION = "us-east-1";

function stored(id: string): StoredFinding {
  const finding = makeFinding(ACCOUNT, id, { Description: `${id} `.repeat(200) });
  return {
    key: { accountId: ACCOUNT, region: REGION, productArn: String(finding.ProductArn), id },
    finding: { ...finding, Region: REGION },
    customerTouched: [],
    lastProviderUpdateMs: 1_000,
  };
}

/**
 * How often the WAL was restarted from its beginning: the checkpoint sequence number of the WAL
 * header (bytes 12–15, big-endian; SQLite's file format), which every restart increments.
 */
function walRestarts(file: string): number {
  const header = Buffer.alloc(16);
  const fd = openSync(`${file}-wal`, "r");
  try {
    return readSync(fd, header, 0, 16, 0) === 16 ? header.readUInt32BE(12) : 0;
  } finally {
    closeSync(fd);
  }
}

describe("SQLite WAL checkpoints from a worker thread", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "shadowhub-wal-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("restarts the WAL again and again while the connection keeps writing, and loses nothing", async () => {
    const file = join(dir, "busy.sqlite");
    // 256 KiB between checkpoints. The connection's own automatic checkpoint (the backstop) stays
    // at 3 × 1,000 pages of 32 KiB, which this test never reaches: only the worker restarts the WAL.
    const repo = new SqliteHubRepository({ file, walCheckpointBytes: 256 * 1024 });
    let calls = 0;
    let n = 0;
    try {
      // Calls of 10 findings (~3 WAL frames each), yielding between calls as the server does.
      // Without the worker the WAL restarted ~10 times in 600 such calls (the backstop).
      while (walRestarts(file) < 60) {
        assert.ok(calls < 600, `the WAL restarted ${walRestarts(file)} times in ${calls} calls`);
        repo.putFindings(Array.from({ length: 10 }, () => stored(`f-${n++}`)));
        calls++;
        await sleep(1);
      }
    } finally {
      repo.close();
    }
    // The last connection's close checkpoints everything and removes the WAL.
    assert.equal(existsSync(`${file}-wal`), false);
    const again = new SqliteHubRepository({ file, checkpointWorker: false });
    try {
      assert.equal(again.countFindings(), n);
      const last = stored(`f-${n - 1}`);
      assert.equal(again.getFindings([last.key]).get(findingKeyString(last.key))?.finding.Id, last.key.id);
    } finally {
      again.close();
    }
  });

  it("closes at once right after opening, before the worker started, and leaves no WAL behind", () => {
    const file = join(dir, "short.sqlite");
    for (let i = 0; i < 5; i++) {
      const repo = new SqliteHubRepository({ file });
      repo.putFindings([stored(`g-${i}`)]);
      repo.close();
      assert.equal(existsSync(`${file}-wal`), false);
    }
    const again = new SqliteHubRepository({ file });
    try {
      assert.equal(again.countFindings(), 5);
    } finally {
      again.close();
    }
  });

  it("checkpoints inside its own commits when the worker is turned off", () => {
    const file = join(dir, "no-worker.sqlite");
    const repo = new SqliteHubRepository({ file, checkpointWorker: false });
    try {
      for (let i = 0; i < 50; i++)
        repo.putFindings(Array.from({ length: 10 }, (_, j) => stored(`h-${i}-${j}`)));
      assert.equal(repo.countFindings(), 500);
    } finally {
      repo.close();
    }
    assert.equal(existsSync(`${file}-wal`), false);
  });
});
