/**
 * Generates `lambdas/core/asff/generated/asff-schema.json`, the JSON Schema (draft-07) of ASFF
 * 2018-10-08 and of the BatchUpdateFindings request, from the botocore Security Hub service model.
 *
 * It also precompiles the schema with ajv's standalone code generator, so run time loads ready-made
 * validate functions instead of compiling 600+ definitions on every cold start:
 * - `generated/asff-validators.js`: the finding and BatchUpdateFindings validators, except
 * - `generated/asff-lazy/<Definition>.cjs`: one chunk per `Resources[].Details` type and per
 *   rarely filled finding member (`LAZY_FINDING_MEMBERS`), loaded on first use. The 101 Details
 *   types are 85% of the generated code and a finding rarely carries more than one of them;
 *   keeping them out of the main module keeps the Lambda bundle under 1 MB and its cold start
 *   short (see `bench/lambda.bench.ts`).
 *
 * Usage: node --import tsx scripts/generate-asff-schema.ts [--model PATH] [--out DIR] [--check]
 *   --model  the botocore `service-2.json` or `service-2.json.gz` (default: the python botocore install)
 *   --out    the directory to write into (default: lambdas/core/asff/generated)
 *   --check  do not write; exit 1 when a committed file differs from what would be generated
 *
 * The schema is committed so nothing needs botocore at run time. What goes in, and why:
 * - every structure reachable from `AwsSecurityFinding` and `BatchUpdateFindingsRequest` becomes a
 *   definition with its members and `required` list; lists, maps, enums and numeric ranges come from
 *   the model's shape traits;
 * - the model types nearly every string as `NonEmptyString` (`.*\S.*`, which implies at least one
 *   character); the real length limits live only in the member documentation ("Length Constraints:
 *   Minimum length of 1. Maximum length of 256.", "Array Members: Maximum number of 50 items.",
 *   "up to 50 key-value pairs ... key ... 128 characters ... value ... 2048 characters"), so they are
 *   parsed from there;
 * - timestamps are strings whose documentation links the API reference's "Timestamps" section; they
 *   get the ASFF timestamp pattern (`timestamp.ts`) and a calendar check (`format: asff-timestamp`);
 * - limits that the spec (`securityhub-semantics.md` §1) documents but the model does not are applied
 *   from the OVERLAYS table below, each with its source. Members newer than the installed model
 *   (the 2026 `Resource.Provider`, `Resource.Owner`, `ResourceDetails.AzureResource`, three more
 *   `Partition` values) are added the same way, matching `@aws-sdk/client-securityhub`.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { _, Ajv, type KeywordCxt, nil } from "ajv";
import namesModule from "ajv/dist/compile/names.js";
import standaloneModule from "ajv/dist/standalone/index.js";
import codeModule from "ajv/dist/vocabularies/code.js";
import {
  LAZY_CHUNK_DIR,
  LAZY_REF_KEYWORD,
  LAZY_REF_PREFIX,
  NON_EMPTY_PATTERN,
  newAsffAjv,
  PRECOMPILED_ROOTS,
  TIMESTAMP_FORMAT,
} from "../lambdas/core/asff/ajv-setup.ts";
import { ASFF_SCHEMA_VERSION } from "../lambdas/core/asff/limits.ts";
import { ASFF_TIMESTAMP_PATTERN } from "../lambdas/core/asff/timestamp.ts";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = { [key: string]: Json };

interface ModelMember {
  shape: string;
  documentation?: string;
}
interface ModelShape {
  type: string;
  members?: Record<string, ModelMember>;
  required?: string[];
  member?: ModelMember;
  key?: ModelMember;
  value?: ModelMember;
  enum?: string[];
  min?: number;
  max?: number;
  pattern?: string;
}
interface Model {
  metadata: { apiVersion: string; uid?: string };
  shapes: Record<string, ModelShape>;
}

/** The pattern Security Hub applies to every `Types` entry (error text seen in prowler #2519). */
export const TYPES_PATTERN = "^([^/]+)(/[^/]+){0,2}$";
/** The model's `NonEmptyString` pattern. */
const ROOTS = ["AwsSecurityFinding", "BatchUpdateFindingsRequest"] as const;

