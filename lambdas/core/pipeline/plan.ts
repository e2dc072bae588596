/**
 * The shadow plan (pure): for each incoming finding, compared with what the shadow store says
 * Security Hub holds, decide whether to create, update, refresh, skip, drop or archive — before a
 * single call is spent. The rules are documented in `docs/pipeline.md`; in short:
 *
 * - NEW (no shadow) → create, with the finding's own `UpdatedAt`.
 * - CHANGED provider content (or a reappearance, or a move to another scope) → update with
 *   `UpdatedAt = max(incoming, stored + 1 ms)`, unless the incoming report is older than the
 *   shadow's observation → STALE, dropped.
 * - UNCHANGED → skip (its report time is recorded as an observation when newer), unless Security
 *   Hub's 90-day expiry is within the refresh window → refresh.
 * - ACTIVE in the import's scope but absent from it → archive (the full last-known finding,
 *   `RecordState: ARCHIVED`), because BatchImportFindings overwrites everything — unless the
 *   report is older than the finding's last observation.
 * - LATE: a report older than its scope's last scan time (a newer scan of the scope was already
 *   applied) → every finding of it that the shadow does not hold ACTIVE in that scope is sent
 *   ARCHIVED (the newer scan no longer had it), with the late content when that content is newer
 *   than the shadow's; findings ACTIVE in the scope follow the rules above.
 *
 * CreatedAt and FirstObservedAt are kept from the shadow; LastObservedAt advances; attributes a
 * customer changed with BatchUpdateFindings travel only in `FindingProviderFields`.
 */
import type { AwsSecurityFinding, FindingProviderFields, Severity } from "@aws-sdk/client-securityhub";
import type { RecordState, ShadowObservation, ShadowRecord } from "../../ports/shadow-store.ts";
import { DAY_MS, RETENTION_MS } from "../asff/limits.ts";
import { formatAsffTimestamp, parseAsffTimestamp } from "../asff/timestamp.ts";
import { describeError } from "../errors.ts";
import type { FindingKey, PrecedenceAttribute } from "../hub/contracts.ts";
import { findingKeyString, PRECEDENCE_ATTRIBUTES } from "../hub/contracts.ts";
import { contentHash } from "./content-hash.ts";
import { findingKeyOf } from "./finding-key.ts";

/**
 * Refresh unchanged findings this long before Security Hub's 90-day expiry.
 * @default 30 days (so an unchanged finding is resent once it is 60 days old)
 */
export const DEFAULT_REFRESH_BEFORE_EXPIRY_MS = 30 * DAY_MS;

/** One finding from a converted report. */
export interface IncomingFinding {
  readonly finding: AwsSecurityFinding;
  /** File, S3 key or message id it came from: named in every failure. */
  readonly source?: string;
}

/** What the plan does with a finding. */
export const PLAN_ACTIONS = ["create", "update", "refresh", "archive", "unchanged", "stale"] as const;
export type PlanAction = (typeof PLAN_ACTIONS)[number];
export type SendAction = "create" | "update" | "refresh" | "archive";

/** A finding to send; `shadow` is committed (with `lastSentMs`) only after Security Hub accepted it. */
export interface PlannedSend {
  readonly action: SendAction;
  readonly key: FindingKey;
  readonly finding: AwsSecurityFinding;
  readonly shadow: Omit<ShadowRecord, "lastSentMs">;
  readonly source?: string;
}

/** A finding not sent, and why. */
export interface PlannedSkip {
  readonly action: "unchanged" | "stale";
  readonly key: FindingKey;
  readonly reason: string;
  readonly source?: string;
}

/** A finding the plan could not handle (never sent, never committed). */
export interface PlanFailure {
  readonly findingId: string;
  readonly key?: FindingKey;
  readonly source?: string;
  /** e.g. `InvalidInput`, `ArchiveContentUnavailable`. */
  readonly errorCode: string;
  readonly message: string;
}

export interface ImportPlan {
  readonly sends: PlannedSend[];
  readonly skips: PlannedSkip[];
  readonly failures: PlanFailure[];
  /** Report times of UNCHANGED findings newer than their shadow's observation: record them (not sent). */
  readonly observations: ShadowObservation[];
  /**
   * The report time the plan used (epoch ms): `PlanInput.reportTimeMs`, else the newest
   * `UpdatedAt` of the incoming findings; undefined for an empty report without a time.
   */
  readonly reportTimeMs?: number;
}

