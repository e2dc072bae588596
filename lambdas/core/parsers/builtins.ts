/**
 * The built-in parsers, in auto-detection order: the most specific shapes first, ASFF last
 * (a bare `[]` is an empty ASFF array).
 */
import { asffParser } from "./asff.ts";
import type { ReportParser } from "./contracts.ts";
import { grypeParser } from "./grype.ts";
import { sarifParser } from "./sarif.ts";
import { trivyParser } from "./trivy.ts";
import { zapParser } from "./zap.ts";

/** Every built-in format. */
export const BUILT_IN_PARSERS: readonly ReportParser[] = [
  trivyParser,
  grypeParser,
  sarifParser,
  zapParser,
  asffParser,
];
