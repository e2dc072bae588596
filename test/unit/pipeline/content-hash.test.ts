/**
 * The content hash's canonical JSON: it is written by hand for speed, so it is checked against a
 * plain reference (sort the keys of every object, then `JSON.stringify`) on arbitrary JSON values.
 * Equal text means the hashes of findings stored by earlier releases stay valid.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import fc from "fast-check";
import { canonicalJson, contentHash, providerContent } from "../../../lambdas/core/pipeline/content-hash.ts";

/**
 * The reference: keys sorted as strings (an object cannot hold integer-like keys in that order,
 * so the text is assembled here), every value serialised by the runtime's JSON.stringify.
 */
function reference(value: unknown): string {
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? "null" : reference(v))).join(",")}]`;
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  const record = value as Record<string, unknown>;
  const members = Object.keys(record)
    .sort()
    .filter((k) => record[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${reference(record[k])}`);
  return `{${members.join(",")}}`;
}

describe("canonicalJson", () => {
  it("writes JSON.stringify's text with object keys in string order, for any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => canonicalJson(value) === reference(value)),
      { numRuns: 2000 },
    );
  });

  it("escapes quotes, backslashes, control characters and unpaired surrogates as JSON.stringify does", () => {
    for (const text of ['a"b', "back\\slash", "\u0001\n\t", "\ud800", "pair 😀", "\u2028", "é"]) {
      const value = { [text]: [text, undefined, Number.NaN, -0, 1e21] };
      assert.equal(canonicalJson(value), reference(value), JSON.stringify(text));
    }
  });

  it("does not depend on the order of object keys", () => {
    assert.equal(canonicalJson({ b: 1, a: { d: 2, c: 3 } }), canonicalJson({ a: { c: 3, d: 2 }, b: 1 }));
  });

  it("sorts every object by its own keys when shapes recur, share a first key or differ in one key", () => {
    // The writer remembers the order of recent shapes: alternating shapes with the same first key,
    // a longer or shorter list, and integer-like keys (which objects list first) must never reuse
    // another shape's order.
    const shapes: Record<string, unknown>[] = [
      { z: 1, b: 2, a: 3 },
      { z: 1, b: 2, c: 3 },
      { z: 1, b: 2 },
      { z: 1, b: 2, a: 3, y: 4 },
      { z: 1, a: 3, b: 2 },
      { 10: "x", 9: "y", z: 1, b: 2 },
      {
        z: { q: 1, p: 2 },
        b: [
          { z: 1, b: 2, a: 3 },
          { z: 1, b: 2, c: 3 },
        ],
      },
    ];
    // More shapes with one first key than the writer remembers per first key.
    for (let i = 0; i < 12; i++) shapes.push({ z: 1, [`k${i}`]: i, a: 0 });
    for (let round = 0; round < 3; round++) {
      for (const value of shapes) assert.equal(canonicalJson(value), reference(value), JSON.stringify(value));
    }
  });
});

describe("contentHash", () => {
  it("is the base64url SHA-256 of the canonical provider content", () => {
    const finding = {
      Id: "f-1",
      Title: "t",
      UpdatedAt: "2026-01-01T00:00:00Z",
      ProductFields: { "aws/securityhub/FindingId": "x", "vendor/key": "v" },
    } as unknown as AwsSecurityFinding;
    const expected = createHash("sha256")
      .update(reference(providerContent(finding)))
      .digest("base64url");
    assert.equal(contentHash(finding), expected);
  });

  it("hashes the same text as canonicalJson(providerContent(finding)), for any finding-shaped value", () => {
    // Top-level names mix excluded attributes, ProductFields (with service-owned and provider
    // keys, or odd non-object values) and arbitrary JSON: the one-pass writer must skip exactly
    // what providerContent leaves out.
    const name = fc.constantFrom(
      "Id",
      "Title",
      "UpdatedAt",
      "RecordState",
      "Note",
      "Workflow",
      "Zeta",
      "a",
      "__proto__",
    );
    const productFields = fc.oneof(
      fc.dictionary(
        fc.oneof(
          fc.constantFrom("aws/securityhub/FindingId", "aws/securityhub/ProductName", "__proto__"),
          fc.string(),
        ),
        fc.option(fc.string(), { nil: undefined }),
      ),
      fc.jsonValue(),
    );
    const finding = fc.record(
      {
        members: fc.dictionary(name, fc.option(fc.jsonValue(), { nil: undefined })),
        productFields: fc.option(productFields, { nil: undefined }),
      },
      { requiredKeys: ["members"] },
    );
    fc.assert(
      fc.property(finding, ({ members, productFields: fields }) => {
        const value = (fields === undefined
          ? members
          : { ...members, ProductFields: fields }) as unknown as AwsSecurityFinding;
        const expected = createHash("sha256")
          .update(reference(providerContent(value)))
          .digest("base64url");
        return contentHash(value) === expected;
      }),
      { numRuns: 2000 },
    );
  });

  it("covers an own __proto__ member (as JSON.parse creates it) like any other member", () => {
    const parse = (text: string) => JSON.parse(text) as AwsSecurityFinding;
    const base = contentHash(parse('{"Id":"f-1","ProductFields":{"vendor/key":"v"}}'));
    assert.notEqual(
      contentHash(parse('{"Id":"f-1","ProductFields":{"vendor/key":"v","__proto__":"x"}}')),
      base,
    );
    assert.notEqual(
      contentHash(parse('{"Id":"f-1","__proto__":{"a":1},"ProductFields":{"vendor/key":"v"}}')),
      base,
    );
  });
});
