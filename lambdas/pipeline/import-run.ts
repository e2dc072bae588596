/**
 * The import run: the I/O-driving orchestrator around the pure pipeline core. It wires the ports
 * — ShadowStore, FindingSink, RateLimiter, EventPublisher, Clock — and runs
 * load shadows → plan → batch → (ask limiter → send → retry) → commit → publish,
 * returning the counts every front end reports (CLI summary, `--json`, Lambda metrics).
 *
 * Invariants: a finding is committed to the shadow only after Security Hub accepted it (a crash in
 * between causes a harmless resend, never a loss); a permanent failure is never retried; a
 * transient one is retried with bounded full-jitter backoff and the limiter told to slow down.
 */
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { RETENTION_MS } from "../core/asff/limits.ts";
import { formatAsffTimestamp, parseAsffTimestamp } from "../core/asff/timestamp.ts";
import { describeError, InputError, isTransient, ShadowhubError, ThrottlingError } from "../core/errors.ts";
import type { FindingKey, SecurityHubImportedEvent } from "../core/hub/contracts.ts";
import { findingKeyString } from "../core/hub/contracts.ts";
import { importedEvent } from "../core/hub/events.ts";
import type { ConversionFailure } from "../core/parsers/contracts.ts";
import { batchFindings, type SendBatch } from "../core/pipeline/batch.ts";
import { contentHash } from "../core/pipeline/content-hash.ts";
import {
  counterOf,
  DEFAULT_REFRESH_BEFORE_EXPIRY_MS,
  type IdentifiedIncoming,
  type ImportPlan,
  type IncomingFinding,
  type KeyedIncoming,
  keepNewest,
  keyIncoming,
  observedMs,
  type PlanCounts,
  type PlanFailure,
  type PlannedSend,
  type PlannedSkip,
  planCounts,
  planImport,
  scopePairKey,
  type VersionOfKey,
} from "../core/pipeline/plan.ts";
import {
  backoffDelayMs,
  classifyFindingError,
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
  withRetries,
} from "../core/pipeline/retry.ts";
import type { Clock } from "../ports/clock.ts";
import { DEFAULT_PIPELINE_EVENT_SOURCE, type EventPublisher } from "../ports/event-publisher.ts";
import { type FindingSink, SinkAccessError } from "../ports/finding-sink.ts";
import { type RateLimiter, realSleep, type Sleep } from "../ports/rate-limiter.ts";
import type { RecordState, ShadowObservation, ShadowRecord, ShadowStore } from "../ports/shadow-store.ts";

/** What to import: converted findings plus what could not be converted. */
export interface ImportInput {
  readonly findings: readonly IncomingFinding[];
  /** Failures of the conversion step; counted as failed, and they protect their Ids from archiving. */
  readonly conversionFailures?: readonly ConversionFailure[];
  /** Scan scope: findings ACTIVE in it and absent from this import are archived. */
  readonly scope?: string;
  /**
   * (account, Region) pairs whose scope is reconciled even when no finding of this import names
   * them — e.g. the context's pair, so that an empty report archives what the scope held.
   */
  readonly scopeTargets?: readonly { readonly accountId: string; readonly region: string }[];
  /**
   * When the report was made, epoch ms: the scanner's report timestamp where the format has one,
   * else the time of the message or file supplied by the front end. It orders reports of a scope
   * (a report older than the scope's last scan is late) and dates archives — the only time an
   * empty report has. @default the newest `UpdatedAt` of the findings (none for an empty report)
   */
  readonly reportTimeMs?: number;
}

