/**
 * ShadowStore port: what the pipeline remembers about every finding it has sent, so it knows
 * before calling Security Hub what Security Hub will do (spec §3; issue "import pipeline").
 * Adapters: in-memory, SQLite (local default) and DynamoDB (cloud). One contract test suite
 * runs against all of them.
 */
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { RETENTION_MS } from "../core/asff/limits.ts";
import { parseAsffTimestamp } from "../core/asff/timestamp.ts";
import { InputError } from "../core/errors.ts";
import {
  type FindingKey,
  findingKeyString,
  PRECEDENCE_ATTRIBUTES,
  type PrecedenceAttribute,
} from "../core/hub/contracts.ts";

export type RecordState = "ACTIVE" | "ARCHIVED";

/** The shadow of one finding, keyed by (account, Region, ProductArn, Id). */
export interface ShadowRecord {
  readonly key: FindingKey;
  /** Hash of the provider-owned content (everything the provider sends except its timestamps). */
  readonly contentHash: string;
  /**
   * The `UpdatedAt` Security Hub accepted last (ASFF timestamp). Conditional commits compare this
   * field. The plan may have moved it past the report's own time (to `stored + 1 ms`) so that
   * Security Hub, which ignores an `UpdatedAt` that is not strictly later, takes a change.
   */
  readonly updatedAt: string;
  /**
   * The report time of the latest scan that reported this finding (ASFF timestamp), before any
   * +1 ms bump — whether that scan changed it or not (`recordObservations` advances it for
   * unchanged findings). An archive does not move it: it is the time of the content, which a
   * late report of an older scan must not replace. The plan compares an incoming report with it
   * to tell a STALE delivery (older than what was already seen) from a change. It differs from
   * `updatedAt` after a bump: a second and a third change carrying the same report time are then
   * both news, although the second one's `updatedAt` is later than that time. Absent in records
   * written before the stores kept it; the plan then falls back to `updatedAt`. Not part of the
   * commit condition.
   */
  readonly observedAt?: string;
  /** `CreatedAt` as first sent; kept for the life of the finding. */
  readonly createdAt: string;
  /** `FirstObservedAt` as first sent, when the provider sent one. */
  readonly firstObservedAt?: string;
  /** `RecordState` Security Hub holds. */
  readonly recordState: RecordState;
  /** The scan scope the finding was last seen in (for archiving what disappeared from a scan). */
  readonly scope?: string;
  /** Top-level attributes a customer changed with BatchUpdateFindings. */
  readonly customerTouched: readonly PrecedenceAttribute[];
  /** Epoch ms when the finding was last accepted by Security Hub. */
  readonly lastSentMs: number;
}

/**
 * A record to commit, optionally with the finding as it was sent to Security Hub. A store keeps
 * that finding next to the record (compressed, outside the record's own reads) only when the
 * commit wins, so an archive can resend the full content without GetFindings.
 */
export interface ShadowCommitRecord extends ShadowRecord {
  /** The finding exactly as Security Hub accepted it (provider shape), with this record's `UpdatedAt`. */
  readonly lastFinding?: AwsSecurityFinding;
}

/**
 * The last finding a store kept for a key, with the `updatedAt` of the commit that stored it.
 * The pipeline uses it only when that time equals the shadow's `updatedAt` as an instant: a
 * commit that carried no finding (or a finding write lost between two steps on DynamoDB) leaves
 * an older one behind, which must never be resent over newer content.
 */
export interface StoredFinding {
  readonly finding: AwsSecurityFinding;
  /** `updatedAt` of the winning commit that carried `finding` (ASFF timestamp, as committed). */
  readonly updatedAt: string;
}

/**
 * The per-scope record: the report time of the newest report applied to a scan scope in one
 * (account, Region). A report older than it is *late* for its scope: the plan then knows that a
 * newer scan of the scope has already been applied (see `docs/shadow-store.md`, "Scope records").
 */
export interface ScopeRecord {
  readonly accountId: string;
  readonly region: string;
  readonly scope: string;
  /** Report time (ASFF timestamp) of the newest report applied to the scope. */
  readonly lastScanAt: string;
}

