/**
 * GetFindings (spec §8.3; model `GetFindingsRequest`): filters, SortCriteria, MaxResults 1–100
 * (default 100) and an opaque NextToken.
 *
 * Pagination is keyset-based: the token carries the sort values and key of the last finding
 * returned plus a hash of the query, so pages stay consistent when findings are added or removed
 * between calls, and a token replayed with different filters or sort is rejected.
 */
import { MAX_GET_FINDINGS_RESULTS } from "../asff/limits.ts";
import { parseAsffTimestamp } from "../asff/timestamp.ts";
import { findingKeyString, type GetFindingsResult, HubApiError, type StoredFinding } from "./contracts.ts";
import {
  FINDING_FILTER_FIELDS,
  type FilterFieldName,
  isFilterFieldName,
  valuesAtPath,
} from "./filter-fields.ts";
import { compileFindingFilters, type FilterContext } from "./filters.ts";
import { cloneJson, isJsonObject } from "./json.ts";
import { isExpired } from "./retention.ts";
import { severityRank } from "./severity.ts";

/** One validated sort criterion. */
export interface SortCriterion {
  readonly field: FilterFieldName;
  readonly order: "asc" | "desc";
}

/** Without SortCriteria, findings come newest provider update first (then by key, for stable pages). */
export const DEFAULT_SORT: readonly SortCriterion[] = [{ field: "UpdatedAt", order: "desc" }];

const SORTABLE = new Set(["string", "number", "date", "ip", "boolean"]);
const SEVERITY_LABEL_FIELDS = new Set<string>(["SeverityLabel", "FindingProviderFieldsSeverityLabel"]);

type SortValue = string | number | null;

function invalid(parameter: string, detail: string): HubApiError {
  return new HubApiError("InvalidInputException", 400, `Invalid parameter '${parameter}'. ${detail}`);
}

/** Validates `SortCriteria` (a list of `{Field, SortOrder}`; Field is a filter attribute name). */
export function parseSortCriteria(criteria: unknown): SortCriterion[] {
  if (criteria === undefined || criteria === null) return [];
  if (!Array.isArray(criteria))
    throw invalid("SortCriteria", "SortCriteria must be a list of {Field, SortOrder}.");
  return criteria.map((item, i) => {
    const field = isJsonObject(item) ? item.Field : undefined;
    if (
      typeof field !== "string" ||
      !isFilterFieldName(field) ||
      !SORTABLE.has(FINDING_FILTER_FIELDS[field].kind)
    ) {
      throw invalid(
        "SortCriteria",
        `SortCriteria[${i}].Field '${String(field)}' is not a sortable finding attribute (use a filter attribute name such as UpdatedAt or SeverityLabel).`,
      );
    }
    const order = isJsonObject(item) ? (item.SortOrder ?? "asc") : "asc";
    if (order !== "asc" && order !== "desc") {
      throw invalid("SortCriteria", `SortCriteria[${i}].SortOrder must be asc or desc.`);
    }
    return { field, order };
  });
}

/** The value a finding sorts by for one field: severity labels by rank, dates as instants. */
function sortValue(finding: unknown, field: FilterFieldName): SortValue {
  const spec = FINDING_FILTER_FIELDS[field];
  const first = valuesAtPath(finding, spec.path)[0];
  if (first === undefined) return null;
  if (SEVERITY_LABEL_FIELDS.has(field)) {
    const rank = severityRank(first);
    return rank < 0 ? null : rank;
  }
  switch (spec.kind) {
    case "number":
      return typeof first === "number" ? first : null;
    case "date":
      return instant(first);
    case "boolean":
      return first === true ? 1 : 0;
    default:
      return typeof first === "string" ? first : null;
  }
}

interface SortKey {
  readonly values: readonly SortValue[];
  readonly key: string;
}

/** ISO-8601 UTC with at most millisecond precision: what stored timestamps mostly look like, and what Date.parse reads exactly. */
const SIMPLE_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,3})?Z$/;

function instant(value: unknown): number | null {
  if (typeof value === "string" && SIMPLE_UTC.test(value)) {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms;
  }
  return parseAsffTimestamp(value) ?? null;
}

function sortValues(stored: StoredFinding, criteria: readonly SortCriterion[]): SortValue[] {
  return criteria.map((c) => sortValue(stored.finding, c.field));
}

function sortKey(stored: StoredFinding, criteria: readonly SortCriterion[]): SortKey {
  return { values: sortValues(stored, criteria), key: findingKeyString(stored.key) };
}

