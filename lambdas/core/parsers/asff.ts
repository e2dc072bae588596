/**
 * ASFF passthrough: a finding, an array of findings, or `{"Findings": [...]}` (what Trivy's ASFF
 * template and `aws securityhub get-findings` produce). The findings are validated like every
 * other format; `ProductArn` and `AwsAccountId` are kept unless `overrideIdentity` is set, and are
 * filled from the context when missing.
 */
import { ASFF_SCHEMA_VERSION } from "../asff/limits.ts";
import { InputError } from "../errors.ts";
import type { ConversionFailure, FindingDraft, ReportParser } from "./contracts.ts";
import { asArray, asObject, jsonType } from "./json-access.ts";

function looksLikeFinding(value: unknown): boolean {
  const o = asObject(value);
  return (
    o !== undefined &&
    (o.SchemaVersion === ASFF_SCHEMA_VERSION || (typeof o.Id === "string" && "GeneratorId" in o))
  );
}

/** The list of candidate findings and the JSON path prefix used in messages. */
function findingsOf(document: unknown): { items: readonly unknown[]; path: string } | undefined {
  if (Array.isArray(document)) return { items: document, path: "$" };
  const o = asObject(document);
  if (o === undefined) return undefined;
  if (Array.isArray(o.Findings)) return { items: o.Findings, path: "$.Findings" };
  if (looksLikeFinding(o)) return { items: [o], path: "$" };
  return undefined;
}

/** The ASFF passthrough parser (`--format asff`). */
export const asffParser: ReportParser = {
  name: "asff",
  passthrough: true,
  detect(document) {
    if (Array.isArray(document)) return document.length === 0 || looksLikeFinding(document[0]);
    const o = asObject(document);
    if (o === undefined) return false;
    if (Array.isArray(o.Findings)) return o.Findings.length === 0 || looksLikeFinding(o.Findings[0]);
    return looksLikeFinding(o);
  },
  parse(document, context) {
    const found = findingsOf(document);
    if (!found) {
      throw new InputError(
        `${context.source}: expected an ASFF finding, an array of findings or {"Findings": [...]}, got a JSON ${jsonType(document)}`,
        { source: context.source, field: "$", rule: "ASFF document" },
      );
    }
    const drafts: FindingDraft[] = [];
    const failures: ConversionFailure[] = [];
    asArray(found.items).forEach((item, i) => {
      const finding = asObject(item);
      if (!finding) {
        failures.push({
          source: context.source,
          field: `${found.path}[${i}]`,
          rule: "object",
          message: `${context.source}: ${found.path}[${i}] is a JSON ${jsonType(item)}, expected an ASFF finding object`,
        });
        return;
      }
      drafts.push(finding as FindingDraft);
    });
    return { drafts, failures };
  },
};
