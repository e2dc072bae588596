/**
 * GetFindings filters (`AwsSecurityFindingFilters`), compiled to a predicate.
 *
 * Combining rules (model `StringFilter.Comparison` / `MapFilter.Comparison` docs):
 * - on one field, positive filters (EQUALS, PREFIX, CONTAINS) are OR-ed, negative filters
 *   (NOT_EQUALS, PREFIX_NOT_EQUALS, NOT_CONTAINS) are AND-ed, positives are applied first;
 * - CONTAINS combines only with CONTAINS, NOT_CONTAINS only with NOT_CONTAINS, EQUALS not with
 *   NOT_EQUALS / PREFIX_NOT_EQUALS: other mixes are an `InvalidInputException`;
 * - different fields are AND-ed; number, date, IP, boolean and keyword filters on one field are OR-ed.
 * A field with several values (`Type`, `ResourceId`, …) matches a positive filter when any value
 * does, and a negative filter when no value violates it; a finding without the field fails
 * positive filters and passes negative ones.
 */
import { DAY_MS } from "../asff/limits.ts";
import { parseAsffTimestamp } from "../asff/timestamp.ts";
import { HubApiError, type StoredFinding } from "./contracts.ts";
import {
  FINDING_FILTER_FIELDS,
  type FilterFieldName,
  type FilterKind,
  isFilterFieldName,
  someValueAtPath,
} from "./filter-fields.ts";
import { type CidrBlock, cidrContains, parseCidr } from "./ip.ts";
import { isJsonObject, type JsonObject } from "./json.ts";

/** Filter attributes per GetFindings request (model doc). */
export const MAX_FILTER_FIELDS = 10;
/** Filter values per attribute (model doc). */
export const MAX_FILTER_VALUES = 20;

/** String comparisons GetFindings accepts (`CONTAINS_WORD` is for the V2 APIs only). */
export const STRING_COMPARISONS = [
  "EQUALS",
  "PREFIX",
  "NOT_EQUALS",
  "PREFIX_NOT_EQUALS",
  "CONTAINS",
  "NOT_CONTAINS",
] as const;
export type StringComparison = (typeof STRING_COMPARISONS)[number];
/** Map comparisons. */
export const MAP_COMPARISONS = ["EQUALS", "NOT_EQUALS", "CONTAINS", "NOT_CONTAINS"] as const;
export type MapComparison = (typeof MAP_COMPARISONS)[number];

const POSITIVE = new Set<string>(["EQUALS", "PREFIX", "CONTAINS"]);

/** A predicate over stored findings. */
export type FindingPredicate = (stored: Pick<StoredFinding, "finding">) => boolean;

/** What filter compilation needs from the context: DateRange is relative to now. */
export interface FilterContext {
  readonly nowMs: number;
}

interface StringCond {
  readonly comparison: StringComparison;
  readonly value: string;
}
interface MapCond {
  readonly comparison: MapComparison;
  readonly key: string;
  readonly value: string;
}
interface NumberCond {
  readonly gte?: number;
  readonly lte?: number;
  readonly eq?: number;
  readonly gt?: number;
  readonly lt?: number;
}
/** An inclusive epoch-ms range; open ends are undefined. */
export interface MsRange {
  readonly startMs?: number;
  readonly endMs?: number;
}

/** One field's validated filters. */
export type ParsedField =
  | {
      readonly field: FilterFieldName;
      readonly kind: "string";
      readonly path: string;
      readonly conds: StringCond[];
    }
  | {
      readonly field: FilterFieldName;
      readonly kind: "map";
      readonly path: string;
      readonly conds: MapCond[];
    }
  | {
      readonly field: FilterFieldName;
      readonly kind: "number";
      readonly path: string;
      readonly conds: NumberCond[];
    }
  | {
      readonly field: FilterFieldName;
      readonly kind: "date";
      readonly path: string;
      readonly ranges: MsRange[];
    }
  | {
      readonly field: FilterFieldName;
      readonly kind: "ip";
      readonly path: string;
      readonly blocks: CidrBlock[];
    }
  | {
      readonly field: FilterFieldName;
      readonly kind: "boolean";
      readonly path: string;
      readonly values: boolean[];
    }
  | {
      readonly field: FilterFieldName;
      readonly kind: "keyword";
      readonly path: string;
      readonly values: string[];
    };

