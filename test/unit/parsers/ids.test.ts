import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { findingId, idTemplate, templateId } from "../../../lambdas/core/parsers/ids.ts";

/** Deterministic pseudo-random strings with the characters that JSON escapes and the slug replaces. */
function randomText(seed: number): string {
  const alphabet = [
    "a",
    "Z",
    "0",
    "-",
    "/",
    " ",
    '"',
    "\\",
    "\n",
    "\u0001",
    "é",
    "\u2028",
    "😀",
    ":",
    "@",
    ".",
  ];
  let x = seed * 2654435761;
  let out = "";
  const length = seed % 23;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out += alphabet[x % alphabet.length];
  }
  return out;
}

describe("idTemplate", () => {
  it("gives findingId's Id for the shared parts followed by the rest", () => {
    for (let seed = 0; seed < 2000; seed++) {
      const tool = seed % 7 === 0 ? randomText(seed + 3) : "trivy";
      const shared = [randomText(seed + 1), randomText(seed + 2)].slice(0, seed % 3);
      const rest = [randomText(seed + 5), randomText(seed + 7), ""].slice(0, seed % 4);
      const rule = randomText(seed + 11) || "CVE-2024-1234";
      assert.equal(
        templateId(idTemplate(tool, shared), rule, rest),
        findingId(tool, rule, [...shared, ...rest]),
        JSON.stringify({ tool, shared, rule, rest }),
      );
    }
  });

  it("keeps the parts apart, as findingId does", () => {
    const template = idTemplate("trivy", ["a/b"]);
    assert.notEqual(templateId(template, "r", ["c"]), templateId(idTemplate("trivy", ["a"]), "r", ["b/c"]));
  });
});
