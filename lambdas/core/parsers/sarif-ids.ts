/**
 * Stable finding Ids for the SARIF and ZAP parsers. An Id is a readable prefix plus a SHA-256 of the
 * finding's identity parts (tool, rule, resource, location or fingerprint); never a time, run or
 * build number. `assignUniqueIds` then resolves the rare case where two different results of one
 * report share an identity, in a way that does not depend on the order of the results.
 */
import { createHash } from "node:crypto";
import type { FindingDraft } from "./contracts.ts";

/** ASFF `Id` length limit. */
const MAX_ID_LENGTH = 512;
/** Hex characters of the identity hash in an Id (128 bits: collisions are not a practical concern). */
const HASH_CHARS = 32;
/** Hex characters of the instance suffix added to disambiguate colliding identities. */
const INSTANCE_CHARS = 12;

/** SHA-256 hex of the parts joined by a separator that cannot occur in them unescaped. */
export function hashParts(parts: readonly (string | number | undefined)[]): string {
  const hash = createHash("sha256");
  for (const part of parts) {
    // length-prefixing makes ("ab","c") and ("a","bc") different identities
    const text = part === undefined ? "\u0000" : String(part);
    hash.update(`${text.length}:${text}|`);
  }
  return hash.digest("hex");
}

/** Keeps Id prefixes readable and free of characters that need escaping in ARNs or URLs. */
export function idSegment(value: string, max = 120): string {
  const cleaned = value
    .trim()
    .replace(/[^A-Za-z0-9._:@/+-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^-|-$/g, "");
  return (cleaned.length > 0 ? cleaned : "none").slice(0, max);
}

/** `prefix/<hash>` with the prefix cut so that the Id stays within the ASFF limit. */
export function stableId(prefix: string, identity: readonly (string | number | undefined)[]): string {
  const hash = hashParts(identity).slice(0, HASH_CHARS);
  const room = MAX_ID_LENGTH - HASH_CHARS - 1 - INSTANCE_CHARS - 1;
  return `${prefix.slice(0, room)}/${hash}`;
}

/** A draft plus what is needed to tell it apart from another draft with the same identity. */
export interface IdentifiedDraft {
  readonly draft: FindingDraft;
  /** Parts that describe this very result (region, message, ...); equal parts mean the same issue. */
  readonly instance: readonly (string | number | undefined)[];
}

/**
 * Makes the Ids of one report unique without depending on result order:
 * - drafts whose Id is unique keep it;
 * - drafts sharing an Id but differing in `instance` each get `:<instance hash>` appended
 *   (so the two CodeQL results on one line with one line-hash stay two findings);
 * - drafts sharing both are the same issue reported twice: one is kept (the one whose JSON sorts
 *   first, so the choice does not depend on order) and the rest are counted as merged.
 * Returns the drafts in a deterministic order (sorted by Id).
 */
export function assignUniqueIds(items: readonly IdentifiedDraft[]): {
  drafts: FindingDraft[];
  merged: number;
} {
  const groups = new Map<string, IdentifiedDraft[]>();
  for (const item of items) {
    const group = groups.get(item.draft.Id as string);
    if (group) group.push(item);
    else groups.set(item.draft.Id as string, [item]);
  }
  const out: FindingDraft[] = [];
  let merged = 0;
  for (const [id, group] of groups) {
    if (group.length === 1) {
      out.push((group[0] as IdentifiedDraft).draft);
      continue;
    }
    const byInstance = new Map<string, FindingDraft[]>();
    for (const item of group) {
      const key = hashParts(item.instance).slice(0, INSTANCE_CHARS);
      const list = byInstance.get(key);
      if (list) list.push(item.draft);
      else byInstance.set(key, [item.draft]);
    }
    for (const [key, drafts] of byInstance) {
      merged += drafts.length - 1;
      const chosen = pickDeterministic(drafts);
      out.push(byInstance.size === 1 ? chosen : { ...chosen, Id: `${id}:${key}` });
    }
  }
  out.sort((a, b) =>
    (a.Id as string) < (b.Id as string) ? -1 : (a.Id as string) > (b.Id as string) ? 1 : 0,
  );
  return { drafts: out, merged };
}

function pickDeterministic(drafts: readonly FindingDraft[]): FindingDraft {
  let best = drafts[0] as FindingDraft;
  if (drafts.length === 1) return best;
  let bestJson = JSON.stringify(best);
  for (const draft of drafts.slice(1)) {
    const json = JSON.stringify(draft);
    if (json < bestJson) {
      best = draft;
      bestJson = json;
    }
  }
  return best;
}