function invalid(detail: string): HubApiError {
  return new HubApiError("InvalidInputException", 400, `Invalid parameter 'Filters'. ${detail}`);
}

function requireString(value: unknown, where: string): string {
  if (typeof value !== "string" || !/\S/.test(value)) {
    throw invalid(`${where} must be a non-empty string.`);
  }
  return value;
}

function parseStringConds(field: string, list: unknown[]): StringCond[] {
  const conds = list.map((item, i): StringCond => {
    const where = `${field}[${i}]`;
    if (!isJsonObject(item)) throw invalid(`${where} must be a StringFilter object {Value, Comparison}.`);
    const value = requireString(item.Value, `${where}.Value`);
    const comparison = item.Comparison;
    if (comparison === "CONTAINS_WORD") {
      throw invalid(`${where}.Comparison CONTAINS_WORD is supported only by the V2 APIs, not GetFindings.`);
    }
    if (typeof comparison !== "string" || !(STRING_COMPARISONS as readonly string[]).includes(comparison)) {
      throw invalid(`${where}.Comparison must be one of ${STRING_COMPARISONS.join(", ")}.`);
    }
    return { comparison: comparison as StringComparison, value };
  });
  checkMixing(
    field,
    conds.map((c) => c.comparison),
  );
  return conds;
}

/** Rejects the comparison mixes the API documents as errors. */
function checkMixing(field: string, comparisons: readonly string[]): void {
  const has = (c: string) => comparisons.includes(c);
  if (has("CONTAINS") && comparisons.some((c) => c !== "CONTAINS")) {
    throw invalid(
      `${field}: CONTAINS filters can only be combined with other CONTAINS filters on the same field.`,
    );
  }
  if (has("NOT_CONTAINS") && comparisons.some((c) => c !== "NOT_CONTAINS")) {
    throw invalid(
      `${field}: NOT_CONTAINS filters can only be combined with other NOT_CONTAINS filters on the same field.`,
    );
  }
  if (has("EQUALS") && (has("NOT_EQUALS") || has("PREFIX_NOT_EQUALS"))) {
    throw invalid(
      `${field}: an EQUALS filter cannot be combined with NOT_EQUALS or PREFIX_NOT_EQUALS on the same field.`,
    );
  }
}

function parseMapConds(field: string, list: unknown[]): MapCond[] {
  const conds = list.map((item, i): MapCond => {
    const where = `${field}[${i}]`;
    if (!isJsonObject(item)) throw invalid(`${where} must be a MapFilter object {Key, Value, Comparison}.`);
    const key = requireString(item.Key, `${where}.Key`);
    const value = requireString(item.Value, `${where}.Value`);
    const comparison = item.Comparison;
    if (typeof comparison !== "string" || !(MAP_COMPARISONS as readonly string[]).includes(comparison)) {
      throw invalid(`${where}.Comparison must be one of ${MAP_COMPARISONS.join(", ")}.`);
    }
    return { comparison: comparison as MapComparison, key, value };
  });
  checkMixing(
    field,
    conds.map((c) => c.comparison),
  );
  return conds;
}

