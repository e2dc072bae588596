/**
 * Identity of an outgoing finding as Security Hub will see it: (AwsAccountId, Region of the
 * ProductArn, ProductArn, Id). The Region comes from the ProductArn because that Region must be
 * the endpoint's (spec §2.4), whatever Region the finding's resources live in.
 */
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { InputError } from "../errors.ts";
import type { FindingKey } from "../hub/contracts.ts";

const PRODUCT_ARN_RE = /^arn:(aws|aws-cn|aws-us-gov):securityhub:([a-z0-9-]+):(\d{12})?:product\/[^/]+\/.+$/;

/**
 * The last ProductArn parsed and its Region: a report's findings almost always share one
 * ProductArn, and every finding's key is taken on every import, so the regex runs once per run
 * of equal ARNs instead of once per finding. (Module state, but a pure function's cache: the
 * result depends on the argument alone.)
 */
let lastArn: string | undefined;
let lastRegion: string | undefined;

/** The Region part of a Security Hub ProductArn, or `undefined` when the ARN is not one. */
export function productArnRegion(productArn: string): string | undefined {
  if (productArn !== lastArn) {
    lastRegion = PRODUCT_ARN_RE.exec(productArn)?.[2];
    lastArn = productArn;
  }
  return lastRegion;
}

/**
 * The Security Hub key of `finding`. Throws `InputError` naming the field when `Id`,
 * `AwsAccountId` or `ProductArn` is missing or the ProductArn carries no Region.
 */
export function findingKeyOf(finding: AwsSecurityFinding, source?: string): FindingKey {
  const { Id: id, AwsAccountId: accountId, ProductArn: productArn } = finding;
  if (typeof id !== "string" || id.length === 0) {
    throw new InputError("finding has no Id", { source, field: "Id", rule: "required" });
  }
  if (typeof accountId !== "string" || accountId.length === 0) {
    throw new InputError(`finding ${id} has no AwsAccountId`, {
      source,
      field: "AwsAccountId",
      rule: "required",
    });
  }
  if (typeof productArn !== "string") {
    throw new InputError(`finding ${id} has no ProductArn`, {
      source,
      field: "ProductArn",
      rule: "required",
    });
  }
  const region = productArnRegion(productArn);
  if (region === undefined) {
    throw new InputError(
      `finding ${id}: ProductArn '${productArn}' is not arn:<partition>:securityhub:<region>:<account>:product/<company>/<product>`,
      { source, field: "ProductArn", rule: "Security Hub product ARN" },
    );
  }
  return { accountId, region, productArn, id };
}

/** Key of the (account, Region) pair that shares one rate limit, one client and one batch. */
export function accountRegionKey(key: Pick<FindingKey, "accountId" | "region">): string {
  return `${key.accountId}/${key.region}`;
}
