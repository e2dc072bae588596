/**
 * Shared pieces of the hostile-input tests: hostile documents, a streamed 100 MB report, a
 * capturing CLI io, raw HTTP requests (so anything can be sent, not only what an SDK would), a
 * child-process runner that reports peak memory, and a check that no prototype was polluted.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ACCOUNT = "123456789012";
export const REGION = "us-east-1";
export const PRODUCT_ARN = `arn:aws:securityhub:${REGION}:${ACCOUNT}:product/${ACCOUNT}/default`;
export const MB = 1024 * 1024;

/** Nesting depth of the "deep nesting" inputs (the issue asks for 100k levels). */
export const DEEP_LEVELS = 100_000;

/** `[[[…]]]`, `levels` deep: 2 bytes a level, so 100k levels fit well under every size limit. */
export function deepArray(levels = DEEP_LEVELS): string {
  return `${"[".repeat(levels)}${"]".repeat(levels)}`;
}

/** `{"a":{"a":…1}}`, `levels` deep. */
export function deepObject(levels = DEEP_LEVELS): string {
  return `${'{"a":'.repeat(levels)}1${"}".repeat(levels)}`;
}

/** Bytes that are not UTF-8 (a lone continuation byte and an invalid lead byte) inside JSON text. */
export function withInvalidUtf8(json: string, marker: string): Buffer {
  const bytes = Buffer.from(json, "utf8");
  const at = bytes.indexOf(marker);
  assert.ok(at >= 0, `marker ${marker} not in the JSON`);
  bytes[at] = 0xff;
  bytes[at + 1] = 0x80;
  return bytes;
}

/** A complete, valid ASFF finding (what BatchImportFindings and `validate` accept). */
export function asffFinding(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    SchemaVersion: "2018-10-08",
    Id: id,
    ProductArn: PRODUCT_ARN,
    GeneratorId: "hostile-test",
    AwsAccountId: ACCOUNT,
    CreatedAt: "2026-01-01T00:00:00.000Z",
    UpdatedAt: "2026-01-01T00:00:00.000Z",
    Title: `Finding ${id}`,
    Description: `Hostile-input test finding ${id}`,
    FindingProviderFields: {
      Severity: { Label: "HIGH", Original: "high" },
      Types: ["Software and Configuration Checks/Vulnerabilities/CVE"],
    },
    Resources: [{ Type: "Other", Id: `resource-${id}` }],
    ...overrides,
  };
}

/** One Trivy vulnerability record (the fields the Trivy parser reads). */
export function trivyVulnerability(cve: string, pkg: string, extra: Record<string, unknown> = {}) {
  return {
    VulnerabilityID: cve,
    PkgID: `${pkg}@1.0.0`,
    PkgName: pkg,
    InstalledVersion: "1.0.0",
    FixedVersion: "1.0.1",
    Status: "fixed",
    Severity: "HIGH",
    Title: `${pkg}: test vulnerability`,
    Description: `Test vulnerability ${cve} in ${pkg}.`,
    ...extra,
  };
}

/** A Trivy image report holding `vulnerabilities` in one result. */
export function trivyReport(artifact: string, vulnerabilities: readonly unknown[]): Record<string, unknown> {
  return {
    SchemaVersion: 2,
    CreatedAt: "2026-01-01T00:00:00.000Z",
    ArtifactName: artifact,
    ArtifactType: "container_image",
    Metadata: { ImageID: `sha256:${"0".repeat(64)}` },
    Results: [
      {
        Target: `${artifact} (alpine 3.20)`,
        Class: "os-pkgs",
        Type: "alpine",
        Vulnerabilities: vulnerabilities,
      },
    ],
  };
}

/** The Trivy-derived finding Id prefix of a CVE (the Id recipe: `trivy/<CVE>/<digest>`). */
export function trivyIdPrefix(cve: string): string {
  return `trivy/${cve}/`;
}

/**
 * Streams a Trivy report of about `totalBytes` to `path` without holding it in memory: `count`
 * vulnerabilities (CVE-2099-<n>) whose Descriptions share the bulk. Returns the bytes written.
 */