const here = dirname(fileURLToPath(import.meta.url));
const DEFAULT_MODEL =
  "/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages/botocore/data/securityhub/2018-10-26/service-2.json.gz";
const DEFAULT_OUT = join(here, "..", "lambdas", "core", "asff", "generated");
const SCHEMA_FILE = "asff-schema.json";
const VALIDATORS_FILE = "asff-validators.js";
/** The chunks' directory inside the output directory (`validate.ts` loads them from there). */
const CHUNK_SUBDIR = basename(LAZY_CHUNK_DIR);

const MAP_50_128_1024: Schema = {
  maxProperties: 50,
  propertyNames: { maxLength: 128 },
  additionalProperties: { maxLength: 1024 },
};
const PATCH_COUNT: Schema = { minimum: 0, maximum: 100_000 };

/**
 * Constraints the spec documents and the model does not (or not for this member). Each entry is
 * merged into the generated member schema; nested objects (`propertyNames`, `additionalProperties`,
 * `items`) are merged one level deep. Source in the comment.
 */
const OVERLAYS: Record<string, Schema> = {
  // §1.1 "only 2018-10-08 exists" (UG required attributes: must be a published version).
  "AwsSecurityFinding.SchemaVersion": { enum: [ASFF_SCHEMA_VERSION] },
  // §1.1: exactly 12 characters (the model's doc says "Length Constraints: 12.").
  "AwsSecurityFinding.AwsAccountId": { minLength: 12, maxLength: 12 },
  // §1.2: 0–100 (the model types the top-level members as plain Integer).
  "AwsSecurityFinding.Confidence": { minimum: 0, maximum: 100 },
  "AwsSecurityFinding.Criticality": { minimum: 0, maximum: 100 },
  // §1.4: Normalized is 0–100.
  "Severity.Normalized": { minimum: 0, maximum: 100 },
  // §1.2 Process: Pid/ParentPid 0–2147483647.
  "ProcessDetails.Pid": { minimum: 0, maximum: 2_147_483_647 },
  "ProcessDetails.ParentPid": { minimum: 0, maximum: 2_147_483_647 },
  // §1.2 PatchSummary: counts 0–100000.
  "PatchSummary.InstalledCount": PATCH_COUNT,
  "PatchSummary.MissingCount": PATCH_COUNT,
  "PatchSummary.FailedCount": PATCH_COUNT,
  "PatchSummary.InstalledOtherCount": PATCH_COUNT,
  "PatchSummary.InstalledRejectedCount": PATCH_COUNT,
  "PatchSummary.InstalledPendingReboot": PATCH_COUNT,
  // §1.6: FPF RelatedFindings assumed to share the top-level 1–10 limit (decision, docs/asff-validation.md).
  "FindingProviderFields.RelatedFindings": { minItems: 1, maxItems: 10 },
  // §1.6: FPF Types have "the same format as top-level", so the same 50-entry limit.
  "FindingProviderFields.Types": { maxItems: 50 },
  // §1.9: Details.Other ≤ 50 pairs, key ≤ 128, value ≤ 1024 (UG asff-resourcedetails-other).
  "ResourceDetails.Other": MAP_50_128_1024,
  // §1.9: tag values ≤ 256 characters (AWS tag rules).
  "Resource.Tags": { additionalProperties: { maxLength: 256 } },
  // §1.8: LastKnownExploitAt is a timestamp (its model documentation lacks the "Timestamps" link).
  "Vulnerability.LastKnownExploitAt": { pattern: ASFF_TIMESTAMP_PATTERN, format: TIMESTAMP_FORMAT },
  // §1.2: ActionType is one of four values (the model lists them only in prose).
  "Action.ActionType": { enum: ["NETWORK_CONNECTION", "AWS_API_CALL", "DNS_REQUEST", "PORT_PROBE"] },
  // §4.1: BatchUpdateFindings edits the same attributes, so the finding's limits apply.
  "NoteUpdate.Text": { maxLength: 512 },
  "BatchUpdateFindingsRequest.Types": { maxItems: 50 },
  "BatchUpdateFindingsRequest.UserDefinedFields": MAP_50_128_1024,
  "BatchUpdateFindingsRequest.RelatedFindings": { minItems: 1, maxItems: 10 },
};

