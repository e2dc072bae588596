/** In-memory {@link HubRepository}: for tests and `serve` without `--state`. Nothing survives a restart. */
import { type FindingKey, findingKeyString, type StoredFinding } from "../../core/hub/contracts.ts";
import { cloneJson } from "../../core/hub/json.ts";
import {
  type FindingQuery,
  type HubRecord,
  type HubRepository,
  type IndexRow,
  indexRow,
  type ProductSubscription,
  rowSatisfies,
} from "./repository.ts";

interface Entry {
  readonly stored: StoredFinding;
  readonly row: IndexRow;
}

const hubKey = (accountId: string, region: string) => `${accountId}\u0000${region}`;

export class MemoryHubRepository implements HubRepository {
  /** Reads return the stored objects: the hub copies what it answers with. */
  readonly sharesStoredObjects = true;
  readonly #hubs = new Map<string, HubRecord>();
  readonly #subscriptions = new Map<string, Map<string, ProductSubscription>>();
  /** Findings per hub, in insertion order (the order SQLite's rowid would give). */
  readonly #findings = new Map<string, Map<string, Entry>>();
  #inTransaction = false;

  transaction<T>(fn: () => T, _mode?: "read" | "write"): T {
    // Single-threaded and synchronous: a call cannot interleave with another. Rollback on error
    // is not needed because the hub computes everything before it writes.
    if (this.#inTransaction) return fn();
    this.#inTransaction = true;
    try {
      return fn();
    } finally {
      this.#inTransaction = false;
    }
  }

  getHub(accountId: string, region: string): HubRecord | undefined {
    return this.#hubs.get(hubKey(accountId, region));
  }

  putHub(hub: HubRecord): void {
    this.#hubs.set(hubKey(hub.accountId, hub.region), hub);
  }

  listSubscriptions(accountId: string, region: string): ProductSubscription[] {
    return [...(this.#subscriptions.get(hubKey(accountId, region))?.values() ?? [])];
  }

  putSubscription(subscription: ProductSubscription): void {
    const key = hubKey(subscription.accountId, subscription.region);
    let map = this.#subscriptions.get(key);
    if (map === undefined) {
      map = new Map();
      this.#subscriptions.set(key, map);
    }
    map.set(subscription.productArn, subscription);
  }

  deleteSubscription(accountId: string, region: string, subscriptionArn: string): boolean {
    const map = this.#subscriptions.get(hubKey(accountId, region));
    if (map === undefined) return false;
    for (const [productArn, s] of map) {
      if (s.subscriptionArn === subscriptionArn) return map.delete(productArn);
    }
    return false;
  }

  getFindings(keys: readonly FindingKey[]): Map<string, StoredFinding> {
    const out = new Map<string, StoredFinding>();
    for (const key of keys) {
      const ks = findingKeyString(key);
      const entry = this.#findings.get(hubKey(key.accountId, key.region))?.get(ks);
      if (entry !== undefined) out.set(ks, entry.stored);
    }
    return out;
  }

  putFindings(findings: readonly StoredFinding[]): void {
    for (const stored of findings) {
      const hk = hubKey(stored.key.accountId, stored.key.region);
      let map = this.#findings.get(hk);
      if (map === undefined) {
        map = new Map();
        this.#findings.set(hk, map);
      }
      // Copied: the engine's results share nested values with the caller's request objects
      // (structural sharing), and an in-process caller may still change those afterwards.
      const copy: StoredFinding = { ...stored, finding: cloneJson(stored.finding) };
      map.set(findingKeyString(stored.key), { stored: copy, row: indexRow(copy.finding) });
    }
  }

  *queryFindings(query: FindingQuery): Iterable<StoredFinding> {
    const map = this.#findings.get(hubKey(query.accountId, query.region));
    if (map === undefined) return;
    const hits: Entry[] = [];
    for (const entry of map.values()) {
      if (entry.stored.lastProviderUpdateMs <= query.expiredAtOrBeforeMs) continue;
      if (query.constraints.every((c) => rowSatisfies(entry.row, c))) hits.push(entry);
    }
    const order = query.order;
    if (order !== undefined) {
      const value = (e: Entry) => e.row[order.column][0] as number | undefined;
      hits.sort((a, b) => {
        const x = value(a);
        const y = value(b);
        if (x === y) return 0;
        if (x === undefined) return 1;
        if (y === undefined) return -1;
        return order.descending ? y - x : x - y;
      });
    }
    for (const entry of hits) yield entry.stored;
  }

  purgeExpired(accountId: string, region: string, cutoffMs: number): number {
    const map = this.#findings.get(hubKey(accountId, region));
    if (map === undefined) return 0;
    let removed = 0;
    for (const [k, entry] of map) {
      if (entry.stored.lastProviderUpdateMs <= cutoffMs) {
        map.delete(k);
        removed++;
      }
    }
    return removed;
  }

  countFindings(): number {
    let n = 0;
    for (const map of this.#findings.values()) n += map.size;
    return n;
  }

  close(): void {
    this.#findings.clear();
  }
}
