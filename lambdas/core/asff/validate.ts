/**
 * The ASFF validator: the JSON Schema generated from the Security Hub service model
 * (`generated/asff-schema.json`, by `scripts/generate-asff-schema.ts`), precompiled with ajv 8's
 * standalone code generator (`generated/asff-validators.js`), with errors reported in Security
 * Hub's own (ajv 6) wording. Pure: no I/O, no clock.
 *
 * Why a compiled schema and not hand-written checks: the service itself validates with a JSON
 * Schema and ajv, so the same keywords give the same verdicts and the same messages, and the 600+
 * nested shapes (101 `Resources[].Details` types) come from the model, not from hand-written code.
 * Why precompiled: compiling the schema takes about a second, on every cold start; loading the
 * generated functions takes a fraction of that. The 101 `Resources[].Details` types are 85% of
 * that code, so each (and a few rarely used finding members) is a separate chunk
 * (`generated/asff-lazy/<Definition>.cjs`) loaded synchronously the first time a finding needs it: the Lambda bundle stays small and its
 * cold start short. Loading a generated module is the only thing this file does besides
 * computing; it reads no other file.
 */

import { createRequire } from "node:module";
import type { AnySchemaObject, ErrorObject } from "ajv";
import ucs2lengthModule from "ajv/dist/runtime/ucs2length.js";
import { memoizeBounded } from "../bounded-memo.ts";
import { ConfigurationError } from "../errors.ts";
import {
  type AjvPackage,
  asffFormats,
  fastRegExp,
  LAZY_CHUNK_DIR,
  LAZY_REF_PREFIX,
  newAsffAjv,
  PRECOMPILED_ROOTS,
} from "./ajv-setup.ts";
import { type AjvErrorLike, groupAjvErrors } from "./ajv6-messages.ts";
import { createValidators, type PrecompiledValidate } from "./generated/asff-validators.js";
import { MAX_FINDING_BYTES } from "./limits.ts";

/** One thing wrong with a finding (or a BatchUpdateFindings request), in Security Hub's words. */
export type AsffViolation = {
  /** ajv 6 style path of the offending value: `data`, `data.Title`, `data.Resources[0].Type`. */
  path: string;
  /** The JSON Schema keyword that failed: `required`, `maxLength`, `pattern`, `enum`, `anyOf`, `maxSize`, ... */
  keyword: string;
  /**
   * The full message. For findings: `Finding does not adhere to Amazon Finding Format. data.Title
   * should NOT be longer than 256 characters.`; for BatchUpdateFindings fields, without the prefix.
   */
  message: string;
};

/** Options of `validateFinding`. */
export interface ValidateFindingOptions {
  /**
   * `"ignore"` (default, as Security Hub's model does): members the schema does not know are not
   * checked. `"reject"`: report them as `should NOT have additional properties` — a lint for typos
   * such as `Titel`, stricter than the service. Compiled on first use (about a second).
   */
  readonly unknownProperties?: "ignore" | "reject";
}

/** The prefix Security Hub puts before every schema error of an imported finding. */
export const ASFF_ERROR_PREFIX = "Finding does not adhere to Amazon Finding Format.";

type Schema = { [key: string]: unknown };

interface Validators {
  readonly finding: PrecompiledValidate;
  readonly batchUpdate: PrecompiledValidate;
}

const cache: { open?: Validators; closed?: Validators } = {};

/**
 * ajv's unicode-aware string length, as `{ default }` the way the precompiled code expects it.
 * A CommonJS module: loaders differ on whether the default import is `module.exports` or its
 * `default`, so both are handled.
 */
const UCS2LENGTH = { default: fastUcs2length(commonJsDefault(ucs2lengthModule) as (s: string) => number) };

// Hot path: every string with a maxLength is measured, 100,000 findings at a time. A string without
// surrogates has one code point per UTF-16 unit, which a native regular-expression scan shows
// faster than ajv's character loop; strings with surrogates still go to ajv's own count.
const SURROGATE_RE = /[\ud800-\udfff]/;
function fastUcs2length(count: (s: string) => number): (s: string) => number {
  return (s) => (SURROGATE_RE.test(s) ? count(s) : s.length);
}

/**
 * The custom formats with each check remembered for recent values: a report's findings share a
 * handful of timestamps (the scan time, vendor dates), each otherwise parsed again per finding.
 * The checks are pure, so a remembered answer is the answer.
 */
