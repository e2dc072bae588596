/**
 * ASFF timestamps (spec §1.3): strings ending in `Z` or a numeric offset (`+HH:MM` or `-HHMM`,
 * at most ±18:00), with up to 9 fractional digits. Security Hub compares them as instants and
 * keeps millisecond precision, so every comparison here goes through `parseAsffTimestamp`.
 */

/** The accepted family of timestamps (Security Hub's DateFilter pattern, fraction ≤ 9 digits). */
export const ASFF_TIMESTAMP_PATTERN =
  "^(\\d\\d\\d\\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])T(?:([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d|23:59:60)(?:\\.\\d{1,9})?(Z|[+-]\\d\\d(:?\\d\\d)?)$";

const TIMESTAMP_RE = new RegExp(ASFF_TIMESTAMP_PATTERN);
const PARTS_RE =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|([+-])(\d{2}):?(\d{2})?)$/;

/**
 * Parses an ASFF timestamp to epoch milliseconds (fraction rounded to the millisecond, offsets
 * honoured). Returns `undefined` for anything Security Hub would reject, including impossible
 * dates such as 2023-02-30 and offsets beyond ±18:00.
 */
export function parseAsffTimestamp(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  // A report's findings share their UpdatedAt and a scope's shadows their updatedAt/observedAt,
  // and the import plan parses them once per finding: remember the last few distinct values.
  // (A pure function's cache: the result depends on the argument alone.)
  const hit = parsedTimestamps.get(value);
  if (hit !== undefined || parsedTimestamps.has(value)) return hit;
  const ms = parseUncached(value);
  if (parsedTimestamps.size >= MAX_PARSED_TIMESTAMPS) parsedTimestamps.clear();
  parsedTimestamps.set(value, ms);
  return ms;
}

/**
 * Recently parsed timestamps and their instants (`undefined` for invalid ones). Bounded and
 * simply cleared when full: the values that repeat come back within a few findings, and a report
 * whose every finding carries its own time must not grow the cache without limit.
 */
const parsedTimestamps = new Map<string, number | undefined>();
const MAX_PARSED_TIMESTAMPS = 256;

function parseUncached(value: string): number | undefined {
  if (!TIMESTAMP_RE.test(value)) return undefined;
  const m = PARTS_RE.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone, sign, oh, om] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const second = Math.min(Number(s), 59); // a leap second is held as :59.999 … rounded below
  const fractionMs = frac ? Math.round(Number(`0.${frac}`) * 1000) : 0;
  const base = Date.UTC(year, month - 1, day, Number(h), Number(mi), second);
  const check = new Date(base);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    return undefined;
  }
  let offsetMinutes = 0;
  if (zone !== "Z") {
    const hours = Number(oh);
    const minutes = om === undefined ? 0 : Number(om);
    if (minutes > 59) return undefined;
    offsetMinutes = hours * 60 + minutes;
    if (offsetMinutes > 18 * 60) return undefined;
    if (sign === "-") offsetMinutes = -offsetMinutes;
  }
  return base + fractionMs - offsetMinutes * 60_000;
}

/** True when `value` is a timestamp Security Hub accepts. */
export function isAsffTimestamp(value: unknown): value is string {
  return parseAsffTimestamp(value) !== undefined;
}

/** Formats epoch milliseconds the way shadowhub writes timestamps: UTC, millisecond precision. */
export function formatAsffTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/**
 * Compares two ASFF timestamps as instants: negative when `a` is earlier, 0 when equal,
 * positive when later. Throws on an invalid timestamp: callers validate first.
 */
export function compareAsffTimestamps(a: string, b: string): number {
  const left = parseAsffTimestamp(a);
  const right = parseAsffTimestamp(b);
  if (left === undefined || right === undefined) {
    throw new RangeError(`not an ASFF timestamp: ${left === undefined ? a : b}`);
  }
  return left - right;
}