export interface PlanInput {
  readonly incoming: readonly IncomingFinding[];
  /**
   * `identifyIncoming(incoming)` when the caller took it already (the orchestrator does, to load
   * the shadows): the plan then does not take the keys a second time. It must be of `incoming`.
   */
  readonly identified?: IdentifiedIncoming;
  /** Shadows of the incoming keys (and of the archive candidates), keyed by `findingKeyString`. */
  readonly shadows: ReadonlyMap<string, ShadowRecord>;
  /** Scan scope of this import; without one nothing is archived. */
  readonly scope?: string;
  /**
   * The ACTIVE shadows of `scope` in the (account, Region) pairs of this import: all of them, or
   * only those absent from the import (the others are never archived).
   */
  readonly scopeActive?: readonly ShadowRecord[];
  /** Last accepted content of the archive candidates (see {@link archiveCandidates}). */
  readonly archiveContent?: ReadonlyMap<string, AwsSecurityFinding>;
  /** Finding Ids whose conversion failed in this import: never archived (they were seen, just not readable). */
  readonly protectedIds?: ReadonlySet<string>;
  /**
   * Report time of the import in epoch ms (the scanner's report timestamp, else the message or
   * file time). Used for archives and for lateness; without it the newest incoming `UpdatedAt`
   * stands in, and an empty report has none (its archives then move `UpdatedAt` by 1 ms only).
   */
  readonly reportTimeMs?: number;
  /**
   * Last scan time (epoch ms) of `scope` per (account, Region), keyed by {@link scopePairKey}:
   * the report time of the newest report of the scope already applied. A report older than it is
   * late (see the module comment).
   */
  readonly lastScanMs?: ReadonlyMap<string, number>;
  /** Epoch ms from the injected clock. */
  readonly nowMs: number;
  /** @default {@link DEFAULT_REFRESH_BEFORE_EXPIRY_MS} */
  readonly refreshBeforeExpiryMs?: number;
}

/** The key of an (account, Region) pair in {@link PlanInput.lastScanMs}. */
export function scopePairKey(accountId: string, region: string): string {
  return JSON.stringify([accountId, region]);
}

/** Counts of a plan (before sending): the shape the summary and `--json` report. */
export interface PlanCounts {
  created: number;
  updated: number;
  unchanged: number;
  stale: number;
  archived: number;
  refreshed: number;
  failed: number;
}

const SEND_COUNTER: Readonly<Record<SendAction, keyof PlanCounts>> = {
  create: "created",
  update: "updated",
  refresh: "refreshed",
  archive: "archived",
};

/** Which counter a send action feeds. */
export function counterOf(action: SendAction): keyof PlanCounts {
  return SEND_COUNTER[action];
}

/** Counts by outcome, as planned. */
export function planCounts(plan: ImportPlan): PlanCounts {
  const counts: PlanCounts = {
    created: 0,
    updated: 0,
    unchanged: 0,
    stale: 0,
    archived: 0,
    refreshed: 0,
    failed: 0,
  };
  for (const send of plan.sends) counts[SEND_COUNTER[send.action]]++;
  for (const skip of plan.skips) counts[skip.action]++;
  counts.failed = plan.failures.length;
  return counts;
}

/**
 * Observation time of a shadow in epoch ms: its `observedAt`, or `updatedAt` for a record written
 * before the stores kept `observedAt` (exact unless that record's `UpdatedAt` had been bumped).
 */
export function observedMs(shadow: ShadowRecord): number {
  return parseAsffTimestamp(shadow.observedAt) ?? parseAsffTimestamp(shadow.updatedAt) ?? 0;
}

/**
 * The records of `scopeActive` that this import will archive (absent from `incomingKeys`, not
 * protected): the orchestrator fetches their last content before calling {@link planImport}.
 */
export function archiveCandidates(
  scopeActive: readonly ShadowRecord[],
  incomingKeys: ReadonlySet<string>,
  protectedIds: ReadonlySet<string> = new Set(),
): ShadowRecord[] {
  return scopeActive.filter(
    (r) =>
      r.recordState === "ACTIVE" && !incomingKeys.has(findingKeyString(r.key)) && !protectedIds.has(r.key.id),
  );
}

