/**
 * Hostile files through the CLI entry point, in process (`main(args, io)`): `convert`, `import`
 * (local hub + SQLite shadow in a temp state dir) and `validate`. Every bad file is named on
 * stderr with its rule, the good files of the same run are not lost, and no prototype is touched.
 * The 100 MB report runs in a child process so its peak RSS can be bounded.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { openLocalHub } from "../../lambdas/adapters/local-hub/local-hub.ts";
import { main } from "../../lambdas/cli/main.ts";
import { captureIo } from "../helpers/capture-io.ts";
import {
  ACCOUNT,
  asffFinding,
  assertPrototypesUntouched,
  deepArray,
  deepObject,
  MB,
  POLLUTION_KEYS,
  pollutingMembers,
  prototypeSnapshot,
  REGION,
  runChild,
  tempDir,
  trivyIdPrefix,
  trivyReport,
  trivyVulnerability,
  withInvalidUtf8,
  writeLargeTrivyReport,
} from "./helpers.ts";

const CONTEXT = ["--account", ACCOUNT, "--region", REGION];

/** A good Trivy report of two vulnerabilities, CVE-2001-<tag>1 and CVE-2001-<tag>2. */
function goodTrivy(tag: string): string {
  return JSON.stringify(
    trivyReport(`registry.example/good-${tag}:1`, [
      trivyVulnerability(`CVE-2001-${tag}1`, `good-${tag}-a`),
      trivyVulnerability(`CVE-2001-${tag}2`, `good-${tag}-b`),
    ]),
  );
}

/**
 * The hostile report files (Trivy-shaped where a shape matters) and the rule each must be
 * reported with. Written once per test directory.
 */
function hostileReports(): Record<string, { content: string | Buffer; rule: RegExp }> {
  const truncated = goodTrivy("9");
  return {
    "malformed.json": {
      content: '{"SchemaVersion": 2, "Results": [}',
      rule: /\[valid JSON\] malformed\.json: not valid JSON: Unexpected token/,
    },
    "truncated.json": {
      content: truncated.slice(0, Math.floor(truncated.length / 2)),
      rule: /\[valid JSON\].*truncated/,
    },
    "empty.json": { content: "", rule: /\[valid JSON\].*empty/ },
    "wrong-type-results.json": {
      content: JSON.stringify({ ...trivyReport("wrong", []), Results: "nope" }),
      rule: /field Results: \[array\].*JSON string/,
    },
    "wrong-type-document.json": { content: "42", rule: /\[known format\].*a JSON number/ },
    "deep-array.json": { content: deepArray(), rule: /\[maxDepth 64\].*nested more than 64 levels/ },
    "deep-object.json": { content: deepObject(), rule: /\[maxDepth 64\].*\$\.a\.a\.a/ },
    "invalid-utf8.json": {
      content: withInvalidUtf8(goodTrivy("8"), "good-8-a"),
      rule: /\[valid UTF-8\].*not valid UTF-8/,
    },
  };
}

