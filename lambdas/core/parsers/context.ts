/**
 * Building and checking a `ConversionContext` in one place: the account, Region, partition and
 * ProductArn every finding carries. Nothing is guessed: a missing or malformed value is a
 * `ConfigurationError` that lists every problem at once.
 */
import { ConfigurationError } from "../errors.ts";
import type { ConversionContext } from "./contracts.ts";

/** The three partitions Security Hub findings can be imported into. */
export const PARTITIONS = ["aws", "aws-cn", "aws-us-gov"] as const;
export type Partition = (typeof PARTITIONS)[number];

const ACCOUNT_RE = /^\d{12}$/;
/** Region names such as `us-east-1`, `cn-north-1`, `us-gov-west-1`, `ap-southeast-4`, `eu-isoe-west-1`. */
const REGION_RE = /^[a-z]{2}(?:-(?:gov|iso[a-z]*))?-[a-z]+-\d{1,2}$/;
/** `arn:<partition>:securityhub:<region>:<account or empty>:product/<company>/<product>` (spec §2.4). */
const PRODUCT_ARN_RE =
  /^arn:(aws|aws-cn|aws-us-gov):securityhub:([a-z0-9-]+):(\d{12})?:product\/([^/\s]+)\/([^/\s]+)$/;

/** The partition a Region belongs to: `cn-*` → `aws-cn`, `us-gov-*` → `aws-us-gov`, else `aws`. */
export function partitionForRegion(region: string): Partition {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/** The account's own custom-integration product: `arn:<partition>:securityhub:<region>:<account>:product/<account>/default`. */
export function defaultProductArn(partition: Partition, region: string, accountId: string): string {
  return `arn:${partition}:securityhub:${region}:${accountId}:product/${accountId}/default`;
}

/** The parts of a Security Hub ProductArn, or undefined when `arn` is not one. */
export function parseProductArn(
  arn: string,
):
  | { partition: Partition; region: string; accountId?: string; companyId: string; productId: string }
  | undefined {
  const m = PRODUCT_ARN_RE.exec(arn);
  if (!m) return undefined;
  const [, partition, region, accountId, companyId, productId] = m;
  return {
    partition: partition as Partition,
    region: region ?? "",
    ...(accountId ? { accountId } : {}),
    companyId: companyId ?? "",
    productId: productId ?? "",
  };
}

/** What a caller may give; everything but `nowMs` is checked and may be missing (then it is an error). */
export interface ConversionContextInput {
  readonly accountId?: string;
  readonly region?: string;
  readonly partition?: string;
  readonly productArn?: string;
  readonly companyName?: string;
  readonly productName?: string;
  readonly scope?: string;
  readonly nowMs: number;
}

/**
 * Builds a validated `ConversionContext`. The partition defaults to the Region's and the
 * ProductArn to the account's default product; an explicit partition or ProductArn must agree with
 * the Region (Security Hub requires the ProductArn's Region to be the endpoint's, spec §2.4).
 * Throws one `ConfigurationError` naming every bad option, its value and the fix.
 */
export function buildConversionContext(input: ConversionContextInput): ConversionContext {
  const problems: string[] = [];
  const { accountId, region } = input;
  if (accountId === undefined || accountId === "") {
    problems.push(
      "account id is missing: pass the 12-digit AWS account id the findings belong to (--account)",
    );
  } else if (!ACCOUNT_RE.test(accountId)) {
    problems.push(`account id '${accountId}' is not 12 digits: pass an id such as 123456789012`);
  }
  if (region === undefined || region === "") {
    problems.push(
      "Region is missing: pass the Region of the Security Hub endpoint (--region), e.g. us-east-1",
    );
  } else if (!REGION_RE.test(region)) {
    problems.push(`Region '${region}' is not a Region name such as us-east-1, cn-north-1 or us-gov-west-1`);
  }
  const regionOk = region !== undefined && REGION_RE.test(region);
  let partition: Partition | undefined = regionOk ? partitionForRegion(region) : undefined;
  if (input.partition !== undefined && input.partition !== "") {
    if (!(PARTITIONS as readonly string[]).includes(input.partition)) {
      problems.push(`partition '${input.partition}' is not one of ${PARTITIONS.join(", ")}`);
    } else if (partition !== undefined && input.partition !== partition) {
      problems.push(
        `partition '${input.partition}' does not match Region '${region}' (which is in '${partition}'): drop --partition or fix --region`,
      );
    } else {
      partition = input.partition as Partition;
    }
  }
  let productArn: string | undefined;
  if (input.productArn !== undefined && input.productArn !== "") {
    const parsed = parseProductArn(input.productArn);
    if (!parsed) {
      problems.push(
        `ProductArn '${input.productArn}' is not of the form arn:<partition>:securityhub:<region>:<account>:product/<company-id>/<product-id>`,
      );
    } else {
      if (regionOk && parsed.region !== region) {
        problems.push(
          `ProductArn '${input.productArn}' names Region '${parsed.region}' but the findings go to '${region}': Security Hub requires them to be equal`,
        );
      }
      if (partition !== undefined && parsed.partition !== partition) {
        problems.push(
          `ProductArn '${input.productArn}' is in partition '${parsed.partition}', expected '${partition}'`,
        );
      }
      productArn = input.productArn;
    }
  }
  for (const [name, value] of [
    ["company name", input.companyName],
    ["product name", input.productName],
  ] as const) {
    if (value !== undefined && (value.trim() === "" || [...value].length > 128)) {
      problems.push(`${name} '${value}' must have 1 to 128 characters`);
    }
  }
  if (input.scope !== undefined && (input.scope.trim() === "" || [...input.scope].length > 2048)) {
    problems.push("scope must have 1 to 2048 characters");
  }
  if (!Number.isFinite(input.nowMs))
    problems.push(`clock value '${input.nowMs}' is not a number of milliseconds`);
  if (problems.length > 0 || accountId === undefined || region === undefined || partition === undefined) {
    throw new ConfigurationError(`invalid conversion context: ${problems.join("; ")}`);
  }
  return {
    accountId,
    region,
    partition,
    productArn: productArn ?? defaultProductArn(partition, region, accountId),
    ...(input.companyName !== undefined ? { companyName: input.companyName } : {}),
    ...(input.productName !== undefined ? { productName: input.productName } : {}),
    ...(input.scope !== undefined ? { scope: input.scope } : {}),
    nowMs: input.nowMs,
  };
}
