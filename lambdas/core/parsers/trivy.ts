/**
 * Trivy JSON (`trivy … --format json`, SchemaVersion 2): Vulnerabilities, Misconfigurations,
 * Secrets and Licenses of every result, against the scanned artifact as the resource.
 *
 * Ids (see `ids.ts`): one finding per issue —
 * - vulnerability: (artifact, OS-package class or target file, CVE, package name, package path):
 *   the same CVE in several packages or lock files gives several findings; the installed version
 *   is not part of it, so an upgrade that is still vulnerable updates the same finding;
 * - misconfiguration: (artifact, target file, check id, cause resource — or the start line when
 *   the check names no resource);
 * - secret: (artifact, target file, rule id, start and end line, layer): two secrets in one file
 *   never share an Id;
 * - license: (artifact, target, package, license name, file path).
 */
import type { Resource } from "@aws-sdk/client-securityhub";
import { formatAsffTimestamp, parseAsffTimestamp } from "../asff/timestamp.ts";
import { memoizeBounded } from "../bounded-memo.ts";
import { InputError } from "../errors.ts";
import type {
  ConversionFailure,
  FindingDraft,
  ParseContext,
  ParseItem,
  ReportParser,
  SplitReport,
} from "./contracts.ts";
import { markControlFree } from "./finalize.ts";
import { findingId, generatorId, type IdTemplate, idTemplate, templateId } from "./ids.ts";
import {
  asArray,
  asNumber,
  asObject,
  asString,
  asStrings,
  type JsonObject,
  jsonType,
} from "./json-access.ts";
import { collectParseItems } from "./parse-items.ts";
import { codeResource, imageResource, withOther } from "./resources.ts";
import { mapSeverity, type SeverityTable } from "./severity.ts";
import { isControlFreeEntry } from "./split-json.ts";
import { stripControl } from "./text.ts";

/** Trivy severity → ASFF label (Trivy's `UNKNOWN` becomes INFORMATIONAL). */
export const TRIVY_SEVERITY: SeverityTable = {
  unknown: "INFORMATIONAL",
  low: "LOW",
  medium: "MEDIUM",
  high: "HIGH",
  critical: "CRITICAL",
};

/** Trivy finding kind → ASFF Types. */
export const TRIVY_TYPES = {
  cve: ["Software and Configuration Checks/Vulnerabilities/CVE"],
  vulnerability: ["Software and Configuration Checks/Vulnerabilities"],
  misconfigAws: ["Software and Configuration Checks/AWS Security Best Practices"],
  misconfig: ["Software and Configuration Checks"],
  secret: ["Sensitive Data Identifications/Passwords", "Effects/Data Exposure"],
  privateKey: ["Sensitive Data Identifications/Security", "Effects/Data Exposure"],
  license: ["Software and Configuration Checks/License Compliance"],
} as const;

const TOOL = "trivy";

/** ISO time → normalized ASFF timestamp, remembered: vendor dates repeat across a report (one per CVE, many CVEs per day). */
const normalizedTime = memoizeBounded((value): string | undefined => {
  const ms = parseAsffTimestamp(value);
  return ms === undefined ? undefined : formatAsffTimestamp(ms);
}, 4096);

/** ISO time → normalized ASFF timestamp, or undefined. */
function time(value: unknown): string | undefined {
  return typeof value === "string" ? normalizedTime(value) : undefined;
}

function isImage(artifactType: string | undefined): boolean {
  return artifactType === "container_image";
}

/** The resource of the scanned artifact. */
function artifactResource(report: JsonObject, source: string): { resource: Resource; name: string } {
  const name = asString(report.ArtifactName) ?? source;
  const type = asString(report.ArtifactType);
  const meta = asObject(report.Metadata) ?? {};
  const os = asObject(meta.OS);
  const osText = os ? [asString(os.Family), asString(os.Name)].filter(Boolean).join(" ") : undefined;
  if (isImage(type)) {
    const config = asObject(meta.ImageConfig);
    return {
      name,
      resource: imageResource({
        name,
        ...(asString(meta.ImageID) ? { imageId: asString(meta.ImageID) } : {}),
        tags: asStrings(meta.RepoTags),
        repoDigests: asStrings(meta.RepoDigests),
        ...(config && asString(config.architecture) ? { architecture: asString(config.architecture) } : {}),
        ...(osText ? { os: osText } : {}),
      }),
    };
  }
  return {
    name,
    resource: codeResource(
      {
        name,
        ...(asString(meta.RepoURL) ? { repoUrl: asString(meta.RepoURL) } : {}),
        ...(asString(meta.Branch) ? { branch: asString(meta.Branch) } : {}),
        ...(asString(meta.Commit) ? { commit: asString(meta.Commit) } : {}),
        ...(type ? { artifactType: type } : {}),
      },
      { os: osText },
    ),
  };
}

