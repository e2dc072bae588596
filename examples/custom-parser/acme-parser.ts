/**
 * A worked example of a custom shadowhub parser for a made-up scanner, "acme-scan", whose JSON
 * report looks like `acme-report.json` in this folder. Load it with:
 *
 *   npx shadowhub convert --parser examples/custom-parser/acme-parser.ts examples/custom-parser/acme-report.json
 *
 * The parser only describes what the scanner knows. shadowhub's finalizer adds SchemaVersion,
 * ProductArn, AwsAccountId and timestamps, moves Severity/Types to FindingProviderFields, cuts
 * text to the ASFF limits, shrinks oversize findings and validates every result.
 */
import { InputError } from "../../lambdas/core/errors.ts";
import type { ConversionFailure, FindingDraft, ReportParser } from "../../lambdas/core/parsers/contracts.ts";
import { findingId, generatorId } from "../../lambdas/core/parsers/ids.ts";
import { mapSeverity } from "../../lambdas/core/parsers/severity.ts";

/** acme-scan's severity words → ASFF labels; the original word is kept in Severity.Original. */
const SEVERITY = { info: "INFORMATIONAL", minor: "LOW", major: "HIGH", blocker: "CRITICAL" } as const;

interface AcmeIssue {
  readonly check?: unknown;
  readonly file?: unknown;
  readonly line?: unknown;
  readonly severity?: unknown;
  readonly message?: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export const acmeParser: ReportParser = {
  name: "acme",
  // Cheap and never throws: look at the shape only.
  detect: (document) => isRecord(document) && document.tool === "acme-scan" && Array.isArray(document.issues),
  parse(document, { source }) {
    if (!isRecord(document) || !Array.isArray(document.issues)) {
      throw new InputError(`${source}: expected {"tool": "acme-scan", "issues": [...]}`, {
        source,
        field: "issues",
        rule: "array",
      });
    }
    const project = typeof document.project === "string" ? document.project : source;
    const scannedAt = typeof document.scannedAt === "string" ? document.scannedAt : undefined;
    const drafts: FindingDraft[] = [];
    const failures: ConversionFailure[] = [];
    for (const [i, issue] of (document.issues as AcmeIssue[]).entries()) {
      if (typeof issue?.check !== "string" || typeof issue.file !== "string") {
        failures.push({
          source,
          field: `issues[${i}]`,
          rule: "required string",
          message: `${source}: issues[${i}] needs "check" and "file" strings`,
        });
        continue;
      }
      const line = typeof issue.line === "number" ? issue.line : undefined;
      drafts.push({
        // Stable: tool, rule, resource and location — never a time or run number.
        Id: findingId("acme", issue.check, [project, issue.file, line]),
        GeneratorId: generatorId("acme", issue.check),
        ...(scannedAt ? { CreatedAt: scannedAt, UpdatedAt: scannedAt } : {}),
        Title: `${issue.check} in ${issue.file}${line ? `:${line}` : ""}`,
        Description: typeof issue.message === "string" ? issue.message : issue.check,
        Severity: mapSeverity(SEVERITY, issue.severity),
        Types: ["Software and Configuration Checks"],
        Resources: [
          { Type: "Other", Id: project, Details: { Other: { file: issue.file, line: line?.toString() } } },
        ],
      });
    }
    return { drafts, failures };
  },
};

export default acmeParser;