/** Members of the 2026 model that the installed botocore model predates (spec §1.2, §1.9; SDK types). */
const ADDED_MEMBERS: Record<string, Record<string, Schema>> = {
  Resource: {
    Provider: { type: "string", enum: ["AWS", "Azure"] },
    Owner: { $ref: "#/definitions/ResourceOwner" },
  },
  ResourceDetails: {
    // A free-form JSON document in the model (`smithy.api#Document`): any object.
    AzureResource: { type: "object" },
  },
};
const ADDED_DEFINITIONS: Record<string, Schema> = {
  ResourceOwner: {
    type: "object",
    properties: {
      Account: { $ref: "#/definitions/ResourceOwnerAccount" },
      Org: { $ref: "#/definitions/ResourceOwnerOrg" },
    },
  },
  ResourceOwnerAccount: {
    type: "object",
    properties: { Id: { type: "string", minLength: 1, pattern: NON_EMPTY_PATTERN } },
  },
  ResourceOwnerOrg: {
    type: "object",
    properties: { Id: { type: "string", minLength: 1, pattern: NON_EMPTY_PATTERN } },
  },
};
/** Enum values of the 2026 model missing from the installed one (spec §1.2 enum table). */
const ADDED_ENUM_VALUES: Record<string, string[]> = {
  Partition: ["aws", "aws-cn", "aws-us-gov", "aws-us-iso", "aws-us-iso-b", "AzureCloud"],
};

interface Limits {
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  keyMaxLength?: number;
  valueMaxLength?: number;
  timestamp: boolean;
}