interface Scope {
  readonly source: string;
  readonly artifact: string;
  readonly resource: Resource;
  readonly reportTime?: string;
  readonly includePassed: boolean;
}

function base(
  scope: Scope,
  id: string,
  rule: string,
): Pick<FindingDraft, "Id" | "GeneratorId" | "CreatedAt" | "UpdatedAt"> {
  return {
    Id: id,
    GeneratorId: generatorId(TOOL, rule),
    ...(scope.reportTime ? { CreatedAt: scope.reportTime, UpdatedAt: scope.reportTime } : {}),
  };
}

type CvssEntry = NonNullable<NonNullable<FindingDraft["Vulnerabilities"]>[number]["Cvss"]>[number];

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** The version of a CVSS vector (`CVSS:3.1/…` → `3.1`), as `/^CVSS:(\d\.\d)/` reads it. */
function cvssVersion(vector: string): string | undefined {
  return vector.startsWith("CVSS:") &&
    isDigit(vector.charCodeAt(5)) &&
    vector.charCodeAt(6) === 0x2e &&
    isDigit(vector.charCodeAt(7))
    ? vector.slice(5, 8)
    : undefined;
}

/** One `Cvss` entry: keys in the order Version, BaseScore, BaseVector, Source. */
function cvssEntry(version: string, score: number | undefined, vector: string | undefined, source: string) {
  const entry: CvssEntry = { Version: version };
  if (score !== undefined) entry.BaseScore = score;
  if (vector !== undefined) entry.BaseVector = vector;
  entry.Source = source;
  return entry;
}

function cvssList(value: unknown): CvssEntry[] {
  const out: CvssEntry[] = [];
  const map = asObject(value);
  if (!map) return out;
  const sources = Object.keys(map);
  if (sources.length > 1) sources.sort();
  for (const source of sources) {
    const c = asObject(map[source]);
    if (!c) continue;
    const v3 = asString(c.V3Vector);
    const v3score = asNumber(c.V3Score);
    if (v3score !== undefined || v3) {
      out.push(cvssEntry((v3 ? cvssVersion(v3) : undefined) ?? "3.x", v3score, v3, source));
    }
    const v40 = asString(c.V40Vector);
    const v40score = asNumber(c.V40Score);
    if (v40score !== undefined || v40) out.push(cvssEntry("4.0", v40score, v40, source));
    const v2 = asString(c.V2Vector);
    const v2score = asNumber(c.V2Score);
    if (v2score !== undefined || v2) out.push(cvssEntry("2.0", v2score, v2, source));
  }
  return out;
}

/** What every vulnerability of one result shares, computed once per result. */
interface ResultFacts {
  readonly target: string;
  readonly cls: string;
  readonly pkgType: string | undefined;
  /** The Id's location part: the target file, or the package class for OS packages. */
  readonly where: string;
  /** The artifact's Details.Other plus the result's own facts, copied for each finding. */
  readonly other: Readonly<Record<string, string>>;
  /** The vulnerability Id recipe with the artifact and `where` encoded once. */
  readonly ids: IdTemplate;
}

/**
 * A shallow copy of `source`, key by key (own and inherited enumerable string keys: plain JSON-like
 * objects only). On the per-finding path instead of a spread: a spread of the result's
 * Details.Other gave some reports (the import benchmark's) a new hidden class for every finding, and
 * each property added after it, and the finalizer's walk of the object, then took V8's slow path
 * (drafts ~9.6 → ~1.9 µs there).
 */
function copyOf<T extends object>(source: T): { -readonly [K in keyof T]: T[K] } {
  const out = {} as { -readonly [K in keyof T]: T[K] };
  for (const key in source) out[key] = source[key];
  return out;
}

/** `{ ...resource, Details: { ...resource.Details, Other: other } }`, without spreads (see `copyOf`). */
function withDetailsOther(resource: Resource, other: Record<string, string>): Resource {
  const out = copyOf(resource);
  const details = copyOf(resource.Details ?? {});
  details.Other = other;
  out.Details = details;
  return out;
}

function resultFacts(scope: Scope, result: JsonObject): ResultFacts {
  const target = asString(result.Target) ?? "";
  const cls = asString(result.Class) ?? "";
  const pkgType = asString(result.Type);
  const other = copyOf(scope.resource.Details?.Other ?? {});
  if (target !== "") other.target = target;
  if (cls !== "") other.class = cls;
  if (pkgType !== undefined) other.packageType = pkgType;
  // OS packages: the target text carries the OS version ("alpine:3.19 (alpine 3.19.1)"), which
  // changes on a base-image bump; the package class and type identify the package set instead.
  const where = cls === "os-pkgs" ? `os-pkgs:${pkgType ?? ""}` : target;
  return { target, cls, pkgType, where, other, ids: idTemplate(TOOL, [scope.artifact, where]) };
}

/** `asStrings(value).join(",")`, without the array for the usual list of one. */
function joinedStrings(value: unknown): string {
  if (Array.isArray(value) && value.length === 1) return asString(value[0]) ?? "";
  return asStrings(value).join(",");
}

