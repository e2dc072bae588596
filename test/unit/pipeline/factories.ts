/** Typed test factories for the pipeline tests: findings and shadow records with sane defaults. */
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import type { FindingKey } from "../../../lambdas/core/hub/contracts.ts";
import { contentHash } from "../../../lambdas/core/pipeline/content-hash.ts";
import type { ShadowRecord } from "../../../lambdas/ports/shadow-store.ts";

export const ACCOUNT = "123456789012";
export const REGION = "us-east-1";
export const PRODUCT_ARN = `arn:aws:securityhub:${REGION}:${ACCOUNT}:product/${ACCOUNT}/default`;

/** A valid ASFF finding; `overrides` replace top-level attributes. */
export function finding(id: string, overrides: Partial<AwsSecurityFinding> = {}): AwsSecurityFinding {
  return {
    SchemaVersion: "2018-10-08",
    Id: id,
    ProductArn: PRODUCT_ARN,
    GeneratorId: "rule-1",
    AwsAccountId: ACCOUNT,
    CreatedAt: "2026-01-01T00:00:00.000Z",
    UpdatedAt: "2026-01-01T00:00:00.000Z",
    Title: `Finding ${id}`,
    Description: "Something is wrong",
    FindingProviderFields: {
      Severity: { Label: "HIGH", Original: "high" },
      Types: ["Software and Configuration Checks/Vulnerabilities/CVE"],
    },
    Resources: [{ Type: "Other", Id: "resource-1" }],
    ...overrides,
  };
}

export function keyOf(f: AwsSecurityFinding): FindingKey {
  return {
    accountId: f.AwsAccountId ?? ACCOUNT,
    region: REGION,
    productArn: f.ProductArn ?? PRODUCT_ARN,
    id: f.Id ?? "",
  };
}

/** The shadow a previous import of `f` would have left. */
export function shadowOf(f: AwsSecurityFinding, overrides: Partial<ShadowRecord> = {}): ShadowRecord {
  return {
    key: keyOf(f),
    contentHash: contentHash(f),
    updatedAt: f.UpdatedAt ?? "2026-01-01T00:00:00.000Z",
    createdAt: f.CreatedAt ?? "2026-01-01T00:00:00.000Z",
    recordState: "ACTIVE",
    customerTouched: [],
    lastSentMs: Date.parse(f.UpdatedAt ?? "2026-01-01T00:00:00.000Z"),
    ...overrides,
  };
}
