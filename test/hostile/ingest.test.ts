/**
 * Hostile SQS message bodies and S3 objects through the real ingest handler, configured from the
 * environment as in Lambda, against the handler tests' local stack (DynamoDB Local for shadow and
 * limiter, `shadowhub serve` for Security Hub, moto_server for S3 and EventBridge). Bad records are
 * reported in `batchItemFailures` with an error naming the source, field and rule; the good records
 * of the same batch land in Security Hub. The 100 MB S3 object runs in a child process.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { GetFindingsCommand, type SecurityHubClient } from "@aws-sdk/client-securityhub";
import type { SQSRecord } from "aws-lambda";
import { createIngestHandler, type IngestHandler } from "../../lambdas/handlers/ingest.ts";
import type { Observability } from "../../lambdas/handlers/observability.ts";
import { envelope, s3NotificationBody, sqsEvent, sqsRecord } from "../helpers/handler-factories.ts";
import { type HandlerEnvironment, startHandlerEnvironment } from "../integration/handlers/environment.ts";
import {
  ACCOUNT,
  asffFinding,
  assertPrototypesUntouched,
  deepArray,
  deepObject,
  MB,
  POLLUTION_KEYS,
  pollutingMembers,
  prototypeSnapshot,
  runChild,
  tempDir,
  withInvalidUtf8,
  writeLargeTrivyReport,
} from "./helpers.ts";

interface Logged {
  readonly message: string;
  readonly messageId: string;
  readonly error: string;
  readonly location?: { source?: string; field?: string; rule?: string };
}

/** Keeps every error and warning the handler logs, with the message id it names. */
function recorder(): Observability & { logged: Logged[] } {
  const logged: Logged[] = [];
  const keep = (message: string, extra?: Record<string, unknown>) =>
    void logged.push({
      message,
      messageId: String(extra?.messageId ?? ""),
      error: String(extra?.error ?? ""),
      ...(extra?.location === undefined ? {} : { location: extra.location as Logged["location"] }),
    });
  return {
    logged,
    logger: { info: () => {}, warn: keep, error: keep },
    metrics: { count: () => {} },
    flush() {},
  };
}

/** An inline ASFF report message (the envelope of docs/deploy.md). */
const inline = (...ids: string[]) => envelope({ format: "asff", report: ids.map((id) => asffFinding(id)) });

