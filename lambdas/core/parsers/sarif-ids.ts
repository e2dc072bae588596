/**
 * Unique Ids within one report for the SARIF and ZAP parsers. Ids themselves come from the
 * framework's `findingId` (tool, rule, identity parts → readable prefix + SHA-256). This module
 * resolves the rare case where two different results of one report share an identity, in a way
 * that does not depend on the order of the results.
 */
import * as crypto from "node:crypto";
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
 * `stableHash` for many identities that start with the same parts: `identityHasher(first)(rest)`
 * equals `stableHash([...first, ...rest])`, but the JSON of `first` is made once (a SARIF log has
 * 100,000 results of a few hundred rules, and the tool, rule and scope parts are the same for all
 * results of a rule). Tested against `stableHash`.
 */
export function identityHasher(
  first: readonly (string | number | undefined)[],
): (rest: readonly (string | number | undefined)[]) => string {
  const head = JSON.stringify(first.map(asPart)).slice(0, -1);
  return (rest) => {
    if (rest.length === 0) return sha256Hex(`${head}]`).slice(0, 32);
    let json = first.length === 0 ? head : `${head},`;
    for (let i = 0; i < rest.length; i++) json += `${i > 0 ? "," : ""}${JSON.stringify(asPart(rest[i]))}`;
    return sha256Hex(`${json}]`).slice(0, 32);
  };
}

/**
 * `identityHasher` for a caller that writes the JSON of the parts after `first` itself (cached per
 * path, literal tags, digits): `identityTailHasher(first)(tail)` equals
 * `identityHasher(first)(rest)` when `tail` is `rest.map(identityPartJson).join(",")`.
 */
export function identityTailHasher(
  first: readonly (string | number | undefined)[],
): (tail: string) => string {
  const head = JSON.stringify(first.map(asPart)).slice(0, -1);
  const open = first.length === 0 ? head : `${head},`;
  return (tail) => flatHexPrefix(sha256Hex(tail === "" ? `${head}]` : `${open}${tail}]`));
}

const HEX_RE = /^[0-9a-f]*$/;

/**
 * The first 32 characters of a hex digest as a string of its own. `slice` would keep the whole
 * 64-character digest alive behind a sliced string (112 bytes instead of 48), and a SARIF log's
 * first pass holds one per result until the second: the two halves are joined and the regular
 * expression flattens the join, so only the 32 characters survive a garbage collection.
 */
function flatHexPrefix(digest: string): string {
  const prefix = digest.slice(0, 16) + digest.slice(16, 32);
  HEX_RE.test(prefix);
  return prefix;
}

/** The JSON text of one identity part, as `identityHasher` writes it. */
export function identityPartJson(part: string | number | undefined): string {
  return JSON.stringify(asPart(part));
}

function asPart(part: string | number | undefined): string {
  return part === undefined ? "" : String(part);
}

/** SHA-256 in hex: the one-shot `crypto.hash` where Node has it (≥ 20.12), as `ids.ts` does. */
const sha256Hex: (text: string) => string =
  typeof crypto.hash === "function"
    ? (text) => crypto.hash("sha256", text, "hex")
    : (text) => crypto.createHash("sha256").update(text).digest("hex");

/**
 * `items` in order of their Id (UTF-16 code unit order), each Id once: an item whose Id is unique
 * stands alone, the items sharing an Id come as one array (in input order). Ids are nearly always
 * unique, so an array is made only for an Id seen twice, and the Ids are sorted by the native
 * default sort (the same order as a comparator, much faster). An entry that is an array is always
 * a group: `T` itself must not be an array.
 */
export function groupById<T extends object>(items: readonly T[], idOf: (item: T) => string): (T | T[])[] {
  const firstById = new Map<string, T>();
  let groups: Map<string, T[]> | undefined;
  for (const item of items) {
    const id = idOf(item);
    const first = firstById.get(id);
    if (first === undefined) {
      firstById.set(id, item);
      continue;
    }
    groups ??= new Map();
    const group = groups.get(id);
    if (group) group.push(item);
    else groups.set(id, [first, item]);
  }
  const ids = [...firstById.keys()].sort();
  const out: (T | T[])[] = new Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as string;
    out[i] = groups?.get(id) ?? (firstById.get(id) as T);
  }
  return out;
}

/**
 * `groupById` for items whose Id is `prefixOf(item) + tailOf(item)`, without building the Ids:
 * the items are bucketed by prefix, the few prefixes sorted, and each bucket sorted by tail. This is
 * the same order as sorting the whole Ids provided no prefix is a proper prefix of another (true
 * of `findingId`'s `<tool>/<rule>/`: each part is free of `/`), since two Ids with different
 * prefixes are then ordered by their prefixes alone. Items with one Id come as one array, in input
 * order.
 */
