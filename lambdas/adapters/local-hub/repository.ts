/**
 * Storage behind the local hub: hubs (per account and Region), product subscriptions and stored
 * findings. Two implementations: SQLite (`sqlite-repository.ts`, persistent) and in-memory
 * (`memory-repository.ts`). The repository decides nothing about Security Hub's rules: it keeps
 * what the engine returns and answers queries with a superset that the engine then filters.
 *
 * The interface is synchronous on purpose: better-sqlite3 is synchronous, and one call of the
 * hub runs inside one `transaction`, so a crash never leaves half a batch behind.
 */
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { parseAsffTimestamp } from "../../core/asff/timestamp.ts";
import type { FindingKey, StoredFinding } from "../../core/hub/contracts.ts";
import { FINDING_FILTER_FIELDS, type FilterFieldName, valuesAtPath } from "../../core/hub/filter-fields.ts";
import { type IndexableConstraint, inRange, type MsRange } from "../../core/hub/filters.ts";

/** Security Hub's state for one account in one Region. */
export interface HubRecord {
  readonly accountId: string;
  readonly region: string;
  /** False after DisableSecurityHub (or before EnableSecurityHub when auto-enable is off). */
  readonly enabled: boolean;
  /** ISO timestamp of the last EnableSecurityHub (DescribeHub's `SubscribedAt`). */
  readonly subscribedAt?: string;
  readonly autoEnableControls: boolean;
  readonly controlFindingGenerator: "STANDARD_CONTROL" | "SECURITY_CONTROL";
  readonly tags: Readonly<Record<string, string>>;
}

/** An EnableImportFindingsForProduct subscription. */
export interface ProductSubscription {
  readonly accountId: string;
  readonly region: string;
  readonly productArn: string;
  readonly subscriptionArn: string;
}

/**
 * The indexed columns and the GetFindings filter field each one answers. Values are read with
 * the engine's own `valuesAtPath`, so the index and the exact predicate agree on what a field is.
 */
export const INDEXED_FIELDS = {
  id: "Id",
  product_arn: "ProductArn",
  generator_id: "GeneratorId",
  aws_account_id: "AwsAccountId",
  title: "Title",
  severity_label: "SeverityLabel",
  record_state: "RecordState",
  workflow_status: "WorkflowStatus",
  compliance_status: "ComplianceStatus",
  company_name: "CompanyName",
  product_name: "ProductName",
  resource_id: "ResourceId",
  resource_type: "ResourceType",
  created_at_ms: "CreatedAt",
  updated_at_ms: "UpdatedAt",
} as const satisfies Record<string, FilterFieldName>;
export type IndexedColumn = keyof typeof INDEXED_FIELDS;
export const INDEXED_COLUMNS = Object.keys(INDEXED_FIELDS) as IndexedColumn[];
/** Columns holding several values per finding (one per resource). */
export const MULTI_VALUED_COLUMNS: ReadonlySet<IndexedColumn> = new Set(["resource_id", "resource_type"]);
const DATE_COLUMNS: ReadonlySet<IndexedColumn> = new Set(["created_at_ms", "updated_at_ms"]);

/**
 * A necessary condition on one indexed column (the engine's `IndexableConstraint` mapped to a
 * column). A query's constraints are AND-ed; each holds for every finding the exact predicate
 * accepts (a superset, never a subset). `string`: some value equals one of `equals` or starts
 * with one of `prefixes`. `date`: some value (epoch ms) lies in one of `ranges` (inclusive).
 */
export type IndexConstraint =
  | {
      readonly kind: "string";
      readonly column: IndexedColumn;
      readonly equals: readonly string[];
      readonly prefixes: readonly string[];
    }
  | { readonly kind: "date"; readonly column: IndexedColumn; readonly ranges: readonly MsRange[] };

const COLUMN_OF_FIELD = new Map<string, IndexedColumn>(
  Object.entries(INDEXED_FIELDS).map(([column, field]) => [field, column as IndexedColumn]),
);

/** Maps the engine's pushdown constraints to the columns this store indexes; others are dropped (still a superset). */
export function toIndexConstraints(constraints: readonly IndexableConstraint[]): IndexConstraint[] {
  const out: IndexConstraint[] = [];
  for (const c of constraints) {
    const column = COLUMN_OF_FIELD.get(c.field);
    if (column === undefined) continue;
    if (c.kind === "string" && !DATE_COLUMNS.has(column)) {
      out.push({ kind: "string", column, equals: c.equals, prefixes: c.prefixes });
    } else if (c.kind === "date" && DATE_COLUMNS.has(column)) {
      out.push({ kind: "date", column, ranges: c.ranges });
    }
  }
  return out;
}

