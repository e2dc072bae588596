/**
 * "Security Hub Findings - Imported" events: written as JSON lines with the envelope of spec §5.1,
 * and forwarded with PutEvents to `moto_server`'s EventBridge, where a rule routes them to an SQS
 * queue that the test reads back.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { BatchImportFindingsCommand, BatchUpdateFindingsCommand } from "@aws-sdk/client-securityhub";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { SecurityHubImportedEvent } from "../../../lambdas/core/hub/contracts.ts";
import { ManualClock } from "../../../lambdas/ports/clock.ts";
import { receiveEvents, routeEventsToQueue } from "../../helpers/eventbridge-queue.ts";
import { type MotoServer, startMoto } from "../../helpers/moto.ts";
import { startTestServe } from "../../helpers/serve.ts";
import { makeFinding, productArnFor } from "./scenarios.ts";

const ACCOUNT = "123456789012";
const credentials = { accessKeyId: "test", secretAccessKey: "test" };

describe("serve: events", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "shadowhub-events-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes one event per created, updated and BatchUpdateFindings-changed finding, none for an ignored update", async () => {
    const file = join(dir, "events.jsonl");
    let n = 0;
    const serve = await startTestServe({
      hubOptions: {
        eventsFile: file,
        clock: new ManualClock("2026-03-01T10:20:30.456Z"),
        newEventId: () => `event-${++n}`,
      },
    });
    try {
      const c = serve.client();
      await c.send(new BatchImportFindingsCommand({ Findings: [makeFinding(ACCOUNT, "ev-1")] }));
      await c.send(
        new BatchImportFindingsCommand({ Findings: [makeFinding(ACCOUNT, "ev-1", { Title: "ignored" })] }),
      );
      await c.send(
        new BatchImportFindingsCommand({
          Findings: [
            makeFinding(ACCOUNT, "ev-1", { UpdatedAt: "2024-05-01T00:00:00.000Z", Title: "updated" }),
          ],
        }),
      );
      await c.send(
        new BatchUpdateFindingsCommand({
          FindingIdentifiers: [{ Id: "ev-1", ProductArn: productArnFor(ACCOUNT) }],
          Workflow: { Status: "RESOLVED" },
        }),
      );
      const events = (await readFile(file, "utf8"))
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as SecurityHubImportedEvent);
      assert.equal(events.length, 3);
      const [created, updated, customer] = events;
      assert.deepEqual(
        { ...created, detail: undefined },
        {
          version: "0",
          id: "event-1",
          "detail-type": "Security Hub Findings - Imported",
          source: "aws.securityhub",
          account: ACCOUNT,
          time: "2026-03-01T10:20:30Z",
          region: "us-east-1",
          resources: [`${productArnFor(ACCOUNT)}/ev-1`],
          detail: undefined,
        },
      );
      assert.equal(created?.detail.findings.length, 1);
      assert.equal(created?.detail.findings[0]?.ProcessedAt, "2026-03-01T10:20:30.456Z");
      assert.equal(updated?.detail.findings[0]?.Title, "updated");
      assert.equal(customer?.detail.findings[0]?.Workflow?.Status, "RESOLVED");
    } finally {
      await serve.close();
    }
  });
});

describe("serve: events forwarded to EventBridge (moto_server)", () => {
  let moto: MotoServer;
  before(async () => {
    moto = await startMoto();
  });
  after(async () => {
    await moto.stop();
  });

  it("routes the event through a rule on a custom bus to an SQS target", async () => {
    const region = "us-east-1";
    const eb = new EventBridgeClient({ endpoint: moto.endpoint, region, credentials });
    const sqs = new SQSClient({ endpoint: moto.endpoint, region, credentials });
    const serve = await startTestServe({
      hubOptions: { eventBridge: { endpoint: moto.endpoint, region, eventBusName: "findings" } },
    });
    try {
      const { queueUrl } = await routeEventsToQueue({
        eventBridge: eb,
        sqs,
        queueName: "imported-findings",
        ruleName: "securityhub-imported",
        eventBusName: "findings",
        createBus: true,
        // moto 5.2 does not match patterns inside arrays (detail.findings[].ProductArn), so the
        // rule filters on source and detail-type only.
        eventPattern: { source: ["aws.securityhub"], "detail-type": ["Security Hub Findings - Imported"] },
      });
      // 12 findings: two PutEvents calls (10 + 2 entries).
      const findings = Array.from({ length: 12 }, (_, i) => makeFinding(ACCOUNT, `eb-${i}`));
      const out = await serve.client().send(new BatchImportFindingsCommand({ Findings: findings }));
      assert.equal(out.SuccessCount, 12);

      const received = await receiveEvents<{
        source: string;
        "detail-type": string;
        resources: string[];
        detail: { findings: { Id: string }[] };
      }>(sqs, queueUrl, (r) => r.length >= 12);
      assert.equal(received.length, 12);
      const ids = received.map((e) => e.detail.findings[0]?.Id).sort();
      assert.deepEqual(ids, findings.map((f) => f.Id).sort());
      assert.ok(
        received.every(
          (e) => e.source === "aws.securityhub" && e["detail-type"] === "Security Hub Findings - Imported",
        ),
      );
      assert.ok(
        received.every((e) => e.resources[0] === `${productArnFor(ACCOUNT)}/${e.detail.findings[0]?.Id}`),
      );
    } finally {
      eb.destroy();
      sqs.destroy();
      await serve.close();
    }
  });
});
