/**
 * Types of the precompiled ASFF validators (`asff-validators.js`, written by
 * `scripts/generate-asff-schema.ts` with ajv's standalone code generator). Do not edit.
 */
import type { ErrorObject } from "ajv";

/** A precompiled ajv validate function: `true` when valid, otherwise `errors` holds the failures. */
export interface PrecompiledValidate {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

/**
 * Builds the validators. Their run-time dependencies are passed in so the generated code imports
 * nothing: `require` resolves ajv's runtime helpers and, by `asff-lazy:<Definition>`, the validators
 * of the lazily loaded chunks (`asff-lazy/<Definition>.cjs`, which export a function of the same
 * three arguments returning `{ validate }`); `fastRegExp` builds pattern tests and `asffFormats`
 * holds the custom formats.
 */
export declare function createValidators(
  require: (id: string) => unknown,
  fastRegExp: (pattern: string, flags: string) => RegExp,
  asffFormats: Readonly<Record<string, { validate: (value: string) => boolean }>>,
): { finding: PrecompiledValidate; batchUpdate: PrecompiledValidate };
