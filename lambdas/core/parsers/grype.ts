/**
 * Grype JSON (`grype … -o json`): each match becomes a vulnerability finding against the scanned
 * image or directory. Id: (source, vulnerability id, package name, package type, package
 * locations) — the package version is not part of it, so an upgrade that stays vulnerable updates
 * the same finding, and the same CVE in two packages or paths gives two findings.
 */
import type { Resource, Vulnerability } from "@aws-sdk/client-securityhub";
import { formatAsffTimestamp, parseAsffTimestamp } from "../asff/timestamp.ts";
import { InputError } from "../errors.ts";
import type { ConversionFailure, FindingDraft, ParseContext, ReportParser } from "./contracts.ts";
import { findingId, generatorId } from "./ids.ts";
import {
  asArray,
  asNumber,
  asObject,
  asString,
  asStrings,
  type JsonObject,
  jsonType,
} from "./json-access.ts";
import { codeResource, imageResource, withOther } from "./resources.ts";
import { mapSeverity, type SeverityTable } from "./severity.ts";

/** Grype severity → ASFF label (`Negligible` and `Unknown` become INFORMATIONAL). */
export const GRYPE_SEVERITY: SeverityTable = {
  unknown: "INFORMATIONAL",
  negligible: "INFORMATIONAL",
  low: "LOW",
  medium: "MEDIUM",
  high: "HIGH",
  critical: "CRITICAL",
};

/** Grype finding kind → ASFF Types. */
export const GRYPE_TYPES = {
  cve: ["Software and Configuration Checks/Vulnerabilities/CVE"],
  vulnerability: ["Software and Configuration Checks/Vulnerabilities"],
} as const;

const TOOL = "grype";

function time(value: unknown): string | undefined {
  const ms = parseAsffTimestamp(value);
  return ms === undefined ? undefined : formatAsffTimestamp(ms);
}

/** The scanned source → name (for Ids) and resource. */
function sourceResource(report: JsonObject, source: string): { name: string; resource: Resource } {
  const src = asObject(report.source) ?? {};
  const type = asString(src.type);
  const target = src.target;
  const distro = asObject(report.distro);
  const os = distro ? [asString(distro.name), asString(distro.version)].filter(Boolean).join(" ") : undefined;
  const t = asObject(target);
  if (type === "image" && t) {
    const name = asString(t.userInput) ?? asStrings(t.tags)[0] ?? asString(t.imageID) ?? source;
    return {
      name,
      resource: imageResource({
        name,
        ...(asString(t.manifestDigest) ? { digest: asString(t.manifestDigest) } : {}),
        ...(asString(t.imageID) ? { imageId: asString(t.imageID) } : {}),
        tags: asStrings(t.tags),
        repoDigests: asStrings(t.repoDigests),
        ...(asString(t.architecture) ? { architecture: asString(t.architecture) } : {}),
        ...(os ? { os } : {}),
      }),
    };
  }
  const name = asString(target) ?? (t ? (asString(t.userInput) ?? asString(t.path)) : undefined) ?? source;
  return { name, resource: codeResource({ name, ...(type ? { artifactType: type } : {}) }, { os }) };
}

function cvssOf(list: unknown): NonNullable<Vulnerability["Cvss"]> {
  const out: NonNullable<Vulnerability["Cvss"]> = [];
  for (const entry of asArray(list)) {
    const c = asObject(entry);
    if (!c) continue;
    const metrics = asObject(c.metrics);
    const score = metrics ? asNumber(metrics.baseScore) : undefined;
    const vector = asString(c.vector);
    const version = asString(c.version);
    if (score === undefined && !vector) continue;
    out.push({
      ...(version ? { Version: version } : {}),
      ...(score !== undefined ? { BaseScore: score } : {}),
      ...(vector ? { BaseVector: vector } : {}),
      ...(asString(c.source) ? { Source: asString(c.source) } : {}),
    });
  }
  return out;
}

