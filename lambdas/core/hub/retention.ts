/**
 * 90-day retention (spec §2.3, §6): Security Hub deletes a finding 90 days after its most recent
 * provider update (or its creation). BatchUpdateFindings changes do not restart the clock
 * (decision, docs/semantics.md).
 */
import { RETENTION_MS } from "../asff/limits.ts";
import type { StoredFinding } from "./contracts.ts";

/** True when `stored` has aged out at `nowMs`: its last provider update is more than 90 days old. */
export function isExpired(stored: Pick<StoredFinding, "lastProviderUpdateMs">, nowMs: number): boolean {
  return nowMs - stored.lastProviderUpdateMs > RETENTION_MS;
}

/** The epoch ms at which `stored` stops existing (for TTL columns and purge jobs). */
export function expiresAtMs(stored: Pick<StoredFinding, "lastProviderUpdateMs">): number {
  return stored.lastProviderUpdateMs + RETENTION_MS;
}

/** Splits `findings` into those still alive at `nowMs` and those to purge. */
export function expireFindings<T extends Pick<StoredFinding, "lastProviderUpdateMs">>(
  findings: Iterable<T>,
  nowMs: number,
): { readonly kept: T[]; readonly expired: T[] } {
  const kept: T[] = [];
  const expired: T[] = [];
  for (const f of findings) (isExpired(f, nowMs) ? expired : kept).push(f);
  return { kept, expired };
}
