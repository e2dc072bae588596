/**
 * Finding keys: the Region comes from the ProductArn. `productArnRegion` remembers the last ARN it
 * parsed, so these tests interleave ARNs to show that the remembered answer never leaks into the
 * answer for a different ARN.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { InputError } from "../../../lambdas/core/errors.ts";
import { findingKeyOf, productArnRegion } from "../../../lambdas/core/pipeline/finding-key.ts";

const EAST = "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default";
const WEST = "arn:aws:securityhub:eu-west-3::product/acme/scanner";
const NOT_A_PRODUCT = "arn:aws:s3:::bucket";

describe("productArnRegion", () => {
  it("answers each ARN for itself however the calls interleave", () => {
    const sequence = [EAST, EAST, WEST, NOT_A_PRODUCT, NOT_A_PRODUCT, EAST, WEST, WEST, NOT_A_PRODUCT];
    const expected: Record<string, string | undefined> = {
      [EAST]: "us-east-1",
      [WEST]: "eu-west-3",
      [NOT_A_PRODUCT]: undefined,
    };
    for (const arn of sequence) assert.equal(productArnRegion(arn), expected[arn], arn);
  });
});

describe("findingKeyOf", () => {
  const finding = (productArn: string) =>
    ({ Id: "f-1", AwsAccountId: "123456789012", ProductArn: productArn }) as AwsSecurityFinding;

  it("keys a finding by account, the ProductArn's Region, ProductArn and Id", () => {
    assert.deepEqual(findingKeyOf(finding(WEST)), {
      accountId: "123456789012",
      region: "eu-west-3",
      productArn: WEST,
      id: "f-1",
    });
  });

  it("rejects a ProductArn without a Region right after a valid one", () => {
    findingKeyOf(finding(EAST));
    assert.throws(() => findingKeyOf(finding(NOT_A_PRODUCT)), InputError);
    assert.equal(findingKeyOf(finding(EAST)).region, "us-east-1");
  });
});