describe("hostile files through the CLI (convert, import, validate)", () => {
  const temp = tempDir("cli");
  const dir = temp.dir;
  let prototypes: string[][];
  const hostile = hostileReports();

  before(() => {
    prototypes = prototypeSnapshot();
    for (const [name, { content }] of Object.entries(hostile)) writeFileSync(join(dir, name), content);
    writeFileSync(join(dir, "good-1.json"), goodTrivy("1"));
    writeFileSync(join(dir, "good-2.json"), goodTrivy("2"));
    // __proto__ / constructor / prototype keys at the top, in a result and in a vulnerability.
    const proto = trivyReport("registry.example/proto:1", [trivyVulnerability("CVE-2001-31", "proto-a")]);
    const text = JSON.stringify(proto)
      .replace('{"SchemaVersion"', `{${pollutingMembers()}, "SchemaVersion"`)
      .replace('{"Target"', `{${pollutingMembers()}, "Target"`)
      .replace('{"VulnerabilityID"', `{${pollutingMembers()}, "VulnerabilityID"`);
    writeFileSync(join(dir, "proto.json"), text);
  });
  after(() => temp.remove());

  async function run(args: string[]) {
    const io = captureIo({ cwd: dir });
    const code = await main(args, io);
    return { code, stdout: io.out(), stderr: io.err() };
  }

  it("convert: names every hostile file with its rule and still converts the good files around them", async () => {
    const files = ["good-1.json", ...Object.keys(hostile), "proto.json", "good-2.json"];
    const { code, stdout, stderr } = await run(["convert", ...CONTEXT, ...files]);
    assert.equal(code, 1, "exit 1: some report failed");
    for (const [name, { rule }] of Object.entries(hostile)) {
      const line = stderr.split("\n").find((l) => l.startsWith(`shadowhub convert: ${name}`));
      assert.ok(line, `${name} is named on stderr:\n${stderr}`);
      assert.match(line, rule, `${name} names its rule`);
      assert.ok(line.length < 2_000, `${name}: the message stays short (${line.length} chars)`);
    }
    const ids = (JSON.parse(stdout) as AwsSecurityFinding[]).map((f) => f.Id ?? "");
    for (const cve of ["CVE-2001-11", "CVE-2001-12", "CVE-2001-21", "CVE-2001-22", "CVE-2001-31"]) {
      assert.equal(ids.filter((id) => id.startsWith(trivyIdPrefix(cve))).length, 1, `${cve} converted once`);
    }
    assert.equal(ids.length, 5);
    assertPrototypesUntouched(prototypes, POLLUTION_KEYS);
  });

  it("import: the hostile files fail with their rule, the good findings land in the local hub", async () => {
    const state = join(dir, "state");
    const files = ["good-1.json", ...Object.keys(hostile), "proto.json", "good-2.json"];
    const { code, stdout, stderr } = await run(["import", "--json", "--state", state, ...CONTEXT, ...files]);
    assert.equal(code, 1);
    const counts = JSON.parse(stdout) as Record<string, number>;
    assert.equal(counts.created, 5);
    assert.equal(counts.failed, Object.keys(hostile).length);
    for (const name of Object.keys(hostile)) {
      assert.ok(
        stderr.includes(`shadowhub import: ${name}: [ConversionFailed]`),
        `${name} reported:\n${stderr}`,
      );
    }
    const hub = await openLocalHub({ stateDir: state });
    try {
      const found = await hub.getFindings(
        { Filters: { Id: [{ Value: "trivy/CVE-2001-", Comparison: "PREFIX" }] }, MaxResults: 100 },
        { accountId: ACCOUNT, region: REGION },
      );
      assert.equal(found.Findings?.length, 5, "every good finding is in the hub");
      const stored = found.Findings?.find((f) => f.Id?.startsWith(trivyIdPrefix("CVE-2001-31")));
      assert.ok(stored, "the report with __proto__ keys was imported");
    } finally {
      await hub.close();
    }
    assertPrototypesUntouched(prototypes, POLLUTION_KEYS);
  });

  it("validate: names each malformed file and each invalid finding, and checks the valid ones", async () => {
    writeFileSync(
      join(dir, "asff-mixed.json"),
      JSON.stringify({
        Findings: [
          asffFinding("valid-1"),
          asffFinding("wrong-types", { Title: 42, Resources: "none", Severity: "HIGH" }),
          asffFinding("huge-title", { Title: "T".repeat(10 * MB) }),
          asffFinding("valid-2"),
        ],
      }),
    );
    const proto = JSON.stringify([asffFinding("proto-1")]).replace(
      '{"SchemaVersion"',
      `{${pollutingMembers()}, "SchemaVersion"`,
    );
    writeFileSync(join(dir, "asff-proto.json"), proto);
    writeFileSync(
      join(dir, "asff-bad-utf8.json"),
      withInvalidUtf8(JSON.stringify([asffFinding("u")]), "Finding u"),
    );
    writeFileSync(
      join(dir, "asff-deep.json"),
      `[${JSON.stringify(asffFinding("deep")).slice(0, -1)}, "ProductFields": ${deepArray()}}]`,
    );
    const files = [
      "asff-mixed.json",
      "asff-proto.json",
      "malformed.json",
      "truncated.json",
      "asff-bad-utf8.json",
      "wrong-type-document.json",
      "asff-deep.json",
    ];
    const { code, stdout, stderr } = await run(["validate", ...files]);
    assert.equal(code, 2, "exit 2: some file unreadable or malformed");
    assert.match(stderr, /^malformed\.json: not valid JSON/m);
    assert.match(stderr, /^truncated\.json: not valid JSON/m);
    assert.match(stderr, /^asff-bad-utf8\.json: not valid UTF-8 text/m);
    assert.match(stderr, /^wrong-type-document\.json: expected a finding .* found a number/m);
    assert.match(stdout, /^asff-mixed\.json: finding "wrong-types" \(#1\): .*Title/m);
    assert.match(stdout, /^asff-mixed\.json: finding "huge-title" \(#2\): .*Title/m);
    assert.match(stdout, /^asff-deep\.json: finding "deep" \(#0\): .*ProductFields should be object/m);
    assert.doesNotMatch(stdout, /valid-1|valid-2|proto-1/, "the valid findings raise nothing");
    assert.match(stdout, /6 findings in 7 files: 3 valid, 3 invalid; 4 files unreadable or malformed/);
    assertPrototypesUntouched(prototypes, POLLUTION_KEYS);
  });

  it("convert: a 10 MB Description is truncated to ASFF's limit; a 1 MB package name fails that finding by size, not the report", async () => {
    const report = trivyReport("registry.example/huge:1", [
      trivyVulnerability("CVE-2001-41", "huge-a", {
        Description: "D".repeat(10 * MB),
        Title: "T".repeat(10 * MB),
      }),
      // 1 MB, not 10: every shrink step re-serialises the finding (10 MB costs ~11 s; docs/reliability.md).
      trivyVulnerability("CVE-2001-42", "n".repeat(MB)),
      trivyVulnerability("CVE-2001-43", "huge-c", { CweIDs: new Array(1_000_000).fill("CWE-79") }),
    ]);
    writeFileSync(join(dir, "huge-strings.json"), JSON.stringify(report));
    const { code, stdout, stderr } = await run(["convert", ...CONTEXT, "huge-strings.json"]);
    assert.equal(code, 1);
    const findings = JSON.parse(stdout) as AwsSecurityFinding[];
    const first = findings.find((f) => f.Id?.startsWith(trivyIdPrefix("CVE-2001-41")));
    assert.ok(first, "the finding with 10 MB texts is converted");
    assert.ok((first.Description ?? "").length <= 1024 && (first.Title ?? "").length <= 256);
    assert.ok(
      findings.some((f) => f.Id?.startsWith(trivyIdPrefix("CVE-2001-43"))),
      "a 1M-item list is bounded",
    );
    assert.match(stderr, /finding trivy\/CVE-2001-42\/[0-9a-f]+: \[maxBytes 245760\]/);
    assert.equal(findings.length, 2);
  });

  it("convert: a report of 100,000 malformed items lists 50 failures and counts the rest", async () => {
    writeFileSync(
      join(dir, "huge-array.json"),
      JSON.stringify(trivyReport("registry.example/many:1", new Array(100_000).fill({}))),
    );
    const { code, stderr } = await run(["convert", ...CONTEXT, "huge-array.json"]);
    assert.equal(code, 1);
    const lines = stderr.split("\n").filter((l) => l.startsWith("shadowhub convert: huge-array.json"));
    assert.equal(lines.length, 51);
    assert.match(lines[0] ?? "", /Vulnerabilities\[0\]\.VulnerabilityID: \[required string\]/);
    assert.match(lines[50] ?? "", /… and 99950 more failures \(100000 in all\)/);
  });

  describe("a 100 MB report (child process, peak RSS measured)", () => {
    const big = join(dir, "big.json");
    let bytes = 0;
    before(async () => {
      bytes = await writeLargeTrivyReport(big, 100 * MB, 200);
    });

    it("import parses, converts and imports it with peak RSS under 6× its size and keeps nothing afterwards", async (t) => {
      const { memory, result } = await runChild<{ code: number; stdout: string; stderr: string }>("cli", {
        argv: ["import", "--json", "--state", join(dir, "big-state"), ...CONTEXT, "big.json"],
        cwd: dir,
      });
      assert.equal(result.code, 0, result.stderr);
      assert.equal((JSON.parse(result.stdout) as { created: number }).created, 200, "every finding imported");
      const grown = memory.maxRss - memory.rssBefore;
      assert.ok(
        grown < 6 * bytes,
        `peak RSS grew ${(grown / MB).toFixed(0)} MB for a ${(bytes / MB).toFixed(0)} MB report`,
      );
      assert.ok(memory.heapAfter - memory.heapBefore < 32 * MB, "the report is not retained after the run");
      const mb = (n: number) => (n / MB).toFixed(0);
      t.diagnostic(
        `report ${mb(bytes)} MB; import RSS ${mb(memory.rssBefore)} MB → peak ${mb(memory.maxRss)} MB; heap after GC ${mb(memory.heapBefore)} → ${mb(memory.heapAfter)} MB`,
      );
    });
  });
});