// Hot path: a large image report has 100,000 of these, so it avoids spreads and temporary objects.
// Every string of the draft comes from `v`, `scope`, `facts`, the Id recipe (safe characters and
// hex), normalized dates or this file's constants: `trivyItems` relies on it (`markControlFree`).
function vulnerabilityDraft(scope: Scope, facts: ResultFacts, v: JsonObject, vulnId: string): FindingDraft {
  const pkgType = facts.pkgType;
  const pkg = asString(v.PkgName) ?? asString(v.PkgID) ?? "unknown-package";
  const pkgPath = asString(v.PkgPath);
  const installed = asString(v.InstalledVersion);
  const fixed = asString(v.FixedVersion);
  const status = asString(v.Status);
  const title = asString(v.Title);
  const primaryUrl = asString(v.PrimaryURL);
  const layer = asObject(v.Layer);
  const dataSource = asObject(v.DataSource);
  const severity = asString(v.Severity);
  // findingId(TOOL, vulnId, [scope.artifact, facts.where, pkg, pkgPath ?? ""])
  const id = templateId(facts.ids, vulnId, [pkg, pkgPath ?? ""]);
  const remediation = fixed
    ? `Upgrade ${pkg}${installed ? ` from ${installed}` : ""} to ${fixed} or later.`
    : `No fixed version of ${pkg} is available${status ? ` (status: ${status})` : ""}; watch the advisory or mitigate.`;

  const pkgEntry: NonNullable<
    NonNullable<FindingDraft["Vulnerabilities"]>[number]["VulnerablePackages"]
  >[number] = { Name: pkg };
  // Named stores, not `put`: a store through a shared helper sees every object and key of the
  // draft and is megamorphic (the slowest kind), ~0.5 µs per draft.
  if (installed !== undefined) pkgEntry.Version = installed;
  if (pkgPath !== undefined) pkgEntry.FilePath = pkgPath;
  if (pkgType !== undefined) pkgEntry.PackageManager = pkgType;
  if (fixed) {
    pkgEntry.FixedInVersion = fixed;
    pkgEntry.Remediation = remediation;
  }
  const layerDigest = layer ? asString(layer.Digest) : undefined;
  if (layerDigest !== undefined) pkgEntry.SourceLayerHash = layerDigest;

  const vendor: NonNullable<NonNullable<FindingDraft["Vulnerabilities"]>[number]["Vendor"]> = {
    Name: asString(v.SeveritySource) ?? (dataSource ? asString(dataSource.Name) : undefined) ?? TOOL,
  };
  if (primaryUrl !== undefined) vendor.Url = primaryUrl;
  if (severity !== undefined) vendor.VendorSeverity = severity;
  const published = time(v.PublishedDate);
  if (published !== undefined) vendor.VendorCreatedAt = published;
  const modified = time(v.LastModifiedDate);
  if (modified !== undefined) vendor.VendorUpdatedAt = modified;

  const recommendation: { Text: string; Url?: string } = { Text: remediation };
  if (primaryUrl !== undefined) recommendation.Url = primaryUrl;

  // Details.Other: the result's facts, then the entry's own non-empty ones
  const other = copyOf(facts.other);
  const packageId = asString(v.PkgID);
  if (packageId !== undefined) other.packageId = packageId;
  if (status !== undefined) other.status = status;
  const cwe = joinedStrings(v.CweIDs);
  if (cwe !== "") other.cwe = cwe;
  const diffId = layer ? asString(layer.DiffID) : undefined;
  if (diffId !== undefined) other.layerDiffId = diffId;
  const base = scope.resource;

  // Cvss and ReferenceUrls only when not empty: the finalizer would delete an empty list, and a
  // delete turns the object into a slow dictionary (for the finalizer, the validator and the
  // serializer); the finding is the same either way.
  const vulnerability: NonNullable<FindingDraft["Vulnerabilities"]>[number] = {
    Id: vulnId,
    VulnerablePackages: [pkgEntry],
  };
  const cvss = cvssList(v.CVSS);
  if (cvss.length > 0) vulnerability.Cvss = cvss;
  vulnerability.Vendor = vendor;
  const references = asStrings(v.References);
  if (references.length > 0) vulnerability.ReferenceUrls = references;
  vulnerability.FixAvailable = fixed ? "YES" : "NO";

  const draft: { -readonly [K in keyof FindingDraft]: FindingDraft[K] } = {
    Id: id,
    GeneratorId: generatorId(TOOL, vulnId),
    CreatedAt: scope.reportTime,
    UpdatedAt: scope.reportTime,
    Title: `${vulnId} ${pkg}${installed ? ` ${installed}` : ""}${title ? `: ${title}` : ""}`,
    Description: asString(v.Description) ?? title ?? `${vulnId} in ${pkg}`,
    Severity: mapSeverity(TRIVY_SEVERITY, severity),
    Types: [vulnId.startsWith("CVE-") ? TRIVY_TYPES.cve[0] : TRIVY_TYPES.vulnerability[0]],
    SourceUrl: primaryUrl,
    Remediation: { Recommendation: recommendation },
    Resources: [withDetailsOther(base, other)],
    Vulnerabilities: [vulnerability],
  };
  if (!scope.reportTime) {
    delete draft.CreatedAt;
    delete draft.UpdatedAt;
  }
  return draft;
}

