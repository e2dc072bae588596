/**
 * SARIF 2.1.0 parser for any tool (CodeQL, Semgrep, Checkov, tfsec, KICS, gitleaks, Bandit, ESLint,
 * Snyk, Trivy, ...). One finding per active result; see `docs/parsers-sarif-zap.md` for the mapping
 * tables and the Id recipe. Pure: the document is already parsed, nothing is read or written.
 */
import type { Remediation, Resource, SeverityLabel, Vulnerability } from "@aws-sdk/client-securityhub";
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
import { generatorId, readableRule } from "./ids.ts";
import { collectParseItems } from "./parse-items.ts";
import { isSecretPropertyName } from "./redact.ts";
import {
  groupByPrefixedId,
  type IdentifiedDraft,
  identityPartJson,
  identityTailHasher,
  resolveCollision,
} from "./sarif-ids.ts";
import {
  confidenceForWord,
  LEVEL_TO_LABEL,
  labelForScore,
  labelForWord,
  type MappedSeverity,
  original,
  parseScore,
} from "./sarif-severity.ts";
import { cleanProse, firstLine, formatSarifMessage, redactSecrets, truncate } from "./sarif-text.ts";
import { hasControl } from "./text.ts";

/** Options of the SARIF parser. */
export interface SarifParserOptions {
  /**
   * Import `kind: "pass"` results as findings with `Compliance.Status: PASSED` and severity
   * INFORMATIONAL. Overrides the caller's `ParseContext.options.includePassed` (the same switch
   * the Trivy parser reads).
   * @default `context.options.includePassed`, else false
   */
  readonly includePassed?: boolean;
  /**
   * What to do with suppressed results (`suppressions` accepted or without status) and
   * `baselineState: "absent"`: `"skip"` leaves them out; `"archive"` emits them with
   * `RecordState: ARCHIVED` so a finding imported earlier under the same Id is archived.
   * @default "skip"
   */
  readonly inactiveResults?: "skip" | "archive";
}

/** ASFF limits the parser fits its own text to (the finalizer enforces them again). */
const TITLE_MAX = 256;
const DESCRIPTION_MAX = 1024;
const REMEDIATION_MAX = 512;
const PRODUCT_FIELD_VALUE_MAX = 2048;
const DETAILS_OTHER_VALUE_MAX = 1024;
const MAX_CWES = 20;
const MAX_URI_BASE_DEPTH = 8;

// ProductFields keys are `shadowhub/sarif/<name>` (`company-id/product-id/field-name`, never `aws/`).

/** `Types` mapping table (first match wins). */
export const SARIF_TYPES = {
  secret: "Sensitive Data Identifications/Passwords",
  cve: "Software and Configuration Checks/Vulnerabilities/CVE",
  cwe: "Software and Configuration Checks/Vulnerabilities/CWE",
  iac: "Software and Configuration Checks/Industry and Regulatory Standards",
  other: "Software and Configuration Checks",
} as const;

/** Tools whose results are secret detections: every result is redacted as a secret. */
const SECRET_TOOL_RE =
  /gitleaks|trufflehog|detect-secrets|secretlint|ggshield|gitguardian|talisman|whispers|nosey ?parker|secret/i;
/** Infrastructure-as-code scanners: results are configuration checks. */
const IAC_TOOL_RE =
  /checkov|tfsec|kics|terrascan|tflint|cfn[-_ ]?(lint|nag)|kube-?(linter|score|scape)|hadolint|trivy.*config|snyk.*iac|regula|defsec/i;
/** Partial fingerprint keys that are stable across runs (others, like gitleaks' `date` or `author`, are not). */
const STABLE_PARTIAL_KEY_RE =
  /^(?:primaryLocationLineHash|primaryLocationStartColumnFingerprint|contextRegionHash|commitSha|[\w.-]*(?:hash|fingerprint)[\w.-]*)(?:\/v\d+)?$/i;
const CWE_TAG_RE = /(?:^|[^a-z0-9])cwe[\s/_:-]*0*(\d{1,5})(?![0-9])/i;
const CVE_RE = /\b(CVE-\d{4}-\d{4,}|GHSA(?:-[23456789cfghjmpqrvwx]{4}){3})\b/i;
const BRACKET_SEVERITY_RE = /^\[(CRITICAL|HIGH|MEDIUM|LOW|UNKNOWN|INFO)\]\s*/i;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
function asString(value: unknown): string | undefined {
  return typeof value === "string" && value.trim().length > 0 ? value : undefined;
}
function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
function asPositiveInt(value: unknown): number | undefined {
  return typeof value === "number" && Number.isInteger(value) && value >= 1 ? value : undefined;
}
function asIndex(value: unknown): number | undefined {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : undefined;
}
/** Own property only: a report's `__proto__` or `constructor` key is data, never the prototype. */
function own(object: Json | undefined, key: string): unknown {
  return object !== undefined && Object.hasOwn(object, key) ? object[key] : undefined;
}
function textOf(message: unknown): string | undefined {
  return isObject(message) ? asString(own(message, "text")) : undefined;
}

/** A tool component (driver or extension) with its rules indexed by id. */
interface Component {
  readonly name: string;
  readonly guid?: string;
  readonly rules: readonly unknown[];
  readonly byId: Map<string, Json>;
}

interface RunInfo {
  readonly index: number;
  readonly toolName: string;
  readonly toolVersion?: string;
  readonly driver: Component;
  readonly extensions: readonly Component[];
  readonly artifacts: readonly unknown[];
  readonly uriBases: Json | undefined;
  readonly repository?: { readonly uri: string; readonly revision?: string; readonly branch?: string };
  readonly time: string;
  readonly secretTool: boolean;
  readonly iacTool: boolean;
  /** `toolSlug(toolName)`: the readable tool part of Ids and GeneratorIds. */
  readonly slug: string;
  /** Lower-cased tool name, part of every Id's identity. */
  readonly toolKey: string;
  /** `Vulnerabilities[].Vendor.Name`. */
  readonly vendorName: string;
  /** ProductFields values of the tool name and version (`undefined`: no entry). */
  readonly toolNameField: string | undefined;
  readonly toolVersionField: string | undefined;
  /** The conversion's scope (`ConversionContext.scope`), part of every Id's identity. */
  readonly scope: string | undefined;
  /** `owner/project` of `repository.uri`, for CodeRepository resources. */
  readonly project?: string;
  /**
   * What a rule contributes to each of its results, computed on the rule's first result: a large
   * log has 100,000 results of a few hundred rules. Keyed by rule object, then by the result's
   * ruleId (a hierarchical id `C2001/1` resolves to the rule of `C2001`).
   */
  readonly ruleFacts: Map<Json | undefined, Map<string | undefined, RuleFacts>>;
  /** Resolved paths by `uriBaseId` and `uri` (thousands of results share a few files). */
  readonly paths: Map<string | undefined, Map<string, ResolvedPath>>;
  /** No string of the run that reaches a finding (tool, version, repository, scope) holds a control character. */
  readonly controlFree: boolean;
}

