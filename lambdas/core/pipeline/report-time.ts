/**
 * The report time of an import (`ImportInput.reportTimeMs`), from what the conversion knows.
 *
 * Per report: its own time (`ConversionResult.reportTime`, e.g. Trivy `CreatedAt`), else the
 * newest `UpdatedAt` of its findings, else `fallbackMs`. The fallback must be the same clock the
 * finalizer stamps undated findings with (the conversion context's `nowMs`): were an empty
 * report dated by one clock (say, the message's) and a non-empty report of the same scope by
 * another (the scanner's), a newer scan could look older than an empty one and be taken as late.
 */
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { parseAsffTimestamp } from "../asff/timestamp.ts";

/** What `importReportTimeMs` reads of a converted report. */
export interface DatedReport {
  readonly reportTime?: string;
  readonly findings: readonly AwsSecurityFinding[];
}

/**
 * The time of one report whose findings come batch by batch (a streamed conversion): give it
 * every batch, then read {@link ReportTimeTracker.timeMs}. The same rule as {@link reportTimeMs}.
 */
export class ReportTimeTracker {
  #own: number | undefined;
  #newest: number | undefined;

  /** One batch of the report's findings, with the report's own time when the batch carries it. */
  add(findings: readonly AwsSecurityFinding[], reportTime?: string): void {
    for (const finding of findings) {
      const t = parseAsffTimestamp(finding.UpdatedAt);
      if (t !== undefined && (this.#newest === undefined || t > this.#newest)) this.#newest = t;
    }
    if (reportTime !== undefined) this.#own = parseAsffTimestamp(reportTime);
  }

  /** The report's time in epoch ms (see the module comment). */
  timeMs(fallbackMs: number): number {
    return this.#own ?? this.#newest ?? fallbackMs;
  }
}

/** The time of one report in epoch ms (see the module comment). */
export function reportTimeMs(report: DatedReport, fallbackMs: number): number {
  const tracker = new ReportTimeTracker();
  tracker.add(report.findings, report.reportTime);
  return tracker.timeMs(fallbackMs);
}

/** The report time of an import of several reports (of one scope): the newest of theirs; `fallbackMs` for none. */
export function importReportTimeMs(reports: readonly DatedReport[], fallbackMs: number): number {
  let newest: number | undefined;
  for (const report of reports) {
    const t = reportTimeMs(report, fallbackMs);
    if (newest === undefined || t > newest) newest = t;
  }
  return newest ?? fallbackMs;
}
