/**
 * Drafts → complete, valid ASFF. Every format goes through here, so the rules are in one place:
 *
 * 1. Sanitize: a deep copy without `__proto__` keys, `undefined`/`null`, blank strings, empty
 *    lists and maps, non-finite numbers; ANSI codes and control characters removed from strings.
 * 2. Identity and context: SchemaVersion, ProductArn, AwsAccountId, CompanyName/ProductName,
 *    CreatedAt/UpdatedAt (the report's own time, else `ctx.nowMs`), `ProductFields` keys
 *    `shadowhub/scope` and `shadowhub/format`.
 * 3. Provider channel: Severity, Types, Confidence, Criticality and RelatedFindings move to
 *    `FindingProviderFields` (spec §3.4, §6), `Severity.Original` kept.
 * 4. Fit to limits: text fields cleaned of HTML and cut with a visible `…` (Title 256,
 *    Description 1,024, Remediation text 512, ...), list and map caps (`fitToLimits`).
 * 5. Shrink: a finding over 240 KB is shrunk step by step (`SHRINK_STEPS`); if it still does not
 *    fit it becomes a failure with the reason.
 * 6. Validate with the ASFF validator: an invalid finding is a failure, never sent.
 */
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { ASFF_SCHEMA_VERSION, MAX_FINDING_BYTES } from "../asff/limits.ts";
import { formatAsffTimestamp, parseAsffTimestamp } from "../asff/timestamp.ts";
import { type AsffViolation, validateFinding } from "../asff/validate.ts";
import type { ConversionContext, ConversionFailure, FindingDraft } from "./contracts.ts";
import { isSeverityLabel, severityFromNormalized } from "./severity.ts";
import { cleanControlFreeText, hasControl, stripControl, truncate } from "./text.ts";

/** Checks one finding; `[]` when valid. The default is the project's ASFF validator. */
export type FindingValidator = (finding: unknown) => readonly AsffViolation[];

/** ProductFields keys shadowhub writes (namespaced, never `aws/`). */
export const PRODUCT_FIELD_KEYS = {
  scope: "shadowhub/scope",
  format: "shadowhub/format",
  omittedPackages: "shadowhub/omitted-packages",
  shrunk: "shadowhub/shrunk",
} as const;

/** Limits applied by `fitToLimits` (spec §1.1, §1.2, §1.9; the schema's maxLength/maxItems). */
export const FIT_LIMITS = {
  id: 512,
  generatorId: 512,
  title: 256,
  description: 1024,
  remediationText: 512,
  severityOriginal: 64,
  companyName: 128,
  productName: 128,
  types: 50,
  resources: 32,
  resourceType: 256,
  resourceRegion: 16,
  tagValue: 256,
  productFields: 50,
  productFieldKey: 128,
  productFieldValue: 2048,
  detailsOther: 50,
  detailsOtherKey: 128,
  detailsOtherValue: 1024,
  relatedRequirements: 32,
  relatedFindings: 10,
  malware: 5,
  threats: 32,
  threatIntelIndicators: 5,
  userDefinedFields: 50,
  userDefinedFieldValue: 1024,
  noteText: 512,
} as const;

/** Options of `finalizeDrafts`. */
export interface FinalizeOptions {
  /** File name, S3 key or message id, used in failures. */
  readonly source: string;
  /** Format name recorded in `ProductFields["shadowhub/format"]`. */
  readonly format?: string;
  /** Drafts are provider-complete ASFF (passthrough): keep provider fields where they are. */
  readonly passthrough?: boolean;
  /** Passthrough only: replace ProductArn and AwsAccountId with the context's. */
  readonly overrideIdentity?: boolean;
  /** Validator; default `validateFinding` from `core/asff/validate.ts`. */
  readonly validate?: FindingValidator;
  /**
   * Measures a finding: UTF-8 bytes of its JSON. Default: exact serialization. Injectable so that
   * tests can count how often an oversize finding is serialized (the shrink policy must not
   * serialize a 10 MB finding once per step).
   */
  readonly sizeOf?: FindingSizer;
}

/** UTF-8 bytes of a finding's JSON text (what Security Hub counts against 240 KB). */
export type FindingSizer = (finding: Readonly<Record<string, unknown>>) => number;

/** Result of finalizing a batch of drafts. */
export interface FinalizeResult {
  readonly findings: AwsSecurityFinding[];
  readonly failures: ConversionFailure[];
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Deep copy that drops what ASFF rejects or that must not travel: `__proto__` keys (prototype
 * pollution), `undefined`/`null`, non-finite numbers, blank strings, empty lists and maps.
 * Strings lose ANSI codes and control characters. Returns `undefined` for an empty result.
 */
export function sanitize(value: unknown): unknown {
  if (typeof value === "string") {
    const s = stripControl(value);
    return /\S/.test(s) ? s : undefined;
  }
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "boolean") return value;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const item of value) {
      const v = sanitize(item);
      if (v !== undefined) out.push(v);
    }
    return out.length > 0 ? out : undefined;
  }
  if (isObject(value)) {
    const out: Json = {};
    let any = false;
    for (const key of Object.keys(value)) {
      if (key === "__proto__") continue;
      const v = sanitize(value[key]);
      if (v !== undefined) {
        out[key] = v;
        any = true;
      }
    }
    return any ? out : undefined;
  }
  return undefined;
}

