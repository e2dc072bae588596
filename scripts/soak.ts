/**
 * Soak run (a script, not CI): `shadowhub serve` in its own process with Security Hub's quota on
 * (BatchImportFindings 10 calls/s burst 30, GetFindings 3/s burst 6, BatchUpdateFindings 10/s
 * burst 30) and faults armed all along over its admin route (429 bursts, 500s, held requests past
 * the client's time-out, connection resets, per-finding FailedFindings), driven at the quota by
 * several concurrent importers in this process: the real import pipeline (one SQLite shadow,
 * `SecurityHubSink` over HTTP, one shared in-process limiter, 4 calls in flight per run), each
 * importing a stream of changing scans of its own scopes (adds, changes, removals, returns), plus a
 * customer calling BatchUpdateFindings on findings already imported.
 *
 * Prints RSS of serve and of the importers at the start, every minute and at the end, with the
 * minute's BatchImportFindings rate against the quota. At the end the faults are cleared, each
 * scope's last scan is imported once more (what the next real scan would do: failed findings were
 * not committed to the shadow, so they are resent; a finding the shadow believes sent is not), and
 * Security Hub's state is read over the wire and compared with the model: every finding of a
 * scope's last scan ACTIVE with that scan's Title and UpdatedAt, every other finding ever imported
 * ARCHIVED, every customer value as the customer last set it. Any difference exits 1.
 *
 * Why the earlier version reached only ~2 calls/s: each scan carried 1–2 calls of work, while
 * every archive costs a GetFindings (20 Ids a call, quota 3/s, not paced by the limiter) and every
 * injected 429 halved the shared limiter's rate (a burst of 3: 10 → 1.25/s; it recovers by 0.5
 * calls/s per second) — with a 429 burst every ~7 s the limiter never got back to 10/s (importers
 * spent their time waiting for it, not converting or sending: ~15% of a core each side). The
 * limiters now count a burst within 1 s as one decrease. Now a scan is ~5 calls of changes with
 * few archives, several importers overlap, and 429 bursts have their own period (--throttle-every).
 *
 * Usage: node --import tsx scripts/soak.ts [--minutes 10] [--seed 1] [--importers 4] [--scopes 8]
 *   [--pool 2000] [--change 0.25] [--remove 0.01] [--fault-every 1] [--throttle-every 30]
 *   [--customer-every 0.5]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  type AwsSecurityFinding,
  BatchUpdateFindingsCommand,
  GetFindingsCommand,
  SecurityHubClient,
  type VerificationState,
  type WorkflowStatus,
} from "@aws-sdk/client-securityhub";
import { InProcessRateLimiter } from "../lambdas/adapters/memory/in-process-rate-limiter.ts";
import { SecurityHubSink } from "../lambdas/adapters/securityhub/securityhub-sink.ts";
import { openSqliteShadowStore } from "../lambdas/adapters/sqlite/sqlite-shadow-store.ts";
import { systemClock } from "../lambdas/adapters/system-clock.ts";
import { describeError } from "../lambdas/core/errors.ts";
import type { FindingKey } from "../lambdas/core/hub/contracts.ts";
import type { IncomingFinding } from "../lambdas/core/pipeline/plan.ts";
import { runImport } from "../lambdas/pipeline/import-run.ts";
import { REMOTE_IMPORT_LIMITS } from "../lambdas/pipeline/targets.ts";
import type { FindingSink, ImportCall, ImportCallResult } from "../lambdas/ports/finding-sink.ts";
import type { RateLimiter } from "../lambdas/ports/rate-limiter.ts";
import type { Fault } from "../lambdas/serve/faults.ts";
import { seededRandom } from "../test/helpers/seeded-random.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const ACCOUNT = "123456789012";
const REGION = "us-east-1";
const PRODUCT_ARN = `arn:aws:securityhub:${REGION}:${ACCOUNT}:product/${ACCOUNT}/default`;
const CALLER = { accountId: ACCOUNT, region: REGION };
/** Security Hub's BatchImportFindings quota, the figure the achieved rate is measured against. */
const QUOTA_PER_SECOND = 10;

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    seed: { type: "string", default: "1" },
    importers: { type: "string", default: "4" },
    scopes: { type: "string", default: "8" },
    pool: { type: "string", default: "2000" },
    change: { type: "string", default: "0.25" },
    remove: { type: "string", default: "0.01" },
    "fault-every": { type: "string", default: "1" },
    "throttle-every": { type: "string", default: "30" },
    "customer-every": { type: "string", default: "0.5" },
  },
});
const opts = {
  minutes: Number(values.minutes),
  seed: Number(values.seed),
  importers: Number(values.importers),
  scopes: Number(values.scopes),
  pool: Number(values.pool),
  change: Number(values.change),
  remove: Number(values.remove),
  faultEvery: Number(values["fault-every"]),
  throttleEvery: Number(values["throttle-every"]),
  customerEvery: Number(values["customer-every"]),
};
for (const [name, n] of Object.entries(opts)) {
  if (!Number.isFinite(n) || n <= 0) {
    process.stderr.write(`soak: --${name} must be a positive number\n`);
    process.exit(2);
  }
}
if (opts.change >= 1 || opts.remove >= 1) {
  process.stderr.write("soak: --change and --remove are probabilities below 1\n");
  process.exit(2);
}

