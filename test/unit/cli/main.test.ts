import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { main } from "../../../lambdas/cli/main.ts";
import { captureIo } from "../../helpers/capture-io.ts";

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
