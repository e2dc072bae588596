/** `memoizeBounded`: computes each key once while it is remembered, remembers `undefined` too, and never holds more than its bound. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { memoizeBounded } from "../../../lambdas/core/bounded-memo.ts";

describe("memoizeBounded", () => {
  it("computes a recurring key once", () => {
    const calls: string[] = [];
    const length = memoizeBounded((key) => {
      calls.push(key);
      return key.length;
    }, 8);
    assert.deepEqual([length("ab"), length("abc"), length("ab"), length("abc")], [2, 3, 2, 3]);
    assert.deepEqual(calls, ["ab", "abc"]);
  });

  it("remembers an undefined result like any other", () => {
    let calls = 0;
    const none = memoizeBounded((): string | undefined => {
      calls++;
      return undefined;
    }, 8);
    assert.equal(none("x"), undefined);
    assert.equal(none("x"), undefined);
    assert.equal(calls, 1);
  });

  it("forgets everything when the bound is reached, then computes again", () => {
    const calls: string[] = [];
    const same = memoizeBounded((key) => {
      calls.push(key);
      return key;
    }, 2);
    same("a");
    same("b");
    same("c"); // the memo held 2: emptied, then holds c
    same("a");
    assert.deepEqual(calls, ["a", "b", "c", "a"]);
  });
});
