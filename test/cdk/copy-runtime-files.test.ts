/**
 * The bundling hook that puts the validator's lazy chunks beside each handler: it runs a Node
 * script (no `cp`/`mkdir`, which Windows shells lack), and the script copies the whole tree.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  COPY_DIR_SCRIPT,
  copyRuntimeFilesCommands,
  HOUSE_RUNTIME_FILES,
  PROJECT_ROOT,
} from "../../lib/house-function.ts";

describe("copyRuntimeFilesCommands", () => {
  const dir = mkdtempSync(join(tmpdir(), "shadowhub-copy-dir-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("runs only node with the copy script, one command per runtime file tree", () => {
    const commands = copyRuntimeFilesCommands("/in", "/out");
    assert.equal(commands.length, HOUSE_RUNTIME_FILES.length);
    for (const [i, command] of commands.entries()) {
      const { from, to } = HOUSE_RUNTIME_FILES[i] as (typeof HOUSE_RUNTIME_FILES)[number];
      assert.equal(command, `node "${COPY_DIR_SCRIPT}" "${join("/in", from)}" "${join("/out", to)}"`);
      assert.doesNotMatch(command, /(^|\s)(cp|mkdir)\s/);
    }
  });

  it("copies every lazy validator chunk into a bundle directory that does not exist yet", () => {
    const out = join(dir, "bundle");
    for (const command of copyRuntimeFilesCommands(PROJECT_ROOT, out)) {
      // The hook's command line, run without a shell's help: node, script, from, to.
      const args = [...command.matchAll(/"([^"]+)"/g)].map((m) => m[1] as string);
      execFileSync(process.execPath, args);
    }
    for (const { from, to } of HOUSE_RUNTIME_FILES) {
      const source = readdirSync(join(PROJECT_ROOT, from)).sort();
      assert.ok(source.length > 0, `${from} is empty`);
      assert.deepEqual(readdirSync(join(out, to)).sort(), source);
      const first = source[0] as string;
      assert.equal(
        readFileSync(join(out, to, first), "utf8"),
        readFileSync(join(PROJECT_ROOT, from, first), "utf8"),
      );
    }
  });

  it("copies nested directories and fails, naming it, for a missing source", () => {
    const src = join(dir, "src");
    mkdirSync(join(src, "a", "b"), { recursive: true });
    writeFileSync(join(src, "a", "b", "c.txt"), "nested");
    execFileSync(process.execPath, [COPY_DIR_SCRIPT, src, join(dir, "dst")]);
    assert.equal(readFileSync(join(dir, "dst", "a", "b", "c.txt"), "utf8"), "nested");
    const missing = spawnSync(process.execPath, [COPY_DIR_SCRIPT, join(dir, "nope"), join(dir, "x")], {
      encoding: "utf8",
    });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /nope is not a directory/);
  });
});
