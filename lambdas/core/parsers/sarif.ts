/**
 * SARIF 2.1.0 parser for any tool (CodeQL, Semgrep, Checkov, tfsec, KICS, gitleaks, Bandit, ESLint,
 * Snyk, Trivy, ...). One finding per active result; see `docs/parsers-sarif-zap.md` for the mapping
 * tables and the Id recipe. Pure: the document is already parsed, nothing is read or written.
 */
import type {
  Compliance,
  Remediation,
  Resource,
  SeverityLabel,
  Vulnerability,
} from "@aws-sdk/client-securityhub";
import { formatAsffTimestamp, parseAsffTimestamp } from "../asff/timestamp.ts";
import { InputError } from "../errors.ts";
import type { ConversionFailure, FindingDraft, ParseContext, ReportParser } from "./contracts.ts";
import { findingId, generatorId } from "./ids.ts";
import { isSecretPropertyName } from "./redact.ts";
import { assignUniqueIds, type IdentifiedDraft } from "./sarif-ids.ts";
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

/** ProductFields key prefix (`company-id/product-id/field-name`, never `aws/`). */
const PF = "shadowhub/sarif";

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

function runInfo(run: Json, index: number, nowMs: number): RunInfo {
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
  };
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
    const lookup = (id: string): Json | undefined =>
      comp.byId.get(id) ??
      run.driver.byId.get(id) ??
      run.extensions.map((ext) => ext.byId.get(id)).find(isObject);
    // hierarchical ids ("C2001/1") name a sub-rule of C2001
    const slash = ruleId.indexOf("/");
    const rule = lookup(ruleId) ?? (slash > 0 ? lookup(ruleId.slice(0, slash)) : undefined);
    return rule ? { rule, ruleId } : { ruleId };
  }
  return {};
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
  readonly startLine?: number;
  readonly startColumn?: number;
  readonly endLine?: number;
  readonly endColumn?: number;
}
function regionOf(physical: Json | undefined): Region {
  const region = isObject(own(physical, "region")) ? (own(physical, "region") as Json) : undefined;
  const startLine = asPositiveInt(own(region, "startLine"));
  const endLine = asPositiveInt(own(region, "endLine")) ?? startLine;
  const startColumn = asPositiveInt(own(region, "startColumn"));
  const endColumn = asPositiveInt(own(region, "endColumn"));
  return {
    ...(startLine ? { startLine } : {}),
    ...(startColumn ? { startColumn } : {}),
    ...(endLine ? { endLine } : {}),
    ...(endColumn ? { endColumn } : {}),
  };
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
  const pick = (value: unknown, stableOnly: boolean): string | undefined => {
    if (!isObject(value)) return undefined;
    const entries = Object.entries(value)
      .filter(
        ([key, v]) =>
          typeof v === "string" && v.length > 0 && (!stableOnly || STABLE_PARTIAL_KEY_RE.test(key)),
      )
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return entries.length > 0 ? entries.map(([key, v]) => `${key}=${v as string}`).join("\n") : undefined;
  };
  return pick(own(result, "fingerprints"), false) ?? pick(own(result, "partialFingerprints"), true);
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
  const suppressions = asArray(own(result, "suppressions"));
  return suppressions.some((s) => {
    if (!isObject(s)) return false;
    const status = asString(own(s, "status"));
    return status === undefined || status === "accepted";
  });
}

function titleOf(rule: Json | undefined, ruleId: string | undefined, message: string): string {
  const name = asString(own(rule, "name"));
  const short = cleanProse(textOf(own(rule, "shortDescription")), { markdown: true });
  const candidates = [
    name && /\s/.test(name.trim()) ? cleanProse(name) : undefined,
    short || undefined,
    message ? firstLine(message) : undefined,
    ruleId,
  ];
  return candidates.find((c): c is string => c !== undefined && c.trim().length > 0) ?? "SARIF result";
}

