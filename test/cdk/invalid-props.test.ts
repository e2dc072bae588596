import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Duration, Stack } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as events from "aws-cdk-lib/aws-events";
import * as s3 from "aws-cdk-lib/aws-s3";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { ConfigurationError } from "../../lambdas/core/errors.ts";
import { FindingPipeline, type FindingPipelineProps } from "../../lib/finding-pipeline.ts";
import { testApp } from "./synth.ts";

const ACCOUNT = "111122223333";
type PropsFor = (stack: Stack) => FindingPipelineProps;

/** Each case: the props, and the words the error must contain (prop, value, fix). */
const CASES: [string, PropsFor, RegExp[]][] = [
  [
    "existingQueue together with queueProps",
    (s) => ({
      existingQueue: sqs.Queue.fromQueueArn(s, "Q", `arn:aws:sqs:us-east-1:${ACCOUNT}:q`),
      queueProps: {},
    }),
    [/queueProps/, /either existingQueue .* or queueProps/],
  ],
  [
    "existingQueue together with deadLetterQueueProps",
    (s) => ({
      existingQueue: sqs.Queue.fromQueueArn(s, "Q", `arn:aws:sqs:us-east-1:${ACCOUNT}:q`),
      deadLetterQueueProps: {},
    }),
    [/deadLetterQueueProps/, /not both/],
  ],
  [
    "existingTable together with tableProps",
    (s) => ({ existingTable: dynamodb.Table.fromTableName(s, "T", "t"), tableProps: {} }),
    [/tableProps/, /either existingTable/],
  ],
  [
    "existingBucket together with bucketProps",
    (s) => ({
      existingBucket: s3.Bucket.fromBucketName(s, "B", "acme-reports"),
      bucketProps: { versioned: true },
    }),
    [/bucketProps \["versioned"\]/, /either existingBucket/],
  ],
  [
    "existingBucket together with accessLogsBucket",
    (s) => ({
      existingBucket: s3.Bucket.fromBucketName(s, "B", "acme-reports"),
      accessLogsBucket: s3.Bucket.fromBucketName(s, "L", "acme-logs"),
    }),
    [/accessLogsBucket/, /not both/],
  ],
  [
    "existingEventBus together with eventBusProps",
    (s) => ({ existingEventBus: events.EventBus.fromEventBusName(s, "E", "e"), eventBusProps: {} }),
    [/eventBusProps/, /either existingEventBus/],
  ],
  ["an empty productArns list", () => ({ productArns: [] }), [/productArns \[\]/, /at least one ProductArn/]],
  [
    "a product ARN that is not one",
    () => ({ productArns: ["arn:aws:s3:::bucket"] }),
    [/productArns "arn:aws:s3:::bucket"/, /product\/COMPANY\/PRODUCT/],
  ],
  [
    "a product ARN in a Region no target allows",
    () => ({ productArns: [`arn:aws:securityhub:eu-west-1:${ACCOUNT}:product/${ACCOUNT}/default`] }),
    [/productArns ".*eu-west-1.*"/, /Region eu-west-1 is not in any target's regions \(us-east-1\)/],
  ],
  ["an empty companyName", () => ({ companyName: " " }), [/companyName " "/, /non-empty name/]],
  ["an empty targets list", () => ({ targets: [] }), [/targets \[\]/, /at least one \{accountId, regions\}/]],
  [
    "a target account id that is not 12 digits",
    () => ({ targets: [{ accountId: "1234", regions: ["us-east-1"] }] }),
    [/targets\[0\]\.accountId "1234"/, /12-digit/],
  ],
  [
    "the same target account twice",
    () => ({
      targets: [
        { accountId: ACCOUNT, regions: ["us-east-1"] },
        { accountId: ACCOUNT, regions: ["eu-west-1"] },
      ],
    }),
    [/targets\[1\]\.accountId "111122223333"/, /list each account once/],
  ],
  [
    "a target without Regions",
    () => ({ targets: [{ accountId: ACCOUNT, regions: [] }] }),
    [/targets\[0\]\.regions \[\]/, /at least one Region/],
  ],
  [
    "a target Region that is not one",
    () => ({ targets: [{ accountId: ACCOUNT, regions: ["useast1"] }] }),
    [/targets\[0\]\.regions "useast1"/, /Region name such as us-east-1/],
  ],
  [
    "a target role that is not a role ARN",
    () => ({ targets: [{ accountId: ACCOUNT, regions: ["us-east-1"], roleArn: "Importer" }] }),
    [/targets\[0\]\.roleArn "Importer"/, /IAM role ARN/],
  ],
  [
    "a target role in another account",
    () => ({
      targets: [
        { accountId: ACCOUNT, regions: ["us-east-1"], roleArn: "arn:aws:iam::444455556666:role/Importer" },
      ],
    }),
    [/targets\[0\]\.roleArn/, /must be in the target account 111122223333, not 444455556666/],
  ],
  [
    "a custom parser named like a built-in format",
    () => ({ customParsers: [{ name: "trivy", entry: "lambdas/config/names.ts" }] }),
    [/customParsers\[0\]\.name "trivy"/, /not a built-in format/],
  ],
  [
    "a custom parser whose module does not exist",
    () => ({ customParsers: [{ name: "acme", entry: "parsers/missing.ts" }] }),
    [/customParsers\[0\]\.entry "parsers\/missing.ts"/, /no file at/],
  ],
  [
    "an unknown format",
    () => ({ formats: ["nessus"] }),
    [/formats "nessus"/, /add a customParsers entry named "nessus"/],
  ],
  ["no formats", () => ({ formats: [] }), [/formats \[\]/, /accept at least one/]],
  [
    "a refresh window beyond Security Hub's retention",
    () => ({ refreshWindow: Duration.days(90) }),
    [/refreshWindow "90 days"/, /between 1 and 89 days/],
  ],
  ["a zero import rate", () => ({ importRatePerSecond: 0 }), [/importRatePerSecond 0/, /positive number/]],
  [
    "a burst below the rate",
    () => ({ importRatePerSecond: 10, importBurst: 5 }),
    [/importBurst 5/, /at least importRatePerSecond \(10\)/],
  ],
  [
    "an aws.* event source",
    () => ({ eventSource: "aws.securityhub" }),
    [/eventSource "aws.securityhub"/, /reserves "aws\.\*"/],
  ],
  ["a zero maxReceiveCount", () => ({ maxReceiveCount: 0 }), [/maxReceiveCount 0/, /between 1 and 1000/]],
  [
    "a batch size above Lambda's limit",
    () => ({ batchSize: 20_000 }),
    [/batchSize 20000/, /between 1 and 10000/],
  ],
  [
    "a batch size above 10 without a window",
    () => ({ batchSize: 50, maxBatchingWindow: Duration.seconds(0) }),
    [/maxBatchingWindow "0 seconds"/, /batchSize above 10 needs a batching window/],
  ],
  [
    "a batching window above 5 minutes",
    () => ({ maxBatchingWindow: Duration.minutes(6) }),
    [/maxBatchingWindow "6 minutes"/, /at most 300 seconds/],
  ],
  ["a maximum concurrency of 1", () => ({ maxConcurrency: 1 }), [/maxConcurrency 1/, /between 2 and 1000/]],
  [
    "a report prefix without a slash",
    () => ({ reportPrefix: "reports" }),
    [/reportPrefix "reports"/, /ending in "\/"/],
  ],
  [
    "a report expiration under a day",
    () => ({ reportExpiration: Duration.hours(2) }),
    [/reportExpiration "2 hours"/, /whole number of days/],
  ],
  [
    "an ingest timeout above 15 minutes",
    () => ({ ingestTimeout: Duration.minutes(20) }),
    [/ingestTimeout "20 minutes"/, /15 minutes/],
  ],
  [
    "a visibility timeout under 6 × the function timeout",
    () => ({ ingestTimeout: Duration.minutes(1), queueProps: { visibilityTimeout: Duration.minutes(2) } }),
    [/queueProps\.visibilityTimeout "2 minutes"/, /at least 6 × ingestTimeout = 360 seconds/],
  ],
  [
    "a queue-age alarm under a minute",
    () => ({ maxQueueAge: Duration.seconds(10) }),
    [/maxQueueAge "10 seconds"/, /at least 1 minute/],
  ],
];

describe("FindingPipeline rejects invalid props at construction", () => {
  for (const [name, propsFor, patterns] of CASES) {
    it(`rejects ${name}, naming the prop, the value and the fix`, () => {
      const stack = new Stack(testApp(), "Invalid", { env: { account: ACCOUNT, region: "us-east-1" } });
      assert.throws(
        () => new FindingPipeline(stack, "Pipeline", propsFor(stack)),
        (error: unknown) => {
          assert.ok(error instanceof ConfigurationError, `ConfigurationError, got ${String(error)}`);
          assert.match(error.message, /^FindingPipeline: invalid /);
          for (const pattern of patterns) assert.match(error.message, pattern);
          return true;
        },
      );
    });
  }
});
