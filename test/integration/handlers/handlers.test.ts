/**
 * The real ingest and customer-edits handler code, configured through environment variables as in
 * Lambda, with SQS events shaped like Lambda's, against DynamoDB Local (shadow + limiter),
 * `shadowhub serve` (Security Hub) and moto_server (S3 and EventBridge).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import {
  BatchUpdateFindingsCommand,
  GetFindingsCommand,
  type SecurityHubClient,
} from "@aws-sdk/client-securityhub";
import { DynamoDbShadowStore } from "../../../lambdas/adapters/dynamodb/dynamodb-shadow-store.ts";
import { ConfigurationError } from "../../../lambdas/core/errors.ts";
import { findingKeyString } from "../../../lambdas/core/hub/contracts.ts";
import { createCustomerEditsHandler } from "../../../lambdas/handlers/customer-edits.ts";
import { createIngestHandler, type IngestHandler } from "../../../lambdas/handlers/ingest.ts";
import type { Observability } from "../../../lambdas/handlers/observability.ts";
import { dynamoDbLocalClient } from "../../helpers/dynamodb-local.ts";
import { receiveEvents } from "../../helpers/eventbridge-queue.ts";
import {
  ACCOUNT,
  asffFinding,
  envelope,
  PRODUCT_ARN,
  REGION,
  s3NotificationBody,
  sqsEvent,
  sqsRecord,
} from "../../helpers/handler-factories.ts";
import { type HandlerEnvironment, startHandlerEnvironment } from "./environment.ts";

/** Records what the handler logs and counts. */
function recorder(): Observability & { counts: Map<string, number>; errors: string[] } {
  const counts = new Map<string, number>();
  const errors: string[] = [];
  return {
    counts,
    errors,
    logger: { info: () => {}, warn: () => {}, error: (message) => void errors.push(message) },
    metrics: {
      count(name, value, dimensions) {
        const key = dimensions === undefined ? name : `${name}{${Object.values(dimensions).join(",")}}`;
        counts.set(key, (counts.get(key) ?? 0) + value);
      },
    },
    flush() {},
  };
}

const key = (id: string) => ({ accountId: ACCOUNT, region: REGION, productArn: PRODUCT_ARN, id });

