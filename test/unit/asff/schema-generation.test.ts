/** The generated schema: reproducible from the model, complete, and read from the documentation correctly. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import schemaDocument from "../../../lambdas/core/asff/generated/asff-schema.json" with { type: "json" };
import { validateFinding } from "../../../lambdas/core/asff/validate.ts";
import {
  generateSchema,
  generateValidatorsModule,
  limitsFromDocumentation,
  withCachedLazyRefs,
  withLengthShortcuts,
} from "../../../scripts/generate-asff-schema.ts";
import { finding } from "./finding-factory.ts";

const MODEL =
  "/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages/botocore/data/securityhub/2018-10-26/service-2.json.gz";

type Defs = Record<string, { properties?: Record<string, unknown>; required?: string[] }>;
const definitions = (schemaDocument as unknown as { definitions: Defs }).definitions;

describe("limitsFromDocumentation", () => {
  it("reads 'Minimum length of N. Maximum length of M.'", () => {
    const limits = limitsFromDocumentation(
      "<p>Length Constraints: Minimum length of 1. Maximum length of 256.</p>",
    );
    assert.deepEqual([limits.minLength, limits.maxLength], [1, 256]);
  });
  it("reads 'Minimum of N length. Maximum of M length.'", () => {
    const limits = limitsFromDocumentation(
      "<p>Length Constraints: Minimum of 1 length. Maximum of 128 length.</p>",
    );
    assert.deepEqual([limits.minLength, limits.maxLength], [1, 128]);
  });
  it("reads a single 'Length Constraints: N.' as a maximum", () => {
    assert.equal(limitsFromDocumentation("<p>Length Constraints: 128.</p>").maxLength, 128);
  });
  it("reads list sizes", () => {
    const limits = limitsFromDocumentation(
      "<p>Array Members: Minimum number of 1 item. Maximum number of 32 items.</p>",
    );
    assert.deepEqual([limits.minItems, limits.maxItems], [1, 32]);
  });
  it("reads map sizes", () => {
    const limits = limitsFromDocumentation(
      "<p>Can contain up to 50 key-value pairs. For each key-value pair, the key can contain up to 128 characters, and the value can contain up to 2048 characters.</p>",
    );
    assert.deepEqual([limits.maxProperties, limits.keyMaxLength, limits.valueMaxLength], [50, 128, 2048]);
  });
  it("marks members that link the Timestamps section", () => {
    assert.equal(
      limitsFromDocumentation('<a href="https://x/Welcome.html#timestamps">Timestamps</a>').timestamp,
      true,
    );
    assert.equal(limitsFromDocumentation("<p>The time.</p>").timestamp, false);
  });
});

describe("generated asff-schema.json", () => {
  it("covers the 101 Resources[].Details types of spec §1.9", () => {
    const details = Object.keys(definitions.ResourceDetails?.properties ?? {});
    assert.equal(details.length, 101);
    for (const name of [
      "AwsEc2Instance",
      "AwsS3Bucket",
      "Container",
      "Other",
      "CodeRepository",
      "AzureResource",
    ]) {
      assert.ok(details.includes(name), name);
    }
  });
  it("keeps the model's 10 required attributes", () => {
    assert.deepEqual([...(definitions.AwsSecurityFinding?.required ?? [])].sort(), [
      "AwsAccountId",
      "CreatedAt",
      "Description",
      "GeneratorId",
      "Id",
      "ProductArn",
      "Resources",
      "SchemaVersion",
      "Title",
      "UpdatedAt",
    ]);
  });
  it("is what the generator makes from the botocore model on this machine", {
    skip: existsSync(MODEL) ? false : `botocore model not installed at ${MODEL}`,
  }, () => {
    const text = gunzipSync(readFileSync(MODEL));
    const digest = createHash("sha256").update(text).digest("hex");
    const regenerated = generateSchema(JSON.parse(text.toString("utf8")), digest);
    assert.deepEqual(regenerated, schemaDocument);
  });
  it("ships precompiled validators that match the committed schema", () => {
    const committed = readFileSync(
      new URL("../../../lambdas/core/asff/generated/asff-validators.js", import.meta.url),
      "utf8",
    );
    assert.ok(
      generateValidatorsModule(schemaDocument as unknown as Record<string, never>) === committed,
      "asff-validators.js is out of date: run node --import tsx scripts/generate-asff-schema.ts",
    );
  });
});

describe("withLengthShortcuts / withCachedLazyRefs (generated code)", () => {
  it("checks the UTF-16 length first and counts code points only when that cannot decide", () => {
    const code =
      'const func2 = require("ajv/dist/runtime/ucs2length").default;if(func2(data0) > 256){}if(func2(data0) < 1){}if(func2(key0) < 12){}';
    assert.equal(
      withLengthShortcuts(code),
      'const func2 = require("ajv/dist/runtime/ucs2length").default;if((data0.length > 256 && func2(data0) > 256)){}if(data0.length < 1){}if((key0.length < 12 || (key0.length < 24 && func2(key0) < 12))){}',
    );
  });
  it("leaves code without the length helper alone", () => {
    assert.equal(withLengthShortcuts("if(x.length > 3){}"), "if(x.length > 3){}");
  });
  it("resolves each lazily loaded validator once per module", () => {
    const out = withCachedLazyRefs(
      'const lazy0 = require("asff-lazy:A");const lazy1 = require("asff-lazy:B");const lazy2 = require("asff-lazy:A");',
    );
    assert.equal(
      out,
      'let lazyRef0, lazyRef1;\nconst lazy0 = (lazyRef0 ??= require("asff-lazy:A"));const lazy1 = (lazyRef1 ??= require("asff-lazy:B"));const lazy2 = (lazyRef0 ??= require("asff-lazy:A"));',
    );
  });
});

describe("length limits in code points at the boundaries (the shortcuts keep ajv's verdicts)", () => {
  const emoji = "😀"; // one code point, two UTF-16 units
  it("accepts a Title of 256 code points that is 512 UTF-16 units long", () => {
    assert.deepEqual(validateFinding(finding({ Title: emoji.repeat(256) })), []);
  });
  it("rejects a Title of 257 code points", () => {
    assert.deepEqual(
      validateFinding(finding({ Title: emoji.repeat(257) })).map((v) => v.keyword),
      ["maxLength"],
    );
  });
  it("rejects an AwsAccountId of 12 UTF-16 units but 6 code points (minLength 12)", () => {
    const violations = validateFinding(finding({ AwsAccountId: emoji.repeat(6) }));
    assert.ok(violations.some((v) => v.keyword === "minLength" && v.path === "data.AwsAccountId"));
  });
  it("accepts an AwsAccountId of 12 code points", () => {
    assert.deepEqual(validateFinding(finding({ AwsAccountId: "123456789012" })), []);
  });
});