/** The ports and knobs of a run. Everything with a side effect is injected. */
export interface ImportRunDeps {
  readonly store: ShadowStore;
  readonly sink: FindingSink;
  readonly clock: Clock;
  /** Paces calls per (account, Region). @default no pacing */
  readonly limiter?: RateLimiter;
  /** Publishes one event per accepted finding (created, updated, refreshed, archived). @default no events from the pipeline */
  readonly publisher?: EventPublisher;
  /**
   * `always`: publish whenever a publisher is given (the cloud pipeline: its own bus and source).
   * `when-sink-silent`: skip when the target already emits Security Hub's own events. @default "always"
   */
  readonly publishEvents?: "when-sink-silent" | "always";
  /** `source` of the pipeline's events. @default "shadowhub" */
  readonly eventSource?: string;
  /** @default a real timer */
  readonly sleep?: Sleep;
  /** [0, 1); the backoff jitter. @default Math.random */
  readonly random?: () => number;
  /** Event ids. @default crypto.randomUUID */
  readonly newEventId?: () => string;
  /** @default DEFAULT_RETRY_POLICY (8 attempts, 100 ms base, 10 s cap) */
  readonly retryPolicy?: RetryPolicy;
  /** @default 30 days before the 90-day expiry */
  readonly refreshBeforeExpiryMs?: number;
  /** BatchImportFindings calls in flight at once. @default 1 */
  readonly concurrency?: number;
  /** Plan only: nothing is sent, committed or published. @default false */
  readonly dryRun?: boolean;
  /** Progress after each call: findings handled so far out of the planned sends. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** One finding that was not imported, with the reason (Security Hub's own message when it gave one). */
export interface ImportFailure {
  readonly findingId?: string;
  readonly source?: string;
  readonly errorCode: string;
  readonly message: string;
}

/** The outcome of a run: what the summary table, `--json` and the Lambda metrics report. */
export interface ImportReport {
  readonly counts: PlanCounts;
  /** Failed findings (and unreadable reports) by error code, e.g. `{ InvalidInput: 2 }`. */
  readonly failedByCode: Readonly<Record<string, number>>;
  readonly failures: readonly ImportFailure[];
  /** BatchImportFindings calls made (in a dry run: the calls the plan would make). */
  readonly apiCalls: number;
  /** Calls answered with throttling (each was retried or counted as failed). */
  readonly throttled: number;
  readonly retries: number;
  readonly eventsPublished: number;
  readonly eventsFailed: number;
  /** Why scope reconciliation was skipped, when it was. */
  readonly archiveSkipped?: string;
  readonly dryRun: boolean;
  readonly durationMs: number;
}

/** Code under which unreadable input is counted. */
export const CONVERSION_FAILED = "ConversionFailed";

function codeOfError(error: unknown): string {
  if (error instanceof SinkAccessError) return error.errorCode;
  if (error instanceof ThrottlingError) return "Throttled";
  if (error instanceof InputError) return "InvalidInput";
  if (isTransient(error)) return "ServiceUnavailable";
  return "InternalError";
}

/** Placeholder content for archives in a dry run, where nothing is fetched or sent. */
function dryRunContent(records: readonly ShadowRecord[]): Map<string, AwsSecurityFinding> {
  return new Map(
    records.map((r) => [
      findingKeyString(r.key),
      { Id: r.key.id, ProductArn: r.key.productArn, AwsAccountId: r.key.accountId } as AwsSecurityFinding,
    ]),
  );
}

/**
 * The archive candidates' content from the shadow's last sent findings, and the keys it lacks.
 * A stored finding is used only when it was sent with the candidate's current `updatedAt`: an
 * older one (a commit that carried none, a DynamoDB finding write lost to a crash) would resend
 * outdated content over what Security Hub holds, so that key is fetched from the target instead.
 */
async function storedArchiveContent(
  store: ShadowStore,
  candidates: readonly ShadowRecord[],
): Promise<{ content: Map<string, AwsSecurityFinding>; missing: FindingKey[] }> {
  const stored = await store.lastFindings(candidates.map((c) => c.key));
  const content = new Map<string, AwsSecurityFinding>();
  const missing: FindingKey[] = [];
  for (const candidate of candidates) {
    const keyString = findingKeyString(candidate.key);
    const last = stored.get(keyString);
    const current =
      last !== undefined && parseAsffTimestamp(last.updatedAt) === parseAsffTimestamp(candidate.updatedAt);
    if (current) content.set(keyString, last.finding);
    else missing.push(candidate.key);
  }
  return { content, missing };
}

/** One piece of a streamed import ({@link runImportStream}): findings as converted, in report order. */
export interface ImportChunk {
  readonly findings: readonly IncomingFinding[];
  /** Failures of the conversion step found since the previous chunk. */
  readonly conversionFailures?: readonly ConversionFailure[];
  /**
   * The time of a report whose last findings came in this chunk (or before), epoch ms (see
   * `ImportInput.reportTimeMs`): the import's report time is the newest of these.
   */
  readonly reportTimeMs?: number;
}

/** A streamed import: {@link ImportInput} with the findings and failures arriving in chunks. */
export interface ImportStreamInput extends Omit<ImportInput, "findings" | "conversionFailures"> {
  /**
   * The converted reports, chunk by chunk (e.g. `convertReportBatches`). `reportTimeMs` of the
   * input and of the chunks together: the newest of them is the import's report time.
   */
  readonly chunks: Iterable<ImportChunk> | AsyncIterable<ImportChunk>;
}

/**
 * An unchanged finding settled while streaming: it will be skipped whatever the rest of the
 * import says (unless a newer duplicate of its key replaces it), so its finding is not kept.
 */
interface SettledUnchanged extends VersionOfKey {
  readonly settled: true;
  /** Its report time is newer than the shadow's observation: record it. */
  readonly observe: boolean;
}

type Latest = KeyedIncoming | SettledUnchanged;

function isSettled(entry: Latest): entry is SettledUnchanged {
  return (entry as SettledUnchanged).settled === true;
}

/** Runs one import. Throws only for bugs and store failures; everything else is in the report. */
export function runImport(input: ImportInput, deps: ImportRunDeps): Promise<ImportReport> {
  const { findings, conversionFailures, ...rest } = input;
  // Whole input: nothing to gain from settling early; every finding goes through `planImport`
  // (which the streamed path's early settling must agree with, and is tested against).
  return importChunks(
    { ...rest, chunks: [{ findings, ...(conversionFailures === undefined ? {} : { conversionFailures }) }] },
    deps,
    false,
  );
}

/**
 * Runs one import from a stream of converted findings, with the semantics of {@link runImport}
 * over all of them. Each chunk is planned as it comes as far as the whole-import rules allow: a
 * finding that is unchanged against a shadow ACTIVE in the import's scope (or that no later scan
 * can make late) is settled at once and its finding dropped, so a re-import of an unchanged scan
 * never holds the whole report; every other finding is kept until the stream ends, when the
 * report time, lateness, the newest duplicate of each key and the scope's archive set are known.
 */
export function runImportStream(input: ImportStreamInput, deps: ImportRunDeps): Promise<ImportReport> {
  return importChunks(input, deps, true);
}

/** {@link runImportStream}; `settleEarly: false` leaves every decision to `planImport`. */
async function importChunks(
  input: ImportStreamInput,
  deps: ImportRunDeps,
  settleEarly: boolean,
): Promise<ImportReport> {
  const startMs = deps.clock.now();
  const sleep = deps.sleep ?? realSleep;
  const random = deps.random ?? Math.random;
  const policy = deps.retryPolicy ?? DEFAULT_RETRY_POLICY;
  const refreshAgeMs = RETENTION_MS - (deps.refreshBeforeExpiryMs ?? DEFAULT_REFRESH_BEFORE_EXPIRY_MS);
  const scope = input.scope;
  const conversionFailures: ConversionFailure[] = [];
  // Plan step 1 across the stream: keys taken once, the newest version of each key kept.
  const latest = new Map<string, Latest>();
  const unreadableTime = new Map<string, FindingKey>();
  const keyFailures: PlanFailure[] = [];
  const duplicates: PlannedSkip[] = [];
  let reportMs = input.reportTimeMs;

  // The scope's ACTIVE shadows and last scan time per (account, Region) pair, read once per pair
  // when the pair first appears: a re-import of a scan then reads each shadow once.
  const pairs = new Map<string, { accountId: string; region: string }>();
  const scopeRecords = new Map<string, ShadowRecord>();
  const lastScanMs = new Map<string, number>();
  let previousPair: { readonly accountId: string; readonly region: string } | undefined;
  /** Consecutive findings nearly always share their pair: skip building its map key (and an await) again. */
  const samePair = (p: { readonly accountId: string; readonly region: string }): boolean =>
    previousPair !== undefined && p.accountId === previousPair.accountId && p.region === previousPair.region;
  const addPair = async (p: { readonly accountId: string; readonly region: string }): Promise<void> => {
    previousPair = p;
    const pairKey = `${p.accountId}/${p.region}`;
    if (scope === undefined || pairs.has(pairKey)) return;
    pairs.set(pairKey, { accountId: p.accountId, region: p.region });
    for await (const record of deps.store.listActiveInScope(scope, p.accountId, p.region)) {
      scopeRecords.set(findingKeyString(record.key), record);
    }
    const record = await deps.store.getScope(scope, p.accountId, p.region);
    const ms = parseAsffTimestamp(record?.lastScanAt);
    if (ms !== undefined) lastScanMs.set(scopePairKey(p.accountId, p.region), ms);
  };
  for (const target of input.scopeTargets ?? []) if (!samePair(target)) await addPair(target);

  // Shadows read by key (not ACTIVE in the scope), and the keys read without one.
  const looked = new Map<string, ShadowRecord | undefined>();
  const shadowOf = (keyString: string): ShadowRecord | undefined =>
    scopeRecords.get(keyString) ?? looked.get(keyString);

  /**
   * Unchanged whatever the rest of the import says — exactly the plan's UNCHANGED case: same
   * content, RecordState and scope, no refresh due. Lateness cannot change it: a late report
   * only turns the target RecordState to ARCHIVED, and a finding whose own RecordState equals an
   * ACTIVE shadow's in the same scope is ACTIVE there, which is never late.
   */
  const settle = (c: KeyedIncoming, hash: string, shadow: ShadowRecord): SettledUnchanged | undefined => {
    const findingScope = scope ?? shadow.scope;
    const recordState: RecordState = c.incoming.finding.RecordState === "ARCHIVED" ? "ARCHIVED" : "ACTIVE";
    if (hash !== shadow.contentHash || recordState !== shadow.recordState || findingScope !== shadow.scope)
      return undefined;
    if (startMs - shadow.lastSentMs > refreshAgeMs) return undefined;
    return {
      settled: true,
      key: c.key,
      keyString: c.keyString,
      updatedMs: c.updatedMs,
      source: c.source,
      observe: c.updatedMs > observedMs(shadow),
    };
  };

  for await (const chunk of input.chunks) {
    // One push per failure: a spread passes every element as an argument, and a few hundred
    // thousand of them overflow the stack.
    for (const f of chunk.conversionFailures ?? []) conversionFailures.push(f);
    if (chunk.reportTimeMs !== undefined && (reportMs === undefined || chunk.reportTimeMs > reportMs))
      reportMs = chunk.reportTimeMs;
    const fresh: KeyedIncoming[] = [];
    for (const item of chunk.findings) {
      const unreadable = unreadableTime.size;
      const c = keyIncoming(item, keyFailures, unreadableTime);
      if (c === undefined) {
        if (unreadableTime.size > unreadable) {
          // Failed for its UpdatedAt but named by the import: its pair is reconciled too.
          const key = keyFailures[keyFailures.length - 1]?.key;
          if (key !== undefined && !samePair(key)) await addPair(key);
        }
        continue;
      }
      if (keepNewest<Latest>(latest, c, duplicates)) fresh.push(c);
    }
    const missing: FindingKey[] = [];
    for (const c of fresh) {
      if (!samePair(c.key)) await addPair(c.key);
      if (!scopeRecords.has(c.keyString) && !looked.has(c.keyString)) {
        looked.set(c.keyString, undefined);
        missing.push(c.key);
      }
    }
    if (missing.length > 0)
      for (const [k, record] of await deps.store.getMany(missing)) looked.set(k, record);
    for (const c of fresh) {
      // A later duplicate in the same chunk may have replaced it already.
      if (latest.get(c.keyString) !== c) continue;
      const hash = contentHash(c.incoming.finding);
      const shadow = shadowOf(c.keyString);
      const settled = shadow === undefined || !settleEarly ? undefined : settle(c, hash, shadow);
      latest.set(c.keyString, settled ?? { ...c, hash });
    }
  }

  const failures: ImportFailure[] = [];
  for (const f of conversionFailures) {
    failures.push({
      ...(f.findingId === undefined ? {} : { findingId: f.findingId }),
      source: f.source,
      errorCode: CONVERSION_FAILED,
      message: f.field === undefined ? f.message : `${f.message} (${f.field}: ${f.rule})`,
    });
  }
  // The findings left to plan, their shadows, and what was settled on the way.
  const planned = new Map<string, KeyedIncoming>();
  const shadows = new Map<string, ShadowRecord>();
  // Settled findings are only counted: the report carries counts, not one skip per finding.
  let settledUnchanged = 0;
  const settledObservations: ShadowObservation[] = [];
  // A report's findings share their UpdatedAt: format each distinct time once, and the
  // observations then share one string.
  let observedMsFormatted = Number.NaN;
  let observedAtText = "";
  let maxIncomingMs: number | undefined;
  for (const entry of latest.values()) {
    if (maxIncomingMs === undefined || entry.updatedMs > maxIncomingMs) maxIncomingMs = entry.updatedMs;
    if (isSettled(entry)) {
      settledUnchanged++;
      if (entry.observe) {
        if (entry.updatedMs !== observedMsFormatted) {
          observedMsFormatted = entry.updatedMs;
          observedAtText = formatAsffTimestamp(entry.updatedMs);
        }
        settledObservations.push({ key: entry.key, observedAt: observedAtText });
      }
      continue;
    }
    planned.set(entry.keyString, entry);
    const shadow = shadowOf(entry.keyString);
    if (shadow !== undefined) shadows.set(entry.keyString, shadow);
  }
  // Without a report time the newest incoming UpdatedAt stands in (none for an empty report).
  reportMs ??= maxIncomingMs;
  const identified: IdentifiedIncoming = {
    latest: planned,
    unreadableTime,
    failures: keyFailures,
    duplicates,
  };

  // Scope reconciliation, unless a whole report could not be read: archiving what an unreadable
  // report would have contained would wrongly close open findings.
  let archiveSkipped: string | undefined;
  const protectedIds = new Set(
    conversionFailures.flatMap((f) => (f.findingId === undefined ? [] : [f.findingId])),
  );
  // Scope records absent from this import: the only ones that can be archive candidates.
  const absent: ShadowRecord[] = [];
  if (scope !== undefined) {
    const unreadable = conversionFailures.filter((f) => f.findingId === undefined).map((f) => f.source);
    if (unreadable.length > 0) {
      archiveSkipped = `not archiving in scope '${scope}': ${[...new Set(unreadable)].join(", ")} could not be read`;
    } else {
      for (const [keyString, record] of scopeRecords) {
        if (!latest.has(keyString) && !unreadableTime.has(keyString)) absent.push(record);
      }
    }
  }
  // `absent` lacks the import's keys already: only the protected Ids are left to exclude.
  const candidates = absent.filter((r) => r.recordState === "ACTIVE" && !protectedIds.has(r.key.id));
  let archiveContent = new Map<string, AwsSecurityFinding>();
  let fetchError: string | undefined;
  if (candidates.length > 0 && deps.dryRun) {
    archiveContent = dryRunContent(candidates);
  } else if (candidates.length > 0) {
    // The last sent findings the shadow kept first; the target is asked (GetFindings on AWS: 3/s,
    // eventually consistent) only for the rest. A store failure here throws, like getMany's.
    const { content, missing } = deps.sink.currentIsLocal
      ? { content: new Map<string, AwsSecurityFinding>(), missing: candidates.map((c) => c.key) }
      : await storedArchiveContent(deps.store, candidates);
    archiveContent = content;
    try {
      if (missing.length > 0) {
        const fetched = await withRetries(() => deps.sink.fetchCurrent(missing), policy, { sleep, random });
        for (const [k, finding] of fetched) archiveContent.set(k, finding);
      }
    } catch (error) {
      // The archives fail (and are retried by the next import); the rest of the import goes on.
      if (!(error instanceof ShadowhubError)) throw error;
      fetchError = describeError(error);
    }
  }

  const plan: ImportPlan = planImport({
    incoming: [],
    identified,
    shadows,
    ...(scope === undefined ? {} : { scope }),
    // Only the scope's records absent from the import can be archived.
    scopeActive: absent,
    archiveContent,
    protectedIds,
    ...(reportMs === undefined ? {} : { reportTimeMs: reportMs }),
    lastScanMs,
    nowMs: startMs,
    ...(deps.refreshBeforeExpiryMs === undefined
      ? {}
      : { refreshBeforeExpiryMs: deps.refreshBeforeExpiryMs }),
  });
  // Not `push(...settled)`: an unchanged re-import of ~125,000 findings or more would pass that
  // many arguments and overflow the stack.
  const observations =
    settledObservations.length === 0 ? plan.observations : plan.observations.concat(settledObservations);
  for (const f of plan.failures) {
    const cause =
      f.errorCode === "ArchiveContentUnavailable" && fetchError !== undefined ? `: ${fetchError}` : "";
    failures.push({
      findingId: f.findingId,
      ...(f.source === undefined ? {} : { source: f.source }),
      errorCode: f.errorCode,
      message: `${f.message}${cause}`,
    });
  }
  const counts = planCounts(plan);
  counts.unchanged += settledUnchanged;
  const batches = batchFindings(plan.sends);

  const state = { apiCalls: 0, throttled: 0, retries: 0, eventsPublished: 0, eventsFailed: 0, done: 0 };
  if (deps.dryRun) {
    state.apiCalls = batches.length;
  } else {
    const total = plan.sends.length;
    const sender = new BatchSender(deps, policy, sleep, random, counts, failures, state, total);
    const queue = [...batches];
    const workers = Array.from(
      { length: Math.max(1, Math.min(deps.concurrency ?? 1, queue.length)) },
      async () => {
        for (let batch = queue.shift(); batch !== undefined; batch = queue.shift()) await sender.send(batch);
      },
    );
    await Promise.all(workers);
    if (observations.length > 0) await deps.store.recordObservations(observations);
    // The report is applied: later reports of the scope that are older than it are late. Not
    // when reconciliation was skipped (an unreadable report was not applied whole).
    if (scope !== undefined && archiveSkipped === undefined && plan.reportTimeMs !== undefined) {
      const lastScanAt = formatAsffTimestamp(plan.reportTimeMs);
      for (const pair of pairs.values()) await deps.store.advanceScope({ ...pair, scope, lastScanAt });
    }
  }

  counts.failed = failures.length;
  const failedByCode: Record<string, number> = {};
  for (const f of failures) failedByCode[f.errorCode] = (failedByCode[f.errorCode] ?? 0) + 1;
  return {
    counts,
    failedByCode,
    failures,
    apiCalls: state.apiCalls,
    throttled: state.throttled,
    retries: state.retries,
    eventsPublished: state.eventsPublished,
    eventsFailed: state.eventsFailed,
    ...(archiveSkipped === undefined ? {} : { archiveSkipped }),
    dryRun: deps.dryRun === true,
    durationMs: deps.clock.now() - startMs,
  };
}

/** Sends one batch at a time: limiter, call, classification, retries, commit, events. */
class BatchSender {
  constructor(
    private readonly deps: ImportRunDeps,
    private readonly policy: RetryPolicy,
    private readonly sleep: Sleep,
    private readonly random: () => number,
    private readonly counts: PlanCounts,
    private readonly failures: ImportFailure[],
    private readonly state: {
      apiCalls: number;
      throttled: number;
      retries: number;
      eventsPublished: number;
      eventsFailed: number;
      done: number;
    },
    private readonly total: number,
  ) {}

