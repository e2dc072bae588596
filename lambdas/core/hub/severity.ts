/**
 * Severity Label ↔ Normalized (spec §1.4). Security Hub fills in whichever of the two the caller
 * left out; when both are given it keeps both as given (no consistency check is documented).
 */
import { type JsonObject, shallowCopy } from "./json.ts";

/** The five severity labels, lowest first. */
export const SEVERITY_LABELS = ["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"] as const;
export type SeverityLabel = (typeof SEVERITY_LABELS)[number];

const LABEL_TO_NORMALIZED: Readonly<Record<SeverityLabel, number>> = {
  INFORMATIONAL: 0,
  LOW: 1,
  MEDIUM: 40,
  HIGH: 70,
  CRITICAL: 90,
};

/** True when `value` is one of the five labels. */
export function isSeverityLabel(value: unknown): value is SeverityLabel {
  return typeof value === "string" && (SEVERITY_LABELS as readonly string[]).includes(value);
}

/** The label Security Hub derives from a Normalized score: 0, 1–39, 40–69, 70–89, 90–100. */
export function labelForNormalized(normalized: number): SeverityLabel {
  if (normalized <= 0) return "INFORMATIONAL";
  if (normalized < 40) return "LOW";
  if (normalized < 70) return "MEDIUM";
  if (normalized < 90) return "HIGH";
  return "CRITICAL";
}

/** The Normalized score Security Hub derives from a label (the lower bound of its band). */
export function normalizedForLabel(label: SeverityLabel): number {
  return LABEL_TO_NORMALIZED[label];
}

/** Rank of a label for sorting (INFORMATIONAL = 0 … CRITICAL = 4); -1 when not a label. */
export function severityRank(label: unknown): number {
  return isSeverityLabel(label) ? SEVERITY_LABELS.indexOf(label) : -1;
}

/**
 * Returns a copy of a top-level `Severity` object with the missing one of Label/Normalized
 * filled in. Values that are not a label / a number are left for the validator to report.
 */
export function autoFillSeverity(severity: JsonObject): JsonObject {
  const out: JsonObject = shallowCopy(severity);
  const hasLabel = isSeverityLabel(out.Label);
  const hasNormalized = typeof out.Normalized === "number";
  if (hasLabel && !hasNormalized) out.Normalized = normalizedForLabel(out.Label as SeverityLabel);
  if (!hasLabel && hasNormalized && out.Label === undefined) {
    out.Label = labelForNormalized(out.Normalized as number);
  }
  return out;
}
