/**
 * The "Security Hub Findings - Imported" EventBridge event (spec §5.1): one finding per event,
 * the stored finding (service-added fields included), `resources = [ProductArn/Id]`.
 */
import type { HubContext, SecurityHubImportedEvent, StoredFinding } from "./contracts.ts";

/** The detail-type Security Hub uses for BatchImportFindings and BatchUpdateFindings changes. */
export const IMPORTED_DETAIL_TYPE = "Security Hub Findings - Imported";
/** The event source Security Hub uses; the cloud pipeline may pass its own. */
export const SECURITY_HUB_EVENT_SOURCE = "aws.securityhub";

/** What building an event needs from the context. */
export type EventContext = Pick<HubContext, "nowMs" | "newEventId">;

/** The last `eventTime` answer: every event of one call has the same instant. */
let lastTime: { readonly ms: number; readonly text: string } | undefined;

/**
 * EventBridge `time`: UTC with second precision, as in Security Hub's examples. Remembers its
 * last answer: formatting a Date for each of a call's 100 events was ~1% of an import.
 */
function eventTime(nowMs: number): string {
  if (lastTime?.ms !== nowMs)
    lastTime = { ms: nowMs, text: `${new Date(nowMs).toISOString().slice(0, 19)}Z` };
  return lastTime.text;
}

/**
 * Builds the event announcing that `stored` was created or updated. The event's finding is
 * `stored.finding` itself, not a copy: findings are immutable values in the hub, and sinks only
 * serialise events (copying every finding once more cost as much as storing it).
 */
export function importedEvent(
  stored: StoredFinding,
  ctx: EventContext,
  source: string = SECURITY_HUB_EVENT_SOURCE,
): SecurityHubImportedEvent {
  return {
    version: "0",
    id: ctx.newEventId(),
    "detail-type": IMPORTED_DETAIL_TYPE,
    source,
    account: stored.key.accountId,
    time: eventTime(ctx.nowMs),
    region: stored.key.region,
    resources: [`${stored.key.productArn}/${stored.key.id}`],
    detail: { findings: [stored.finding] },
  };
}
