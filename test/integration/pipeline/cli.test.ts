/**
 * `shadowhub import` end to end, in-process through the CLI entry (`main`): real report files,
 * the local default (embedded hub + SQLite shadow in --state), `--json`, `--dry-run`, bad input,
 * and `--target URL` against serve.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, describe, it } from "node:test";
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { main } from "../../../lambdas/cli/main.ts";
import { startTestServe } from "../../helpers/serve.ts";
import { finding } from "../../unit/pipeline/factories.ts";
import { scanTime } from "./scenario.ts";

const TRIVY = join(import.meta.dirname, "../../fixtures/trivy");
const JSON_KEYS = ["created", "updated", "unchanged", "stale", "archived", "refreshed", "failed", "apiCalls"];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString("utf8") };
}

async function shadowhub(
  cwd: string,
  args: string[],
  env: Record<string, string | undefined> = {},
  stderrIsTty = false,
): Promise<Run> {
  const out = capture();
  const err = capture();
  if (stderrIsTty) Object.assign(err.stream, { isTTY: true });
  const code = await main(args, { stdout: out.stream, stderr: err.stream, env, cwd });
  return { code, stdout: out.text(), stderr: err.text() };
}

async function importJson(cwd: string, args: string[], env: Record<string, string | undefined> = {}) {
  const run = await shadowhub(
    cwd,
    ["import", "--json", "--account", "123456789012", "--region", "us-east-1", ...args],
    env,
  );
  const parsed = JSON.parse(run.stdout) as Record<string, number>;
  assert.deepEqual(Object.keys(parsed), JSON_KEYS, "--json prints exactly the documented keys");
  for (const v of Object.values(parsed)) assert.ok(Number.isInteger(v));
  return { ...run, counts: parsed };
}

function writeAsff(
  dir: string,
  name: string,
  n: number,
  ids: string[],
  titles: Record<string, string> = {},
): string {
  const findings: AwsSecurityFinding[] = ids.map((id) =>
    finding(id, {
      UpdatedAt: scanTime(n),
      CreatedAt: scanTime(n),
      ...(titles[id] ? { Title: titles[id] } : {}),
    }),
  );
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ Findings: findings }));
  return path;
}

describe("shadowhub import (CLI, local default)", () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), "shadowhub-import-"));
    dirs.push(d);
    return d;
  };
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("imports real Trivy reports locally, then re-imports them with 0 API calls", async () => {
    const cwd = tempDir();
    const reports = ["alpine-310.image.json", "pip.repo.json", "secrets.repo.json"].map((f) =>
      join(TRIVY, f),
    );
    const first = await shadowhub(cwd, ["import", ...reports]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /created\s+\d+/);
    assert.match(first.stdout, /API calls\s+1/);
    assert.match(first.stderr, /placeholder account 123456789012/, "the default account is announced");
    const created = Number(/created\s+(\d+)/.exec(first.stdout)?.[1]);
    assert.ok(created > 0);
    const second = await importJson(cwd, reports);
    assert.equal(second.code, 0);
    assert.deepEqual(second.counts, { ...zero(), unchanged: created });
    const events = readFileSync(join(cwd, ".shadowhub", "events.jsonl"), "utf8")
      .trim()
      .split("\n");
    assert.equal(events.length, created, "one aws.securityhub event per created finding, none for unchanged");
  });

  it("runs the acceptance flow through report files and --scope", async () => {
    const cwd = tempDir();
    const state = ["--state", join(cwd, "state")];
    const scope = ["--scope", "repo@main"];
    let r = await importJson(cwd, [...state, ...scope, writeAsff(cwd, "1.json", 1, ["a", "b", "c"])]);
    assert.deepEqual(r.counts, { ...zero(), created: 3, apiCalls: 1 });
    r = await importJson(cwd, [...state, ...scope, writeAsff(cwd, "2.json", 2, ["a", "b", "c"])]);
    assert.deepEqual(r.counts, { ...zero(), unchanged: 3 });
    r = await importJson(cwd, [
      ...state,
      ...scope,
      writeAsff(cwd, "3.json", 3, ["a", "b", "c"], { b: "changed" }),
    ]);
    assert.deepEqual(r.counts, { ...zero(), updated: 1, unchanged: 2, apiCalls: 1 });
    r = await importJson(cwd, [
      ...state,
      ...scope,
      writeAsff(cwd, "4.json", 4, ["a", "b"], { b: "changed" }),
    ]);
    assert.deepEqual(r.counts, { ...zero(), archived: 1, unchanged: 2, apiCalls: 1 });
    r = await importJson(cwd, [...state, "--scope", "image@sha256:1", writeAsff(cwd, "5.json", 5, ["d"])]);
    assert.deepEqual(r.counts, { ...zero(), created: 1, apiCalls: 1 });
    r = await importJson(cwd, [
      ...state,
      ...scope,
      writeAsff(cwd, "6.json", 6, ["a", "b", "c"], { b: "changed" }),
    ]);
    assert.deepEqual(r.counts, { ...zero(), updated: 1, unchanged: 2, apiCalls: 1 });
  });

  it("prints the plan without sending anything with --dry-run", async () => {
    const cwd = tempDir();
    const report = writeAsff(cwd, "1.json", 1, ["a", "b"]);
    const dry = await shadowhub(cwd, ["import", "--dry-run", report]);
    assert.equal(dry.code, 0);
    assert.match(dry.stdout, /dry run \(nothing sent\)/);
    assert.match(dry.stdout, /created\s+2/);
    assert.match(dry.stdout, /API calls \(planned\)\s+1/);
    const real = await importJson(cwd, [report]);
    assert.equal(real.counts.created, 2, "the dry run committed nothing");
  });

  it("reports a bad report by name, imports the others, skips archiving, and exits 1", async () => {
    const cwd = tempDir();
    const good = writeAsff(cwd, "good.json", 1, ["a"]);
    const bad = join(cwd, "bad.json");
    writeFileSync(bad, '{"Findings": [');
    const r = await importJson(cwd, ["--scope", "s", good, bad]);
    assert.equal(r.code, 1);
    assert.equal(r.counts.created, 1);
    assert.equal(r.counts.failed, 1);
    assert.match(r.stderr, /bad\.json.*\[ConversionFailed\]/);
    assert.match(r.stderr, /not archiving in scope 's'/);
  });

  it("draws a progress bar on a terminal for a long import, and none in --json mode", async () => {
    const cwd = tempDir();
    const ids = Array.from({ length: 1_000 }, (_, i) => `p-${i}`);
    const report = writeAsff(cwd, "big.json", 1, ids);
    const tty = await shadowhub(cwd, ["import", report], {}, true);
    assert.equal(tty.code, 0, tty.stderr);
    assert.match(tty.stderr, /\[#########################\] 100% 1000\/1000/);
    const json = await shadowhub(
      cwd,
      ["import", "--json", writeAsff(cwd, "big2.json", 2, ids, { "p-1": "x" })],
      {},
      true,
    );
    assert.doesNotMatch(json.stderr, /%/);
  });

  it("rejects an unknown target with exit status 2 and says what is expected", async () => {
    const r = await shadowhub(tempDir(), ["import", "--target", "ftp://x", "r.json"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--target 'ftp:\/\/x' is not local, aws or an http\(s\) URL/);
  });

  it("imports into serve with --target URL (and into a separate shadow than the local one)", async () => {
    const serve = await startTestServe({ log: () => {} });
    try {
      const cwd = tempDir();
      const report = writeAsff(cwd, "1.json", 1, ["a", "b"]);
      const local = await importJson(cwd, [report]);
      assert.equal(local.counts.created, 2);
      const remote = await importJson(cwd, ["--target", serve.url, report]);
      assert.equal(remote.counts.created, 2, "the local shadow does not hide findings from another target");
      const again = await importJson(cwd, [report], { AWS_ENDPOINT_URL_SECURITYHUB: serve.url });
      assert.deepEqual(
        again.counts,
        { ...zero(), unchanged: 2 },
        "AWS_ENDPOINT_URL_SECURITYHUB selects the endpoint",
      );
    } finally {
      await serve.close();
    }
  });
});

function zero() {
  return {
    created: 0,
    updated: 0,
    unchanged: 0,
    stale: 0,
    archived: 0,
    refreshed: 0,
    failed: 0,
    apiCalls: 0,
  };
}