export async function writeLargeTrivyReport(
  path: string,
  totalBytes: number,
  count: number,
): Promise<number> {
  const out = createWriteStream(path);
  let failure: Error | undefined;
  out.on("error", (error) => {
    failure = error;
    out.emit("drain");
  });
  let written = 0;
  const write = async (text: string) => {
    written += Buffer.byteLength(text);
    if (!out.write(text)) await new Promise<void>((resolve) => out.once("drain", resolve));
    if (failure !== undefined) throw failure;
  };
  const head = JSON.stringify(trivyReport("registry.example/large:1", [])).replace(
    /"Vulnerabilities":\[\]\}\]\}$/,
    "",
  );
  await write(`${head}"Vulnerabilities":[`);
  const descriptionBytes = Math.max(1, Math.floor(totalBytes / count) - 300);
  // One chunk of text reused for every record: the generator's memory stays small.
  const chunk = "Long advisory text. ".repeat(Math.ceil(descriptionBytes / 20)).slice(0, descriptionBytes);
  for (let i = 0; i < count; i++) {
    const vuln = trivyVulnerability(`CVE-2099-${String(i).padStart(5, "0")}`, `pkg-${i}`, {
      Description: "",
    });
    const text = JSON.stringify(vuln).replace('"Description":""', `"Description":"${chunk}"`);
    await write(`${i === 0 ? "" : ","}${text}`);
  }
  await write("]}]}");
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
  return written;
}

/** A temporary directory and its removal. */
export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `shadowhub-hostile-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** An HTTP answer read in full. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/**
 * Sends `body` as is with `node:http` (no SDK: any bytes, any length, any header) and reads the
 * answer. A connection the server closes before answering rejects with the socket error.
 */
export function rawRequest(
  baseUrl: string,
  options: { method: string; path: string; body?: string | Buffer; headers?: Record<string, string> },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(options.path, baseUrl),
      {
        method: options.method,
        headers: { "content-type": "application/x-amz-json-1.1", ...options.headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** `{Code, Message}` of an error answer. */
export function errorOf(response: RawResponse): { Code: string; Message: string } {
  const parsed = JSON.parse(response.body) as { Code: string; Message: string };
  assert.equal(response.headers["x-amzn-errortype"], parsed.Code, "x-amzn-ErrorType matches the body's Code");
  return parsed;
}

/** Memory figures a child reports (bytes). */
export interface ChildMemory {
  /** RSS when the child was ready, before the input was touched. */
  readonly rssBefore: number;
  /** Peak RSS of the child over its whole life (`resourceUsage().maxRSS`). */
  readonly maxRss: number;
  /** V8 heap in use before the work, after a full GC. */
  readonly heapBefore: number;
  /** V8 heap in use after the work, after a full GC: what the run kept. */
  readonly heapAfter: number;
}

/** What `child.ts` prints as its last stdout line. */
export interface ChildResult<T = unknown> {
  readonly memory: ChildMemory;
  readonly result: T;
}

/**
 * Runs `test/hostile/child.ts MODE JSON_ARGS` in a fresh Node process (so peak RSS belongs to that
 * one input alone) and parses its report. `env` is added to the parent's environment.
 */
export async function runChild<T>(
  mode: string,
  args: unknown,
  env: Record<string, string> = {},
): Promise<ChildResult<T> & { stderr: string }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--expose-gc", join(import.meta.dirname, "child.ts"), mode, JSON.stringify(args)],
    { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on("data", (c: Buffer) => out.push(c));
  child.stderr.on("data", (c: Buffer) => err.push(c));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const stdout = Buffer.concat(out).toString("utf8");
  const stderr = Buffer.concat(err).toString("utf8");
  assert.equal(code, 0, `child ${mode} exited ${code}: ${stderr.slice(-2000)}`);
  const last = stdout.trimEnd().split("\n").pop() ?? "";
  return { ...(JSON.parse(last) as ChildResult<T>), stderr };
}

const PROTOTYPES = [Object.prototype, Array.prototype, Function.prototype, String.prototype] as const;

/** The own property names of the built-in prototypes, to compare before and after. */
export function prototypeSnapshot(): string[][] {
  return PROTOTYPES.map((p) => Object.getOwnPropertyNames(p).sort());
}

/** Asserts that no built-in prototype gained, lost or changed a property since `before`. */
export function assertPrototypesUntouched(before: string[][], polluted: readonly string[]): void {
  assert.deepEqual(prototypeSnapshot(), before, "built-in prototypes gained or lost properties");
  const probe: Record<string, unknown> = {};
  for (const key of polluted) {
    assert.equal(probe[key], undefined, `Object.prototype.${key} was polluted`);
    assert.equal(Object.hasOwn(Object.prototype, key), false);
  }
}

/** Keys the hostile inputs try to plant on Object.prototype. */
export const POLLUTION_KEYS = ["polluted", "pollutedCtor", "pollutedNested", "isAdmin"] as const;

/** A JSON object text carrying `__proto__`, `constructor` and `prototype` keys at several levels. */
export function pollutingMembers(): string {
  return [
    `"__proto__": {"polluted": "yes", "isAdmin": true}`,
    `"constructor": {"prototype": {"pollutedCtor": "yes"}}`,
    `"prototype": {"pollutedNested": "yes"}`,
  ].join(", ");
}
