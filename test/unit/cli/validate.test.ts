import assert from "node:assert/strict";
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { main } from "../../../lambdas/cli/main.ts";
import { DEFAULT_MAX_REPORT_BYTES } from "../../../lambdas/core/parsers/safe-json.ts";
import { captureIo } from "../../helpers/capture-io.ts";
import { finding, P } from "../asff/finding-factory.ts";

describe("shadowhub validate", () => {
  let dir = "";
  const write = (name: string, content: unknown): string => {
    writeFileSync(join(dir, name), typeof content === "string" ? content : JSON.stringify(content));
    return name;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "shadowhub-validate-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("exits 0 and prints a one-line summary when every finding is valid", async () => {
    const single = write("one.json", finding());
    const array = write("array.json", [finding({ Id: "a" }), finding({ Id: "b" })]);
    const body = write("body.json", { Findings: [finding({ Id: "c" })] });
    const io = captureIo({ cwd: dir });
    assert.equal(await main(["validate", single, array, body], io), 0);
    assert.equal(io.out(), "4 findings in 3 files: 4 valid, 0 invalid\n");
    assert.equal(io.err(), "");
  });

  it("exits 1 and prints each error with the file, the finding Id and the message", async () => {
    const file = write("bad.json", {
      Findings: [finding({ Id: "ok" }), finding({ Id: "long-title", Title: "x".repeat(257) })],
    });
    const io = captureIo({ cwd: dir });
    assert.equal(await main(["validate", file], io), 1);
    assert.equal(
      io.out(),
      `bad.json: finding "long-title" (#1): ${P}data.Title should NOT be longer than 256 characters.\n` +
        "2 findings in 1 file: 1 valid, 1 invalid\n",
    );
  });

  it("names a finding without a usable Id by its index", async () => {
    const file = write("noid.json", [finding({}, ["Id"])]);
    const io = captureIo({ cwd: dir });
    assert.equal(await main(["validate", file], io), 1);
    assert.match(io.out(), /^noid\.json: finding #0: .*data should have required property 'Id'\.$/m);
  });

  it("reports a finding over 240 KB", async () => {
    const file = write("big.json", [
      finding({
        ProductFields: Object.fromEntries([["pad", "x".repeat(2000)]]),
        Resources: Array.from({ length: 32 }, (_, i) => ({
          Type: "Other",
          Id: `r${i}`,
          Details: {
            Other: Object.fromEntries(Array.from({ length: 50 }, (_, k) => [`k${k}`, "y".repeat(1000)])),
          },
        })),
      }),
    ]);
    const io = captureIo({ cwd: dir });
    assert.equal(await main(["validate", file], io), 1);
    assert.match(
      io.out(),
      /Finding size exceeded 240 KB: the finding is \d+ bytes of UTF-8 JSON, the limit is 245760 bytes\./,
    );
  });

  it("exits 2 for malformed JSON, naming the file and the JSON error, and still checks the other files", async () => {
    const broken = write("broken.json", "{ not json");
    const good = write("good.json", finding());
    const io = captureIo({ cwd: dir });
    assert.equal(await main(["validate", broken, good], io), 2);
    assert.match(io.err(), /^broken\.json: not valid JSON: .+/m);
    assert.equal(io.out(), "1 finding in 2 files: 1 valid, 0 invalid; 1 file unreadable or malformed\n");
  });

  it("exits 2 for a file over the report size limit, naming it, without reading it, and checks the others", async () => {
    const huge = write("huge.json", "");
    // Sparse: the size is there for stat, the bytes are not on disk (nor, if read, in memory).
    truncateSync(join(dir, huge), DEFAULT_MAX_REPORT_BYTES + 1);
    const atLimit = write("at-limit.json", finding());
    const io = captureIo({ cwd: dir });
    assert.equal(await main(["validate", huge, atLimit], io), 2);
    assert.equal(
      io.err(),
      `huge.json: the file is ${DEFAULT_MAX_REPORT_BYTES + 1} bytes, more than the ${DEFAULT_MAX_REPORT_BYTES}-byte limit (as for convert and import); split it\n`,
    );
    assert.equal(io.out(), "1 finding in 2 files: 1 valid, 0 invalid; 1 file unreadable or malformed\n");
  });

  it("exits 2 for a file that cannot be read", async () => {
    const io = captureIo({ cwd: dir });
    assert.equal(await main(["validate", "missing.json"], io), 2);
    assert.match(io.err(), /^missing\.json: cannot read the file: .*ENOENT/m);
  });

  it("exits 2 when the JSON is neither a finding, an array nor a Findings body", async () => {
    const scalar = write("scalar.json", "42");
    const wrong = write("wrong.json", { Findings: { Id: "x" } });
    const io = captureIo({ cwd: dir });
    assert.equal(await main(["validate", scalar, wrong], io), 2);
    assert.match(
      io.err(),
      /^scalar\.json: expected a finding \(object\), an array of findings or \{"Findings": \[\.\.\.\]\}, found a number$/m,
    );
    assert.match(io.err(), /^wrong\.json: "Findings" should be an array of findings, found an object$/m);
  });

  it("exits 1 (invalid beats valid) and 2 (malformed beats invalid) across files", async () => {
    const bad = write("bad2.json", finding({ Confidence: 101 }));
    const broken = write("broken2.json", "[");
    const io = captureIo({ cwd: dir });
    assert.equal(await main(["validate", bad, broken], io), 2);
    assert.match(io.out(), /data\.Confidence should be <= 100\./);
  });

  it("flags attributes ASFF does not define only with --strict", async () => {
    const file = write("typo.json", finding({ Titel: "x" }));
    const lenient = captureIo({ cwd: dir });
    assert.equal(await main(["validate", file], lenient), 0);
    const strict = captureIo({ cwd: dir });
    assert.equal(await main(["validate", "--strict", file], strict), 1);
    assert.match(strict.out(), /data should NOT have additional properties \('Titel'\)\./);
  });

  it("exits 2 with usage when no file or an unknown option is given", async () => {
    const none = captureIo({ cwd: dir });
    assert.equal(await main(["validate"], none), 2);
    assert.match(none.err(), /no FILE given/);
    const unknown = captureIo({ cwd: dir });
    assert.equal(await main(["validate", "--frobnicate", "x.json"], unknown), 2);
    assert.match(unknown.err(), /unknown option '--frobnicate'/);
  });

  it("prints its usage with --help", async () => {
    const io = captureIo({ cwd: dir });
    assert.equal(await main(["validate", "--help"], io), 0);
    assert.match(io.out(), /^Usage: shadowhub validate \[--strict\] FILE\.\.\./);
  });
});
