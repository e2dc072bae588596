/**
 * `shadowhub serve` as a process: persistence across a restart with `--state`, the AWS CLI
 * running the User Guide's own batch-import-findings example against it, and option errors.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import {
  BatchImportFindingsCommand,
  BatchUpdateFindingsCommand,
  GetFindingsCommand,
  SecurityHubClient,
} from "@aws-sdk/client-securityhub";
import { makeFinding, productArnFor } from "./scenarios.ts";

const run = promisify(execFile);
const ROOT = new URL("../../../", import.meta.url).pathname;
const BIN = join(ROOT, "bin", "shadowhub.mjs");
const SEED = join(ROOT, "test", "integration", "serve", "fixtures", "seed-batch-import-findings.json");
const ACCOUNT = "123456789012";

interface ServeProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `shadowhub serve --port 0 ARGS...` and waits for the URL it prints. */
async function startServeProcess(args: string[]): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, "serve", "--port", "0", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr?.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once("exit", (code) => reject(new Error(`serve exited with ${code} before listening: ${err}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    url,
    child,
    stop: async () => {
      child.kill("SIGTERM");
      return exited;
    },
  };
}

function clientFor(url: string, region = "us-east-1"): SecurityHubClient {
  return new SecurityHubClient({
    endpoint: url,
    region,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
}

describe("shadowhub serve (process)", () => {
  let stateDir: string;
  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "shadowhub-serve-"));
  });
  after(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it("keeps findings and customer updates across a restart with --state", async () => {
    const first = await startServeProcess(["--state", stateDir]);
    const c1 = clientFor(first.url);
    await c1.send(new BatchImportFindingsCommand({ Findings: [makeFinding(ACCOUNT, "persist-1")] }));
    await c1.send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: [{ Id: "persist-1", ProductArn: productArnFor(ACCOUNT) }],
        Workflow: { Status: "NOTIFIED" },
        Severity: { Label: "LOW" },
      }),
    );
    c1.destroy();
    assert.equal(await first.stop(), 0);

    const second = await startServeProcess(["--state", stateDir]);
    const c2 = clientFor(second.url);
    try {
      const found = await c2.send(
        new GetFindingsCommand({ Filters: { Id: [{ Value: "persist-1", Comparison: "EQUALS" }] } }),
      );
      assert.equal(found.Findings?.length, 1);
      assert.equal(found.Findings?.[0]?.Workflow?.Status, "NOTIFIED");
      // The customer-touched flag survived too: a provider update no longer changes top-level Severity.
      await c2.send(
        new BatchImportFindingsCommand({
          Findings: [
            makeFinding(ACCOUNT, "persist-1", {
              UpdatedAt: "2024-06-01T00:00:00.000Z",
              FindingProviderFields: {
                Severity: { Label: "CRITICAL" },
                Types: ["Software and Configuration Checks"],
              },
            }),
          ],
        }),
      );
      const after = await c2.send(
        new GetFindingsCommand({ Filters: { Id: [{ Value: "persist-1", Comparison: "EQUALS" }] } }),
      );
      assert.equal(after.Findings?.[0]?.Severity?.Label, "LOW");
      assert.equal(after.Findings?.[0]?.FindingProviderFields?.Severity?.Label, "CRITICAL");
    } finally {
      c2.destroy();
      assert.equal(await second.stop(), 0);
    }
  });

  it("runs the User Guide's `aws securityhub batch-import-findings` example with the AWS CLI", async () => {
    const serve = await startServeProcess(["--events-file", join(stateDir, "events.jsonl")]);
    try {
      const findings = await readFile(SEED, "utf8");
      // The example's ProductArn is in us-west-1, so the CLI must call that Region.
      const env = {
        ...process.env,
        AWS_ACCESS_KEY_ID: "test",
        AWS_SECRET_ACCESS_KEY: "test",
        AWS_DEFAULT_REGION: "us-west-1",
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      };
      const imported = await run(
        "aws",
        ["securityhub", "batch-import-findings", "--findings", findings, "--endpoint-url", serve.url],
        { env },
      );
      const answer = JSON.parse(imported.stdout) as { SuccessCount: number; FailedCount: number };
      assert.deepEqual([answer.SuccessCount, answer.FailedCount], [1, 0]);
      const listed = await run(
        "aws",
        [
          "securityhub",
          "get-findings",
          "--filters",
          '{"Id":[{"Value":"Id1","Comparison":"EQUALS"}]}',
          "--endpoint-url",
          serve.url,
        ],
        { env },
      );
      const got = JSON.parse(listed.stdout) as {
        Findings: { Id: string; Region: string; Severity: { Label: string } }[];
      };
      assert.equal(got.Findings.length, 1);
      assert.equal(got.Findings[0]?.Region, "us-west-1");
      assert.equal(got.Findings[0]?.Severity.Label, "INFORMATIONAL");
      const events = (await readFile(join(stateDir, "events.jsonl"), "utf8")).trim().split("\n");
      assert.equal(events.length, 1);
    } finally {
      assert.equal(await serve.stop(), 0);
    }
  });

  it("exits with 2 and the usage on an unknown option", async () => {
    const result = await run(process.execPath, [BIN, "serve", "--bogus"]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal((result as { code: number }).code, 2);
    assert.match((result as { stderr: string }).stderr, /unknown option '--bogus'/);
  });
});
