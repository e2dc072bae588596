/**
 * `findingBytesBound`: a proven upper bound on every finding's JSON size lets the engine skip
 * stringifying each finding for the 240 KB rule, with the same answer as without it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { MAX_FINDING_BYTES } from "../../../lambdas/core/asff/limits.ts";
import { findingSizeBytes } from "../../../lambdas/core/asff/validate.ts";
import { batchImportFindings, jsonTextBytesBound } from "../../../lambdas/core/hub/import.ts";
import { context, finding } from "./factories.ts";

/**
 * `{"Findings":[<finding with its Title padded and `extra` members spliced in as raw text>, <a
 * small valid finding unless `alone`>]}`.
 */
function bodyText(id: string, titleChars: number, extraMembers = "", indent?: number, alone = false): string {
  const f = finding({ Id: id, Title: "t".repeat(titleChars) });
  const findings = alone ? [f] : [f, finding({ Id: `${id}-ok` })];
  const json = JSON.stringify({ Findings: findings }, null, indent);
  if (extraMembers === "") return json;
  const marker = `"Id":${indent === undefined ? "" : " "}"${id}"`;
  assert.ok(json.includes(marker));
  return json.replace(marker, `${marker},${extraMembers}`);
}

/** Runs the import of `text` with and without the bound; asserts the same answer; returns it. */
function importBoth(text: string) {
  const bound = jsonTextBytesBound(text);
  const parsed = JSON.parse(text) as { Findings: unknown[] };
  for (const entry of parsed.Findings) assert.ok(bound >= findingSizeBytes(entry));
  const without = batchImportFindings(parsed, new Map(), context());
  const withBound = batchImportFindings(JSON.parse(text), new Map(), context(), { findingBytesBound: bound });
  assert.deepEqual(withBound.response, without.response);
  assert.deepEqual(withBound.outcomes, without.outcomes);
  return { bound, response: withBound.response, size: findingSizeBytes(parsed.Findings[0]) };
}

/** Title length that makes the first finding of `bodyText(id, n, extra)` exactly `target` bytes. */
function titleFor(id: string, target: number, extra = ""): number {
  const probe = JSON.parse(bodyText(id, 0, extra)) as { Findings: unknown[] };
  return target - findingSizeBytes(probe.Findings[0]);
}

/** The findings failed for their size (a padded Title may fail the schema too: not compared here). */
const codes = (r: { FailedFindings: ReadonlyArray<{ Id?: string; ErrorCode?: string }> }) =>
  r.FailedFindings.filter((f) => f.ErrorCode === "FindingSizeExceeded").map((f) => [f.Id, f.ErrorCode]);

describe("findingBytesBound in BatchImportFindings", () => {
  it("passes the size check at exactly 240 KB and fails one byte more, with and without the bound", () => {
    const fits = importBoth(bodyText("edge", titleFor("edge", MAX_FINDING_BYTES)));
    assert.equal(fits.size, MAX_FINDING_BYTES);
    assert.deepEqual(codes(fits.response), []);
    const over = importBoth(bodyText("edge", titleFor("edge", MAX_FINDING_BYTES + 1)));
    assert.equal(over.size, MAX_FINDING_BYTES + 1);
    assert.deepEqual(codes(over.response), [["edge", "FindingSizeExceeded"]]);
  });

  it("skips the check only when the bound is within the limit (a small batch of findings)", () => {
    const small = importBoth(bodyText("small", 100));
    assert.ok(small.bound <= MAX_FINDING_BYTES);
    assert.equal(small.response.SuccessCount, 2);
    assert.equal(small.response.FailedCount, 0);
  });

  it("still fails a finding that exponent literals grow past 240 KB from a body under it", () => {
    // 10,000 × `1e20` is 50 KB of text but 220 KB once written out as 100000000000000000000.
    const extra = `"Numbers":[${Array(10_000).fill("1e20").join(",")}]`;
    const text = bodyText("exp", titleFor("exp", MAX_FINDING_BYTES + 1, extra), extra, undefined, true);
    assert.ok(Buffer.byteLength(text) < MAX_FINDING_BYTES, "the body itself is under 240 KB");
    const r = importBoth(text);
    assert.ok(r.size > MAX_FINDING_BYTES);
    assert.deepEqual(codes(r.response), [["exp", "FindingSizeExceeded"]]);
  });

  it("still fails a finding that 16-digit integers rounding up grow past 240 KB", () => {
    // `9999999999999999` parses to 1e16 and is written back as 10000000000000000 (one byte more).
    const extra = `"Numbers":[${Array(1_000).fill("9999999999999999").join(",")}]`;
    const target = MAX_FINDING_BYTES + 1;
    const text = bodyText("nines", titleFor("nines", target, extra), extra, undefined, true);
    assert.ok(Buffer.byteLength(text) < MAX_FINDING_BYTES, "the body itself is under 240 KB");
    const r = importBoth(text);
    assert.equal(r.size, target);
    assert.deepEqual(codes(r.response), [["nines", "FindingSizeExceeded"]]);
  });

  it("gives the same answers for pretty-printed bodies and escaped characters", () => {
    const escapes = `"Note":"caf\\u00e9 \\/ \\"q\\" \\n \\ud83d\\ude00"`;
    for (const indent of [undefined, 2]) {
      for (const target of [MAX_FINDING_BYTES - 1, MAX_FINDING_BYTES, MAX_FINDING_BYTES + 1]) {
        const probe = JSON.parse(bodyText("esc", 0, escapes, indent)) as { Findings: unknown[] };
        const title = target - findingSizeBytes(probe.Findings[0]);
        const r = importBoth(bodyText("esc", title, escapes, indent));
        assert.equal(r.size, target);
        const expected = target > MAX_FINDING_BYTES ? [["esc", "FindingSizeExceeded"]] : [];
        assert.deepEqual(codes(r.response), expected);
      }
    }
  });
});

