import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import type { CliIo } from "../../../lambdas/cli/io.ts";
import { main } from "../../../lambdas/cli/main.ts";

function captureIo(): CliIo & { out: () => string; err: () => string } {
  let out = "";
  let err = "";
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, cb) {
        append(String(chunk));
        cb();
      },
    });
  return {
    stdout: sink((s) => {
      out += s;
    }),
    stderr: sink((s) => {
      err += s;
    }),
    env: {},
    cwd: process.cwd(),
    out: () => out,
    err: () => err,
  };
}

describe("shadowhub CLI", () => {
  it("lists every command with --help and exits 0", async () => {
    const io = captureIo();
    assert.equal(await main(["--help"], io), 0);
    for (const name of ["serve", "validate", "convert", "import"]) {
      assert.match(io.out(), new RegExp(`^  ${name} `, "m"));
    }
  });

  it("rejects an unknown command with exit code 2 and names it", async () => {
    const io = captureIo();
    assert.equal(await main(["frobnicate"], io), 2);
    assert.match(io.err(), /unknown command 'frobnicate'/);
  });
});
