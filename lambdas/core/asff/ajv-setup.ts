/**
 * The one ajv 8 configuration of the ASFF validator, shared by the run-time compiler (`validate.ts`,
 * strict mode only) and the generator that precompiles the schema to `generated/asff-validators.js`
 * and `generated/asff-lazy/*.cjs` (`scripts/generate-asff-schema.ts`), so both validate the same
 * way.
 *
 * Why ajv is only a type import here: the Lambda bundle loads the precompiled validators and must
 * not carry ajv (about 120 KB) nor parse it at cold start. The ajv package is passed in by whoever
 * compiles (`AjvPackage`).
 */
import type { Ajv, _ as codeTag, Options } from "ajv";
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

/** What {@link newAsffAjv} needs from the ajv package: passed in, so this module never loads ajv. */
export interface AjvPackage {
  readonly Ajv: typeof Ajv;
  readonly _: typeof codeTag;
}

/**
 * A new ajv instance with the validator's options: all errors (Security Hub-style messages are
 * built from them, so ajv's own are off), strict schema checks except the two the
 * service-required `anyOf` branches need, the linear `.*\S.*`, and the timestamp format.
 */
export function newAsffAjv(ajv: AjvPackage, precompile = false): Ajv {
  const options: Options = {
    allErrors: true,
    messages: false,
    strict: true,
    // the service-required `anyOf` branches constrain objects without `type` or `properties`
    strictTypes: false,
    strictRequired: false,
    code: precompile
      ? { source: true, esm: false, regExp: fastRegExp, formats: ajv._`asffFormats`, optimize: true }
      : { regExp: fastRegExp },
    // Precompiled: every definition's code once, called where used, instead of copied into each
    // user (about 8% less generated code; errors and their order are the same).
    ...(precompile ? { inlineRefs: false } : {}),
  };
  const instance = new ajv.Ajv(options);
  instance.addFormat(TIMESTAMP_FORMAT, asffFormats[TIMESTAMP_FORMAT]);
  return instance;
}

/** Names under which the precompiled module exports each validator, and the definition each checks. */
export const PRECOMPILED_ROOTS = {
  finding: "asff#/definitions/AwsSecurityFinding",
  batchUpdate: "asff#/definitions/BatchUpdateFindingsRequest",
} as const;

/**
 * The schema keyword (generator only) that stands for `$ref` to a definition whose validator is a
 * separate, lazily loaded chunk: `{ "asffLazyRef": "AwsEc2InstanceDetails" }`.
 */
export const LAZY_REF_KEYWORD = "asffLazyRef";
/**
 * Precompiled code asks its `require` for a lazily loaded validator by this prefix and the
 * definition name: `require("asff-lazy:AwsEc2InstanceDetails")` returns that validate function.
 */
export const LAZY_REF_PREFIX = "asff-lazy:";
/**
 * Where the lazily loaded chunks live, relative to `validate.ts` in the source tree and relative to
 * the handler file in a Lambda bundle (the house function copies the directory there):
 * `<dir>/<definition>.cjs`.
 */
export const LAZY_CHUNK_DIR = "generated/asff-lazy";
