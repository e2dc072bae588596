/**
 * Generates one randomized sequence of steps for the fault driver: scans (adds, changes,
 * removals, reappearances, scope switches, empty scans), customer BatchUpdateFindings, duplicate
 * and late deliveries, crash-and-rerun, concurrent twin deliveries — and the faults to inject
 * into each delivery. Pure: the same PRNG state always gives the same sequence.
 */
import {
  type CustomerUpdate,
  type ProviderContent,
  type ScanReport,
  SEVERITY_LABELS,
  type SeverityForm,
  sameContent,
  VERIFICATION_STATES,
  WORKFLOW_STATUSES,
} from "./model.ts";
import type { Prng } from "./prng.ts";

/** ASFF finding types the generated scanners and customers use. */
export const FINDING_TYPES = [
  "Software and Configuration Checks/Vulnerabilities/CVE",
  "Software and Configuration Checks/Industry and Regulatory Standards",
  "Effects/Data Exposure",
  "Unusual Behaviors/Application",
] as const;

/** Per-finding error codes injected into BatchImportFindings answers, with how the pipeline must treat them. */
export const FINDING_ERROR_CODES = [
  "InternalFailure",
  "ThrottlingException",
  "InvalidInput",
  "InvalidAccess",
] as const;
export type FindingErrorCode = (typeof FINDING_ERROR_CODES)[number];

/** Where a store fault fires. */
export type StoreOperation = "getMany" | "commit" | "listActiveInScope";

/** The faults armed for one delivery. Counts are upper bounds: a fault fires only if its call happens. */
export interface FaultPlan {
  /** 429 `TooManyRequestsException` for the next N calls (`operation` undefined: any operation, GetFindings too). */
  readonly throttle?: { readonly times: number; readonly anyOperation: boolean };
  /** 500 `InternalException`. */
  readonly internal?: { readonly times: number; readonly anyOperation: boolean };
  /** The server holds the request past the client's time-out. */
  readonly timeout?: { readonly times: number };
  /** The server destroys the connection without answering. */
  readonly reset?: { readonly times: number };
  /** Given findings fail in `FailedFindings` with `errorCode`. */
  readonly findingErrors?: readonly {
    readonly ids: readonly string[];
    readonly errorCode: FindingErrorCode;
    readonly times: number;
  }[];
  /** Security Hub applies the call but the answer is lost (the client sees a transient error). */
  readonly lostAnswers?: number;
  /** A twin worker commits the same shadow records just before ours (conditional-check conflict). */
  readonly commitConflicts?: number;
  /** The shadow store answers with a throughput (throttling) error. */
  readonly storeThroughput?: { readonly operation: StoreOperation; readonly times: number };
  /** The worker dies between the send and the commit of a batch (once). */
  readonly crashBeforeCommit?: boolean;
  /** DynamoDB answers `ProvisionedThroughputExceededException` to the next N requests (DynamoDB sequences). */
  readonly dynamoThroughput?: number;
}

/** How a scan is delivered. */
export type DeliveryMode = "once" | "concurrent-twin";

/** One step of a sequence. */
export type Step =
  | {
      readonly kind: "deliver";
      readonly scan: ScanReport;
      readonly faults: FaultPlan;
      readonly mode: DeliveryMode;
      /** Why this delivery exists: `new`, `duplicate`, `late`, ... (for figures and messages). */
      readonly label: "new" | "duplicate" | "late" | "early";
      /** Pipeline `concurrency` (BatchImportFindings calls in flight). */
      readonly concurrency: number;
    }
  | { readonly kind: "customer"; readonly update: CustomerUpdate }
  | { readonly kind: "clock"; readonly advanceMs: number };

/** Generator knobs. */
export interface GeneratorOptions {
  /** Whether DynamoDB client faults may be armed. */
  readonly dynamo: boolean;
}

/** A generated sequence. */
export interface Sequence {
  readonly steps: readonly Step[];
  readonly scopes: readonly string[];
  /** Every finding Id the sequence may use. */
  readonly ids: readonly string[];
}

const DAY_MS = 86_400_000;

class ScanFactory {
  readonly #current = new Map<string, Map<string, ProviderContent>>();
  readonly #ids: readonly string[];
  #time: number;
  #count = 0;
  #version = 0;

  constructor(
    private readonly prng: Prng,
    ids: readonly string[],
    startMs: number,
  ) {
    this.#ids = ids;
    this.#time = startMs;
  }

