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
 * The canonical JSON of `value`: object keys sorted, `undefined` members dropped; otherwise the
 * same text as `JSON.stringify`, so hashes stay equal to those of earlier releases. Keys are
 * sorted only when they are not in order already, and plain strings skip `JSON.stringify`: this
 * runs once per incoming finding on every import, including unchanged re-imports.
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
    let out = "[";
    for (let i = 0; i < value.length; i++) out += (i > 0 ? "," : "") + canonical(value[i]);
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i - 1] as string) > (keys[i] as string)) {
      keys.sort();
      break;
    }
  }
  let out = "{";
  let first = true;
  for (const k of keys) {
    const v = record[k];
    if (v === undefined || typeof v === "function" || typeof v === "symbol") continue;
    out += `${first ? "" : ","}${quote(k)}:${canonical(v)}`;
    first = false;
  }
  return `${out}}`;
}

/** Canonical JSON: equal for two values that differ only in key order or `undefined` members. */
export function canonicalJson(value: unknown): string {
  return canonical(value);
}

/** The provider-owned part of a finding: what {@link contentHash} covers. */
export function providerContent(finding: AwsSecurityFinding): Record<string, unknown> {
  const content: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(finding)) {
    if (HASH_EXCLUDED_ATTRIBUTES.has(name) || value === undefined) continue;
    if (name === "ProductFields" && value !== null && typeof value === "object") {
      const fields: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (!k.startsWith(SERVICE_PRODUCT_FIELD_PREFIX)) fields[k] = v;
      }
      if (Object.keys(fields).length > 0) content[name] = fields;
      continue;
    }
    content[name] = value;
  }
  return content;
}

/**
 * SHA-256 (base64url) of the canonical JSON of the provider-owned content. Stable across key
 * order, machines and runs; independent of every timestamp the plan rewrites.
 */
export function contentHash(finding: AwsSecurityFinding): string {
  const text = canonicalJson(providerContent(finding));
  // The one-shot `crypto.hash` (Node ≥ 20.12) costs half of createHash().update().digest() on a
  // finding-sized input; the result is the same digest.
  return oneShotHash === undefined
    ? createHash("sha256").update(text).digest("base64url")
    : oneShotHash("sha256", text, "base64url");
}