/** JSON number literals, weighted to the forms whose stringified size can grow. */
const numberLiteral = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.integer({ min: 1, max: 30 }).map((n) => "9".repeat(n)),
  fc
    .tuple(
      fc.constantFrom("", "-"),
      fc.stringMatching(/^[1-9][0-9]{0,20}$/),
      fc.stringMatching(/^(\.[0-9]{1,20})?$/),
      fc.constantFrom("e", "E", "e+", "E-", "e-"),
      fc.integer({ min: 0, max: 330 }),
    )
    .map(([sign, int, frac, e, exp]) => `${sign}${int}${frac}${e}${exp}`),
  fc.stringMatching(/^-?(0|[1-9][0-9]{0,25})(\.[0-9]{1,25})?$/),
);

/** JSON string literals with raw and escaped characters (all legal JSON escapes). */
const stringLiteral = fc
  .array(
    fc.oneof(
      fc.string({ unit: "binary", maxLength: 4 }).map((s) => JSON.stringify(s).slice(1, -1)),
      fc.constantFrom(
        "\\/",
        '\\"',
        "\\\\",
        "\\b",
        "\\f",
        "\\n",
        "\\r",
        "\\t",
        "\\u00e9",
        "\\u0000",
        "\\u2028",
      ),
      fc.integer({ min: 0, max: 0xffff }).map((c) => `\\u${c.toString(16).padStart(4, "0")}`),
    ),
    { maxLength: 6 },
  )
  .map((parts) => `"${parts.join("")}"`);

const space = fc.constantFrom("", " ", "\n  ", "\t");

const jsonText: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    numberLiteral,
    stringLiteral,
    fc.constantFrom("true", "false", "null"),
    fc
      .array(fc.tuple(space, tie("value"), space), { maxLength: 5 })
      .map((items) => `[${items.map(([a, v, b]) => `${a}${v}${b}`).join(",")}]`),
    fc
      .array(fc.tuple(stringLiteral, space, tie("value")), { maxLength: 5 })
      .map((members) => `{${members.map(([k, s, v]) => `${k}${s}:${s}${v}`).join(",")}}`),
  ),
})).value;

describe("jsonTextBytesBound", () => {
  it("is at least the UTF-8 JSON size of the parsed value and of every value inside it", () => {
    fc.assert(
      fc.property(jsonText, (text) => {
        const bound = jsonTextBytesBound(text);
        const stack: unknown[] = [JSON.parse(text)];
        while (stack.length > 0) {
          const v = stack.pop();
          assert.ok(bound >= findingSizeBytes(v), `${text}: bound ${bound} < ${findingSizeBytes(v)}`);
          if (v !== null && typeof v === "object") stack.push(...Object.values(v));
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it("is at least the size of random findings, compact and pretty-printed", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 8 }),
        fc.constantFrom(undefined, 1, 4),
        (extra, indent) => {
          const f = { ...finding(), ...extra };
          const text = JSON.stringify({ Findings: [f] }, null, indent);
          assert.ok(jsonTextBytesBound(text) >= findingSizeBytes(JSON.parse(text).Findings[0]));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("charges the growth of exponent literals and of 16-digit integers", () => {
    assert.equal(jsonTextBytesBound("1e20"), 4 + 17);
    assert.equal(findingSizeBytes(JSON.parse("1e20")), 21);
    assert.equal(jsonTextBytesBound("9999999999999999"), 16 + 17);
    assert.equal(findingSizeBytes(JSON.parse("9999999999999999")), 17);
    assert.equal(jsonTextBytesBound('"é"'), 4);
  });
});