describe("Lambda handlers against DynamoDB Local, serve and moto", () => {
  let world: HandlerEnvironment;
  let hub: SecurityHubClient;
  let store: DynamoDbShadowStore;
  let ingest: IngestHandler;
  let observed: ReturnType<typeof recorder>;

  before(async () => {
    world = await startHandlerEnvironment("handlers");
    hub = world.serve.client({ accessKeyId: ACCOUNT });
    store = new DynamoDbShadowStore({
      client: dynamoDbLocalClient(world.ddb.endpoint),
      tableName: world.tableName,
    });
    observed = recorder();
    ingest = createIngestHandler(process.env, { observability: observed });
  });
  after(async () => {
    await ingest?.close();
    await store?.close();
    await world?.stop();
  });

  async function hubFinding(id: string) {
    const out = await hub.send(
      new GetFindingsCommand({ Filters: { Id: [{ Value: id, Comparison: "EQUALS" }] } }),
    );
    return out.Findings ?? [];
  }

  describe("ingest", () => {
    it("reports only the poison message in batchItemFailures and imports the good ones around it", async () => {
      const good1 = sqsRecord({ body: envelope({ format: "asff", report: [asffFinding("poison-a")] }) });
      const poison = sqsRecord({ body: "{ this is not json" });
      const good2 = sqsRecord({ body: envelope({ report: [asffFinding("poison-b")] }) });
      const response = await ingest(sqsEvent(good1, poison, good2));
      assert.deepEqual(response.batchItemFailures, [{ itemIdentifier: poison.messageId }]);
      assert.equal((await hubFinding("poison-a")).length, 1);
      assert.equal((await hubFinding("poison-b")).length, 1);
      assert.equal(observed.counts.get("poisonMessages"), 1);
      assert.equal(observed.counts.get("failed{PoisonMessage}"), 1);
      assert.ok(observed.errors.some((e) => e.startsWith("poison message")));
    });

    it("treats an envelope naming an account outside the targets as poison, naming the field", async () => {
      const record = sqsRecord({ body: envelope({ report: [asffFinding("x")], account: "999999999999" }) });
      const errors = observed.errors.length;
      const response = await ingest(sqsEvent(record));
      assert.deepEqual(response.batchItemFailures, [{ itemIdentifier: record.messageId }]);
      assert.equal(observed.errors.length, errors + 1);
      assert.equal((await hubFinding("x")).length, 0);
    });

    it("imports a report the message points to in S3, with the envelope's scope", async () => {
      const reportKey = "uploads/pointer.json";
      await world.s3.send(
        new PutObjectCommand({
          Bucket: world.bucket,
          Key: reportKey,
          Body: JSON.stringify([asffFinding("s3-pointer")]),
        }),
      );
      const response = await ingest(
        sqsEvent(
          sqsRecord({
            body: envelope({ s3: { bucket: world.bucket, key: reportKey }, scope: "image@sha256:1" }),
          }),
        ),
      );
      assert.deepEqual(response.batchItemFailures, []);
      const [stored] = await hubFinding("s3-pointer");
      assert.equal(stored?.Title, "Finding s3-pointer");
      const shadow = (await store.getMany([key("s3-pointer")])).get(findingKeyString(key("s3-pointer")));
      assert.equal(shadow?.scope, "image@sha256:1");
    });

    it("imports a report announced by an S3 notification, taking the scope from the key and the format from metadata", async () => {
      const reportKey = "reports/repo@main trivy/scan.json";
      await world.s3.send(
        new PutObjectCommand({
          Bucket: world.bucket,
          Key: reportKey,
          Body: JSON.stringify([asffFinding("s3-notified")]),
          Metadata: { format: "asff" },
        }),
      );
      const response = await ingest(
        sqsEvent(sqsRecord({ body: s3NotificationBody(world.bucket, reportKey) })),
      );
      assert.deepEqual(response.batchItemFailures, []);
      const shadow = (await store.getMany([key("s3-notified")])).get(findingKeyString(key("s3-notified")));
      assert.equal(shadow?.scope, "repo@main trivy");
    });

    it("treats a pointer to a missing S3 object as poison", async () => {
      const record = sqsRecord({
        body: envelope({ s3: { bucket: world.bucket, key: "uploads/missing.json" } }),
      });
      const response = await ingest(sqsEvent(record));
      assert.deepEqual(response.batchItemFailures, [{ itemIdentifier: record.messageId }]);
    });

    it("has no duplicate effect when the same message is delivered twice", async () => {
      const body = envelope({ report: [asffFinding("dup-1"), asffFinding("dup-2")] });
      const first = sqsRecord({ body, messageId: "dup-message" });
      const again = sqsRecord({ body, messageId: "dup-message", receiveCount: 2 });
      const callsBefore = observed.counts.get("apiCalls") ?? 0;
      const createdBefore = observed.counts.get("created") ?? 0;
      const eventsBefore = world.hubEvents.length;
      assert.deepEqual((await ingest(sqsEvent(first))).batchItemFailures, []);
      assert.deepEqual((await ingest(sqsEvent(again))).batchItemFailures, []);
      assert.equal((observed.counts.get("created") ?? 0) - createdBefore, 2);
      assert.equal((observed.counts.get("apiCalls") ?? 0) - callsBefore, 1, "the redelivery makes no call");
      assert.equal(world.hubEvents.length - eventsBefore, 2, "Security Hub saw each finding once");
      assert.equal((await hubFinding("dup-1")).length, 1);
    });

    it("never lets an older report overwrite a newer one delivered before it", async () => {
      const newer = sqsRecord({
        body: envelope({
          report: [asffFinding("ooo", { updatedAt: "2026-11-20T00:00:00.000Z", title: "newer" })],
        }),
      });
      const older = sqsRecord({
        body: envelope({
          report: [asffFinding("ooo", { updatedAt: "2026-11-10T00:00:00.000Z", title: "older" })],
        }),
      });
      const staleBefore = observed.counts.get("stale") ?? 0;
      assert.deepEqual((await ingest(sqsEvent(newer, older))).batchItemFailures, []);
      const [stored] = await hubFinding("ooo");
      assert.equal(stored?.Title, "newer");
      assert.equal((observed.counts.get("stale") ?? 0) - staleBefore, 1);
      const shadow = (await store.getMany([key("ooo")])).get(findingKeyString(key("ooo")));
      assert.equal(shadow?.updatedAt, "2026-11-20T00:00:00.000Z");
    });

    it("publishes the pipeline's own events to the configured bus (moto) with its own source", async () => {
      await ingest(sqsEvent(sqsRecord({ body: envelope({ report: [asffFinding("evented")] }) })));
      type Published = { source?: string; "detail-type"?: string; detail?: { findings?: { Id?: string }[] } };
      const isEvented = (e: Published) => e.detail?.findings?.[0]?.Id === "evented";
      const events = await receiveEvents<Published>(
        world.sqs,
        world.eventsQueueUrl,
        (r) => r.some(isEvented),
        10,
      );
      const event = events.find(isEvented);
      assert.equal(event?.source, "shadowhub");
      assert.equal(event?.["detail-type"], "Security Hub Findings - Imported");
    });

    it("fails the whole invocation with every configuration problem listed when the environment is incomplete", async () => {
      const broken = createIngestHandler(
        { AWS_REGION: REGION, SHADOWHUB_TARGETS: "not json" },
        { observability: recorder() },
      );
      await assert.rejects(broken(sqsEvent(sqsRecord({ body: "{}" }))), (error: unknown) => {
        assert.ok(error instanceof ConfigurationError);
        for (const name of [
          "SHADOWHUB_TABLE_NAME",
          "SHADOWHUB_EVENT_BUS_NAME",
          "SHADOWHUB_PRODUCT_ARNS",
          "SHADOWHUB_TARGETS",
        ]) {
          assert.match(error.message, new RegExp(name));
        }
        return true;
      });
      await broken.close();
    });
  });

  describe("customer edits", () => {
    it("records in the shadow the attributes a customer changed with BatchUpdateFindings, from Security Hub's event", async () => {
      await ingest(
        sqsEvent(sqsRecord({ body: envelope({ report: [asffFinding("edited", { severity: "LOW" })] }) })),
      );
      const eventsBefore = world.hubEvents.length;
      await hub.send(
        new BatchUpdateFindingsCommand({
          FindingIdentifiers: [{ Id: "edited", ProductArn: PRODUCT_ARN }],
          Severity: { Label: "CRITICAL" },
          Workflow: { Status: "NOTIFIED" },
        }),
      );
      const bufEvent = world.hubEvents.slice(eventsBefore).find((e) => e.detail.findings[0]?.Id === "edited");
      assert.ok(bufEvent, "serve emitted the BatchUpdateFindings event");
      assert.equal(bufEvent.source, "aws.securityhub");

      const edits = createCustomerEditsHandler(process.env, { observability: recorder() });
      try {
        const result = await edits(bufEvent);
        assert.deepEqual(
          result.marked.map((m) => [m.key.id, m.attributes]),
          [["edited", ["Severity"]]],
        );
        const shadow = (await store.getMany([key("edited")])).get(findingKeyString(key("edited")));
        assert.deepEqual(shadow?.customerTouched, ["Severity"]);

        // The provider's own import event of the same finding changes nothing.
        const importEvent = world.hubEvents
          .slice(0, eventsBefore)
          .find((e) => e.detail.findings[0]?.Id === "edited");
        assert.ok(importEvent);
        assert.deepEqual((await edits(importEvent)).marked, []);
      } finally {
        await edits.close();
      }

      // A later provider update keeps the customer's severity, as Security Hub does.
      await ingest(
        sqsEvent(
          sqsRecord({
            body: envelope({
              report: [
                asffFinding("edited", {
                  severity: "MEDIUM",
                  updatedAt: "2026-11-24T00:00:00.000Z",
                  title: "v2",
                }),
              ],
            }),
          }),
        ),
      );
      const [stored] = await hubFinding("edited");
      assert.equal(stored?.Title, "v2");
      assert.equal(stored?.Severity?.Label, "CRITICAL");
      assert.equal(stored?.FindingProviderFields?.Severity?.Label, "MEDIUM");
    });
  });
});