export function groupByPrefixedId<T extends object>(
  items: readonly T[],
  prefixOf: (item: T) => string,
  tailOf: (item: T) => string,
): (T | T[])[] {
  const buckets = new Map<string, T[]>();
  for (const item of items) {
    const prefix = prefixOf(item);
    const bucket = buckets.get(prefix);
    if (bucket) bucket.push(item);
    else buckets.set(prefix, [item]);
  }
  const out: (T | T[])[] = [];
  for (const prefix of [...buckets.keys()].sort()) {
    const bucket = sortByTail(buckets.get(prefix) as T[], tailOf);
    for (let i = 0; i < bucket.length; ) {
      const item = bucket[i] as T;
      const tail = tailOf(item);
      let j = i + 1;
      while (j < bucket.length && tailOf(bucket[j] as T) === tail) j++;
      out.push(j === i + 1 ? item : bucket.slice(i, j));
      i = j;
    }
  }
  return out;
}

/**
 * `items` stably sorted by tail (items with one tail stay in input order). Tails that are hex
 * digests (the normal case: uniformly spread) are first distributed by their first two digits, so
 * only the few items sharing those are compared; other tails are sorted by comparison.
 */
function sortByTail<T>(items: T[], tailOf: (item: T) => string): T[] {
  if (items.length < 64)
    return items.length > 1 ? items.sort((a, b) => compare(tailOf(a), tailOf(b))) : items;
  const slots = new Int32Array(items.length);
  const starts = new Int32Array(257);
  for (let i = 0; i < items.length; i++) {
    const tail = tailOf(items[i] as T);
    const slot = (hexDigit(tail.charCodeAt(0)) << 4) | hexDigit(tail.charCodeAt(1));
    if (slot < 0 || tail.length < 2) return items.sort((a, b) => compare(tailOf(a), tailOf(b)));
    slots[i] = slot;
    (starts[slot + 1] as number)++;
  }
  for (let k = 1; k < 257; k++) (starts[k] as number) += starts[k - 1] as number;
  const sorted: T[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) sorted[(starts[slots[i] as number] as number)++] = items[i] as T;
  // each run of one leading pair (`starts[k]` now ends run k): an insertion sort for the short
  // runs of spread digests, a comparison sort for a long one (crafted or repeated Ids)
  let begin = 0;
  for (let k = 0; k < 256; k++) {
    const end = starts[k] as number;
    if (end - begin > 16) {
      const run = sorted.slice(begin, end).sort((a, b) => compare(tailOf(a), tailOf(b)));
      for (let i = 0; i < run.length; i++) sorted[begin + i] = run[i] as T;
      begin = end;
      continue;
    }
    for (let i = begin + 1; i < end; i++) {
      const item = sorted[i] as T;
      const tail = tailOf(item);
      let j = i - 1;
      while (j >= begin && tailOf(sorted[j] as T) > tail) {
        sorted[j + 1] = sorted[j] as T;
        j--;
      }
      sorted[j + 1] = item;
    }
    begin = end;
  }
  return sorted;
}

/** Value of a lower-case hex digit; -256 for any other character (makes the slot negative). */
function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -256;
}

/**
 * The findings of drafts that share the Id `id` (one group of `groupById`), sorted by Id:
 * - drafts differing in `instance` each get `:<instance hash>` appended (so the two CodeQL results
 *   on one line with one line-hash stay two findings);
 * - drafts sharing both are the same issue reported twice: one is kept (the one whose JSON sorts
 *   first, so the choice does not depend on order) and the others are counted in `merged`.
 * An Id never is a prefix of another (its tail is a fixed-length hash), so the suffixed Ids sort
 * among the other Ids exactly where `id` does.
 */
export function resolveCollision(
  id: string,
  members: readonly IdentifiedDraft[],
): { drafts: FindingDraft[]; merged: number } {
  const byInstance = new Map<string, FindingDraft[]>();
  for (const member of members) {
    const key = stableHash(member.instance).slice(0, INSTANCE_CHARS);
    const list = byInstance.get(key);
    if (list) list.push(member.draft);
    else byInstance.set(key, [member.draft]);
  }
  let merged = 0;
  const out: FindingDraft[] = [];
  for (const [key, drafts] of byInstance) {
    merged += drafts.length - 1;
    const chosen = pickDeterministic(drafts);
    out.push(byInstance.size === 1 ? chosen : { ...chosen, Id: `${id}:${key}` });
  }
  if (out.length > 1) out.sort((a, b) => compare(String(a.Id), String(b.Id)));
  return { drafts: out, merged };
}

/**
 * Makes the Ids of one report unique without depending on result order (`resolveCollision` for
 * each Id shared by several drafts; drafts whose Id is unique keep it). Returns the drafts sorted by
 * Id, so the output order does not depend on the input order either.
 */
export function assignUniqueIds(items: readonly IdentifiedDraft[]): {
  drafts: FindingDraft[];
  merged: number;
} {
  const out: FindingDraft[] = [];
  let merged = 0;
  for (const entry of groupById(items, (item) => String(item.draft.Id))) {
    if (!Array.isArray(entry)) {
      out.push(entry.draft);
      continue;
    }
    const resolved = resolveCollision(String(entry[0]?.draft.Id), entry);
    merged += resolved.merged;
    for (const draft of resolved.drafts) out.push(draft);
  }
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