/** A result location's path, and whether it is free of control characters (`%1B` decodes to one). */
interface ResolvedPath {
  readonly path: string | undefined;
  readonly controlFree: boolean;
  /** `identityPartJson(path)`: the path's part of the Id's identity. */
  readonly json: string;
}

function component(value: unknown, fallbackName: string): Component {
  const object = isObject(value) ? value : {};
  const rules = asArray(own(object, "rules"));
  const byId = new Map<string, Json>();
  for (const rule of rules) {
    const id = isObject(rule) ? asString(own(rule, "id")) : undefined;
    if (id !== undefined && isObject(rule) && !byId.has(id)) byId.set(id, rule);
  }
  const guid = asString(own(object, "guid"));
  return { name: asString(own(object, "name")) ?? fallbackName, rules, byId, ...(guid ? { guid } : {}) };
}

function runInfo(run: Json, index: number, nowMs: number, scope: string | undefined): RunInfo {
  const tool = isObject(own(run, "tool")) ? (own(run, "tool") as Json) : {};
  const driverJson = own(tool, "driver");
  const driver = component(driverJson, "unknown-tool");
  const extensions = asArray(own(tool, "extensions")).map((ext, i) => component(ext, `extension-${i}`));
  const driverObject = isObject(driverJson) ? driverJson : {};
  const toolVersion =
    asString(own(driverObject, "semanticVersion")) ?? asString(own(driverObject, "version"));
  const vcp = asArray(own(run, "versionControlProvenance")).find(isObject);
  const repoUri = vcp ? asString(own(vcp, "repositoryUri")) : undefined;
  const revision = vcp ? asString(own(vcp, "revisionId")) : undefined;
  const branch = vcp ? asString(own(vcp, "branch")) : undefined;
  const invocation = asArray(own(run, "invocations")).find(isObject);
  const reportTime =
    parseAsffTimestamp(own(invocation, "endTimeUtc")) ?? parseAsffTimestamp(own(invocation, "startTimeUtc"));
  const rulesAreSecret = driver.rules.length > 0 && driver.rules.every((rule) => hasTag(rule, /^secrets?$/i));
  const project = repoUri ? projectOf(repoUri) : undefined;
  return {
    index,
    toolName: driver.name,
    ...(toolVersion ? { toolVersion } : {}),
    driver,
    extensions,
    artifacts: asArray(own(run, "artifacts")),
    uriBases: isObject(own(run, "originalUriBaseIds")) ? (own(run, "originalUriBaseIds") as Json) : undefined,
    ...(repoUri
      ? { repository: { uri: repoUri, ...(revision ? { revision } : {}), ...(branch ? { branch } : {}) } }
      : {}),
    time: formatAsffTimestamp(reportTime ?? nowMs),
    secretTool: SECRET_TOOL_RE.test(driver.name) || rulesAreSecret,
    iacTool: IAC_TOOL_RE.test(driver.name),
    slug: toolSlug(driver.name),
    toolKey: driver.name.trim().toLowerCase(),
    vendorName: driver.name.slice(0, 256),
    toolNameField: productFieldValue(driver.name),
    toolVersionField: productFieldValue(toolVersion),
    ...(project !== undefined ? { project } : {}),
    scope,
    ruleFacts: new Map(),
    paths: new Map(),
    controlFree: allControlFree([driver.name, toolVersion, repoUri, revision, branch, project, scope]),
  };
}

/** True when no string of `values` holds a character that the finalizer would strip. */
function allControlFree(values: readonly (string | undefined)[]): boolean {
  for (const value of values) if (value !== undefined && hasControl(value)) return false;
  return true;
}

function projectOf(repositoryUri: string): string {
  return repositoryUri
    .replace(/\.git$/, "")
    .split("/")
    .filter(Boolean)
    .slice(-2)
    .join("/");
}

const SECRET_TAG_RE = /^secrets?$/i;
const SECRET_RULE_ID_RE = /(^|[./_-])secrets?([./_-]|$)/i;

/** The rule-level parts of a result's finding (see `RunInfo.ruleFacts`). */
interface RuleFacts {
  /** The run, rule and rule id these facts are of (kept here rather than on each result). */
  readonly run: RunInfo;
  readonly rule: Json | undefined;
  readonly ruleId: string | undefined;
  readonly generatorId: string;
  /** The rule part of Ids (`ruleId`, else `no-rule`), and the readable start of `findingId`'s Ids. */
  readonly ruleKey: string;
  readonly idPrefix: string;
  /**
   * `stableHash` of the Id's identity, given the JSON of the parts after the rule-level ones
   * (`identityTailHasher`).
   */
  readonly hashIdentity: (tail: string) => string;
  /** ProductFields value of the rule id (`undefined`: no entry). */
  readonly ruleIdField: string | undefined;
  readonly cve: string | undefined;
  /** The run is a secret scanner, the rule is tagged `secret(s)` or its id names secrets. */
  readonly secret: boolean;
  /** The title the rule gives (a name with spaces, or the short description), cleaned. */
  readonly title: string | undefined;
  /** `title` redacted (without result values) and cut to the limit. */
  readonly plainTitle: string | undefined;
  /** The full description, cleaned; and redacted without result values. */
  readonly fullDescription: string;
  readonly plainFullDescription: string;
  /** CWEs from the rule's tags and relationships (for results without tags and taxa). */
  readonly cwes: readonly string[];
  /** Remediation text from the rule's help (cleaned, `""` when none); and redacted and cut. */
  readonly remediationText: string;
  readonly plainRemediationText: string;
  readonly remediationUrl: string | undefined;
  readonly referenceUrl: string | undefined;
  /** Severity by result level, for results without properties of their own. */
  readonly severityByLevel: Map<string, MappedSeverity>;
  /** Confidence for results without properties of their own, once computed. */
  confidence?: { readonly value: number | undefined };
  /** No string above (nor the rule id) holds a control character. */
  readonly controlFree: boolean;
}

const NO_PROPERTIES: Json = {};

