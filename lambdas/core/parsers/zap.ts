/**
 * OWASP ZAP JSON report parser (the `traditional-json` report: `{ "@version", "site": [ { "@name",
 * "alerts": [...] } ] }`). One finding per alert per site; the alert's instances (URL, method,
 * parameter) are summarised in the description. Instance `evidence` and `attack` strings are never
 * copied: they can hold tokens, session ids or personal data taken from responses.
 * Id recipe (stable, documented in `docs/parsers-sarif-zap.md`):
 * `zap/<alertRef or pluginid>/<sha256 of [zap, alertRef, scope, site URL]>`.
 */
import type { Remediation, SeverityLabel, Vulnerability } from "@aws-sdk/client-securityhub";
import { formatAsffTimestamp, parseAsffTimestamp } from "../asff/timestamp.ts";
import { InputError } from "../errors.ts";
import type { ConversionFailure, FindingDraft, ParseContext, ReportParser } from "./contracts.ts";
import { findingId, generatorId } from "./ids.ts";
import { assignUniqueIds, type IdentifiedDraft } from "./sarif-ids.ts";
import { original } from "./sarif-severity.ts";
import { cleanProse, extractUrls, redactSecrets, truncate } from "./sarif-text.ts";

/** ZAP `riskcode` → severity label. */
export const ZAP_RISK_TO_LABEL: Readonly<Record<string, SeverityLabel>> = {
  "0": "INFORMATIONAL",
  "1": "LOW",
  "2": "MEDIUM",
  "3": "HIGH",
};

/**
 * ZAP `confidence` → ASFF Confidence. `0` is ZAP's "False Positive": such alerts are not imported
 * (a user marked them as not a problem).
 */
export const ZAP_CONFIDENCE: Readonly<Record<string, number>> = {
  "1": 30,
  "2": 60,
  "3": 90,
  "4": 100,
};

/** `Types` for ZAP alerts: CWE-classified alerts are vulnerabilities, the rest configuration checks. */
export const ZAP_TYPES = {
  cwe: "Software and Configuration Checks/Vulnerabilities/CWE",
  other: "Software and Configuration Checks",
} as const;

const PF = "shadowhub/zap";
const TITLE_MAX = 256;
const DESCRIPTION_MAX = 1024;
const REMEDIATION_MAX = 512;
const MAX_REFERENCE_URLS = 10;
const MAX_LISTED_INSTANCES = 10;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
function own(object: unknown, key: string): unknown {
  return isObject(object) && Object.hasOwn(object, key) ? object[key] : undefined;
}
/** ZAP writes numbers as strings ("2"); both are accepted. */
function scalar(value: unknown): string | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return typeof value === "string" && value.trim().length > 0 ? value.trim() : undefined;
}

