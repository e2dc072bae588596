/**
 * Product ARNs (spec §2.4): `arn:<partition>:securityhub:<region>:<account>:product/<company>/<product>`.
 * The account part is empty for AWS services and some partner products.
 */

/** The parts of a product ARN. */
export interface ProductArnParts {
  readonly partition: string;
  readonly region: string;
  /** Empty for AWS services and some partner products. */
  readonly accountId: string;
  readonly companyId: string;
  readonly productId: string;
}

const PRODUCT_ARN_RE =
  /^arn:(aws[a-zA-Z-]*):securityhub:([a-z0-9-]+):(\d{12})?:product\/([^/\s]+)\/([^/\s]+)$/;

/** Parses a product ARN; `undefined` when `arn` is not one. */
export function parseProductArn(arn: unknown): ProductArnParts | undefined {
  if (typeof arn !== "string") return undefined;
  const m = PRODUCT_ARN_RE.exec(arn);
  if (!m) return undefined;
  const [, partition, region, accountId, companyId, productId] = m;
  return {
    partition: partition ?? "aws",
    region: region ?? "",
    accountId: accountId ?? "",
    companyId: companyId ?? "",
    productId: productId ?? "",
  };
}

/**
 * True for a private ("custom integration") product: the company id is an account id, as in
 * `product/111111111111/default`. Such providers may set CompanyName/ProductName themselves.
 */
export function isCustomProduct(parts: ProductArnParts): boolean {
  return /^\d{12}$/.test(parts.companyId);
}

/** True for an AWS service product (`product/aws/<service>`). */
export function isAwsServiceProduct(parts: ProductArnParts): boolean {
  return parts.companyId === "aws";
}

/** True for a partner product: neither an AWS service nor a private product. */
export function isPartnerProduct(parts: ProductArnParts): boolean {
  return !isCustomProduct(parts) && !isAwsServiceProduct(parts);
}

/** The caller's own default product ARN, which every account with Security Hub enabled has. */
export function defaultProductArn(accountId: string, region: string, partition = "aws"): string {
  return `arn:${partition}:securityhub:${region}:${accountId}:product/${accountId}/default`;
}

/** Display names Security Hub shows for a product. */
export interface ProductNames {
  readonly companyName: string;
  readonly productName: string;
}

/**
 * Names used when the context has no product registry: custom integrations are
 * `Personal`/`Default` (spec §1.10); other products fall back to their ARN's ids.
 */
export function fallbackProductNames(parts: ProductArnParts): ProductNames {
  if (isCustomProduct(parts)) return { companyName: "Personal", productName: "Default" };
  return { companyName: parts.companyId, productName: parts.productId };
}
