/**
 * The ingest queue's message formats, parsed and validated (no I/O):
 *
 * 1. A JSON envelope (docs/deploy.md):
 *    `{ "format"?, "scope"?, "report" | "s3": { "bucket", "key" }, "account"?, "region"?, "productArn"? }`
 *    — the report inline (a JSON value, or a string holding the report text) or in S3.
 * 2. An S3 event notification (`{ "Records": [{ "eventSource": "aws:s3", "s3": {...} }] }`) sent by
 *    the landing bucket: the key `PREFIX<scope>/<file>` carries the scope; object metadata
 *    (`x-amz-meta-format`, `-scope`, `-account`, `-region`, `-product-arn`) may refine it after
 *    the object is read.
 * 3. S3's `s3:TestEvent`, sent once when notifications are configured: nothing to do.
 *
 * Every problem is an `InputError` naming the message id, the field and the rule.
 */
import { InputError } from "../core/errors.ts";

/** Where a report's bytes are. */
export type ReportLocation =
  | { readonly kind: "inline"; readonly content: string }
  | { readonly kind: "s3"; readonly bucket: string; readonly key: string };

/** One report to import, with the settings the message gave (unset ones take the defaults). */
export interface ReportRequest {
  /** For error messages and `source`: `s3://bucket/key` or `sqs:<messageId>`. */
  readonly source: string;
  readonly location: ReportLocation;
  /** `auto` when absent. */
  readonly format?: string;
  readonly scope?: string;
  readonly accountId?: string;
  readonly region?: string;
  readonly productArn?: string;
  /** True when the settings came from an S3 notification: object metadata may still refine them. */
  readonly fromNotification: boolean;
}

/** Envelope keys; anything else is refused so a typo (`scopes`) does not silently import unscoped. */
const ENVELOPE_KEYS = new Set(["format", "scope", "report", "s3", "account", "region", "productArn"]);

function fail(messageId: string, field: string, rule: string, message: string): never {
  throw new InputError(`message ${messageId}: ${message}`, { source: `sqs:${messageId}`, field, rule });
}

/**
 * A short, printable rendering of a value from the message for an error text: bounded in length
 * (a 10 MB string must not become a 10 MB log line) and safe for values nested too deeply to
 * serialise (`JSON.stringify` would throw a RangeError).
 */
function preview(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return Array.isArray(value) ? "a deeply nested array" : "a deeply nested object";
  }
  if (text === undefined) return String(value);
  return text.length > 120 ? `${text.slice(0, 120)}… (${text.length} characters)` : text;
}

function optionalString(
  value: Record<string, unknown>,
  field: string,
  messageId: string,
  maxLength = 512,
): string | undefined {
  const v = value[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string" || v.trim() === "" || v.length > maxLength) {
    fail(
      messageId,
      field,
      `non-empty string of at most ${maxLength} characters`,
      `${field} must be a non-empty string, got ${preview(v)}`,
    );
  }
  return v.trim();
}

/** Decodes an S3 event key (URL-encoded, with `+` for spaces). */
export function decodeS3Key(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, " "));
}

/**
 * The scope a landing-bucket key carries: the path between the prefix and the file name
 * (`reports/registry/app@sha256:…/trivy.json` → `registry/app@sha256:…`); none for a file
 * directly under the prefix.
 */
export function scopeFromKey(key: string, prefix: string): string | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const rest = key.slice(prefix.length);
  const slash = rest.lastIndexOf("/");
  if (slash <= 0) return undefined;
  return rest.slice(0, slash);
}

