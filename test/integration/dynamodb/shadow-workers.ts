/**
 * Reusable pieces of the concurrency acceptance test: conflicting versions of overlapping
 * findings, a worker that plans and commits them the way the import pipeline does (read the
 * shadow, drop what is stale, send, commit what was accepted), and the expected end state.
 * The import-pipeline tests reuse `runShadowWorker` with a `send` step that goes through
 * Security Hub.
 */
import { compareAsffTimestamps, formatAsffTimestamp } from "../../../lambdas/core/asff/timestamp.ts";
import {
  type FindingKey,
  findingKeyString,
  type PrecedenceAttribute,
} from "../../../lambdas/core/hub/contracts.ts";
import type { ShadowRecord, ShadowStore } from "../../../lambdas/ports/shadow-store.ts";
import { seededRandom } from "../../helpers/seeded-random.ts";

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

export interface ConflictingVersionsOptions {
  readonly findings: number;
  readonly versionsPerFinding: number;
  readonly seed: number;
  /** @default "111111111111" */
  readonly accountId?: string;
  /** @default "us-east-1" */
  readonly region?: string;
  readonly scope?: string;
}

/**
 * `versionsPerFinding` versions of each of `findings` findings, with UpdatedAt values that are
 * unordered and written with different UTC offsets; older versions may tie with each other,
 * the newest of each finding is unique. Version content is `f<i>/v<ms>`.
 */
export function conflictingVersions(options: ConflictingVersionsOptions): ShadowRecord[] {
  const random = seededRandom(options.seed);
  const base = Date.UTC(2024, 4, 1);
  const offsets = ["Z", "+02:00", "-05:30", "+0100"];
  const out: ShadowRecord[] = [];
  for (let f = 0; f < options.findings; f++) {
    const key: FindingKey = {
      accountId: options.accountId ?? "111111111111",
      region: options.region ?? "us-east-1",
      productArn: "arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default",
      id: `finding-${String(f).padStart(4, "0")}`,
    };
    const times = Array.from(
      { length: options.versionsPerFinding - 1 },
      () => base + Math.floor(random() * 50) * 1_000,
    );
    times.push(base + 60_000 + Math.floor(random() * 1_000)); // the unique newest
    for (const ms of times) {
      const offset = offsets[Math.floor(random() * offsets.length)] as string;
      out.push({
        key,
        contentHash: `${key.id}/v${ms}`,
        updatedAt: withOffset(ms, offset),
        createdAt: "2024-04-01T00:00:00.000Z",
        recordState: "ACTIVE",
        ...(options.scope === undefined ? {} : { scope: options.scope }),
        customerTouched: [],
        lastSentMs: ms,
      });
    }
  }
  return out;
}

/** Writes the instant `ms` as an ASFF timestamp in the given UTC offset. */
function withOffset(ms: number, offset: string): string {
  if (offset === "Z") return formatAsffTimestamp(ms);
  const sign = offset.startsWith("-") ? -1 : 1;
  const digits = offset.slice(1).replace(":", "");
  const minutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
  return formatAsffTimestamp(ms + minutes * 60_000).replace("Z", offset);
}

/** Deals `items` to `workers` so that every item goes to `copies` distinct workers, each in its own order. */
export function dealOverlapping<T>(
  items: readonly T[],
  workers: number,
  copies: number,
  seed: number,
): T[][] {
  const random = seededRandom(seed);
  const hands: T[][] = Array.from({ length: workers }, () => []);
  for (const item of items) {
    for (const w of shuffle([...hands.keys()], random).slice(0, copies)) hands[w]?.push(item);
  }
  return hands.map((hand) => shuffle(hand, random));
}

/** The newest version of each key (the state Security Hub ends in after all imports). */
export function newestPerKey(versions: readonly ShadowRecord[]): Map<string, ShadowRecord> {
  const newest = new Map<string, ShadowRecord>();
  for (const v of versions) {
    const id = findingKeyString(v.key);
    const current = newest.get(id);
    if (current === undefined || compareAsffTimestamps(v.updatedAt, current.updatedAt) > 0) newest.set(id, v);
  }
  return newest;
}

/** A customer's BatchUpdateFindings that a worker records after one of its batches. */
export interface CustomerTouch {
  readonly key: FindingKey;
  readonly attributes: readonly PrecedenceAttribute[];
  /** Index of the worker's batch after which the touch is recorded. */
  readonly afterBatch: number;
}

export interface ShadowWorkerOptions {
  readonly store: ShadowStore;
  /** The versions this worker imports, in its order. */
  readonly versions: readonly ShadowRecord[];
  /** Findings per batch (one BatchImportFindings call). @default 25 */
  readonly batchSize?: number;
  /**
   * Sends the batch that survived planning; resolves to the records the target accepted. The
   * default accepts everything (store-only test); the pipeline tests send to Security Hub.
   */
  readonly send?: (batch: readonly ShadowRecord[]) => Promise<readonly ShadowRecord[]>;
  readonly touches?: readonly CustomerTouch[];
}

export interface ShadowWorkerResult {
  /** Records this worker's commits wrote. */
  readonly committed: number;
  /** Records whose commit lost to an equal or newer version written meanwhile. */
  readonly conflicts: number;
  /** Records dropped before sending because the shadow already held an equal or newer version. */
  readonly stale: number;
  readonly batches: number;
}

/**
 * Plans, sends and commits `versions` in batches the way the import pipeline does: read the
 * shadows, drop versions that are not newer than the shadow, send the rest, commit what was
 * accepted (the commit's condition settles races with other workers).
 */
export async function runShadowWorker(options: ShadowWorkerOptions): Promise<ShadowWorkerResult> {
  const batchSize = options.batchSize ?? 25;
  const send = options.send ?? (async (batch) => batch);
  let committed = 0;
  let conflicts = 0;
  let stale = 0;
  let batches = 0;
  for (let start = 0; start < options.versions.length; start += batchSize) {
    const batch = options.versions.slice(start, start + batchSize);
    const shadows = await options.store.getMany(batch.map((v) => v.key));
    const fresh = batch.filter((v) => {
      const shadow = shadows.get(findingKeyString(v.key));
      return shadow === undefined || compareAsffTimestamps(v.updatedAt, shadow.updatedAt) > 0;
    });
    stale += batch.length - fresh.length;
    if (fresh.length > 0) {
      const accepted = await send(fresh);
      const result = await options.store.commit(accepted);
      committed += result.committed;
      conflicts += result.conflicts.length;
    }
    for (const touch of options.touches ?? []) {
      if (touch.afterBatch === batches) await options.store.markCustomerTouched(touch.key, touch.attributes);
    }
    batches++;
  }
  return { committed, conflicts, stale, batches };
}
