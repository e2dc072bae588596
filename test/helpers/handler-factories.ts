/**
 * Typed factories for the handler tests: SQS records and events shaped exactly like the ones
 * Lambda delivers, the ingest envelope, S3 notifications, and ASFF findings in reports.
 */
import type { SQSEvent, SQSRecord } from "aws-lambda";

export const ACCOUNT = "123456789012";
export const REGION = "us-east-1";
export const PRODUCT_ARN = `arn:aws:securityhub:${REGION}:${ACCOUNT}:product/${ACCOUNT}/default`;

let sequence = 0;

/** One SQS record as Lambda's event source mapping delivers it. */
export function sqsRecord(options: { body: string; messageId?: string; receiveCount?: number }): SQSRecord {
  sequence++;
  return {
    messageId: options.messageId ?? `00000000-0000-4000-8000-${String(sequence).padStart(12, "0")}`,
    receiptHandle: `receipt-${sequence}`,
    body: options.body,
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 1),
      SentTimestamp: "1764000000000",
      SenderId: "AIDAEXAMPLE",
      ApproximateFirstReceiveTimestamp: "1764000000001",
    },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: `arn:aws:sqs:${REGION}:${ACCOUNT}:shadowhub-ingest`,
    awsRegion: REGION,
  };
}

/** An SQS event holding `records`. */
export function sqsEvent(...records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

/** An ASFF finding as a scanner exporting ASFF writes it (identity filled in by the pipeline). */
export function asffFinding(
  id: string,
  options: { updatedAt?: string; title?: string; severity?: string; createdAt?: string } = {},
): Record<string, unknown> {
  const updatedAt = options.updatedAt ?? "2026-11-01T00:00:00.000Z";
  return {
    SchemaVersion: "2018-10-08",
    Id: id,
    GeneratorId: "shadowhub-test",
    Types: ["Software and Configuration Checks/Vulnerabilities/CVE"],
    CreatedAt: options.createdAt ?? "2026-10-01T00:00:00.000Z",
    UpdatedAt: updatedAt,
    Severity: { Label: options.severity ?? "HIGH" },
    Title: options.title ?? `Finding ${id}`,
    Description: `Test finding ${id}`,
    Resources: [{ Type: "Other", Id: `resource-${id}` }],
  };
}

/** The ingest envelope (docs/deploy.md) as a message body. */
export function envelope(fields: {
  report?: unknown;
  s3?: { bucket: string; key: string };
  format?: string;
  scope?: string;
  account?: string;
  region?: string;
}): string {
  return JSON.stringify(fields);
}

/** An S3 object-created notification body, as S3 sends it to SQS (key URL-encoded). */
export function s3NotificationBody(bucket: string, key: string, size = 1): string {
  return JSON.stringify({
    Records: [
      {
        eventVersion: "2.1",
        eventSource: "aws:s3",
        awsRegion: REGION,
        eventTime: "2026-11-25T12:00:00.000Z",
        eventName: "ObjectCreated:Put",
        s3: {
          s3SchemaVersion: "1.0",
          bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
          object: { key: encodeURIComponent(key).replace(/%2F/g, "/").replace(/%20/g, "+"), size },
        },
      },
    ],
  });
}