function misconfigDraft(
  scope: Scope,
  result: JsonObject,
  m: JsonObject,
  checkId: string,
  passed: boolean,
): FindingDraft {
  const target = asString(result.Target) ?? "";
  const cause = asObject(m.CauseMetadata) ?? {};
  const causeResource = asString(cause.Resource);
  const startLine = asNumber(cause.StartLine);
  const endLine = asNumber(cause.EndLine);
  const provider = asString(cause.Provider);
  const title = asString(m.Title) ?? checkId;
  const message = asString(m.Message);
  const url = asString(m.PrimaryURL) ?? asStrings(m.References)[0];
  const id = findingId(TOOL, checkId, [scope.artifact, target, causeResource ?? `line:${startLine ?? ""}`]);
  const severity = mapSeverity(TRIVY_SEVERITY, asString(m.Severity));
  return {
    ...base(scope, id, checkId),
    Title: `${checkId}: ${title}`,
    Description: [asString(m.Description), message].filter(Boolean).join("\n\n") || title,
    Severity: passed ? { ...severity, Label: "INFORMATIONAL" } : severity,
    Types: [...(provider?.toLowerCase() === "aws" ? TRIVY_TYPES.misconfigAws : TRIVY_TYPES.misconfig)],
    Compliance: { Status: passed ? "PASSED" : "FAILED" },
    ...(url ? { SourceUrl: url } : {}),
    ...(asString(m.Resolution) || url
      ? {
          Remediation: {
            Recommendation: { Text: asString(m.Resolution) ?? `See ${url}`, ...(url ? { Url: url } : {}) },
          },
        }
      : {}),
    Resources: [
      withOther(scope.resource, {
        target,
        checkType: asString(m.Type),
        avdId: asString(m.AVDID),
        namespace: asString(m.Namespace),
        causeResource,
        provider,
        service: asString(cause.Service),
        lines: startLine !== undefined ? `${startLine}-${endLine ?? startLine}` : undefined,
      }),
    ],
  };
}

function secretDraft(scope: Scope, result: JsonObject, s: JsonObject, ruleId: string): FindingDraft {
  const target = asString(result.Target) ?? "";
  const startLine = asNumber(s.StartLine);
  const endLine = asNumber(s.EndLine);
  const category = asString(s.Category);
  const title = asString(s.Title) ?? ruleId;
  const layer = asObject(s.Layer);
  const layerId = layer ? (asString(layer.DiffID) ?? asString(layer.Digest)) : undefined;
  const id = findingId(TOOL, `secret/${ruleId}`, [scope.artifact, target, startLine, endLine, layerId ?? ""]);
  const at = startLine !== undefined ? `${target}:${startLine}` : target;
  // `Match` and `Code.Lines` hold the secret (masked by Trivy, but never trusted): not copied.
  return {
    ...base(scope, id, `secret/${ruleId}`),
    Title: `Secret: ${title} in ${at}`,
    Description: `A secret (${title}${category ? `, category ${category}` : ""}) was found in ${at}. The matched value is redacted and not part of this finding; rotate the secret and remove it from the source and its history.`,
    Severity: mapSeverity(TRIVY_SEVERITY, asString(s.Severity)),
    Types: [...(category === "AsymmetricPrivateKey" ? TRIVY_TYPES.privateKey : TRIVY_TYPES.secret)],
    Remediation: {
      Recommendation: { Text: "Revoke and rotate the secret, then remove it from the code and its history." },
    },
    Resources: [
      withOther(scope.resource, {
        target,
        ruleId,
        category,
        lines: startLine !== undefined ? `${startLine}-${endLine ?? startLine}` : undefined,
        layerDiffId: layerId,
      }),
    ],
  };
}

function licenseDraft(scope: Scope, result: JsonObject, l: JsonObject, name: string): FindingDraft {
  const target = asString(result.Target) ?? "";
  const pkg = asString(l.PkgName);
  const filePath = asString(l.FilePath);
  const category = asString(l.Category);
  const link = asString(l.Link);
  const subject = pkg ?? filePath ?? target;
  const id = findingId(TOOL, `license/${name}`, [scope.artifact, target, pkg ?? "", name, filePath ?? ""]);
  return {
    ...base(scope, id, `license/${name}`),
    Title: `License ${name}${category ? ` (${category})` : ""} in ${subject}`,
    Description: `${subject} is distributed under ${name}${category ? `, classified by Trivy as ${category}` : ""}. Check that the license is acceptable for this project.`,
    Severity: mapSeverity(TRIVY_SEVERITY, asString(l.Severity)),
    Types: [...TRIVY_TYPES.license],
    ...(link ? { SourceUrl: link } : {}),
    Resources: [withOther(scope.resource, { target, package: pkg, filePath, licenseCategory: category })],
  };
}