  /** What the latest scan of each scope saw. */
  snapshot(scope: string): Map<string, ProviderContent> {
    return new Map(this.#current.get(scope) ?? []);
  }

  content(id: string): ProviderContent {
    const p = this.prng;
    this.#version++;
    return {
      title: `Finding ${id} (${p.pick(["open port", "outdated package", "weak cipher", "public bucket"])})`,
      description: `Seen by the scanner, revision ${this.#version}`,
      severity: p.pick(SEVERITY_LABELS),
      severityForm: p.pick<SeverityForm>(["fpf", "fpf", "top", "both"]),
      types: [p.pick(FINDING_TYPES)],
      resourceId: `arn:aws:s3:::bucket-${p.int(1, 4)}`,
    };
  }

  /** A changed copy of `c`: one or two attributes differ. */
  changed(c: ProviderContent): ProviderContent {
    const p = this.prng;
    let out = c;
    for (let n = p.int(1, 2); n > 0 || sameContent(out, c); n--) {
      this.#version++;
      const what = p.pick(["title", "description", "severity", "form", "types", "resource"] as const);
      if (what === "title") out = { ...out, title: `${c.title.replace(/ v\d+$/, "")} v${this.#version}` };
      else if (what === "description") out = { ...out, description: `Revised, revision ${this.#version}` };
      else if (what === "severity") out = { ...out, severity: p.pick(SEVERITY_LABELS) };
      else if (what === "form") out = { ...out, severityForm: p.pick<SeverityForm>(["fpf", "top", "both"]) };
      else if (what === "types") out = { ...out, types: [p.pick(FINDING_TYPES)] };
      else out = { ...out, resourceId: `arn:aws:s3:::bucket-${p.int(1, 9)}` };
    }
    return out;
  }

  /** The owner scope of each Id across the latest scans (the scope that last reported it). */
  #presentElsewhere(scope: string): [string, string][] {
    const out: [string, string][] = [];
    for (const [s, findings] of this.#current) {
      if (s === scope) continue;
      for (const id of findings.keys()) out.push([s, id]);
    }
    return out;
  }