function ruleFactsOf(run: RunInfo, rule: Json | undefined, ruleId: string | undefined): RuleFacts {
  let byId = run.ruleFacts.get(rule);
  if (byId === undefined) {
    byId = new Map();
    run.ruleFacts.set(rule, byId);
  }
  const cached = byId.get(ruleId);
  if (cached !== undefined) return cached;
  const title = ruleTitleOf(rule);
  const fullDescription = cleanProse(textOf(own(rule, "fullDescription")), { markdown: true });
  const remediationText = ruleRemediationText(rule);
  const helpUri = asString(own(rule, "helpUri"));
  const ruleKey = ruleId ?? "no-rule";
  const facts: Omit<RuleFacts, "controlFree"> = {
    run,
    rule,
    ruleId,
    generatorId: generatorId(run.slug, ruleKey),
    ruleKey,
    idPrefix: `${readableRule(run.slug)}/${readableRule(ruleKey)}/`,
    hashIdentity: identityTailHasher([
      run.slug,
      ruleKey,
      "sarif",
      run.toolKey,
      ruleId ?? "",
      run.scope ?? "",
      run.repository?.uri ?? "",
    ]),
    ruleIdField: productFieldValue(ruleId),
    cve: CVE_RE.exec(ruleId ?? "")?.[1]?.toUpperCase(),
    secret: run.secretTool || hasTag(rule, SECRET_TAG_RE) || SECRET_RULE_ID_RE.test(ruleId ?? ""),
    title,
    plainTitle: title === undefined ? undefined : truncate(redactSecrets(title), TITLE_MAX),
    fullDescription,
    plainFullDescription: redactSecrets(fullDescription),
    // a result without tags or taxa adds nothing to its rule's CWEs
    cwes: cwesOf(rule, NO_PROPERTIES),
    remediationText,
    plainRemediationText: remediationText ? truncate(redactSecrets(remediationText), REMEDIATION_MAX) : "",
    remediationUrl: helpUri && /^https?:\/\/\S+$/i.test(helpUri) ? helpUri : undefined,
    referenceUrl: helpUri && /^https?:\/\//i.test(helpUri) ? helpUri : undefined,
    severityByLevel: new Map(),
  };
  const checked: RuleFacts = {
    ...facts,
    controlFree: allControlFree([
      facts.generatorId,
      facts.ruleKey,
      facts.idPrefix,
      facts.ruleIdField,
      facts.cve,
      facts.title,
      facts.plainTitle,
      facts.fullDescription,
      facts.plainFullDescription,
      ...facts.cwes,
      facts.remediationText,
      facts.plainRemediationText,
      facts.remediationUrl,
      facts.referenceUrl,
    ]),
  };
  byId.set(ruleId, checked);
  return checked;
}

function tagsOf(holder: unknown): string[] {
  const properties = isObject(holder) ? own(holder, "properties") : undefined;
  return asArray(isObject(properties) ? own(properties, "tags") : undefined).filter(
    (tag): tag is string => typeof tag === "string",
  );
}
function hasTag(holder: unknown, pattern: RegExp): boolean {
  return tagsOf(holder).some((tag) => pattern.test(tag));
}
function propertiesOf(holder: unknown): Json | undefined {
  const properties = isObject(holder) ? own(holder, "properties") : undefined;
  return isObject(properties) ? properties : undefined;
}

/** Finds the rule of a result: `rule` reference (with `toolComponent`), `ruleIndex`, then `ruleId`. */
function resolveRule(
  result: Json,
  run: RunInfo,
): { rule?: Json; ruleId?: string; problem?: { field: string; message: string } } {
  const ruleRef = isObject(own(result, "rule")) ? (own(result, "rule") as Json) : undefined;
  const refId = asString(own(ruleRef, "id"));
  const ruleId = asString(own(result, "ruleId")) ?? refId;
  let comp = run.driver;
  const toolComponent = own(ruleRef, "toolComponent");
  if (isObject(toolComponent)) {
    const compIndex = asIndex(own(toolComponent, "index"));
    const compName = asString(own(toolComponent, "name"));
    const compGuid = asString(own(toolComponent, "guid"));
    const found =
      (compIndex !== undefined ? run.extensions[compIndex] : undefined) ??
      run.extensions.find(
        (ext) => (compGuid && ext.guid === compGuid) || (compName && ext.name === compName),
      );
    if (found) comp = found;
  }
  const rawIndex = own(ruleRef, "index") ?? own(result, "ruleIndex");
  if (rawIndex !== undefined && rawIndex !== -1) {
    const index = asIndex(rawIndex);
    const rule = index !== undefined ? comp.rules[index] : undefined;
    if (isObject(rule)) return { rule, ruleId: ruleId ?? asString(own(rule, "id")) };
    if (ruleId === undefined) {
      return {
        problem: {
          field: "ruleIndex",
          message: `ruleIndex ${JSON.stringify(rawIndex)} does not name a rule of ${comp.name} (it has ${comp.rules.length} rules) and the result has no ruleId`,
        },
      };
    }
  }
  if (ruleId !== undefined) {
    // hierarchical ids ("C2001/1") name a sub-rule of C2001
    const slash = ruleId.indexOf("/");
    const rule =
      lookupRule(comp, run, ruleId) ??
      (slash > 0 ? lookupRule(comp, run, ruleId.slice(0, slash)) : undefined);
    return rule ? { rule, ruleId } : { ruleId };
  }
  return {};
}

function lookupRule(comp: Component, run: RunInfo, id: string): Json | undefined {
  const found = comp.byId.get(id) ?? run.driver.byId.get(id);
  if (found !== undefined) return found;
  for (const ext of run.extensions) {
    const rule = ext.byId.get(id);
    if (rule !== undefined) return rule;
  }
  return undefined;
}

const NO_PATH: ResolvedPath = { path: undefined, controlFree: true, json: identityPartJson(undefined) };

function resolvedPath(path: string | undefined): ResolvedPath {
  return path === undefined
    ? NO_PATH
    : { path, controlFree: !hasControl(path), json: identityPartJson(path) };
}

/** `resolveUri` for a result's location, remembering the paths of plain `uri` + `uriBaseId` pairs. */
function resolveResultUri(location: unknown, run: RunInfo): ResolvedPath {
  if (!isObject(location)) return NO_PATH;
  const uri = asString(own(location, "uri"));
  if (uri === undefined) return resolvedPath(resolveUri(location, run));
  const baseId = asString(own(location, "uriBaseId"));
  let byUri = run.paths.get(baseId);
  if (byUri === undefined) {
    byUri = new Map();
    run.paths.set(baseId, byUri);
  }
  let known = byUri.get(uri);
  if (known === undefined) {
    known = resolvedPath(resolveUri(location, run));
    byUri.set(uri, known);
  }
  return known;
}

