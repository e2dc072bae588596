/**
 * The local default `ShadowStore`: one SQLite file (`--state DIR` → `DIR/shadow.sqlite`) through
 * better-sqlite3. WAL lets readers work while a commit runs; every commit is one IMMEDIATE
 * transaction, so two processes sharing the file serialise their read-compare-write and a stale
 * writer loses exactly as on DynamoDB.
 */
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { parseAsffTimestamp } from "../../core/asff/timestamp.ts";
import { ConfigurationError } from "../../core/errors.ts";
import {
  type FindingKey,
  findingKeyString,
  PRECEDENCE_ATTRIBUTES,
  type PrecedenceAttribute,
} from "../../core/hub/contracts.ts";
import {
  type CommitResult,
  checkObservation,
  checkScopeRecord,
  checkShadowRecord,
  mergeCustomerTouched,
  type RecordState,
  type ScopeRecord,
  type ShadowCommitRecord,
  type ShadowObservation,
  type ShadowRecord,
  type ShadowStore,
  type StoredFinding,
  scopeKeyString,
} from "../../ports/shadow-store.ts";
import { decodeFindingBlob, encodeFindingBlob } from "../finding-blob.ts";

/** The file name of the shadow database inside a `--state` directory. */
export const SHADOW_DB_FILE = "shadow.sqlite";

export interface SqliteShadowStoreOptions {
  /**
   * Database file, or `":memory:"`. A path ending in `/` or naming a directory is not guessed at:
   * use `sqliteShadowPath(stateDir)` to turn a `--state DIR` into the file path.
   */
  readonly path: string;
  /** How long to wait for another process's write lock, in ms. @default 5000 */
  readonly busyTimeoutMs?: number;
}

/** The shadow database file inside a `--state DIR`. */
export function sqliteShadowPath(stateDir: string): string {
  return join(stateDir, SHADOW_DB_FILE);
}

/**
 * Schema versions (`PRAGMA user_version`): 1 = the first layout; 2 = adds `observed_at`; 3 = adds
 * `observed_at_ms` (so an observation can be advanced conditionally in SQL) and the `scope_state`
 * table (per-scope last scan time); 4 = adds the `last_finding` table (the last sent finding per
 * record, gzip). A file of an older version is migrated when opened; a newer one is refused.
 */
const SCHEMA_VERSION = 4;
/**
 * Keys per `IN (...)` statement (lookups and observations): one statement step per chunk instead
 * of one per key. A shorter chunk is padded with one of its own keys repeated, which selects or
 * updates nothing more, so one prepared statement serves every size.
 */
const GET_CHUNK = 100;

