/**
 * The provider-content hash the shadow plan compares: two findings with the same hash would leave
 * Security Hub in the same provider-visible state, so sending the second one is a wasted call.
 *
 * Pure: `node:crypto` hashing is a deterministic computation, not I/O.
 */
import * as nodeCrypto from "node:crypto";
import { createHash } from "node:crypto";
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";

/**
 * Top-level attributes left out of the hash, and why:
 * - `UpdatedAt`, `LastObservedAt`: change on every scan without changing the finding;
 * - `CreatedAt`, `FirstObservedAt`: the plan keeps them from the shadow, so they never differ on the wire;
 * - `ProcessedAt`, `Region`, `WorkflowState`: added by Security Hub, never the provider's;
 * - `RecordState`: compared separately against the shadow's `recordState` (archive / reappear);
 * - `Note`, `UserDefinedFields`, `VerificationState`, `Workflow`: ignored by Security Hub on every
 *   update (spec §3.3), so a change there buys nothing.
 */
export const HASH_EXCLUDED_ATTRIBUTES: ReadonlySet<string> = new Set([
  "UpdatedAt",
  "LastObservedAt",
  "CreatedAt",
  "FirstObservedAt",
  "ProcessedAt",
  "Region",
  "WorkflowState",
  "RecordState",
  "Note",
  "UserDefinedFields",
  "VerificationState",
  "Workflow",
]);

/** `crypto.hash(algorithm, data, encoding)` where the running Node.js has it. */
const oneShotHash = (
  nodeCrypto as { hash?: (algorithm: string, data: string, encoding: "base64url") => string }
).hash;

/** `ProductFields` keys Security Hub writes itself (spec §1.10); a provider never owns them. */
const SERVICE_PRODUCT_FIELD_PREFIX = "aws/securityhub/";

/**
 * Strings that `JSON.stringify` would escape (quotes, backslashes, control characters) or treat
 * specially (surrogates, escaped when unpaired): only these go through `JSON.stringify`; every
 * other string is quoted directly, which is most of a finding's strings and keys.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what JSON must escape
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function quote(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/**
 * Quoted object keys followed by `:`. Findings repeat a few dozen key names thousands of times,
 * so a lookup replaces the escape test and two concatenations per member. Bounded, because keys
 * under `ProductFields` or `Details.Other` come from the scanner and may all differ.
 */
const quotedKeys = new Map<string, string>();
const MAX_QUOTED_KEYS = 4096;

function memberPrefix(key: string): string {
  let prefix = quotedKeys.get(key);
  if (prefix === undefined) {
    prefix = `${quote(key)}:`;
    if (quotedKeys.size < MAX_QUOTED_KEYS) quotedKeys.set(key, prefix);
  }
  return prefix;
}

/** An object shape met before: its keys as listed, and in string order. */
interface Shape {
  readonly keys: readonly string[];
  readonly sorted: readonly string[];
}

/**
 * Sorted key lists of the object shapes met last, by their first key: a converter builds every
 * finding with the same few shapes (same keys, same order), so after the first finding a shape's
 * order is a comparison of its key list with the remembered one instead of a sort. A few shapes
 * per first key (a package and its vendor may both start with `Name`); bounded like
 * {@link quotedKeys}.
 */
const shapesByFirstKey = new Map<string, Shape[]>();
const MAX_SHAPE_FIRST_KEYS = 1024;
const MAX_SHAPES_PER_FIRST_KEY = 8;

/** True when `a` and `b` hold the same strings in the same order. */
function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `keys` (not in order) in string order: a remembered shape's order, else sorted and remembered. */
function sortedShape(keys: string[]): readonly string[] {
  const first = keys[0] as string;
  let shapes = shapesByFirstKey.get(first);
  if (shapes !== undefined) {
    for (const shape of shapes) if (sameKeys(shape.keys, keys)) return shape.sorted;
  }
  const sorted = [...keys].sort();
  if (shapes === undefined && shapesByFirstKey.size < MAX_SHAPE_FIRST_KEYS) {
    shapes = [];
    shapesByFirstKey.set(first, shapes);
  }
  if (shapes !== undefined) {
    if (shapes.length >= MAX_SHAPES_PER_FIRST_KEY) shapes.shift();
    shapes.push({ keys, sorted });
  }
  return sorted;
}

/**
 * Object keys in string order: the keys themselves when in order already, else the remembered
 * order of the same shape, else sorted. The result is never modified by a caller.
 */
function sortedKeys(record: object): readonly string[] {
  const keys = Object.keys(record);
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i - 1] as string) > (keys[i] as string)) return sortedShape(keys);
  }
  return keys;
}

