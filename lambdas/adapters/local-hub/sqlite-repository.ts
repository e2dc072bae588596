/**
 * SQLite {@link HubRepository} through better-sqlite3: the persistent store of `serve --state DIR`
 * and of the in-process local target. One file, WAL journal, one transaction per hub call.
 *
 * Each finding is one row holding the whole stored finding as JSON plus the indexed columns the
 * common GetFindings filters are pushed down to; multi-valued attributes (resource Ids and types)
 * live in a side table. The columns only narrow the candidates: the engine's predicate decides.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { FindingKey, StoredFinding } from "../../core/hub/contracts.ts";
import { findingKeyString } from "../../core/hub/contracts.ts";
import type {
  FindingQuery,
  HubRecord,
  HubRepository,
  IndexConstraint,
  IndexedColumn,
  ProductSubscription,
} from "./repository.ts";
import { MULTI_VALUED_COLUMNS, scalarIndexValue } from "./repository.ts";
import { WalCheckpointer } from "./wal-checkpointer.ts";

/**
 * Schema versions (`meta.schema_version`): 1 = the first layout; 2 = one unique key index in
 * (account, Region, Id, ProductArn) order, which also answers Id filters, instead of a key index
 * plus a separate Id index (one random-order index less to update per imported finding); 3 = the
 * resource side table carries its finding's UpdatedAt and is indexed by (resource Id, UpdatedAt),
 * so a resource's newest findings are read in order and reading stops after a page; 4 = that index
 * holds a 53-bit hash of the resource Id instead of the Id (see `RESOURCE_INDEX`); 5 = the
 * findings' indexes start with a small hub number instead of (account, Region), and the key index
 * holds a product number instead of the ProductArn (see `HUB_NUMBERS`); 6 = the GeneratorId index
 * and the resource index hold small numbers given to each GeneratorId and resource Id in order of
 * arrival instead of the text or its hash (see `GENERATOR_INDEX`, `RESOURCE_INDEX`). Older files
 * are migrated when opened; a newer one is refused.
 */
const SCHEMA_VERSION = 6;

/**
 * Page size of new files. Why 32 KB rather than SQLite's 4 KB: a commit writes every dirty page
 * as one WAL frame, and on the machines measured each frame costs a fixed ~15 µs of system
 * calls, so a call of 100 findings (about 250 KB of rows plus index entries scattered over many
 * pages) committed 2–3× faster (measured 5.9 → 1.9 ms per commit at 20,000 stored). Existing
 * files keep their page size (it cannot change in WAL mode).
 */
const PAGE_SIZE = 32_768;

/** SQLite page cache per connection, in KiB. */
const CACHE_KIB = 64 * 1024;

/** Checkpoint when the WAL holds about this many bytes (see the constructor). */
const WAL_CHECKPOINT_BYTES = 80 * 1024 * 1024;

/**
 * The main connection's own automatic checkpoint, when a worker thread checkpoints (see
 * `WalCheckpointer`), comes at this multiple of the checkpoint size: only a backstop that bounds
 * the WAL if the worker falls behind or fails.
 */
const WAL_BACKSTOP_FACTOR = 3;

const SCALAR_COLUMNS = [
  "generator_id",
  "aws_account_id",
  "title",
  "severity_label",
  "record_state",
  "workflow_status",
  "compliance_status",
  "company_name",
  "product_name",
  "created_at_ms",
  "updated_at_ms",
] as const;

/** Position of UpdatedAt among the scalar columns (the resource side table repeats it). */
const UPDATED_AT_INDEX = SCALAR_COLUMNS.indexOf("updated_at_ms");
/** Position of GeneratorId among the scalar columns (its number is written beside it). */
const GENERATOR_ID_INDEX = SCALAR_COLUMNS.indexOf("generator_id");

/**
 * Scalar columns with an index. Low-cardinality columns (severity, states, names, the account)
 * are filtered in SQL without one: an index on them selects too much to pay for its upkeep on
 * every import.
 */
const INDEXED_SCALARS = ["title", "created_at_ms", "updated_at_ms"] as const;

/**
 * Schema 5: every index of the findings table starts with `hub_no`, a small integer per (account,
 * Region) from `hub_numbers`, and the unique key index holds `product_no` from `product_numbers`
 * instead of the ProductArn. Why: an index entry was ~135 bytes in the key index (account 12,
 * Region 9, Id, ProductArn ~70) and ~50 in the others, most of it the same account and Region in
 * every entry; shorter entries make each index smaller, so a call's random inserts dirty fewer
 * 32 KB leaves (each one a WAL frame at commit) and compare fewer bytes on every seek. Measured
 * before adopting it, with the extreme of no account, Region or ProductArn in the indexes at all:
 * 155 → 132 µs of CPU per imported finding at 100,000 stored. The text columns stay in the rows
 * (the ProductArn filter reads them).
 */
const INDEX_SUFFIX = "_v5";

/**
 * GeneratorId (a rule's findings) is indexed together with UpdatedAt: the console's common
 * question, a rule's newest findings, then walks the index in order and stops after one page
 * instead of reading and sorting every finding of the rule (measured 4.2 → 1.5 ms at 100,000
 * stored, 500 findings per rule).
 *
 * Schema 6: the index holds `generator_no`, a small integer per distinct GeneratorId from
 * `generator_numbers`, instead of the text. Why: a call's findings belong to many rules, so its
 * inserts land all over this index and each one dirties its own 32 KB leaf once the index has
 * more leaves than a call has findings; every dirty page is a WAL frame at commit (and again a
 * page the checkpoint copies). Counted on the benchmark's import (WAL frames per commit of 100
 * findings): 35 at 10,000 stored rising to 177 at 100,000, ~80 of them this index's leaves. With
 * ~13-byte instead of ~31-byte entries the index has ~half the leaves. A GeneratorId keeps its
 * number forever (numbers are never reused), and PREFIX filters still read an index range: the
 * numbers of the GeneratorIds with that prefix come from `generator_numbers`' unique index.
 * The text stays in the row.
 */
