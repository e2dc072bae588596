/** Order and grouping of Ids for the SARIF and ZAP parsers (`sarif-ids.ts`), against a plain sort. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { stableHash } from "../../../lambdas/core/parsers/ids.ts";
import {
  groupById,
  groupByPrefixedId,
  identityHasher,
  identityPartJson,
  identityTailHasher,
} from "../../../lambdas/core/parsers/sarif-ids.ts";
import { seededRandom } from "../../helpers/seeded-random.ts";

interface Item {
  readonly prefix: string;
  readonly tail: string;
  readonly n: number;
}

function hex(random: () => number, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += "0123456789abcdef"[Math.floor(random() * 16)];
  return out;
}

/** What both functions must return: Ids sorted by code unit, items with one Id grouped in input order. */
function expected(items: readonly Item[]): string[] {
  const byId = new Map<string, number[]>();
  for (const item of items) {
    const id = item.prefix + item.tail;
    byId.set(id, [...(byId.get(id) ?? []), item.n]);
  }
  return [...byId.keys()]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((id) => `${id}=${(byId.get(id) ?? []).join(",")}`);
}
function shape(entries: readonly (Item | Item[])[]): string[] {
  return entries.map((entry) => {
    const group = Array.isArray(entry) ? entry : [entry];
    const first = group[0] as Item;
    return `${first.prefix}${first.tail}=${group.map((item) => item.n).join(",")}`;
  });
}

describe("SARIF Id order", () => {
  const prefixes = ["codeql/js-xss/", "codeql/js-xss-2/", "codeql/js/", "semgrep/R1/", "codeql/js-x/"];

  it("orders hex-digest tails by prefix, then tail, as sorting the whole Ids does", () => {
    for (const seed of [1, 2, 3]) {
      const random = seededRandom(seed);
      const items: Item[] = [];
      // buckets large enough for the distribution by leading digits, with repeated Ids
      for (let n = 0; n < 3000; n++) {
        const prefix = prefixes[Math.floor(random() * prefixes.length)] as string;
        const tail =
          random() < 0.05 && items.length > 0 ? (items[items.length - 1] as Item).tail : hex(random, 32);
        items.push({ prefix, tail, n });
      }
      const grouped = groupByPrefixedId(
        items,
        (item) => item.prefix,
        (item) => item.tail,
      );
      assert.deepEqual(shape(grouped), expected(items));
      assert.deepEqual(shape(groupById(items, (item) => item.prefix + item.tail)), expected(items));
    }
  });

  it("orders tails that share their leading digits or are not hex digests", () => {
    const random = seededRandom(7);
    const items: Item[] = [];
    for (let n = 0; n < 2000; n++) {
      // many tails in one run of leading digits (a crafted report), plus a few that are not hex
      const tail = n % 97 === 0 ? `Z${hex(random, 3)}` : n % 3 === 0 ? `00${hex(random, 4)}` : hex(random, 6);
      items.push({ prefix: "tool/rule/", tail, n });
    }
    assert.deepEqual(
      shape(
        groupByPrefixedId(
          items,
          (item) => item.prefix,
          (item) => item.tail,
        ),
      ),
      expected(items),
    );
    const hexOnly = items.filter((item) => !item.tail.startsWith("Z"));
    assert.deepEqual(
      shape(
        groupByPrefixedId(
          hexOnly,
          (item) => item.prefix,
          (item) => item.tail,
        ),
      ),
      expected(hexOnly),
    );
  });

  it("keeps one Id repeated many times as one group in input order", () => {
    const items: Item[] = Array.from({ length: 500 }, (_, n) => ({
      prefix: "tool/rule/",
      tail: n % 2 === 0 ? "ab12" : "ab13",
      n,
    }));
    const grouped = groupByPrefixedId(
      items,
      (item) => item.prefix,
      (item) => item.tail,
    );
    assert.deepEqual(shape(grouped), expected(items));
    assert.equal(grouped.length, 2);
  });
});

describe("SARIF identity hashes", () => {
  it("hashes a shared start plus the rest exactly as stableHash hashes the whole identity", () => {
    const random = seededRandom(11);
    const samples: (string | number | undefined)[] = [
      "",
      "a",
      'q"uote\\',
      "é🙂",
      "\u0000\n",
      0,
      17,
      3.5,
      undefined,
      "[1,2]",
    ];
    const pick = (): string | number | undefined => samples[Math.floor(random() * samples.length)];
    for (let n = 0; n < 500; n++) {
      const first = Array.from({ length: Math.floor(random() * 4) }, pick);
      const rest = Array.from({ length: Math.floor(random() * 4) }, pick);
      assert.equal(
        identityHasher(first)(rest),
        stableHash([...first, ...rest]),
        JSON.stringify([first, rest]),
      );
      assert.equal(
        identityTailHasher(first)(rest.map(identityPartJson).join(",")),
        stableHash([...first, ...rest]),
        JSON.stringify([first, rest]),
      );
    }
  });
});