function parseNumberConds(field: string, list: unknown[]): NumberCond[] {
  return list.map((item, i) => {
    const where = `${field}[${i}]`;
    if (!isJsonObject(item)) throw invalid(`${where} must be a NumberFilter object {Gte, Lte, Eq, Gt, Lt}.`);
    const cond: Record<string, number> = {};
    for (const [member, name] of [
      ["Gte", "gte"],
      ["Lte", "lte"],
      ["Eq", "eq"],
      ["Gt", "gt"],
      ["Lt", "lt"],
    ] as const) {
      const v = item[member];
      if (v === undefined || v === null) continue;
      if (typeof v !== "number" || !Number.isFinite(v)) throw invalid(`${where}.${member} must be a number.`);
      cond[name] = v;
    }
    if (Object.keys(cond).length === 0)
      throw invalid(`${where} must set at least one of Gte, Lte, Eq, Gt, Lt.`);
    return cond as NumberCond;
  });
}

function parseDateRanges(field: string, list: unknown[], nowMs: number): MsRange[] {
  return list.map((item, i) => {
    const where = `${field}[${i}]`;
    if (!isJsonObject(item)) throw invalid(`${where} must be a DateFilter object {Start, End, DateRange}.`);
    let startMs: number | undefined;
    let endMs: number | undefined;
    for (const member of ["Start", "End"] as const) {
      const v = item[member];
      if (v === undefined || v === null) continue;
      const ms = parseAsffTimestamp(v);
      if (ms === undefined) {
        throw invalid(
          `${where}.${member} '${String(v)}' is not a valid timestamp (e.g. 2024-01-31T23:00:00Z).`,
        );
      }
      if (member === "Start") startMs = ms;
      else endMs = ms;
    }
    const range = item.DateRange;
    if (range !== undefined && range !== null) {
      if (!isJsonObject(range))
        throw invalid(`${where}.DateRange must be an object {Value, Unit, Comparison}.`);
      const value = range.Value;
      if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
        throw invalid(`${where}.DateRange.Value must be a non-negative integer.`);
      }
      if (range.Unit !== "DAYS") throw invalid(`${where}.DateRange.Unit must be DAYS.`);
      const comparison = range.Comparison ?? "WITHIN";
      if (comparison !== "WITHIN" && comparison !== "OLDER_THAN") {
        throw invalid(`${where}.DateRange.Comparison must be WITHIN or OLDER_THAN.`);
      }
      const boundary = nowMs - value * DAY_MS;
      // WITHIN N days: at or after now − N days; OLDER_THAN: strictly before it.
      if (comparison === "WITHIN") startMs = startMs === undefined ? boundary : Math.max(startMs, boundary);
      else endMs = endMs === undefined ? boundary - 1 : Math.min(endMs, boundary - 1);
    } else if (startMs === undefined && endMs === undefined) {
      throw invalid(`${where} must set Start, End or DateRange.`);
    }
    return { startMs, endMs };
  });
}

/**
 * Validates `filters` (an `AwsSecurityFindingFilters` object from the wire) into per-field
 * conditions. Throws `HubApiError` `InvalidInputException` naming the field and the rule.
 */
