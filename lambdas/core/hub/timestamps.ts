/**
 * Storage form of timestamps: Security Hub keeps millisecond precision (spec §1.3), so a finer
 * fraction is rounded to the millisecond. Otherwise the provider's text (including its offset)
 * is kept: whether the service rewrites offsets to `Z` is UNCONFIRMED (decision in
 * docs/semantics.md).
 */
import { parseAsffTimestamp } from "../asff/timestamp.ts";
import { isJsonObject } from "./json.ts";

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

/**
 * Rounds, in place, every timestamp-valued member whose name ends in `At` (the ASFF naming
 * convention for timestamps: CreatedAt, UpdatedAt, FirstObservedAt, Note.UpdatedAt, LaunchedAt, …).
 */
export function roundTimestampsInPlace(node: unknown, depth = 0): void {
  if (depth > 64) return; // hostile nesting: the validator reports it, we just stop
  if (Array.isArray(node)) {
    for (const item of node) roundTimestampsInPlace(item, depth + 1);
    return;
  }
  if (!isJsonObject(node)) return;
  for (const [k, v] of Object.entries(node)) {
    if (typeof v === "string") {
      if (k.endsWith("At")) node[k] = roundTimestampToMs(v);
    } else if (typeof v === "object" && v !== null) {
      roundTimestampsInPlace(v, depth + 1);
    }
  }
}