function remediationOf(rule: Json | undefined, result: Json): Remediation | undefined {
  const help = own(rule, "help");
  let text = cleanProse(textOf(help));
  if (!text && isObject(help)) text = cleanProse(own(help, "markdown"), { markdown: true });
  if (!text) {
    const fix = asArray(own(result, "fixes")).find(isObject);
    text = cleanProse(textOf(own(fix, "description")), { markdown: true });
  }
  const helpUri = asString(own(rule, "helpUri"));
  const url = helpUri && /^https?:\/\/\S+$/i.test(helpUri) ? helpUri : undefined;
  if (!text && !url) return undefined;
  return {
    Recommendation: {
      ...(text ? { Text: text } : {}),
      ...(url ? { Url: url } : {}),
    },
  };
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

function resourceOf(
  run: RunInfo,
  path: string | undefined,
  region: Region,
  logical: string | undefined,
  scope: string | undefined,
): Resource {
  const other: Record<string, string> = {};
  const put = (key: string, value: string | number | undefined): void => {
    if (value !== undefined && String(value).trim().length > 0)
      other[key] = truncate(String(value), DETAILS_OTHER_VALUE_MAX);
  };
  put("Path", path);
  put("StartLine", region.startLine);
  put("EndLine", region.endLine);
  put("LogicalLocation", logical);
  if (run.repository) {
    put("Revision", run.repository.revision);
    put("Branch", run.repository.branch);
    const project = run.repository.uri
      .replace(/\.git$/, "")
      .split("/")
      .filter(Boolean)
      .slice(-2)
      .join("/");
    return {
      Type: "CodeRepository",
      Id: run.repository.uri,
      Details: {
        CodeRepository: project ? { ProjectName: project } : {},
        ...(Object.keys(other).length > 0 ? { Other: other } : {}),
      },
    };
  }
  const id = path ?? logical ?? scope ?? `sarif:${run.toolName}`;
  return {
    Type: "Other",
    Id: id,
    ...(Object.keys(other).length > 0 ? { Details: { Other: other } } : {}),
  };
}

/** Converts one SARIF result; returns `undefined` for results that are not imported. */
function convertResult(
  result: Json,
  run: RunInfo,
  where: string,
  context: ParseContext,
  options: Required<SarifParserOptions>,
  failures: ConversionFailure[],
): IdentifiedDraft | undefined {
  const { rule, ruleId, problem } = resolveRule(result, run);
  if (problem) {
    failures.push({
      source: context.source,
      field: `${where}.${problem.field}`,
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

  const defaultConfiguration = own(rule, "defaultConfiguration");
  const level =
    asString(own(result, "level")) ??
    (isObject(defaultConfiguration) ? asString(own(defaultConfiguration, "level")) : undefined) ??
    "warning";
  const location = asArray(own(result, "locations")).find(isObject);
  const physical = isObject(own(location, "physicalLocation"))
    ? (own(location, "physicalLocation") as Json)
    : undefined;
  const logicalLocation = asArray(own(location, "logicalLocations")).find(isObject);
  const logical =
    asString(own(logicalLocation, "fullyQualifiedName")) ?? asString(own(logicalLocation, "name"));
  const path = resolveUri(own(physical, "artifactLocation"), run);
  const region = regionOf(physical);

  const secret =
    run.secretTool ||
    hasTag(rule, /^secrets?$/i) ||
    hasTag(result, /^secrets?$/i) ||
    /(^|[./_-])secrets?([./_-]|$)/i.test(ruleId ?? "");
  const secrets = secret ? secretValues(result, physical) : [];
  const safe = (text: string): string => redactSecrets(text, secrets);

  const message = safe(messageOf(result, rule));
  const title = truncate(safe(titleOf(rule, ruleId, message)), TITLE_MAX);
  const fullDescription = safe(cleanProse(textOf(own(rule, "fullDescription")), { markdown: true }));
  const description = truncate(message || fullDescription || title, DESCRIPTION_MAX);
  const cwes = cwesOf(rule, result);
  const cve = CVE_RE.exec(ruleId ?? "")?.[1]?.toUpperCase();
  const passed = kind === "pass";
  const severity: MappedSeverity = passed
    ? { Label: "INFORMATIONAL" as SeverityLabel, Original: original(kind) }
    : severityOf(result, rule, ruleId, level);
  const confidence = confidenceOf(result, rule);
  const remediation = remediationOf(rule, result);
  if (remediation?.Recommendation?.Text) {
    remediation.Recommendation.Text = truncate(safe(remediation.Recommendation.Text), REMEDIATION_MAX);
  }
  const fingerprint = fingerprintOf(result);
  const scope = context.conversion.scope;
  const toolKey = run.toolName.trim().toLowerCase();
  const identity = [
    "sarif",
    toolKey,
    ruleId ?? "",
    scope ?? "",
    run.repository?.uri ?? "",
    path ?? "",
    ...(fingerprint !== undefined
      ? ["fingerprint", fingerprint]
      : ["region", region.startLine, region.startColumn, region.endLine, region.endColumn, logical ?? ""]),
    // without a rule the message is the only thing that says which problem this is
    ...(ruleId === undefined ? ["message", message] : []),
  ];
  const id = findingId(toolSlug(run.toolName), ruleId ?? "no-rule", identity);

  const vulnerabilities: Vulnerability[] = [];
  if (cve || cwes.length > 0) {
    const helpUri = asString(own(rule, "helpUri"));
    vulnerabilities.push({
      Id: (cve ?? ruleId ?? cwes[0] ?? "unknown").slice(0, 512),
      Vendor: { Name: run.toolName.slice(0, 256) },
      ...(helpUri && /^https?:\/\//i.test(helpUri) ? { ReferenceUrls: [helpUri] } : {}),
      ...(cwes.length > 0
        ? {
            CodeVulnerabilities: [
              {
                Cwes: cwes,
                ...(path
                  ? {
                      FilePath: {
                        FilePath: path.slice(0, 1024),
                        FileName: baseName(path).slice(0, 1024),
                        ...(region.startLine ? { StartLine: region.startLine } : {}),
                        ...(region.endLine ? { EndLine: region.endLine } : {}),
                      },
                    }
                  : {}),
              },
            ],
          }
        : {}),
    });
  }

  const productFields: Record<string, string> = {};
  const field = (key: string, value: string | undefined): void => {
    if (value !== undefined && value.trim().length > 0)
      productFields[`${PF}/${key}`] = truncate(value, PRODUCT_FIELD_VALUE_MAX);
  };
  field("ToolName", run.toolName);
  field("ToolVersion", run.toolVersion);
  field("RuleId", ruleId);
  field("Level", level);
  field("Kind", kind);
  field("BaselineState", asString(own(result, "baselineState")));
  if (path) field("Location", region.startLine ? `${path}:${region.startLine}` : path);

  const provenance = own(result, "provenance");
  const firstSeenMs = isObject(provenance)
    ? parseAsffTimestamp(own(provenance, "firstDetectionTimeUtc"))
    : undefined;
  const compliance: Compliance | undefined = passed ? { Status: "PASSED" } : undefined;

  const draft: FindingDraft = {
    Id: id,
    GeneratorId: generatorId(toolSlug(run.toolName), ruleId ?? "no-rule"),
    CreatedAt: run.time,
    UpdatedAt: run.time,
    ...(firstSeenMs !== undefined ? { FirstObservedAt: formatAsffTimestamp(firstSeenMs) } : {}),
    Title: title,
    Description: description,
    Resources: [resourceOf(run, path, region, logical, scope)],
    FindingProviderFields: {
      Severity: severity,
      Types: [typeOf(run, secret, cve, cwes)],
      ...(confidence !== undefined ? { Confidence: confidence } : {}),
    },
    ...(remediation ? { Remediation: remediation } : {}),
    ...(vulnerabilities.length > 0 ? { Vulnerabilities: vulnerabilities } : {}),
    ...(compliance ? { Compliance: compliance } : {}),
    ...(inactive ? { RecordState: "ARCHIVED" } : {}),
    ProductFields: productFields,
  };
  return {
    draft,
    instance: [
      region.startLine,
      region.startColumn,
      region.endLine,
      region.endColumn,
      logical ?? "",
      description,
    ],
  };
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
  const settings: Required<SarifParserOptions> = {
    includePassed: options.includePassed ?? context.options?.includePassed ?? false,
    inactiveResults: options.inactiveResults ?? "skip",
  };
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
  const failures: ConversionFailure[] = [];
  const items: IdentifiedDraft[] = [];
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
    const info = runInfo(run, runIndex, context.conversion.nowMs);
    results.forEach((result, resultIndex) => {
      const at = `${where}.results[${resultIndex}]`;
      if (!isObject(result)) {
        failures.push({
          source,
          field: at,
          rule: "result object",
          message: `${at} must be an object, got ${describe(result)}`,
        });
        return;
      }
      try {
        const item = convertResult(result, info, at, context, settings, failures);
        if (item) items.push(item);
      } catch (error) {
        // a bug on one odd result must not lose the rest of the log; the failure names it
        failures.push({
          source,
          field: at,
          rule: "convertible result",
          message: `${at} could not be converted: ${String(error)}`,
        });
      }
    });
  });
  return { drafts: assignUniqueIds(items).drafts, failures };
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
  };
}

/** The SARIF 2.1.0 parser with default options, for the registry. */
export const sarifParser: ReportParser = createSarifParser();