/** A member JSON.stringify leaves out of an object. */
function omitted(value: unknown): boolean {
  return value === undefined || typeof value === "function" || typeof value === "symbol";
}

/**
 * The canonical JSON of `value`: object keys sorted, `undefined` members dropped; otherwise the
 * same text as `JSON.stringify`, so hashes stay equal to those of earlier releases. Plain strings
 * skip `JSON.stringify`: this runs once per incoming finding on every import, including unchanged
 * re-imports.
 */
function canonical(value: unknown): string {
  switch (typeof value) {
    case "string":
      return quote(value);
    case "number":
      return Number.isFinite(value) ? String(value) : "null";
    case "boolean":
      return value ? "true" : "false";
    case "object":
      break;
    default:
      // undefined, functions and symbols: `null` where JSON.stringify would write it in an array.
      return "null";
  }
  if (value === null) return "null";
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    let out = `[${canonical(value[0])}`;
    for (let i = 1; i < value.length; i++) out += `,${canonical(value[i])}`;
    return `${out}]`;
  }
  return canonicalObject(value as Record<string, unknown>, sortedKeys(value));
}

/** `{...}` of the members of `record` named by `keys` (already in order), undefined ones left out. */
function canonicalObject(record: Record<string, unknown>, keys: readonly string[]): string {
  let out = "{";
  for (const k of keys) {
    const v = record[k];
    if (omitted(v)) continue;
    out += (out.length > 1 ? "," : "") + memberPrefix(k) + canonical(v);
  }
  return `${out}}`;
}

/** Canonical JSON: equal for two values that differ only in key order or `undefined` members. */
export function canonicalJson(value: unknown): string {
  return canonical(value);
}

/** `ProductFields` keys the provider owns (in string order), or `undefined` when none are left. */
function providerProductFieldKeys(fields: object): readonly string[] | undefined {
  const keys = sortedKeys(fields).filter((k) => !k.startsWith(SERVICE_PRODUCT_FIELD_PREFIX));
  return keys.length > 0 ? keys : undefined;
}

/**
 * The provider-owned part of a finding: what {@link contentHash} covers. The copies have no
 * prototype, so an own `__proto__` member (which `JSON.parse` creates) stays a member instead of
 * being taken as the copy's prototype (before the one-pass writer below, the hash dropped such a
 * member, so a change there went unnoticed).
 */
export function providerContent(finding: AwsSecurityFinding): Record<string, unknown> {
  const content: Record<string, unknown> = Object.create(null);
  for (const [name, value] of Object.entries(finding)) {
    if (HASH_EXCLUDED_ATTRIBUTES.has(name) || value === undefined) continue;
    if (name === "ProductFields" && value !== null && typeof value === "object") {
      const keys = providerProductFieldKeys(value);
      if (keys === undefined) continue;
      const fields: Record<string, unknown> = Object.create(null);
      for (const k of keys) fields[k] = (value as Record<string, unknown>)[k];
      content[name] = fields;
      continue;
    }
    content[name] = value;
  }
  return content;
}

/**
 * `canonicalJson(providerContent(finding))` in one pass: the excluded attributes and Security
 * Hub's own `ProductFields` keys are skipped while writing instead of copied out first.
 */
function canonicalProviderContent(finding: AwsSecurityFinding): string {
  const record = finding as unknown as Record<string, unknown>;
  let out = "{";
  for (const name of sortedKeys(record)) {
    const value = record[name];
    if (omitted(value) || HASH_EXCLUDED_ATTRIBUTES.has(name)) continue;
    let text: string;
    if (name === "ProductFields" && value !== null && typeof value === "object") {
      const keys = providerProductFieldKeys(value);
      if (keys === undefined) continue;
      text = canonicalObject(value as Record<string, unknown>, keys);
    } else {
      text = canonical(value);
    }
    out += (out.length > 1 ? "," : "") + memberPrefix(name) + text;
  }
  return `${out}}`;
}

/**
 * SHA-256 (base64url) of the canonical JSON of the provider-owned content. Stable across key
 * order, machines and runs; independent of every timestamp the plan rewrites.
 */
export function contentHash(finding: AwsSecurityFinding): string {
  const text = canonicalProviderContent(finding);
  // The one-shot `crypto.hash` (Node ≥ 20.12) costs half of createHash().update().digest() on a
  // finding-sized input; the result is the same digest.
  return oneShotHash === undefined
    ? createHash("sha256").update(text).digest("base64url")
    : oneShotHash("sha256", text, "base64url");
}
