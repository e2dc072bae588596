/** The generated schema: reproducible from the model, complete, and read from the documentation correctly. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import schemaDocument from "../../../lambdas/core/asff/generated/asff-schema.json" with { type: "json" };
import {
  generateSchema,
  generateValidatorsModule,
  limitsFromDocumentation,
} from "../../../scripts/generate-asff-schema.ts";

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