/**
 * `/\S/.test(s)` (ASFF's non-blank rule) without a regular-expression call for the usual string,
 * whose first character is printable ASCII.
 */
function isNonBlankText(s: string): boolean {
  const c = s.charCodeAt(0);
  return (c > 0x20 && c < 0x7f) || /\S/.test(s);
}

// One report carries one or two distinct times on every finding: remember the last few.
const timestampMemo = new Map<string, string | undefined>();

/**
 * The mark of drafts whose strings hold no control character (`markControlFree`): their walk skips
 * the search for them, a regular-expression scan of every character of every string (~10 % of a
 * Trivy finding's finalization). A non-enumerable own property rather than a `WeakSet` entry (which
 * cost more per draft than the scans it saved on a short SARIF finding): keys, `for...in`, spreads,
 * `Object.assign`, JSON and `structuredClone` do not see or copy it, so a copy of a marked draft
 * that a parser changes is not marked.
 */
const CONTROL_FREE_MARK: unique symbol = Symbol("shadowhub.controlFree");
const MARK_DESCRIPTOR: PropertyDescriptor = {
  value: true,
  enumerable: false,
  writable: false,
  configurable: false,
};

function isMarkedControlFree(draft: FindingDraft): boolean {
  return (draft as { [CONTROL_FREE_MARK]?: boolean })[CONTROL_FREE_MARK] === true;
}

/**
 * Tells the finalizer that no string of `draft` holds a control character (so none is an ANSI
 * escape either), because the parser built it only from strings known to be clean — such as the
 * entries of a split report that `isControlFreeEntry` vouches for — and its own constants. A wrong
 * mark would let control characters through: mark only what is known.
 */
export function markControlFree(draft: FindingDraft): void {
  // a frozen or sealed draft stays unmarked: it is then searched like any other
  if (Object.isExtensible(draft) && !Object.hasOwn(draft, CONTROL_FREE_MARK)) {
    Object.defineProperty(draft, CONTROL_FREE_MARK, MARK_DESCRIPTOR);
  }
}

/** The `productArn` and `accountId` that `contextControlFree` checked last, and the answer. */
let checkedArn: string | undefined;
let checkedAccount: string | undefined;
let checkedContextFree = false;

/** True when neither string of `ctx` that every finding carries holds a control character. */
function contextControlFree(ctx: ConversionContext): boolean {
  if (ctx.productArn !== checkedArn || ctx.accountId !== checkedAccount) {
    checkedContextFree = !hasControl(ctx.productArn) && !hasControl(ctx.accountId);
    checkedArn = ctx.productArn;
    checkedAccount = ctx.accountId;
  }
  return checkedContextFree;
}

/** True while `sanitizeInPlace` walks a draft marked by `markControlFree`. */
let controlFree = false;

/** Upper bound of the JSON size of everything `sanitizeInPlace` visited since it was last reset. */
let sizeBound = 0;

/**
 * `sanitize` without copying: cleans `value` in place and returns it (or `undefined` when nothing
 * is left). Used on drafts, which the finalizer owns; every change it makes is idempotent, so a
 * sub-object that a parser shares between drafts is cleaned the same way for each of them.
 */
export function sanitizeInPlace(value: unknown): unknown {
  if (typeof value === "string") {
    const s = controlFree ? value : stripControl(value);
    // ≤ 6 bytes of JSON per UTF-16 unit (`\u001f`), plus quotes and a separator
    sizeBound += s.length * 6 + 3;
    return isNonBlankText(s) ? s : undefined;
  }
  if (typeof value === "number") {
    sizeBound += 25;
    return Number.isFinite(value) ? value : undefined;
  }
  if (typeof value === "boolean") {
    sizeBound += 6;
    return value;
  }
  sizeBound += 2;
  if (Array.isArray(value)) {
    let write = 0;
    for (let read = 0; read < value.length; read++) {
      const v = sanitizeInPlace(value[read]);
      if (v !== undefined) value[write++] = v;
    }
    if (write !== value.length) value.length = write;
    return write > 0 ? value : undefined;
  }
  if (isObject(value)) {
    let any = false;
    // for-in instead of Object.keys: no key array per object (a finding has dozens); deleting the
    // current key during the walk is allowed, and own keys only are visited.
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      if (key === "__proto__") {
        delete value[key];
        continue;
      }
      sizeBound += key.length * 6 + 4;
      const before = value[key];
      const v = sanitizeInPlace(before);
      if (v === undefined) delete value[key];
      else {
        if (v !== before) value[key] = v;
        any = true;
      }
    }
    return any ? value : undefined;
  }
  return undefined;
}

