/** Typed factories for the engine's unit tests: a valid finding, a context, a store. */
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import {
  findingKeyString,
  type HubContext,
  type StoredFinding,
} from "../../../lambdas/core/hub/contracts.ts";

export const ACCOUNT = "123456789012";
export const REGION = "us-west-1";
export const PRODUCT_ARN = `arn:aws:securityhub:${REGION}:${ACCOUNT}:product/${ACCOUNT}/default`;
export const PARTNER_ARN = `arn:aws:securityhub:${REGION}:222222222222:product/generico/secure-pro`;
export const T0 = Date.parse("2024-03-01T12:00:00Z");

export type FindingInput = Record<string, unknown>;

/** A valid ASFF finding from the caller's default product; `overrides` replace top-level members. */
export function finding(overrides: FindingInput = {}): FindingInput {
  return {
    SchemaVersion: "2018-10-08",
    Id: "finding-1",
    ProductArn: PRODUCT_ARN,
    GeneratorId: "rule-1",
    AwsAccountId: ACCOUNT,
    CreatedAt: "2024-03-01T10:00:00.000Z",
    UpdatedAt: "2024-03-01T10:00:00.000Z",
    Title: "A finding",
    Description: "Something is wrong",
    Resources: [{ Type: "AwsS3Bucket", Id: "arn:aws:s3:::bucket-1", Partition: "aws", Region: REGION }],
    FindingProviderFields: {
      Severity: { Label: "HIGH", Original: "7" },
      Types: ["Software and Configuration Checks/Vulnerabilities/CVE"],
    },
    ...overrides,
  };
}

/** A context for the caller's account at `nowMs` with a counting event id source. */
export function context(overrides: Partial<HubContext> = {}): HubContext {
  let n = 0;
  return {
    callerAccountId: ACCOUNT,
    region: REGION,
    nowMs: T0,
    hubEnabled: true,
    isProductEnabled: () => false,
    newEventId: () => `event-${++n}`,
    ...overrides,
  };
}

/** A store map keyed the way the engine expects. */
export function storeOf(findings: Iterable<StoredFinding>): Map<string, StoredFinding> {
  return new Map([...findings].map((f) => [findingKeyString(f.key), f]));
}

/** Reads a top-level member of a stored finding as plain JSON. */
export function member(stored: StoredFinding | undefined, name: string): unknown {
  return stored ? (stored.finding as unknown as Record<string, unknown>)[name] : undefined;
}

/** The finding of a StoredFinding as plain JSON. */
export function json(f: AwsSecurityFinding | undefined): Record<string, unknown> {
  return (f ?? {}) as unknown as Record<string, unknown>;
}

import { batchImportFindings } from "../../../lambdas/core/hub/import.ts";
import { batchUpdateFindings } from "../../../lambdas/core/hub/update.ts";

/** A tiny in-test hub: applies the engine's writes to a map, as a storage layer would. */
export class TestHub {
  readonly store = new Map<string, StoredFinding>();

  import(findings: unknown[], ctx: HubContext = context()) {
    const result = batchImportFindings({ Findings: findings }, this.store, ctx);
    for (const w of result.writes) this.store.set(findingKeyString(w.key), w);
    return result;
  }

  update(request: Record<string, unknown>, ctx: HubContext = context()) {
    const result = batchUpdateFindings(request, this.store, ctx);
    for (const w of result.writes) this.store.set(findingKeyString(w.key), w);
    return result;
  }

  get(id = "finding-1", productArn = PRODUCT_ARN, accountId = ACCOUNT): StoredFinding | undefined {
    return this.store.get(findingKeyString({ accountId, region: REGION, productArn, id }));
  }

  /** The stored finding as plain JSON (throws when absent, so tests fail loudly). */
  json(id = "finding-1", productArn = PRODUCT_ARN): Record<string, unknown> {
    const stored = this.get(id, productArn);
    if (!stored) throw new Error(`no stored finding ${id}`);
    return stored.finding as unknown as Record<string, unknown>;
  }
}
