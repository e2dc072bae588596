/**
 * Test factory: a small valid ASFF finding (the seed's custom-product shape) that each test copies
 * and changes. Not a test file itself.
 */
export type JsonObject = Record<string, unknown>;

/** The prefix Security Hub puts before every schema error. */
export const P = "Finding does not adhere to Amazon Finding Format. ";

/** A fresh valid finding; `extra` replaces top-level attributes, `remove` deletes them. */
export function finding(extra: JsonObject = {}, remove: readonly string[] = []): JsonObject {
  const base: JsonObject = {
    SchemaVersion: "2018-10-08",
    Id: "scanner/rule-1/arn:aws:s3:::bucket",
    ProductArn: "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default",
    GeneratorId: "rule-1",
    AwsAccountId: "123456789012",
    CreatedAt: "2024-01-04T15:25:10.123Z",
    UpdatedAt: "2024-01-04T15:25:10.123Z",
    Title: "A title",
    Description: "A description",
    FindingProviderFields: {
      Severity: { Label: "HIGH", Original: "7.5" },
      Types: ["Software and Configuration Checks/Vulnerabilities/CVE"],
    },
    Resources: [{ Type: "AwsS3Bucket", Id: "arn:aws:s3:::bucket", Partition: "aws", Region: "us-east-1" }],
  };
  const out: JsonObject = { ...base, ...structuredClone(extra) };
  for (const key of remove) delete out[key];
  return out;
}

/** `Resources` holding one resource with `extra` members. */
export function resources(extra: JsonObject): JsonObject[] {
  return [{ Type: "Other", Id: "resource-1", ...extra }];
}

/** `n` copies of `item` (for list-size cases). */
export function times<T>(n: number, item: T): T[] {
  return Array.from({ length: n }, () => structuredClone(item));
}

/** An object with `n` string entries `k0..k(n-1)` (for map-size cases). */
export function pairs(n: number, value = "v"): Record<string, string> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, value]));
}

/** A string of `n` characters. */
export function chars(n: number, c = "x"): string {
  return c.repeat(n);
}