const random = seededRandom(opts.seed);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

const mb = (bytes: number | undefined) =>
  bytes === undefined ? "n/a" : `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const log = (line: string) => process.stdout.write(`[${new Date().toISOString()}] ${line}\n`);

/** CPU seconds (user + system) of another process (Linux /proc); undefined where /proc is not there. */
function cpuOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** RSS of another process (Linux /proc); undefined where /proc is not there. */
function rssOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
  } catch {
    // Not Linux, or the process is gone: the figure is reported as n/a.
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// The model: what Security Hub must hold.

/** One scope: per pool index, the version sent (0 = never in a scan) and the last scan's members. */
interface ScopeModel {
  readonly name: string;
  readonly version: number[];
  /** UpdatedAt (ms) of each index's current version. */
  readonly updatedMs: number[];
  /** Pool indexes in the last scan. */
  last: Set<number>;
  /** The last scan's findings, for the settle pass. */
  lastFindings: IncomingFinding[];
}

/** What a customer last set on a finding with BatchUpdateFindings (accepted by Security Hub). */
interface CustomerValues {
  note: string;
  verification: VerificationState;
  workflow: WorkflowStatus;
}

const BASE_MS = Date.parse("2026-01-01T00:00:00.000Z");
let scanCounter = 0;

function findingId(scope: string, index: number): string {
  return `soak/${scope}/${String(index).padStart(5, "0")}`;
}

function makeFinding(scope: string, index: number, version: number, updatedMs: number): AwsSecurityFinding {
  const id = findingId(scope, index);
  return {
    SchemaVersion: "2018-10-08",
    Id: id,
    ProductArn: PRODUCT_ARN,
    GeneratorId: `soak-rule-${index % 17}`,
    AwsAccountId: ACCOUNT,
    CreatedAt: new Date(BASE_MS).toISOString(),
    UpdatedAt: new Date(updatedMs).toISOString(),
    Title: `${id} v${version}`,
    Description: `Soak finding ${id}, version ${version}`,
    FindingProviderFields: {
      Severity: { Label: (["LOW", "MEDIUM", "HIGH", "CRITICAL"] as const)[version % 4] ?? "LOW" },
      Types: ["Software and Configuration Checks/Vulnerabilities/CVE"],
    },
    Resources: [{ Type: "Other", Id: `soak-resource-${scope}-${index % 50}` }],
  };
}

/**
 * The next scan of a scope. The first scan holds the whole pool; after that a present finding
 * leaves with probability `--remove` (archived), an absent one comes back with probability 0.3
 * (new UpdatedAt), and a finding that stays changes with probability `--change`. Unchanged
 * findings keep their UpdatedAt, as with a real scanner, so the shadow skips them.
 */
function nextScan(model: ScopeModel): IncomingFinding[] {
  scanCounter++;
  const scanMs = BASE_MS + scanCounter * 1000;
  const present = new Set<number>();
  const findings: IncomingFinding[] = [];
  for (let i = 0; i < opts.pool; i++) {
    const was = model.last.has(i);
    const seen = (model.version[i] ?? 0) > 0;
    const isPresent = !seen || (was ? random() >= opts.remove : random() < 0.3);
    if (!isPresent) continue;
    present.add(i);
    if (!seen || !was || random() < opts.change) {
      model.version[i] = (model.version[i] ?? 0) + 1;
      model.updatedMs[i] = scanMs;
    }
    findings.push({
      finding: makeFinding(model.name, i, model.version[i] ?? 1, model.updatedMs[i] ?? scanMs),
      source: `soak-scan-${scanCounter}`,
    });
  }
  model.last = present;
  model.lastFindings = findings;
  return findings;
}

// ---------------------------------------------------------------------------------------------
// Counters.

const figures = {
  scans: 0,
  importCalls: 0,
  importCallErrors: {} as Record<string, number>,
  fetchCalls: 0,
  fetchCallErrors: {} as Record<string, number>,
  retries: 0,
  throttled: 0,
  created: 0,
  updated: 0,
  unchanged: 0,
  archived: 0,
  stale: 0,
  failed: 0,
  failedByCode: {} as Record<string, number>,
  customerCalls: 0,
  customerRetries: 0,
  customerErrors: {} as Record<string, number>,
  customerFindings: 0,
  customerUnprocessed: {} as Record<string, number>,
  adminRetries: 0,
};
const bump = (counts: Record<string, number>, key: string, n = 1) => {
  counts[key] = (counts[key] ?? 0) + n;
};
const errorName = (error: unknown) => (error instanceof Error ? error.name : typeof error);

/**
 * Counts every call the pipeline makes through a sink (attempts, not runs), so the per-minute
 * rate is the rate serve sees, retries included.
 */
class CountingSink implements FindingSink {
  constructor(readonly inner: FindingSink) {}
  get description(): string {
    return this.inner.description;
  }
  get emitsEvents(): boolean {
    return this.inner.emitsEvents;
  }
  async batchImport(call: ImportCall): Promise<ImportCallResult> {
    figures.importCalls++;
    try {
      return await this.inner.batchImport(call);
    } catch (error) {
      bump(figures.importCallErrors, errorName(error));
      throw error;
    }
  }
  async fetchCurrent(keys: readonly FindingKey[]): Promise<Map<string, AwsSecurityFinding>> {
    figures.fetchCalls++;
    try {
      return await this.inner.fetchCurrent(keys);
    } catch (error) {
      bump(figures.fetchCallErrors, errorName(error));
      throw error;
    }
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Measures how long importers wait for the shared limiter, and how often it is told to slow down. */
class TimingLimiter implements RateLimiter {
  waitMs = 0;
  slowDowns = 0;
  constructor(readonly inner: InProcessRateLimiter) {}
  async acquire(accountId: string, region: string): Promise<void> {
    const start = performance.now();
    await this.inner.acquire(accountId, region);
    this.waitMs += performance.now() - start;
  }
  onThrottled(accountId: string, region: string): Promise<void> {
    this.slowDowns++;
    return this.inner.onThrottled(accountId, region);
  }
}

// ---------------------------------------------------------------------------------------------
// serve, in its own process so that its RSS is its own.

interface ServeProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /**
   * serve's live heap: the size after its last full (mark-compact) GC, from `--trace-gc`, in MB.
   * RSS moves with V8's heap sizing and fragmentation; this is the figure a leak grows.
   */
  liveHeapMb(): number | undefined;
}

/** `... Mark-Compact 150.2 (170.5) -> 120.1 (160.3) MB, ...` → 120.1 (V8's --trace-gc line). */
const MARK_COMPACT = /Mark-Compact[^>]*-> ([\d.]+) \(/;

async function startServe(): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    ["--trace-gc", join(ROOT, "bin/shadowhub.mjs"), "serve", "--port", "0", "--quota"],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    if (stderr.length > 20_000) stderr = stderr.slice(-10_000);
  });
  let liveHeapMb: number | undefined;
  let partial = "";
  let onUrl: ((url: string) => void) | undefined;
  // Read serve's stdout line by line for as long as it runs (the GC trace keeps coming).
  child.stdout?.on("data", (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      const gc = MARK_COMPACT.exec(line);
      if (gc?.[1] !== undefined) liveHeapMb = Number(gc[1]);
      const listening = /listening on (http:\/\/\S+)/.exec(line);
      if (listening?.[1] !== undefined) onUrl?.(listening[1]);
    }
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in 30 s: ${stderr}`)), 30_000);
    onUrl = (found) => {
      clearTimeout(timer);
      resolve(found);
    };
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before listening: ${stderr}`));
    });
  });
  child.on("exit", (code, signal) => {
    if (!stopping) log(`serve exited unexpectedly (code ${code}, signal ${signal}): ${stderr.slice(-2000)}`);
  });
  return { child, url, liveHeapMb: () => liveHeapMb };
}
let stopping = false;
/** The serve process, so that a failed run does not leave it behind. */
let running: ServeProcess | undefined;

async function stopServe(serve: ServeProcess): Promise<void> {
  stopping = true;
  if (serve.child.exitCode !== null) return;
  const exited = new Promise((resolve) => serve.child.once("exit", resolve));
  serve.child.kill("SIGTERM");
  await exited;
}

/**
 * A call to serve's fault admin route. Retried (up to 3 attempts) on a network error: a pooled
 * keep-alive connection that serve closes as idle just as it is reused answers ECONNRESET, and one
 * such race must not end a 10-minute run. A retried POST may arm its fault twice (counted once).
 */
async function admin(url: string, method: "GET" | "POST" | "DELETE", body?: unknown): Promise<unknown> {
  for (let attempt = 1; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(`${url}/_shadowhub/faults`, {
        method,
        ...(body === undefined
          ? {}
          : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
      });
    } catch (error) {
      if (attempt >= 3) throw error;
      figures.adminRetries++;
      continue;
    }
    if (!res.ok)
      throw new Error(`serve admin ${method} /_shadowhub/faults: HTTP ${res.status} ${await res.text()}`);
    return res.json();
  }
}

/** Faults armed, by kind and operation (calls for call faults, Ids for finding faults). */
const armed: Record<string, number> = {};

/**
 * Arms a 429 burst on BatchImportFindings: the next 1–3 calls are throttled, as when Security Hub's
 * bucket runs dry. Each burst rightly makes the shared limiter halve its rate and recover over
 * ~10 s, so how often they come decides how close to the quota the run can stay.
 */
async function armThrottleBurst(url: string): Promise<void> {
  const fault: Fault = {
    kind: "throttle",
    operation: "BatchImportFindings",
    times: 1 + Math.floor(random() * 3),
  };
  await admin(url, "POST", fault);
  bump(armed, `${fault.kind} ${fault.operation}`, fault.times ?? 1);
}

/** Arms one other fault, chosen at random; mostly on BatchImportFindings, some on the other operations. */
async function armFault(url: string, models: readonly ScopeModel[]): Promise<void> {
  const p = random();
  const someIds = (n: number) => {
    const model = pick(models);
    return Array.from({ length: n }, () => findingId(model.name, Math.floor(random() * opts.pool)));
  };
  let fault: Fault;
  if (p < 0.2)
    fault = { kind: "internal", operation: "BatchImportFindings", times: 1 + Math.floor(random() * 2) };
  else if (p < 0.34) fault = { kind: "reset", operation: "BatchImportFindings", times: 1 };
  else if (p < 0.43) fault = { kind: "timeout", operation: "BatchImportFindings", times: 1, holdMs: 3_000 };
  else if (p < 0.77) {
    fault = {
      kind: "finding",
      operation: "BatchImportFindings",
      ids: someIds(5),
      errorCode: random() < 0.5 ? "InternalFailure" : "ConcurrentUpdateError",
      errorMessage: "injected by the soak run",
    };
  } else if (p < 0.85)
    fault = { kind: random() < 0.5 ? "internal" : "reset", operation: "GetFindings", times: 1 };
  else if (p < 0.93)
    fault = { kind: random() < 0.5 ? "internal" : "throttle", operation: "BatchUpdateFindings", times: 1 };
  else {
    fault = {
      kind: "finding",
      operation: "BatchUpdateFindings",
      ids: someIds(3),
      errorCode: "InternalFailure",
      errorMessage: "injected by the soak run",
    };
  }
  await admin(url, "POST", fault);
  bump(
    armed,
    `${fault.kind} ${fault.operation}`,
    fault.kind === "finding" ? fault.ids.length : (fault.times ?? 1),
  );
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const stateDir = mkdtempSync(join(tmpdir(), "shadowhub-soak-"));
  const serve = await startServe();
  running = serve;
  const store = openSqliteShadowStore({ path: join(stateDir, "shadow.sqlite") });
  const credentials = { accessKeyId: "shadowhub-soak", secretAccessKey: "shadowhub-soak" };
  const sink = new CountingSink(
    new SecurityHubSink({ endpoint: serve.url, credentials, requestTimeoutMs: 2_000 }),
  );
  // The customer's own client: no SDK retries (the loop below retries and counts), 5 s time-out.
  const customerClient = new SecurityHubClient({
    endpoint: serve.url,
    region: REGION,
    credentials,
    maxAttempts: 1,
    requestHandler: { requestTimeout: 5_000 },
  });
  // One limiter shared by every importer: they pace against the same (account, Region) quota.
  const limiter = new TimingLimiter(new InProcessRateLimiter({ limits: REMOTE_IMPORT_LIMITS }));
  const models: ScopeModel[] = Array.from({ length: opts.scopes }, (_, i) => ({
    name: `scope-${i}`,
    version: new Array<number>(opts.pool).fill(0),
    updatedMs: new Array<number>(opts.pool).fill(0),
    last: new Set<number>(),
    lastFindings: [],
  }));
  const customer = new Map<string, CustomerValues>();
  /** Ids whose customer update ended in an error after which it is unknown whether it applied. */
  const customerUncertain = new Set<string>();

  const rss = () => ({
    serve: rssOf(serve.child.pid),
    serveLiveHeapMb: serve.liveHeapMb(),
    importer: process.memoryUsage().rss,
  });
  const heap = (m: number | undefined) => (m === undefined ? "n/a (no full GC yet)" : `${m.toFixed(0)} MB`);
  const rssStart = rss();
  log(
    `soak: ${opts.minutes} min, seed ${opts.seed}, ${opts.importers} importers, ${opts.scopes} scopes × ${opts.pool} findings (change ${opts.change}, remove ${opts.remove}), a fault every ${opts.faultEvery} s and a 429 burst every ${opts.throttleEvery} s, serve ${serve.url} (pid ${serve.child.pid}, quota on)`,
  );
  log(`RSS start: serve ${mb(rssStart.serve)}, importers ${mb(rssStart.importer)}`);
  const startMs = Date.now();
  const endMs = startMs + opts.minutes * 60_000;
  const cpuStart = process.cpuUsage();
  const rssSeries: {
    minute: number;
    serve: number | undefined;
    serveLiveHeapMb: number | undefined;
    importer: number;
  }[] = [{ minute: 0, ...rssStart }];
  const serveCpuStart = cpuOf(serve.child.pid);
  let lastMinute = { calls: 0, atMs: startMs, serveCpu: serveCpuStart, cpu: process.cpuUsage(), waitMs: 0 };
  const minuteTimer = setInterval(() => {
    const now = Date.now();
    const minute = Math.round((now - startMs) / 60_000);
    const r = rss();
    rssSeries.push({ minute, ...r });
    const spanMs = now - lastMinute.atMs;
    const rate = ((figures.importCalls - lastMinute.calls) * 1000) / spanMs;
    const serveCpu = cpuOf(serve.child.pid);
    const cpu = process.cpuUsage(lastMinute.cpu);
    const servePct =
      serveCpu === undefined || lastMinute.serveCpu === undefined
        ? "n/a"
        : `${(((serveCpu - lastMinute.serveCpu) * 1000 * 100) / spanMs).toFixed(0)}%`;
    const importerPct = `${((((cpu.user + cpu.system) / 1000) * 100) / spanMs).toFixed(0)}%`;
    const waitedS = (limiter.waitMs - lastMinute.waitMs) / 1000;
    lastMinute = {
      calls: figures.importCalls,
      atMs: now,
      serveCpu,
      cpu: process.cpuUsage(),
      waitMs: limiter.waitMs,
    };
    log(
      `minute ${minute}: BatchImportFindings ${rate.toFixed(1)}/s (${(rate / QUOTA_PER_SECOND).toFixed(2)} of the quota), RSS serve ${mb(r.serve)} (live heap ${heap(r.serveLiveHeapMb)}), importers ${mb(r.importer)} (heap ${mb(process.memoryUsage().heapUsed)}), CPU serve ${servePct}, importers ${importerPct} of a core, limiter waits ${waitedS.toFixed(0)} s, rate ${limiter.inner.currentRate(ACCOUNT, REGION).toFixed(1)}/s, scans ${figures.scans}, sent ${figures.created + figures.updated + figures.archived}`,
    );
  }, 60_000);

  let faultError: unknown;
  const faultTimer = setInterval(
    () =>
      void armFault(serve.url, models).catch((error: unknown) => {
        faultError ??= error;
      }),
    opts.faultEvery * 1000,
  );
  const throttleTimer = setInterval(
    () =>
      void armThrottleBurst(serve.url).catch((error: unknown) => {
        faultError ??= error;
      }),
    opts.throttleEvery * 1000,
  );

  const deps = { store, sink, clock: systemClock, limiter, concurrency: 4, random };
  const account = (report: Awaited<ReturnType<typeof runImport>>) => {
    figures.scans++;
    figures.retries += report.retries;
    figures.throttled += report.throttled;
    for (const k of ["created", "updated", "unchanged", "archived", "stale", "failed"] as const)
      figures[k] += report.counts[k];
    for (const [code, n] of Object.entries(report.failedByCode)) bump(figures.failedByCode, code, n);
  };

  // Importers: each owns the scopes i, i + importers, ... and scans them in turn, so a scope's
  // scans are sequential (as one scanner's are) while the importers overlap on the one limiter.
  const importer = async (offset: number) => {
    const mine = models.filter((_, i) => i % opts.importers === offset);
    for (let turn = 0; mine.length > 0 && Date.now() < endMs; turn++) {
      const model = mine[turn % mine.length] as ScopeModel;
      account(
        await runImport({ findings: nextScan(model), scope: model.name, scopeTargets: [CALLER] }, deps),
      );
    }
  };

  // The customer: every `--customer-every` s, sets Note, VerificationState and Workflow.Status on
  // 10 findings already imported. NOTIFIED/RESOLVED are left out: Security Hub resets them to NEW
  // when an archived finding comes back, and the soak's importers race the customer for that.
  const customerLoop = async () => {
    let n = 0;
    while (Date.now() < endMs) {
      await new Promise((resolve) => setTimeout(resolve, opts.customerEvery * 1000));
      const model = pick(models);
      const ids = [
        ...new Set(
          Array.from({ length: 10 }, () => Math.floor(random() * opts.pool))
            .filter((i) => (model.version[i] ?? 0) > 0)
            .map((i) => findingId(model.name, i)),
        ),
      ];
      if (ids.length === 0) continue;
      n++;
      const values: CustomerValues = {
        note: `customer note ${n}`,
        verification: pick(["TRUE_POSITIVE", "FALSE_POSITIVE", "BENIGN_POSITIVE"] as const),
        workflow: pick(["NEW", "SUPPRESSED"] as const),
      };
      let pending = ids;
      for (let attempt = 1; pending.length > 0 && attempt <= 8; attempt++) {
        if (attempt > 1) {
          figures.customerRetries++;
          await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 100 * 2 ** attempt)));
        }
        figures.customerCalls++;
        try {
          const out = await customerClient.send(
            new BatchUpdateFindingsCommand({
              FindingIdentifiers: pending.map((Id) => ({ Id, ProductArn: PRODUCT_ARN })),
              Note: { Text: values.note, UpdatedBy: "soak-customer" },
              VerificationState: values.verification,
              Workflow: { Status: values.workflow },
            }),
          );
          for (const f of out.ProcessedFindings ?? []) {
            customer.set(f.Id ?? "", { ...values });
            customerUncertain.delete(f.Id ?? "");
            figures.customerFindings++;
          }
          const retry: string[] = [];
          for (const u of out.UnprocessedFindings ?? []) {
            bump(figures.customerUnprocessed, u.ErrorCode ?? "?");
            // FindingNotFound: imported later than the model knew (or its import failed); not retried.
            if (u.ErrorCode !== "FindingNotFound") retry.push(u.FindingIdentifier?.Id ?? "");
          }
          pending = retry;
        } catch (error) {
          bump(figures.customerErrors, errorName(error));
          // A client-side time-out may come after serve applied the update: the values are unknown.
          if (errorName(error) === "TimeoutError") for (const id of pending) customerUncertain.add(id);
        }
      }
    }
  };

  await Promise.all([...Array.from({ length: opts.importers }, (_, i) => importer(i)), customerLoop()]);
  const runMs = Date.now() - startMs;
  const cpu = process.cpuUsage(cpuStart);
  const serveCpuEnd = cpuOf(serve.child.pid);
  clearInterval(faultTimer);
  clearInterval(throttleTimer);
  clearInterval(minuteTimer);
  if (faultError !== undefined) throw faultError;
  const left = (await admin(serve.url, "GET")) as { Faults: { fault: Fault; remaining: number }[] };
  const unconsumed: Record<string, number> = {};
  for (const { fault, remaining } of left.Faults)
    bump(
      unconsumed,
      `${fault.kind} ${fault.operation}`,
      fault.kind === "finding" ? fault.ids.length : remaining,
    );
  await admin(serve.url, "DELETE");
  const rssEnd = rss();

  // Settle: the next scan of each scope, unchanged, with the faults gone.
  let settleFailed = 0;
  let settleSent = 0;
  for (const model of models) {
    const report = await runImport(
      { findings: model.lastFindings, scope: model.name, scopeTargets: [CALLER] },
      deps,
    );
    settleFailed += report.counts.failed;
    settleSent += report.counts.created + report.counts.updated + report.counts.archived;
  }

  // Read Security Hub over the wire (GetFindings is 3/s: the SDK's own retries wait out the 429s).
  const reader = new SecurityHubClient({ endpoint: serve.url, region: REGION, credentials, maxAttempts: 20 });
  const stored = new Map<string, AwsSecurityFinding>();
  let duplicates = 0;
  let token: string | undefined;
  do {
    const page = await reader.send(
      new GetFindingsCommand({
        Filters: { ProductArn: [{ Value: PRODUCT_ARN, Comparison: "EQUALS" }] },
        MaxResults: 100,
        ...(token === undefined ? {} : { NextToken: token }),
      }),
    );
    for (const f of page.Findings ?? []) {
      if (stored.has(f.Id ?? "")) duplicates++;
      stored.set(f.Id ?? "", f);
    }
    token = page.NextToken ?? undefined;
  } while (token !== undefined);

  const violations: Record<string, string[]> = {};
  const violation = (kind: string, text: string) => {
    const list = violations[kind] ?? [];
    list.push(text);
    violations[kind] = list;
  };
  let checked = 0;
  const known = new Set<string>();
  for (const model of models) {
    for (let i = 0; i < opts.pool; i++) {
      if ((model.version[i] ?? 0) === 0) continue;
      const id = findingId(model.name, i);
      known.add(id);
      checked++;
      const got = stored.get(id);
      if (model.last.has(i)) {
        const want = makeFinding(model.name, i, model.version[i] ?? 0, model.updatedMs[i] ?? 0);
        if (got === undefined) violation("lost", `${id}: missing from Security Hub`);
        else if (got.RecordState !== "ACTIVE")
          violation("record-state", `${id}: ${got.RecordState}, expected ACTIVE`);
        else if (got.Title !== want.Title || got.UpdatedAt !== want.UpdatedAt)
          violation(
            "content",
            `${id}: holds "${got.Title}" @ ${got.UpdatedAt}, expected "${want.Title}" @ ${want.UpdatedAt}`,
          );
      } else if (got !== undefined && got.RecordState !== "ARCHIVED") {
        violation(
          "record-state",
          `${id}: ACTIVE, but absent from the scope's last scan (should be ARCHIVED)`,
        );
      }
      const c = customer.get(id);
      if (got !== undefined && c !== undefined && !customerUncertain.has(id)) {
        const have = {
          note: got.Note?.Text,
          verification: got.VerificationState,
          workflow: got.Workflow?.Status,
        };
        if (have.note !== c.note || have.verification !== c.verification || have.workflow !== c.workflow)
          violation(
            "customer-overwrite",
            `${id}: holds ${JSON.stringify(have)}, the customer set ${JSON.stringify(c)}`,
          );
      }
      if (got === undefined && c !== undefined)
        violation("lost", `${id}: updated by the customer, then missing`);
    }
  }
  for (const id of stored.keys()) if (!known.has(id)) violation("unexpected", `${id}: unknown to the model`);
  if (duplicates > 0) violation("duplicate", `${duplicates} finding(s) returned twice`);

  const elapsedS = runMs / 1000;
  const sent = figures.created + figures.updated + figures.archived;
  const rate = figures.importCalls / elapsedS;
  const faultsApplied = Object.fromEntries(
    Object.entries(armed).map(([k, n]) => [k, n - (unconsumed[k] ?? 0)]),
  );
  log(
    `RSS end: serve ${mb(rssEnd.serve)} (live heap ${heap(rssEnd.serveLiveHeapMb)}), importers ${mb(rssEnd.importer)} (importers' peak ${mb(process.resourceUsage().maxRSS * 1024)})`,
  );
  log(
    `RSS by minute (serve / importers): ${rssSeries.map((r) => `${r.minute}: ${mb(r.serve)} / ${mb(r.importer)}`).join(", ")}`,
  );
  log(
    `serve live heap by minute: ${rssSeries.map((r) => `${r.minute}: ${heap(r.serveLiveHeapMb)}`).join(", ")}`,
  );
  const serveCpu =
    serveCpuStart === undefined || serveCpuEnd === undefined ? undefined : serveCpuEnd - serveCpuStart;
  log(
    `serve CPU ${serveCpu === undefined ? "n/a" : `${serveCpu.toFixed(0)} s (${((serveCpu * 100) / elapsedS).toFixed(0)}% of a core)`}; importers waited ${(limiter.waitMs / 1000).toFixed(0)} s in all for the limiter, which was told to slow down ${limiter.slowDowns} times`,
  );
  log(
    `duration ${elapsedS.toFixed(0)} s; importers' CPU ${((cpu.user + cpu.system) / 1e6).toFixed(0)} s (${((cpu.user + cpu.system) / 1e4 / elapsedS).toFixed(0)}% of a core)`,
  );
  log(
    `BatchImportFindings: ${figures.importCalls} calls, ${rate.toFixed(2)}/s = ${(rate / QUOTA_PER_SECOND).toFixed(2)} of the ${QUOTA_PER_SECOND}/s quota; call errors ${JSON.stringify(figures.importCallErrors)}; ${figures.retries} retries, ${figures.throttled} throttled`,
  );
  log(
    `GetFindings for archive content: ${figures.fetchCalls} calls, errors ${JSON.stringify(figures.fetchCallErrors)}`,
  );
  log(
    `${figures.scans} scans; findings sent ${sent} (created ${figures.created}, updated ${figures.updated}, archived ${figures.archived}), unchanged skipped ${figures.unchanged}, stale ${figures.stale}, failed ${figures.failed} ${JSON.stringify(figures.failedByCode)} (resent by the next scan)`,
  );
  log(
    `customer BatchUpdateFindings: ${figures.customerCalls} calls, ${figures.customerRetries} retries, ${figures.customerFindings} findings updated, errors ${JSON.stringify(figures.customerErrors)}, unprocessed ${JSON.stringify(figures.customerUnprocessed)}, ${customerUncertain.size} left unverifiable by a time-out`,
  );
  log(`faults armed: ${JSON.stringify(armed)} (admin calls retried after a reset: ${figures.adminRetries})`);
  log(`faults applied (armed less left unconsumed at the end): ${JSON.stringify(faultsApplied)}`);
  log(
    `settle pass: ${settleSent} sent, ${settleFailed} failed; checked ${checked} findings against the model, ${stored.size} in Security Hub`,
  );
  const lost = violations.lost?.length ?? 0;
  const total = Object.values(violations).reduce((n, list) => n + list.length, 0);
  log(
    `findings lost: ${lost}; violations: ${total} ${JSON.stringify(Object.fromEntries(Object.entries(violations).map(([k, v]) => [k, v.length])))}`,
  );
  for (const [kind, list] of Object.entries(violations))
    for (const v of list.slice(0, 20)) log(`  ${kind}: ${v}`);

  reader.destroy();
  customerClient.destroy();
  await sink.close();
  await store.close();
  await stopServe(serve);
  rmSync(stateDir, { recursive: true, force: true });
  return total > 0 || settleFailed > 0 ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`soak: ${describeError(error)}\n`);
  if (running !== undefined) await stopServe(running);
  process.exitCode = 2;
}