/** Resolves `artifactLocation` (uri, uriBaseId chain, or index into `run.artifacts`) to a path. */
function resolveUri(location: unknown, run: RunInfo, depth = 0): string | undefined {
  if (!isObject(location) || depth > MAX_URI_BASE_DEPTH) return undefined;
  let uri = asString(own(location, "uri"));
  let baseId = asString(own(location, "uriBaseId"));
  const index = asIndex(own(location, "index"));
  if (uri === undefined && index !== undefined) {
    const artifact = run.artifacts[index];
    const artifactLocation = isObject(artifact) ? own(artifact, "location") : undefined;
    uri = asString(own(isObject(artifactLocation) ? artifactLocation : undefined, "uri"));
    baseId ??= asString(own(isObject(artifactLocation) ? artifactLocation : undefined, "uriBaseId"));
  }
  if (uri === undefined) return undefined;
  if (!/^[a-z][a-z0-9+.-]*:/i.test(uri) && baseId !== undefined && run.uriBases) {
    const base = resolveUri(own(run.uriBases, baseId), run, depth + 1);
    if (base !== undefined) uri = `${base.replace(/\/+$/, "")}/${uri.replace(/^\.?\/+/, "")}`;
  }
  return normalizePath(uri);
}

function normalizePath(uri: string): string {
  let path = uri.startsWith("file://") ? uri.slice("file://".length) : uri;
  if (/^\/[A-Za-z]:\//.test(path)) path = path.slice(1); // file:///C:/x → C:/x
  if (path.includes("%")) {
    try {
      path = decodeURI(path);
    } catch {
      // an invalid escape is kept as written: the path is still a stable identifier
    }
  }
  return path.replace(/^(\.\/)+/, "");
}

interface Region {
  readonly startLine: number | undefined;
  readonly startColumn: number | undefined;
  readonly endLine: number | undefined;
  readonly endColumn: number | undefined;
}

/** Values a secret scanner matched, taken from snippets and tool properties, to be redacted. */
function secretValues(result: Json, physical: Json | undefined): string[] {
  const values: string[] = [];
  const addSnippet = (region: unknown): void => {
    const snippet = isObject(region) ? own(region, "snippet") : undefined;
    const text = isObject(snippet) ? asString(own(snippet, "text")) : undefined;
    if (text) values.push(text, ...text.split("\n").filter((line) => line.trim().length >= 8));
  };
  addSnippet(own(physical, "region"));
  addSnippet(own(physical, "contextRegion"));
  const properties = propertiesOf(result);
  if (properties) {
    for (const [key, value] of Object.entries(properties)) {
      if (isSecretPropertyName(key) && typeof value === "string") values.push(value);
    }
  }
  return values;
}

function cwesOf(rule: Json | undefined, result: Json): string[] {
  const found = new Set<string>();
  const add = (text: string): void => {
    const match = CWE_TAG_RE.exec(text);
    if (match?.[1] && found.size < MAX_CWES) found.add(`CWE-${Number(match[1])}`);
  };
  for (const tag of [...tagsOf(rule), ...tagsOf(result)]) add(tag);
  // rule relationships / result taxa pointing into a CWE taxonomy
  const refs = [
    ...asArray(own(rule, "relationships")).map((rel) => (isObject(rel) ? own(rel, "target") : undefined)),
    ...asArray(own(result, "taxa")),
  ];
  for (const ref of refs) {
    if (!isObject(ref)) continue;
    const comp = own(ref, "toolComponent");
    const compName = isObject(comp) ? asString(own(comp, "name")) : undefined;
    const id = asString(own(ref, "id"));
    if (id && compName && /cwe/i.test(compName)) add(/^\d+$/.test(id) ? `CWE-${id}` : id);
  }
  return [...found];
}

function severityOf(
  result: Json,
  rule: Json | undefined,
  ruleId: string | undefined,
  level: string,
): MappedSeverity {
  const resultProps = propertiesOf(result);
  const ruleProps = propertiesOf(rule);
  for (const props of [resultProps, ruleProps]) {
    const raw = own(props, "security-severity");
    const score = parseScore(raw);
    const label = score !== undefined ? labelForScore(score) : undefined;
    if (label) return { Label: label, Original: original(String(raw)) };
  }
  for (const [props, key] of [
    [resultProps, "severity"],
    [resultProps, "issue_severity"],
    [resultProps, "Severity"],
    [ruleProps, "severity"],
    [ruleProps, "problem.severity"],
  ] as const) {
    const raw = own(props, key);
    const label = labelForWord(raw);
    if (label && typeof raw === "string") return { Label: label, Original: original(raw) };
  }
  const bracket = ruleId ? BRACKET_SEVERITY_RE.exec(ruleId) : null;
  const bracketLabel = bracket?.[1] ? labelForWord(bracket[1]) : undefined;
  if (bracket?.[1] && bracketLabel) return { Label: bracketLabel, Original: original(bracket[1]) };
  return { Label: LEVEL_TO_LABEL[level] ?? "MEDIUM", Original: original(level) };
}

function confidenceOf(result: Json, rule: Json | undefined): number | undefined {
  const resultProps = propertiesOf(result);
  const fromResult =
    confidenceForWord(own(resultProps, "issue_confidence")) ??
    confidenceForWord(own(resultProps, "confidence"));
  if (fromResult !== undefined) return fromResult;
  const ruleProps = propertiesOf(rule);
  const precision = confidenceForWord(own(ruleProps, "precision"));
  const tagWord = [...tagsOf(rule), ...tagsOf(result)]
    .map((tag) => /^(\w+) confidence$/i.exec(tag)?.[1])
    .find((word) => word !== undefined);
  return (tagWord ? confidenceForWord(tagWord) : undefined) ?? precision;
}

/** The stable fingerprint of a result: all `fingerprints`, else the stable `partialFingerprints`. */
function fingerprintOf(result: Json): string | undefined {
  return (
    pickFingerprints(own(result, "fingerprints"), false) ??
    pickFingerprints(own(result, "partialFingerprints"), true)
  );
}

/**
 * Whether a partial-fingerprint key is a stable one, remembered per key (a log uses a few keys on
 * every result; a crafted log with a new key per result cannot grow the memo without bound).
 */
const isStablePartialKey = memoizeBounded((key) => STABLE_PARTIAL_KEY_RE.test(key), 256);

/** `key=value` lines of the (stable) fingerprints, sorted by key; undefined when there are none. */
function pickFingerprints(value: unknown, stableOnly: boolean): string | undefined {
  if (!isObject(value)) return undefined;
  const keys: string[] = [];
  for (const key of Object.keys(value)) {
    const v = value[key];
    if (typeof v === "string" && v.length > 0 && (!stableOnly || isStablePartialKey(key))) keys.push(key);
  }
  if (keys.length === 0) return undefined;
  if (keys.length > 1) keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let out = "";
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    out += `${i > 0 ? "\n" : ""}${key}=${value[key] as string}`;
  }
  return out;
}

