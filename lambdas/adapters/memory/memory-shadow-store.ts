/**
 * An in-memory `ShadowStore`: for tests, `--dry-run` and one-shot imports that keep no state.
 * Records are copied on the way in and out, so callers cannot change the store by mutating them.
 */
import { type FindingKey, findingKeyString, type PrecedenceAttribute } from "../../core/hub/contracts.ts";
import {
  type CommitResult,
  checkObservation,
  checkScopeRecord,
  checkShadowRecord,
  mergeCustomerTouched,
  type ScopeRecord,
  type ShadowCommitRecord,
  type ShadowObservation,
  type ShadowRecord,
  type ShadowStore,
  type StoredFinding,
  scopeKeyString,
  storedObservationMs,
} from "../../ports/shadow-store.ts";

interface Entry {
  readonly record: ShadowRecord;
  readonly updatedAtMs: number;
}

// A field-by-field copy keeps exactly the port's fields (as the SQLite and DynamoDB stores do):
// anything else a caller hangs on a record is not stored, and an optional field given as
// `undefined` comes back absent. The fields are strings and numbers, so this copy is deep;
// freezing would cost more than the rest of a commit.
function copy(record: ShadowRecord): ShadowRecord {
  const { key } = record;
  return {
    key: { accountId: key.accountId, region: key.region, productArn: key.productArn, id: key.id },
    contentHash: record.contentHash,
    updatedAt: record.updatedAt,
    ...(record.observedAt === undefined ? {} : { observedAt: record.observedAt }),
    createdAt: record.createdAt,
    ...(record.firstObservedAt === undefined ? {} : { firstObservedAt: record.firstObservedAt }),
    recordState: record.recordState,
    ...(record.scope === undefined ? {} : { scope: record.scope }),
    customerTouched: [...record.customerTouched],
    lastSentMs: record.lastSentMs,
  };
}

/** A `ShadowStore` held in a `Map`; nothing survives the process. */
export class MemoryShadowStore implements ShadowStore {
  readonly #entries = new Map<string, Entry>();
  /** Last sent findings as JSON text: a copy no caller can mutate, kept apart from the records. */
  readonly #findings = new Map<string, { readonly json: string; readonly updatedAt: string }>();
  readonly #scopes = new Map<string, { readonly record: ScopeRecord; readonly lastScanMs: number }>();
  #closed = false;

  async getMany(keys: readonly FindingKey[]): Promise<Map<string, ShadowRecord>> {
    this.#assertOpen();
    const found = new Map<string, ShadowRecord>();
    for (const key of keys) {
      const id = findingKeyString(key);
      const entry = this.#entries.get(id);
      if (entry !== undefined) found.set(id, entry.record);
    }
    return found;
  }

  async lastFindings(keys: readonly FindingKey[]): Promise<Map<string, StoredFinding>> {
    this.#assertOpen();
    const found = new Map<string, StoredFinding>();
    for (const key of keys) {
      const id = findingKeyString(key);
      const stored = this.#findings.get(id);
      if (stored !== undefined)
        found.set(id, { finding: JSON.parse(stored.json), updatedAt: stored.updatedAt });
    }
    return found;
  }

  async commit(records: readonly ShadowCommitRecord[]): Promise<CommitResult> {
    this.#assertOpen();
    // Validate everything first, so a bad record leaves the store untouched.
    const times = records.map(checkShadowRecord);
    let committed = 0;
    const conflicts: FindingKey[] = [];
    records.forEach((record, index) => {
      const updatedAtMs = times[index] as number;
      const id = findingKeyString(record.key);
      const stored = this.#entries.get(id);
      if (stored !== undefined && stored.updatedAtMs >= updatedAtMs) {
        conflicts.push(record.key);
        return;
      }
      const customerTouched = mergeCustomerTouched(
        stored?.record.customerTouched ?? [],
        record.customerTouched,
      );
      this.#entries.set(id, { record: copy({ ...record, customerTouched }), updatedAtMs });
      if (record.lastFinding !== undefined) {
        this.#findings.set(id, { json: JSON.stringify(record.lastFinding), updatedAt: record.updatedAt });
      }
      committed++;
    });
    return { committed, conflicts };
  }

  async *listActiveInScope(scope: string, accountId: string, region: string): AsyncIterable<ShadowRecord> {
    this.#assertOpen();
    for (const { record } of [...this.#entries.values()]) {
      if (
        record.recordState === "ACTIVE" &&
        record.scope === scope &&
        record.key.accountId === accountId &&
        record.key.region === region
      ) {
        yield record;
      }
    }
  }

  async markCustomerTouched(key: FindingKey, attributes: readonly PrecedenceAttribute[]): Promise<void> {
    this.#assertOpen();
    const id = findingKeyString(key);
    const stored = this.#entries.get(id);
    if (stored === undefined) return;
    const customerTouched = mergeCustomerTouched(stored.record.customerTouched, attributes);
    this.#entries.set(id, { ...stored, record: copy({ ...stored.record, customerTouched }) });
  }

  async recordObservations(observations: readonly ShadowObservation[]): Promise<number> {
    this.#assertOpen();
    const times = observations.map(checkObservation);
    let advanced = 0;
    observations.forEach((observation, index) => {
      const id = findingKeyString(observation.key);
      const stored = this.#entries.get(id);
      if (stored === undefined || storedObservationMs(stored.record) >= (times[index] as number)) return;
      this.#entries.set(id, {
        ...stored,
        record: copy({ ...stored.record, observedAt: observation.observedAt }),
      });
      advanced++;
    });
    return advanced;
  }

  async getScope(scope: string, accountId: string, region: string): Promise<ScopeRecord | undefined> {
    this.#assertOpen();
    const stored = this.#scopes.get(scopeKeyString({ scope, accountId, region }));
    return stored === undefined ? undefined : { ...stored.record };
  }

  async advanceScope(record: ScopeRecord): Promise<boolean> {
    this.#assertOpen();
    const lastScanMs = checkScopeRecord(record);
    const id = scopeKeyString(record);
    const stored = this.#scopes.get(id);
    if (stored !== undefined && stored.lastScanMs >= lastScanMs) return false;
    const { accountId, region, scope, lastScanAt } = record;
    this.#scopes.set(id, { record: { accountId, region, scope, lastScanAt }, lastScanMs });
    return true;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error("MemoryShadowStore: used after close()");
  }
}
