/**
 * Unique Ids within one report for the SARIF and ZAP parsers. Ids themselves come from the
 * framework's `findingId` (tool, rule, identity parts → readable prefix + SHA-256). This module
 * resolves the rare case where two different results of one report share an identity, in a way
 * that does not depend on the order of the results.
 */
import type { FindingDraft } from "./contracts.ts";
import { stableHash } from "./ids.ts";

/** Hex characters of the instance suffix added to disambiguate colliding identities. */
const INSTANCE_CHARS = 12;

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
 *   first, so the choice does not depend on order) and the others are counted in `merged`.
 * Returns the drafts sorted by Id, so the output order does not depend on the input order either.
 */
export function assignUniqueIds(items: readonly IdentifiedDraft[]): {
  drafts: FindingDraft[];
  merged: number;
} {
  const groups = new Map<string, IdentifiedDraft[]>();
  for (const item of items) {
    const id = String(item.draft.Id);
    const group = groups.get(id);
    if (group) group.push(item);
    else groups.set(id, [item]);
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
      const key = stableHash(item.instance).slice(0, INSTANCE_CHARS);
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
  out.sort((a, b) => compare(String(a.Id), String(b.Id)));
  return { drafts: out, merged };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function pickDeterministic(drafts: readonly FindingDraft[]): FindingDraft {
  let best = drafts[0] as FindingDraft;
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