/** Message text: `text` or the rule's `messageStrings[id]`, with `{n}` arguments filled. */
function messageOf(result: Json, rule: Json | undefined): string {
  const message = isObject(own(result, "message")) ? (own(result, "message") as Json) : undefined;
  const args = asArray(own(message, "arguments"));
  let template = asString(own(message, "text"));
  const messageId = asString(own(message, "id"));
  if (template === undefined && messageId !== undefined) {
    const strings = own(rule, "messageStrings");
    const entry = isObject(strings) ? own(strings, messageId) : undefined;
    template = isObject(entry) ? asString(own(entry, "text")) : undefined;
  }
  template ??= asString(own(message, "markdown"));
  if (template === undefined) return "";
  // plain-text messages also carry markdown-style links to relatedLocations ("[value](1)")
  return cleanProse(formatSarifMessage(template, args), { markdown: true });
}

function kindOf(result: Json): string {
  return asString(own(result, "kind")) ?? "fail";
}

function isSuppressed(result: Json): boolean {
  const suppressions = own(result, "suppressions");
  if (!Array.isArray(suppressions)) return false;
  for (const s of suppressions) {
    if (!isObject(s)) continue;
    const status = asString(own(s, "status"));
    if (status === undefined || status === "accepted") return true;
  }
  return false;
}

function isNonBlank(text: string | undefined): text is string {
  return text !== undefined && text.trim().length > 0;
}

/** The title a rule gives its results: a name with spaces, else the short description. */
function ruleTitleOf(rule: Json | undefined): string | undefined {
  const name = asString(own(rule, "name"));
  const fromName = name && /\s/.test(name.trim()) ? cleanProse(name) : undefined;
  if (isNonBlank(fromName)) return fromName;
  const short = cleanProse(textOf(own(rule, "shortDescription")), { markdown: true });
  return isNonBlank(short) ? short : undefined;
}

/** The rule's title, else the message's first line, else the rule id. */
function titleOf(ruleTitle: string | undefined, ruleId: string | undefined, message: string): string {
  if (ruleTitle !== undefined) return ruleTitle;
  const line = message ? firstLine(message) : undefined;
  if (isNonBlank(line)) return line;
  return isNonBlank(ruleId) ? ruleId : "SARIF result";
}

/** Remediation text from the rule's `help` (text, else markdown), cleaned; `""` when none. */
function ruleRemediationText(rule: Json | undefined): string {
  const help = own(rule, "help");
  let text = cleanProse(textOf(help));
  if (!text && isObject(help)) text = cleanProse(own(help, "markdown"), { markdown: true });
  return text;
}

/** Remediation text from the result's first fix, for rules without help. */
function fixText(result: Json): string {
  const fixes = own(result, "fixes");
  if (!Array.isArray(fixes)) return "";
  for (const fix of fixes) {
    if (isObject(fix)) return cleanProse(textOf(own(fix, "description")), { markdown: true });
  }
  return "";
}

function typeOf(run: RunInfo, secret: boolean, cve: string | undefined, cwes: readonly string[]): string {
  if (secret) return SARIF_TYPES.secret;
  if (cve) return SARIF_TYPES.cve;
  if (cwes.length > 0) return SARIF_TYPES.cwe;
  if (run.iacTool) return SARIF_TYPES.iac;
  return SARIF_TYPES.other;
}

/** Short readable tool name for Ids: the first word ("Trivy: Vulnerability Scanner" → "trivy"). */
function toolSlug(toolName: string): string {
  return (/[A-Za-z0-9._-]+/.exec(toolName)?.[0]?.toLowerCase() ?? "tool").slice(0, 40);
}

function baseName(path: string): string {
  const index = path.lastIndexOf("/");
  return index === -1 ? path : path.slice(index + 1);
}

/** Sets a Details.Other entry for a non-blank value, cut to the limit; returns whether it did. */
function putOther(other: Record<string, string>, key: string, value: string | number | undefined): boolean {
  if (value === undefined) return false;
  const text = String(value);
  if (text.trim().length === 0) return false;
  other[key] = truncate(text, DETAILS_OTHER_VALUE_MAX);
  return true;
}

function resourceOf(
  run: RunInfo,
  path: string | undefined,
  region: Region,
  logical: string | undefined,
  scope: string | undefined,
): Resource {
  const other: Record<string, string> = {};
  let any = putOther(other, "Path", path);
  any = putOther(other, "StartLine", region.startLine) || any;
  any = putOther(other, "EndLine", region.endLine) || any;
  any = putOther(other, "LogicalLocation", logical) || any;
  if (run.repository) {
    any = putOther(other, "Revision", run.repository.revision) || any;
    any = putOther(other, "Branch", run.repository.branch) || any;
    const details: NonNullable<Resource["Details"]> = {
      CodeRepository: run.project ? { ProjectName: run.project } : {},
    };
    if (any) details.Other = other;
    return { Type: "CodeRepository", Id: run.repository.uri, Details: details };
  }
  const id = path ?? logical ?? scope ?? `sarif:${run.toolName}`;
  return any ? { Type: "Other", Id: id, Details: { Other: other } } : { Type: "Other", Id: id };
}

/**
 * What the first pass learns about a result that is imported: its Id, and every part of the result
 * the second pass (`buildDraft`) needs. The parsed result itself is kept only when it has
 * properties or taxa of its own: 100,000 results held from the first pass to the second would all
 * survive into the old generation (a third of the conversion's time went to garbage collection).
 */