export function parseFindingFilters(filters: unknown, ctx: FilterContext): ParsedField[] {
  if (filters === undefined || filters === null) return [];
  if (!isJsonObject(filters)) throw invalid("Filters must be an object of filter lists.");
  const parsed: ParsedField[] = [];
  for (const [field, list] of Object.entries(filters)) {
    if (list === undefined || list === null) continue;
    if (!isFilterFieldName(field))
      throw invalid(`'${field}' is not a filter attribute of AwsSecurityFindingFilters.`);
    if (!Array.isArray(list)) throw invalid(`${field} must be a list of filters.`);
    if (list.length === 0) continue;
    if (list.length > MAX_FILTER_VALUES) {
      throw invalid(
        `${field} has ${list.length} filter values; at most ${MAX_FILTER_VALUES} are allowed per attribute.`,
      );
    }
    const spec = FINDING_FILTER_FIELDS[field];
    const kind: FilterKind = spec.kind;
    const base = { field, path: spec.path };
    switch (kind) {
      case "string":
        parsed.push({ ...base, kind, conds: parseStringConds(field, list) });
        break;
      case "map":
        parsed.push({ ...base, kind, conds: parseMapConds(field, list) });
        break;
      case "number":
        parsed.push({ ...base, kind, conds: parseNumberConds(field, list) });
        break;
      case "date":
        parsed.push({ ...base, kind, ranges: parseDateRanges(field, list, ctx.nowMs) });
        break;
      case "ip":
        parsed.push({
          ...base,
          kind,
          blocks: list.map((item, i) => {
            const cidr = isJsonObject(item) ? item.Cidr : undefined;
            const block = typeof cidr === "string" ? parseCidr(cidr) : undefined;
            if (!block) throw invalid(`${field}[${i}].Cidr must be an IPv4 or IPv6 address or CIDR block.`);
            return block;
          }),
        });
        break;
      case "boolean":
        parsed.push({
          ...base,
          kind,
          values: list.map((item, i) => {
            const v = isJsonObject(item) ? item.Value : undefined;
            if (typeof v !== "boolean") throw invalid(`${field}[${i}].Value must be true or false.`);
            return v;
          }),
        });
        break;
      case "keyword":
        parsed.push({
          ...base,
          kind,
          values: list.map((item, i) =>
            requireString(isJsonObject(item) ? item.Value : undefined, `${field}[${i}].Value`),
          ),
        });
        break;
    }
  }
  if (parsed.length > MAX_FILTER_FIELDS) {
    throw invalid(`${parsed.length} filter attributes given; at most ${MAX_FILTER_FIELDS} are allowed.`);
  }
  return parsed;
}

function stringMatches(value: string, c: StringCond): boolean {
  switch (c.comparison) {
    case "EQUALS":
    case "NOT_EQUALS":
      return value === c.value;
    case "PREFIX":
    case "PREFIX_NOT_EQUALS":
      return value.startsWith(c.value);
    case "CONTAINS":
    case "NOT_CONTAINS":
      return value.includes(c.value);
  }
}

function numberMatches(v: number, c: NumberCond): boolean {
  return (
    (c.gte === undefined || v >= c.gte) &&
    (c.lte === undefined || v <= c.lte) &&
    (c.eq === undefined || v === c.eq) &&
    (c.gt === undefined || v > c.gt) &&
    (c.lt === undefined || v < c.lt)
  );
}

/** True when `ms` lies in the inclusive range. */
export function inRange(ms: number, r: MsRange): boolean {
  return (r.startMs === undefined || ms >= r.startMs) && (r.endMs === undefined || ms <= r.endMs);
}

function anyStringLeafEquals(node: unknown, value: string, depth = 0): boolean {
  if (typeof node === "string") return node === value;
  if (depth > 64 || typeof node !== "object" || node === null) return false;
  const children = Array.isArray(node) ? node : Object.values(node as JsonObject);
  return children.some((child) => anyStringLeafEquals(child, value, depth + 1));
}

function mapHit(m: unknown, c: MapCond): boolean {
  if (!isJsonObject(m) || !Object.hasOwn(m, c.key)) return false;
  const v = m[c.key];
  if (typeof v !== "string") return false;
  return c.comparison === "CONTAINS" || c.comparison === "NOT_CONTAINS" ? v.includes(c.value) : v === c.value;
}

type FindingTest = (finding: unknown) => boolean;

/**
 * Positive conditions OR-ed over every value, then no value may hit a negative condition. Values
 * are visited in place (`someValueAtPath`) so a scan over a large store allocates nothing per finding.
 */
function positiveNegative<C extends { comparison: string }>(
  path: string,
  conds: readonly C[],
  hit: (value: unknown, cond: C) => boolean,
): FindingTest {
  const positives = conds.filter((c) => POSITIVE.has(c.comparison));
  const negatives = conds.filter((c) => !POSITIVE.has(c.comparison));
  const anyPositive = (v: unknown) => positives.some((c) => hit(v, c));
  const anyNegative = (v: unknown) => negatives.some((c) => hit(v, c));
  return (finding) =>
    (positives.length === 0 || someValueAtPath(finding, path, anyPositive)) &&
    (negatives.length === 0 || !someValueAtPath(finding, path, anyNegative));
}

