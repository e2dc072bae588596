import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { loadParserModule } from "../../../lambdas/adapters/parser-loader.ts";
import { convertCommand } from "../../../lambdas/cli/commands/convert.ts";
import type { CliIo } from "../../../lambdas/cli/io.ts";
import { validateFinding } from "../../../lambdas/core/asff/validate.ts";
import { ConfigurationError } from "../../../lambdas/core/errors.ts";

const ROOT = join(import.meta.dirname, "../../..");

function sink(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return Object.assign(w, { text: () => chunks.join("") });
}

async function run(args: string[], env: Record<string, string> = {}) {
  const stdout = sink();
  const stderr = sink();
  const io: CliIo = { stdout, stderr, env, cwd: ROOT };
  const code = await convertCommand.run(args, io);
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe("shadowhub convert", () => {
  it("streams a report of several batches and prints exactly JSON.stringify(findings, null, 2)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "shadowhub-convert-"));
    const vulnerabilities = Array.from({ length: 250 }, (_, i) => ({
      VulnerabilityID: `CVE-2026-${10000 + i}`,
      PkgName: `pkg-${i}`,
      InstalledVersion: "1.0.0",
      Severity: ["LOW", "MEDIUM", "HIGH"][i % 3],
      Title: `Issue "${i}" in pkg\\${i}\nsecond line`,
    }));
    const report = {
      SchemaVersion: 2,
      CreatedAt: "2026-11-01T10:00:00Z",
      ArtifactName: "app:1",
      ArtifactType: "container_image",
      Results: [
        { Target: "app:1 (debian 12)", Class: "os-pkgs", Type: "debian", Vulnerabilities: vulnerabilities },
      ],
    };
    writeFileSync(join(dir, "big.json"), JSON.stringify(report));
    writeFileSync(join(dir, "empty.json"), JSON.stringify({ ...report, Results: [] }));
    const env = { AWS_REGION: "us-east-1" };
    const array = await run([join(dir, "big.json")], env);
    const ndjson = await run(["--ndjson", join(dir, "big.json")], env);
    assert.equal(array.code, 0, array.stderr);
    assert.equal(ndjson.code, 0, ndjson.stderr);
    const lines = ndjson.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 250);
    const findings = lines.map((line) => JSON.parse(line) as { Id: string });
    assert.equal(new Set(findings.map((f) => f.Id)).size, 250);
    assert.equal(array.stdout, `${JSON.stringify(findings, null, 2)}\n`);
    const empty = await run([join(dir, "empty.json")], env);
    assert.equal(empty.code, 0, empty.stderr);
    assert.equal(empty.stdout, "[]\n");
    const both = await run([join(dir, "empty.json"), join(dir, "big.json")], env);
    assert.equal(both.stdout, array.stdout);
  });
  it("prints one JSON array of valid findings and announces the defaults it used", async () => {
    const r = await run(["test/fixtures/trivy/pip.repo.json", "test/fixtures/grype/image.json"], {
      AWS_REGION: "eu-west-3",
    });
    assert.equal(r.code, 0);
    const findings = JSON.parse(r.stdout) as Array<{ ProductArn: string }>;
    assert.equal(findings.length, 4);
    for (const f of findings) assert.deepEqual(validateFinding(f), []);
    assert.equal(
      findings[0]?.ProductArn,
      "arn:aws:securityhub:eu-west-3:123456789012:product/123456789012/default",
    );
    assert.match(r.stderr, /no --account given; using the placeholder account 123456789012/);
    assert.match(r.stderr, /no --region given; using eu-west-3/);
  });
  it("prints NDJSON, honours the context options and fails the run when one input fails", async () => {
    const r = await run([
      "--ndjson",
      "--account",
      "111122223333",
      "--region",
      "cn-north-1",
      "--scope",
      "repo@main",
      "--company-name",
      "Acme",
      "test/fixtures/trivy/dockerfile.fs-config.json",
      "test/fixtures/does-not-exist.json",
    ]);
    assert.equal(r.code, 1);
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.equal(lines.length, 1);
    assert.equal(
      lines[0].ProductArn,
      "arn:aws-cn:securityhub:cn-north-1:111122223333:product/111122223333/default",
    );
    assert.equal(lines[0].ProductFields["shadowhub/scope"], "repo@main");
    assert.equal(lines[0].CompanyName, "Acme");
    assert.match(r.stderr, /does-not-exist\.json: \[readable file\]/);
    assert.doesNotMatch(r.stderr, /placeholder/);
  });
  it("reports a finding-level failure with the file, the finding and the rule", async () => {
    const r = await run([
      "--account",
      "123456789012",
      "--region",
      "us-east-1",
      "test/fixtures/asff/trivy-template-debian-buster.json",
    ]);
    assert.equal(r.code, 1);
    assert.equal(JSON.parse(r.stdout).length, 2);
    assert.match(
      r.stderr,
      /trivy-template-debian-buster\.json, finding .*TEMP-0841856-B18BAF, field data: \[required\]/,
    );
  });
  it("exits 2 for usage and configuration errors", async () => {
    assert.equal((await run([])).code, 2);
    assert.equal((await run(["--account", "12", "--region", "us-east-1", "x.json"])).code, 2);
    const unknown = await run(["--format", "nessus", "--region", "us-east-1", "x.json"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown --format 'nessus'/);
  });
  it("loads a custom parser with --parser and converts its format", async () => {
    const r = await run([
      "--account",
      "123456789012",
      "--region",
      "us-east-1",
      "--parser",
      "examples/custom-parser/acme-parser.ts",
      "examples/custom-parser/acme-report.json",
    ]);
    const findings = JSON.parse(r.stdout) as Array<{ Description: string; GeneratorId: string }>;
    assert.equal(findings.length, 2);
    assert.equal(findings[1]?.Description, "chmod 777 on /var/uploads lets any local user plant files.");
    assert.equal(r.code, 1, "the example report's third issue is malformed on purpose");
    assert.match(r.stderr, /issues\[2\]/);
  });
});

describe("loadParserModule", () => {
  it("loads default, named and list exports", async () => {
    const dir = mkdtempSync(join(tmpdir(), "shadowhub-parser-"));
    const file = join(dir, "p.mjs");
    writeFileSync(
      file,
      "const a = { name: 'a', detect: () => false, parse: () => ({ drafts: [] }) };\nexport default a;\nexport const parser = a;\nexport const parsers = [{ name: 'b', detect: () => false, parse: () => ({ drafts: [] }) }];\n",
    );
    assert.deepEqual(
      (await loadParserModule(file)).map((p) => p.name),
      ["a", "b"],
    );
  });
  it("names the file when it cannot be loaded or exports no valid parser", async () => {
    const dir = mkdtempSync(join(tmpdir(), "shadowhub-parser-"));
    writeFileSync(join(dir, "none.mjs"), "export const x = 1;\n");
    writeFileSync(join(dir, "bad.mjs"), "export default { name: 'Bad Name' };\n");
    await assert.rejects(
      loadParserModule("none.mjs", dir),
      (e: unknown) =>
        e instanceof ConfigurationError && /none\.mjs: the module exports no parser/.test(e.message),
    );
    await assert.rejects(loadParserModule("bad.mjs", dir), /bad\.mjs: not a valid parser: name "Bad Name"/);
    await assert.rejects(loadParserModule("missing.mjs", dir), /missing\.mjs: cannot load the module/);
  });
});
