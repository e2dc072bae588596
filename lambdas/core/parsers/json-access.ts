/**
 * Typed reads from an untrusted parsed JSON document: each helper returns the value only when it
 * has the expected type, so parsers never trust a report's shape.
 */

/** A JSON object (not an array, not null). */
export type JsonObject = { readonly [key: string]: unknown };

/** `value` when it is a JSON object, else undefined. */
export function asObject(value: unknown): JsonObject | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as JsonObject)
    : undefined;
}

/** `value` when it is an array, else `[]`. */
export function asArray(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** `value` when it is a non-blank string (trimmed), else undefined. Numbers are turned into strings. */
export function asString(value: unknown): string | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value !== "string") return undefined;
  const s = value.trim();
  return s === "" ? undefined : s;
}

/** `value` when it is a finite number (or a numeric string), else undefined. */
export function asNumber(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "string" && value.trim() !== "") {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** The non-blank strings of an array, de-duplicated, in order. */
export function asStrings(value: unknown): string[] {
  const out: string[] = [];
  if (!Array.isArray(value)) return out;
  // Report lists are short (references, CWE ids, tags): a linear search allocates nothing per call;
  // a Set only pays off for long lists.
  const seen = value.length > 32 ? new Set<string>() : undefined;
  for (const item of value) {
    const s = asString(item);
    if (s === undefined) continue;
    if (seen === undefined) {
      if (!out.includes(s)) out.push(s);
    } else if (!seen.has(s)) {
      seen.add(s);
      out.push(s);
    }
  }
  return out;
}

/** Describes the JSON type of `value` for error messages. */
export function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}
