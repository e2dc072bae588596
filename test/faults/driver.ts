/**
 * The seeded randomized fault driver. Each sequence (see `generator.ts`) runs through the real
 * import pipeline (`runImport`) into `shadowhub serve` over HTTP with the Security Hub SDK sink,
 * with faults armed on every layer; customer BatchUpdateFindings go through the SDK too, and
 * serve's imported events reach the real customer-edits code (`recordCustomerEdits`), as the
 * deployed EventBridge rule would. After every step the checker compares Security Hub (read with
 * GetFindings over the wire) with the reference model.
 *
 * A delivery with faults is checked twice: right after it ("every input finding is in Security
 * Hub or reported failed with its reason") and, when it reported failures or never completed,
 * after a clean redelivery of the same report (the next import / SQS redelivery), which must
 * converge to the model exactly.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  type AwsSecurityFinding,
  BatchUpdateFindingsCommand,
  type BatchUpdateFindingsCommandInput,
} from "@aws-sdk/client-securityhub";
import { DynamoDbShadowStore } from "../../lambdas/adapters/dynamodb/dynamodb-shadow-store.ts";
import type { EventSink } from "../../lambdas/adapters/local-hub/event-sinks.ts";
import { InProcessRateLimiter } from "../../lambdas/adapters/memory/in-process-rate-limiter.ts";
import { MemoryShadowStore } from "../../lambdas/adapters/memory/memory-shadow-store.ts";
import { SecurityHubSink } from "../../lambdas/adapters/securityhub/securityhub-sink.ts";
import { openSqliteShadowStore } from "../../lambdas/adapters/sqlite/sqlite-shadow-store.ts";
import { formatAsffTimestamp } from "../../lambdas/core/asff/timestamp.ts";
import { ShadowhubError } from "../../lambdas/core/errors.ts";
import type { SecurityHubImportedEvent } from "../../lambdas/core/hub/contracts.ts";
import { recordCustomerEdits } from "../../lambdas/handlers/customer-edits.ts";
import {
  type ImportFailure,
  type ImportInput,
  type ImportReport,
  type ImportRunDeps,
  runImport,
} from "../../lambdas/pipeline/import-run.ts";
import { ManualClock } from "../../lambdas/ports/clock.ts";
import type { FindingSink } from "../../lambdas/ports/finding-sink.ts";
import type { ShadowStore } from "../../lambdas/ports/shadow-store.ts";
import type { TestServe } from "../helpers/serve.ts";
import { checkState, readHub, UpdatedAtWatch, type Violation } from "./checker.ts";
import { type FaultPlan, generateSequence, type Sequence, type Step } from "./generator.ts";
import {
  type BrokenVariant,
  count,
  type DynamoFaults,
  type FaultCounts,
  FaultyShadowStore,
  FaultySink,
  faultyDynamoDbClient,
  WorkerCrash,
} from "./injectors.ts";
import { type ProviderContent, ReferenceModel, type ScanReport } from "./model.ts";
import { Prng, sequencePrng } from "./prng.ts";

const REGION = "us-east-1";

/**
 * Routes serve's "Security Hub Findings - Imported" events to the customer-edits code of the
 * sequence that owns the account, as the deployed EventBridge rule → Lambda would.
 */
export class CustomerEditsRouter implements EventSink {
  readonly #targets = new Map<string, { store: ShadowStore; productArn: string }>();

  register(accountId: string, store: ShadowStore, productArn: string): void {
    this.#targets.set(accountId, { store, productArn });
  }

  unregister(accountId: string): void {
    this.#targets.delete(accountId);
  }

  async publish(events: readonly SecurityHubImportedEvent[]): Promise<void> {
    for (const event of events) {
      const target = this.#targets.get(event.account);
      if (target !== undefined) await recordCustomerEdits(event, target.store, [target.productArn]);
    }
  }
}

