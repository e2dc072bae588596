/** Ingest message parsing and customer-edit detection (pure; kept next to the handler tests). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { InputError } from "../../../lambdas/core/errors.ts";
import { customerChangedAttributes } from "../../../lambdas/handlers/customer-edits-detect.ts";
import { parseMessage, scopeFromKey } from "../../../lambdas/handlers/messages.ts";
import { envelope, s3NotificationBody } from "../../helpers/handler-factories.ts";

describe("parseMessage", () => {
  it("reads an inline envelope with its settings", () => {
    const [request] = parseMessage(
      envelope({
        report: { Results: [] },
        format: "Trivy",
        scope: "img",
        account: "111122223333",
        region: "eu-west-1",
      }),
      "m1",
      "reports/",
    );
    assert.deepEqual(request, {
      source: "sqs:m1",
      location: { kind: "inline", content: '{"Results":[]}' },
      fromNotification: false,
      format: "trivy",
      scope: "img",
      accountId: "111122223333",
      region: "eu-west-1",
    });
  });

  it("reads an S3 notification, decoding the key and taking the scope from it", () => {
    const [request] = parseMessage(
      s3NotificationBody("b", "reports/repo@main trivy/x.json"),
      "m2",
      "reports/",
    );
    assert.deepEqual(request, {
      source: "s3://b/reports/repo@main trivy/x.json",
      location: { kind: "s3", bucket: "b", key: "reports/repo@main trivy/x.json" },
      fromNotification: true,
      scope: "repo@main trivy",
    });
  });

  it("ignores S3's test event", () => {
    assert.deepEqual(parseMessage('{"Service":"Amazon S3","Event":"s3:TestEvent"}', "m3", "reports/"), []);
  });

  const BAD: [string, string, RegExp][] = [
    ["a body that is not JSON", "nope", /body/],
    ["an array body", "[1]", /body/],
    [
      "an envelope with both report and s3",
      envelope({ report: [], s3: { bucket: "b", key: "k" } }),
      /report/,
    ],
    ["an envelope with neither", envelope({ scope: "x" }), /report/],
    ["an unknown envelope field", '{"report":[],"scopes":"x"}', /scopes/],
    ["an s3 pointer without a key", '{"s3":{"bucket":"b"}}', /s3\.key|key/],
    ["a non-S3 record", '{"Records":[{"eventSource":"aws:sns"}]}', /Records\[0\]\.eventSource/],
  ];
  for (const [name, body, field] of BAD) {
    it(`rejects ${name} with an InputError naming the message and field`, () => {
      assert.throws(
        () => parseMessage(body, "bad", "reports/"),
        (error: unknown) => {
          assert.ok(error instanceof InputError);
          assert.match(error.message, /^message bad: /);
          assert.equal(error.location.source, "sqs:bad");
          assert.match(error.location.field ?? "", field);
          return true;
        },
      );
    });
  }
});

describe("scopeFromKey", () => {
  const CASES: [string, string | undefined][] = [
    ["reports/a/b/c.json", "a/b"],
    ["reports/c.json", undefined],
    ["other/a/c.json", undefined],
  ];
  for (const [key, scope] of CASES) {
    it(`reads ${JSON.stringify(scope)} from ${key}`, () =>
      assert.equal(scopeFromKey(key, "reports/"), scope));
  }
});

describe("customerChangedAttributes", () => {
  const base: AwsSecurityFinding = {
    SchemaVersion: "2018-10-08",
    Id: "f",
    ProductArn: "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default",
    GeneratorId: "g",
    AwsAccountId: "111122223333",
    CreatedAt: "2026-01-01T00:00:00Z",
    UpdatedAt: "2026-01-01T00:00:00Z",
    Title: "t",
    Description: "d",
    Resources: [],
    Severity: { Label: "HIGH", Normalized: 70 },
    Types: ["A", "B"],
    Confidence: 50,
    FindingProviderFields: { Severity: { Label: "HIGH" }, Types: ["B", "A"], Confidence: 50 },
  };
  const CASES: [string, Partial<AwsSecurityFinding>, string[]][] = [
    ["a provider import (top level equals FindingProviderFields)", {}, []],
    ["a changed severity label", { Severity: { Label: "LOW", Normalized: 1 } }, ["Severity"]],
    ["changed types", { Types: ["A"] }, ["Types"]],
    ["a changed confidence", { Confidence: 10 }, ["Confidence"]],
    ["a criticality only the customer set", { Criticality: 90 }, ["Criticality"]],
    ["added related findings", { RelatedFindings: [{ ProductArn: "p", Id: "x" }] }, ["RelatedFindings"]],
    ["no FindingProviderFields at all", { FindingProviderFields: undefined, Severity: { Label: "LOW" } }, []],
  ];
  for (const [name, change, expected] of CASES) {
    it(`reports ${JSON.stringify(expected)} for ${name}`, () => {
      assert.deepEqual(customerChangedAttributes({ ...base, ...change }), expected);
    });
  }
});
