import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ajv6Reason, groupAjvErrors, toAjv6Path } from "../../../lambdas/core/asff/ajv6-messages.ts";

describe("toAjv6Path", () => {
  const data = { Resources: [{ Type: "" }], ProductFields: { "0": "x", "a/b": "", "it's": "" } };
  it("writes the root as data", () => assert.equal(toAjv6Path("", data), "data"));
  it("writes array indexes in brackets and identifiers after dots", () => {
    assert.equal(toAjv6Path("/Resources/0/Type", data), "data.Resources[0].Type");
  });
  it("quotes an object key that is numeric rather than treating it as an index", () => {
    assert.equal(toAjv6Path("/ProductFields/0", data), "data.ProductFields['0']");
  });
  it("unescapes JSON-pointer ~1 and quotes keys with slashes or quotes", () => {
    assert.equal(toAjv6Path("/ProductFields/a~1b", data), "data.ProductFields['a/b']");
    assert.equal(toAjv6Path("/ProductFields/it's", data), "data.ProductFields['it\\'s']");
  });
});

describe("ajv6Reason", () => {
  const cases: ReadonlyArray<[string, Record<string, unknown>, string]> = [
    ["maxLength", { limit: 256 }, "should NOT be longer than 256 characters"],
    ["minLength", { limit: 1 }, "should NOT be shorter than 1 characters"],
    ["maxItems", { limit: 32 }, "should NOT have more than 32 items"],
    ["minItems", { limit: 1 }, "should NOT have fewer than 1 items"],
    ["maxProperties", { limit: 50 }, "should NOT have more than 50 properties"],
    ["maximum", { comparison: "<=", limit: 100 }, "should be <= 100"],
    ["minimum", { comparison: ">=", limit: 0 }, "should be >= 0"],
    ["type", { type: "string" }, "should be string"],
    ["enum", { allowedValues: ["A"] }, "should be equal to one of the allowed values"],
    ["required", { missingProperty: "Title" }, "should have required property 'Title'"],
    ["pattern", { pattern: "^a$" }, 'should match pattern "^a$"'],
    ["anyOf", {}, "should match some schema in anyOf"],
  ];
  for (const [keyword, params, text] of cases) {
    it(`words ${keyword} as ajv 6 does`, () => {
      assert.equal(ajv6Reason({ keyword, params, instancePath: "", schemaPath: "#" }), text);
    });
  }
});

describe("groupAjvErrors", () => {
  it("folds the first branch of a failed anyOf into one problem", () => {
    const groups = groupAjvErrors(
      [
        {
          keyword: "required",
          instancePath: "",
          schemaPath: "#/allOf/0/anyOf/0/required",
          params: { missingProperty: "A" },
        },
        {
          keyword: "required",
          instancePath: "",
          schemaPath: "#/allOf/0/anyOf/1/required",
          params: { missingProperty: "B" },
        },
        { keyword: "anyOf", instancePath: "", schemaPath: "#/allOf/0/anyOf", params: {} },
      ],
      {},
    );
    assert.deepEqual(
      groups.map((g) => g.fragments),
      [["data should have required property 'A'", "data should match some schema in anyOf"]],
    );
  });
});
