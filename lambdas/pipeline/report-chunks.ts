/**
 * Reports streamed into an import: each report is read and converted batch by batch
 * (`convertReportBatches`) and handed to `runImportStream` as it comes, so a 100,000-finding
 * report is never held whole — the findings the plan settles as unchanged die young.
 *
 * Report times follow `core/pipeline/report-time.ts` (`ReportTimeTracker`): per report its own time, else the newest
 * `UpdatedAt` of its findings, else `fallbackMs` (the conversion's clock, the one undated findings
 * are stamped with); with no report converted at all, `fallbackMs`.
 */
import { describeError } from "../core/errors.ts";
import type { ReportInput } from "../core/parsers/contracts.ts";
import type { ConversionBatch } from "../core/parsers/convert.ts";
import { ReportTimeTracker } from "../core/pipeline/report-time.ts";
import type { ImportChunk } from "./import-run.ts";

/** One report of an import. */
export interface ReportSource {
  /** File, S3 key or message id: named in every failure and carried by its findings. */
  readonly source: string;
  /** The report's bytes; a rejection becomes a conversion failure of the report ("readable file"). */
  readonly read: () => Promise<ReportInput["content"]>;
}

/** What the chunks carried, for the summary. */
export interface ChunkStats {
  /** Findings converted (valid ASFF) over all reports. */
  findings: number;
}

/**
 * The import chunks of `reports`, one per conversion batch (`convert` yields them, e.g.
 * `convertReportBatches`), then one empty chunk per report carrying its time. `stats` counts the
 * findings as they pass.
 */
export async function* reportChunks(
  reports: Iterable<ReportSource>,
  convert: (source: string, content: ReportInput["content"]) => Iterable<ConversionBatch>,
  fallbackMs: number,
  stats: ChunkStats = { findings: 0 },
): AsyncGenerator<ImportChunk, void, undefined> {
  let converted = 0;
  for (const report of reports) {
    const { source } = report;
    let content: ReportInput["content"];
    try {
      content = await report.read();
    } catch (error) {
      yield {
        findings: [],
        conversionFailures: [
          { source, rule: "readable file", message: `cannot read the report: ${describeError(error)}` },
        ],
      };
      continue;
    }
    const time = new ReportTimeTracker();
    for (const batch of convert(source, content)) {
      stats.findings += batch.findings.length;
      time.add(batch.findings, batch.reportTime);
      yield {
        findings: batch.findings.map((finding) => ({ finding, source })),
        conversionFailures: batch.failures,
      };
    }
    converted++;
    yield { findings: [], reportTimeMs: time.timeMs(fallbackMs) };
  }
  if (converted === 0) yield { findings: [], reportTimeMs: fallbackMs };
}