interface Located extends Region {
  /** The Id is `facts.idPrefix + hash` (`findingId`'s recipe), built only for the draft. */
  readonly hash: string;
  /** The run, rule and rule id are `facts.run`, `facts.rule` and `facts.ruleId`. */
  readonly facts: RuleFacts;
  /** The result, only when it has `properties` or `taxa` (severity, confidence, CWEs of its own). */
  readonly detail: Json | undefined;
  readonly resultIndex: number;
  readonly kind: string;
  readonly inactive: boolean;
  readonly logical: string | undefined;
  readonly path: string | undefined;
  /** The result's region (`region.startLine`, ... as positive integers; `endLine` defaults to `startLine`). */
  readonly startLine: number | undefined;
  readonly startColumn: number | undefined;
  readonly endLine: number | undefined;
  readonly endColumn: number | undefined;
  /** The result's `level`, else its rule's default, else `warning`. */
  readonly level: string;
  readonly baselineState: string | undefined;
  /** `provenance.firstDetectionTimeUtc` in ms. */
  readonly firstSeenMs: number | undefined;
  /** Secret detection, its matched values (redacted from all text) and the redacted message. */
  readonly secret: boolean;
  readonly secrets: readonly string[];
  readonly message: string;
  /** The first fix's description (cleaned), for rules without help; `""` otherwise. */
  readonly fix: string;
  /** No string above holds a control character (`message` and `fix` are cleaned: they hold none). */
  readonly controlFree: boolean;
}

/**
 * First pass over one SARIF result: resolves its rule and location and computes its Id; returns
 * `undefined` for results that are not imported (and pushes a failure for a bad rule reference).
 */
function locateResult(
  result: Json,
  run: RunInfo,
  resultIndex: number,
  context: ParseContext,
  options: Required<SarifParserOptions>,
  failures: ConversionFailure[],
): Located | undefined {
  const { rule, ruleId, problem } = resolveRule(result, run);
  if (problem) {
    failures.push({
      source: context.source,
      field: `${resultWhere(run, resultIndex)}.${problem.field}`,
      rule: "rule reference",
      message: problem.message,
    });
    return undefined;
  }
  const kind = kindOf(result);
  if (kind === "notApplicable" || kind === "informational") return undefined;
  if (kind === "pass" && !options.includePassed) return undefined;
  const inactive = isSuppressed(result) || own(result, "baselineState") === "absent";
  if (inactive && options.inactiveResults === "skip") return undefined;

  const facts = ruleFactsOf(run, rule, ruleId);
  const location = firstObject(own(result, "locations"));
  const physicalValue = own(location, "physicalLocation");
  const physical = isObject(physicalValue) ? physicalValue : undefined;
  const logicalLocation = firstObject(own(location, "logicalLocations"));
  const logical =
    asString(own(logicalLocation, "fullyQualifiedName")) ?? asString(own(logicalLocation, "name"));
  const resolved = resolveResultUri(own(physical, "artifactLocation"), run);
  const path = resolved.path;
  const regionValue = own(physical, "region");
  const region = isObject(regionValue) ? regionValue : undefined;
  const startLine = asPositiveInt(own(region, "startLine"));
  const endLine = asPositiveInt(own(region, "endLine")) ?? startLine;
  const startColumn = asPositiveInt(own(region, "startColumn"));
  const endColumn = asPositiveInt(own(region, "endColumn"));

  const fingerprint = fingerprintOf(result);
  // `findingId(run.slug, ruleId ?? "no-rule", identity)`: the readable prefix and the identity's
  // rule-level start (tool, rule, scope, repository) are made once per rule
  // (the identity's parts as JSON: `identityPartJson` of each, the path's made once per path)
  let tail =
    fingerprint !== undefined
      ? `${resolved.json},"fingerprint",${identityPartJson(fingerprint)}`
      : `${resolved.json},"region",${intJson(startLine)},${intJson(startColumn)},${intJson(endLine)},${intJson(endColumn)},${identityPartJson(logical)}`;
  const properties = propertiesOf(result);
  const secret = facts.secret || (properties !== undefined && hasTag(result, SECRET_TAG_RE));
  const secrets = secret ? secretValues(result, physical) : NO_SECRETS;
  const message = redactSecrets(messageOf(result, rule), secrets);
  // without a rule the message is the only thing that says which problem this is
  if (ruleId === undefined) tail += `,"message",${identityPartJson(message)}`;
  const defaultConfiguration = own(rule, "defaultConfiguration");
  const provenance = own(result, "provenance");
  const level =
    asString(own(result, "level")) ??
    (isObject(defaultConfiguration) ? asString(own(defaultConfiguration, "level")) : undefined) ??
    "warning";
  const baselineState = asString(own(result, "baselineState"));
  return {
    hash: facts.hashIdentity(tail),
    facts,
    detail: properties !== undefined || own(result, "taxa") !== undefined ? result : undefined,
    resultIndex,
    kind,
    inactive,
    logical,
    path,
    startLine,
    startColumn,
    endLine,
    endColumn,
    level,
    baselineState,
    firstSeenMs: isObject(provenance)
      ? parseAsffTimestamp(own(provenance, "firstDetectionTimeUtc"))
      : undefined,
    secret,
    secrets,
    message,
    fix: facts.remediationText ? "" : fixText(result),
    controlFree:
      resolved.controlFree &&
      !hasControl(level) &&
      !hasControl(kind) &&
      (logical === undefined || !hasControl(logical)) &&
      (baselineState === undefined || !hasControl(baselineState)),
  };
}

const NO_SECRETS: readonly string[] = [];

/** `identityPartJson` of a positive integer or `undefined` (no escaping needed). */
function intJson(value: number | undefined): string {
  return value === undefined ? '""' : `"${value}"`;
}

function resultWhere(run: RunInfo, resultIndex: number): string {
  return `runs[${run.index}].results[${resultIndex}]`;
}