function parseEnvelope(body: Record<string, unknown>, messageId: string): ReportRequest {
  for (const key of Object.keys(body)) {
    if (!ENVELOPE_KEYS.has(key)) {
      fail(
        messageId,
        key,
        "known envelope field",
        `unknown field "${key}"; the envelope has ${[...ENVELOPE_KEYS].join(", ")}`,
      );
    }
  }
  const hasReport = body.report !== undefined && body.report !== null;
  const hasS3 = body.s3 !== undefined && body.s3 !== null;
  if (hasReport === hasS3) {
    fail(
      messageId,
      "report",
      "exactly one of report, s3",
      'give the report inline in "report" or its location in "s3": {"bucket","key"}, exactly one of them',
    );
  }
  let location: ReportLocation;
  let source: string;
  if (hasS3) {
    const s3 = body.s3 as Record<string, unknown>;
    if (typeof s3 !== "object" || Array.isArray(s3))
      fail(messageId, "s3", "object {bucket, key}", `s3 must be {"bucket","key"}, got ${preview(s3)}`);
    const bucket = optionalString(s3, "bucket", messageId, 63);
    const key = optionalString(s3, "key", messageId, 1024);
    if (bucket === undefined) fail(messageId, "s3.bucket", "required", "s3.bucket is missing");
    if (key === undefined) fail(messageId, "s3.key", "required", "s3.key is missing");
    location = { kind: "s3", bucket, key };
    source = `s3://${bucket}/${key}`;
  } else {
    const report = body.report;
    let content: string;
    try {
      content = typeof report === "string" ? report : JSON.stringify(report);
    } catch (error) {
      // JSON.stringify recurses: a report nested thousands of levels deep overflows the stack.
      fail(
        messageId,
        "report",
        "serialisable JSON report",
        `the inline report cannot be read (${(error as Error).message}); it is nested far deeper than any scanner report`,
      );
    }
    location = { kind: "inline", content };
    source = `sqs:${messageId}`;
  }
  const format = optionalString(body, "format", messageId, 64);
  const scope = optionalString(body, "scope", messageId, 1024);
  const accountId = optionalString(body, "account", messageId, 12);
  const region = optionalString(body, "region", messageId, 32);
  const productArn = optionalString(body, "productArn", messageId, 512);
  return {
    source,
    location,
    fromNotification: false,
    ...(format === undefined ? {} : { format: format.toLowerCase() }),
    ...(scope === undefined ? {} : { scope }),
    ...(accountId === undefined ? {} : { accountId }),
    ...(region === undefined ? {} : { region }),
    ...(productArn === undefined ? {} : { productArn }),
  };
}

function parseNotification(records: unknown[], messageId: string, reportPrefix: string): ReportRequest[] {
  const requests: ReportRequest[] = [];
  records.forEach((record, index) => {
    const r = record as {
      eventSource?: unknown;
      eventName?: unknown;
      s3?: { bucket?: { name?: unknown }; object?: { key?: unknown } };
    };
    const field = `Records[${index}]`;
    if (r?.eventSource !== "aws:s3") {
      fail(
        messageId,
        `${field}.eventSource`,
        "aws:s3",
        `${field} is not an S3 event (eventSource ${preview(r?.eventSource)})`,
      );
    }
    if (typeof r.eventName === "string" && !r.eventName.startsWith("ObjectCreated:")) return; // not a new report
    const bucket = r.s3?.bucket?.name;
    const rawKey = r.s3?.object?.key;
    if (typeof bucket !== "string" || typeof rawKey !== "string") {
      fail(
        messageId,
        `${field}.s3`,
        "bucket.name and object.key",
        `${field} has no bucket name or object key`,
      );
    }
    let key: string;
    try {
      key = decodeS3Key(rawKey);
    } catch {
      fail(
        messageId,
        `${field}.s3.object.key`,
        "URL-encoded key",
        `${field}.s3.object.key ${preview(rawKey)} is not a valid URL-encoded S3 key`,
      );
    }
    const scope = scopeFromKey(key, reportPrefix);
    requests.push({
      source: `s3://${bucket}/${key}`,
      location: { kind: "s3", bucket, key },
      fromNotification: true,
      ...(scope === undefined ? {} : { scope }),
    });
  });
  return requests;
}

/**
 * Parses one SQS message body into the reports it asks to import (none for S3's test event).
 *
 * @throws InputError for a body that is not JSON, not a known format, or has an invalid field.
 */
export function parseMessage(body: string, messageId: string, reportPrefix: string): ReportRequest[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    fail(
      messageId,
      "body",
      "valid JSON",
      `the body is not JSON (${(error as Error).message}); send the envelope documented in docs/deploy.md`,
    );
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    fail(
      messageId,
      "body",
      "JSON object",
      `the body must be a JSON object, got ${Array.isArray(parsed) ? "an array" : typeof parsed}`,
    );
  }
  const object = parsed as Record<string, unknown>;
  if (object.Event === "s3:TestEvent") return [];
  if (Array.isArray(object.Records)) return parseNotification(object.Records, messageId, reportPrefix);
  return [parseEnvelope(object, messageId)];
}
