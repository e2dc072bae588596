import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { matchRoute, parseSigV4Scope } from "../../../lambdas/serve/protocol.ts";

const route = (method: string, path: string) => matchRoute(method, new URL(path, "http://localhost"));

describe("matchRoute", () => {
  const cases: [string, string, string | undefined][] = [
    ["POST", "/findings/import", "BatchImportFindings"],
    ["PATCH", "/findings/batchupdate", "BatchUpdateFindings"],
    ["POST", "/findings", "GetFindings"],
    ["POST", "/findings/", "GetFindings"],
    ["POST", "/accounts", "EnableSecurityHub"],
    ["DELETE", "/accounts", "DisableSecurityHub"],
    ["GET", "/accounts", "DescribeHub"],
    ["POST", "/productSubscriptions", "EnableImportFindingsForProduct"],
    ["GET", "/productSubscriptions", "ListEnabledProductsForImport"],
    [
      "DELETE",
      "/productSubscriptions/arn%3Aaws%3Asecurityhub%3Aus-east-1%3A1%3Aproduct-subscription/a/b",
      "DisableImportFindingsForProduct",
    ],
    ["GET", "/findings", undefined],
    ["PUT", "/findings/import", undefined],
    ["DELETE", "/productSubscriptions/", undefined],
    ["POST", "/findingsv2", undefined],
  ];
  for (const [method, path, operation] of cases) {
    it(`maps ${method} ${path} to ${operation ?? "nothing"}`, () => {
      assert.equal(route(method, path)?.operation, operation);
    });
  }

  it("decodes the greedy ProductSubscriptionArn label, keeping its slashes", () => {
    const m = route(
      "DELETE",
      "/productSubscriptions/arn%3Aaws%3Asecurityhub%3Aus-east-1%3A123456789012%3Aproduct-subscription/acme/scanner",
    );
    assert.equal(
      m?.uriMembers.ProductSubscriptionArn,
      "arn:aws:securityhub:us-east-1:123456789012:product-subscription/acme/scanner",
    );
  });

  it("reads DescribeHub's HubArn and ListEnabledProductsForImport's paging from the query string", () => {
    assert.equal(route("GET", "/accounts?HubArn=arn%3Ax")?.uriMembers.HubArn, "arn:x");
    assert.deepEqual(route("GET", "/productSubscriptions?MaxResults=5&NextToken=abc")?.uriMembers, {
      MaxResults: 5,
      NextToken: "abc",
    });
  });
});

describe("parseSigV4Scope", () => {
  it("reads the access key and Region of the credential scope", () => {
    const header =
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-1/securityhub/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc";
    assert.deepEqual(parseSigV4Scope(header), {
      accessKeyId: "AKIDEXAMPLE",
      region: "eu-west-1",
      service: "securityhub",
    });
  });
  it("answers undefined for a missing or non-SigV4 header", () => {
    assert.equal(parseSigV4Scope(undefined), undefined);
    assert.equal(parseSigV4Scope("Bearer token"), undefined);
    assert.equal(parseSigV4Scope("AWS4-HMAC-SHA256 Signature=abc"), undefined);
  });
});