function normalizeTimestamp(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  if (timestampMemo.has(value)) return timestampMemo.get(value);
  const ms = parseAsffTimestamp(value);
  const out = ms === undefined ? undefined : formatAsffTimestamp(ms);
  if (timestampMemo.size > 64) timestampMemo.clear();
  timestampMemo.set(value, out);
  return out;
}

function capList(list: unknown, max: number): unknown {
  return Array.isArray(list) && list.length > max ? list.slice(0, max) : list;
}

/**
 * True when `capMap` would return an equal map in the same key order: few enough entries, short
 * keys and string values, and the kept keys already first. The common case, checked without
 * allocating.
 */
function withinCaps(
  map: Json,
  maxEntries: number,
  maxKey: number,
  maxValue: number,
  keep?: (k: string) => boolean,
): boolean {
  let n = 0;
  let keptPrefix = true;
  for (const key in map) {
    if (!Object.hasOwn(map, key)) continue;
    if (++n > maxEntries || key.length > maxKey) return false;
    const v = map[key];
    if (typeof v === "string" && v.length > maxValue) return false;
    if (keep) {
      if (keep(key)) {
        if (!keptPrefix) return false;
      } else keptPrefix = false;
    }
  }
  return true;
}

function capMap(
  map: unknown,
  maxEntries: number,
  maxKey: number,
  maxValue: number,
  keep?: (k: string) => boolean,
): unknown {
  if (!isObject(map)) return map;
  if (withinCaps(map, maxEntries, maxKey, maxValue, keep)) return map;
  const out: Json = {};
  const entries = Object.entries(map);
  // entries the caller wants to keep (shadowhub's own keys) go first so a cap never drops them
  const ordered = keep
    ? [...entries.filter(([k]) => keep(k)), ...entries.filter(([k]) => !keep(k))]
    : entries;
  let n = 0;
  for (const [k, v] of ordered) {
    if (n >= maxEntries) break;
    const key = truncate(k, maxKey);
    // own keys only: a key such as `constructor` is data, not a clash with Object.prototype
    if (Object.hasOwn(out, key)) continue;
    out[key] = typeof v === "string" ? truncate(v, maxValue) : v;
    n++;
  }
  return out;
}

function fitString(obj: Json, key: string, max: number, clean: boolean): void {
  const v = obj[key];
  if (typeof v !== "string") return;
  // the finding's strings are sanitized already (no control characters): only HTML and blank lines
  const text = clean ? cleanControlFreeText(v) : v;
  if (text === "") delete obj[key];
  else obj[key] = truncate(text, max);
}

/**
 * Applies every documented text, list and map limit in place: human text cleaned of HTML and cut
 * with `…`; lists and maps capped (the first entries kept). Idempotent.
 */
export function fitToLimits(f: Json): void {
  const L = FIT_LIMITS;
  fitString(f, "Title", L.title, true);
  fitString(f, "Description", L.description, true);
  fitString(f, "CompanyName", L.companyName, false);
  fitString(f, "ProductName", L.productName, false);
  if (typeof f.GeneratorId === "string" && f.GeneratorId.length > L.generatorId) {
    f.GeneratorId = truncate(f.GeneratorId, L.generatorId);
  }
  const rec =
    isObject(f.Remediation) && isObject(f.Remediation.Recommendation)
      ? f.Remediation.Recommendation
      : undefined;
  if (rec) fitString(rec, "Text", L.remediationText, true);
  fitProviderAttributes(f);
  if (isObject(f.FindingProviderFields)) fitProviderAttributes(f.FindingProviderFields);
  if (f.ProductFields !== undefined) {
    setIfChanged(
      f,
      "ProductFields",
      capMap(f.ProductFields, L.productFields, L.productFieldKey, L.productFieldValue, isShadowhubKey),
    );
  }
  if (f.UserDefinedFields !== undefined) {
    f.UserDefinedFields = capMap(
      f.UserDefinedFields,
      L.userDefinedFields,
      L.productFieldKey,
      L.userDefinedFieldValue,
    );
  }
  if (Array.isArray(f.Resources)) {
    const resources = f.Resources.slice(0, L.resources);
    f.Resources = resources;
    for (const r of resources) {
      if (!isObject(r)) continue;
      fitString(r, "Type", L.resourceType, false);
      fitString(r, "Region", L.resourceRegion, false);
      if (isObject(r.Tags)) r.Tags = capMap(r.Tags, 50, 128, L.tagValue);
      if (isObject(r.Details) && r.Details.Other !== undefined) {
        r.Details.Other = capMap(r.Details.Other, L.detailsOther, L.detailsOtherKey, L.detailsOtherValue);
      }
    }
  }
  if (isObject(f.Compliance) && f.Compliance.RelatedRequirements !== undefined) {
    setIfChanged(
      f.Compliance,
      "RelatedRequirements",
      capList(f.Compliance.RelatedRequirements, L.relatedRequirements),
    );
  }
  if (isObject(f.Note)) fitString(f.Note, "Text", L.noteText, false);
  if (f.Malware !== undefined) setIfChanged(f, "Malware", capList(f.Malware, L.malware));
  if (f.Threats !== undefined) setIfChanged(f, "Threats", capList(f.Threats, L.threats));
  if (f.ThreatIntelIndicators !== undefined) {
    setIfChanged(f, "ThreatIntelIndicators", capList(f.ThreatIntelIndicators, L.threatIntelIndicators));
  }
}