describe("hostile SQS messages and S3 objects through the ingest handler", () => {
  let world: HandlerEnvironment;
  let hub: SecurityHubClient;
  let ingest: IngestHandler;
  let observed: ReturnType<typeof recorder>;
  let prototypes: string[][];
  const temp = tempDir("ingest");

  before(async () => {
    prototypes = prototypeSnapshot();
    world = await startHandlerEnvironment("hostile");
    hub = world.serve.client({ accessKeyId: ACCOUNT });
    observed = recorder();
    ingest = createIngestHandler(process.env, { observability: observed });
  });
  after(async () => {
    await ingest?.close();
    await world?.stop();
    temp.remove();
  });

  async function idsWithPrefix(prefix: string, allPages = false): Promise<string[]> {
    const ids: string[] = [];
    let token: string | undefined;
    do {
      const out = await hub.send(
        new GetFindingsCommand({
          Filters: { Id: [{ Value: prefix, Comparison: "PREFIX" }] },
          MaxResults: 100,
          ...(token === undefined ? {} : { NextToken: token }),
        }),
      );
      ids.push(...(out.Findings ?? []).map((f) => f.Id ?? ""));
      token = allPages ? out.NextToken : undefined;
    } while (token);
    return ids.sort();
  }

  async function putObject(key: string, body: string | Buffer): Promise<void> {
    await world.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: key, Body: body }));
  }

  /** Runs one batch; asserts exactly `bad` failed, each logged with an InputError location. */
  async function runBatch(good: SQSRecord[], bad: Record<string, { record: SQSRecord; rule: RegExp }>) {
    const records = [...good];
    // Bad records between the good ones, so a failure cannot take its neighbours with it.
    Object.values(bad).forEach(({ record }, i) => {
      records.splice(Math.min(2 * i + 1, records.length), 0, record);
    });
    const before = observed.logged.length;
    const response = await ingest(sqsEvent(...records));
    const failed = response.batchItemFailures.map((f) => f.itemIdentifier).sort();
    assert.deepEqual(
      failed,
      Object.values(bad)
        .map(({ record }) => record.messageId)
        .sort(),
    );
    const logged = observed.logged.slice(before);
    for (const [name, { record, rule }] of Object.entries(bad)) {
      const entry = logged.find((l) => l.messageId === record.messageId);
      assert.ok(entry, `${name}: the failure is logged`);
      assert.equal(
        entry.message.startsWith("poison message"),
        true,
        `${name} is poison, not retried forever: ${entry.error}`,
      );
      assert.match(
        `${entry.location?.field ?? ""} [${entry.location?.rule ?? ""}] ${entry.error}`,
        rule,
        name,
      );
      assert.ok(entry.error.length < 2_000, `${name}: the error text stays short (${entry.error.length})`);
    }
  }

  it("SQS bodies: malformed, truncated, wrong types, 10 MB strings, 100k-deep nesting and __proto__ keys fail alone; the good messages land", async () => {
    const good = [
      sqsRecord({ body: inline("sqs-good-1") }),
      sqsRecord({ body: inline("sqs-good-2", "sqs-good-3") }),
    ];
    // __proto__/constructor/prototype inside the findings: stripped or ignored, the findings import.
    const proto = inline("sqs-proto").replace('{"SchemaVersion"', `{${pollutingMembers()}, "SchemaVersion"`);
    good.push(sqsRecord({ body: proto }));
    const truncated = inline("sqs-never");
    await runBatch(good, {
      malformed: { record: sqsRecord({ body: "{ this is not json" }), rule: /body \[valid JSON\]/ },
      truncated: {
        record: sqsRecord({ body: truncated.slice(0, truncated.length - 40) }),
        rule: /body \[valid JSON\]/,
      },
      "array body": { record: sqsRecord({ body: "[1,2,3]" }), rule: /body \[JSON object\]/ },
      "format number": {
        record: sqsRecord({ body: '{"report": [], "format": 5}' }),
        rule: /format \[non-empty string/,
      },
      "report number": {
        record: sqsRecord({ body: '{"report": 42}' }),
        rule: /\[known format\].*a JSON number/,
      },
      "10 MB string report": {
        record: sqsRecord({ body: JSON.stringify({ report: "x".repeat(10 * MB) }) }),
        rule: /\[valid JSON\]/,
      },
      "10 MB key": {
        record: sqsRecord({
          body: JSON.stringify({ s3: { bucket: world.bucket, key: "k".repeat(10 * MB) } }),
        }),
        rule: /key \[non-empty string of at most 1024 characters\].*… \(10485762 characters\)/,
      },
      "1M-item report": {
        record: sqsRecord({ body: JSON.stringify({ format: "asff", report: new Array(1_000_000).fill(7) }) }),
        rule: /.+/,
      },
      "deep body": { record: sqsRecord({ body: deepArray() }), rule: /body \[JSON object\]/ },
      "deep report value": {
        record: sqsRecord({ body: `{"report": ${deepObject()}}` }),
        rule: /report \[serialisable JSON report\]/,
      },
      "deep report text": {
        record: sqsRecord({ body: JSON.stringify({ report: deepArray() }) }),
        rule: /\[maxDepth 64\]/,
      },
      "deep s3 member": {
        record: sqsRecord({ body: `{"s3": ${deepArray()}}` }),
        rule: /s3 \[object \{bucket, key\}\].*deeply nested/,
      },
      "__proto__ envelope key": {
        record: sqsRecord({ body: `{${pollutingMembers()}, "report": []}` }),
        rule: /__proto__ \[known envelope field\]/,
      },
      "bad key encoding": {
        record: sqsRecord({
          body: s3NotificationBody(world.bucket, "reports/x.json").replace(
            "reports/x.json",
            "reports/%E0%A4%A",
          ),
        }),
        rule: /Records\[0\]\.s3\.object\.key \[URL-encoded key\]/,
      },
    });
    assert.deepEqual(await idsWithPrefix("sqs-"), ["sqs-good-1", "sqs-good-2", "sqs-good-3", "sqs-proto"]);
    assertPrototypesUntouched(prototypes, POLLUTION_KEYS);
  });

  it("S3 objects: malformed, truncated, invalid UTF-8, deep and empty reports fail alone; the good objects land", async () => {
    const goodReport = JSON.stringify([asffFinding("s3-good-1"), asffFinding("s3-good-2")]);
    await putObject("uploads/good.json", goodReport);
    await putObject("reports/scope-a/good.json", JSON.stringify([asffFinding("s3-good-3")]));
    await putObject("uploads/malformed.json", "{ not json");
    await putObject("uploads/truncated.json", goodReport.slice(0, 200));
    await putObject("uploads/bad-utf8.json", withInvalidUtf8(goodReport, "Finding s3-good-1"));
    await putObject("uploads/deep.json", deepArray());
    await putObject("uploads/empty.json", "");
    await putObject(
      "uploads/proto.json",
      JSON.stringify([asffFinding("s3-proto")]).replace(
        '{"SchemaVersion"',
        `{${pollutingMembers()}, "SchemaVersion"`,
      ),
    );
    const pointer = (key: string) => sqsRecord({ body: envelope({ s3: { bucket: world.bucket, key } }) });
    await runBatch(
      [
        pointer("uploads/good.json"),
        sqsRecord({ body: s3NotificationBody(world.bucket, "reports/scope-a/good.json") }),
        pointer("uploads/proto.json"),
      ],
      {
        malformed: {
          record: pointer("uploads/malformed.json"),
          rule: /\[valid JSON\] s3:\/\/.*malformed\.json/,
        },
        truncated: { record: pointer("uploads/truncated.json"), rule: /\[valid JSON\].*truncated/ },
        "invalid UTF-8": {
          record: pointer("uploads/bad-utf8.json"),
          rule: /\[valid UTF-8\] s3:\/\/.*bad-utf8\.json/,
        },
        deep: { record: pointer("uploads/deep.json"), rule: /\[maxDepth 64\]/ },
        empty: { record: pointer("uploads/empty.json"), rule: /\[valid JSON\].*empty/ },
        missing: { record: pointer("uploads/none.json"), rule: /\[object exists\]/ },
      },
    );
    assert.deepEqual(await idsWithPrefix("s3-"), ["s3-good-1", "s3-good-2", "s3-good-3", "s3-proto"]);
    assertPrototypesUntouched(prototypes, POLLUTION_KEYS);
  });

  it("an S3 object of 100 MB is imported with peak RSS under 6× its size (child process)", async (t) => {
    const file = join(temp.dir, "big.json");
    const bytes = await writeLargeTrivyReport(file, 100 * MB, 200);
    // A Buffer, not a stream: the SDK's streamed upload (aws-chunked) never completes against moto.
    await putObject("uploads/big.json", readFileSync(file));
    const { memory, result } = await runChild<{ failed: number[]; errors: string[] }>(
      "ingest",
      {
        bodies: [
          envelope({ s3: { bucket: world.bucket, key: "uploads/big.json" }, format: "trivy" }),
          "{bad",
        ],
      },
      world.env,
    );
    assert.deepEqual(result.failed, [1], `only the bad record fails: ${result.errors.join("\n")}`);
    assert.equal((await idsWithPrefix("trivy/CVE-2099-", true)).length, 200, "all 200 findings landed");
    const grown = memory.maxRss - memory.rssBefore;
    assert.ok(
      grown < 6 * bytes,
      `peak RSS grew ${(grown / MB).toFixed(0)} MB for ${(bytes / MB).toFixed(0)} MB`,
    );
    t.diagnostic(
      `object ${(bytes / MB).toFixed(0)} MB; ingest RSS ${(memory.rssBefore / MB).toFixed(0)} MB → peak ${(memory.maxRss / MB).toFixed(0)} MB`,
    );
  });
});