const SEVERITY_LABEL_BOUNDS: ReadonlyArray<readonly [number, string]> = [
  [90, "CRITICAL"],
  [70, "HIGH"],
  [40, "MEDIUM"],
  [1, "LOW"],
  [0, "INFORMATIONAL"],
];

/** Severity.Label for a Normalized score (spec §1.4), for providers that send only the old field. */
function labelOfNormalized(normalized: number): string {
  for (const [bound, label] of SEVERITY_LABEL_BOUNDS) if (normalized >= bound) return label;
  return "INFORMATIONAL";
}

function providerValue(attribute: PrecedenceAttribute, top: unknown): unknown {
  if (attribute !== "Severity") return top;
  const severity = top as Severity;
  const label =
    severity.Label ??
    (severity.Normalized === undefined ? undefined : labelOfNormalized(severity.Normalized));
  if (label === undefined) return undefined;
  return severity.Original === undefined ? { Label: label } : { Label: label, Original: severity.Original };
}

/**
 * Moves the customer-touched precedence attributes of an outgoing finding into
 * `FindingProviderFields` (filling FPF from the top-level value when FPF lacks it) and removes
 * them from the top level, so the provider never fights a customer's BatchUpdateFindings.
 */
export function sendThroughProviderFields(
  finding: AwsSecurityFinding,
  touched: readonly PrecedenceAttribute[],
): AwsSecurityFinding {
  if (touched.length === 0) return finding;
  const out: Record<string, unknown> = { ...finding };
  const fpf: Record<string, unknown> = { ...(finding.FindingProviderFields ?? {}) };
  for (const attribute of touched) {
    const top = out[attribute];
    if (top === undefined) continue;
    if (fpf[attribute] === undefined) {
      const value = providerValue(attribute, top);
      if (value !== undefined) fpf[attribute] = value;
    }
    delete out[attribute];
  }
  out.FindingProviderFields = fpf as FindingProviderFields;
  return out as unknown as AwsSecurityFinding;
}

/** Top-level attributes Security Hub adds itself or never takes from a provider update. */
const NOT_RESENT_ATTRIBUTES = [
  "ProcessedAt",
  "Region",
  "WorkflowState",
  "Note",
  "UserDefinedFields",
  "VerificationState",
  "Workflow",
] as const;

/**
 * Turns a finding as Security Hub returns it into what a provider sends: service-added fields and
 * customer-owned attributes removed; precedence attributes that FPF holds sent only through FPF
 * (the stored top-level value may be a customer's, the FPF value is always the provider's).
 */
export function toProviderFinding(stored: AwsSecurityFinding): AwsSecurityFinding {
  const out: Record<string, unknown> = { ...stored };
  for (const name of NOT_RESENT_ATTRIBUTES) delete out[name];
  if (stored.ProductFields) {
    const fields = Object.fromEntries(
      Object.entries(stored.ProductFields).filter(([k]) => !k.startsWith("aws/securityhub/")),
    );
    if (Object.keys(fields).length > 0) out.ProductFields = fields;
    else delete out.ProductFields;
  }
  const fpf = stored.FindingProviderFields as Record<string, unknown> | undefined;
  if (fpf) {
    for (const attribute of PRECEDENCE_ATTRIBUTES) if (fpf[attribute] !== undefined) delete out[attribute];
  }
  return out as unknown as AwsSecurityFinding;
}

/** An incoming finding with its key and `UpdatedAt`, taken once per import. */
export interface KeyedIncoming {
  readonly incoming: IncomingFinding;
  readonly key: FindingKey;
  /** `findingKeyString(key)`. */
  readonly keyString: string;
  /** `UpdatedAt` in epoch ms. */
  readonly updatedMs: number;
  /** The finding's source (`incoming.source`). */
  readonly source?: string | undefined;
  /** `contentHash(incoming.finding)` when the caller computed it already. */
  readonly hash?: string;
}

/**
 * The incoming findings identified and de-duplicated ({@link identifyIncoming}): what the
 * orchestrator needs to load shadows and what the plan decides on, so that each finding's key is
 * taken and stringified once per import.
 */