/** The limits of Severity, Types and RelatedFindings, top-level or in FindingProviderFields. */
function fitProviderAttributes(holder: Json): void {
  const L = FIT_LIMITS;
  if (isObject(holder.Severity)) fitString(holder.Severity, "Original", L.severityOriginal, false);
  // assigned only when cut: adding and deleting an absent key would slow the object down
  if (holder.Types !== undefined) setIfChanged(holder, "Types", capList(holder.Types, L.types));
  if (holder.RelatedFindings !== undefined)
    setIfChanged(holder, "RelatedFindings", capList(holder.RelatedFindings, L.relatedFindings));
}

/** shadowhub's own ProductFields keys, which a cap never drops. */
function isShadowhubKey(key: string): boolean {
  return key.startsWith("shadowhub/");
}

/** `Object.keys(obj).length > 0` without the array. */
function hasOwnKey(obj: Json): boolean {
  for (const key in obj) if (Object.hasOwn(obj, key)) return true;
  return false;
}

function setIfChanged(obj: Json, key: string, value: unknown): void {
  if (obj[key] !== value) obj[key] = value;
}

/** UTF-8 bytes of `json` (exact when it could matter: a UTF-16 unit is at most 3 bytes). */
function jsonBytes(json: string): number {
  return json.length * 3 <= MAX_FINDING_BYTES ? json.length : Buffer.byteLength(json, "utf8");
}

/** UTF-8 bytes of the finding's JSON: the default `FindingSizer`. */
export function findingJsonBytes(f: Readonly<Record<string, unknown>>): number {
  return jsonBytes(JSON.stringify(f));
}

/**
 * A lower bound of the finding's size after every shrink step: the UTF-16 units of the keys and
 * strings that no step removes (a unit is at least one byte of UTF-8 JSON). When this alone is over
 * the limit the finding cannot fit, and there is no point in shrinking and re-measuring it step by
 * step (a 10 MB package name would be serialized once per step).
 */
export function unshrinkableUnits(f: Readonly<Record<string, unknown>>): number {
  let units = 0;
  for (const key of Object.keys(f)) {
    const value = f[key];
    units += key.length;
    if (key === "Resources" && Array.isArray(value)) {
      const first = value[0];
      if (isObject(first)) {
        for (const k of Object.keys(first)) if (k !== "Details") units += k.length + textUnits(first[k]);
      }
    } else if (key === "Vulnerabilities" && Array.isArray(value)) {
      for (const v of value) {
        if (!isObject(v)) continue;
        for (const k of Object.keys(v)) {
          if (k === "ReferenceUrls" || k === "RelatedVulnerabilities") continue;
          const item = v[k];
          units += k.length;
          units +=
            (k === "VulnerablePackages" || k === "Cvss") && Array.isArray(item)
              ? textUnits(item[0])
              : textUnits(item);
        }
      }
    } else if (key === "ProductFields" && isObject(value)) {
      for (const k of Object.keys(value)) {
        if (k.startsWith("shadowhub/")) units += k.length + textUnits(value[k]);
      }
    } else units += textUnits(value);
  }
  return units;
}

/** UTF-16 units of every key and string in `value`. */
function textUnits(value: unknown): number {
  if (typeof value === "string") return value.length;
  if (typeof value !== "object" || value === null) return 0;
  let units = 0;
  if (Array.isArray(value)) {
    for (const item of value) units += textUnits(item);
    return units;
  }
  const obj = value as Json;
  for (const key of Object.keys(obj)) units += key.length + textUnits(obj[key]);
  return units;
}

function vulnerabilities(f: Json): Json[] {
  return Array.isArray(f.Vulnerabilities) ? f.Vulnerabilities.filter(isObject) : [];
}