/** A query over one hub's findings. */
export interface FindingQuery {
  readonly accountId: string;
  readonly region: string;
  readonly constraints: readonly IndexConstraint[];
  /** Findings whose last provider update is at or before this instant are expired and skipped. */
  readonly expiredAtOrBeforeMs: number;
  /**
   * Yield the candidates in this date column's order, findings without a value last (the order
   * of the engine's first sort criterion), so the caller can stop early. Unordered when absent.
   */
  readonly order?: { readonly column: "created_at_ms" | "updated_at_ms"; readonly descending: boolean };
}

export interface HubRepository {
  /**
   * True when `getFindings` and `queryFindings` hand out the stored objects themselves (the
   * in-memory store), so answers leaving the hub must be copied; false when every read builds
   * fresh objects (SQLite parses each row), so copying them again would be wasted work.
   */
  readonly sharesStoredObjects: boolean;
  /**
   * Runs `fn` atomically (one SQLite transaction); nested calls join the outer one. `read`
   * transactions may still write (a hub created on first use) but do not lock up front.
   */
  transaction<T>(fn: () => T, mode?: "read" | "write"): T;
  getHub(accountId: string, region: string): HubRecord | undefined;
  putHub(hub: HubRecord): void;
  listSubscriptions(accountId: string, region: string): ProductSubscription[];
  putSubscription(subscription: ProductSubscription): void;
  /** Deletes by subscription ARN; false when there was none. */
  deleteSubscription(accountId: string, region: string, subscriptionArn: string): boolean;
  /** Loads stored findings by key (missing keys absent), keyed by `findingKeyString`. */
  getFindings(keys: readonly FindingKey[]): Map<string, StoredFinding>;
  /** Inserts or replaces findings. */
  putFindings(findings: readonly StoredFinding[]): void;
  /** Findings of one hub that may match `query` (a superset of the exact answer). */
  queryFindings(query: FindingQuery): Iterable<StoredFinding>;
  /** Deletes the findings of one hub whose last provider update is at or before `cutoffMs`; returns how many. */
  purgeExpired(accountId: string, region: string, cutoffMs: number): number;
  /** Number of stored findings (all hubs), for diagnostics and benchmarks. */
  countFindings(): number;
  close(): void;
}

/** The values a stored finding exposes to the indexed columns (every column may hold several). */
export type IndexRow = Record<IndexedColumn, readonly (string | number)[]>;

/** Extracts the indexed values of a finding; shared by both repositories so they agree. */
export function indexRow(finding: AwsSecurityFinding): IndexRow {
  const row = {} as Record<IndexedColumn, (string | number)[]>;
  for (const column of INDEXED_COLUMNS) {
    const values = valuesAtPath(finding, FINDING_FILTER_FIELDS[INDEXED_FIELDS[column]].path);
    row[column] = DATE_COLUMNS.has(column)
      ? values.map(parseAsffTimestamp).filter((v): v is number => v !== undefined)
      : values.filter((v): v is string => typeof v === "string");
  }
  return row;
}

/** Member names along each single-valued column's path (none of them walks a list). */
const SCALAR_PATHS = new Map<IndexedColumn, readonly string[]>(
  INDEXED_COLUMNS.filter((c) => !MULTI_VALUED_COLUMNS.has(c)).map((column) => {
    const path = FINDING_FILTER_FIELDS[INDEXED_FIELDS[column]].path;
    if (path.includes("[]")) throw new Error(`indexed column ${column}: ${path} is not single-valued`);
    return [column, path.split(".")];
  }),
);

/**
 * `indexRow(finding)[column][0] ?? null` for a single-valued column, without building the whole
 * row: the SQLite store writes only these first values, and building every column's value list
 * for each stored finding cost ~3% of an import. Same reading rules as `valuesAtPath` (own
 * members only, null or missing ends the path, a list is not walked); dates are epoch ms.
 */
export function scalarIndexValue(finding: AwsSecurityFinding, column: IndexedColumn): string | number | null {
  const names = SCALAR_PATHS.get(column);
  if (names === undefined) throw new Error(`indexed column ${column} is multi-valued`);
  let node: unknown = finding;
  for (const name of names) {
    if (typeof node !== "object" || node === null || Array.isArray(node) || !Object.hasOwn(node, name))
      return null;
    node = (node as Record<string, unknown>)[name];
    if (node === undefined || node === null) return null;
  }
  if (DATE_COLUMNS.has(column)) return parseAsffTimestamp(node) ?? null;
  return typeof node === "string" ? node : null;
}

/** True when `row` satisfies `constraint` (the in-memory repository's pushdown). */
export function rowSatisfies(row: IndexRow, constraint: IndexConstraint): boolean {
  const values = row[constraint.column];
  if (constraint.kind === "string") {
    return values.some(
      (v) =>
        typeof v === "string" &&
        (constraint.equals.includes(v) || constraint.prefixes.some((prefix) => v.startsWith(prefix))),
    );
  }
  return values.some((v) => typeof v === "number" && constraint.ranges.some((r) => inRange(v, r)));
}
