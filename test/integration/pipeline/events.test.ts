/**
 * Pipeline events: one "Security Hub Findings - Imported"-shaped event per accepted finding,
 * published through EventBridge (moto_server) with the pipeline's own source, routed by a rule to
 * an SQS queue and read back. Partial PutEvents failures cannot be provoked in moto, so that one
 * case uses aws-sdk-client-mock.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from "@aws-sdk/client-eventbridge";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { EventBridgePublisher } from "../../../lambdas/adapters/eventbridge/eventbridge-publisher.ts";
import { MemoryShadowStore } from "../../../lambdas/adapters/memory/memory-shadow-store.ts";
import { SecurityHubSink } from "../../../lambdas/adapters/securityhub/securityhub-sink.ts";
import { MAX_EVENT_ENTRY_BYTES } from "../../../lambdas/core/asff/limits.ts";
import type { SecurityHubImportedEvent } from "../../../lambdas/core/hub/contracts.ts";
import { runImport } from "../../../lambdas/pipeline/import-run.ts";
import { ManualClock } from "../../../lambdas/ports/clock.ts";
import { type MotoServer, startMoto } from "../../helpers/moto.ts";
import { startTestServe, type TestServe } from "../../helpers/serve.ts";
import { scan } from "./scenario.ts";

const CREDENTIALS = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" };

function event(id: string, detailBytes = 10): SecurityHubImportedEvent {
  return {
    version: "0",
    id,
    "detail-type": "Security Hub Findings - Imported",
    source: "shadowhub",
    account: "123456789012",
    time: "2026-01-01T00:00:00Z",
    region: "us-east-1",
    resources: [`arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default/${id}`],
    detail: { findings: [{ Id: id, Description: "x".repeat(detailBytes) } as never] },
  };
}

describe("pipeline events through EventBridge (moto_server)", () => {
  let moto: MotoServer;
  let serve: TestServe;
  before(async () => {
    moto = await startMoto();
    serve = await startTestServe({ log: () => {} });
  });
  after(async () => {
    await moto?.stop();
    await serve?.close();
  });

  it("publishes one shadowhub-sourced event per created or updated finding, none for unchanged ones", async () => {
    const config = { endpoint: moto.endpoint, region: "us-east-1", credentials: CREDENTIALS };
    const sqs = new SQSClient(config);
    const events = new EventBridgeClient(config);
    const publisher = new EventBridgePublisher({ client: events });
    const sink = new SecurityHubSink({ endpoint: serve.url, credentials: CREDENTIALS });
    try {
      const queue = await sqs.send(new CreateQueueCommand({ QueueName: "pipeline-events" }));
      const attrs = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ["QueueArn"] }),
      );
      await events.send(
        new PutRuleCommand({
          Name: "imported",
          EventPattern: JSON.stringify({
            source: ["shadowhub"],
            "detail-type": ["Security Hub Findings - Imported"],
          }),
        }),
      );
      await events.send(
        new PutTargetsCommand({ Rule: "imported", Targets: [{ Id: "q", Arn: attrs.Attributes?.QueueArn }] }),
      );

      const deps = {
        store: new MemoryShadowStore(),
        sink,
        publisher,
        publishEvents: "always" as const,
        clock: new ManualClock(Date.parse("2026-02-01T00:00:00Z")),
        sleep: async () => {},
      };
      const ids = Array.from({ length: 23 }, (_, i) => `ev-${i}`);
      const first = await runImport({ findings: scan(1, ids) }, deps);
      assert.equal(first.eventsPublished, 23, "23 events in 3 PutEvents calls of ≤ 10");
      const second = await runImport({ findings: scan(2, ids, { "ev-0": "changed" }) }, deps);
      assert.equal(second.eventsPublished, 1);

      const bodies: {
        source: string;
        "detail-type": string;
        resources: string[];
        detail: { findings: { Id: string }[] };
      }[] = [];
      for (let i = 0; i < 20 && bodies.length < 24; i++) {
        const out = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl, MaxNumberOfMessages: 10 }),
        );
        for (const m of out.Messages ?? []) bodies.push(JSON.parse(m.Body ?? "{}"));
      }
      assert.equal(bodies.length, 24);
      assert.ok(
        bodies.every(
          (b) => b.source === "shadowhub" && b["detail-type"] === "Security Hub Findings - Imported",
        ),
      );
      const changed = bodies.filter((b) => b.detail.findings[0]?.Id === "ev-0");
      assert.equal(changed.length, 2);
      assert.ok(changed.every((b) => b.resources[0]?.endsWith("/default/ev-0")));
    } finally {
      await sink.close();
      await publisher.close();
      sqs.destroy();
      events.destroy();
    }
  });
});

describe("EventBridgePublisher edge cases", () => {
  it("reports an entry over the size limit instead of sending it", async () => {
    const client = new EventBridgeClient({ region: "us-east-1", credentials: CREDENTIALS });
    const mock = mockClient(client);
    mock.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map((_, i) => ({ EventId: `e${i}` })),
    }));
    const publisher = new EventBridgePublisher({ client });
    const result = await publisher.publish([event("small"), event("huge", MAX_EVENT_ENTRY_BYTES)]);
    assert.equal(result.published, 1);
    assert.equal(result.failed.length, 1);
    assert.match(result.failed[0]?.reason ?? "", /limited to 262144/);
    assert.equal(mock.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.length, 1);
    mock.restore();
  });

  it("retries only the entries PutEvents reported as throttled, and gives up on malformed ones", async () => {
    const client = new EventBridgeClient({ region: "us-east-1", credentials: CREDENTIALS });
    const mock = mockClient(client);
    mock
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 2,
        Entries: [
          { EventId: "1" },
          { ErrorCode: "ThrottlingException", ErrorMessage: "slow down" },
          { ErrorCode: "MalformedDetail", ErrorMessage: "bad" },
        ],
      })
      .resolvesOnce({ FailedEntryCount: 0, Entries: [{ EventId: "2" }] });
    const slept: number[] = [];
    const publisher = new EventBridgePublisher({
      client,
      sleep: async (ms) => {
        slept.push(ms);
      },
      random: () => 0,
    });
    const result = await publisher.publish([event("a"), event("b"), event("c")]);
    assert.equal(result.published, 2);
    assert.deepEqual(
      result.failed.map((f) => f.event.id),
      ["c"],
    );
    const calls = mock.commandCalls(PutEventsCommand);
    assert.equal(calls.length, 2);
    assert.equal(calls[1]?.args[0].input.Entries?.[0]?.Resources?.[0]?.endsWith("/b"), true);
    assert.equal(slept.length, 1);
    mock.restore();
  });
});