function markShrunk(f: Json, step: string): void {
  const pf = isObject(f.ProductFields) ? f.ProductFields : {};
  const prev = typeof pf[PRODUCT_FIELD_KEYS.shrunk] === "string" ? `${pf[PRODUCT_FIELD_KEYS.shrunk]},` : "";
  pf[PRODUCT_FIELD_KEYS.shrunk] = truncate(`${prev}${step}`, FIT_LIMITS.productFieldValue);
  f.ProductFields = pf;
}

/**
 * One step of the shrink policy: `apply` changes the finding in place and says whether it changed
 * anything. `size` is the finding's size in bytes before the step, for steps that stop as soon as
 * the finding fits.
 */
export interface ShrinkStep {
  readonly name: string;
  readonly apply: (f: Json, size: number) => boolean;
}

/**
 * The shrink policy for a finding over 240 KB, applied in this order until it fits; each step
 * that changes something is recorded in `ProductFields["shadowhub/shrunk"]`:
 * 1. `references`: Vulnerabilities[].ReferenceUrls cut to 5, RelatedVulnerabilities to 10;
 * 2. `details-other`: Resources[].Details.Other values cut to 256 characters;
 * 3. `packages`: Vulnerabilities[].VulnerablePackages halved until the finding fits (at least one
 *    kept); the number dropped goes to `ProductFields["shadowhub/omitted-packages"]`;
 * 4. `vulnerability-lists`: ReferenceUrls, RelatedVulnerabilities and all but one Cvss dropped;
 * 5. `details`: Resources[].Details dropped (what Security Hub itself does to oversize control
 *    findings);
 * 6. `resources`: all resources but the first dropped;
 * 7. `product-fields`: ProductFields other than shadowhub's own dropped.
 * The identity, Title, Description, severity and Types are never touched.
 */
export const SHRINK_STEPS: ReadonlyArray<ShrinkStep> = [
  {
    name: "references",
    apply: (f) => {
      let changed = false;
      for (const v of vulnerabilities(f)) {
        if (Array.isArray(v.ReferenceUrls) && v.ReferenceUrls.length > 5) {
          v.ReferenceUrls = v.ReferenceUrls.slice(0, 5);
          changed = true;
        }
        if (Array.isArray(v.RelatedVulnerabilities) && v.RelatedVulnerabilities.length > 10) {
          v.RelatedVulnerabilities = v.RelatedVulnerabilities.slice(0, 10);
          changed = true;
        }
      }
      return changed;
    },
  },
  {
    name: "details-other",
    apply: (f) => {
      let changed = false;
      for (const r of Array.isArray(f.Resources) ? f.Resources.filter(isObject) : []) {
        if (!isObject(r.Details) || !isObject(r.Details.Other)) continue;
        for (const [k, v] of Object.entries(r.Details.Other)) {
          if (typeof v === "string" && v.length > 256) {
            r.Details.Other[k] = truncate(v, 256);
            changed = true;
          }
        }
      }
      return changed;
    },
  },
  {
    name: "packages",
    apply: (f, size) => {
      // Measured incrementally: each halving subtracts the bytes of the packages it drops (the JSON
      // of the dropped tail minus its brackets, plus the comma before it) instead of serializing
      // the whole finding again; `shrinkToFit` measures the result once.
      let bytes = size;
      let omitted = 0;
      for (const v of vulnerabilities(f)) {
        while (
          Array.isArray(v.VulnerablePackages) &&
          v.VulnerablePackages.length > 1 &&
          bytes > MAX_FINDING_BYTES
        ) {
          const list = v.VulnerablePackages;
          const keep = Math.ceil(list.length / 2);
          bytes -= Buffer.byteLength(JSON.stringify(list.slice(keep)), "utf8") - 1;
          omitted += list.length - keep;
          v.VulnerablePackages = list.slice(0, keep);
        }
      }
      if (omitted === 0) return false;
      const pf = isObject(f.ProductFields) ? f.ProductFields : {};
      pf[PRODUCT_FIELD_KEYS.omittedPackages] = String(omitted);
      f.ProductFields = pf;
      return true;
    },
  },
  {
    name: "vulnerability-lists",
    apply: (f) => {
      let changed = false;
      for (const v of vulnerabilities(f)) {
        for (const key of ["ReferenceUrls", "RelatedVulnerabilities"]) {
          if (v[key] !== undefined) {
            delete v[key];
            changed = true;
          }
        }
        if (Array.isArray(v.Cvss) && v.Cvss.length > 1) {
          v.Cvss = v.Cvss.slice(0, 1);
          changed = true;
        }
      }
      return changed;
    },
  },
  {
    name: "details",
    apply: (f) => {
      let changed = false;
      for (const r of Array.isArray(f.Resources) ? f.Resources.filter(isObject) : []) {
        if (r.Details !== undefined) {
          delete r.Details;
          changed = true;
        }
      }
      return changed;
    },
  },
  {
    name: "resources",
    apply: (f) => {
      if (!Array.isArray(f.Resources) || f.Resources.length <= 1) return false;
      f.Resources = f.Resources.slice(0, 1);
      return true;
    },
  },
  {
    name: "product-fields",
    apply: (f) => {
      if (!isObject(f.ProductFields)) return false;
      const kept = Object.fromEntries(
        Object.entries(f.ProductFields).filter(([k]) => k.startsWith("shadowhub/")),
      );
      const changed = Object.keys(kept).length !== Object.keys(f.ProductFields).length;
      f.ProductFields = kept;
      return changed;
    },
  },
];

