/**
 * Severity mapping for scanner values: each format has a table from its own severity words to
 * the five ASFF labels; the scanner's value is always kept in `Severity.Original`.
 */
import type { Severity } from "@aws-sdk/client-securityhub";

/** The five ASFF severity labels, lowest first. */
export const SEVERITY_LABELS = ["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"] as const;
export type SeverityLabel = (typeof SEVERITY_LABELS)[number];

/** A format's table: lower-case scanner value → label. */
export type SeverityTable = Readonly<Record<string, SeverityLabel>>;

/** True when `value` is one of the five labels. */
export function isSeverityLabel(value: unknown): value is SeverityLabel {
  return typeof value === "string" && (SEVERITY_LABELS as readonly string[]).includes(value);
}

/** The label for a 0–100 Normalized score (spec §1.4 bands). */
export function severityFromNormalized(normalized: number): SeverityLabel {
  if (normalized <= 0) return "INFORMATIONAL";
  if (normalized < 40) return "LOW";
  if (normalized < 70) return "MEDIUM";
  if (normalized < 90) return "HIGH";
  return "CRITICAL";
}

/** The label for a CVSS base score (0.0 none, 0.1–3.9 low, 4.0–6.9 medium, 7.0–8.9 high, 9.0–10 critical). */
export function severityFromCvss(score: number): SeverityLabel {
  if (score <= 0) return "INFORMATIONAL";
  if (score < 4) return "LOW";
  if (score < 7) return "MEDIUM";
  if (score < 9) return "HIGH";
  return "CRITICAL";
}

/**
 * Maps `original` through `table` (case-insensitive); unknown or missing values get `fallback`.
 * The scanner's own value is kept in `Original` (cut to 64 characters by the finalizer).
 */
export function mapSeverity(
  table: SeverityTable,
  original: unknown,
  fallback: SeverityLabel = "INFORMATIONAL",
): Severity {
  const text = typeof original === "string" && original.trim() !== "" ? original.trim() : undefined;
  const label = text === undefined ? fallback : (table[text.toLowerCase()] ?? fallback);
  return text === undefined ? { Label: label } : { Label: label, Original: text };
}