  /**
   * The next scan of `scope`, derived from its previous scan. `allowSwitch` may move a finding
   * from another scope; `nonEmpty` keeps at least one finding.
   */
  next(
    scope: string,
    options: {
      allowSwitch: boolean;
      nonEmpty: boolean;
      /** The scanner found nothing (an empty report: everything of the scope is archived). */
      empty?: boolean;
      /**
       * An earlier scan of the scope: findings whose content differs from it go back to it (each
       * with probability 1/2) — a revert, A → B → A, the case that needs unchanged observations
       * recorded when B is delivered last.
       */
      revertTo?: ReadonlyMap<string, ProviderContent>;
    },
  ): ScanReport {
    const p = this.prng;
    const prev = this.#current.get(scope) ?? new Map<string, ProviderContent>();
    const next = new Map(prev);
    for (const [id, c] of prev) {
      const r = p.next();
      if (r < 0.14) next.delete(id);
      else if (r < 0.4) next.set(id, this.changed(c));
    }
    const owned = new Set([...this.#current.values()].flatMap((m) => [...m.keys()]));
    const free = this.#ids.filter((id) => !owned.has(id) && !next.has(id));
    for (const id of p.sample(free, p.int(0, prev.size === 0 ? 4 : 2))) next.set(id, this.content(id));
    if (options.allowSwitch && p.chance(0.25)) {
      const elsewhere = this.#presentElsewhere(scope);
      if (elsewhere.length > 0) {
        const [from, id] = p.pick(elsewhere);
        const c = this.#current.get(from)?.get(id) as ProviderContent;
        next.set(id, p.chance(0.5) ? c : this.changed(c));
        // A copy: the map of the other scope is also the findings of a scan already delivered.
        const rest = new Map(this.#current.get(from));
        rest.delete(id);
        this.#current.set(from, rest);
      }
    }
    for (const [id, earlier] of options.revertTo ?? []) {
      const now = next.get(id);
      if (now !== undefined && !sameContent(now, earlier) && p.chance(0.5)) next.set(id, earlier);
    }
    if (options.empty === true) next.clear();
    else if (options.nonEmpty && next.size === 0) {
      const id = p.pick(free.length > 0 ? free : this.#ids);
      next.set(id, this.content(id));
    }
    this.#current.set(scope, next);
    this.#time += p.int(1, 120) * 1_000 + p.int(0, 999);
    this.#count++;
    return { name: `scan-${this.#count}`, scope, timeMs: this.#time, findings: next };
  }
}

function faultPlan(p: Prng, scan: ScanReport, options: GeneratorOptions): FaultPlan {
  if (p.chance(0.2)) return {};
  const ids = [...scan.findings.keys()];
  const plan: Record<string, unknown> = {};
  if (p.chance(0.35))
    plan.throttle = { times: p.chance(0.12) ? 9 : p.int(1, 4), anyOperation: p.chance(0.3) };
  if (p.chance(0.3)) plan.internal = { times: p.int(1, 2), anyOperation: p.chance(0.3) };
  if (p.chance(0.1)) plan.timeout = { times: 1 };
  if (p.chance(0.25)) plan.reset = { times: p.int(1, 2) };
  if (ids.length > 0 && p.chance(0.35)) {
    plan.findingErrors = Array.from({ length: p.int(1, 2) }, () => ({
      ids: p.sample(ids, p.int(1, Math.min(3, ids.length))),
      errorCode: p.pick(FINDING_ERROR_CODES),
      times: p.int(1, 2),
    }));
  }
  if (p.chance(0.2)) plan.lostAnswers = p.int(1, 2);
  if (p.chance(0.25)) plan.commitConflicts = p.int(1, 2);
  if (p.chance(0.15)) {
    plan.storeThroughput = {
      operation: p.pick<StoreOperation>(["getMany", "commit", "listActiveInScope"]),
      times: p.int(1, 2),
    };
  }
  if (p.chance(0.15)) plan.crashBeforeCommit = true;
  if (options.dynamo && p.chance(0.5)) plan.dynamoThroughput = p.int(1, 4);
  return plan as FaultPlan;
}

function customerUpdate(p: Prng, ids: readonly string[]): CustomerUpdate {
  const chosen = p.sample(ids, p.int(1, Math.min(3, ids.length)));
  const update: Record<string, unknown> = { ids: chosen };
  const members = p.sample(["severity", "types", "workflow", "note", "verification"], p.int(1, 3));
  for (const m of members) {
    if (m === "severity") update.severity = p.pick(SEVERITY_LABELS);
    if (m === "types") update.types = [p.pick(FINDING_TYPES)];
    if (m === "workflow") update.workflow = p.pick(WORKFLOW_STATUSES);
    if (m === "note") update.note = `triaged by analyst ${p.int(1, 99)}`;
    if (m === "verification") update.verification = p.pick(VERIFICATION_STATES);
  }
  return update as unknown as CustomerUpdate;
}

/** Generates one sequence. `big` sequences hold enough findings for several calls per import. */
export function generateSequence(p: Prng, options: GeneratorOptions, startMs: number): Sequence {
  const big = p.chance(0.04);
  const ids = Array.from({ length: big ? p.int(120, 180) : p.int(3, 12) }, (_, i) => `f-${i}`);
  const scopes = p.chance(0.7) ? ["repo@main/trivy", "image@sha256:feed"] : ["repo@main/trivy"];
  const factory = new ScanFactory(p, ids, startMs);
  const steps: Step[] = [];
  const delivered: ScanReport[] = [];
  const present = new Set<string>();
  const deliver = (scan: ScanReport, label: "new" | "duplicate" | "late" | "early"): void => {
    const mode = p.chance(0.1) ? "concurrent-twin" : "once";
    steps.push({
      kind: "deliver",
      scan,
      faults: faultPlan(p, scan, options),
      mode,
      label,
      concurrency: p.int(1, 3),
    });
    for (const id of scan.findings.keys()) present.add(id);
  };
  const count = big ? p.int(3, 5) : p.int(4, 9);
  for (let i = 0; i < count; i++) {
    const kind = i === 0 ? "scan" : p.weighted({ scan: 50, customer: 16, duplicate: 10, late: 16, clock: 3 });
    const scope = p.pick(scopes);
    if (kind === "scan") {
      const scan = factory.next(scope, { allowSwitch: true, nonEmpty: true, empty: i > 0 && p.chance(0.07) });
      delivered.push(scan);
      deliver(scan, "new");
    } else if (kind === "customer" && present.size > 0) {
      steps.push({ kind: "customer", update: customerUpdate(p, [...present]) });
    } else if (kind === "duplicate" && delivered.length > 0) {
      // Any earlier report, empty ones and ones older than a later scan of their scope included
      // (SQS delivers at least once, and late).
      deliver(p.pick(delivered), "duplicate");
    } else if (kind === "late") {
      // Two scans of one scope; the newer is delivered first, the older arrives late. Either may
      // be empty, move findings from the other scope, or return to an earlier state (a revert).
      const before = factory.snapshot(scope);
      const older = factory.next(scope, { allowSwitch: true, nonEmpty: false });
      const newer = factory.next(scope, {
        allowSwitch: true,
        nonEmpty: false,
        ...(p.chance(0.3) ? { revertTo: before } : {}),
      });
      delivered.push(older, newer);
      deliver(newer, "early");
      deliver(older, "late");
    } else if (kind === "clock") {
      // Past the refresh window (60 days) but short of Security Hub's 90-day retention.
      steps.push({ kind: "clock", advanceMs: 61 * DAY_MS });
    }
  }
  return { steps, scopes, ids };
}