const FORMATS = memoizedFormats(asffFormats);

function memoizedFormats<F extends Record<string, { type: "string"; validate: (value: string) => boolean }>>(
  formats: F,
): F {
  const out: Record<string, { type: "string"; validate: (value: string) => boolean }> = {};
  for (const [name, format] of Object.entries(formats)) {
    out[name] = { type: format.type, validate: memoizeBounded(format.validate, 256) };
  }
  return out as F;
}

function commonJsDefault(imported: unknown): unknown {
  return typeof imported === "function" ? imported : (imported as { default: unknown }).default;
}

/**
 * Loads modules that are not imported up front: the Details chunks and, for strict mode only, ajv
 * and the schema. Relative to this file in the source tree, relative to the handler in a Lambda
 * bundle (where the house function copies `generated/asff-lazy`, and which has no ajv).
 */
const lazyRequire = createRequire(import.meta.url);

/** The Details validators loaded so far, by definition name. */
const lazyValidators = new Map<string, PrecompiledValidate>();

type ValidatorsFactory = (
  require: (id: string) => unknown,
  regExp: typeof fastRegExp,
  formats: typeof asffFormats,
) => { validate: PrecompiledValidate };

/** The validator of one `Resources[].Details` type, from its chunk (loaded on first use). */
function lazyValidator(definition: string): PrecompiledValidate {
  const loaded = lazyValidators.get(definition);
  if (loaded !== undefined) return loaded;
  const file = `./${LAZY_CHUNK_DIR}/${definition}.cjs`;
  let factory: ValidatorsFactory;
  try {
    factory = lazyRequire(file) as ValidatorsFactory;
  } catch (error) {
    throw new ConfigurationError(
      `The ASFF validator of ${definition} (${file}) cannot be loaded next to ${import.meta.url}: bundles must ship lambdas/core/asff/${LAZY_CHUNK_DIR} beside the handler (lib/house-function.ts does), and the source tree must be regenerated with scripts/generate-asff-schema.ts.`,
      { cause: error },
    );
  }
  const validate = factory(runtimeHelper, fastRegExp, FORMATS).validate;
  lazyValidators.set(definition, validate);
  return validate;
}

/** ajv's precompiled code asks for its run-time helper and the lazily loaded validators by id. */
function runtimeHelper(id: string): unknown {
  if (id === "ajv/dist/runtime/ucs2length") return UCS2LENGTH;
  if (id.startsWith(LAZY_REF_PREFIX)) return lazyValidator(id.slice(LAZY_REF_PREFIX.length));
  throw new Error(`asff-validators.js needs ${id}: re-run scripts/generate-asff-schema.ts`);
}

/** The precompiled validators of the committed schema (built on first use, then reused). */
function openValidators(): Validators {
  cache.open ??= createValidators(runtimeHelper, fastRegExp, FORMATS);
  return cache.open;
}

/** The schema with every structure closed to members it does not define, compiled at run time. */
function closedValidators(): Validators {
  if (cache.closed) return cache.closed;
  let ajvPackage: AjvPackage;
  let schemaDocument: { definitions: Record<string, Schema> };
  try {
    // Loaded here, not imported: only strict mode compiles, and the Lambda bundle carries neither.
    ajvPackage = lazyRequire("ajv") as AjvPackage;
    schemaDocument = lazyRequire("./generated/asff-schema.json") as typeof schemaDocument;
  } catch (error) {
    throw new ConfigurationError(
      'unknownProperties: "reject" compiles the ASFF schema at run time and needs the ajv package and generated/asff-schema.json, which this bundle does not ship; use the default ("ignore") here.',
      { cause: error },
    );
  }
  const definitions: Record<string, Schema> = {};
  for (const [name, def] of Object.entries(schemaDocument.definitions)) {
    definitions[name] = def.properties === undefined ? def : { ...def, additionalProperties: false };
  }
  const ajv = newAsffAjv(ajvPackage);
  ajv.addSchema({ $id: "asff", definitions } as AnySchemaObject);
  cache.closed = {
    finding: ajv.compile({ $ref: PRECOMPILED_ROOTS.finding }),
    batchUpdate: ajv.compile({ $ref: PRECOMPILED_ROOTS.batchUpdate }),
  };
  return cache.closed;
}

