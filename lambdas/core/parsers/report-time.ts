/**
 * The report's own time, where a format has one: Trivy `CreatedAt`, Grype
 * `descriptor.timestamp`, SARIF `invocations[].endTimeUtc` (else `startTimeUtc`; the newest run),
 * ZAP `created` (`@generated` has no time zone, so the ZAP parser does not use it either). The
 * findings of a report already carry it as `UpdatedAt`; an empty report has no finding, and this
 * is the only time it has — what dates its archives and tells a late one (see
 * `docs/pipeline.md`, "Report time"). A custom parser may provide `reportTime` itself.
 */
import { formatAsffTimestamp, parseAsffTimestamp } from "../asff/timestamp.ts";
import type { ReportParser } from "./contracts.ts";
import { grypeParser } from "./grype.ts";
import { asArray, asObject } from "./json-access.ts";
import { sarifParser } from "./sarif.ts";
import { trivyParser } from "./trivy.ts";
import { zapParser } from "./zap.ts";

function ms(value: unknown): number | undefined {
  return parseAsffTimestamp(value);
}

function sarifTime(document: unknown): number | undefined {
  let newest: number | undefined;
  for (const run of asArray(asObject(document)?.runs)) {
    // The parser dates a run by its first invocation object; so does this.
    const invocation = asArray(asObject(run)?.invocations)
      .map(asObject)
      .find((i) => i !== undefined);
    const t = ms(invocation?.endTimeUtc) ?? ms(invocation?.startTimeUtc);
    if (t !== undefined) newest = newest === undefined ? t : Math.max(newest, t);
  }
  return newest;
}

const BUILT_IN: ReadonlyMap<ReportParser, (document: unknown) => number | undefined> = new Map([
  [trivyParser, (d: unknown) => ms(asObject(d)?.CreatedAt)],
  [grypeParser, (d: unknown) => ms(asObject(asObject(d)?.descriptor)?.timestamp)],
  [sarifParser, sarifTime],
  [zapParser, (d: unknown) => ms(asObject(d)?.created)],
]);

/**
 * The time `document` says it was made (ASFF timestamp, normalized), or undefined when its
 * format has none or the report does not carry it. A malformed value counts as absent.
 * @throws whatever a plugin's `reportTime` hook throws.
 */
export function reportTimeOf(parser: ReportParser, document: unknown): string | undefined {
  const t =
    parser.reportTime === undefined ? BUILT_IN.get(parser)?.(document) : ms(parser.reportTime(document));
  return t === undefined ? undefined : formatAsffTimestamp(t);
}
