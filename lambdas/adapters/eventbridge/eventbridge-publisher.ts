/**
 * EventPublisher over EventBridge PutEvents: at most 10 entries per call (`MAX_EVENTS_PER_PUT`),
 * each entry's size checked against `MAX_EVENT_ENTRY_BYTES` before sending (an oversized one is
 * reported, never sent), entries PutEvents reports as failed retried with backoff when the code
 * is transient. The event's own `source` is used: the cloud pipeline's default is `shadowhub`,
 * because EventBridge reserves `aws.*` sources for AWS services.
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { MAX_EVENT_ENTRY_BYTES, MAX_EVENTS_PER_PUT } from "../../core/asff/limits.ts";
import { describeError, isTransient } from "../../core/errors.ts";
import type { SecurityHubImportedEvent } from "../../core/hub/contracts.ts";
import { backoffDelayMs, DEFAULT_RETRY_POLICY, type RetryPolicy } from "../../core/pipeline/retry.ts";
import type { EventPublisher, PublishResult } from "../../ports/event-publisher.ts";
import type { Sleep } from "../../ports/rate-limiter.ts";
import { classifySdkError } from "../securityhub/errors.ts";

/** Options of {@link EventBridgePublisher}. */
export interface EventBridgePublisherOptions {
  /** A ready client (its endpoint and credentials are used as they are). @default one built from the options below */
  readonly client?: EventBridgeClient;
  /** @default from `env` (`AWS_ENDPOINT_URL_EVENTBRIDGE`, `AWS_ENDPOINT_URL`), else the SDK's */
  readonly endpoint?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** @default "us-east-1" */
  readonly region?: string;
  /** Bus name or ARN. @default "default" */
  readonly eventBusName?: string;
  /** @default DEFAULT_RETRY_POLICY */
  readonly retryPolicy?: RetryPolicy;
  /** @default a real timer */
  readonly sleep?: Sleep;
  /** @default Math.random */
  readonly random?: () => number;
}

/** Per-entry error codes worth another try (everything else is a property of the entry itself). */
const TRANSIENT_ENTRY_CODES = /throttl|internal|unavailable|timeout/i;

/**
 * Size of an entry as EventBridge counts it: 14 bytes for `Time` plus the UTF-8 bytes of Source,
 * DetailType, Detail and each Resources entry.
 */
export function entrySize(entry: PutEventsRequestEntry): number {
  let size = entry.Time === undefined ? 0 : 14;
  for (const part of [entry.Source, entry.DetailType, entry.Detail, ...(entry.Resources ?? [])]) {
    if (part !== undefined) size += Buffer.byteLength(part, "utf8");
  }
  return size;
}

/** The PutEvents entry for an event envelope. */
export function toEntry(event: SecurityHubImportedEvent, eventBusName: string): PutEventsRequestEntry {
  return {
    Source: event.source,
    DetailType: event["detail-type"],
    Detail: JSON.stringify(event.detail),
    Resources: [...event.resources],
    Time: new Date(event.time),
    EventBusName: eventBusName,
  };
}

export class EventBridgePublisher implements EventPublisher {
  readonly #client: EventBridgeClient;
  readonly #ownsClient: boolean;
  readonly #bus: string;
  readonly #policy: RetryPolicy;
  readonly #sleep: Sleep;
  readonly #random: () => number;

  constructor(options: EventBridgePublisherOptions = {}) {
    const env = options.env ?? {};
    const endpoint = options.endpoint ?? env.AWS_ENDPOINT_URL_EVENTBRIDGE ?? env.AWS_ENDPOINT_URL;
    this.#ownsClient = options.client === undefined;
    this.#client =
      options.client ??
      new EventBridgeClient({
        region: options.region ?? "us-east-1",
        maxAttempts: 1,
        ...(endpoint === undefined ? {} : { endpoint }),
      });
    this.#bus = options.eventBusName ?? "default";
    this.#policy = options.retryPolicy ?? DEFAULT_RETRY_POLICY;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#random = options.random ?? Math.random;
  }

  async publish(events: readonly SecurityHubImportedEvent[]): Promise<PublishResult> {
    const failed: { event: SecurityHubImportedEvent; reason: string }[] = [];
    const ready: { event: SecurityHubImportedEvent; entry: PutEventsRequestEntry }[] = [];
    for (const event of events) {
      const entry = toEntry(event, this.#bus);
      const size = entrySize(entry);
      if (size > MAX_EVENT_ENTRY_BYTES) {
        failed.push({
          event,
          reason: `event for ${event.resources[0] ?? "?"} is ${size} bytes; EventBridge entries are limited to ${MAX_EVENT_ENTRY_BYTES}`,
        });
        continue;
      }
      ready.push({ event, entry });
    }
    let published = 0;
    for (let i = 0; i < ready.length; i += MAX_EVENTS_PER_PUT) {
      const result = await this.#putWithRetries(ready.slice(i, i + MAX_EVENTS_PER_PUT));
      published += result.published;
      failed.push(...result.failed);
    }
    return { published, failed };
  }

  async #putWithRetries(
    chunk: { event: SecurityHubImportedEvent; entry: PutEventsRequestEntry }[],
  ): Promise<PublishResult> {
    const failed: { event: SecurityHubImportedEvent; reason: string }[] = [];
    let pending = chunk;
    let published = 0;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const last = attempt >= this.#policy.maxAttempts;
      let retry: typeof pending = [];
      try {
        const out = await this.#client.send(new PutEventsCommand({ Entries: pending.map((p) => p.entry) }));
        const results = out.Entries ?? [];
        pending.forEach((p, index) => {
          const r = results[index];
          if (r?.ErrorCode === undefined && r?.EventId !== undefined) {
            published++;
          } else if (!last && TRANSIENT_ENTRY_CODES.test(r?.ErrorCode ?? "")) {
            retry.push(p);
          } else {
            failed.push({
              event: p.event,
              reason: `PutEvents: ${r?.ErrorCode ?? "no result"}: ${r?.ErrorMessage ?? ""}`,
            });
          }
        });
      } catch (error) {
        const classified = classifySdkError(error, "PutEvents", "EventBridge");
        if (isTransient(classified) && !last) {
          retry = pending;
        } else {
          for (const p of pending) failed.push({ event: p.event, reason: describeError(classified) });
        }
      }
      pending = retry;
      if (pending.length > 0) await this.#sleep(backoffDelayMs(attempt, this.#policy, this.#random));
    }
    return { published, failed };
  }

  async close(): Promise<void> {
    if (this.#ownsClient) this.#client.destroy();
  }
}