/** Parses a Grype JSON report into drafts. */
export function parseGrype(
  document: unknown,
  context: ParseContext,
): { drafts: FindingDraft[]; failures: ConversionFailure[] } {
  const { source } = context;
  const report = asObject(document);
  if (!report) {
    throw new InputError(`${source}: expected a Grype JSON report object, got a JSON ${jsonType(document)}`, {
      source,
      field: "$",
      rule: "Grype report",
    });
  }
  if (report.matches !== undefined && report.matches !== null && !Array.isArray(report.matches)) {
    throw new InputError(
      `${source}: matches is a JSON ${jsonType(report.matches)}; expected an array of matches`,
      {
        source,
        field: "matches",
        rule: "array",
      },
    );
  }
  const { name: sourceName, resource } = sourceResource(report, source);
  const descriptor = asObject(report.descriptor);
  const reportTime = descriptor ? time(descriptor.timestamp) : undefined;
  const drafts: FindingDraft[] = [];
  const failures: ConversionFailure[] = [];
  asArray(report.matches).forEach((entry, i) => {
    const at = `matches[${i}]`;
    const match = asObject(entry);
    const vuln = match ? asObject(match.vulnerability) : undefined;
    const artifact = match ? asObject(match.artifact) : undefined;
    const vulnId = vuln ? asString(vuln.id) : undefined;
    if (!match || !vuln || !vulnId) {
      failures.push({
        source,
        field: `${at}.vulnerability.id`,
        rule: "required string",
        message: `${source}: ${at}.vulnerability.id is missing; expected a vulnerability id such as CVE-2024-1234`,
      });
      return;
    }
    if (!artifact || !asString(artifact.name)) {
      failures.push({
        source,
        field: `${at}.artifact.name`,
        rule: "required string",
        message: `${source}: ${at}.artifact.name is missing; expected the matched package's name`,
      });
      return;
    }
    const pkg = asString(artifact.name) ?? "";
    const version = asString(artifact.version);
    const pkgType = asString(artifact.type);
    const paths = [
      ...new Set(
        asArray(artifact.locations)
          .map((l) => asString(asObject(l)?.path))
          .filter((p) => p !== undefined),
      ),
    ].sort();
    const layer = asString(asObject(asArray(artifact.locations)[0])?.layerID);
    const related = asArray(match.relatedVulnerabilities)
      .map(asObject)
      .filter((r) => r !== undefined);
    const fix = asObject(vuln.fix);
    const fixState = fix ? asString(fix.state) : undefined;
    const fixedVersions = fix ? asStrings(fix.versions) : [];
    const fixed = fixState === "fixed" && fixedVersions.length > 0 ? fixedVersions.join(", ") : undefined;
    const severity = asString(vuln.severity);
    const dataSource = asString(vuln.dataSource);
    const description =
      asString(vuln.description) ?? related.map((r) => asString(r.description)).find((d) => d !== undefined);
    const epssEntry = asObject(asArray(vuln.epss)[0]);
    const epss = epssEntry ? asNumber(epssEntry.epss) : undefined;
    const kev = asArray(vuln.knownExploited).length > 0;
    const remediation = fixed
      ? `Upgrade ${pkg}${version ? ` from ${version}` : ""} to ${fixed}.`
      : `No fixed version of ${pkg} is available${fixState ? ` (fix state: ${fixState})` : ""}; watch the advisory or mitigate.`;
    const id = findingId(TOOL, vulnId, [sourceName, pkg, pkgType ?? "", paths.join("\n")]);
    const refs = [...new Set([...asStrings(vuln.urls), ...related.flatMap((r) => asStrings(r.urls))])];
    drafts.push({
      Id: id,
      GeneratorId: generatorId(TOOL, vulnId),
      ...(reportTime ? { CreatedAt: reportTime, UpdatedAt: reportTime } : {}),
      Title: `${vulnId} ${pkg}${version ? ` ${version}` : ""}`,
      Description: description ?? `${vulnId} in ${pkg}${version ? ` ${version}` : ""}`,
      Severity: mapSeverity(GRYPE_SEVERITY, severity),
      Types: [...(vulnId.startsWith("CVE-") ? GRYPE_TYPES.cve : GRYPE_TYPES.vulnerability)],
      ...(dataSource ? { SourceUrl: dataSource } : {}),
      Remediation: { Recommendation: { Text: remediation, ...(dataSource ? { Url: dataSource } : {}) } },
      Resources: [
        withOther(resource, {
          packageType: pkgType,
          purl: asString(artifact.purl),
          language: asString(artifact.language),
          locations: paths.join(", "),
          namespace: asString(vuln.namespace),
        }),
      ],
      Vulnerabilities: [
        {
          Id: vulnId,
          VulnerablePackages: [
            {
              Name: pkg,
              ...(version ? { Version: version } : {}),
              ...(pkgType ? { PackageManager: pkgType } : {}),
              ...(paths[0] ? { FilePath: paths[0] } : {}),
              ...(fixed ? { FixedInVersion: fixed, Remediation: remediation } : {}),
              ...(layer ? { SourceLayerHash: layer } : {}),
            },
          ],
          Cvss: [...cvssOf(vuln.cvss), ...related.flatMap((r) => cvssOf(r.cvss))],
          Vendor: {
            Name: asString(vuln.namespace) ?? TOOL,
            ...(dataSource ? { Url: dataSource } : {}),
            ...(severity ? { VendorSeverity: severity } : {}),
          },
          ReferenceUrls: refs,
          RelatedVulnerabilities: [
            ...new Set(related.map((r) => asString(r.id)).filter((r) => r !== undefined && r !== vulnId)),
          ] as string[],
          FixAvailable: fixed ? "YES" : "NO",
          ...(epss !== undefined ? { EpssScore: epss } : {}),
          ...(kev ? { ExploitAvailable: "YES" } : {}),
        },
      ],
    });
  });
  return { drafts, failures };
}

/** The Grype JSON parser (`--format grype`). */
export const grypeParser: ReportParser = {
  name: "grype",
  detect(document) {
    const o = asObject(document);
    if (!o || !Array.isArray(o.matches)) return false;
    const descriptor = asObject(o.descriptor);
    return (descriptor !== undefined && descriptor.name === "grype") || asObject(o.source) !== undefined;
  },
  parse: parseGrype,
};