/**
 * Shrinks `f` in place by `SHRINK_STEPS`; returns its final size in bytes. `size` is its current
 * size when the caller has measured it already. Each step that changes the finding costs one
 * measurement (the `packages` step measures its halvings incrementally), so a finding is
 * serialized at most once per step, never once per package.
 */
export function shrinkToFit(f: Json, measure: FindingSizer = findingJsonBytes, size = measure(f)): number {
  let bytes = size;
  for (const step of SHRINK_STEPS) {
    if (bytes <= MAX_FINDING_BYTES) break;
    if (!step.apply(f, bytes)) continue;
    markShrunk(f, step.name);
    bytes = measure(f);
  }
  return bytes;
}

/** The attributes a scanner draft carries top-level that belong in `FindingProviderFields` (spec §3.4, §6). */
const PROVIDER_KEYS = ["Severity", "Types", "Confidence", "Criticality", "RelatedFindings"] as const;

const PROVIDER_KEY_SET: ReadonlySet<string> = new Set(PROVIDER_KEYS);

/** Fills `fpf` from a draft's top-level provider attributes (already sanitized) where `fpf` has none. */
function fillProviderFields(fpf: Json, moved: Json): void {
  if (isObject(moved.Severity) && fpf.Severity === undefined) {
    const { Label, Normalized, Original } = moved.Severity;
    const label = isSeverityLabel(Label)
      ? Label
      : typeof Normalized === "number"
        ? severityFromNormalized(Normalized)
        : undefined;
    const sev: Json = {};
    if (label !== undefined) sev.Label = label;
    if (typeof Original === "string") sev.Original = Original;
    fpf.Severity = sev;
  }
  for (let i = 1; i < PROVIDER_KEYS.length; i++) {
    const key = PROVIDER_KEYS[i] as string;
    if (moved[key] !== undefined && fpf[key] === undefined) fpf[key] = moved[key];
  }
}

/** The required identity attributes first, then the rest in draft order: readable output and golden files. */
const LEADING_KEYS = [
  "SchemaVersion",
  "Id",
  "ProductArn",
  "GeneratorId",
  "AwsAccountId",
  "CreatedAt",
  "UpdatedAt",
] as const;

const LEADING_KEY_SET: ReadonlySet<string> = new Set(LEADING_KEYS);

/** Fields only Security Hub sets; a passthrough of exported findings must not send them back. */
const SERVICE_OWNED_SET: ReadonlySet<string> = new Set(["ProcessedAt", "Region"]);

/**
 * A sanitized shallow copy of a map the finalizer writes to (FindingProviderFields, ProductFields),
 * without Security Hub's reserved `aws/` keys when `dropAws`; `undefined` when nothing is left.
 * Built key by key instead of copied and then pruned: `delete` would turn every finding's map into
 * a slow dictionary-mode object.
 */
function sanitizedCopy(value: Json, dropAws: boolean): Json | undefined {
  const out: Json = {};
  let any = false;
  sizeBound += 2;
  for (const key of Object.keys(value)) {
    if (key === "__proto__" || (dropAws && key.startsWith("aws/"))) continue;
    sizeBound += key.length * 6 + 4;
    const v = sanitizeInPlace(value[key]);
    if (v !== undefined) {
      out[key] = v;
      any = true;
    }
  }
  return any ? out : undefined;
}

/** Sets `f[key]` to the sanitized `value` unless nothing is left of it. */
function putSanitized(f: Json, key: string, value: unknown): void {
  sizeBound += key.length * 6 + 4;
  const v = sanitizeInPlace(value);
  if (v !== undefined) f[key] = v;
}

/**
 * Finalizes one draft. Returns the finding, or the failure (with the finding Id when known) that
 * keeps it from being sent.
 */