export interface IdentifiedIncoming {
  /** The newest finding per key (by `UpdatedAt`; the later one on a tie), keyed by `findingKeyString`. */
  readonly latest: ReadonlyMap<string, KeyedIncoming>;
  /**
   * Keys of findings failed for an unreadable `UpdatedAt`: not planned, but named by this import,
   * so never archived (like a finding whose conversion failed).
   */
  readonly unreadableTime: ReadonlyMap<string, FindingKey>;
  /** Findings without a usable key or `UpdatedAt` (`InvalidInput`). */
  readonly failures: readonly PlanFailure[];
  /** Older duplicates of a key in this import (`stale`). */
  readonly duplicates: readonly PlannedSkip[];
}

/** True when `keyString` names a finding of this import (planned or failed for its `UpdatedAt`). */
export function isIncomingKey(identified: IdentifiedIncoming, keyString: string): boolean {
  return identified.latest.has(keyString) || identified.unreadableTime.has(keyString);
}

/**
 * Takes one finding's key and `UpdatedAt` (step 1 of the plan, without the de-duplication). A
 * finding without a usable key is failed into `failures`; one with an unreadable `UpdatedAt` is
 * failed too and its key kept in `unreadableTime` (named by the import, so never archived).
 * Returns the keyed finding, or undefined when it failed. Pure apart from the two outputs.
 */
export function keyIncoming(
  item: IncomingFinding,
  failures: PlanFailure[],
  unreadableTime: Map<string, FindingKey>,
): KeyedIncoming | undefined {
  const finding = item.finding;
  let key: FindingKey;
  try {
    key = findingKeyOf(finding, item.source);
  } catch (error) {
    failures.push({
      findingId: finding.Id ?? "(no Id)",
      source: item.source,
      errorCode: "InvalidInput",
      message: describeError(error),
    });
    return undefined;
  }
  const keyString = findingKeyString(key);
  const updatedMs = parseAsffTimestamp(finding.UpdatedAt);
  if (updatedMs === undefined) {
    unreadableTime.set(keyString, key);
    failures.push({
      findingId: key.id,
      key,
      source: item.source,
      errorCode: "InvalidInput",
      message: `finding ${key.id}: UpdatedAt '${String(finding.UpdatedAt)}' is not an ASFF timestamp`,
    });
    return undefined;
  }
  return { incoming: item, key, keyString, updatedMs, source: item.source };
}

/** What {@link keepNewest} needs of a finding of the import. */
export interface VersionOfKey {
  readonly key: FindingKey;
  readonly keyString: string;
  readonly updatedMs: number;
  readonly source?: string | undefined;
}

/**
 * The de-duplication step of the plan: the newest `UpdatedAt` of a key wins, the later one on a
 * tie; the loser is recorded in `duplicates` (`stale`). Returns true when `candidate` is now the
 * latest version of its key.
 */
export function keepNewest<E extends VersionOfKey>(
  latest: Map<string, E>,
  candidate: E,
  duplicates: PlannedSkip[],
): boolean {
  const previous = latest.get(candidate.keyString);
  if (previous !== undefined) {
    const keepNew = candidate.updatedMs >= previous.updatedMs;
    duplicates.push({
      action: "stale",
      key: candidate.key,
      source: (keepNew ? previous : candidate).source,
      reason: "a newer version of the same finding is in this import",
    });
    if (!keepNew) return false;
  }
  latest.set(candidate.keyString, candidate);
  return true;
}

/**
 * Step 1 of the plan: takes each finding's key and `UpdatedAt` once and keeps the newest version
 * of each key (one key may appear in several reports of one import). Pure.
 */
export function identifyIncoming(incoming: readonly IncomingFinding[]): IdentifiedIncoming {
  const latest = new Map<string, KeyedIncoming>();
  const unreadableTime = new Map<string, FindingKey>();
  const failures: PlanFailure[] = [];
  const duplicates: PlannedSkip[] = [];
  for (const item of incoming) {
    const candidate = keyIncoming(item, failures, unreadableTime);
    if (candidate !== undefined) keepNewest(latest, candidate, duplicates);
  }
  return { latest, unreadableTime, failures, duplicates };
}