/** Reads the limits a member's documentation states in the model's few fixed phrasings. */
export function limitsFromDocumentation(html: string | undefined): Limits {
  const text = (html ?? "").replace(/<[^>]+>/g, " ").replace(/\s+/g, " ");
  const limits: Limits = { timestamp: /#timestamps/.test(html ?? "") };
  const range =
    /Length Constraints: Minimum (?:length )?of (\d+)(?: length)?\. Maximum (?:length )?of (\d+)/.exec(text);
  if (range) {
    limits.minLength = Number(range[1]);
    limits.maxLength = Number(range[2]);
  } else {
    // "Length Constraints: 128." is a maximum (ports, API names); AwsAccountId's "12" is exact (overlay).
    const single = /Length Constraints: (\d+)\./.exec(text);
    if (single) limits.maxLength = Number(single[1]);
  }
  const minItems = /Array Members: Minimum number of (\d+) items?\./.exec(text);
  if (minItems) limits.minItems = Number(minItems[1]);
  const maxItems = /Maximum number of (\d+) items\./.exec(text);
  if (maxItems) limits.maxItems = Number(maxItems[1]);
  const pairs =
    /up to (\d+) key-value pairs\. For each key-value pair, the key can contain up to (\d+) characters, and the value can contain up to (\d+) characters/.exec(
      text,
    );
  if (pairs) {
    limits.maxProperties = Number(pairs[1]);
    limits.keyMaxLength = Number(pairs[2]);
    limits.valueMaxLength = Number(pairs[3]);
  }
  return limits;
}

class Generator {
  readonly definitions: Record<string, Schema> = {};
  constructor(private readonly model: Model) {}

  shape(name: string): ModelShape {
    const shape = this.model.shapes[name];
    if (!shape) throw new Error(`shape ${name} is not in the model`);
    return shape;
  }

  /** The schema of a value of shape `name`, as used by member `owner.member` with its documentation. */
  valueSchema(name: string, limits: Limits, path: string): Schema {
    const shape = this.shape(name);
    switch (shape.type) {
      case "structure":
        this.structure(name);
        return { $ref: `#/definitions/${name}` };
      case "string":
        return this.stringSchema(name, shape, limits, path);
      case "timestamp":
        return { type: "string", minLength: 1, pattern: ASFF_TIMESTAMP_PATTERN, format: TIMESTAMP_FORMAT };
      case "integer":
      case "long":
        return withRange({ type: "integer" }, shape);
      case "double":
      case "float":
        return withRange({ type: "number" }, shape);
      case "boolean":
        return { type: "boolean" };
      case "list": {
        if (!shape.member) throw new Error(`list ${name} has no member`);
        const items =
          name === "TypeList"
            ? // Types entries: only the pattern (Security Hub reports `""` as a pattern failure).
              { type: "string", pattern: TYPES_PATTERN }
            : this.valueSchema(shape.member.shape, { timestamp: false }, `${path}[]`);
        const schema: Schema = { type: "array", items };
        const minItems = limits.minItems ?? shape.min;
        const maxItems = limits.maxItems ?? shape.max;
        if (minItems !== undefined && minItems > 0) schema.minItems = minItems;
        if (maxItems !== undefined) schema.maxItems = maxItems;
        return schema;
      }
      case "map": {
        if (!shape.key || !shape.value) throw new Error(`map ${name} lacks key or value`);
        const key = this.valueSchema(shape.key.shape, { timestamp: false }, `${path}{key}`);
        delete key.type; // property names are always strings
        if (limits.keyMaxLength !== undefined) key.maxLength = limits.keyMaxLength;
        const value = this.valueSchema(
          shape.value.shape,
          {
            timestamp: false,
            ...(limits.valueMaxLength === undefined ? {} : { maxLength: limits.valueMaxLength }),
          },
          `${path}{value}`,
        );
        const schema: Schema = { type: "object", propertyNames: key, additionalProperties: value };
        if (limits.maxProperties !== undefined) schema.maxProperties = limits.maxProperties;
        return schema;
      }
      default:
        throw new Error(`shape ${name} has unsupported type ${shape.type} (at ${path})`);
    }
  }

  stringSchema(name: string, shape: ModelShape, limits: Limits, _path: string): Schema {
    if (shape.enum) {
      const values = ADDED_ENUM_VALUES[name] ?? shape.enum;
      return { type: "string", enum: [...values] };
    }
    if (limits.timestamp) {
      return { type: "string", minLength: 1, pattern: ASFF_TIMESTAMP_PATTERN, format: TIMESTAMP_FORMAT };
    }
    const schema: Schema = { type: "string" };
    const minLength = limits.minLength ?? shape.min ?? (shape.pattern === NON_EMPTY_PATTERN ? 1 : undefined);
    const maxLength = limits.maxLength ?? shape.max;
    if (minLength !== undefined && minLength > 0) schema.minLength = minLength;
    if (maxLength !== undefined) schema.maxLength = maxLength;
    if (shape.pattern) schema.pattern = shape.pattern;
    return schema;
  }

  structure(name: string): void {
    if (this.definitions[name]) return;
    const shape = this.shape(name);
    const def: Schema = { type: "object" };
    this.definitions[name] = def; // registered before recursing so cycles terminate
    const properties: Schema = {};
    for (const [memberName, member] of Object.entries(shape.members ?? {})) {
      const limits = limitsFromDocumentation(member.documentation);
      const schema = this.valueSchema(member.shape, limits, `${name}.${memberName}`);
      const overlay = OVERLAYS[`${name}.${memberName}`];
      properties[memberName] = overlay ? merge(schema, overlay) : schema;
    }
    for (const [memberName, schema] of Object.entries(ADDED_MEMBERS[name] ?? {})) {
      if (!(memberName in properties)) properties[memberName] = schema;
    }
    def.properties = properties;
    if (shape.required && shape.required.length > 0) def.required = [...shape.required];
  }
}

function withRange(schema: Schema, shape: ModelShape): Schema {
  if (shape.min !== undefined) schema.minimum = shape.min;
  if (shape.max !== undefined) schema.maximum = shape.max;
  return schema;
}

function isSchema(value: Json | undefined): value is Schema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function merge(base: Schema, overlay: Schema): Schema {
  const out: Schema = { ...base };
  if (overlay.enum !== undefined) {
    // An enum says everything about a string: length and pattern checks would only add noise.
    delete out.minLength;
    delete out.maxLength;
    delete out.pattern;
  }
  for (const [key, value] of Object.entries(overlay)) {
    const current = out[key];
    out[key] = isSchema(current) && isSchema(value) ? { ...current, ...value } : value;
  }
  return out;
}

/**
 * Security Hub's service-required attributes beyond the model's 10 (spec §1.1): Severity (with a
 * Label or Normalized) and Types, each accepted top-level or in FindingProviderFields. Branch 0 is
 * the FindingProviderFields one: with both missing, the service names FindingProviderFields.
 */
function serviceRequired(): Schema[] {
  return [
    {
      anyOf: [
        {
          required: ["FindingProviderFields"],
          properties: {
            FindingProviderFields: {
              required: ["Severity"],
              properties: { Severity: { required: ["Label"] } },
            },
          },
        },
        {
          required: ["Severity"],
          properties: { Severity: { anyOf: [{ required: ["Label"] }, { required: ["Normalized"] }] } },
        },
      ],
    },
    {
      anyOf: [
        {
          required: ["FindingProviderFields"],
          properties: { FindingProviderFields: { required: ["Types"] } },
        },
        { required: ["Types"] },
      ],
    },
  ];
}

function stable(value: Json): Json {
  if (Array.isArray(value)) return value.map(stable);
  if (isSchema(value)) {
    const out: Schema = {};
    for (const key of Object.keys(value)) {
      const v = value[key];
      if (v !== undefined) out[key] = stable(v);
    }
    return out;
  }
  return value;
}

/** Builds the whole schema document from a parsed botocore model. */
export function generateSchema(model: Model, modelDigest: string): Schema {
  const generator = new Generator(model);
  for (const root of ROOTS) generator.structure(root);
  for (const [name, def] of Object.entries(ADDED_DEFINITIONS)) generator.definitions[name] ??= def;
  const finding = generator.definitions.AwsSecurityFinding;
  if (!finding) throw new Error("AwsSecurityFinding missing from the model");
  finding.allOf = serviceRequired();
  const definitions: Schema = {};
  for (const name of Object.keys(generator.definitions).sort()) {
    const def = generator.definitions[name];
    if (def) definitions[name] = def;
  }
  return stable({
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: "https://shadowhub.invalid/schemas/asff-2018-10-08.json",
    $comment: `Generated by scripts/generate-asff-schema.ts from the botocore Security Hub model ${model.metadata.apiVersion} (sha256 ${modelDigest}). Do not edit by hand.`,
    definitions,
  }) as Schema;
}

/** What the generator needs from ajv's CommonJS internals (their default export is `module.exports`). */
type Names = typeof import("ajv/dist/compile/names.js")["default"];
const N = ((namesModule as { default?: Names }).default ?? namesModule) as Names;
const { callValidateCode } = codeModule;

/**
 * Members of a finding whose validators are lazily loaded chunks too, like the Details types: the
 * larger ones that many findings do not carry (Security Hub's own products and GuardDuty fill
 * Action, Detection, Network, ...; vulnerability scanners fill Vulnerabilities, compliance checkers
 * Compliance). Loading one costs a few milliseconds once per process, on first use. What (nearly)
 * every finding carries — Severity, FindingProviderFields, Resources, Remediation — stays in the
 * main module.
 */
export const LAZY_FINDING_MEMBERS = [
  "Action",
  "Compliance",
  "Detection",
  "Malware",
  "Network",
  "NetworkPath",
  "PatchSummary",
  "Process",
  "ThreatIntelIndicators",
  "Threats",
  "Vulnerabilities",
] as const;

/** Members of `Resources[]` lazily loaded for the same reason (Macie fills DataClassification). */
export const LAZY_RESOURCE_MEMBERS = ["DataClassification"] as const;

/** The definition a member refers to, directly (`$ref`) or as list items; `undefined` for inline schemas. */
function referencedDefinition(member: Json | undefined): string | undefined {
  if (!isSchema(member)) return undefined;
  const ref = member.$ref ?? (isSchema(member.items) ? member.items.$ref : undefined);
  return typeof ref === "string" && ref.startsWith("#/definitions/")
    ? ref.slice("#/definitions/".length)
    : undefined;
}

/**
 * The BatchUpdateFindings validator is a chunk too: the import pipeline (and so the ingest Lambda)
 * never calls it; the main module's `batchUpdate` only forwards to it.
 */
const BATCH_UPDATE_DEFINITION = PRECOMPILED_ROOTS.batchUpdate.slice("asff#/definitions/".length);

/** `member` with its reference to `definition` replaced by the lazy keyword. */
function lazyMember(member: Schema, definition: string): Schema {
  const lazy = { [LAZY_REF_KEYWORD]: definition };
  return member.$ref === undefined ? { ...member, items: lazy } : lazy;
}

/**
 * Names of the definitions whose validators become lazily loaded chunks: those that
 * `ResourceDetails` members refer to (the `Resources[].Details` types), those of
 * {@link LAZY_FINDING_MEMBERS} and {@link LAZY_RESOURCE_MEMBERS}, and BatchUpdateFindingsRequest.
 */
export function lazyDefinitions(schema: Schema): string[] {
  return [[BATCH_UPDATE_DEFINITION], ...lazyMembers(schema.definitions as Schema).values()]
    .flatMap((members) => [...members.values()])
    .filter((name, at, all) => all.indexOf(name) === at)
    .sort();
}

/** For `ResourceDetails`, `AwsSecurityFinding` and `Resource`: member name → lazily loaded definition. */
function lazyMembers(definitions: Schema): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const [owner, members] of [
    ["ResourceDetails", undefined],
    ["AwsSecurityFinding", LAZY_FINDING_MEMBERS],
    ["Resource", LAZY_RESOURCE_MEMBERS],
  ] as const) {
    const properties = (definitions[owner] as Schema | undefined)?.properties;
    if (!isSchema(properties)) throw new Error(`${owner} has no properties`);
    const lazy = new Map<string, string>();
    for (const name of members ?? Object.keys(properties)) {
      const definition = referencedDefinition(properties[name]);
      if (definition !== undefined) lazy.set(name, definition);
      else if (members !== undefined) throw new Error(`${owner}.${name} refers to no definition`);
    }
    out.set(owner, lazy);
  }
  return out;
}