export function finalizeDraft(
  draft: FindingDraft,
  ctx: ConversionContext,
  options: FinalizeOptions,
): { finding: AwsSecurityFinding } | { failure: ConversionFailure } {
  // The finding is built in one pass, key by key and already sanitized, in its final key order: the
  // top level, FindingProviderFields and ProductFields are new objects (they get per-finding values);
  // nested values are cleaned in place — drafts belong to the finalizer, and copying every finding
  // twice dominated the conversion time. Nothing is added and deleted again, so the objects stay in
  // V8's fast mode for the validator and the serializer.
  const source = draft as Json;
  const passthrough = options.passthrough === true;
  const f: Json = {};
  const marked = isMarkedControlFree(draft);
  sizeBound = 0;
  controlFree = false;
  // Scanner drafts carry Severity, Types, ... top-level; they move to FindingProviderFields below.
  const moved: Json = {};
  try {
    // Identity first (readable output and golden files); for scanner drafts with final values.
    if (passthrough) {
      for (const key of LEADING_KEYS) if (source[key] !== undefined) putSanitized(f, key, source[key]);
    } else {
      // each value is searched for control characters unless its origin vouches for it: a constant,
      // the context (checked once), a formatted timestamp, or a marked draft
      const contextFree = contextControlFree(ctx);
      controlFree = true;
      putSanitized(f, "SchemaVersion", ASFF_SCHEMA_VERSION);
      controlFree = marked;
      if (source.Id !== undefined) putSanitized(f, "Id", source.Id);
      controlFree = contextFree;
      putSanitized(f, "ProductArn", ctx.productArn);
      controlFree = marked;
      if (source.GeneratorId !== undefined) putSanitized(f, "GeneratorId", source.GeneratorId);
      controlFree = contextFree;
      putSanitized(f, "AwsAccountId", ctx.accountId);
      controlFree = true;
      const updated = normalizeTimestamp(source.UpdatedAt) ?? formatAsffTimestamp(ctx.nowMs);
      putSanitized(f, "CreatedAt", normalizeTimestamp(source.CreatedAt) ?? updated);
      putSanitized(f, "UpdatedAt", updated);
    }
    controlFree = marked;
    for (const key of Object.keys(source)) {
      if (LEADING_KEY_SET.has(key)) continue;
      const value = source[key];
      if (value === undefined) continue;
      if (passthrough) {
        if (SERVICE_OWNED_SET.has(key)) {
          // counted as before, though it is not sent: the bound stays an upper bound either way
          sizeBound += key.length * 6 + 4;
          sanitizeInPlace(value);
          continue;
        }
      } else if (PROVIDER_KEY_SET.has(key)) {
        sizeBound += key.length * 6 + 4;
        const v = sanitizeInPlace(value);
        if (v !== undefined) moved[key] = v;
        continue;
      }
      if ((key === "FindingProviderFields" || key === "ProductFields") && isObject(value)) {
        sizeBound += key.length * 6 + 4;
        const copy = sanitizedCopy(value, key === "ProductFields");
        if (copy !== undefined) f[key] = copy;
        continue;
      }
      if (key === "__proto__") continue;
      sizeBound += key.length * 6 + 4;
      let v = sanitizeInPlace(value);
      if (v !== undefined && !passthrough) {
        if (key === "FirstObservedAt" || key === "LastObservedAt") v = normalizeTimestamp(v);
        else if (key === "CompanyName" && ctx.companyName !== undefined) v = ctx.companyName;
        else if (key === "ProductName" && ctx.productName !== undefined) v = ctx.productName;
      }
      if (v !== undefined) f[key] = v;
    }
  } finally {
    controlFree = false;
  }
  // what finalize adds below: names, ProductFields keys, a Title/Description fallback
  const bound = sizeBound + 16 * 1024;
  const id = typeof f.Id === "string" ? f.Id : undefined;

  if (passthrough) {
    if (f.SchemaVersion === undefined) f.SchemaVersion = ASFF_SCHEMA_VERSION;
    if (options.overrideIdentity || f.ProductArn === undefined) f.ProductArn = ctx.productArn;
    if (options.overrideIdentity || f.AwsAccountId === undefined) f.AwsAccountId = ctx.accountId;
    if (f.CompanyName === undefined && ctx.companyName !== undefined) f.CompanyName = ctx.companyName;
    if (f.ProductName === undefined && ctx.productName !== undefined) f.ProductName = ctx.productName;
  } else {
    if (ctx.companyName !== undefined && f.CompanyName === undefined) f.CompanyName = ctx.companyName;
    if (ctx.productName !== undefined && f.ProductName === undefined) f.ProductName = ctx.productName;
    if (f.Title === undefined && typeof f.GeneratorId === "string") f.Title = f.GeneratorId;
    if (f.Description === undefined && typeof f.Title === "string") f.Description = f.Title;
    const fpf: Json = isObject(f.FindingProviderFields) ? f.FindingProviderFields : {};
    fillProviderFields(fpf, moved);
    f.FindingProviderFields = fpf;
  }
  const pf: Json = isObject(f.ProductFields) ? f.ProductFields : {};
  if (ctx.scope !== undefined) pf[PRODUCT_FIELD_KEYS.scope] = ctx.scope;
  if (options.format !== undefined && !passthrough) pf[PRODUCT_FIELD_KEYS.format] = options.format;
  if (hasOwnKey(pf)) f.ProductFields = pf;

  // fitToLimits deletes a text field that cleaning emptied, so no second sanitize pass is needed.
  fitToLimits(f);
  const finding = f;

  // Exact size only when the cheap upper bound says the finding could be near the limit.
  const measure = options.sizeOf ?? findingJsonBytes;
  let size = bound <= MAX_FINDING_BYTES ? bound : measure(finding);
  if (size > MAX_FINDING_BYTES) {
    // What no step removes is already over the limit (a 10 MB package name or resource Id): the
    // policy's outcome is known without shrinking and re-serializing the finding step by step.
    const floor = unshrinkableUnits(finding);
    if (floor > MAX_FINDING_BYTES) {
      return failure(
        options,
        id,
        `maxBytes ${MAX_FINDING_BYTES}`,
        `finding ${id ?? "(no Id)"} is ${size} bytes of UTF-8 JSON, and at least ${floor} after every shrink step (${SHRINK_STEPS.map((s) => s.name).join(", ")}) since none of them cuts identity, text, package names or the first resource; Security Hub accepts at most ${MAX_FINDING_BYTES}`,
      );
    }
    // The shrink steps cut lists inside nested objects a parser may share between drafts: work on a copy.
    const copy = structuredClone(finding);
    for (const key of Object.keys(finding)) delete finding[key];
    Object.assign(finding, copy);
    size = shrinkToFit(finding, measure, size);
  }
  if (size > MAX_FINDING_BYTES) {
    return failure(
      options,
      id,
      `maxBytes ${MAX_FINDING_BYTES}`,
      `finding ${id ?? "(no Id)"} is ${size} bytes of UTF-8 JSON after every shrink step (${SHRINK_STEPS.map((s) => s.name).join(", ")}); Security Hub accepts at most ${MAX_FINDING_BYTES}`,
    );
  }
  const violations = (options.validate ?? validateFinding)(finding);
  if (violations.length > 0) {
    const first = violations[0];
    return failure(
      options,
      id,
      first?.keyword ?? "ASFF",
      violations.map((v) => v.message).join(" "),
      first?.path,
    );
  }
  return { finding: finding as unknown as AwsSecurityFinding };
}

