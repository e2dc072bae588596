/**
 * Soak run (a script, not CI): `shadowhub serve` with Security Hub's quota on (10 calls/s, burst
 * 30) and faults armed all along (429 bursts, 500s, time-outs, connection resets, per-finding
 * failures), fed by the real import pipeline (SQLite shadow, SecurityHubSink over HTTP, in-process
 * limiter, 4 calls in flight) with seeded random scans of several scopes: adds, changes, removals.
 *
 * Prints RSS at the start, every minute and at the end, calls made, findings imported and errors by
 * kind. At the end the faults are cleared, each scope's last scan is imported once more (what the
 * next real scan would do), and Security Hub's state is compared with the model of what it must
 * hold: every finding of a scope's last scan ACTIVE with that scan's Title and UpdatedAt, every
 * other finding ever imported ARCHIVED. Any difference is a lost finding: exit status 1.
 *
 * Usage: node --import tsx scripts/soak.ts [--minutes 10] [--seed 1] [--scopes 8] [--pool 400] [--workers 4]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { InProcessRateLimiter } from "../lambdas/adapters/memory/in-process-rate-limiter.ts";
import { SecurityHubSink } from "../lambdas/adapters/securityhub/securityhub-sink.ts";
import { openSqliteShadowStore } from "../lambdas/adapters/sqlite/sqlite-shadow-store.ts";
import { systemClock } from "../lambdas/adapters/system-clock.ts";
import type { IncomingFinding } from "../lambdas/core/pipeline/plan.ts";
import { runImport } from "../lambdas/pipeline/import-run.ts";
import { REMOTE_IMPORT_LIMITS } from "../lambdas/pipeline/targets.ts";
import type { Fault } from "../lambdas/serve/faults.ts";
import { startServer } from "../lambdas/serve/server.ts";

const ACCOUNT = "123456789012";
const REGION = "us-east-1";
const PRODUCT_ARN = `arn:aws:securityhub:${REGION}:${ACCOUNT}:product/${ACCOUNT}/default`;
const CALLER = { accountId: ACCOUNT, region: REGION };

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    seed: { type: "string", default: "1" },
    scopes: { type: "string", default: "8" },
    pool: { type: "string", default: "400" },
    workers: { type: "string", default: "4" },
  },
});
const minutes = Number(values.minutes);
const seed = Number(values.seed);
const scopeCount = Number(values.scopes);
const poolSize = Number(values.pool);
const workers = Number(values.workers);
for (const [name, n] of Object.entries({ minutes, seed, scopes: scopeCount, pool: poolSize, workers })) {
  if (!Number.isFinite(n) || n <= 0) {
    process.stderr.write(`soak: --${name} must be a positive number\n`);
    process.exit(2);
  }
}

/** mulberry32: small, seeded, good enough to pick scans and faults reproducibly. */
function prng(s: number): () => number {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(seed);

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const log = (line: string) => process.stdout.write(`[${new Date().toISOString()}] ${line}\n`);

/** The model: per scope, the version of each pool finding and whether the last scan holds it. */
interface ScopeModel {
  readonly name: string;
  /** Per pool index: version (bumped on change), 0 = never sent. */
  readonly version: number[];
  /** Pool indexes in the last scan sent. */
  last: Set<number>;
  /** The last scan's findings, for the settle pass. */
  lastFindings: IncomingFinding[];
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

/** The next scan of a scope: ~85% of the pool present, ~25% of those changed. */
function nextScan(model: ScopeModel): IncomingFinding[] {
  scanCounter++;
  const updatedMs = BASE_MS + scanCounter * 1000;
  const present = new Set<number>();
  const findings: IncomingFinding[] = [];
  for (let i = 0; i < poolSize; i++) {
    if (random() >= 0.85) continue;
    present.add(i);
    const current = model.version[i] ?? 0;
    // A finding back after an absence was archived: it comes back with a new UpdatedAt.
    const changed = current === 0 || !model.last.has(i) || random() < 0.25;
    if (changed) model.version[i] = current + 1;
    const version = model.version[i] ?? 1;
    // Unchanged findings keep their UpdatedAt: the shadow skips them, as with a real scanner.
    findings.push({
      finding: makeFinding(
        model.name,
        i,
        version,
        changed ? updatedMs : (lastUpdated.get(findingId(model.name, i)) ?? updatedMs),
      ),
      source: `soak-scan-${scanCounter}`,
    });
    if (changed) lastUpdated.set(findingId(model.name, i), updatedMs);
  }
  model.last = present;
  model.lastFindings = findings;
  return findings;
}
const lastUpdated = new Map<string, number>();

/** Faults armed during the run, by kind. */
const injected: Record<string, number> = {};
function armFaults(server: Awaited<ReturnType<typeof startServer>>, models: ScopeModel[]): void {
  const pick = random();
  let fault: Fault;
  if (pick < 0.3)
    fault = { kind: "throttle", operation: "BatchImportFindings", times: 1 + Math.floor(random() * 4) };
  else if (pick < 0.5)
    fault = { kind: "internal", operation: "BatchImportFindings", times: 1 + Math.floor(random() * 2) };
  else if (pick < 0.65) fault = { kind: "reset", operation: "BatchImportFindings", times: 1 };
  else if (pick < 0.75)
    fault = { kind: "timeout", operation: "BatchImportFindings", times: 1, holdMs: 3_000 };
  else {
    const model = models[Math.floor(random() * models.length)] ?? models[0];
    const ids = Array.from({ length: 5 }, () =>
      findingId(model?.name ?? "", Math.floor(random() * poolSize)),
    );
    fault = {
      kind: "finding",
      operation: "BatchImportFindings",
      ids,
      errorCode: random() < 0.5 ? "InternalFailure" : "ConcurrentUpdateError",
      errorMessage: "injected by the soak run",
    };
  }
  server.faults.add(fault);
  injected[fault.kind] =
    (injected[fault.kind] ?? 0) + (fault.kind === "finding" ? fault.ids.length : (fault.times ?? 1));
}

async function main(): Promise<number> {
  const stateDir = mkdtempSync(join(tmpdir(), "shadowhub-soak-"));
  const server = await startServer({ port: 0, quota: true, log: () => {} });
  const store = openSqliteShadowStore({ path: join(stateDir, "shadow.sqlite") });
  const sink = new SecurityHubSink({
    endpoint: server.url,
    credentials: { accessKeyId: "shadowhub-soak", secretAccessKey: "shadowhub-soak" },
    requestTimeoutMs: 2_000,
  });
  const limiter = new InProcessRateLimiter({ limits: REMOTE_IMPORT_LIMITS });
  const models: ScopeModel[] = Array.from({ length: scopeCount }, (_, i) => ({
    name: `scope-${i}`,
    version: new Array<number>(poolSize).fill(0),
    last: new Set<number>(),
    lastFindings: [],
  }));
  const totals = {
    scans: 0,
    apiCalls: 0,
    retries: 0,
    throttled: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    archived: 0,
    stale: 0,
    failed: 0,
  };
  const failedByCode: Record<string, number> = {};
  const rssStart = process.memoryUsage().rss;
  log(
    `soak: ${minutes} min, seed ${seed}, ${scopeCount} scopes × ${poolSize} findings, serve ${server.url} (quota on, faults on)`,
  );
  log(`RSS start ${mb(rssStart)}`);
  const startMs = Date.now();
  const endMs = startMs + minutes * 60_000;
  const minuteTimer = setInterval(() => {
    const m = Math.round((Date.now() - startMs) / 60_000);
    log(
      `minute ${m}: RSS ${mb(process.memoryUsage().rss)}, heap ${mb(process.memoryUsage().heapUsed)}, scans ${totals.scans}, calls ${totals.apiCalls}, imported ${totals.created + totals.updated + totals.archived}`,
    );
  }, 60_000);
  // One fault every 2 s on average: enough to hit most scans, few enough for retries to win.
  const faultTimer = setInterval(() => armFaults(server, models), 2_000);

  const deps = {
    store,
    sink,
    clock: systemClock,
    limiter,
    concurrency: 4,
    // Soak's own backoff jitter, seeded like the rest.
    random,
  };
  const account = (report: Awaited<ReturnType<typeof runImport>>) => {
    totals.scans++;
    totals.apiCalls += report.apiCalls;
    totals.retries += report.retries;
    totals.throttled += report.throttled;
    for (const k of ["created", "updated", "unchanged", "archived", "stale", "failed"] as const)
      totals[k] += report.counts[k];
    for (const [code, n] of Object.entries(report.failedByCode))
      failedByCode[code] = (failedByCode[code] ?? 0) + n;
  };

  // Several workers, each scanning its own scopes in turn, so calls overlap like parallel pipelines.
  const worker = async (offset: number) => {
    let turn = offset;
    while (Date.now() < endMs) {
      const model = models[turn % models.length];
      turn += workers;
      if (model === undefined) continue;
      const report = await runImport(
        { findings: nextScan(model), scope: model.name, scopeTargets: [CALLER] },
        deps,
      );
      account(report);
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, i) => worker(i)));
  clearInterval(faultTimer);
  clearInterval(minuteTimer);
  server.faults.clear();

  // Settle: the next scan of each scope, unchanged, with the faults gone.
  let settleFailed = 0;
  for (const model of models) {
    const report = await runImport(
      { findings: model.lastFindings, scope: model.name, scopeTargets: [CALLER] },
      deps,
    );
    settleFailed += report.counts.failed;
    totals.apiCalls += report.apiCalls;
  }

  // Compare Security Hub's state with the model.
  const stored = new Map<string, AwsSecurityFinding>();
  let token: string | undefined;
  do {
    const page = await server.hub.getFindings(
      {
        Filters: { Id: [{ Value: "soak/", Comparison: "PREFIX" }] },
        MaxResults: 100,
        ...(token === undefined ? {} : { NextToken: token }),
      },
      CALLER,
    );
    for (const f of page.Findings ?? []) stored.set(f.Id ?? "", f);
    token = page.NextToken ?? undefined;
  } while (token !== undefined);
  const violations: string[] = [];
  let checked = 0;
  for (const model of models) {
    const expected = new Map(model.lastFindings.map((f) => [f.finding.Id ?? "", f.finding]));
    for (let i = 0; i < poolSize; i++) {
      const id = findingId(model.name, i);
      if ((model.version[i] ?? 0) === 0) continue;
      checked++;
      const got = stored.get(id);
      const want = expected.get(id);
      if (want !== undefined) {
        if (got === undefined) violations.push(`${id}: missing from Security Hub`);
        else if (got.RecordState !== "ACTIVE") violations.push(`${id}: ${got.RecordState}, expected ACTIVE`);
        else if (got.Title !== want.Title || got.UpdatedAt !== want.UpdatedAt)
          violations.push(
            `${id}: holds "${got.Title}" @ ${got.UpdatedAt}, expected "${want.Title}" @ ${want.UpdatedAt}`,
          );
      } else if (got !== undefined && got.RecordState !== "ARCHIVED") {
        violations.push(`${id}: ACTIVE, but absent from the scope's last scan (should be ARCHIVED)`);
      }
    }
  }
  const extra = [...stored.keys()].filter((id) => !models.some((m) => id.startsWith(`soak/${m.name}/`)));
  for (const id of extra) violations.push(`${id}: not in any scope`);

  const rssEnd = process.memoryUsage().rss;
  const elapsed = (Date.now() - startMs) / 1000;
  log(`RSS end ${mb(rssEnd)} (start ${mb(rssStart)}, peak ${mb(process.resourceUsage().maxRSS * 1024)})`);
  log(
    `${totals.scans} scans in ${elapsed.toFixed(0)} s; BatchImportFindings calls ${totals.apiCalls} (${(totals.apiCalls / elapsed).toFixed(1)}/s), retries ${totals.retries}, throttled ${totals.throttled}`,
  );
  log(
    `findings: created ${totals.created}, updated ${totals.updated}, archived ${totals.archived}, unchanged ${totals.unchanged}, stale ${totals.stale}, failed ${totals.failed} (then resent by the next scan)`,
  );
  log(`failed findings by code: ${JSON.stringify(failedByCode)}`);
  log(`faults injected by kind: ${JSON.stringify(injected)}`);
  log(
    `settle pass: ${settleFailed} failed; checked ${checked} findings against the model, ${stored.size} in Security Hub`,
  );
  await sink.close();
  await store.close();
  await server.close();
  rmSync(stateDir, { recursive: true, force: true });
  if (violations.length > 0 || settleFailed > 0) {
    log(`LOST OR WRONG: ${violations.length} finding(s)`);
    for (const v of violations.slice(0, 50)) log(`  ${v}`);
    return 1;
  }
  log("violations: 0");
  return 0;
}

process.exitCode = await main();
