/**
 * The precompiled validator with its lazily loaded chunks (`generated/asff-lazy/`) gives exactly
 * the verdicts and messages of ajv compiling the committed schema as it is (every `$ref` resolved
 * in one validator): property-based, over findings whose Details types, lazily loaded members and
 * BatchUpdateFindings requests hold values of every JSON kind.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { _, Ajv, type ValidateFunction } from "ajv";
import fc from "fast-check";
import { newAsffAjv, PRECOMPILED_ROOTS } from "../../../lambdas/core/asff/ajv-setup.ts";
import { type AjvErrorLike, groupAjvErrors } from "../../../lambdas/core/asff/ajv6-messages.ts";
import schemaDocument from "../../../lambdas/core/asff/generated/asff-schema.json" with { type: "json" };
import {
  ASFF_ERROR_PREFIX,
  validateBatchUpdateFields,
  validateFinding,
} from "../../../lambdas/core/asff/validate.ts";
import { LAZY_FINDING_MEMBERS } from "../../../scripts/generate-asff-schema.ts";
import { finding } from "./finding-factory.ts";

type Definition = { properties?: Record<string, { $ref?: string; items?: { $ref?: string } }> };
const definitions = (schemaDocument as unknown as { definitions: Record<string, Definition> }).definitions;

/** The oracle: the whole schema compiled at run time, messages built the way `validate.ts` does. */
const ajv = newAsffAjv({ Ajv, _ });
ajv.addSchema({ $id: "asff", definitions } as object);
const oracleFinding = ajv.compile({ $ref: PRECOMPILED_ROOTS.finding });
const oracleBatchUpdate = ajv.compile({ $ref: PRECOMPILED_ROOTS.batchUpdate });

function oracle(validate: ValidateFunction, data: unknown, prefix: string) {
  if (validate(data)) return [];
  const seen = new Set<string>();
  const out: { path: string; keyword: string; message: string }[] = [];
  for (const group of groupAjvErrors((validate.errors ?? []) as AjvErrorLike[], data)) {
    const message = `${prefix}${group.fragments.join(", ")}.`;
    if (seen.has(message)) continue;
    seen.add(message);
    out.push({ path: group.path, keyword: group.keyword, message });
  }
  return out;
}

/** Member names of the definition `name` refers to (directly or as list items). */
function membersOf(schemaRef: { $ref?: string; items?: { $ref?: string } } | undefined): string[] {
  const ref = schemaRef?.$ref ?? schemaRef?.items?.$ref;
  const target = ref === undefined ? undefined : definitions[ref.slice("#/definitions/".length)];
  return Object.keys(target?.properties ?? {});
}

/** Any JSON value, shallow or nested, with strings of the lengths limits care about. */
const value = fc.letrec((tie) => ({
  any: fc.oneof(
    { depthSize: "small" },
    fc.string({ maxLength: 3 }),
    fc.constantFrom("", " ", "x".repeat(300), "2024-01-01T00:00:00Z", "2024-02-30T00:00:00Z", "aws"),
    fc.integer({ min: -5, max: 100_001 }),
    fc.double({ noNaN: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("any"), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 4 }), tie("any"), { maxKeys: 3 }),
  ),
})).any;

/** An object with some of `members` (the schema's own names, so the checks are reached). */
function objectOf(members: readonly string[]) {
  return members.length === 0
    ? fc.dictionary(fc.string({ maxLength: 4 }), value, { maxKeys: 3 })
    : fc.dictionary(fc.constantFrom(...members), value, { maxKeys: 6 });
}

const detailsTypes = Object.entries(definitions.ResourceDetails?.properties ?? {});
/** `Resources[].DataClassification`, also a lazily loaded chunk, with its nested members' names. */
const classificationRef = definitions.Resource?.properties?.DataClassification;
const classification = fc.oneof(
  objectOf(membersOf(classificationRef)),
  fc.record({ Result: objectOf(membersOf(definitions.DataClassificationDetails?.properties?.Result)) }),
);

describe("precompiled validator with lazily loaded chunks", () => {
  it("reports what the schema compiled as a whole reports, for any Details type and DataClassification", () => {
    const detailsOf = fc
      .constantFrom(...detailsTypes)
      .chain(([name, ref]) => fc.tuple(fc.constant(name), objectOf(membersOf(ref))));
    fc.assert(
      fc.property(
        detailsOf,
        detailsOf,
        fc.boolean(),
        classification,
        ([a, first], [b, second], listed, dc) => {
          const data = finding({
            Resources: [
              {
                Type: "Other",
                Id: "r1",
                Details: { [a]: listed ? [first] : first, [b]: second },
                DataClassification: dc,
              },
              { Type: "Other", Id: "r2", Details: { [b]: second } },
            ],
            // errors before and after Resources: their order around the chunks' errors is kept
            Title: listed ? "" : "t",
            RecordState: listed ? "GONE" : "ACTIVE",
          });
          assert.deepEqual(validateFinding(data), oracle(oracleFinding, data, `${ASFF_ERROR_PREFIX} `));
        },
      ),
      { numRuns: 400 },
    );
  });

  it("reports what the schema compiled as a whole reports, for the lazily loaded finding members", () => {
    const members = definitions.AwsSecurityFinding?.properties ?? {};
    fc.assert(
      fc.property(
        fc
          .subarray([...LAZY_FINDING_MEMBERS], { minLength: 1 })
          .chain((names) =>
            fc.tuple(
              fc.constant(names),
              fc.array(objectOf(membersOf(members[names[0] ?? ""])), { maxLength: 2 }),
              fc.array(value, { minLength: names.length, maxLength: names.length }),
            ),
          ),
        ([names, items, others]) => {
          const extra: Record<string, unknown> = {};
          names.forEach((name, at) => {
            const isList = members[name]?.items !== undefined;
            extra[name] = at === 0 ? (isList ? items : (items[0] ?? {})) : others[at];
          });
          const data = finding(extra);
          assert.deepEqual(validateFinding(data), oracle(oracleFinding, data, `${ASFF_ERROR_PREFIX} `));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("reports what the schema compiled as a whole reports, for BatchUpdateFindings requests", () => {
    const members = Object.keys(definitions.BatchUpdateFindingsRequest?.properties ?? {});
    fc.assert(
      fc.property(objectOf(members), (request) => {
        assert.deepEqual(validateBatchUpdateFields(request), oracle(oracleBatchUpdate, request, ""));
      }),
      { numRuns: 300 },
    );
  });

  it("loads a Details chunk and reports its violations under the finding's path", () => {
    const data = finding({
      Resources: [{ Type: "AwsEc2Instance", Id: "i-1", Details: { AwsEc2Instance: { Type: 5 } } }],
    });
    const violations = validateFinding(data);
    assert.deepEqual(
      violations.map((v) => v.path),
      ["data.Resources[0].Details.AwsEc2Instance.Type"],
    );
    assert.deepEqual(violations, oracle(oracleFinding, data, `${ASFF_ERROR_PREFIX} `));
  });
});