/**
 * The definitions the main module is compiled from: lazily loaded members refer to their chunk
 * through {@link LAZY_REF_KEYWORD} instead of `$ref`, so their code is not in the main module.
 */
function mainDefinitions(schema: Schema): Schema {
  const definitions = { ...(schema.definitions as Schema) };
  for (const [owner, lazy] of lazyMembers(definitions)) {
    const def = definitions[owner] as Schema;
    const properties: Schema = { ...(def.properties as Schema) };
    for (const [name, definition] of lazy)
      properties[name] = lazyMember(properties[name] as Schema, definition);
    definitions[owner] = { ...def, properties };
  }
  return definitions;
}

/**
 * An ajv instance for precompiling, which also knows {@link LAZY_REF_KEYWORD}: it calls the chunk's
 * validate function exactly as ajv calls a `$ref`'s (same data, `instancePath`, parent and root),
 * and appends its errors the same way, so the errors and their order do not change.
 */
function precompilingAjv(): Ajv {
  const ajv = newAsffAjv({ Ajv, _ }, true);
  ajv.addKeyword({
    keyword: LAZY_REF_KEYWORD,
    schemaType: "string",
    code(cxt: KeywordCxt) {
      const { gen } = cxt;
      const id = `${LAZY_REF_PREFIX}${String(cxt.schema)}`;
      // `require` is the loader `createValidators` receives; it loads the chunk on first use.
      const validate = gen.const("lazy", _`require(${id})`);
      cxt.result(callValidateCode(cxt, validate, nil), undefined, () => {
        const errors = _`${validate}.errors`;
        gen.assign(N.vErrors, _`${N.vErrors} === null ? ${errors} : ${N.vErrors}.concat(${errors})`);
        gen.assign(N.errors, _`${N.vErrors}.length`);
      });
    },
  });
  return ajv;
}

