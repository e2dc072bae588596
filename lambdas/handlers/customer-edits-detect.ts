/**
 * Tells, from one "Security Hub Findings - Imported" event's finding alone, which top-level
 * attributes a customer changed with BatchUpdateFindings (spec §3.4, §4.2).
 *
 * Why this works: for Confidence, Criticality, RelatedFindings, Severity and Types, every provider
 * import writes its value into `FindingProviderFields` and — unless a customer changed the
 * attribute — the same value at the top level. BatchUpdateFindings writes the top level only (it
 * has no FindingProviderFields member). So a top-level value that differs from the
 * FindingProviderFields value can only have come from a customer. This needs no shadow read, is
 * independent of event order and delivery count (marking is a set union), and ignores the
 * events of ordinary provider imports, where both sides agree.
 *
 * Limits (docs/deploy.md): a customer who sets exactly the provider's value is not seen (nothing
 * to protect until the provider changes it); a finding without any FindingProviderFields (an
 * emulator that does not fill them) yields nothing rather than guesses; Severity is compared by
 * `Label`, the one member both sides carry.
 */
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import type { PrecedenceAttribute } from "../core/hub/contracts.ts";

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((x) => right.has(x));
}

const related = (list: AwsSecurityFinding["RelatedFindings"]) =>
  (list ?? []).map((r) => JSON.stringify([r.ProductArn ?? "", r.Id ?? ""]));

/** The precedence attributes whose top-level value differs from the provider's (sorted). */
export function customerChangedAttributes(finding: AwsSecurityFinding): PrecedenceAttribute[] {
  const fpf = finding.FindingProviderFields;
  if (fpf === undefined || fpf === null) return [];
  const changed: PrecedenceAttribute[] = [];
  if (finding.Confidence !== undefined && finding.Confidence !== fpf.Confidence) changed.push("Confidence");
  if (finding.Criticality !== undefined && finding.Criticality !== fpf.Criticality)
    changed.push("Criticality");
  if (
    finding.RelatedFindings !== undefined &&
    !sameSet(related(finding.RelatedFindings), related(fpf.RelatedFindings))
  ) {
    changed.push("RelatedFindings");
  }
  const topLabel = finding.Severity?.Label;
  const providerLabel = fpf.Severity?.Label;
  if (topLabel !== undefined && providerLabel !== undefined && topLabel !== providerLabel)
    changed.push("Severity");
  if (finding.Types !== undefined && fpf.Types !== undefined && !sameSet(finding.Types, fpf.Types)) {
    changed.push("Types");
  }
  return changed;
}
