/** Timestamps (spec §1.3), the 240 KB size check, and hostile input. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_FINDING_BYTES } from "../../../lambdas/core/asff/limits.ts";
import { ASFF_TIMESTAMP_PATTERN } from "../../../lambdas/core/asff/timestamp.ts";
import { checkFindingSize, findingSizeBytes, validateFinding } from "../../../lambdas/core/asff/validate.ts";
import { chars, finding, P } from "./finding-factory.ts";

const ACCEPTED = [
  "2019-01-31T23:00:00Z",
  "2019-01-31T23:00:00.1Z",
  "2019-01-31T23:00:00.123456789Z",
  "2024-01-04T15:25:10+17:59",
  "2024-01-04T15:25:10-1759",
  "2024-01-04T15:25:10.123456789+17:59",
  "2024-01-04T15:25:10+00:00",
  "2024-01-04T15:25:10-05",
  "2024-02-29T00:00:00Z",
  "2016-12-31T23:59:60Z",
];

const PATTERN = `should match pattern "${ASFF_TIMESTAMP_PATTERN}"`;
const FORMAT = 'should match format "asff-timestamp"';
const REJECTED: ReadonlyArray<readonly [string, string]> = [
  ["2019-01-31T23:00:00", PATTERN], // no zone
  ["2019-01-31 23:00:00Z", PATTERN], // space instead of T
  ["2019-01-31T23:00:00.1234567890Z", PATTERN], // 10 fraction digits
  ["2019-13-01T00:00:00Z", PATTERN], // month 13
  ["2019-01-31T24:00:00Z", PATTERN], // hour 24
  ["2019-01-31", PATTERN], // date only
  ["1548975600", PATTERN], // epoch seconds
  ["2019-01-31T23:00:00z", PATTERN], // lower-case zone
  ["2023-02-29T00:00:00Z", FORMAT], // not a leap year
  ["2024-04-31T00:00:00Z", FORMAT], // April has 30 days
  ["2024-01-04T15:25:10+18:01", FORMAT], // offset beyond ±18:00
  ["2024-01-04T15:25:10+05:60", FORMAT], // 60 offset minutes
];

describe("validateFinding: timestamps", () => {
  for (const value of ACCEPTED) {
    it(`accepts ${value}`, () => {
      assert.deepEqual(
        validateFinding(finding({ CreatedAt: value, UpdatedAt: value, FirstObservedAt: value })),
        [],
      );
    });
  }
  for (const [value, reason] of REJECTED) {
    it(`rejects ${value}`, () => {
      assert.deepEqual(
        validateFinding(finding({ UpdatedAt: value })).map((v) => v.message),
        [`${P}data.UpdatedAt ${reason}.`],
      );
    });
  }
  it("rejects an empty CreatedAt with the length message only", () => {
    assert.deepEqual(
      validateFinding(finding({ CreatedAt: "" })).map((v) => v.message),
      [`${P}data.CreatedAt should NOT be shorter than 1 characters.`],
    );
  });
  it("rejects a timestamp given as a number", () => {
    assert.deepEqual(
      validateFinding(finding({ LastObservedAt: 1_548_975_600 })).map((v) => v.message),
      [`${P}data.LastObservedAt should be string.`],
    );
  });
});

describe("findingSizeBytes / checkFindingSize", () => {
  it("counts UTF-8 bytes of the JSON text, not characters", () => {
    const f = finding({ Description: "é€😀" });
    assert.equal(findingSizeBytes(f), Buffer.byteLength(JSON.stringify(f), "utf8"));
    assert.equal(findingSizeBytes({ a: "é" }), 10); // {"a":"é"} = 8 characters, é is 2 bytes
  });

  it("accepts a finding of exactly 240 KB", () => {
    const f = finding({ ProductFields: { pad: "" } });
    const fill = MAX_FINDING_BYTES - findingSizeBytes(f);
    (f.ProductFields as Record<string, string>).pad = chars(fill);
    assert.equal(findingSizeBytes(f), MAX_FINDING_BYTES);
    assert.equal(checkFindingSize(f), undefined);
  });

  it("rejects a finding one byte over 240 KB, saying its size and the limit", () => {
    const f = finding({ ProductFields: { pad: "" } });
    (f.ProductFields as Record<string, string>).pad = chars(MAX_FINDING_BYTES - findingSizeBytes(f) + 1);
    assert.deepEqual(checkFindingSize(f), {
      path: "data",
      keyword: "maxSize",
      message: `Finding size exceeded 240 KB: the finding is ${MAX_FINDING_BYTES + 1} bytes of UTF-8 JSON, the limit is ${MAX_FINDING_BYTES} bytes.`,
    });
  });

  it("measures a value nested deeper than JSON.stringify can recurse", () => {
    let deep: unknown = "x";
    for (let i = 0; i < 200_000; i++) deep = [deep];
    assert.equal(findingSizeBytes(deep), 200_000 * 2 + 3);
    let deepObject: unknown = 1;
    for (let i = 0; i < 200_000; i++) deepObject = { a: deepObject };
    assert.equal(findingSizeBytes(deepObject), 200_000 * 6 + 1);
  });

  it("throws a TypeError for a cyclic value", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.throws(() => findingSizeBytes(cyclic), TypeError);
  });
});

describe("validateFinding: hostile input", () => {
  it("does not let a __proto__ key change prototypes, and validates it as a map key", () => {
    const parsed = JSON.parse(
      `{"ProductFields": {"__proto__": {"polluted": true}}, "Resources": [{"Type": "Other", "Id": "x", "__proto__": 1}]}`,
    ) as Record<string, unknown>;
    const violations = validateFinding(finding(parsed));
    assert.deepEqual(
      violations.map((v) => v.message),
      [`${P}data.ProductFields.__proto__ should be string.`],
    );
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it("does not follow deep nesting under members the schema does not define", () => {
    let deep: unknown = {};
    for (let i = 0; i < 100_000; i++) deep = { x: deep };
    const f = finding();
    f.Unknown = deep;
    assert.deepEqual(validateFinding(f), []);
  });

  it("rejects deep nesting where a string belongs without recursing into it", () => {
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const f = finding();
    f.Title = deep;
    assert.deepEqual(
      validateFinding(f).map((v) => v.message),
      [`${P}data.Title should be string.`],
    );
  });

  it("checks a 240 KB blank string in linear time (no regular-expression backtracking)", () => {
    // `.*\S.*` backtracks quadratically on blanks; this would take minutes if it ran as written.
    const violations = validateFinding(finding({ Resources: [{ Type: "Other", Id: chars(240_000, " ") }] }));
    assert.deepEqual(
      violations.map((v) => v.message),
      [`${P}data.Resources[0].Id should match pattern ".*\\S.*".`],
    );
  });

  it("shortens a huge property name in the message", () => {
    const [violation] = validateFinding(finding({ UserDefinedFields: { [chars(100_000, "k")]: "v" } }));
    assert.ok(violation);
    assert.ok(violation.message.length < 300, `message of ${violation.message.length} characters`);
  });
});