function run(validate: PrecompiledValidate, data: unknown, prefix: string): AsffViolation[] {
  if (validate(data)) return [];
  const errors = (validate.errors ?? []) as ErrorObject[];
  const seen = new Set<string>();
  const violations: AsffViolation[] = [];
  for (const group of groupAjvErrors(errors as AjvErrorLike[], data)) {
    const message = `${prefix}${group.fragments.join(", ")}.`;
    // Severity and Types both missing with no FindingProviderFields give the same sentence twice.
    if (seen.has(message)) continue;
    seen.add(message);
    violations.push({ path: group.path, keyword: group.keyword, message });
  }
  return violations;
}

/**
 * Validates one ASFF finding against the 2018-10-08 format as Security Hub does for
 * BatchImportFindings: required attributes (Severity and Types top-level or in
 * FindingProviderFields), string lengths, list and map sizes, enums, ranges, the Types pattern and
 * timestamps, in every nested object. Returns `[]` for a valid finding. Never throws on any JSON
 * input; the size limit is separate (`checkFindingSize`).
 */
export function validateFinding(finding: unknown, options: ValidateFindingOptions = {}): AsffViolation[] {
  const validators = options.unknownProperties === "reject" ? closedValidators() : openValidators();
  return run(validators.finding, finding, `${ASFF_ERROR_PREFIX} `);
}

/**
 * Validates a BatchUpdateFindings request body (`FindingIdentifiers` and the update members Note,
 * Severity, VerificationState, Confidence, Criticality, Types, UserDefinedFields, Workflow,
 * RelatedFindings) against the model's `BatchUpdateFindingsRequest`. Messages carry no prefix,
 * e.g. `data.Note.Text should NOT be longer than 512 characters.` The 100-identifier limit is the
 * engine's (`MAX_FINDINGS_PER_UPDATE`).
 */
export function validateBatchUpdateFields(request: unknown): AsffViolation[] {
  return run(openValidators().batchUpdate, request, "");
}

/**
 * UTF-8 bytes of `JSON.stringify(finding)`: what Security Hub counts against 240 KB. Values too
 * deeply nested for `JSON.stringify` are measured without recursion. Throws `TypeError` for values
 * JSON cannot represent (cycles, BigInt).
 */
export function findingSizeBytes(finding: unknown): number {
  let json: string | undefined;
  try {
    json = JSON.stringify(finding);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return iterativeJsonBytes(finding);
  }
  return json === undefined ? 0 : Buffer.byteLength(json, "utf8");
}

/** The size check (240 KB of UTF-8 JSON); `undefined` when the finding fits. */
export function checkFindingSize(finding: unknown): AsffViolation | undefined {
  const bytes = findingSizeBytes(finding);
  if (bytes <= MAX_FINDING_BYTES) return undefined;
  return {
    path: "data",
    keyword: "maxSize",
    message: `Finding size exceeded 240 KB: the finding is ${bytes} bytes of UTF-8 JSON, the limit is ${MAX_FINDING_BYTES} bytes.`,
  };
}

const MAX_VISITED_NODES = 50_000_000;

/** JSON size without recursion, for inputs nested deeper than the call stack. */
function iterativeJsonBytes(value: unknown): number {
  let bytes = 0;
  const stack: unknown[] = [value];
  let visited = 0;
  while (stack.length > 0) {
    // A cycle nested deeper than the call stack would loop forever: bound the walk instead.
    visited += 1;
    if (visited > MAX_VISITED_NODES)
      throw new TypeError("Converting circular or oversized structure to JSON");
    const node = stack.pop();
    if (node === null || typeof node !== "object") {
      const text = JSON.stringify(node);
      bytes += text === undefined ? 4 : Buffer.byteLength(text, "utf8"); // undefined in arrays → null
      continue;
    }
    if (Array.isArray(node)) {
      bytes += 2 + Math.max(0, node.length - 1);
      for (const item of node) stack.push(item);
    } else {
      const entries = Object.entries(node).filter(([, v]) => v !== undefined && typeof v !== "function");
      bytes += 2 + Math.max(0, entries.length - 1);
      for (const [key, v] of entries) {
        bytes += Buffer.byteLength(JSON.stringify(key), "utf8") + 1;
        stack.push(v);
      }
    }
  }
  return bytes;
}