/** True for a ZAP JSON report. Cheap; never throws. */
export function isZapReport(document: unknown): boolean {
  if (!isObject(document)) return false;
  const sites = own(document, "site");
  if (!Array.isArray(sites)) return false;
  const marker =
    own(document, "@programName") === "ZAP" ||
    typeof own(document, "@version") === "string" ||
    typeof own(document, "@generated") === "string";
  return (
    marker &&
    sites.every(
      (site) => isObject(site) && (own(site, "alerts") === undefined || Array.isArray(own(site, "alerts"))),
    )
  );
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

function reportTime(document: Json, nowMs: number): string {
  // newer reports carry `created` (ISO 8601, UTC); `@generated` has no time zone, so it is not used
  const created = parseAsffTimestamp(own(document, "created"));
  return formatAsffTimestamp(created ?? nowMs);
}

function instanceSummary(instances: readonly unknown[]): string {
  const lines: string[] = [];
  for (const instance of instances.slice(0, MAX_LISTED_INSTANCES)) {
    if (!isObject(instance)) continue;
    const uri = scalar(own(instance, "uri"));
    if (!uri) continue;
    const method = scalar(own(instance, "method"));
    const param = scalar(own(instance, "param"));
    lines.push(`- ${method ? `${method} ` : ""}${uri}${param ? ` (parameter: ${param})` : ""}`);
  }
  const more = instances.length - MAX_LISTED_INSTANCES;
  if (more > 0) lines.push(`- … and ${more} more`);
  return lines.join("\n");
}

function convertAlert(
  alert: Json,
  site: Json,
  siteName: string,
  where: string,
  time: string,
  context: ParseContext,
  failures: ConversionFailure[],
): IdentifiedDraft | undefined {
  const pluginId = scalar(own(alert, "pluginid"));
  const alertRef = scalar(own(alert, "alertRef")) ?? pluginId;
  const name = cleanProse(own(alert, "alert")) || cleanProse(own(alert, "name"));
  if (!alertRef || !name) {
    failures.push({
      source: context.source,
      field: where,
      rule: "alert with pluginid and name",
      message: `${where} has no ${alertRef ? "alert name" : "pluginid/alertRef"}: cannot tell which check raised it`,
    });
    return undefined;
  }
  const risk = scalar(own(alert, "riskcode"));
  const label = risk !== undefined ? ZAP_RISK_TO_LABEL[risk] : undefined;
  if (!label) {
    failures.push({
      source: context.source,
      field: `${where}.riskcode`,
      rule: "riskcode 0-3",
      message: `${where}.riskcode must be 0, 1, 2 or 3, got ${JSON.stringify(own(alert, "riskcode"))?.slice(0, 40)}`,
    });
    return undefined;
  }
  const confidenceCode = scalar(own(alert, "confidence"));
  if (confidenceCode === "0") return undefined; // marked as a false positive in ZAP
  const confidence = confidenceCode !== undefined ? ZAP_CONFIDENCE[confidenceCode] : undefined;

  const instances = Array.isArray(own(alert, "instances")) ? (own(alert, "instances") as unknown[]) : [];
  const count = scalar(own(alert, "count")) ?? String(instances.length);
  // evidence and attack strings may carry tokens taken from responses: remove them from any prose
  const evidence = instances
    .flatMap((i) => [scalar(own(i, "evidence")), scalar(own(i, "attack"))])
    .filter((v): v is string => v !== undefined);
  const safe = (text: string): string => redactSecrets(text, evidence);
  const desc = safe(cleanProse(own(alert, "desc")));
  const otherInfo = safe(cleanProse(own(alert, "otherinfo")));
  const summary = safe(instanceSummary(instances));
  const description = truncate(
    [desc || name, otherInfo, summary ? `Instances (${count}):\n${summary}` : ""]
      .filter((p) => p.length > 0)
      .join("\n\n"),
    DESCRIPTION_MAX,
  );
  const solution = safe(cleanProse(own(alert, "solution")));
  const references = extractUrls(cleanProse(own(alert, "reference"))).slice(0, MAX_REFERENCE_URLS);
  const remediation: Remediation | undefined =
    solution || references[0]
      ? {
          Recommendation: {
            ...(solution ? { Text: truncate(solution, REMEDIATION_MAX) } : {}),
            ...(references[0] ? { Url: references[0] } : {}),
          },
        }
      : undefined;
  const cweId = scalar(own(alert, "cweid"));
  const cwe = cweId && /^\d+$/.test(cweId) && Number(cweId) > 0 ? `CWE-${Number(cweId)}` : undefined;
  const wascId = scalar(own(alert, "wascid"));
  const vulnerabilities: Vulnerability[] | undefined = cwe
    ? [
        {
          Id: cwe,
          Vendor: { Name: "OWASP ZAP" },
          ...(references.length > 0 ? { ReferenceUrls: references } : {}),
        },
      ]
    : undefined;

  const scope = context.conversion.scope;
  const other: Record<string, string> = {};
  for (const key of ["@host", "@port", "@ssl"] as const) {
    const value = scalar(own(site, key));
    if (value) other[key.slice(1)] = value;
  }
  const productFields: Record<string, string> = {
    [`${PF}/PluginId`]: pluginId ?? alertRef,
    [`${PF}/AlertRef`]: alertRef,
  };
  if (wascId && wascId !== "0" && wascId !== "-1") productFields[`${PF}/WascId`] = `WASC-${wascId}`;
  productFields[`${PF}/InstanceCount`] = count;
  const riskDesc = scalar(own(alert, "riskdesc"));

  const draft: FindingDraft = {
    Id: findingId("zap", alertRef, ["zap", scope ?? "", siteName]),
    GeneratorId: generatorId("zap", alertRef),
    CreatedAt: time,
    UpdatedAt: time,
    Title: truncate(name, TITLE_MAX),
    Description: description,
    Resources: [
      {
        Type: "Other",
        Id: siteName,
        ...(Object.keys(other).length > 0 ? { Details: { Other: other } } : {}),
      },
    ],
    FindingProviderFields: {
      Severity: { Label: label, Original: original(riskDesc ?? risk ?? "") },
      Types: [cwe ? ZAP_TYPES.cwe : ZAP_TYPES.other],
      ...(confidence !== undefined ? { Confidence: confidence } : {}),
    },
    ...(remediation ? { Remediation: remediation } : {}),
    ...(vulnerabilities ? { Vulnerabilities: vulnerabilities } : {}),
    ProductFields: productFields,
  };
  return { draft, instance: [name, risk, confidenceCode] };
}

/**
 * Parses a ZAP JSON report into finding drafts. Throws `InputError` when the document is not a ZAP
 * report at all; a bad site or alert becomes a failure and the rest is converted.
 */
export function parseZap(
  document: unknown,
  context: ParseContext,
): { drafts: FindingDraft[]; failures: ConversionFailure[] } {
  const source = context.source;
  if (!isObject(document)) {
    throw new InputError(`${source}: a ZAP JSON report must be a JSON object, got ${describe(document)}`, {
      source,
      field: "$",
      rule: "ZAP report object",
    });
  }
  const sites = own(document, "site");
  if (!Array.isArray(sites)) {
    throw new InputError(`${source}: ZAP report has no "site" array (got ${describe(sites)})`, {
      source,
      field: "site",
      rule: "array of sites",
    });
  }
  const time = reportTime(document, context.conversion.nowMs);
  const failures: ConversionFailure[] = [];
  const items: IdentifiedDraft[] = [];
  sites.forEach((site, siteIndex) => {
    const where = `site[${siteIndex}]`;
    const siteName = scalar(own(site, "@name"));
    if (!isObject(site) || !siteName) {
      failures.push({
        source,
        field: `${where}.@name`,
        rule: "site with @name",
        message: `${where} must be an object with an "@name" URL`,
      });
      return;
    }
    const alerts = own(site, "alerts");
    if (alerts === undefined) return;
    if (!Array.isArray(alerts)) {
      failures.push({
        source,
        field: `${where}.alerts`,
        rule: "array",
        message: `${where}.alerts must be an array, got ${describe(alerts)}`,
      });
      return;
    }
    alerts.forEach((alert, alertIndex) => {
      const at = `${where}.alerts[${alertIndex}]`;
      if (!isObject(alert)) {
        failures.push({
          source,
          field: at,
          rule: "alert object",
          message: `${at} must be an object, got ${describe(alert)}`,
        });
        return;
      }
      const item = convertAlert(alert, site, siteName, at, time, context, failures);
      if (item) items.push(item);
    });
  });
  return { drafts: assignUniqueIds(items).drafts, failures };
}

/** The OWASP ZAP JSON report parser, for the registry. */
export const zapParser: ReportParser = {
  name: "zap",
  detect: isZapReport,
  parse: parseZap,
};