  #fail(send: PlannedSend, errorCode: string, message: string): void {
    this.counts[counterOf(send.action)]--;
    this.failures.push({
      findingId: send.key.id,
      ...(send.source === undefined ? {} : { source: send.source }),
      errorCode,
      message,
    });
  }

  async send(batch: SendBatch<PlannedSend>): Promise<void> {
    const { accountId, region } = batch;
    let pending = batch.items;
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (this.deps.limiter) await this.deps.limiter.acquire(accountId, region);
      this.state.apiCalls++;
      let failed: ReadonlyMap<string, { errorCode: string; errorMessage: string }>;
      try {
        const result = await this.deps.sink.batchImport({
          accountId,
          region,
          findings: pending.map((s) => s.finding),
          ...(pending === batch.items ? { bytes: batch.bytes } : {}),
          // A bound for the whole batch bounds any part of it resent.
          largestFindingBytes: batch.largestFindingBytes,
        });
        failed = new Map(result.failed.map((f) => [f.id, f]));
      } catch (error) {
        if (error instanceof ThrottlingError) {
          this.state.throttled++;
          await this.deps.limiter?.onThrottled(accountId, region);
        }
        if (isTransient(error) && attempt < this.policy.maxAttempts) {
          this.state.retries++;
          await this.sleep(backoffDelayMs(attempt, this.policy, this.random));
          continue;
        }
        // Anything outside the taxonomy is a bug: surface it instead of counting it as a failure.
        const known = isTransient(error) || error instanceof InputError || error instanceof SinkAccessError;
        if (!known) throw error;
        const code = codeOfError(error);
        const suffix = isTransient(error) ? ` (gave up after ${attempt} attempts)` : "";
        for (const send of pending) this.#fail(send, code, `${describeError(error)}${suffix}`);
        this.#progress(pending.length);
        return;
      }

      const accepted: PlannedSend[] = [];
      const retry: PlannedSend[] = [];
      for (const send of pending) {
        const failure = failed.get(send.key.id);
        if (failure === undefined) {
          accepted.push(send);
          continue;
        }
        const kind = classifyFindingError(failure.errorCode);
        if (kind === "retryable" && attempt < this.policy.maxAttempts) {
          retry.push(send);
        } else if (kind === "not-enabled") {
          this.#fail(
            send,
            failure.errorCode,
            `Security Hub or the product integration is not enabled for account ${accountId} in ${region}: ${failure.errorMessage}`,
          );
        } else {
          this.#fail(send, failure.errorCode, failure.errorMessage);
        }
      }
      await this.#commit(accepted);
      this.#progress(pending.length - retry.length);
      pending = retry;
      if (retry.length > 0) {
        this.state.retries++;
        await this.sleep(backoffDelayMs(attempt, this.policy, this.random));
      }
    }
  }

  #progress(handled: number): void {
    this.state.done += handled;
    this.deps.onProgress?.(this.state.done, this.total);
  }

  async #commit(accepted: readonly PlannedSend[]): Promise<void> {
    if (accepted.length === 0) return;
    const sentMs = this.deps.clock.now();
    // The finding as sent goes with its shadow, so a later archive can resend it without GetFindings
    // (not for a local target, whose own copy is free to read).
    const keepCopy = this.deps.sink.currentIsLocal !== true;
    const result = await this.deps.store.commit(
      accepted.map((s) =>
        keepCopy
          ? { ...s.shadow, lastSentMs: sentMs, lastFinding: s.finding }
          : { ...s.shadow, lastSentMs: sentMs },
      ),
    );
    // Another worker committed an equal or newer version first: Security Hub kept (or will keep)
    // that one, so ours counts as stale rather than as a change.
    const lost = new Set(result.conflicts.map(findingKeyString));
    const won: PlannedSend[] = [];
    for (const send of accepted) {
      if (lost.has(findingKeyString(send.key))) {
        this.counts[counterOf(send.action)]--;
        this.counts.stale++;
      } else {
        won.push(send);
      }
    }
    await this.#publish(won, sentMs);
  }

  async #publish(sends: readonly PlannedSend[], nowMs: number): Promise<void> {
    const { publisher, sink } = this.deps;
    if (publisher === undefined || sends.length === 0) return;
    if (sink.emitsEvents && this.deps.publishEvents === "when-sink-silent") return;
    const newEventId = this.deps.newEventId ?? (() => crypto.randomUUID());
    const source = this.deps.eventSource ?? DEFAULT_PIPELINE_EVENT_SOURCE;
    const events: SecurityHubImportedEvent[] = sends.map((s) =>
      importedEvent(
        {
          key: s.key,
          finding: s.finding,
          customerTouched: s.shadow.customerTouched,
          lastProviderUpdateMs: nowMs,
        },
        { nowMs, newEventId },
        source,
      ),
    );
    const result = await publisher.publish(events);
    this.state.eventsPublished += result.published;
    this.state.eventsFailed += result.failed.length;
  }
}