/**
 * Cheaper string-length checks in ajv's generated code. ajv measures every string with a length
 * limit by counting its code points (`ucs2length`, a scan of the whole string) twice, once for
 * `maxLength` and once for `minLength`. A string has at most as many code points as UTF-16 units and
 * at least half as many, so the unit count alone decides almost every check: `maxLength N` needs the
 * count only when the string is longer than N units, `minLength N` only when it has between N and
 * 2N - 1 units (for the model's `minLength 1`, never). Verdicts, errors and their order are
 * unchanged; a finding's 20-odd limited strings are then not each scanned twice.
 */
export function withLengthShortcuts(code: string): string {
  const name = /const (func\d+) = require\("ajv\/dist\/runtime\/ucs2length"\)\.default;/.exec(code)?.[1];
  if (name === undefined) return code;
  const call = new RegExp(`\\b${name}\\((\\w+)\\) ([<>]) (\\d+)\\b`, "g");
  return code.replace(call, (_whole, value: string, op: string, limit: string) => {
    const n = Number(limit);
    if (op === ">") return `(${value}.length > ${n} && ${name}(${value}) > ${n})`;
    if (n <= 1) return `${value}.length < ${n}`;
    return `(${value}.length < ${n} || (${value}.length < ${2 * n} && ${name}(${value}) < ${n}))`;
  });
}