/** Second pass over one located result: its finding draft, Id included. */
function buildDraft(located: Located, scope: string | undefined): FindingDraft {
  const { facts, kind, logical, path, level, secret, secrets, message } = located;
  const { run, rule, ruleId } = facts;
  const region: Region = located;
  // Results without properties or taxa of their own take severity, confidence and CWEs from their rule.
  const result = located.detail ?? NO_PROPERTIES;
  const ruleOnly = located.detail === undefined || propertiesOf(result) === undefined;
  // Without matched values, redaction depends on the text alone: the rule's texts are redacted once.
  const plain = secrets.length === 0;

  const title =
    plain && facts.plainTitle !== undefined
      ? facts.plainTitle
      : truncate(redactSecrets(titleOf(facts.title, ruleId, message), secrets), TITLE_MAX);
  const fullDescription = plain ? facts.plainFullDescription : redactSecrets(facts.fullDescription, secrets);
  const description = truncate(message || fullDescription || title, DESCRIPTION_MAX);
  const cwes = ruleOnly && own(result, "taxa") === undefined ? facts.cwes.slice() : cwesOf(rule, result);
  const cve = facts.cve;
  const passed = kind === "pass";
  const severity: MappedSeverity = passed
    ? { Label: "INFORMATIONAL" as SeverityLabel, Original: original(kind) }
    : ruleOnly
      ? ruleSeverity(facts, result, rule, ruleId, level)
      : severityOf(result, rule, ruleId, level);
  if (ruleOnly) facts.confidence ??= { value: confidenceOf(result, rule) };
  const confidence = ruleOnly ? facts.confidence?.value : confidenceOf(result, rule);
  const remediation = remediationFor(facts, located.fix, secrets, plain);

  let vulnerabilities: Vulnerability[] | undefined;
  if (cve || cwes.length > 0) {
    const vulnerability: Vulnerability = {
      Id: (cve ?? ruleId ?? cwes[0] ?? "unknown").slice(0, 512),
      Vendor: { Name: run.vendorName },
    };
    if (facts.referenceUrl) vulnerability.ReferenceUrls = [facts.referenceUrl];
    if (cwes.length > 0) {
      const code: NonNullable<Vulnerability["CodeVulnerabilities"]>[number] = { Cwes: cwes };
      if (path) {
        const filePath: NonNullable<typeof code.FilePath> = {
          FilePath: path.slice(0, 1024),
          FileName: baseName(path).slice(0, 1024),
        };
        if (region.startLine) filePath.StartLine = region.startLine;
        if (region.endLine) filePath.EndLine = region.endLine;
        code.FilePath = filePath;
      }
      vulnerability.CodeVulnerabilities = [code];
    }
    vulnerabilities = [vulnerability];
  }

  // literal keys (`${PF}/...`) in one order: every finding's map has the same shape
  const productFields: Record<string, string> = {};
  if (run.toolNameField !== undefined) productFields["shadowhub/sarif/ToolName"] = run.toolNameField;
  if (run.toolVersionField !== undefined) productFields["shadowhub/sarif/ToolVersion"] = run.toolVersionField;
  if (facts.ruleIdField !== undefined) productFields["shadowhub/sarif/RuleId"] = facts.ruleIdField;
  let value = productFieldValue(level);
  if (value !== undefined) productFields["shadowhub/sarif/Level"] = value;
  value = productFieldValue(kind);
  if (value !== undefined) productFields["shadowhub/sarif/Kind"] = value;
  value = productFieldValue(located.baselineState);
  if (value !== undefined) productFields["shadowhub/sarif/BaselineState"] = value;
  if (path) {
    value = productFieldValue(region.startLine ? `${path}:${region.startLine}` : path);
    if (value !== undefined) productFields["shadowhub/sarif/Location"] = value;
  }

  const firstSeenMs = located.firstSeenMs;

  const providerFields: NonNullable<FindingDraft["FindingProviderFields"]> = {
    Severity: severity,
    Types: [typeOf(run, secret, cve, cwes)],
  };
  if (confidence !== undefined) providerFields.Confidence = confidence;
  // Built key by key in the documented order (FirstObservedAt only when known) without spreads.
  const draft: Partial<{ -readonly [K in keyof FindingDraft]: FindingDraft[K] }> = {
    Id: located.facts.idPrefix + located.hash,
    GeneratorId: facts.generatorId,
    CreatedAt: run.time,
    UpdatedAt: run.time,
  };
  if (firstSeenMs !== undefined) draft.FirstObservedAt = formatAsffTimestamp(firstSeenMs);
  draft.Title = title;
  draft.Description = description;
  draft.Resources = [resourceOf(run, path, region, logical, scope)];
  draft.FindingProviderFields = providerFields;
  if (remediation) draft.Remediation = remediation;
  if (vulnerabilities) draft.Vulnerabilities = vulnerabilities;
  if (passed) draft.Compliance = { Status: "PASSED" };
  if (located.inactive) draft.RecordState = "ARCHIVED";
  draft.ProductFields = productFields;
  // Every string above comes from the run, the rule, the located result (each checked once), the
  // cleaned texts, constants, numbers or hex digests; the severity's Original is the one left.
  if (run.controlFree && facts.controlFree && located.controlFree && !hasControl(severity.Original ?? "")) {
    markControlFree(draft as FindingDraft);
  }
  return draft as FindingDraft;
}

/** What tells two located results with one Id apart (equal parts: the same issue). */
function instanceOf(located: Located, draft: FindingDraft): IdentifiedDraft {
  const region: Region = located;
  return {
    draft,
    instance: [
      region.startLine,
      region.startColumn,
      region.endLine,
      region.endColumn,
      located.logical ?? "",
      draft.Description,
    ],
  };
}

function firstObject(value: unknown): Json | undefined {
  if (!Array.isArray(value)) return undefined;
  for (const item of value) if (isObject(item)) return item;
  return undefined;
}

/** A ProductFields value: a non-blank value cut to the limit, else `undefined` (no entry). */
function productFieldValue(value: string | undefined): string | undefined {
  return value !== undefined && value.trim().length > 0
    ? truncate(value, PRODUCT_FIELD_VALUE_MAX)
    : undefined;
}

/** `severityOf` for a result without properties: the same for every such result of a rule and level. */
function ruleSeverity(
  facts: RuleFacts,
  result: Json,
  rule: Json | undefined,
  ruleId: string | undefined,
  level: string,
): MappedSeverity {
  let severity = facts.severityByLevel.get(level);
  if (severity === undefined) {
    severity = severityOf(result, rule, ruleId, level);
    facts.severityByLevel.set(level, severity);
  }
  // a fresh object per finding: findings never share mutable parts
  return { Label: severity.Label, Original: severity.Original };
}

/** The rule's help (or the result's first fix) and the rule's help URL, redacted and cut. */
function remediationFor(
  facts: RuleFacts,
  fix: string,
  secrets: readonly string[],
  plain: boolean,
): Remediation | undefined {
  let text: string;
  if (facts.remediationText) {
    text = plain
      ? facts.plainRemediationText
      : truncate(redactSecrets(facts.remediationText, secrets), REMEDIATION_MAX);
  } else {
    text = fix ? truncate(redactSecrets(fix, secrets), REMEDIATION_MAX) : "";
  }
  const url = facts.remediationUrl;
  if (!text && !url) return undefined;
  const recommendation: NonNullable<Remediation["Recommendation"]> = {};
  if (text) recommendation.Text = text;
  if (url) recommendation.Url = url;
  return { Recommendation: recommendation };
}