/** Compares sort values only; 0 means "tie, decide by key". Missing values sort last in either order. */
function compareValues(
  a: readonly SortValue[],
  b: readonly SortValue[],
  criteria: readonly SortCriterion[],
): number {
  for (let i = 0; i < criteria.length; i++) {
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    if (x === y) continue;
    if (x === null) return 1;
    if (y === null) return -1;
    let c: number;
    if (typeof x === "number" && typeof y === "number") c = x - y;
    else c = String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0;
    if (c !== 0) return criteria[i]?.order === "desc" ? -c : c;
  }
  return 0;
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Ties on every criterion fall back to the finding key, ascending, so the order is total. */
function compareSortKeys(a: SortKey, b: SortKey, criteria: readonly SortCriterion[]): number {
  return compareValues(a.values, b.values, criteria) || compareKeys(a.key, b.key);
}

/**
 * A comparator implementing `SortCriteria` over stored findings (default: UpdatedAt desc), with
 * the finding key as the final tie-breaker so the order is total. Throws `HubApiError` on bad criteria.
 */
export function compareBySortCriteria(criteria: unknown): (a: StoredFinding, b: StoredFinding) => number {
  const parsed = parseSortCriteria(criteria);
  const effective = parsed.length > 0 ? parsed : DEFAULT_SORT;
  return (a, b) => compareSortKeys(sortKey(a, effective), sortKey(b, effective), effective);
}

/** FNV-1a over a canonical JSON form: pure, deterministic, good enough to bind a token to its query. */
function queryHash(value: unknown): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (isJsonObject(v)) {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, canonical(v[k])]),
      );
    }
    return v;
  };
  const text = JSON.stringify(canonical(value)) ?? "";
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36);
}

interface TokenBody {
  readonly v: 1;
  readonly q: string;
  readonly after: SortKey;
}

function encodeToken(body: TokenBody): string {
  return Buffer.from(JSON.stringify(body), "utf8").toString("base64url");
}

function decodeToken(token: string, q: string, width: number): SortKey {
  const bad = () =>
    invalid(
      "NextToken",
      "The NextToken is not valid for this request (expired, altered, or issued for other Filters/SortCriteria).",
    );
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw bad();
  }
  if (!isJsonObject(body) || body.v !== 1 || body.q !== q || !isJsonObject(body.after)) throw bad();
  const { values, key } = body.after;
  if (typeof key !== "string" || !Array.isArray(values) || values.length !== width) throw bad();
  if (!values.every((v) => v === null || typeof v === "string" || typeof v === "number")) throw bad();
  return { values: values as SortValue[], key };
}

/** Options of {@link getFindings}. */
export interface GetFindingsOptions {
  /**
   * Return copies of the stored findings. Turn off only when `source` yields objects nobody else
   * holds (a store that parses every row), where a copy is wasted work. @default true
   */
  readonly copy?: boolean;
}

/**
 * GetFindings over `source` (the caller's findings in this account and Region; expired ones are
 * skipped here). Returns copies of the stored findings unless `options.copy` is false. Throws
 * `HubApiError` `InvalidInputException` for bad Filters, SortCriteria, MaxResults or NextToken.
 */
export function getFindings(
  request: unknown,
  source: Iterable<StoredFinding>,
  ctx: FilterContext,
  options: GetFindingsOptions = {},
): GetFindingsResult {
  const req = request === undefined || request === null ? {} : request;
  if (!isJsonObject(req)) throw invalid("request", "The request body must be a JSON object.");
  const max = req.MaxResults ?? MAX_GET_FINDINGS_RESULTS;
  if (typeof max !== "number" || !Number.isInteger(max) || max < 1 || max > MAX_GET_FINDINGS_RESULTS) {
    throw invalid(
      "MaxResults",
      `MaxResults must be an integer from 1 to ${MAX_GET_FINDINGS_RESULTS}; got ${JSON.stringify(max)}.`,
    );
  }
  const predicate = compileFindingFilters(req.Filters, ctx);
  const parsed = parseSortCriteria(req.SortCriteria);
  const criteria = parsed.length > 0 ? parsed : DEFAULT_SORT;
  const q = queryHash({ f: req.Filters ?? null, s: req.SortCriteria ?? null });
  const token = req.NextToken;
  if (token !== undefined && token !== null && typeof token !== "string") {
    throw invalid("NextToken", "NextToken must be a string.");
  }
  const after = token ? decodeToken(token, q, criteria.length) : undefined;

  // Keep only the best `max` matches (bounded insertion): O(n log max) and no full sort of the store.
  const best: { values: SortValue[]; key: string; stored: StoredFinding }[] = [];
  let total = 0;
  for (const stored of source) {
    if (isExpired(stored, ctx.nowMs) || !predicate(stored)) continue;
    const values = sortValues(stored, criteria);
    let key: string | undefined;
    const keyOf = () => {
      key ??= findingKeyString(stored.key);
      return key;
    };
    if (after) {
      const c = compareValues(values, after.values, criteria) || compareKeys(keyOf(), after.key);
      if (c <= 0) continue;
    }
    total++;
    const worst = best[best.length - 1];
    if (best.length === max && worst) {
      const c = compareValues(values, worst.values, criteria) || compareKeys(keyOf(), worst.key);
      if (c >= 0) continue;
    }
    let lo = 0;
    let hi = best.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = best[mid] as (typeof best)[number];
      const c = compareValues(values, m.values, criteria) || compareKeys(keyOf(), m.key);
      if (c < 0) hi = mid;
      else lo = mid + 1;
    }
    best.splice(lo, 0, { values, key: keyOf(), stored });
    if (best.length > max) best.pop();
  }
  const findings =
    options.copy === false ? best.map((p) => p.stored.finding) : best.map((p) => cloneJson(p.stored.finding));
  const last = best[best.length - 1];
  if (total > max && last) {
    return {
      Findings: findings,
      NextToken: encodeToken({ v: 1, q, after: { values: last.values, key: last.key } }),
    };
  }
  return { Findings: findings };
}