/**
 * The report time of a scan that saw a finding with the content the shadow already holds (an
 * UNCHANGED finding: nothing is sent, but the observation must be remembered, or a late report
 * of an older scan would look newer than what Security Hub holds).
 */
export interface ShadowObservation {
  readonly key: FindingKey;
  /** Report time (ASFF timestamp) of the scan. */
  readonly observedAt: string;
}

/** Outcome of a conditional commit: records refused because the store already held a newer `updatedAt`. */
export interface CommitResult {
  readonly committed: number;
  /** Keys whose stored `updatedAt` was equal or newer: another worker won; nothing was written for them. */
  readonly conflicts: readonly FindingKey[];
}

export interface ShadowStore {
  /**
   * Loads the shadows of `keys` (missing keys are simply absent; duplicates are fine), keyed by
   * `findingKeyString`. Reads are strongly consistent: a record committed before the call is seen.
   * A store returns what it holds: a record whose `shadowExpiresAtMs` has passed (Security Hub
   * has deleted the finding) may still be returned, and the plan must treat it as absent.
   */
  getMany(keys: readonly FindingKey[]): Promise<Map<string, ShadowRecord>>;
  /**
   * Writes each record only if the store holds no record for its key or holds one with an
   * older `updatedAt`, compared as instants at millisecond precision like Security Hub does
   * (optimistic concurrency: a stale writer loses and its key is listed in `conflicts`; conflicts
   * are returned, never thrown). Customer-touched flags already stored are kept (union). Within
   * one call, records of the same key apply in order under the same rule. Commit only after
   * Security Hub accepted the finding. Re-committing the same records is harmless (they come
   * back as conflicts), so a commit that threw a transient error may be retried whole.
   * `observedAt` is stored with the record (replaced, or removed when the record has none) but
   * plays no part in the condition. A record's `lastFinding`, when given, is stored with a
   * winning commit (never with a conflict) and read back only by `lastFindings`; a winning
   * record without one leaves the previously stored finding (older `updatedAt`) in place.
   * @throws InputError when a record's `updatedAt` (or `observedAt`, when present) is not an ASFF
   * timestamp (nothing is written).
   */
  commit(records: readonly ShadowCommitRecord[]): Promise<CommitResult>;
  /**
   * The last sent findings of `keys` (stored by `commit` from `lastFinding`), keyed by
   * `findingKeyString`; keys without one are absent. Separate from `getMany` and
   * `listActiveInScope` on purpose: the findings are large and only archive candidates need
   * them, so the reads every import makes never carry them. Strongly consistent.
   */
  lastFindings(keys: readonly FindingKey[]): Promise<Map<string, StoredFinding>>;
  /**
   * Every ACTIVE record of `scope` in (account, Region): the candidates for archiving. Order is
   * unspecified. On DynamoDB this reads a global secondary index, which is eventually consistent:
   * re-read candidates with `getMany` before acting when that matters.
   */
  listActiveInScope(scope: string, accountId: string, region: string): AsyncIterable<ShadowRecord>;
  /**
   * Records that a customer changed `attributes` of a finding with BatchUpdateFindings (union with
   * the stored flags; `updatedAt` is not touched). A key without a shadow is left alone: the
   * pipeline never sent that finding, so there is nothing of ours to protect.
   */
  markCustomerTouched(key: FindingKey, attributes: readonly PrecedenceAttribute[]): Promise<void>;
  /**
   * Advances `observedAt` of stored records to the given report times, each only when it is later
   * than the stored observation (`observedAt`, or `updatedAt` for a record without one), compared
   * as instants. `updatedAt`, content and state are untouched, so this never conflicts with a
   * commit's condition. A key without a shadow is left alone (nothing is created).
   * @returns how many records were advanced.
   * @throws InputError when an `observedAt` is not an ASFF timestamp (nothing is written).
   */
  recordObservations(observations: readonly ShadowObservation[]): Promise<number>;
  /** The scope record of `scope` in (account, Region), when a report of the scope was applied. */
  getScope(scope: string, accountId: string, region: string): Promise<ScopeRecord | undefined>;
  /**
   * Stores `record` unless the store holds one for the same (account, Region, scope) whose
   * `lastScanAt` is as late or later (a conditional maximum: concurrent and late writers never
   * move it backwards).
   * @returns true when stored, false when the stored record was as new or newer.
   * @throws InputError when `lastScanAt` is not an ASFF timestamp.
   */
  advanceScope(record: ScopeRecord): Promise<boolean>;
  /** Releases connections and files. */
  close(): Promise<void>;
}

