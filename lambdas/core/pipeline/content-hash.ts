/**
 * The provider-content hash the shadow plan compares: two findings with the same hash would leave
 * Security Hub in the same provider-visible state, so sending the second one is a wasted call.
 *
 * Pure: `node:crypto` hashing is a deterministic computation, not I/O.
 */
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

/** `ProductFields` keys Security Hub writes itself (spec §1.10); a provider never owns them. */
const SERVICE_PRODUCT_FIELD_PREFIX = "aws/securityhub/";

/** The canonical JSON of `value`: object keys sorted, `undefined` members dropped. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== "object") {
    return value === undefined ? "null" : JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) out += (i > 0 ? "," : "") + canonical(value[i]);
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = "{";
  let first = true;
  for (const k of keys) {
    const v = record[k];
    if (v === undefined) continue;
    out += `${first ? "" : ","}${JSON.stringify(k)}:${canonical(v)}`;
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
  return createHash("sha256")
    .update(canonicalJson(providerContent(finding)))
    .digest("base64url");
}
