/**
 * The compressed form in which the SQLite and DynamoDB shadow stores keep the last sent finding
 * of each record (`ShadowCommitRecord.lastFinding`): gzip level 1 of its JSON. A commit
 * compresses every sent finding, so the cheapest codec that still halves a finding wins. On
 * 3 KB Trivy findings gzip-1 costs ~36 µs CPU per finding for 50 % of the JSON, gzip-6 ~38 µs
 * for 49 % (zlib's per-call set-up dominates at this size; on a 74 KB finding level 1 took
 * ~1.1 ms for 3.2 KB, level 6 ~1.4 ms for 2.6 KB), brotli-4 ~72 µs for 48 %, brotli's default
 * ~4,100 µs (bench/last-finding.bench.ts, docs/shadow-store.md "Last sent finding"). Adapters only: the pure core never compresses.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { ShadowhubError } from "../core/errors.ts";

/** A stored finding blob that does not decode: the store is damaged, retrying does not help. */
export class FindingBlobError extends ShadowhubError {
  readonly kind = "permanent" as const;
}

/** The compressed JSON of `finding` (gzip level 1). */
export function encodeFindingBlob(finding: AwsSecurityFinding): Buffer {
  return gzipSync(JSON.stringify(finding), { level: 1 });
}

/**
 * The finding stored as `blob` by {@link encodeFindingBlob}.
 * @throws FindingBlobError naming `where` when the blob is not gzip of a JSON object.
 */
export function decodeFindingBlob(blob: Uint8Array, where: string): AwsSecurityFinding {
  let value: unknown;
  try {
    value = JSON.parse(gunzipSync(blob).toString("utf8"));
  } catch (error) {
    throw new FindingBlobError(`stored finding of ${where} cannot be decoded: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new FindingBlobError(`stored finding of ${where} is not a JSON object`);
  }
  return value as AwsSecurityFinding;
}
