/**
 * The compressed form in which the SQLite and DynamoDB shadow stores keep the last sent finding
 * of each record (`ShadowCommitRecord.lastFinding`): gzip of its JSON. gzip rather than brotli
 * because a commit compresses every sent finding and gzip's default level is several times
 * cheaper in CPU for a ratio close to brotli's on ASFF JSON (see docs/shadow-store.md, "Last
 * sent finding"). Adapters only: the pure core never compresses.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { ShadowhubError } from "../core/errors.ts";

/** A stored finding blob that does not decode: the store is damaged, retrying does not help. */
export class FindingBlobError extends ShadowhubError {
  readonly kind = "permanent" as const;
}

/** The compressed JSON of `finding`. */
export function encodeFindingBlob(finding: AwsSecurityFinding): Buffer {
  return gzipSync(JSON.stringify(finding));
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
