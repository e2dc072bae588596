/**
 * The one ajv 8 configuration of the ASFF validator, shared by the run-time compiler (`validate.ts`)
 * and the generator that precompiles the schema to `generated/asff-validators.js`
 * (`scripts/generate-asff-schema.ts`), so both validate the same way.
 */
import { _, Ajv, type Options } from "ajv";
import { isAsffTimestamp } from "./timestamp.ts";

/** The `format` name the generated schema uses for timestamps (pattern + calendar check). */
export const TIMESTAMP_FORMAT = "asff-timestamp";
/** The model's `NonEmptyString` pattern. */
export const NON_EMPTY_PATTERN = ".*\\S.*";
/** `.*\S.*` means "contains a non-blank character"; `/\S/u` says the same in linear time. */
const NON_EMPTY_FAST = /\S/u;

/**
 * Regular expressions for the schema's `pattern`s. The model's `.*\S.*` backtracks quadratically
 * on long blank strings (a 240 KB string of spaces takes minutes), so it is replaced by an
 * equivalent linear test; messages keep the model's pattern text.
 */
export function fastRegExp(pattern: string, flags: string): RegExp {
  return pattern === NON_EMPTY_PATTERN ? NON_EMPTY_FAST : new RegExp(pattern, flags);
}
// How precompiled code refers to this function (see `createValidators` in the generated module).
fastRegExp.code = "fastRegExp";

/** The custom formats, by name; precompiled code receives this object as `asffFormats`. */
export const asffFormats = {
  [TIMESTAMP_FORMAT]: { type: "string" as const, validate: isAsffTimestamp },
};

/**
 * A new ajv instance with the validator's options: all errors (Security Hub-style messages are
 * built from them, so ajv's own are off), strict schema checks except the two the
 * service-required `anyOf` branches need, the linear `.*\S.*`, and the timestamp format.
 */
export function newAsffAjv(precompile = false): Ajv {
  const options: Options = {
    allErrors: true,
    messages: false,
    strict: true,
    // the service-required `anyOf` branches constrain objects without `type` or `properties`
    strictTypes: false,
    strictRequired: false,
    code: precompile
      ? { source: true, esm: false, regExp: fastRegExp, formats: _`asffFormats`, optimize: true }
      : { regExp: fastRegExp },
  };
  const ajv = new Ajv(options);
  ajv.addFormat(TIMESTAMP_FORMAT, asffFormats[TIMESTAMP_FORMAT]);
  return ajv;
}

/** Names under which the precompiled module exports each validator, and the definition each checks. */
export const PRECOMPILED_ROOTS = {
  finding: "asff#/definitions/AwsSecurityFinding",
  batchUpdate: "asff#/definitions/BatchUpdateFindingsRequest",
} as const;