/**
 * The JSON type a Trivy field must have when present (`null` counts as absent: Go writes empty
 * lists as `null`). A nested object lists its own fields; `each` applies to every value of a map.
 */
type FieldType =
  | "string"
  | "number"
  | "strings"
  | "object"
  | { readonly fields: FieldTypes }
  | { readonly each: FieldTypes };
type FieldTypes = Readonly<Record<string, FieldType>>;

const EXPECTED: Readonly<Record<"string" | "number" | "strings" | "object", string>> = {
  string: "a string",
  number: "a number",
  strings: "an array of strings",
  object: "an object",
};

const LAYER: FieldType = { fields: { Digest: "string", DiffID: "string" } };

/** Every field the vulnerability mapping reads, with its type in Trivy's JSON schema. */
const VULNERABILITY_FIELDS: FieldTypes = {
  VulnerabilityID: "string",
  PkgID: "string",
  PkgName: "string",
  PkgPath: "string",
  InstalledVersion: "string",
  FixedVersion: "string",
  Status: "string",
  Title: "string",
  Description: "string",
  Severity: "string",
  SeveritySource: "string",
  PrimaryURL: "string",
  PublishedDate: "string",
  LastModifiedDate: "string",
  CweIDs: "strings",
  References: "strings",
  Layer: LAYER,
  DataSource: { fields: { Name: "string" } },
  CVSS: {
    each: {
      V2Vector: "string",
      V3Vector: "string",
      V40Vector: "string",
      V2Score: "number",
      V3Score: "number",
      V40Score: "number",
    },
  },
};

const MISCONFIGURATION_FIELDS: FieldTypes = {
  ID: "string",
  AVDID: "string",
  Type: "string",
  Title: "string",
  Description: "string",
  Message: "string",
  Namespace: "string",
  Resolution: "string",
  Severity: "string",
  PrimaryURL: "string",
  Status: "string",
  References: "strings",
  CauseMetadata: {
    fields: {
      Resource: "string",
      Provider: "string",
      Service: "string",
      StartLine: "number",
      EndLine: "number",
    },
  },
};

const SECRET_FIELDS: FieldTypes = {
  RuleID: "string",
  Category: "string",
  Severity: "string",
  Title: "string",
  StartLine: "number",
  EndLine: "number",
  Layer: LAYER,
};

const LICENSE_FIELDS: FieldTypes = {
  Name: "string",
  PkgName: "string",
  FilePath: "string",
  Category: "string",
  Severity: "string",
  Link: "string",
};

/** Top-level fields that every finding of the report uses (the artifact's name in each Id). */
const REPORT_FIELDS: FieldTypes = { ArtifactName: "string", ArtifactType: "string", CreatedAt: "string" };

/** An identifying value: a non-blank string, never a number turned into one. */
function stringId(value: unknown): string | undefined {
  return typeof value === "string" ? asString(value) : undefined;
}

/** The fields of a result that every finding of it uses (its Id and resource facts). */
const RESULT_FIELDS: FieldTypes = { Target: "string", Class: "string", Type: "string" };

/**
 * The first field of `entry` (at JSON path `at`) whose value has the wrong JSON type, as a failure
 * naming the file, the path and the expected type; `undefined` when every field is as Trivy writes
 * it. Values are never coerced: a numeric `VulnerabilityID` or an object `PkgName` is a broken
 * report entry, not an Id to guess.
 */
function wrongType(
  source: string,
  at: string,
  entry: JsonObject,
  fields: FieldTypes,
): ConversionFailure | undefined {
  for (const key in fields) {
    const value = entry[key];
    if (value === undefined || value === null) continue;
    const type = fields[key] as FieldType;
    const path = `${at}.${key}`;
    if (typeof type === "string") {
      const bad = badValue(value, type);
      if (bad !== undefined)
        return typeFailure(
          source,
          bad.index === undefined ? path : `${path}[${bad.index}]`,
          bad.value,
          bad.expected,
        );
      continue;
    }
    const object = asObject(value);
    if (object === undefined) return typeFailure(source, path, value, EXPECTED.object);
    if ("fields" in type) {
      const nested = wrongType(source, path, object, type.fields);
      if (nested !== undefined) return nested;
    } else {
      for (const name of Object.keys(object)) {
        const item = object[name];
        const member = `${path}.${name}`;
        const itemObject = asObject(item);
        if (itemObject === undefined) return typeFailure(source, member, item, EXPECTED.object);
        const nested = wrongType(source, member, itemObject, type.each);
        if (nested !== undefined) return nested;
      }
    }
  }
  return undefined;
}

