/**
 * Severity and confidence mapping tables for SARIF (and the shared word table ZAP reuses).
 * Every table is data, tested case by case; the scanner's own value is always kept as
 * `Severity.Original`.
 */
import type { SeverityLabel } from "@aws-sdk/client-securityhub";

/** A mapped severity: the ASFF label plus the scanner's own value (≤ 64 characters). */
export interface MappedSeverity {
  readonly Label: SeverityLabel;
  readonly Original: string;
}

/**
 * `security-severity` (a CVSS-like 0.0–10.0 score, GitHub code scanning convention) → label.
 * Bands follow CVSS v3 qualitative ratings: 0 none, 0.1–3.9 low, 4.0–6.9 medium, 7.0–8.9 high,
 * 9.0–10.0 critical.
 */
export const SECURITY_SEVERITY_BANDS: readonly { readonly min: number; readonly label: SeverityLabel }[] = [
  { min: 9.0, label: "CRITICAL" },
  { min: 7.0, label: "HIGH" },
  { min: 4.0, label: "MEDIUM" },
  { min: 0.1, label: "LOW" },
  { min: 0, label: "INFORMATIONAL" },
];

/** SARIF `level` → label. `none` is a result that carries no problem. */
export const LEVEL_TO_LABEL: Readonly<Record<string, SeverityLabel>> = {
  error: "HIGH",
  warning: "MEDIUM",
  note: "LOW",
  none: "INFORMATIONAL",
};

/** Scanner severity words found in tool-specific properties (Bandit, Trivy, Checkov, ...). */
export const WORD_TO_LABEL: Readonly<Record<string, SeverityLabel>> = {
  critical: "CRITICAL",
  blocker: "CRITICAL",
  high: "HIGH",
  error: "HIGH",
  major: "HIGH",
  medium: "MEDIUM",
  moderate: "MEDIUM",
  warning: "MEDIUM",
  low: "LOW",
  minor: "LOW",
  note: "LOW",
  info: "INFORMATIONAL",
  informational: "INFORMATIONAL",
  information: "INFORMATIONAL",
  none: "INFORMATIONAL",
  negligible: "INFORMATIONAL",
  unknown: "INFORMATIONAL",
};

/** `precision` (SARIF rule property) or a confidence word → ASFF Confidence 0–100. */
export const CONFIDENCE_WORDS: Readonly<Record<string, number>> = {
  "very-high": 95,
  "very high": 95,
  certain: 95,
  confirmed: 100,
  high: 80,
  medium: 50,
  moderate: 50,
  low: 25,
  "very-low": 10,
  "very low": 10,
  tentative: 25,
  firm: 80,
};

/** Label for a `security-severity` score; `undefined` when the value is not a number in 0–10. */
export function labelForScore(score: number): SeverityLabel | undefined {
  if (!Number.isFinite(score) || score < 0 || score > 10) return undefined;
  for (const band of SECURITY_SEVERITY_BANDS) if (score >= band.min) return band.label;
  return "INFORMATIONAL";
}

/** Parses `security-severity`, which tools write as a string ("7.8") or a number. */
export function parseScore(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value !== "string" || !/^\s*\d{1,2}(\.\d+)?\s*$/.test(value)) return undefined;
  return Number(value);
}

/** Label for a severity word (case-insensitive); `undefined` for an unknown word. */
export function labelForWord(value: unknown): SeverityLabel | undefined {
  if (typeof value !== "string") return undefined;
  return WORD_TO_LABEL[value.trim().toLowerCase()];
}

/** Confidence 0–100 for a word such as `very-high` or `LOW`; `undefined` when unknown. */
export function confidenceForWord(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  return CONFIDENCE_WORDS[value.trim().toLowerCase()];
}

/** `Severity.Original` is 1–64 characters. */
export function original(value: string): string {
  const text = value.trim();
  return (text.length > 0 ? text : "unknown").slice(0, 64);
}