/**
 * The epoch ms of a timestamp a store is about to write; `subject` names the record in the error.
 * @throws InputError naming the subject, the field and the value when it is not an ASFF timestamp.
 */
function requireTimestampMs(value: string, subject: () => string, source: string, field: string): number {
  const ms = parseAsffTimestamp(value);
  if (ms === undefined) {
    throw new InputError(`${subject()}: ${field} is not an ASFF timestamp`, {
      source,
      field,
      rule: `ASFF timestamp (got ${JSON.stringify(value)})`,
    });
  }
  return ms;
}

/** What an error about `record` names; built only when there is an error (every commit checks every record). */
function recordSubject(record: ShadowRecord): string {
  return `shadow record ${findingKeyString(record.key)}`;
}

/** The epoch ms of `record.updatedAt`, the instant conditional commits compare. */
export function shadowUpdatedAtMs(record: ShadowRecord): number {
  return requireTimestampMs(
    record.updatedAt,
    () => recordSubject(record),
    "shadow store commit",
    "updatedAt",
  );
}

/**
 * Checks the timestamps of a record about to be committed and returns the epoch ms of its
 * `updatedAt` (what conditional commits compare). Adapters call it for every record before
 * writing any, so one bad record leaves the store untouched.
 * @throws InputError naming the key and the field when `updatedAt`, or `observedAt` when
 * present, is not an ASFF timestamp.
 */
export function checkShadowRecord(record: ShadowRecord): number {
  const updatedAtMs = shadowUpdatedAtMs(record);
  if (record.observedAt !== undefined) {
    requireTimestampMs(record.observedAt, () => recordSubject(record), "shadow store commit", "observedAt");
  }
  return updatedAtMs;
}

/**
 * Checks the report times of observations about to be recorded and returns their epoch ms.
 * @throws InputError naming the key when an `observedAt` is not an ASFF timestamp.
 */
export function checkObservation(observation: ShadowObservation): number {
  return requireTimestampMs(
    observation.observedAt,
    () => `shadow observation ${findingKeyString(observation.key)}`,
    "shadow store recordObservations",
    "observedAt",
  );
}

/**
 * Checks a scope record and returns the epoch ms of its `lastScanAt`.
 * @throws InputError when `lastScanAt` is not an ASFF timestamp.
 */
export function checkScopeRecord(record: ScopeRecord): number {
  return requireTimestampMs(
    record.lastScanAt,
    () => `scope record ${scopeKeyString(record)}`,
    "shadow store advanceScope",
    "lastScanAt",
  );
}

/** The identity of a scope record: the JSON array [account, Region, scope]. */
export function scopeKeyString(scope: Pick<ScopeRecord, "accountId" | "region" | "scope">): string {
  return JSON.stringify([scope.accountId, scope.region, scope.scope]);
}

/** Observation time of a stored record in epoch ms: `observedAt`, else `updatedAt` (older records). */
export function storedObservationMs(record: Pick<ShadowRecord, "observedAt" | "updatedAt">): number {
  return parseAsffTimestamp(record.observedAt) ?? parseAsffTimestamp(record.updatedAt) ?? 0;
}

/**
 * When Security Hub deletes the finding unless it is updated again: 90 days after it last
 * accepted a provider update (spec §2.3, §6 "Retention"). `lastSentMs` is that acceptance time.
 */
export function shadowExpiresAtMs(record: Pick<ShadowRecord, "lastSentMs">): number {
  return record.lastSentMs + RETENTION_MS;
}

/** The union of two sets of customer-touched attributes, in `PRECEDENCE_ATTRIBUTES` order. */
export function mergeCustomerTouched(
  a: readonly PrecedenceAttribute[],
  b: readonly PrecedenceAttribute[],
): PrecedenceAttribute[] {
  const all = new Set<PrecedenceAttribute>([...a, ...b]);
  return PRECEDENCE_ATTRIBUTES.filter((attribute) => all.has(attribute));
}
