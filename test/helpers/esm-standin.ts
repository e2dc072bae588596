/**
 * A local stand-in for Lambda's SQS event source mapping: polls a queue (moto_server's SQS in the
 * tests), turns messages into an `SQSEvent` shaped like the one Lambda delivers, invokes the
 * handler, and deletes the messages it did not report in `batchItemFailures` — the same contract
 * as a mapping with `ReportBatchItemFailures`. Failed messages stay in the queue and reappear
 * after their visibility timeout, as in AWS; a thrown handler error fails the whole batch.
 */
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";

/** Options of {@link startEventSourceMapping}. */
export interface EventSourceMappingOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  /** ARN reported in each record's `eventSourceARN`. */
  readonly queueArn: string;
  readonly region: string;
  readonly handler: (event: SQSEvent) => Promise<SQSBatchResponse | undefined>;
  /** Messages per invocation (≤ 10 per ReceiveMessage here). @default 10 */
  readonly batchSize?: number;
  /** ReceiveMessage long-poll wait, seconds. @default 1 */
  readonly waitTimeSeconds?: number;
}

/** What one invocation looked like, for assertions. */
export interface Invocation {
  readonly messageIds: readonly string[];
  /** The message bodies, in order. */
  readonly bodies: readonly string[];
  readonly failures: readonly string[];
  readonly error?: unknown;
}

/** A running mapping. */
export interface EventSourceMapping {
  readonly invocations: readonly Invocation[];
  /** Resolves once `predicate` holds after some invocation (checked after each poll). */
  waitFor(predicate: (invocations: readonly Invocation[]) => boolean, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Converts one SQS API message into a Lambda SQS record. */
export function toLambdaRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? "",
    receiptHandle: message.ReceiptHandle ?? "",
    body: message.Body ?? "",
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? "1",
      SentTimestamp: attributes.SentTimestamp ?? "0",
      SenderId: attributes.SenderId ?? "",
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? "0",
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        {
          dataType: value.DataType ?? "String",
          ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
        },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? "",
    eventSource: "aws:sqs",
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/** Starts polling; call `stop()` to end. */
export function startEventSourceMapping(options: EventSourceMappingOptions): EventSourceMapping {
  const invocations: Invocation[] = [];
  const waiters = new Set<() => void>();
  let running = true;

  const loop = (async () => {
    while (running) {
      let messages: Message[] = [];
      try {
        const out = await options.client.send(
          new ReceiveMessageCommand({
            QueueUrl: options.queueUrl,
            MaxNumberOfMessages: Math.min(options.batchSize ?? 10, 10),
            WaitTimeSeconds: options.waitTimeSeconds ?? 1,
            MessageSystemAttributeNames: ["All"],
            MessageAttributeNames: ["All"],
          }),
        );
        messages = out.Messages ?? [];
      } catch (error) {
        if (!running) break;
        throw error;
      }
      if (messages.length > 0) {
        const event: SQSEvent = {
          Records: messages.map((m) => toLambdaRecord(m, options.queueArn, options.region)),
        };
        let failures: string[];
        let error: unknown;
        try {
          const response = await options.handler(event);
          failures = (response?.batchItemFailures ?? []).map((f) => f.itemIdentifier);
        } catch (thrown) {
          error = thrown;
          failures = event.Records.map((r) => r.messageId);
        }
        const done = messages.filter((m) => !failures.includes(m.MessageId ?? ""));
        if (done.length > 0) {
          await options.client.send(
            new DeleteMessageBatchCommand({
              QueueUrl: options.queueUrl,
              Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? "" })),
            }),
          );
        }
        invocations.push({
          messageIds: event.Records.map((r) => r.messageId),
          bodies: event.Records.map((r) => r.body),
          failures,
          ...(error === undefined ? {} : { error }),
        });
      }
      for (const wake of [...waiters]) wake();
    }
  })();

  return {
    invocations,
    waitFor(predicate, timeoutMs = 60_000) {
      return new Promise<void>((resolve, reject) => {
        if (predicate(invocations)) {
          resolve();
          return;
        }
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `event source mapping: condition not met within ${timeoutMs} ms (${invocations.length} invocations)`,
            ),
          );
        }, timeoutMs);
        const check = () => {
          if (predicate(invocations)) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          }
        };
        waiters.add(check);
      });
    },
    async stop() {
      running = false;
      await loop;
    },
  };
}
