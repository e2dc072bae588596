/**
 * Where the local hub sends its "Security Hub Findings - Imported" events: a JSON-lines file
 * and/or EventBridge (PutEvents through the SDK v3 client, endpoint and bus configurable, so a
 * `moto_server` or LocalStack EventBridge can route them to rules and targets).
 */
import { appendFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { MAX_EVENTS_PER_PUT } from "../../core/asff/limits.ts";
import type { SecurityHubImportedEvent } from "../../core/hub/contracts.ts";

/** Receives every event the hub emits, in order, after the call that caused them committed. */
export interface EventSink {
  publish(events: readonly SecurityHubImportedEvent[]): Promise<void>;
  close?(): Promise<void>;
}

/** Appends each event as one JSON line (the full envelope, as EventBridge would deliver it). */
export class JsonLinesEventSink implements EventSink {
  #ready: Promise<unknown> | undefined;
  constructor(readonly file: string) {}

  async publish(events: readonly SecurityHubImportedEvent[]): Promise<void> {
    if (events.length === 0) return;
    this.#ready ??= mkdir(dirname(this.file), { recursive: true });
    await this.#ready;
    // One append per call: lines of concurrent calls never interleave mid-line.
    await appendFile(this.file, events.map((e) => `${JSON.stringify(e)}\n`).join(""), "utf8");
  }
}

function isLoopback(endpoint: string): boolean {
  try {
    const host = new URL(endpoint).hostname;
    return host === "localhost" || host === "[::1]" || host.startsWith("127.");
  } catch {
    return false;
  }
}

/** Options of {@link EventBridgeEventSink}. */
export interface EventBridgeEventSinkOptions {
  /** An existing client; when absent one is made from `endpoint` and `region`. */
  readonly client?: EventBridgeClient;
  /** EventBridge endpoint, e.g. a moto_server URL. @default the SDK's default resolution */
  readonly endpoint?: string;
  /**
   * Credentials of the client. @default the SDK's default chain; for a loopback `endpoint`
   * (moto_server, LocalStack) dummy credentials when the environment has none, since local
   * emulators accept any.
   */
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
  /** Region of the client. @default "us-east-1" */
  readonly region?: string;
  /** Bus name or ARN. @default "default" */
  readonly eventBusName?: string;
  /** Attempts per entry when PutEvents reports it failed (or the call throws). @default 5 */
  readonly maxAttempts?: number;
  /** Base delay of the exponential backoff between attempts. @default 50 */
  readonly baseDelayMs?: number;
  /** Reports entries that still failed after the last attempt. @default writes to stderr */
  readonly onFailure?: (message: string) => void;
}

/**
 * Sends events with PutEvents, at most 10 entries per call; entries PutEvents reports as failed
 * (`FailedEntryCount`, per-entry `ErrorCode`) are retried with backoff. The envelope's `source`,
 * `detail-type`, `resources`, `time` and `detail` become the entry; EventBridge adds its own id.
 */
export class EventBridgeEventSink implements EventSink {
  readonly #client: EventBridgeClient;
  readonly #ownsClient: boolean;
  readonly #bus: string;
  readonly #maxAttempts: number;
  readonly #baseDelayMs: number;
  readonly #onFailure: (message: string) => void;

  constructor(options: EventBridgeEventSinkOptions = {}) {
    this.#ownsClient = options.client === undefined;
    const credentials =
      options.credentials ??
      (options.endpoint !== undefined &&
      isLoopback(options.endpoint) &&
      process.env.AWS_ACCESS_KEY_ID === undefined
        ? { accessKeyId: "test", secretAccessKey: "test" }
        : undefined);
    this.#client =
      options.client ??
      new EventBridgeClient({
        region: options.region ?? "us-east-1",
        ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
        ...(credentials === undefined ? {} : { credentials }),
      });
    this.#bus = options.eventBusName ?? "default";
    this.#maxAttempts = options.maxAttempts ?? 5;
    this.#baseDelayMs = options.baseDelayMs ?? 50;
    this.#onFailure = options.onFailure ?? ((m) => process.stderr.write(`${m}\n`));
  }

  #entry(event: SecurityHubImportedEvent): PutEventsRequestEntry {
    return {
      Source: event.source,
      DetailType: event["detail-type"],
      Detail: JSON.stringify(event.detail),
      Resources: [...event.resources],
      Time: new Date(event.time),
      EventBusName: this.#bus,
    };
  }

  async publish(events: readonly SecurityHubImportedEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += MAX_EVENTS_PER_PUT) {
      await this.#putChunk(events.slice(i, i + MAX_EVENTS_PER_PUT).map((e) => this.#entry(e)));
    }
  }

  async #putChunk(entries: PutEventsRequestEntry[]): Promise<void> {
    let pending = entries;
    let lastError = "";
    for (let attempt = 1; attempt <= this.#maxAttempts && pending.length > 0; attempt++) {
      if (attempt > 1) await new Promise((r) => setTimeout(r, this.#baseDelayMs * 2 ** (attempt - 2)));
      try {
        const out = await this.#client.send(new PutEventsCommand({ Entries: pending }));
        const results = out.Entries ?? [];
        const failed = pending.filter(
          (_, i) => results[i] === undefined || results[i]?.ErrorCode !== undefined,
        );
        const firstError = results.find((r) => r.ErrorCode !== undefined);
        if (firstError) lastError = `${firstError.ErrorCode}: ${firstError.ErrorMessage ?? ""}`;
        pending = (out.FailedEntryCount ?? 0) === 0 && results.length === pending.length ? [] : failed;
      } catch (error) {
        lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
    }
    if (pending.length > 0) {
      this.#onFailure(
        `EventBridge PutEvents to bus '${this.#bus}': ${pending.length} event(s) not delivered after ${this.#maxAttempts} attempts (${lastError})`,
      );
    }
  }

  async close(): Promise<void> {
    if (this.#ownsClient) this.#client.destroy();
  }
}
