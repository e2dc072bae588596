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
  // Ids are nearly always unique: a group (an array) is made only for an Id seen twice.
  const firstById = new Map<string, IdentifiedDraft>();
  const groups = new Map<string, IdentifiedDraft[]>();
  for (const item of items) {
    const id = String(item.draft.Id);
    const first = firstById.get(id);
    if (first === undefined) {
      firstById.set(id, item);
      continue;
    }
    const group = groups.get(id);
    if (group) group.push(item);
    else groups.set(id, [first, item]);
  }
  if (groups.size === 0) {
    // Every Id unique (the normal case): sort the Ids natively, reusing the map just built.
    const ids = [...firstById.keys()].sort();
    return { drafts: ids.map((id) => (firstById.get(id) as IdentifiedDraft).draft), merged: 0 };
  }
  const out: FindingDraft[] = [];
  let merged = 0;
  for (const [id, item] of firstById) {
    const group = groups.get(id);
    if (group === undefined) {
      out.push(item.draft);
      continue;
    }
    const byInstance = new Map<string, FindingDraft[]>();
    for (const member of group) {
      const key = stableHash(member.instance).slice(0, INSTANCE_CHARS);
      const list = byInstance.get(key);
      if (list) list.push(member.draft);
      else byInstance.set(key, [member.draft]);
    }
    for (const [key, drafts] of byInstance) {
      merged += drafts.length - 1;
      const chosen = pickDeterministic(drafts);
      out.push(byInstance.size === 1 ? chosen : { ...chosen, Id: `${id}:${key}` });
    }
  }
  return { drafts: sortById(out), merged };
}

/**
 * `drafts` sorted by Id (UTF-16 code unit order). With unique Ids — the normal case — the Ids are
 * sorted by the native default sort, which is the same order and much faster than a comparator.
 */
function sortById(drafts: FindingDraft[]): FindingDraft[] {
  const byId = new Map<string, FindingDraft>();
  for (const draft of drafts) byId.set(String(draft.Id), draft);
  if (byId.size !== drafts.length) return drafts.sort((a, b) => compare(String(a.Id), String(b.Id)));
  return [...byId.keys()].sort().map((id) => byId.get(id) as FindingDraft);
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
