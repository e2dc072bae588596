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

/** Appends the canonical JSON of `value` (object keys sorted, `undefined` members dropped) to `out`. */
function canonical(value: unknown, out: string[]): void {
  if (value === null || typeof value !== "object") {
    out.push(value === undefined ? "null" : JSON.stringify(value));
    return;
  }
  if (Array.isArray(value)) {
    out.push("[");
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(",");
      canonical(value[i], out);
    }
    out.push("]");
    return;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort();
  out.push("{");
  keys.forEach((k, i) => {
    if (i > 0) out.push(",");
    out.push(JSON.stringify(k), ":");
    canonical(record[k], out);
  });
  out.push("}");
}

/** Canonical JSON: equal for two values that differ only in key order or `undefined` members. */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  canonical(value, out);
  return out.join("");
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