function fieldTest(p: ParsedField): FindingTest {
  switch (p.kind) {
    case "string":
      return positiveNegative(p.path, p.conds, (v, c) => typeof v === "string" && stringMatches(v, c));
    case "map":
      return positiveNegative(p.path, p.conds, mapHit);
    case "number": {
      const hit = (v: unknown) => typeof v === "number" && p.conds.some((c) => numberMatches(v, c));
      return (finding) => someValueAtPath(finding, p.path, hit);
    }
    case "date": {
      const hit = (v: unknown) => {
        const ms = parseAsffTimestamp(v);
        return ms !== undefined && p.ranges.some((r) => inRange(ms, r));
      };
      return (finding) => someValueAtPath(finding, p.path, hit);
    }
    case "ip": {
      const hit = (v: unknown) => typeof v === "string" && p.blocks.some((b) => cidrContains(b, v));
      return (finding) => someValueAtPath(finding, p.path, hit);
    }
    case "boolean":
      // An absent flag reads as false (Sample is only set on sample findings).
      return (finding) => p.values.includes(someValueAtPath(finding, p.path, (v) => v === true));
    case "keyword":
      return (finding) => p.values.some((v) => anyStringLeafEquals(finding, v));
  }
}

/**
 * Compiles GetFindings `Filters` to a predicate over stored findings. Throws `HubApiError`
 * `InvalidInputException` for an unknown attribute, a malformed filter, a forbidden comparison
 * mix or more than 10 attributes / 20 values.
 */
export function compileFindingFilters(filters: unknown, ctx: FilterContext): FindingPredicate {
  const tests = parseFindingFilters(filters, ctx).map(fieldTest);
  if (tests.length === 0) return () => true;
  return (stored) => tests.every((test) => test(stored.finding));
}

/**
 * A constraint a storage layer may push down to an index: every finding matching the filters
 * satisfies it. `string`: some value at `path` equals one of `equals` or starts with one of
 * `prefixes`. `date`: some value at `path` (as epoch ms) lies in one of `ranges`. Stores pre-filter
 * with any subset of these, then apply `compileFindingFilters` for exactness.
 */
export type IndexableConstraint =
  | {
      readonly kind: "string";
      readonly field: FilterFieldName;
      readonly path: string;
      readonly equals: readonly string[];
      readonly prefixes: readonly string[];
    }
  | {
      readonly kind: "date";
      readonly field: FilterFieldName;
      readonly path: string;
      readonly ranges: readonly MsRange[];
    };

/**
 * The equality / prefix / date-range constraints of `filters` that an index can answer. Fields
 * with CONTAINS, only negative comparisons, or other kinds yield no constraint. Throws like
 * `compileFindingFilters` on invalid filters.
 */
export function indexableConstraints(filters: unknown, ctx: FilterContext): IndexableConstraint[] {
  const out: IndexableConstraint[] = [];
  for (const p of parseFindingFilters(filters, ctx)) {
    if (p.kind === "string") {
      const positives = p.conds.filter((c) => POSITIVE.has(c.comparison));
      if (positives.length === 0 || positives.some((c) => c.comparison === "CONTAINS")) continue;
      out.push({
        kind: "string",
        field: p.field,
        path: p.path,
        equals: positives.filter((c) => c.comparison === "EQUALS").map((c) => c.value),
        prefixes: positives.filter((c) => c.comparison === "PREFIX").map((c) => c.value),
      });
    } else if (p.kind === "date") {
      out.push({ kind: "date", field: p.field, path: p.path, ranges: p.ranges });
    }
  }
  return out;
}