/**
 * Lazily loaded validators resolved once per module instead of on every call: ajv's generated code
 * asks `require` for the chunk each time it validates such a member (once per list item).
 */
export function withCachedLazyRefs(code: string): string {
  const ids = new Map<string, string>();
  const replaced = code.replace(/require\("(asff-lazy:[A-Za-z0-9_]+)"\)/g, (_whole, id: string) => {
    let slot = ids.get(id);
    if (slot === undefined) {
      slot = `lazyRef${ids.size}`;
      ids.set(id, slot);
    }
    return `(${slot} ??= require("${id}"))`;
  });
  if (ids.size === 0) return code;
  return `let ${[...ids.values()].join(", ")};\n${replaced}`;
}

/** Wraps ajv's CommonJS-style standalone code in a function that receives its three dependencies. */
function wrap(code: string, header: string, open: string, close: string): string {
  return [
    header,
    open,
    "const exports = {};",
    "const module = { exports };",
    withCachedLazyRefs(withLengthShortcuts(code)),
    "return module.exports;",
    close,
    "",
  ].join("\n");
}

/**
 * Precompiles `schema` into an ES module exporting `createValidators(require, fastRegExp,
 * asffFormats)`. ajv emits CommonJS-style code that refers to those three names; wrapping it in a
 * function that receives them keeps the generated file free of imports. `Resources[].Details`
 * types are not in it: their validators come from `require("asff-lazy:<Definition>")`
 * ({@link generateLazyChunks}).
 */
export function generateValidatorsModule(schema: Schema): string {
  const ajv = precompilingAjv();
  ajv.addSchema({ $id: "asff", definitions: mainDefinitions(schema) });
  ajv.addSchema({ $id: "asff-batch-update", [LAZY_REF_KEYWORD]: BATCH_UPDATE_DEFINITION });
  // A CommonJS module: Node hands ESM importers `module.exports`, which also carries `.default`.
  const code = standaloneModule.default(ajv, { ...PRECOMPILED_ROOTS, batchUpdate: "asff-batch-update" });
  return wrap(
    code,
    "// Generated by scripts/generate-asff-schema.ts (ajv standalone code of asff-schema.json). Do not edit.",
    "export function createValidators(require, fastRegExp, asffFormats) {",
    "}",
  );
}