/** `ids` as exactly {@link GET_CHUNK} parameters: padded with its first id (`ids` is not empty). */
function chunkParameters(ids: readonly string[], start: number): string[] {
  const out = ids.slice(start, start + GET_CHUNK);
  const first = out[0] as string;
  while (out.length < GET_CHUNK) out.push(first);
  return out;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS shadow (
  pk                TEXT PRIMARY KEY,
  account_id        TEXT NOT NULL,
  region            TEXT NOT NULL,
  product_arn       TEXT NOT NULL,
  finding_id        TEXT NOT NULL,
  content_hash      TEXT NOT NULL,
  updated_at        TEXT NOT NULL,
  updated_at_ms     INTEGER NOT NULL,
  observed_at       TEXT,
  observed_at_ms    INTEGER,
  created_at        TEXT NOT NULL,
  first_observed_at TEXT,
  record_state      TEXT NOT NULL CHECK (record_state IN ('ACTIVE', 'ARCHIVED')),
  scope             TEXT,
  customer_touched  INTEGER NOT NULL DEFAULT 0,
  last_sent_ms      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS shadow_scope ON shadow (account_id, region, scope, record_state);
CREATE TABLE IF NOT EXISTS scope_state (
  pk            TEXT PRIMARY KEY,
  account_id    TEXT NOT NULL,
  region        TEXT NOT NULL,
  scope         TEXT NOT NULL,
  last_scan_at  TEXT NOT NULL,
  last_scan_ms  INTEGER NOT NULL
) WITHOUT ROWID;
-- The last sent finding per shadow row, in its own table so that the reads of every import
-- (getMany's lookups, the scope listing) never touch the blobs. A rowid table: SQLite advises
-- against WITHOUT ROWID for rows this large.
CREATE TABLE IF NOT EXISTS last_finding (
  pk          TEXT PRIMARY KEY,
  updated_at  TEXT NOT NULL,
  finding     BLOB NOT NULL
);
`;

interface ScopeRow {
  account_id: string;
  region: string;
  scope: string;
  last_scan_at: string;
}

// Customer-touched attributes as a bit set (bit i = PRECEDENCE_ATTRIBUTES[i]): the union is a
// bitwise OR that SQL can do inside the upsert.
function touchedToBits(attributes: readonly PrecedenceAttribute[]): number {
  let bits = 0;
  for (const attribute of attributes) bits |= 1 << PRECEDENCE_ATTRIBUTES.indexOf(attribute);
  return bits;
}

function bitsToTouched(bits: number): PrecedenceAttribute[] {
  return PRECEDENCE_ATTRIBUTES.filter((_, index) => (bits & (1 << index)) !== 0);
}

/** Nobody touched most findings: one shared, frozen empty list instead of one per record. */
const UNTOUCHED: readonly PrecedenceAttribute[] = Object.freeze([]);

/**
 * A row of `getMany` (`raw` mode, in SELECT order): the key string, then the record's columns
 * but the key's own (the caller's key supplies those: fewer strings to build per row).
 */
type GetRow = [
  pk: string,
  contentHash: string,
  updatedAt: string,
  observedAt: string | null,
  createdAt: string,
  firstObservedAt: string | null,
  recordState: RecordState,
  scope: string | null,
  customerTouched: number,
  lastSentMs: number,
];

const GET_COLUMNS = `pk, content_hash, updated_at, observed_at, created_at, first_observed_at, record_state, scope,
  customer_touched, last_sent_ms`;

/**
 * The record of a `getMany` row and the key it was asked for. Built as one literal with the
 * optional members added after: conditional spreads cost a copy each, per record, on every
 * import's lookups.
 */
function getRowRecord(row: GetRow, key: FindingKey): ShadowRecord {
  const [
    ,
    contentHash,
    updatedAt,
    observedAt,
    createdAt,
    firstObservedAt,
    recordState,
    scope,
    touched,
    lastSentMs,
  ] = row;
  const record: { -readonly [K in keyof ShadowRecord]: ShadowRecord[K] } = {
    key: { accountId: key.accountId, region: key.region, productArn: key.productArn, id: key.id },
    contentHash,
    updatedAt,
    createdAt,
    recordState,
    customerTouched: touched === 0 ? UNTOUCHED : bitsToTouched(touched),
    lastSentMs,
  };
  if (observedAt !== null) record.observedAt = observedAt;
  if (firstObservedAt !== null) record.firstObservedAt = firstObservedAt;
  if (scope !== null) record.scope = scope;
  return record;
}

/**
 * A row of the scope listing (`raw` mode, in SELECT order): product_arn, finding_id,
 * content_hash, updated_at, observed_at, created_at, first_observed_at, customer_touched,
 * last_sent_ms.
 */
type ScopeListRow = [
  productArn: string,
  id: string,
  contentHash: string,
  updatedAt: string,
  observedAt: string | null,
  createdAt: string,
  firstObservedAt: string | null,
  customerTouched: number,
  lastSentMs: number,
];

/** The record of a scope-listing row; account, Region, scope and ACTIVE come from the query. */
function scopeListRecord(row: ScopeListRow, accountId: string, region: string, scope: string): ShadowRecord {
  const [
    productArn,
    id,
    contentHash,
    updatedAt,
    observedAt,
    createdAt,
    firstObservedAt,
    touched,
    lastSentMs,
  ] = row;
  const record: { -readonly [K in keyof ShadowRecord]: ShadowRecord[K] } = {
    key: { accountId, region, productArn, id },
    contentHash,
    updatedAt,
    createdAt,
    recordState: "ACTIVE",
    scope,
    customerTouched: touched === 0 ? UNTOUCHED : bitsToTouched(touched),
    lastSentMs,
  };
  if (observedAt !== null) record.observedAt = observedAt;
  if (firstObservedAt !== null) record.firstObservedAt = firstObservedAt;
  return record;
}

/** A `ShadowStore` in one SQLite file. Create it with `openSqliteShadowStore`. */
export class SqliteShadowStore implements ShadowStore {
  readonly #db: Database.Database;
  readonly #getChunk: Database.Statement<string[], GetRow>;
  readonly #upsert: Database.Statement<(string | number | null)[]>;
  readonly #list: Database.Statement<[string, string, string], ScopeListRow>;
  readonly #touch: Database.Statement<[number, string]>;
  readonly #observeChunk: Database.Statement<(string | number)[]>;
  readonly #getScope: Database.Statement<[string], ScopeRow>;
  readonly #advanceScope: Database.Statement<[string, string, string, string, string, number]>;
  readonly #observeAll: (observations: readonly ShadowObservation[], times: readonly number[]) => number;
  readonly #commitAll: (
    records: readonly ShadowCommitRecord[],
    times: readonly number[],
    blobs: readonly (Buffer | undefined)[],
  ) => CommitResult;
  readonly #putFinding: Database.Statement<[string, string, Buffer]>;
  readonly #getFinding: Database.Statement<[string], { updated_at: string; finding: Buffer }>;

  constructor(db: Database.Database) {
    this.#db = db;
    // Raw arrays of named columns: a named property per column costs a native call per row.
    this.#getChunk = db
      .prepare<string[], GetRow>(
        `SELECT ${GET_COLUMNS} FROM shadow WHERE pk IN (${new Array(GET_CHUNK).fill("?").join(",")})`,
      )
      .raw(true) as unknown as Database.Statement<string[], GetRow>;
    // The WHERE on the conflict branch is the optimistic-concurrency rule: only a strictly newer
    // updatedAt replaces a stored record; `changes` tells the caller whether it won.
    this.#upsert = db.prepare<(string | number | null)[]>(`
      INSERT INTO shadow (pk, account_id, region, product_arn, finding_id, content_hash, updated_at,
        updated_at_ms, observed_at, observed_at_ms, created_at, first_observed_at, record_state, scope,
        customer_touched, last_sent_ms)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (pk) DO UPDATE SET
        content_hash = excluded.content_hash, updated_at = excluded.updated_at,
        updated_at_ms = excluded.updated_at_ms, observed_at = excluded.observed_at,
        observed_at_ms = excluded.observed_at_ms, created_at = excluded.created_at,
        first_observed_at = excluded.first_observed_at, record_state = excluded.record_state,
        scope = excluded.scope, customer_touched = shadow.customer_touched | excluded.customer_touched,
        last_sent_ms = excluded.last_sent_ms
      WHERE excluded.updated_at_ms > shadow.updated_at_ms`);
    // Only the columns the query does not already fix, as arrays: re-importing a scan lists every
    // record of its scope, and each column and named property costs a native call per row.
    this.#list = db
      .prepare<[string, string, string], ScopeListRow>(
        `SELECT product_arn, finding_id, content_hash, updated_at, observed_at, created_at, first_observed_at,
          customer_touched, last_sent_ms
        FROM shadow WHERE account_id = ? AND region = ? AND scope = ? AND record_state = 'ACTIVE'`,
      )
      .raw(true) as unknown as Database.Statement<[string, string, string], ScopeListRow>;
    this.#touch = db.prepare<[number, string]>(
      "UPDATE shadow SET customer_touched = customer_touched | ? WHERE pk = ?",
    );
    // The stored observation is observed_at_ms, or updated_at_ms for a row without one (the same
    // fallback the plan uses); only a later report time advances it.
    // One statement per chunk of keys that share a report time (a scan's findings nearly all do).
    this.#observeChunk = db.prepare<(string | number)[]>(
      `UPDATE shadow SET observed_at = ?, observed_at_ms = ?
      WHERE pk IN (${new Array(GET_CHUNK).fill("?").join(",")}) AND COALESCE(observed_at_ms, updated_at_ms) < ?`,
    );
    this.#getScope = db.prepare<[string], ScopeRow>(
      "SELECT account_id, region, scope, last_scan_at FROM scope_state WHERE pk = ?",
    );
    this.#advanceScope = db.prepare<[string, string, string, string, string, number]>(`
      INSERT INTO scope_state (pk, account_id, region, scope, last_scan_at, last_scan_ms) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (pk) DO UPDATE SET last_scan_at = excluded.last_scan_at, last_scan_ms = excluded.last_scan_ms
      WHERE excluded.last_scan_ms > scope_state.last_scan_ms`);
    this.#putFinding = db.prepare<[string, string, Buffer]>(
      `INSERT INTO last_finding (pk, updated_at, finding) VALUES (?, ?, ?)
      ON CONFLICT (pk) DO UPDATE SET updated_at = excluded.updated_at, finding = excluded.finding`,
    );
    this.#getFinding = db.prepare<[string], { updated_at: string; finding: Buffer }>(
      "SELECT updated_at, finding FROM last_finding WHERE pk = ?",
    );
    const observeTransaction = db.transaction(
      (observations: readonly ShadowObservation[], times: readonly number[]): number => {
        // Runs of consecutive observations with the same time, up to a chunk each, in order: the
        // same outcome as one UPDATE per observation (within a run a key advances at most once,
        // as it would the first time), with the same count of records advanced.
        let advanced = 0;
        let pks: string[] = [];
        let runAt = "";
        let runMs = 0;
        const flush = () => {
          if (pks.length === 0) return;
          advanced += this.#observeChunk.run(runAt, runMs, ...chunkParameters(pks, 0), runMs).changes;
          pks = [];
        };
        observations.forEach((observation, index) => {
          const ms = times[index] as number;
          if (ms !== runMs || observation.observedAt !== runAt || pks.length === GET_CHUNK) {
            flush();
            runAt = observation.observedAt;
            runMs = ms;
          }
          pks.push(findingKeyString(observation.key));
        });
        flush();
        return advanced;
      },
    );
    this.#observeAll = (observations, times) => observeTransaction.immediate(observations, times);
    const commitTransaction = db.transaction(
      (
        records: readonly ShadowCommitRecord[],
        times: readonly number[],
        blobs: readonly (Buffer | undefined)[],
      ): CommitResult => {
        let committed = 0;
        const conflicts: FindingKey[] = [];
        records.forEach((record, index) => {
          const pk = findingKeyString(record.key);
          // Positional parameters, in column order: faster to bind than named ones.
          const info = this.#upsert.run(
            pk,
            record.key.accountId,
            record.key.region,
            record.key.productArn,
            record.key.id,
            record.contentHash,
            record.updatedAt,
            times[index] as number,
            record.observedAt ?? null,
            record.observedAt === undefined ? null : (parseAsffTimestamp(record.observedAt) as number),
            record.createdAt,
            record.firstObservedAt ?? null,
            record.recordState,
            record.scope ?? null,
            touchedToBits(record.customerTouched),
            record.lastSentMs,
          );
          if (info.changes === 1) {
            committed++;
            // In the same transaction as the row: the stored finding never outlives a lost commit.
            const blob = blobs[index];
            if (blob !== undefined) this.#putFinding.run(pk, record.updatedAt, blob);
          } else {
            conflicts.push(record.key);
          }
        });
        return { committed, conflicts };
      },
    );
    this.#commitAll = (records, times, blobs) => commitTransaction.immediate(records, times, blobs);
  }

  async getMany(keys: readonly FindingKey[]): Promise<Map<string, ShadowRecord>> {
    const asked = new Map<string, FindingKey>();
    for (const key of keys) asked.set(findingKeyString(key), key);
    const ids = [...asked.keys()];
    const found = new Map<string, ShadowRecord>();
    for (let start = 0; start < ids.length; start += GET_CHUNK) {
      for (const row of this.#getChunk.all(...chunkParameters(ids, start)))
        found.set(row[0], getRowRecord(row, asked.get(row[0]) as FindingKey));
    }
    // Keep the caller's key order, as the other stores do.
    return ids.length === found.size ? new Map(ids.map((id) => [id, found.get(id) as ShadowRecord])) : found;
  }

  async commit(records: readonly ShadowCommitRecord[]): Promise<CommitResult> {
    const times = records.map(checkShadowRecord);
    if (records.length === 0) return { committed: 0, conflicts: [] };
    // Compressed before the transaction, so the write lock is not held while gzip runs.
    const blobs = records.map((record) =>
      record.lastFinding === undefined ? undefined : encodeFindingBlob(record.lastFinding),
    );
    return this.#commitAll(records, times, blobs);
  }

  async lastFindings(keys: readonly FindingKey[]): Promise<Map<string, StoredFinding>> {
    const found = new Map<string, StoredFinding>();
    for (const id of new Set(keys.map(findingKeyString))) {
      const row = this.#getFinding.get(id);
      if (row !== undefined) {
        found.set(id, { finding: decodeFindingBlob(row.finding, id), updatedAt: row.updated_at });
      }
    }
    return found;
  }

  async *listActiveInScope(scope: string, accountId: string, region: string): AsyncIterable<ShadowRecord> {
    // Read the whole result first: the caller may commit while iterating, and a statement that is
    // still stepping would block writes on this connection.
    const rows = this.#list.all(accountId, region, scope);
    for (const row of rows) yield scopeListRecord(row, accountId, region, scope);
  }

  async markCustomerTouched(key: FindingKey, attributes: readonly PrecedenceAttribute[]): Promise<void> {
    const bits = touchedToBits(mergeCustomerTouched([], attributes));
    if (bits === 0) return;
    this.#touch.run(bits, findingKeyString(key));
  }

  async recordObservations(observations: readonly ShadowObservation[]): Promise<number> {
    const times = observations.map(checkObservation);
    if (observations.length === 0) return 0;
    return this.#observeAll(observations, times);
  }

  async getScope(scope: string, accountId: string, region: string): Promise<ScopeRecord | undefined> {
    const row = this.#getScope.get(scopeKeyString({ scope, accountId, region }));
    if (row === undefined) return undefined;
    return { accountId: row.account_id, region: row.region, scope: row.scope, lastScanAt: row.last_scan_at };
  }

  async advanceScope(record: ScopeRecord): Promise<boolean> {
    const ms = checkScopeRecord(record);
    const info = this.#advanceScope.run(
      scopeKeyString(record),
      record.accountId,
      record.region,
      record.scope,
      record.lastScanAt,
      ms,
    );
    return info.changes === 1;
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}

/** Columns added after schema version 1, with their definitions, in the order they were added. */
const ADDED_COLUMNS: ReadonlyArray<readonly [name: string, definition: string]> = [
  ["observed_at", "TEXT"],
  ["observed_at_ms", "INTEGER"],
];

/**
 * Creates the schema in a new file, or brings an older file up to `SCHEMA_VERSION` by adding the
 * missing columns (rows written before keep NULL there, which reads as "absent"). One IMMEDIATE
 * transaction: two processes opening the same old file at once take turns, and the second finds
 * the columns already added instead of failing on a duplicate column.
 */
function migrate(db: Database.Database): void {
  db.transaction(() => {
    const version = Number(db.pragma("user_version", { simple: true }));
    // Re-read under the lock: another process may have migrated the file meanwhile.
    if (version >= SCHEMA_VERSION) return;
    db.exec(SCHEMA);
    const present = new Set(
      (db.pragma("table_info(shadow)") as { name: string }[]).map((column) => column.name),
    );
    for (const [name, definition] of ADDED_COLUMNS) {
      if (!present.has(name)) db.exec(`ALTER TABLE shadow ADD COLUMN ${name} ${definition}`);
    }
    // Version 2 rows kept observed_at as text only: fill in its instant (a row whose text does not
    // parse keeps NULL and falls back to updated_at_ms, as the plan does).
    if (version === 2) {
      const rows = db
        .prepare<[], { pk: string; observed_at: string }>(
          "SELECT pk, observed_at FROM shadow WHERE observed_at IS NOT NULL AND observed_at_ms IS NULL",
        )
        .all();
      const fill = db.prepare<[number, string]>("UPDATE shadow SET observed_at_ms = ? WHERE pk = ?");
      for (const row of rows) {
        const ms = parseAsffTimestamp(row.observed_at);
        if (ms !== undefined) fill.run(ms, row.pk);
      }
    }
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

/**
 * Opens (creating if needed) the SQLite shadow store at `path`: WAL journal, a busy timeout for
 * a second process, the schema and the (account, Region, scope, RecordState) index; a file of an
 * older schema version is migrated in place.
 * @throws ConfigurationError when the file cannot be opened or was written by a newer schema.
 */
export function openSqliteShadowStore(options: SqliteShadowStoreOptions): SqliteShadowStore {
  const { path } = options;
  let db: Database.Database;
  try {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
  } catch (error) {
    throw new ConfigurationError(
      `cannot open the shadow store ${path}: ${(error as Error).message}; check --state DIR`,
      { cause: error },
    );
  }
  try {
    // 16 KB pages for a new file (an existing file keeps its own: the size is fixed once the
    // file has a table). Shadow rows are ~500 bytes with a ~200-byte key, about seven to a 4 KB
    // page: bigger pages cut the pages and WAL frames each commit and observation run writes
    // (50,000 records: commit ~16 -> ~12 us, observations ~6.5 -> ~4 us of CPU per record).
    db.pragma("page_size = 16384");
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5_000))}`);
    db.pragma("journal_mode = WAL");
    // NORMAL is durable across application crashes in WAL mode; only a power loss may drop the last commits,
    // which costs a harmless resend.
    db.pragma("synchronous = NORMAL");
    // A 64 MB page cache (SQLite's default is 2 MB) holds the shadow of ~100,000 findings: the
    // scope listing, lookups and observation updates then read pages from memory instead of a
    // pread each (measured 15–25 % less CPU per record at 50,000). Memory is taken as used.
    db.pragma("cache_size = -65536");
    const version = Number(db.pragma("user_version", { simple: true }));
    if (version > SCHEMA_VERSION) {
      throw new ConfigurationError(
        `the shadow store ${path} has schema version ${version}; this shadowhub understands ${SCHEMA_VERSION}: upgrade shadowhub or use another --state DIR`,
      );
    }
    // Only an old or new file takes the write lock here; opening a current one writes nothing.
    if (version < SCHEMA_VERSION) migrate(db);
  } catch (error) {
    db.close();
    if (error instanceof ConfigurationError) throw error;
    throw new ConfigurationError(
      `cannot use ${path} as a shadow store: ${(error as Error).message}; check --state DIR`,
      { cause: error },
    );
  }
  return new SqliteShadowStore(db);
}