const GENERATOR_INDEX = "findings_generator_no";

/**
 * A resource's findings by UpdatedAt: the side table repeats its finding's UpdatedAt (kept in step
 * by `putFindings`, which rewrites a finding's resource rows on every write) so that the console's
 * "this resource's newest findings" reads one page of rows in index order instead of every
 * finding of the resource (200 at 100,000 stored in the benchmark) to sort them.
 *
 * Schema 6: the index holds `resource_no`, a number per distinct resource Id from
 * `resource_numbers` given in order of arrival, instead of a 53-bit hash of the Id (schema 4) or
 * the ~100-byte Id itself (schema 3). Why: a hash scatters the resources of one call over the
 * whole index, so each of its findings dirtied its own 32 KB leaf, and every dirty page is a WAL
 * frame at commit: counted on the benchmark's import at 100,000 stored, 61 of a commit's 142 WAL
 * frames were leaves of this index (the largest share, growing with the store). Numbers given in
 * order of arrival keep resources that are imported together (one scan's images or accounts)
 * next to each other, and are ~3 bytes instead of 8. Numbers are exact (no Id comparison needed)
 * and never reused; a ResourceId PREFIX filter reads a range of `resource_numbers`' unique index.
 */
const RESOURCE_INDEX = "finding_resources_no_updated";

/**
 * The indexed columns whose constraint usually selects few findings: with one of them the query
 * is driven by its index and the matches are sorted. Without one (only low-cardinality columns
 * such as SeverityLabel, RecordState, WorkflowStatus, ProductArn or ResourceType, or no filter at
 * all, the console's default), a first page sorted by a date walks that date's index in order and
 * stops after a page instead of reading and sorting the whole hub: at 100,000 stored, 310–630 ms
 * → 2–8 ms of CPU per call. The worst case, a filter nothing matches, still reads every row, as
 * the sort did.
 */
const SELECTIVE_COLUMNS: ReadonlySet<string> = new Set([
  "id",
  "title",
  "generator_id",
  "resource_id",
  "created_at_ms",
  "updated_at_ms",
]);

