/**
 * Batching (pure): planned sends grouped by (account, Region of the ProductArn) — one endpoint,
 * one quota, one client — and cut into BatchImportFindings calls of at most 100 findings and
 * 6 MB of request body (limits from `asff/limits.ts`, enforced here and nowhere else).
 */
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { MAX_FINDINGS_PER_IMPORT, MAX_IMPORT_REQUEST_BYTES } from "../asff/limits.ts";
import type { FindingKey } from "../hub/contracts.ts";
import { accountRegionKey } from "./finding-key.ts";

/** Bytes of `{"Findings":[` + `]}` around the findings of one request body. */
export const REQUEST_ENVELOPE_BYTES = Buffer.byteLength('{"Findings":[]}');

/** Anything with a key and a finding to send. */
export interface Batchable {
  readonly key: FindingKey;
  readonly finding: AwsSecurityFinding;
}

/** One BatchImportFindings call. */
export interface SendBatch<T extends Batchable> {
  readonly accountId: string;
  readonly region: string;
  readonly items: T[];
  /** UTF-8 bytes of the request body `{"Findings":[...]}`. */
  readonly bytes: number;
  /**
   * UTF-8 bytes of the largest finding's JSON: a proven bound on every finding of the call (and of
   * any part of it resent), so a receiver that measured nothing itself need not measure again.
   */
  readonly largestFindingBytes: number;
}

export interface BatchLimits {
  /** @default MAX_FINDINGS_PER_IMPORT (100) */
  readonly maxFindings?: number;
  /** @default MAX_IMPORT_REQUEST_BYTES (6 MB) */
  readonly maxBytes?: number;
}

interface OpenBatch<T extends Batchable> {
  accountId: string;
  region: string;
  items: T[];
  bytes: number;
  largestFindingBytes: number;
  ids: Set<string>;
}

/**
 * Cuts `items` into calls. Order is kept within each (account, Region); a batch never holds two
 * findings with the same `Id` (BatchImportFindings reports failures by `Id` alone, so two
 * ProductArns sharing an Id in one call could not be told apart). A single finding larger than
 * the request limit still gets a batch of its own: Security Hub's answer is the error to report.
 */
export function batchFindings<T extends Batchable>(
  items: readonly T[],
  limits: BatchLimits = {},
): SendBatch<T>[] {
  const maxFindings = limits.maxFindings ?? MAX_FINDINGS_PER_IMPORT;
  const maxBytes = limits.maxBytes ?? MAX_IMPORT_REQUEST_BYTES;
  const done: SendBatch<T>[] = [];
  const open = new Map<string, OpenBatch<T>>();
  const close = (group: string, batch: OpenBatch<T>) => {
    done.push({
      accountId: batch.accountId,
      region: batch.region,
      items: batch.items,
      bytes: batch.bytes,
      largestFindingBytes: batch.largestFindingBytes,
    });
    open.delete(group);
  };
  for (const item of items) {
    const group = accountRegionKey(item.key);
    const size = Buffer.byteLength(JSON.stringify(item.finding));
    let batch = open.get(group);
    if (batch !== undefined) {
      const added = batch.bytes + (batch.items.length > 0 ? 1 : 0) + size;
      if (batch.items.length >= maxFindings || added > maxBytes || batch.ids.has(item.key.id)) {
        close(group, batch);
        batch = undefined;
      }
    }
    if (batch === undefined) {
      batch = {
        accountId: item.key.accountId,
        region: item.key.region,
        items: [],
        bytes: REQUEST_ENVELOPE_BYTES,
        largestFindingBytes: 0,
        ids: new Set(),
      };
      open.set(group, batch);
    }
    batch.bytes += (batch.items.length > 0 ? 1 : 0) + size;
    if (size > batch.largestFindingBytes) batch.largestFindingBytes = size;
    batch.items.push(item);
    batch.ids.add(item.key.id);
  }
  for (const [group, batch] of open) close(group, batch);
  return done;
}