/** True for a document that looks like a SARIF 2.1.0 log. Cheap; never throws. */
export function isSarifLog(document: unknown): boolean {
  if (!isObject(document) || !Array.isArray(own(document, "runs"))) return false;
  const version = own(document, "version");
  const schema = own(document, "$schema");
  return version === "2.1.0" || (typeof schema === "string" && /sarif/i.test(schema));
}

/**
 * Parses a SARIF 2.1.0 log into finding drafts. Throws `InputError` when the document is not a
 * SARIF log at all; a bad run or result becomes a failure and the rest of the log is converted.
 */
export function parseSarif(
  document: unknown,
  context: ParseContext,
  options: SarifParserOptions = {},
): { drafts: FindingDraft[]; failures: ConversionFailure[] } {
  return collectParseItems(sarifItems(document, context, options));
}

/**
 * `parseSarif` one item at a time. Ids must not depend on result order and drafts come sorted by
 * Id, so the log is read twice: the first pass locates every result and computes its Id (small
 * records), the second builds each draft in Id order just before it is handed out — a large log is
 * never held as 100,000 drafts. The first pass's failures come first.
 */
export function* sarifItems(
  document: unknown,
  context: ParseContext,
  options: SarifParserOptions = {},
  split?: SplitReport,
): Generator<ParseItem, void, undefined> {
  const settings: Required<SarifParserOptions> = {
    includePassed: options.includePassed ?? context.options?.includePassed ?? false,
    inactiveResults: options.inactiveResults ?? "skip",
  };
  const failures: ConversionFailure[] = [];
  const located = locateAll(document, context, settings, failures, split);
  for (const failure of failures) yield { failure };
  const scope = context.conversion.scope;
  for (const entry of groupByPrefixedId(located, idPrefixOf, hashOf)) {
    if (!Array.isArray(entry)) {
      const step = tryBuild(entry, scope, context.source);
      yield "draft" in step ? { draft: step.draft } : step;
      continue;
    }
    // two or more results with one identity (rare): told apart by their instance
    const members: IdentifiedDraft[] = [];
    for (const member of entry) {
      const step = tryBuild(member, scope, context.source);
      if ("draft" in step) members.push(instanceOf(member, step.draft));
      else yield step;
    }
    if (members.length === 0) continue;
    for (const draft of resolveCollision(String(members[0]?.draft.Id), members).drafts) yield { draft };
  }
}

function idPrefixOf(located: Located): string {
  return located.facts.idPrefix;
}
function hashOf(located: Located): string {
  return located.hash;
}

/** `buildDraft`, with a bug on one odd result reported as a failure naming it. */
function tryBuild(
  located: Located,
  scope: string | undefined,
  source: string,
): { readonly draft: FindingDraft } | { readonly failure: ConversionFailure } {
  try {
    return { draft: buildDraft(located, scope) };
  } catch (error) {
    return { failure: unconvertible(source, resultWhere(located.facts.run, located.resultIndex), error) };
  }
}

function unconvertible(source: string, at: string, error: unknown): ConversionFailure {
  return {
    source,
    field: at,
    rule: "convertible result",
    message: `${at} could not be converted: ${String(error)}`,
  };
}

/**
 * The first pass: checks the log's shape and locates every result of every run. With `split`, a
 * run's results come one at a time from the report read in parts (`entryArrays`); the document then
 * holds an empty array in their place.
 */
function locateAll(
  document: unknown,
  context: ParseContext,
  settings: Required<SarifParserOptions>,
  failures: ConversionFailure[],
  split: SplitReport | undefined,
): Located[] {
  const source = context.source;
  if (!isObject(document)) {
    throw new InputError(`${source}: a SARIF log must be a JSON object, got ${describe(document)}`, {
      source,
      field: "$",
      rule: "SARIF log object",
    });
  }
  const version = own(document, "version");
  if (version !== undefined && version !== "2.1.0") {
    throw new InputError(
      `${source}: SARIF version 2.1.0 expected, got ${JSON.stringify(version)?.slice(0, 40)}`,
      {
        source,
        field: "version",
        rule: "SARIF 2.1.0",
      },
    );
  }
  const runs = own(document, "runs");
  if (!Array.isArray(runs)) {
    throw new InputError(`${source}: SARIF log has no "runs" array (got ${describe(runs)})`, {
      source,
      field: "runs",
      rule: "array of runs",
    });
  }
  const located: Located[] = [];
  runs.forEach((run, runIndex) => {
    const where = `runs[${runIndex}]`;
    if (!isObject(run)) {
      failures.push({
        source,
        field: where,
        rule: "run object",
        message: `${where} must be an object, got ${describe(run)}`,
      });
      return;
    }
    const tool = own(run, "tool");
    if (!isObject(tool) || !isObject(own(tool, "driver"))) {
      failures.push({
        source,
        field: `${where}.tool.driver`,
        rule: "tool.driver object",
        message: `${where} has no tool.driver: the tool that produced the results is unknown`,
      });
      return;
    }
    const results = own(run, "results");
    if (results === undefined || results === null) return; // the tool did not run: nothing to say
    if (!Array.isArray(results)) {
      failures.push({
        source,
        field: `${where}.results`,
        rule: "array",
        message: `${where}.results must be an array, got ${describe(results)}`,
      });
      return;
    }
    const info = runInfo(run, runIndex, context.conversion.nowMs, context.conversion.scope);
    let resultIndex = 0;
    for (const result of split?.entries(["runs", runIndex, "results"]) ?? results) {
      const index = resultIndex++;
      if (!isObject(result)) {
        const at = resultWhere(info, index);
        failures.push({
          source,
          field: at,
          rule: "result object",
          message: `${at} must be an object, got ${describe(result)}`,
        });
        continue;
      }
      try {
        const item = locateResult(result, info, index, context, settings, failures);
        if (item) located.push(item);
      } catch (error) {
        // a bug on one odd result must not lose the rest of the log; the failure names it
        failures.push(unconvertible(source, resultWhere(info, index), error));
      }
    }
  });
  return located;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** Creates a SARIF parser with options (e.g. `includePassed`). */
export function createSarifParser(options: SarifParserOptions = {}): ReportParser {
  return {
    name: "sarif",
    detect: isSarifLog,
    parse: (document, context) => parseSarif(document, context, options),
    parseItems: (document, context) => sarifItems(document, context, options),
    // a large log is read result by result (each parsed when the first pass reaches it)
    entryArrays: [["runs", "*", "results"]],
    parseSplit: (report, context) => sarifItems(report.document, context, options, report),
  };
}

/** The SARIF 2.1.0 parser with default options, for the registry. */
export const sarifParser: ReportParser = createSarifParser();