const TABLES = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS hubs (
  account_id TEXT NOT NULL, region TEXT NOT NULL, doc TEXT NOT NULL,
  PRIMARY KEY (account_id, region)
);
CREATE TABLE IF NOT EXISTS product_subscriptions (
  account_id TEXT NOT NULL, region TEXT NOT NULL, product_arn TEXT NOT NULL, subscription_arn TEXT NOT NULL,
  PRIMARY KEY (account_id, region, product_arn)
);
CREATE TABLE IF NOT EXISTS hub_numbers (
  hub_no INTEGER PRIMARY KEY, account_id TEXT NOT NULL, region TEXT NOT NULL, UNIQUE (account_id, region)
);
CREATE TABLE IF NOT EXISTS product_numbers (product_no INTEGER PRIMARY KEY, product_arn TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS generator_numbers (generator_no INTEGER PRIMARY KEY, generator_id TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS resource_numbers (resource_no INTEGER PRIMARY KEY, resource_id TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS findings (
  fid INTEGER PRIMARY KEY,
  account_id TEXT NOT NULL, region TEXT NOT NULL, product_arn TEXT NOT NULL, id TEXT NOT NULL,
  generator_id TEXT, aws_account_id TEXT, title TEXT, severity_label TEXT, record_state TEXT,
  workflow_status TEXT, compliance_status TEXT, company_name TEXT, product_name TEXT,
  created_at_ms INTEGER, updated_at_ms INTEGER,
  last_provider_update_ms INTEGER NOT NULL,
  doc TEXT NOT NULL,
  hub_no INTEGER, product_no INTEGER, generator_no INTEGER
);
CREATE TABLE IF NOT EXISTS finding_resources (
  fid INTEGER NOT NULL REFERENCES findings(fid) ON DELETE CASCADE,
  resource_id TEXT, resource_type TEXT, updated_at_ms INTEGER, resource_no INTEGER
);
`;

/** Indexes of the current schema version (created on open; a migration drops the retired ones). */
const INDEXES = `
CREATE UNIQUE INDEX IF NOT EXISTS findings_key${INDEX_SUFFIX} ON findings (hub_no, id, product_no);
CREATE INDEX IF NOT EXISTS findings_expiry${INDEX_SUFFIX} ON findings (hub_no, last_provider_update_ms);
${INDEXED_SCALARS.map((c) => `CREATE INDEX IF NOT EXISTS findings_${c}${INDEX_SUFFIX} ON findings (hub_no, ${c});`).join("\n")}
CREATE INDEX IF NOT EXISTS ${GENERATOR_INDEX} ON findings (hub_no, generator_no, updated_at_ms);
CREATE INDEX IF NOT EXISTS finding_resources_fid ON finding_resources (fid);
CREATE INDEX IF NOT EXISTS ${RESOURCE_INDEX} ON finding_resources (resource_no, updated_at_ms);
CREATE INDEX IF NOT EXISTS finding_resources_type ON finding_resources (resource_type);
`;

/**
 * Columns answered through a number table (schema 6): the indexed column holding the number,
 * and the table that maps each text to its number (its unique index answers PREFIX).
 */
const NUMBERED_COLUMNS: ReadonlyMap<
  IndexedColumn,
  { column: string; table: string; number: string; text: string }
> = new Map([
  [
    "generator_id",
    { column: "f.generator_no", table: "generator_numbers", number: "generator_no", text: "generator_id" },
  ],
  [
    "resource_id",
    { column: "r.resource_no", table: "resource_numbers", number: "resource_no", text: "resource_id" },
  ],
]);

/**
 * What a finding's side-table rows hold besides its UpdatedAt: each resource's Id (when a string)
 * and Type, in order. Two findings with the same key have the same rows.
 */
function resourceRowsKey(finding: StoredFinding["finding"]): string {
  const resources = finding.Resources;
  if (resources === undefined || resources.length === 0) return "[]";
  return JSON.stringify(resources.map((r) => [typeof r.Id === "string" ? r.Id : null, r.Type ?? null]));
}

interface FindingRow {
  fid: number;
  doc: string;
}

/**
 * A read in date order (see `#walk`): along one of the findings' indexes whose last column is the
 * date (the date's own, or GeneratorId's), or along the resource side table's index for one
 * resource Id.
 */
type WalkPlan =
  | {
      readonly kind: "index";
      readonly index: string;
      readonly order: NonNullable<FindingQuery["order"]>;
    }
  | {
      readonly kind: "resource";
      readonly resource: IndexConstraint;
      readonly order: NonNullable<FindingQuery["order"]>;
    };

/** Options of {@link SqliteHubRepository}. */
export interface SqliteHubRepositoryOptions {
  /** Database file; created with its directory when missing. `:memory:` for a throw-away database. */
  readonly file: string;
  /**
   * Checkpoint the WAL from a worker thread (a file on disk only). With `false` the connection
   * checkpoints inside its own commits, as SQLite does by default. @default true
   */
  readonly checkpointWorker?: boolean;
  /** WAL bytes between checkpoints (tests use a small value). @default 80 MiB */
  readonly walCheckpointBytes?: number;
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export class SqliteHubRepository implements HubRepository {
  /** Every read parses its row into fresh objects. */
  readonly sharesStoredObjects = false;
  readonly #db: Database.Database;
  readonly #stmts;
  /** The worker that checkpoints the WAL; undefined in memory, when disabled, or after it failed. */
  #checkpointer: WalCheckpointer | undefined;
  readonly #autoCheckpointPages: number;

  constructor(options: SqliteHubRepositoryOptions) {
    if (options.file !== ":memory:") mkdirSync(dirname(options.file), { recursive: true });
    this.#db = new Database(options.file);
    // Only takes effect on a new, empty file: it must come before WAL mode writes the header.
    this.#db.pragma(`page_size = ${PAGE_SIZE}`);
    this.#db.pragma("journal_mode = WAL");
    // WAL + NORMAL: a committed transaction survives a process crash; only an OS crash can lose
    // the last transactions, which is acceptable for a local emulator.
    this.#db.pragma("synchronous = NORMAL");
    // Checkpoint every ~80 MB of WAL instead of 4 MB: each checkpoint fsyncs, and with 100-finding
    // batches the default made the fsyncs the largest cost of an import. A file on disk is
    // checkpointed by a worker thread (off the request path, see WalCheckpointer); this
    // connection's automatic checkpoint is then only the backstop. The pragma counts pages.
    const pageSize = Number(this.#db.pragma("page_size", { simple: true }));
    const checkpointBytes = options.walCheckpointBytes ?? WAL_CHECKPOINT_BYTES;
    this.#autoCheckpointPages = Math.max(1000, Math.round(checkpointBytes / pageSize));
    const withWorker = options.file !== ":memory:" && options.checkpointWorker !== false;
    const backstop = this.#autoCheckpointPages * WAL_BACKSTOP_FACTOR;
    this.#db.pragma(`wal_autocheckpoint = ${withWorker ? backstop : this.#autoCheckpointPages}`);
    // Another process on the same --state (the import pipeline's local target) waits instead of failing.
    this.#db.pragma("busy_timeout = 5000");
    // A page cache of 64 MB instead of 2 MB: with 2 MB (64 pages of 32 KB) a call of 100 findings
    // spilled dirty pages mid-transaction and re-read index pages on every lookup.
    this.#db.pragma(`cache_size = -${CACHE_KIB}`);
    this.#db.pragma("foreign_keys = ON");
    // Exact-case LIKE lets `LIKE 'prefix%'` use the Id and Title indexes; PREFIX is case-sensitive anyway.
    this.#db.pragma("case_sensitive_like = ON");
    this.#migrate(options.file);
    const db = this.#db;
    this.#stmts = {
      getHub: db.prepare("SELECT doc FROM hubs WHERE account_id = ? AND region = ?"),
      putHub: db.prepare("INSERT OR REPLACE INTO hubs (account_id, region, doc) VALUES (?, ?, ?)"),
      listSubs: db.prepare(
        "SELECT account_id, region, product_arn, subscription_arn FROM product_subscriptions WHERE account_id = ? AND region = ? ORDER BY product_arn",
      ),
      putSub: db.prepare(
        "INSERT OR REPLACE INTO product_subscriptions (account_id, region, product_arn, subscription_arn) VALUES (?, ?, ?, ?)",
      ),
      deleteSub: db.prepare(
        "DELETE FROM product_subscriptions WHERE account_id = ? AND region = ? AND subscription_arn = ?",
      ),
      getFinding: db.prepare("SELECT fid, doc FROM findings WHERE hub_no = ? AND id = ? AND product_no = ?"),
      getFid: db.prepare("SELECT fid FROM findings WHERE hub_no = ? AND id = ? AND product_no = ?"),
      insertFinding: db.prepare(
        `INSERT INTO findings (hub_no, product_no, generator_no, account_id, region, product_arn, id, ${SCALAR_COLUMNS.join(", ")}, last_provider_update_ms, doc)
         VALUES (?, ?, ?, ?, ?, ?, ?, ${SCALAR_COLUMNS.map(() => "?").join(", ")}, ?, ?)`,
      ),
      getHubNo: db.prepare("SELECT hub_no FROM hub_numbers WHERE account_id = ? AND region = ?").pluck(),
      addHubNo: db.prepare("INSERT INTO hub_numbers (account_id, region) VALUES (?, ?)"),
      getProductNo: db.prepare("SELECT product_no FROM product_numbers WHERE product_arn = ?").pluck(),
      addProductNo: db.prepare("INSERT INTO product_numbers (product_arn) VALUES (?)"),
      getGeneratorNo: db.prepare("SELECT generator_no FROM generator_numbers WHERE generator_id = ?").pluck(),
      addGeneratorNo: db.prepare("INSERT INTO generator_numbers (generator_id) VALUES (?)"),
      getResourceNo: db.prepare("SELECT resource_no FROM resource_numbers WHERE resource_id = ?").pluck(),
      addResourceNo: db.prepare("INSERT INTO resource_numbers (resource_id) VALUES (?)"),
      updateFinding: db.prepare(
        `UPDATE findings SET generator_no = ?, ${SCALAR_COLUMNS.map((c) => `${c} = ?`).join(", ")}, last_provider_update_ms = ?, doc = ? WHERE fid = ?`,
      ),
      deleteResources: db.prepare("DELETE FROM finding_resources WHERE fid = ?"),
      moveResources: db.prepare("UPDATE finding_resources SET updated_at_ms = ? WHERE fid = ?"),
      insertResource: db.prepare(
        "INSERT INTO finding_resources (fid, resource_id, resource_type, updated_at_ms, resource_no) VALUES (?, ?, ?, ?, ?)",
      ),
      purge: db.prepare("DELETE FROM findings WHERE hub_no = ? AND last_provider_update_ms <= ?"),
      count: db.prepare("SELECT count(*) AS n FROM findings"),
    };
    // After the migration: the worker's connection only ever checkpoints.
    if (withWorker) {
      this.#checkpointer = new WalCheckpointer({ file: options.file, targetBytes: checkpointBytes });
    }
  }

  /**
   * Creates the schema in a new file or brings a version 1 file up to date, in one IMMEDIATE
   * transaction (two processes opening the same old file take turns; the second finds it done).
   */
  #migrate(file: string): void {
    const db = this.#db;
    db.transaction(() => {
      db.exec(TABLES);
      const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as
        | { value: string }
        | undefined;
      const version = row === undefined ? SCHEMA_VERSION : Number(row.value);
      if (version > SCHEMA_VERSION || !Number.isInteger(version) || version < 1) {
        throw new Error(
          `${file}: schema version ${row?.value} is not supported (expected ${SCHEMA_VERSION} or older); use a new --state directory or a newer shadowhub`,
        );
      }
      // Version 2 → 3: the resource side table gains its finding's UpdatedAt (filled in from the
      // findings) before its (resource Id, UpdatedAt) index is created below.
      const resourceColumns = db.prepare("SELECT name FROM pragma_table_info('finding_resources')").all() as {
        name: string;
      }[];
      if (!resourceColumns.some((c) => c.name === "updated_at_ms")) {
        db.exec(`ALTER TABLE finding_resources ADD COLUMN updated_at_ms INTEGER;
          UPDATE finding_resources SET updated_at_ms = (SELECT f.updated_at_ms FROM findings f WHERE f.fid = finding_resources.fid);`);
      }
      // Version 4 → 5: the findings gain their hub and product numbers before the indexes on them
      // are created below.
      const findingColumns = db.prepare("SELECT name FROM pragma_table_info('findings')").all() as {
        name: string;
      }[];
      if (!findingColumns.some((c) => c.name === "hub_no")) {
        db.exec(`ALTER TABLE findings ADD COLUMN hub_no INTEGER;
          ALTER TABLE findings ADD COLUMN product_no INTEGER;
          INSERT OR IGNORE INTO hub_numbers (account_id, region) SELECT DISTINCT account_id, region FROM findings;
          INSERT OR IGNORE INTO product_numbers (product_arn) SELECT DISTINCT product_arn FROM findings;
          UPDATE findings SET
            hub_no = (SELECT h.hub_no FROM hub_numbers h WHERE h.account_id = findings.account_id AND h.region = findings.region),
            product_no = (SELECT p.product_no FROM product_numbers p WHERE p.product_arn = findings.product_arn);`);
      }
      // Version 5 → 6: the findings gain their GeneratorId's number before the index on it is
      // created below.
      if (!findingColumns.some((c) => c.name === "generator_no")) {
        db.exec(`ALTER TABLE findings ADD COLUMN generator_no INTEGER;
          INSERT OR IGNORE INTO generator_numbers (generator_id) SELECT DISTINCT generator_id FROM findings WHERE generator_id IS NOT NULL;
          UPDATE findings SET generator_no = (SELECT g.generator_no FROM generator_numbers g WHERE g.generator_id = findings.generator_id)
            WHERE generator_id IS NOT NULL;`);
      }
      // Version 3, 4 or 5 → 6: the side table gains the number of each resource Id before the
      // index on it is created below (the hash column of versions 4 and 5 stays, unused).
      if (!resourceColumns.some((c) => c.name === "resource_no")) {
        db.exec(`ALTER TABLE finding_resources ADD COLUMN resource_no INTEGER;
          INSERT OR IGNORE INTO resource_numbers (resource_id) SELECT resource_id FROM finding_resources WHERE resource_id IS NOT NULL ORDER BY rowid;
          UPDATE finding_resources SET resource_no = (SELECT n.resource_no FROM resource_numbers n WHERE n.resource_id = finding_resources.resource_id)
            WHERE resource_id IS NOT NULL;`);
      }
      db.exec(INDEXES);
      // Version 1 → 2: the key index in (account, Region, ProductArn, Id) order and the separate
      // Id index are replaced by findings_key_v2, created above.
      // The GeneratorId index became findings_generator_updated, and (version 3) the resource Id
      // index became finding_resources_id_updated, then (version 4) finding_resources_hash_updated,
      // then (version 6) finding_resources_no_updated.
      // Version 5: the findings' indexes on (account, Region, ...) became the *_v5 ones on hub_no.
      // Version 6: findings_generator_v5 (on the GeneratorId text) became findings_generator_no.
      db.exec(
        "DROP INDEX IF EXISTS findings_key; DROP INDEX IF EXISTS findings_id; DROP INDEX IF EXISTS findings_generator_id; DROP INDEX IF EXISTS finding_resources_id; DROP INDEX IF EXISTS finding_resources_id_updated; DROP INDEX IF EXISTS finding_resources_hash_updated;",
      );
      db.exec(
        [
          "findings_key_v2",
          "findings_expiry",
          "findings_generator_updated",
          "findings_generator_v5",
          ...INDEXED_SCALARS.map((c) => `findings_${c}`),
        ]
          .map((name) => `DROP INDEX IF EXISTS ${name};`)
          .join(" "),
      );
      if (row === undefined || version < SCHEMA_VERSION) {
        db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)").run(
          String(SCHEMA_VERSION),
        );
      }
    }).immediate();
  }

  transaction<T>(fn: () => T, mode: "read" | "write" = "write"): T {
    if (this.#db.inTransaction) return fn();
    try {
      return this.#transaction(fn, mode);
    } catch (error) {
      // Rolled back: a hub or product number assigned in it no longer exists.
      this.#hubNumbers.clear();
      this.#productNumbers.clear();
      this.#generatorNumbers.clear();
      this.#resourceNumbers.clear();
      throw error;
    }
  }

  /** Hub numbers (`hub_numbers`) by account and Region, and product numbers by ProductArn. */
  readonly #hubNumbers = new Map<string, number>();
  readonly #productNumbers = new Map<string, number>();

  /** The hub's number; `undefined` when it has none yet and `assign` is false (it has no findings). */
  #hubNo(accountId: string, region: string, assign: boolean): number | undefined {
    const key = `${accountId}\u0000${region}`;
    let no = this.#hubNumbers.get(key);
    if (no === undefined) {
      no = this.#stmts.getHubNo.get(accountId, region) as number | undefined;
      if (no === undefined && assign)
        no = Number(this.#stmts.addHubNo.run(accountId, region).lastInsertRowid);
      if (no !== undefined) this.#hubNumbers.set(key, no);
    }
    return no;
  }

  /**
   * GeneratorId numbers (`generator_numbers`) and resource Id numbers (`resource_numbers`), by
   * text. Unlike hubs and products there may be very many, so each cache is emptied when it grows
   * large (a miss costs one indexed read).
   */
  readonly #generatorNumbers = new Map<string, number>();
  readonly #resourceNumbers = new Map<string, number>();

  /** The GeneratorId's number, as {@link #hubNo}. */
  #generatorNo(generatorId: string, assign: boolean): number | undefined {
    const { getGeneratorNo, addGeneratorNo } = this.#stmts;
    return this.#textNo(this.#generatorNumbers, getGeneratorNo, addGeneratorNo, generatorId, assign);
  }

  /** The resource Id's number, as {@link #hubNo}. */
  #resourceNo(resourceId: string, assign: boolean): number | undefined {
    const { getResourceNo, addResourceNo } = this.#stmts;
    return this.#textNo(this.#resourceNumbers, getResourceNo, addResourceNo, resourceId, assign);
  }

  /** The number of `text` in a number table (`get` by text, `add` a text), through `cache`. */
  #textNo(
    cache: Map<string, number>,
    get: Database.Statement,
    add: Database.Statement,
    text: string,
    assign: boolean,
  ): number | undefined {
    let no = cache.get(text);
    if (no === undefined) {
      no = get.get(text) as number | undefined;
      if (no === undefined && assign) no = Number(add.run(text).lastInsertRowid);
      if (no !== undefined) {
        if (cache.size >= 50_000) cache.clear();
        cache.set(text, no);
      }
    }
    return no;
  }

  /** The product's number, as {@link #hubNo}. */
  #productNo(productArn: string, assign: boolean): number | undefined {
    let no = this.#productNumbers.get(productArn);
    if (no === undefined) {
      no = this.#stmts.getProductNo.get(productArn) as number | undefined;
      if (no === undefined && assign) no = Number(this.#stmts.addProductNo.run(productArn).lastInsertRowid);
      if (no !== undefined) this.#productNumbers.set(productArn, no);
    }
    return no;
  }

  #transaction<T>(fn: () => T, mode: "read" | "write"): T {
    // Writers take the write lock up front (no upgrade deadlock with another process); readers do not.
    const tx = this.#db.transaction(() => {
      this.#rowIds = new Map();
      this.#resourceRows = new Map();
      try {
        return fn();
      } finally {
        this.#rowIds = undefined;
        this.#resourceRows = undefined;
      }
    });
    if (mode !== "write") return tx.deferred();
    const checkpointer = this.#checkpointer;
    if (checkpointer === undefined) return tx.immediate();
    if (!checkpointer.running) {
      // The worker failed (it reported why): checkpoint in this connection's commits again.
      this.#checkpointer = undefined;
      this.#db.pragma(`wal_autocheckpoint = ${this.#autoCheckpointPages}`);
      return tx.immediate();
    }
    checkpointer.beforeWrite();
    let committed = false;
    try {
      const result = tx.immediate();
      committed = true;
      return result;
    } finally {
      checkpointer.afterWrite(committed);
    }
  }

  /**
   * Row ids (`null`: no such finding) of the keys read in the current transaction, by
   * `findingKeyString`. The hub always reads the findings of a call before writing them, so
   * `putFindings` knows from this whether to insert or update without a second lookup in the key
   * index per finding. Valid only inside the transaction that read them: no other connection can
   * write in between (a write transaction holds the lock; a read transaction whose snapshot is
   * stale cannot write at all in WAL mode), and this class's own deletions clear it.
   */
  #rowIds: Map<string, number | null> | undefined;

  /**
   * What the side-table rows of each finding read (or written) in the current transaction hold,
   * by `findingKeyString`: the UpdatedAt they repeat and `resourceRowsKey` of their Ids and types.
   * An update whose resources are the same then leaves the rows alone (BatchUpdateFindings, which
   * never changes UpdatedAt) or only moves their UpdatedAt (a re-import), instead of deleting and
   * re-inserting every row with its three index entries. Same validity rules as {@link #rowIds}.
   */
  #resourceRows:
    | Map<string, { readonly updatedAtMs: string | number | null; readonly resources: string }>
    | undefined;

  getHub(accountId: string, region: string): HubRecord | undefined {
    const row = this.#stmts.getHub.get(accountId, region) as { doc: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.doc) as HubRecord);
  }

  putHub(hub: HubRecord): void {
    this.#stmts.putHub.run(hub.accountId, hub.region, JSON.stringify(hub));
  }

  listSubscriptions(accountId: string, region: string): ProductSubscription[] {
    const rows = this.#stmts.listSubs.all(accountId, region) as {
      account_id: string;
      region: string;
      product_arn: string;
      subscription_arn: string;
    }[];
    return rows.map((r) => ({
      accountId: r.account_id,
      region: r.region,
      productArn: r.product_arn,
      subscriptionArn: r.subscription_arn,
    }));
  }

  putSubscription(s: ProductSubscription): void {
    this.#stmts.putSub.run(s.accountId, s.region, s.productArn, s.subscriptionArn);
  }

  deleteSubscription(accountId: string, region: string, subscriptionArn: string): boolean {
    return this.#stmts.deleteSub.run(accountId, region, subscriptionArn).changes > 0;
  }

  getFindings(keys: readonly FindingKey[]): Map<string, StoredFinding> {
    const out = new Map<string, StoredFinding>();
    for (const key of keys) {
      const hubNo = this.#hubNo(key.accountId, key.region, false);
      const productNo = hubNo === undefined ? undefined : this.#productNo(key.productArn, false);
      const row =
        productNo === undefined
          ? undefined
          : (this.#stmts.getFinding.get(hubNo, key.id, productNo) as FindingRow | undefined);
      const ks = findingKeyString(key);
      this.#rowIds?.set(ks, row === undefined ? null : row.fid);
      if (row !== undefined) {
        const found = JSON.parse(row.doc) as StoredFinding;
        this.#resourceRows?.set(ks, {
          updatedAtMs: scalarIndexValue(found.finding, "updated_at_ms"),
          resources: resourceRowsKey(found.finding),
        });
        out.set(ks, found);
      }
    }
    return out;
  }

  putFindings(findings: readonly StoredFinding[]): void {
    this.transaction(() => {
      for (const stored of findings) {
        const { key } = stored;
        const scalars = SCALAR_COLUMNS.map((c) => scalarIndexValue(stored.finding, c));
        const updatedAtMs = scalars[UPDATED_AT_INDEX] ?? null;
        const generatorId = scalars[GENERATOR_ID_INDEX];
        const generatorNo = typeof generatorId === "string" ? this.#generatorNo(generatorId, true) : null;
        const doc = JSON.stringify(stored);
        // A lookup then an INSERT or UPDATE: measured 2–3× faster than one upsert with RETURNING.
        // The lookup is skipped when this transaction already read the key (see #rowIds).
        const ks = findingKeyString(key);
        const known = this.#rowIds?.get(ks);
        const hubNo = this.#hubNo(key.accountId, key.region, true);
        const productNo = this.#productNo(key.productArn, true);
        const existing =
          known === undefined
            ? (this.#stmts.getFid.get(hubNo, key.id, productNo) as { fid: number } | undefined)
            : known === null
              ? undefined
              : { fid: known };
        let fid: number;
        if (existing === undefined) {
          const info = this.#stmts.insertFinding.run(
            hubNo,
            productNo,
            generatorNo,
            key.accountId,
            key.region,
            key.productArn,
            key.id,
            ...scalars,
            stored.lastProviderUpdateMs,
            doc,
          );
          fid = Number(info.lastInsertRowid);
          this.#rowIds?.set(ks, fid);
        } else {
          fid = existing.fid;
          const { changes } = this.#stmts.updateFinding.run(
            generatorNo,
            ...scalars,
            stored.lastProviderUpdateMs,
            doc,
            fid,
          );
          // A remembered row id that no longer exists would lose the finding silently.
          if (changes !== 1)
            throw new Error(`local hub: finding row ${fid} of ${ks} vanished within its transaction`);
        }
        const before = known === undefined || known === null ? undefined : this.#resourceRows?.get(ks);
        const resources = before === undefined ? undefined : resourceRowsKey(stored.finding);
        if (before !== undefined && before.resources === resources) {
          // The same resources: the rows stay; only the UpdatedAt they repeat may move.
          if (before.updatedAtMs !== updatedAtMs) this.#stmts.moveResources.run(updatedAtMs, fid);
        } else {
          if (existing !== undefined) this.#stmts.deleteResources.run(fid);
          for (const resource of stored.finding.Resources ?? []) {
            const id = typeof resource.Id === "string" ? resource.Id : null;
            this.#stmts.insertResource.run(
              fid,
              id,
              resource.Type ?? null,
              updatedAtMs,
              id === null ? null : this.#resourceNo(id, true),
            );
          }
        }
        // What the rows hold now; unknown (forgotten) when this write did not compare them.
        if (resources !== undefined) this.#resourceRows?.set(ks, { updatedAtMs, resources });
        else this.#resourceRows?.delete(ks);
      }
    });
  }

  /**
   * The SQL test of one constraint, its parameters appended to `params`. A multi-valued column is
   * answered from the side table: `drive` builds the set of matching fids first (the side table's
   * index drives the query), otherwise each row probes its own resource rows (when another index
   * drives the query and the side table only checks the rows it yields).
   */
  #condition(c: IndexConstraint, params: unknown[], multiValued: "drive" | "probe" = "drive"): string {
    const multi = MULTI_VALUED_COLUMNS.has(c.column);
    const col = multi ? `r.${c.column}` : `f.${c.column}`;
    const alternatives: string[] = [];
    if (c.kind === "string") {
      if (c.equals.length > 0) {
        const numbered = NUMBERED_COLUMNS.get(c.column);
        if (numbered !== undefined) {
          // Through the index on the numbers (one without a number was never stored, so nothing
          // matches it).
          const numberOf = (v: string) =>
            c.column === "resource_id" ? this.#resourceNo(v, false) : this.#generatorNo(v, false);
          const numbers = c.equals.map(numberOf).filter((n): n is number => n !== undefined);
          if (numbers.length > 0) {
            params.push(...numbers);
            alternatives.push(`${numbered.column} IN (${numbers.map(() => "?").join(", ")})`);
          }
        } else {
          params.push(...c.equals);
          alternatives.push(`${col} IN (${c.equals.map(() => "?").join(", ")})`);
        }
      }
      for (const prefix of c.prefixes) {
        params.push(`${escapeLike(prefix)}%`);
        const numbered = NUMBERED_COLUMNS.get(c.column);
        alternatives.push(
          numbered === undefined
            ? `${col} LIKE ? ESCAPE '\\'`
            : `${numbered.column} IN (SELECT n.${numbered.number} FROM ${numbered.table} n WHERE n.${numbered.text} LIKE ? ESCAPE '\\')`,
        );
      }
    } else {
      for (const r of c.ranges) {
        const parts = [`${col} IS NOT NULL`];
        if (r.startMs !== undefined) {
          parts.push(`${col} >= ?`);
          params.push(r.startMs);
        }
        if (r.endMs !== undefined) {
          parts.push(`${col} <= ?`);
          params.push(r.endMs);
        }
        alternatives.push(`(${parts.join(" AND ")})`);
      }
    }
    const test = alternatives.length === 0 ? "0" : `(${alternatives.join(" OR ")})`;
    if (!multi) return test;
    return multiValued === "drive"
      ? `f.fid IN (SELECT r.fid FROM finding_resources r WHERE ${test})`
      : `EXISTS (SELECT 1 FROM finding_resources r WHERE r.fid = f.fid AND ${test})`;
  }

  /** The constraint pinning `column` to exactly one value (EQUALS one value, no PREFIX), if any. */
  #single(query: FindingQuery, column: IndexedColumn): IndexConstraint | undefined {
    return query.constraints.find(
      (c) => c.kind === "string" && c.column === column && c.equals.length === 1 && c.prefixes.length === 0,
    );
  }

  /**
   * How a query ordered by a date is read in that order, so that the caller's early stop ends the
   * read after a page; `undefined` when reading the matches and sorting them is the better plan.
   * Each plan reads the findings with a value in order and then those without one (which sort
   * last in both directions).
   */
  #walk(query: FindingQuery): WalkPlan | undefined {
    const order = query.order;
    if (order === undefined) return undefined;
    if (order.column === "updated_at_ms") {
      const rule = this.#single(query, "generator_id");
      if (rule !== undefined) return { kind: "index", index: GENERATOR_INDEX, order };
      const resource = this.#single(query, "resource_id");
      if (resource?.kind === "string") return { kind: "resource", resource, order };
    }
    const selective = query.constraints.some(
      (c) => SELECTIVE_COLUMNS.has(c.column) && c.column !== order.column,
    );
    if (selective) return undefined;
    return { kind: "index", index: `findings_${order.column}${INDEX_SUFFIX}`, order };
  }

  *queryFindings(query: FindingQuery): Iterable<StoredFinding> {
    // A hub without a number never stored a finding.
    const hubNo = this.#hubNo(query.accountId, query.region, false);
    if (hubNo === undefined) return;
    const walk = this.#walk(query);
    if (walk !== undefined) {
      yield* this.#walked(query, hubNo, walk, "IS NOT NULL");
      yield* this.#walked(query, hubNo, walk, "IS NULL");
      return;
    }
    const params: unknown[] = [hubNo, query.expiredAtOrBeforeMs];
    // Unary + keeps the planner off the expiry index: nearly every row passes it, so it must
    // never be the index a query is driven by.
    // With a resource constraint the side table is the selective part: the unary + on the hub
    // columns keeps the planner from scanning the whole hub and probing the fid list per row.
    const hub = query.constraints.some((c) => MULTI_VALUED_COLUMNS.has(c.column))
      ? ["+f.hub_no = ?"]
      : ["f.hub_no = ?"];
    const where = [...hub, "+f.last_provider_update_ms > ?"];
    for (const c of query.constraints) where.push(this.#condition(c, params));
    // No ORDER BY unless asked: the engine sorts (with the finding key as a total tie-breaker), and
    // an ORDER BY fid would tempt the planner into a full scan in rowid order. `IS NULL` first
    // keeps findings without a value last in both directions and keeps the planner on the filter's
    // index (a sort of the matches), never on a walk of the whole hub in date order.
    const order =
      query.order === undefined
        ? ""
        : ` ORDER BY f.${query.order.column} IS NULL, f.${query.order.column}${query.order.descending ? " DESC" : ""}`;
    const sql = `SELECT f.doc FROM findings f WHERE ${where.join(" AND ")}${order}`;
    // Statements are cached by SQL text: a handful of filter shapes repeat in practice.
    for (const row of this.#prepared(sql).iterate(...params) as Iterable<{ doc: string }>) {
      yield JSON.parse(row.doc) as StoredFinding;
    }
  }

  /** One half of a walk: the findings whose order column `IS NOT NULL` (in order) or `IS NULL`. */
  *#walked(
    query: FindingQuery,
    hubNo: number,
    walk: WalkPlan,
    nulls: "IS NOT NULL" | "IS NULL",
  ): Iterable<StoredFinding> {
    const { column, descending } = walk.order;
    const params: unknown[] = [];
    const where: string[] = [];
    let sql: string;
    if (walk.kind === "resource") {
      // The side table's (resource Id, UpdatedAt) index drives; each of its rows is joined to its
      // finding by rowid. CROSS JOIN fixes that nesting order.
      const id = walk.resource.kind === "string" ? walk.resource.equals[0] : undefined;
      if (id === undefined) throw new Error("a resource walk needs one resource Id");
      // A resource Id without a number was never stored.
      const resourceNo = this.#resourceNo(id, false);
      if (resourceNo === undefined) return;
      where.push("r.resource_no = ?", `r.updated_at_ms ${nulls}`);
      params.push(resourceNo);
      where.push("+f.hub_no = ?", "+f.last_provider_update_ms > ?");
      params.push(hubNo, query.expiredAtOrBeforeMs);
      for (const c of query.constraints)
        if (c !== walk.resource) where.push(this.#condition(c, params, "probe"));
      sql = `SELECT f.fid, f.doc FROM finding_resources r INDEXED BY ${RESOURCE_INDEX} CROSS JOIN findings f ON f.fid = r.fid WHERE ${where.join(" AND ")}`;
      if (nulls === "IS NOT NULL") sql += ` ORDER BY r.updated_at_ms${descending ? " DESC" : ""}`;
    } else {
      where.push("f.hub_no = ?", `f.${column} ${nulls}`, "+f.last_provider_update_ms > ?");
      params.push(hubNo, query.expiredAtOrBeforeMs);
      for (const c of query.constraints) where.push(this.#condition(c, params, "probe"));
      sql = `SELECT f.fid, f.doc FROM findings f INDEXED BY ${walk.index} WHERE ${where.join(" AND ")}`;
      if (nulls === "IS NOT NULL") sql += ` ORDER BY f.${column}${descending ? " DESC" : ""}`;
    }
    // A finding with two resources of the same Id has two side-table rows: yield it once.
    const seen = walk.kind === "resource" ? new Set<number>() : undefined;
    for (const row of this.#prepared(sql).iterate(...params) as Iterable<FindingRow>) {
      if (seen !== undefined) {
        if (seen.has(row.fid)) continue;
        seen.add(row.fid);
      }
      yield JSON.parse(row.doc) as StoredFinding;
    }
  }

  readonly #cache = new Map<string, Database.Statement>();
  #prepared(sql: string): Database.Statement {
    let stmt = this.#cache.get(sql);
    if (stmt === undefined) {
      stmt = this.#db.prepare(sql);
      if (this.#cache.size > 200) this.#cache.clear();
      this.#cache.set(sql, stmt);
    }
    return stmt;
  }

  purgeExpired(accountId: string, region: string, cutoffMs: number): number {
    const hubNo = this.#hubNo(accountId, region, false);
    if (hubNo === undefined) return 0;
    const deleted = this.#stmts.purge.run(hubNo, cutoffMs).changes;
    // Row ids read before the purge may name deleted rows.
    if (deleted > 0) {
      this.#rowIds?.clear();
      this.#resourceRows?.clear();
    }
    return deleted;
  }

  countFindings(): number {
    return (this.#stmts.count.get() as { n: number }).n;
  }

  close(): void {
    // The worker's connection goes first, so that this one is the last: its close checkpoints
    // the whole WAL and removes it.
    this.#checkpointer?.stop();
    this.#checkpointer = undefined;
    if (this.#db.open) this.#db.close();
  }
}