/** Builds the plan. Pure: the same input always yields the same plan. */
export function planImport(input: PlanInput): ImportPlan {
  // 1. Identify and de-duplicate (unless the caller did): the newest version of a key wins.
  const identified = input.identified ?? identifyIncoming(input.incoming);
  const latest = identified.latest;
  const sends: PlannedSend[] = [];
  const skips: PlannedSkip[] = [...identified.duplicates];
  const failures: PlanFailure[] = [...identified.failures];
  const refreshAgeMs = RETENTION_MS - (input.refreshBeforeExpiryMs ?? DEFAULT_REFRESH_BEFORE_EXPIRY_MS);

  // 2. Decide per finding against its shadow. An unchanged finding — the whole of a re-import —
  // costs a map lookup, one content hash and a few comparisons: nothing below allocates for it
  // but its skip entry (and its observation when the report is newer).
  let maxIncomingMs: number | undefined;
  for (const c of latest.values()) {
    if (maxIncomingMs === undefined || c.updatedMs > maxIncomingMs) maxIncomingMs = c.updatedMs;
  }
  const reportMs = input.reportTimeMs ?? maxIncomingMs;
  const observations: ShadowObservation[] = [];
  // Lateness needs a scope record; the findings of a report nearly always share one (account,
  // Region) pair, so its last scan time is looked up once per run of equal pairs.
  const lastScanByPair = input.scope === undefined ? undefined : input.lastScanMs;
  let pairAccount: string | undefined;
  let pairRegion: string | undefined;
  let pairLastScan: number | undefined;
  for (const c of latest.values()) {
    const shadow = input.shadows.get(c.keyString);
    const finding = c.incoming.finding;
    const hash = c.hash ?? contentHash(finding);
    const scope = input.scope ?? shadow?.scope;
    // Late: a newer scan of this scope was applied already. It did not hold this finding (or the
    // shadow would hold it ACTIVE here), so whatever the late report says, the finding ends
    // ARCHIVED in this scope — created so, moved so, or archived with content newer than the
    // shadow's. A finding ACTIVE here is decided by its own observation time, as usual.
    let lastScan: number | undefined;
    if (lastScanByPair !== undefined) {
      if (c.key.accountId !== pairAccount || c.key.region !== pairRegion) {
        pairAccount = c.key.accountId;
        pairRegion = c.key.region;
        pairLastScan = lastScanByPair.get(scopePairKey(pairAccount, pairRegion));
      }
      lastScan = pairLastScan;
    }
    const activeHere = shadow?.recordState === "ACTIVE" && shadow.scope === scope;
    const late = lastScan !== undefined && reportMs !== undefined && reportMs < lastScan && !activeHere;
    const recordState: RecordState = late || finding.RecordState === "ARCHIVED" ? "ARCHIVED" : "ACTIVE";
    // Security Hub's UpdatedAt of a late archive is no earlier than the scan that archived it.
    const floorMs = late ? (lastScan as number) : Number.NEGATIVE_INFINITY;

    if (shadow === undefined) {
      const createMs = Math.max(c.updatedMs, floorMs);
      sends.push({
        action: "create",
        key: c.key,
        source: c.incoming.source,
        finding: {
          ...finding,
          ...(createMs === c.updatedMs ? {} : { UpdatedAt: formatAsffTimestamp(createMs) }),
          RecordState: recordState,
          LastObservedAt: finding.LastObservedAt ?? finding.UpdatedAt,
        },
        shadow: {
          key: c.key,
          contentHash: hash,
          updatedAt: formatAsffTimestamp(createMs),
          observedAt: formatAsffTimestamp(c.updatedMs),
          createdAt: finding.CreatedAt ?? formatAsffTimestamp(c.updatedMs),
          ...(finding.FirstObservedAt === undefined ? {} : { firstObservedAt: finding.FirstObservedAt }),
          recordState,
          ...(scope === undefined ? {} : { scope }),
          customerTouched: [],
        },
      });
      continue;
    }

    const observed = observedMs(shadow);
    const changed =
      hash !== shadow.contentHash || recordState !== shadow.recordState || scope !== shadow.scope;
    let action: SendAction;
    if (changed) {
      if (c.updatedMs < observed) {
        skips.push({
          action: "stale",
          key: c.key,
          source: c.incoming.source,
          reason: `report time ${formatAsffTimestamp(c.updatedMs)} is older than the last observation ${formatAsffTimestamp(observed)}`,
        });
        continue;
      }
      action = "update";
    } else {
      // Security Hub's 90-day clock runs from the last update it processed (`lastSentMs`), not
      // from the UpdatedAt value: a report with an old time of its own must not refresh forever.
      const ageMs = input.nowMs - shadow.lastSentMs;
      if (ageMs <= refreshAgeMs) {
        // Seen again, unchanged: remember when, or a late report of an older scan that carried
        // other content (A → B → A, B late) would look newer than the shadow and overwrite A.
        if (c.updatedMs > observed)
          observations.push({ key: c.key, observedAt: formatAsffTimestamp(c.updatedMs) });
        skips.push({
          action: "unchanged",
          key: c.key,
          source: c.incoming.source,
          reason: "provider content unchanged",
        });
        continue;
      }
      action = "refresh";
    }
    const storedMs = parseAsffTimestamp(shadow.updatedAt) ?? 0;
    const sendMs = Math.max(c.updatedMs, storedMs + 1, floorMs);
    const outgoing: AwsSecurityFinding = {
      ...finding,
      CreatedAt: shadow.createdAt,
      ...(shadow.firstObservedAt === undefined ? {} : { FirstObservedAt: shadow.firstObservedAt }),
      LastObservedAt: finding.LastObservedAt ?? finding.UpdatedAt,
      UpdatedAt: formatAsffTimestamp(sendMs),
      RecordState: recordState,
    };
    sends.push({
      action,
      key: c.key,
      source: c.incoming.source,
      finding: sendThroughProviderFields(outgoing, shadow.customerTouched),
      shadow: {
        key: c.key,
        contentHash: hash,
        updatedAt: formatAsffTimestamp(sendMs),
        observedAt: formatAsffTimestamp(Math.max(c.updatedMs, observed)),
        createdAt: shadow.createdAt,
        ...(shadow.firstObservedAt === undefined ? {} : { firstObservedAt: shadow.firstObservedAt }),
        recordState,
        ...(scope === undefined ? {} : { scope }),
        customerTouched: shadow.customerTouched,
      },
    });
  }

  // 3. Scope reconciliation: ACTIVE in this scope, absent from this scan → ARCHIVED.
  if (input.scope !== undefined && input.scopeActive !== undefined) {
    const protectedIds = input.protectedIds;
    for (const record of input.scopeActive) {
      if (record.recordState !== "ACTIVE" || record.scope !== input.scope) continue;
      if (protectedIds?.has(record.key.id)) continue;
      const keyString = findingKeyString(record.key);
      if (isIncomingKey(identified, keyString)) continue;
      const observed = observedMs(record);
      if (reportMs !== undefined && reportMs < observed) {
        skips.push({
          action: "stale",
          key: record.key,
          reason: `absent from a scan (${formatAsffTimestamp(reportMs)}) older than its last observation; not archived`,
        });
        continue;
      }
      const content = input.archiveContent?.get(keyString);
      if (content === undefined) {
        failures.push({
          findingId: record.key.id,
          key: record.key,
          errorCode: "ArchiveContentUnavailable",
          message: `finding ${record.key.id} left scope '${input.scope}' but its last content could not be read from the target; not archived (retried on the next import)`,
        });
        continue;
      }
      const storedMs = parseAsffTimestamp(record.updatedAt) ?? 0;
      // Without a report time (an empty report nobody dated), the archive moves UpdatedAt by the minimum.
      const sendMs = Math.max(reportMs ?? Number.NEGATIVE_INFINITY, storedMs + 1);
      const finding: AwsSecurityFinding = {
        ...toProviderFinding(content),
        CreatedAt: record.createdAt,
        ...(record.firstObservedAt === undefined ? {} : { FirstObservedAt: record.firstObservedAt }),
        UpdatedAt: formatAsffTimestamp(sendMs),
        RecordState: "ARCHIVED",
      };
      sends.push({
        action: "archive",
        key: record.key,
        finding: sendThroughProviderFields(finding, record.customerTouched),
        shadow: {
          key: record.key,
          contentHash: record.contentHash,
          updatedAt: formatAsffTimestamp(sendMs),
          // The content's observation time, not the archive's: a late report with content newer
          // than this may still replace the archived content (it stays ARCHIVED, see `late`).
          observedAt: formatAsffTimestamp(observed),
          createdAt: record.createdAt,
          ...(record.firstObservedAt === undefined ? {} : { firstObservedAt: record.firstObservedAt }),
          recordState: "ARCHIVED",
          scope: input.scope,
          customerTouched: record.customerTouched,
        },
      });
    }
  }
  return {
    sends,
    skips,
    failures,
    observations,
    ...(reportMs === undefined ? {} : { reportTimeMs: reportMs }),
  };
}