/**
 * Precompiles each lazily loaded definition ({@link lazyDefinitions}) into its own CommonJS chunk,
 * `<Definition>.cjs`, exporting the same kind of `createValidators(require, fastRegExp,
 * asffFormats)` whose result's `validate` checks that definition. CommonJS so that the validator
 * can load it synchronously with `require`.
 */
export function generateLazyChunks(schema: Schema): Record<string, string> {
  const ajv = precompilingAjv();
  ajv.addSchema({ $id: "asff", definitions: schema.definitions as Schema });
  const chunks: Record<string, string> = {};
  for (const name of lazyDefinitions(schema)) {
    const code = standaloneModule.default(ajv, { validate: `asff#/definitions/${name}` });
    chunks[`${name}.cjs`] = wrap(
      code,
      `// Generated by scripts/generate-asff-schema.ts (ajv standalone code of asff-schema.json, definition ${name}). Do not edit.\n"use strict";`,
      "module.exports = function createValidators(require, fastRegExp, asffFormats) {",
      "};",
    );
  }
  return chunks;
}

function main(argv: string[]): number {
  const option = (name: string): string | undefined => {
    const at = argv.indexOf(name);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const modelPath = option("--model") ?? DEFAULT_MODEL;
  const outDir = option("--out") ?? DEFAULT_OUT;
  const raw = readFileSync(modelPath);
  const text = modelPath.endsWith(".gz") ? gunzipSync(raw) : raw;
  const digest = createHash("sha256").update(text).digest("hex");
  const model = JSON.parse(text.toString("utf8")) as Model;
  const schema = generateSchema(model, digest);
  const chunks = generateLazyChunks(schema);
  const outputs: Record<string, string> = {
    [SCHEMA_FILE]: `${JSON.stringify(schema, null, 1)}\n`,
    [VALIDATORS_FILE]: generateValidatorsModule(schema),
  };
  for (const [name, chunk] of Object.entries(chunks)) outputs[join(CHUNK_SUBDIR, name)] = chunk;
  const chunkDir = join(outDir, CHUNK_SUBDIR);
  // Chunks of definitions that no longer exist would be shipped for nothing: they count as stale.
  const leftovers = existsSync(chunkDir)
    ? readdirSync(chunkDir).filter((name) => chunks[name] === undefined)
    : [];
  if (argv.includes("--check")) {
    let stale = 0;
    for (const [name, output] of Object.entries(outputs)) {
      const path = join(outDir, name);
      const current = existsSync(path) ? readFileSync(path, "utf8") : "";
      if (current !== output) {
        stale += 1;
        process.stderr.write(`${path} is out of date: run scripts/generate-asff-schema.ts\n`);
      }
    }
    for (const name of leftovers) {
      stale += 1;
      process.stderr.write(
        `${join(chunkDir, name)} is not generated any more: run scripts/generate-asff-schema.ts\n`,
      );
    }
    if (stale === 0) process.stdout.write(`${outDir}: generated files are up to date\n`);
    return stale === 0 ? 0 : 1;
  }
  mkdirSync(chunkDir, { recursive: true });
  for (const name of leftovers) rmSync(join(chunkDir, name));
  for (const [name, output] of Object.entries(outputs)) writeFileSync(join(outDir, name), output);
  const definitions = schema.definitions as Schema;
  const details = ((definitions.ResourceDetails as Schema).properties as Schema) ?? {};
  const chunkBytes = Object.values(chunks).reduce((sum, chunk) => sum + chunk.length, 0);
  process.stdout.write(
    `wrote ${outDir}: ${Object.keys(definitions).length} definitions, ${Object.keys(details).length} Resources[].Details types; ${SCHEMA_FILE} ${outputs[SCHEMA_FILE]?.length} bytes, ${VALIDATORS_FILE} ${outputs[VALIDATORS_FILE]?.length} bytes, ${Object.keys(chunks).length} chunks in ${CHUNK_SUBDIR}/ ${chunkBytes} bytes\n`,
  );
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = main(process.argv.slice(2));
}
