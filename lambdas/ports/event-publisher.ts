/**
 * EventPublisher port: where the pipeline announces what it changed in Security Hub — one
 * "Security Hub Findings - Imported"-shaped event per accepted finding (created, updated,
 * refreshed or archived). Adapters: EventBridge (`adapters/eventbridge/`), JSON lines
 * (`adapters/local-target/`), and an in-memory collector for tests.
 */
import type { SecurityHubImportedEvent } from "../core/hub/contracts.ts";

/** The source the cloud pipeline uses: EventBridge reserves `aws.*` sources for AWS itself. */
export const DEFAULT_PIPELINE_EVENT_SOURCE = "shadowhub";

/** Outcome of a publish: entries that still failed after the adapter's retries. */
export interface PublishResult {
  readonly published: number;
  readonly failed: readonly { readonly event: SecurityHubImportedEvent; readonly reason: string }[];
}

export interface EventPublisher {
  /** Publishes `events` (any number; the adapter splits them into calls). Never throws for a single bad entry. */
  publish(events: readonly SecurityHubImportedEvent[]): Promise<PublishResult>;
  close(): Promise<void>;
}

/** Collects events in memory (tests, `--dry-run` previews). */
export class MemoryEventPublisher implements EventPublisher {
  readonly events: SecurityHubImportedEvent[] = [];
  async publish(events: readonly SecurityHubImportedEvent[]): Promise<PublishResult> {
    this.events.push(...events);
    return { published: events.length, failed: [] };
  }
  async close(): Promise<void> {}
}
