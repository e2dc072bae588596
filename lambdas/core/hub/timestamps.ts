/**
 * Storage form of timestamps: Security Hub keeps millisecond precision (spec §1.3), so a finer
 * fraction is rounded to the millisecond. Otherwise the provider's text (including its offset)
 * is kept: whether the service rewrites offsets to `Z` is UNCONFIRMED (decision in
 * docs/semantics.md).
 */
import { parseAsffTimestamp } from "../asff/timestamp.ts";
import { shallowCopy } from "./json.ts";

const FRACTION_RE = /\.(\d+)(Z|[+-].*)$/;
const OFFSET_RE = /([+-])(\d{2}):?(\d{2})?$/;

/** Rounds an ASFF timestamp with more than 3 fractional digits to the millisecond, keeping its offset. */
export function roundTimestampToMs(value: string): string {
  const m = FRACTION_RE.exec(value);
  if (!m || (m[1]?.length ?? 0) <= 3) return value;
  const ms = parseAsffTimestamp(value);
  if (ms === undefined) return value;
  const zone = m[2] ?? "Z";
  if (zone === "Z") return new Date(ms).toISOString();
  const o = OFFSET_RE.exec(zone);
  const offsetMin = o ? (o[1] === "-" ? -1 : 1) * (Number(o[2]) * 60 + Number(o[3] ?? 0)) : 0;
  return new Date(ms + offsetMin * 60_000).toISOString().slice(0, 23) + zone;
}

/** Sets an own data property, also for the key `__proto__` (which plain assignment would treat as the prototype). */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/**
 * Rounds every timestamp-valued member whose name ends in `At` (the ASFF naming convention for
 * timestamps: CreatedAt, UpdatedAt, FirstObservedAt, Note.UpdatedAt, LaunchedAt, …) to the
 * millisecond, without touching `node`: returns `node` itself when nothing needed rounding (the
 * common case), otherwise a copy in which only the objects and arrays on the path to a rounded
 * value are new. Why copy-on-write: a deep clone of every imported finding cost more than the
 * rest of the engine's per-finding work, and the values are never mutated afterwards.
 */
export function roundTimestamps<T>(node: T, depth = 0): T {
  if (depth > 64 || typeof node !== "object" || node === null) return node; // hostile nesting: the validator reports it
  if (Array.isArray(node)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < node.length; i++) {
      const value: unknown = node[i];
      if (typeof value !== "object" || value === null) continue;
      const rounded = roundTimestamps(value, depth + 1);
      if (rounded !== value) {
        copy ??= node.slice();
        copy[i] = rounded;
      }
    }
    return (copy ?? node) as T;
  }
  const record = node as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(record)) {
    const value = record[key];
    let rounded: unknown = value;
    if (typeof value === "string") {
      if (key.endsWith("At")) rounded = roundTimestampToMs(value);
    } else if (typeof value === "object" && value !== null) {
      rounded = roundTimestamps(value, depth + 1);
    }
    if (rounded !== value) {
      copy ??= shallowCopy(record);
      setOwn(copy, key, rounded);
    }
  }
  return (copy ?? node) as T;
}
