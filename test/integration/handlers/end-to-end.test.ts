/**
 * The deployed flow end to end on loopback, with the local stand-in for Lambda's event source
 * mapping: a Trivy report uploaded to the landing bucket (moto S3) → S3 notification → ingest
 * queue (moto SQS) → the ingest handler → Security Hub (`shadowhub serve`) → the pipeline's bus
 * (moto EventBridge) → a rule's SQS target, which the test reads back. A poison message on the
 * same queue is redelivered up to maxReceiveCount and then lands in the dead-letter queue.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { PutBucketNotificationConfigurationCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { GetFindingsCommand } from "@aws-sdk/client-securityhub";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import { createIngestHandler, type IngestHandler } from "../../../lambdas/handlers/ingest.ts";
import type { Observability } from "../../../lambdas/handlers/observability.ts";
import { type EventSourceMapping, startEventSourceMapping } from "../../helpers/esm-standin.ts";
import { receiveEvents } from "../../helpers/eventbridge-queue.ts";
import { ACCOUNT, REGION } from "../../helpers/handler-factories.ts";
import { type HandlerEnvironment, startHandlerEnvironment } from "./environment.ts";

const silent: Observability = {
  logger: { info: () => {}, warn: () => {}, error: () => {} },
  metrics: { count: () => {} },
  flush: () => {},
};

describe("report → S3 → SQS → ingest Lambda → Security Hub → EventBridge → SQS target", () => {
  let world: HandlerEnvironment;
  let ingest: IngestHandler;
  let mapping: EventSourceMapping;
  let queueUrl: string;
  let dlqUrl: string;

  async function queueArn(url: string): Promise<string> {
    const { Attributes } = await world.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }),
    );
    return Attributes?.QueueArn ?? "";
  }

  before(async () => {
    world = await startHandlerEnvironment("e2e");
    dlqUrl = (await world.sqs.send(new CreateQueueCommand({ QueueName: "ingest-dlq" }))).QueueUrl ?? "";
    queueUrl =
      (
        await world.sqs.send(
          new CreateQueueCommand({
            QueueName: "ingest",
            Attributes: {
              // Short, so a failed message reappears quickly; the construct uses 6 × the function timeout.
              VisibilityTimeout: "1",
              RedrivePolicy: JSON.stringify({
                deadLetterTargetArn: await queueArn(dlqUrl),
                maxReceiveCount: 2,
              }),
            },
          }),
        )
      ).QueueUrl ?? "";
    await world.s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: world.bucket,
        NotificationConfiguration: {
          QueueConfigurations: [
            {
              QueueArn: await queueArn(queueUrl),
              Events: ["s3:ObjectCreated:*"],
              Filter: { Key: { FilterRules: [{ Name: "prefix", Value: "reports/" }] } },
            },
          ],
        },
      }),
    );
    ingest = createIngestHandler(process.env, { observability: silent });
    mapping = startEventSourceMapping({
      client: world.sqs,
      queueUrl,
      queueArn: await queueArn(queueUrl),
      region: REGION,
      handler: ingest,
    });
  });
  after(async () => {
    await mapping?.stop();
    await ingest?.close();
    await world?.stop();
  });

  it("imports an uploaded Trivy report and delivers one pipeline event per created finding", async () => {
    const report = readFileSync(new URL("../../fixtures/trivy/alpine-310.image.json", import.meta.url));
    await world.s3.send(
      new PutObjectCommand({ Bucket: world.bucket, Key: "reports/alpine@3.10/trivy.json", Body: report }),
    );
    // The first message may be S3's own s3:TestEvent; wait for the report's message.
    await mapping.waitFor((invocations) =>
      invocations.some((i) => i.bodies.some((b) => b.includes("trivy.json"))),
    );
    const failed = mapping.invocations.filter((i) => i.failures.length > 0);
    assert.deepEqual(failed, [], "no record failed");

    const hub = world.serve.client({ accessKeyId: ACCOUNT });
    const found = await hub.send(new GetFindingsCommand({ MaxResults: 100 }));
    const ids = (found.Findings ?? []).map((f) => f.Id ?? "");
    assert.ok(ids.length > 0, "Security Hub holds the findings");
    for (const finding of found.Findings ?? []) assert.equal(finding.AwsAccountId, ACCOUNT);

    const events = await receiveEvents<{ source: string; detail: { findings: { Id: string }[] } }>(
      world.sqs,
      world.eventsQueueUrl,
      (received) => received.length >= ids.length,
    );
    assert.deepEqual(
      events.map((e) => e.detail.findings[0]?.Id).sort(),
      [...ids].sort(),
      "one event per finding reached the bus's SQS target",
    );
    assert.ok(events.every((e) => e.source === "shadowhub"));
  });

  it("redelivers a poison message up to maxReceiveCount, then leaves it in the dead-letter queue", async () => {
    const sent = await world.sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "not json" }),
    );
    await mapping.waitFor(
      (invocations) => invocations.filter((i) => i.failures.includes(sent.MessageId ?? "")).length >= 2,
    );
    let dead: Message[] = [];
    for (let attempt = 0; attempt < 20 && dead.length === 0; attempt++) {
      dead =
        (await world.sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, WaitTimeSeconds: 1 })))
          .Messages ?? [];
    }
    assert.equal(dead[0]?.Body, "not json");
    const deliveries = mapping.invocations.filter((i) => i.messageIds.includes(sent.MessageId ?? "")).length;
    assert.equal(deliveries, 2, "delivered maxReceiveCount times, never after");
  });
});