function failure(
  options: FinalizeOptions,
  id: string | undefined,
  rule: string,
  message: string,
  field?: string,
): { failure: ConversionFailure } {
  return {
    failure: {
      source: options.source,
      ...(id ? { findingId: id } : {}),
      ...(field ? { field } : {}),
      rule,
      message,
    },
  };
}

/** What a `DraftFinalizer` made of one draft. */
export type FinalizeStep =
  | { readonly finding: AwsSecurityFinding; readonly failure?: undefined }
  | { readonly failure: ConversionFailure; readonly finding?: undefined }
  /** A draft whose Id an earlier draft already had: the same issue listed twice; dropped. */
  | { readonly duplicate: true; readonly finding?: undefined; readonly failure?: undefined };

/**
 * Finalizes drafts one at a time, remembering the Ids it has returned so that a later draft with
 * the same Id (the same issue listed twice) is dropped, as `finalizeDrafts` does for a whole array.
 * For streaming conversion: the caller can forward each finding and forget it.
 */
export interface DraftFinalizer {
  /** Finalizes one draft (which it consumes, as `finalizeDrafts` does). */
  add(draft: FindingDraft): FinalizeStep;
}

const DUPLICATE: FinalizeStep = { duplicate: true };

/** Creates a `DraftFinalizer` for one report. */
export function createFinalizer(ctx: ConversionContext, options: FinalizeOptions): DraftFinalizer {
  const seen = new Set<string>();
  return {
    add(draft) {
      const result = finalizeDraft(draft, ctx, options);
      if ("failure" in result) return result;
      // one hash probe instead of two (has, then add): the Set grows by one unless the Id is known
      const before = seen.size;
      seen.add(result.finding.Id ?? "");
      return seen.size === before ? DUPLICATE : result;
    },
  };
}

/**
 * Finalizes every draft. Drafts with the same Id describe the same issue (a report listing it
 * twice): the first is kept. Never throws for bad drafts; each problem is a failure.
 *
 * The drafts are consumed: their nested objects are cleaned in place (idempotently) and may be
 * shared with the returned findings, so do not reuse a draft after finalizing it.
 */
export function finalizeDrafts(
  drafts: readonly FindingDraft[],
  ctx: ConversionContext,
  options: FinalizeOptions,
): FinalizeResult {
  const findings: AwsSecurityFinding[] = [];
  const failures: ConversionFailure[] = [];
  const finalizer = createFinalizer(ctx, options);
  for (const draft of drafts) {
    const step = finalizer.add(draft);
    if (step.finding !== undefined) findings.push(step.finding);
    else if (step.failure !== undefined) failures.push(step.failure);
  }
  return { findings, failures };
}