/** A `FieldTypes` table as an array, for the allocation-free check of every entry. */
interface CompiledField {
  readonly key: string;
  readonly type: "string" | "number" | "strings" | "object";
  /** The nested object's own fields (`fields`), or those of every map value (`each`). */
  readonly fields?: readonly CompiledField[];
  readonly each?: readonly CompiledField[];
}

function compileFields(fields: FieldTypes): readonly CompiledField[] {
  return Object.entries(fields).map(([key, type]): CompiledField => {
    if (typeof type === "string") return { key, type };
    return "fields" in type
      ? { key, type: "object", fields: compileFields(type.fields) }
      : { key, type: "object", each: compileFields(type.each) };
  });
}

/**
 * True when every field of `entry` has its type: the hot path (100,000 entries per report) builds no
 * path strings and allocates nothing; `wrongType` then explains a false.
 */
function typesOk(entry: JsonObject, fields: readonly CompiledField[]): boolean {
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as CompiledField;
    const value = entry[field.key];
    if (value === undefined || value === null) continue;
    switch (field.type) {
      case "string":
        if (typeof value !== "string") return false;
        break;
      case "number":
        if (typeof value !== "number" || !Number.isFinite(value)) return false;
        break;
      case "strings":
        if (!Array.isArray(value)) return false;
        for (let j = 0; j < value.length; j++) if (typeof value[j] !== "string") return false;
        break;
      default: {
        if (typeof value !== "object" || Array.isArray(value)) return false;
        const object = value as JsonObject;
        if (field.fields !== undefined && !typesOk(object, field.fields)) return false;
        if (field.each !== undefined) {
          for (const name in object) {
            const item = object[name];
            if (typeof item !== "object" || item === null || Array.isArray(item)) return false;
            if (!typesOk(item as JsonObject, field.each)) return false;
          }
        }
      }
    }
  }
  return true;
}

/** Absent, `null` or a string. */
function isStringField(value: unknown): boolean {
  return value === undefined || value === null || typeof value === "string";
}

/** Absent, `null` or a finite number. */
function isNumberField(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === "number" && Number.isFinite(value));
}

/** Absent, `null` or an array of strings. */
function isStringsField(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) if (typeof value[i] !== "string") return false;
  return true;
}