/** The running services a driver uses (started once per test file). */
export interface DriverServices {
  readonly serve: TestServe;
  readonly edits: CustomerEditsRouter;
  /** DynamoDB Local and a shadow table in it; without it, DynamoDB sequences use SQLite. */
  readonly dynamo?: { readonly client: DynamoDBClient; readonly tableName: string };
}

/** What to run. */
export interface DriverOptions {
  readonly seed: number;
  readonly sequences: number;
  /** Run only this sequence index (reproduction). */
  readonly only?: number;
  /** Run a deliberately broken pipeline (the checker's own test). */
  readonly variant?: BrokenVariant;
  /** 12-digit account of sequence 0; sequence i uses base + i. Keeps runs on one server apart. */
  readonly accountBase: number;
  /** Client time-out of the worker's SDK sink (injected time-outs hold the request longer). @default 250 */
  readonly requestTimeoutMs?: number;
  /** Stop after this many failed sequences. @default no limit */
  readonly stopAfterFailures?: number;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

/** One failed sequence. */
export interface SequenceFailure {
  readonly index: number;
  readonly step: number;
  /** e.g. `late delivery (once)`, `customer`. */
  readonly stepKind: string;
  readonly violations: readonly Violation[];
  readonly sequence: string;
  readonly repro: string;
}

/** Figures of a driver run. */
export interface DriverFigures {
  sequences: number;
  steps: number;
  deliveries: Record<string, number>;
  customerUpdates: number;
  clockJumps: number;
  findingsDelivered: number;
  findingsChecked: number;
  checks: number;
  stores: Record<string, number>;
  /** Wall time spent in sequences, by shadow store. */
  elapsedMsByStore: Record<string, number>;
  faultsArmed: FaultCounts;
  faultsFired: FaultCounts;
  runsThrown: number;
  cleanRedeliveries: number;
  failuresReported: Record<string, number>;
  violations: number;
  elapsedMs: number;
}

/** The result of a driver run. */
export interface DriverResult {
  readonly figures: DriverFigures;
  readonly failures: readonly SequenceFailure[];
}

type StoreKind = "memory" | "sqlite" | "dynamodb";

/** Which shadow store sequence `index` uses: mostly in-memory, some SQLite, a smaller share DynamoDB Local. */
export function storeKindOf(index: number, dynamo: boolean): StoreKind {
  if (dynamo && index % 7 === 3) return "dynamodb";
  if (index % 4 === 1) return "sqlite";
  return "memory";
}

/** The ASFF finding a scanner reports for `id` in `scan`. */
export function renderFinding(
  accountId: string,
  productArn: string,
  id: string,
  c: ProviderContent,
  scan: ScanReport,
): AwsSecurityFinding {
  const at = formatAsffTimestamp(scan.timeMs);
  const severity = { Label: c.severity, Original: c.severity.toLowerCase() };
  return {
    SchemaVersion: "2018-10-08",
    Id: id,
    ProductArn: productArn,
    GeneratorId: "fault-driver/rule",
    AwsAccountId: accountId,
    CreatedAt: at,
    UpdatedAt: at,
    Title: c.title,
    Description: c.description,
    ...(c.severityForm === "fpf" ? {} : { Severity: severity, Types: [...c.types] }),
    ...(c.severityForm === "top"
      ? {}
      : { FindingProviderFields: { Severity: severity, Types: [...c.types] } }),
    Resources: [{ Type: "Other", Id: c.resourceId }],
  };
}

/** A one-line-per-step description of a sequence (printed with a failure). */
export function describeSequence(seq: Sequence): string {
  return seq.steps
    .map((s, i) => {
      if (s.kind === "customer") return `${i}: customer BatchUpdateFindings ${JSON.stringify(s.update)}`;
      if (s.kind === "clock") return `${i}: clock +${s.advanceMs / 86_400_000} days`;
      const f = [...s.scan.findings]
        .map(([id, c]) => `${id}:${c.title.slice(-4)}/${c.severity[0]}`)
        .join(" ");
      return `${i}: deliver ${s.scan.name} (${s.label}, ${s.mode}, ${s.scan.scope}, ${formatAsffTimestamp(s.scan.timeMs)}) [${f}] faults ${JSON.stringify(s.faults)}`;
    })
    .join("\n");
}

function emptyFigures(): DriverFigures {
  return {
    sequences: 0,
    steps: 0,
    deliveries: {},
    customerUpdates: 0,
    clockJumps: 0,
    findingsDelivered: 0,
    findingsChecked: 0,
    checks: 0,
    stores: {},
    elapsedMsByStore: {},
    faultsArmed: {},
    faultsFired: {},
    runsThrown: 0,
    cleanRedeliveries: 0,
    failuresReported: {},
    violations: 0,
    elapsedMs: 0,
  };
}

/** Serve faults of a plan, as `serve.faults.add` takes them, with the kind name they are counted under. */
function serveFaults(plan: FaultPlan): { name: string; fault: Parameters<TestServe["faults"]["add"]>[0] }[] {
  const out: { name: string; fault: Parameters<TestServe["faults"]["add"]>[0] }[] = [];
  const op = (any: boolean) => (any ? {} : { operation: "BatchImportFindings" as const });
  if (plan.throttle)
    out.push({
      name: "429 throttle",
      fault: { kind: "throttle", times: plan.throttle.times, ...op(plan.throttle.anyOperation) },
    });
  if (plan.internal)
    out.push({
      name: "500 internal",
      fault: { kind: "internal", times: plan.internal.times, ...op(plan.internal.anyOperation) },
    });
  if (plan.timeout)
    out.push({
      name: "time-out",
      fault: { kind: "timeout", times: plan.timeout.times, holdMs: 1_000, operation: "BatchImportFindings" },
    });
  if (plan.reset) out.push({ name: "connection reset", fault: { kind: "reset", times: plan.reset.times } });
  for (const f of plan.findingErrors ?? []) {
    out.push({
      name: `FailedFindings ${f.errorCode}`,
      fault: {
        kind: "finding",
        operation: "BatchImportFindings",
        ids: f.ids,
        errorCode: f.errorCode,
        times: f.times,
        errorMessage: `injected ${f.errorCode}`,
      },
    });
  }
  return out;
}

/** Runs one sequence; returns its violations (empty when it passed). */
async function runSequence(
  services: DriverServices,
  options: DriverOptions,
  index: number,
  figures: DriverFigures,
): Promise<SequenceFailure | undefined> {
  const prng = sequencePrng(options.seed, index);
  const jitter = prng.fork("jitter");
  const kind = storeKindOf(index, services.dynamo !== undefined);
  const seq = generateSequence(
    prng.fork("sequence"),
    { dynamo: kind === "dynamodb" },
    Date.UTC(2026, 0, 1) + index * 3_600_000,
  );
  const accountId = String(options.accountBase + index).padStart(12, "0");
  const productArn = `arn:aws:securityhub:${REGION}:${accountId}:product/${accountId}/default`;
  const fired: FaultCounts = {};
  const dynamoFaults: DynamoFaults = { remaining: 0 };
  const sleep = async (ms: number) => {
    clock.advance(ms);
  };
  const clock = new ManualClock(Date.UTC(2026, 2, 1));
  let base: ShadowStore;
  let editsStore: ShadowStore;
  let dir: string | undefined;
  if (kind === "dynamodb" && services.dynamo) {
    const retry = { sleep, random: () => jitter.next() };
    base = new DynamoDbShadowStore({
      client: faultyDynamoDbClient(services.dynamo.client, dynamoFaults, fired),
      tableName: services.dynamo.tableName,
      retry,
    });
    editsStore = new DynamoDbShadowStore({
      client: services.dynamo.client,
      tableName: services.dynamo.tableName,
    });
  } else if (kind === "sqlite") {
    dir = mkdtempSync(join(tmpdir(), "shadowhub-faults-"));
    base = openSqliteShadowStore({ path: join(dir, "shadow.sqlite") });
    editsStore = base;
  } else {
    base = new MemoryShadowStore();
    editsStore = base;
  }
  figures.stores[kind] = (figures.stores[kind] ?? 0) + 1;
  const sequenceStarted = performance.now();
  const store = new FaultyShadowStore(base, fired);
  services.edits.register(accountId, editsStore, productArn);
  const credentials = { accessKeyId: accountId, secretAccessKey: "fault-driver" };
  const sdkSink = (timeoutMs: number) =>
    new SecurityHubSink({ endpoint: services.serve.url, credentials, requestTimeoutMs: timeoutMs });
  const worker = new FaultySink(sdkSink(options.requestTimeoutMs ?? 250), fired, options.variant);
  const twin = new FaultySink(sdkSink(options.requestTimeoutMs ?? 250), fired, options.variant);
  const clean = new FaultySink(sdkSink(30_000), fired, options.variant);
  const client = services.serve.client({ accessKeyId: accountId, maxAttempts: 3 });
  const limiter = new InProcessRateLimiter({ clock, sleep });
  const model = new ReferenceModel();
  const watch = new UpdatedAtWatch();
  const history: ScanReport[] = [];
  const deps = (sink: FindingSink, concurrency: number): ImportRunDeps => ({
    store,
    sink,
    clock,
    limiter,
    sleep,
    random: () => jitter.next(),
    newEventId: () => `event-${jitter.nextUint32()}`,
    concurrency,
  });

  const check = async (excused: readonly ImportFailure[]): Promise<Violation[]> => {
    const hub = await readHub(client, productArn);
    const expected = model.expected();
    figures.checks++;
    figures.findingsChecked += expected.size;
    return [...checkState(expected, hub, history, excused), ...watch.check(hub)];
  };

  /** Runs the import until it completes (a thrown run is redelivered, as SQS would). */
  const runUntilDone = async (
    input: ImportInput,
    sink: FindingSink,
    concurrency: number,
  ): Promise<ImportReport | undefined> => {
    for (let attempt = 1; attempt <= 6; attempt++) {
      try {
        return await runImport(input, deps(sink, concurrency));
      } catch (error) {
        if (!(error instanceof WorkerCrash || error instanceof ShadowhubError)) throw error;
        figures.runsThrown++;
      }
    }
    return undefined;
  };

  const deliver = async (step: Extract<Step, { kind: "deliver" }>): Promise<Violation[]> => {
    const scan = step.scan;
    history.push(scan);
    model.deliver(scan);
    figures.deliveries[step.label] =
      (figures.deliveries[step.label] ?? 0) + (step.mode === "concurrent-twin" ? 2 : 1);
    if (step.mode === "concurrent-twin") count(figures.faultsArmed, "concurrent duplicate delivery");
    if (step.label === "duplicate") count(figures.faultsArmed, "duplicate delivery");
    if (step.label === "late") count(figures.faultsArmed, "out-of-order (late) delivery");
    figures.findingsDelivered += scan.findings.size;
    const input: ImportInput = {
      findings: [...scan.findings].map(([id, c]) => ({
        finding: renderFinding(accountId, productArn, id, c, scan),
        source: `${scan.name}.json`,
      })),
      scope: scan.scope,
      scopeTargets: [{ accountId, region: REGION }],
      // The scanner's report time, as the front ends pass it (an empty report has no other).
      reportTimeMs: scan.timeMs,
    };
    // Arm.
    const armed = serveFaults(step.faults);
    for (const a of armed) {
      services.serve.faults.add(a.fault);
      count(figures.faultsArmed, a.name, a.fault.times ?? 1);
    }
    worker.arm(step.faults.lostAnswers ?? 0);
    twin.arm(0);
    store.arm(step.faults);
    dynamoFaults.remaining = step.faults.dynamoThroughput ?? 0;
    for (const [name, n] of [
      ["answer lost after Security Hub applied the call", step.faults.lostAnswers],
      ["shadow conditional-check conflict (armed commits)", step.faults.commitConflicts],
      [
        `store throughput error (${step.faults.storeThroughput?.operation})`,
        step.faults.storeThroughput?.times,
      ],
      ["worker killed between send and commit", step.faults.crashBeforeCommit ? 1 : 0],
      ["DynamoDB ProvisionedThroughputExceededException", step.faults.dynamoThroughput],
    ] as const) {
      count(figures.faultsArmed, name, n ?? 0);
    }
    // Run.
    let reports: (ImportReport | undefined)[];
    try {
      if (step.mode === "concurrent-twin") {
        reports = await Promise.all([
          runUntilDone(input, worker, step.concurrency),
          runUntilDone(input, twin, step.concurrency),
        ]);
      } else {
        reports = [await runUntilDone(input, worker, step.concurrency)];
      }
    } finally {
      // What did not fire is not counted as injected.
      const left = new Map<unknown, number>(services.serve.faults.list().map((l) => [l.fault, l.remaining]));
      for (const a of armed) count(fired, a.name, (a.fault.times ?? 1) - (left.get(a.fault) ?? 0));
      services.serve.faults.clear();
      worker.arm(0);
      store.disarm();
      dynamoFaults.remaining = 0;
    }
    const done = reports.filter((r): r is ImportReport => r !== undefined);
    const failures = done.flatMap((r) => r.failures);
    for (const f of failures)
      figures.failuresReported[f.errorCode] = (figures.failuresReported[f.errorCode] ?? 0) + 1;
    const violations: Violation[] = [];
    for (const f of failures) {
      if (f.findingId === undefined || f.errorCode === "" || f.message === "") {
        violations.push({
          kind: "lost",
          ...(f.findingId ? { findingId: f.findingId } : {}),
          message: `failure without a reason: ${JSON.stringify(f)}`,
        });
      }
    }
    if (done.length === reports.length) violations.push(...(await check(failures)));
    if (violations.length > 0) return violations;
    if (failures.length > 0 || done.length < reports.length) {
      // The next import (or SQS redelivery) of the same report, with the faults gone.
      figures.cleanRedeliveries++;
      const again = await runUntilDone(input, clean, 1);
      if (again === undefined || again.failures.length > 0) {
        return [
          {
            kind: "not-converged",
            message: `a clean redelivery of ${scan.name} still failed: ${JSON.stringify(again?.failures ?? "threw")}`,
          },
        ];
      }
      return check([]);
    }
    return [];
  };

  const customer = async (step: Extract<Step, { kind: "customer" }>): Promise<Violation[]> => {
    const u = step.update;
    figures.customerUpdates++;
    const input: BatchUpdateFindingsCommandInput = {
      FindingIdentifiers: u.ids.map((Id) => ({ Id, ProductArn: productArn })),
      ...(u.severity === undefined ? {} : { Severity: { Label: u.severity } }),
      ...(u.types === undefined ? {} : { Types: [...u.types] }),
      ...(u.workflow === undefined ? {} : { Workflow: { Status: u.workflow } }),
      ...(u.note === undefined ? {} : { Note: { Text: u.note, UpdatedBy: "analyst" } }),
      ...(u.verification === undefined ? {} : { VerificationState: u.verification }),
    };
    const out = await client.send(new BatchUpdateFindingsCommand(input));
    const processed = (out.ProcessedFindings ?? []).map((f) => f.Id ?? "");
    model.customerUpdate({ ...u, ids: processed });
    const violations: Violation[] = (out.UnprocessedFindings ?? []).map((f) => ({
      kind: "lost" as const,
      findingId: f.FindingIdentifier?.Id ?? "",
      message: `BatchUpdateFindings: ${f.ErrorCode}: ${f.ErrorMessage}`,
    }));
    return [...violations, ...(await check([]))];
  };

  try {
    for (const [i, step] of seq.steps.entries()) {
      figures.steps++;
      clock.advance(60_000);
      let violations: Violation[];
      if (step.kind === "deliver") violations = await deliver(step);
      else if (step.kind === "customer") violations = await customer(step);
      else {
        figures.clockJumps++;
        clock.advance(step.advanceMs);
        violations = [];
      }
      if (violations.length > 0) {
        figures.violations += violations.length;
        return {
          index,
          step: i,
          stepKind: step.kind === "deliver" ? `${step.label} delivery (${step.mode})` : step.kind,
          violations,
          sequence: `store ${kind}, account ${accountId}\n${describeSequence(seq)}`,
          repro: `SHADOWHUB_FAULT_SEED=${options.seed} SHADOWHUB_FAULT_ONLY=${index} npm run test:faults   # or: node scripts/run-tests.mjs test/faults`,
        };
      }
    }
    return undefined;
  } finally {
    for (const [k, n] of Object.entries(fired)) count(figures.faultsFired, k, n);
    count(figures.elapsedMsByStore, kind, Math.round(performance.now() - sequenceStarted));
    services.edits.unregister(accountId);
    await worker.close();
    await twin.close();
    await clean.close();
    client.destroy();
    await base.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `options.sequences` sequences (or only `options.only`); never throws on a violation. */
export async function runFaultDriver(
  services: DriverServices,
  options: DriverOptions,
): Promise<DriverResult> {
  const figures = emptyFigures();
  const failures: SequenceFailure[] = [];
  const started = performance.now();
  const indexes =
    options.only === undefined ? Array.from({ length: options.sequences }, (_, i) => i) : [options.only];
  for (const index of indexes) {
    figures.sequences++;
    const failure = await runSequence(services, options, index, figures);
    if (failure !== undefined) {
      failures.push(failure);
      options.log?.(`sequence ${index}: ${failure.violations.length} violation(s) at step ${failure.step}`);
      if (failures.length >= (options.stopAfterFailures ?? Number.POSITIVE_INFINITY)) break;
    }
  }
  figures.elapsedMs = Math.round(performance.now() - started);
  return { figures, failures };
}

/** One line per failed sequence: where it broke and which kinds of promise. */
export function summarizeFailures(failures: readonly SequenceFailure[]): string {
  return failures
    .map((f) => {
      const kinds = [...new Set(f.violations.map((v) => v.kind))].join(", ");
      return `  sequence ${f.index}, step ${f.step} (${f.stepKind}): ${kinds}`;
    })
    .join("\n");
}

/** Formats a failure for the test output: seed, index, the violations, the sequence and the command. */
export function formatFailure(seed: number, f: SequenceFailure): string {
  const lines = f.violations
    .slice(0, 12)
    .map((v) => `  - ${v.kind}${v.findingId ? ` ${v.findingId}` : ""}: ${v.message}`);
  return [
    `seed ${seed}, sequence ${f.index}, step ${f.step}: ${f.violations.length} violation(s)`,
    ...lines,
    `sequence:\n${f.sequence}`,
    `reproduce: ${f.repro}`,
  ].join("\n");
}

/** Parses the driver's environment overrides. */
export function driverEnv(env: Readonly<Record<string, string | undefined>>): {
  seed: number;
  sequences: number;
  only?: number;
} {
  const int = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name}=${raw}: expected a non-negative integer`);
    return n;
  };
  const only = env.SHADOWHUB_FAULT_ONLY;
  return {
    seed: int("SHADOWHUB_FAULT_SEED", 20261125),
    sequences: int("SHADOWHUB_FAULT_SEQUENCES", 200),
    ...(only === undefined || only === "" ? {} : { only: int("SHADOWHUB_FAULT_ONLY", 0) }),
  };
}

export { Prng };
