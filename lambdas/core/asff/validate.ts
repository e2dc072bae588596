/**
 * The ASFF validator: the generated JSON Schema (`generated/asff-schema.json`, built from the
 * Security Hub service model by `scripts/generate-asff-schema.ts`) compiled once with ajv 8, with
 * errors reported in Security Hub's own (ajv 6) wording. Pure: no I/O, no clock.
 *
 * Why a compiled schema and not hand-written checks: the service itself validates with a JSON
 * Schema and ajv, so the same keywords give the same verdicts and the same messages, and the 600+
 * nested shapes (101 `Resources[].Details` types) come from the model instead of from hand-written code.
 */
import { Ajv, type AnySchemaObject, type ErrorObject, type ValidateFunction } from "ajv";
import { type AjvErrorLike, groupAjvErrors } from "./ajv6-messages.ts";
import schemaDocument from "./generated/asff-schema.json" with { type: "json" };
import { MAX_FINDING_BYTES } from "./limits.ts";
import { isAsffTimestamp } from "./timestamp.ts";

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
   * such as `Titel`, stricter than the service.
   */
  readonly unknownProperties?: "ignore" | "reject";
}

/** The prefix Security Hub puts before every schema error of an imported finding. */
export const ASFF_ERROR_PREFIX = "Finding does not adhere to Amazon Finding Format.";

/** The `format` name the generated schema uses for timestamps (pattern + calendar check). */
const TIMESTAMP_FORMAT = "asff-timestamp";
const NON_EMPTY_PATTERN = ".*\\S.*";
/** `.*\S.*` is "contains a non-blank character"; `/\S/` says the same in linear time. */
const NON_EMPTY_FAST = /\S/u;

type Schema = { [key: string]: unknown };
const DEFINITIONS = (schemaDocument as unknown as { definitions: Record<string, Schema> }).definitions;

/**
 * Regular expressions for the schema's `pattern`s. The model's `.*\S.*` backtracks quadratically on
 * long blank strings (a 240 KB string of spaces would take minutes), so it is replaced by an
 * equivalent linear test; the reported pattern text stays the model's.
 */
function regExpFor(pattern: string, flags: string): RegExp {
  return pattern === NON_EMPTY_PATTERN ? NON_EMPTY_FAST : new RegExp(pattern, flags);
}
regExpFor.code = "new RegExp";

function newAjv(): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    messages: false, // the ajv 6 wording is produced in ajv6-messages.ts
    strict: true,
    // the service-required `anyOf` branches constrain objects without `type` or `properties`
    strictTypes: false,
    strictRequired: false,
    code: { regExp: regExpFor },
  });
  ajv.addFormat(TIMESTAMP_FORMAT, { type: "string", validate: isAsffTimestamp });
  return ajv;
}

/** Deep copy of the schema where every structure rejects members it does not define. */
function closedDefinitions(): Record<string, Schema> {
  const out: Record<string, Schema> = {};
  for (const [name, def] of Object.entries(DEFINITIONS)) {
    out[name] = def.properties === undefined ? def : { ...def, additionalProperties: false };
  }
  return out;
}

interface Compiled {
  readonly finding: ValidateFunction;
  readonly batchUpdate: ValidateFunction;
}

const compiled: { open?: Compiled; closed?: Compiled } = {};

/** Compiles on first use (≈ the cost of one cold start), then reuses the functions. */
function validators(unknownProperties: "ignore" | "reject"): Compiled {
  const key = unknownProperties === "reject" ? "closed" : "open";
  const existing = compiled[key];
  if (existing) return existing;
  const definitions = key === "closed" ? closedDefinitions() : DEFINITIONS;
  const ajv = newAjv();
  ajv.addSchema({ $id: "asff", definitions } as AnySchemaObject);
  const made: Compiled = {
    finding: ajv.compile({ $ref: "asff#/definitions/AwsSecurityFinding" }),
    batchUpdate: ajv.compile({ $ref: "asff#/definitions/BatchUpdateFindingsRequest" }),
  };
  compiled[key] = made;
  return made;
}

function run(validate: ValidateFunction, data: unknown, prefix: string): AsffViolation[] {
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
  return run(validators(options.unknownProperties ?? "ignore").finding, finding, `${ASFF_ERROR_PREFIX} `);
}

/**
 * Validates a BatchUpdateFindings request body (`FindingIdentifiers` and the update members Note,
 * Severity, VerificationState, Confidence, Criticality, Types, UserDefinedFields, Workflow,
 * RelatedFindings) against the model's `BatchUpdateFindingsRequest`. Messages carry no prefix,
 * e.g. `data.Note.Text should NOT be longer than 512 characters.` The 100-identifier limit is the
 * engine's (`MAX_FINDINGS_PER_UPDATE`).
 */
export function validateBatchUpdateFields(request: unknown): AsffViolation[] {
  return run(validators("ignore").batchUpdate, request, "");
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