/** An object (not `null`, not an array). */
function isObjectValue(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * `typesOk(v, CHECKED.vulnerability)` (VULNERABILITY_FIELDS) with a named load per field: the
 * generic walk's keyed loads see every key and are megamorphic, ~0.5 µs per entry, and every
 * vulnerability passes here. A `false` is explained by `wrongType` from the table, so the table
 * stays the one statement of the types; `bad-input.test.ts` puts a wrong value in every field of it.
 */
function vulnerabilityTypesOk(v: JsonObject): boolean {
  if (
    !(
      isStringField(v.VulnerabilityID) &&
      isStringField(v.PkgID) &&
      isStringField(v.PkgName) &&
      isStringField(v.PkgPath) &&
      isStringField(v.InstalledVersion) &&
      isStringField(v.FixedVersion) &&
      isStringField(v.Status) &&
      isStringField(v.Title) &&
      isStringField(v.Description) &&
      isStringField(v.Severity) &&
      isStringField(v.SeveritySource) &&
      isStringField(v.PrimaryURL) &&
      isStringField(v.PublishedDate) &&
      isStringField(v.LastModifiedDate) &&
      isStringsField(v.CweIDs) &&
      isStringsField(v.References)
    )
  ) {
    return false;
  }
  const layer = v.Layer;
  if (layer !== undefined && layer !== null) {
    if (!isObjectValue(layer) || !isStringField(layer.Digest) || !isStringField(layer.DiffID)) return false;
  }
  const dataSource = v.DataSource;
  if (dataSource !== undefined && dataSource !== null) {
    if (!isObjectValue(dataSource) || !isStringField(dataSource.Name)) return false;
  }
  const cvss = v.CVSS;
  if (cvss !== undefined && cvss !== null) {
    if (!isObjectValue(cvss)) return false;
    for (const source in cvss) {
      const c = cvss[source];
      if (
        !isObjectValue(c) ||
        !isStringField(c.V2Vector) ||
        !isStringField(c.V3Vector) ||
        !isStringField(c.V40Vector) ||
        !isNumberField(c.V2Score) ||
        !isNumberField(c.V3Score) ||
        !isNumberField(c.V40Score)
      ) {
        return false;
      }
    }
  }
  return true;
}

const CHECKED = {
  report: compileFields(REPORT_FIELDS),
  result: compileFields(RESULT_FIELDS),
  misconfiguration: compileFields(MISCONFIGURATION_FIELDS),
  secret: compileFields(SECRET_FIELDS),
  license: compileFields(LICENSE_FIELDS),
} as const;

/** Why `value` is not of `type`: the offending value (an array item's index too) and what was expected. */
function badValue(
  value: unknown,
  type: "string" | "number" | "strings" | "object",
): { value: unknown; index?: number; expected: string } | undefined {
  switch (type) {
    case "string":
      return typeof value === "string" ? undefined : { value, expected: EXPECTED.string };
    case "number":
      return typeof value === "number" && Number.isFinite(value)
        ? undefined
        : { value, expected: EXPECTED.number };
    case "object":
      return asObject(value) !== undefined ? undefined : { value, expected: EXPECTED.object };
    case "strings": {
      if (!Array.isArray(value)) return { value, expected: EXPECTED.strings };
      for (let i = 0; i < value.length; i++) {
        if (typeof value[i] !== "string") return { value: value[i], index: i, expected: EXPECTED.string };
      }
      return undefined;
    }
  }
}

function typeFailure(source: string, field: string, value: unknown, expected: string): ConversionFailure {
  return {
    source,
    field,
    rule: "JSON type",
    message: `${source}: ${field} is a JSON ${jsonType(value)}; expected ${expected}`,
  };
}

function missing(source: string, field: string, what: string, value: unknown): ConversionFailure {
  return {
    source,
    field,
    rule: "required string",
    message: `${source}: ${field} is ${value === undefined ? "missing" : `a JSON ${jsonType(value)}`}; expected ${what}`,
  };
}

/** True when no string in `value` (at any depth) holds a control character. */
function controlFreeValue(value: unknown): boolean {
  if (typeof value === "string") return stripControl(value) === value;
  if (typeof value !== "object" || value === null) return true;
  for (const item of Object.values(value)) if (!controlFreeValue(item)) return false;
  return true;
}

/** The kinds of entries of a Trivy result; each is an array read one entry at a time. */
const ENTRY_KINDS = ["Vulnerabilities", "Misconfigurations", "Secrets", "Licenses"] as const;

/** The entries of `result[kind]`: from the split report when it was read in parts, else the array. */
function entriesOf(
  split: SplitReport | undefined,
  index: number,
  kind: (typeof ENTRY_KINDS)[number],
  result: JsonObject,
): Iterable<unknown> {
  return split?.entries(["Results", index, kind]) ?? asArray(result[kind]);
}

/** Parses a Trivy JSON report into drafts. */
export function parseTrivy(
  document: unknown,
  context: ParseContext,
): { drafts: FindingDraft[]; failures: ConversionFailure[] } {
  return collectParseItems(trivyItems(document, context));
}

/**
 * The streaming form of `parseTrivy`: drafts one at a time, in report order, with each result's
 * shape failures before its drafts. Throws `InputError` (on the first `next()`) for a document that
 * is not a Trivy report at all.
 */
export function* trivyItems(
  document: unknown,
  context: ParseContext,
  split?: SplitReport,
): Generator<ParseItem> {
  const { source } = context;
  const report = asObject(document);
  if (!report) {
    throw new InputError(`${source}: expected a Trivy JSON report object, got a JSON ${jsonType(document)}`, {
      source,
      field: "$",
      rule: "Trivy report",
    });
  }
  if (report.Results !== undefined && !Array.isArray(report.Results)) {
    throw new InputError(
      `${source}: Results is a JSON ${jsonType(report.Results)}; expected an array of results`,
      {
        source,
        field: "Results",
        rule: "array",
      },
    );
  }
  // The artifact name is part of every finding Id and the resource: a wrong type stops the report.
  const badTop = typesOk(report, CHECKED.report) ? undefined : wrongType(source, "$", report, REPORT_FIELDS);
  if (badTop !== undefined) {
    throw new InputError(badTop.message, { source, field: badTop.field ?? "$", rule: badTop.rule });
  }
  const { resource, name } = artifactResource(report, source);
  const reportTime = time(report.CreatedAt);
  const scope: Scope = {
    source,
    artifact: name,
    resource,
    ...(reportTime ? { reportTime } : {}),
    includePassed: context.options?.includePassed === true,
  };
  const scopeClean = split !== undefined && controlFreeValue(scope.artifact) && controlFreeValue(resource);
  const results = asArray(report.Results);
  for (let i = 0; i < results.length; i++) {
    const item = results[i];
    const result = asObject(item);
    const at = `Results[${i}]`;
    if (!result) {
      yield {
        failure: {
          source,
          field: at,
          rule: "object",
          message: `${source}: ${at} is a JSON ${jsonType(item)}; expected a result object`,
        },
      };
      continue;
    }
    for (const key of ENTRY_KINDS) {
      if (result[key] !== undefined && result[key] !== null && !Array.isArray(result[key])) {
        yield {
          failure: {
            source,
            field: `${at}.${key}`,
            rule: "array",
            message: `${source}: ${at}.${key} is a JSON ${jsonType(result[key])}; expected an array`,
          },
        };
      }
    }
    // Target, Class and Type are part of every Id of the result: a wrong type fails the result.
    const badResult = typesOk(result, CHECKED.result)
      ? undefined
      : wrongType(source, at, result, RESULT_FIELDS);
    if (badResult !== undefined) {
      yield { failure: badResult };
      continue;
    }
    const facts = resultFacts(scope, result);
    // what every vulnerability draft of this result takes from outside its entry, checked once
    const factsClean =
      scopeClean && controlFreeValue([facts.where, facts.pkgType, facts.target, facts.other]);
    let j = -1;
    for (const entry of entriesOf(split, i, "Vulnerabilities", result)) {
      j++;
      const v = asObject(entry);
      const vulnId = v ? stringId(v.VulnerabilityID) : undefined;
      if (!v || !vulnId) {
        yield {
          failure: missing(
            source,
            `${at}.Vulnerabilities[${j}].VulnerabilityID`,
            "a vulnerability id such as CVE-2024-1234",
            v?.VulnerabilityID,
          ),
        };
        continue;
      }
      const bad = vulnerabilityTypesOk(v)
        ? undefined
        : wrongType(source, `${at}.Vulnerabilities[${j}]`, v, VULNERABILITY_FIELDS);
      if (bad !== undefined) {
        yield { failure: bad };
        continue;
      }
      const draft = vulnerabilityDraft(scope, facts, v, vulnId);
      // built from the entry's strings, the facts above and constants only: see vulnerabilityDraft
      if (factsClean && isControlFreeEntry(v)) markControlFree(draft);
      yield { draft };
    }
    j = -1;
    for (const entry of entriesOf(split, i, "Misconfigurations", result)) {
      j++;
      const m = asObject(entry);
      const checkId = m ? (stringId(m.AVDID) ?? stringId(m.ID)) : undefined;
      if (m && checkId) {
        const bad = typesOk(m, CHECKED.misconfiguration)
          ? undefined
          : wrongType(source, `${at}.Misconfigurations[${j}]`, m, MISCONFIGURATION_FIELDS);
        if (bad !== undefined) {
          yield { failure: bad };
          continue;
        }
      }
      if (!m || !checkId) {
        yield {
          failure: missing(
            source,
            `${at}.Misconfigurations[${j}].ID`,
            "a check id such as AVD-AWS-0086",
            m?.ID,
          ),
        };
        continue;
      }
      const status = (asString(m.Status) ?? "FAIL").toUpperCase();
      if (status === "FAIL") yield { draft: misconfigDraft(scope, result, m, checkId, false) };
      else if (status === "PASS" && scope.includePassed)
        yield { draft: misconfigDraft(scope, result, m, checkId, true) };
      // EXCEPTION (suppressed by policy) and PASS without --include-passed are not findings.
    }
    j = -1;
    for (const entry of entriesOf(split, i, "Secrets", result)) {
      j++;
      const s = asObject(entry);
      const ruleId = s ? (stringId(s.RuleID) ?? stringId(s.Title)) : undefined;
      if (s && ruleId) {
        const bad = typesOk(s, CHECKED.secret)
          ? undefined
          : wrongType(source, `${at}.Secrets[${j}]`, s, SECRET_FIELDS);
        if (bad !== undefined) {
          yield { failure: bad };
          continue;
        }
      }
      if (!s || !ruleId) {
        yield {
          failure: missing(
            source,
            `${at}.Secrets[${j}].RuleID`,
            "a secret rule id such as aws-access-key-id",
            s?.RuleID,
          ),
        };
        continue;
      }
      yield { draft: secretDraft(scope, result, s, ruleId) };
    }
    j = -1;
    for (const entry of entriesOf(split, i, "Licenses", result)) {
      j++;
      const l = asObject(entry);
      const licenseName = l ? stringId(l.Name) : undefined;
      if (l && licenseName) {
        const bad = typesOk(l, CHECKED.license)
          ? undefined
          : wrongType(source, `${at}.Licenses[${j}]`, l, LICENSE_FIELDS);
        if (bad !== undefined) {
          yield { failure: bad };
          continue;
        }
      }
      if (!l || !licenseName) {
        yield {
          failure: missing(source, `${at}.Licenses[${j}].Name`, "a license name such as GPL-3.0", l?.Name),
        };
        continue;
      }
      yield { draft: licenseDraft(scope, result, l, licenseName) };
    }
  }
}

/** The Trivy JSON parser (`--format trivy`). */
export const trivyParser: ReportParser = {
  name: "trivy",
  detect(document) {
    const o = asObject(document);
    return o !== undefined && o.SchemaVersion === 2 && ("ArtifactName" in o || "Results" in o);
  },
  parse: parseTrivy,
  parseItems: trivyItems,
  entryArrays: ENTRY_KINDS.map((kind) => ["Results", "*", kind]),
  parseSplit: (report, context) => trivyItems(report.document, context, report),
};
