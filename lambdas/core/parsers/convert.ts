/**
 * The conversion entry point: raw report → valid ASFF findings + failures. Never throws for bad
 * input — a malformed, truncated, oversized, too deeply nested or unrecognised report becomes a
 * `ConversionFailure` naming the source, the field and the rule, and the other reports of a
 * batch are converted as usual. An empty report (a scan with no results) is a clean scan: no
 * findings and no failure.
 */

import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { MAX_FINDINGS_PER_IMPORT } from "../asff/limits.ts";
import { describeError, InputError } from "../errors.ts";
import type {
  ConversionContext,
  ConversionFailure,
  ConversionResult,
  FindingDraft,
  ParseContext,
  ParseItem,
  ParserOptions,
  ReportInput,
  ReportParser,
  SplitReport,
} from "./contracts.ts";
import {
  createFinalizer,
  type FinalizeOptions,
  type FinalizeStep,
  type FindingValidator,
} from "./finalize.ts";
import { createRegistry, type ParserRegistry } from "./registry.ts";
import { reportTimeOf } from "./report-time.ts";
import { type ParseLimits, parseReport } from "./safe-json.ts";
import { splitReport } from "./split-json.ts";

/** Options of `convertReport`. */
export interface ConvertOptions extends ParserOptions, ParseLimits {
  /** Validator for the finished findings; default the project's ASFF validator. */
  readonly validate?: FindingValidator;
}

let defaultRegistry: ParserRegistry | undefined;

function builtInRegistry(): ParserRegistry {
  defaultRegistry ??= createRegistry();
  return defaultRegistry;
}

function failureFrom(source: string, error: unknown, fallbackRule: string): ConversionFailure {
  if (error instanceof InputError) {
    return {
      source,
      ...(error.location.field !== undefined ? { field: error.location.field } : {}),
      rule: error.location.rule ?? fallbackRule,
      message: error.message,
    };
  }
  return { source, rule: fallbackRule, message: `${source}: ${describeError(error)}` };
}

function describeShape(document: unknown): string {
  if (Array.isArray(document)) return `an array of ${document.length} item(s)`;
  if (document === null || typeof document !== "object")
    return `a JSON ${document === null ? "null" : typeof document}`;
  const keys = Object.keys(document).slice(0, 8);
  return `an object with keys ${keys.length > 0 ? keys.map((k) => JSON.stringify(k)).join(", ") : "(none)"}`;
}

/** A readable report with its parser, or the report-level failure that stops it. */
type Prepared =
  | {
      readonly parser: ReportParser;
      readonly document: unknown;
      /** Set when the report was read in parts (`parser.entryArrays`). */
      readonly split?: SplitReport;
      readonly failure?: undefined;
    }
  | { readonly failure: ConversionFailure; readonly format?: string; readonly parser?: undefined };

/**
 * The report read in parts with its parser, when a parser that reads entries one at a time
 * (`entryArrays`) is requested or, with auto-detection and only built-in parsers, detected; else
 * `undefined` and the report is read whole.
 */
function prepareSplit(
  input: ReportInput,
  registry: ParserRegistry,
  options: ParseLimits,
): Prepared | undefined {
  const requested = input.format ?? "auto";
  let candidates: ReportParser[];
  if (requested === "auto") {
    // a custom parser's detect may look inside the split arrays: it sees the whole document
    if (registry.hasCustom()) return undefined;
    candidates = registry.parsers().filter(splits);
  } else {
    const parser = registry.get(requested);
    candidates = parser !== undefined && splits(parser) ? [parser] : [];
  }
  if (candidates.length === 0) return undefined;
  const patterns = candidates.flatMap((p) => p.entryArrays ?? []);
  const split = splitReport(input.source, input.content, patterns, options);
  if (split === undefined) return undefined;
  const parser = requested === "auto" ? registry.detect(split.document) : candidates[0];
  if (parser === undefined || !candidates.includes(parser)) return undefined;
  // every split array must be one of the chosen parser's
  let first = 0;
  for (const p of candidates) {
    const count = p.entryArrays?.length ?? 0;
    if (p !== parser) {
      for (let k = first; k < first + count; k++) if (split.patternsFound.has(k)) return undefined;
    }
    first += count;
  }
  return { parser, document: split.document, split };
}

function splits(parser: ReportParser): boolean {
  return parser.entryArrays !== undefined && typeof parser.parseSplit === "function";
}

/** Decodes, parses and inspects the report and picks its parser. */
function prepare(input: ReportInput, registry: ParserRegistry, options: ParseLimits): Prepared {
  const { source } = input;
  const split = prepareSplit(input, registry, options);
  if (split !== undefined) return split;
  let document: unknown;
  try {
    document = parseReport(source, input.content, options);
  } catch (error) {
    return { failure: failureFrom(source, error, "valid JSON") };
  }
  const requested = input.format ?? "auto";
  const parser = requested === "auto" ? registry.detect(document) : registry.get(requested);
  if (!parser) {
    const message =
      requested === "auto"
        ? `${source}: unknown report format: ${describeShape(document)} matches none of ${registry.names().join(", ")}; pass --format or a custom --parser`
        : `${source}: unknown format '${requested}'; known formats: auto, ${registry.names().join(", ")}`;
    return { failure: { source, rule: "known format", message } };
  }
  return { parser, document };
}

function finalizeOptions(source: string, parser: ReportParser, options: ConvertOptions): FinalizeOptions {
  return {
    source,
    format: parser.name,
    ...(parser.passthrough ? { passthrough: true } : {}),
    ...(options.overrideIdentity ? { overrideIdentity: true } : {}),
    ...(options.validate ? { validate: options.validate } : {}),
  };
}

/** Runs `parse` and checks that it returned the documented shape. */
function runParse(
  parser: ReportParser,
  document: unknown,
  context: ParseContext,
): { drafts: FindingDraft[]; failures?: ConversionFailure[] } {
  const parsed = parser.parse(document, context);
  if (!parsed || !Array.isArray(parsed.drafts)) {
    throw new Error(`parser '${parser.name}' returned ${describeShape(parsed)} instead of { drafts: [...] }`);
  }
  return parsed;
}

/**
 * Converts one report. `registry` defaults to the built-in formats; `input.format` (`auto` when
 * absent) selects the parser. Every finding returned is valid ASFF; everything that went wrong is
 * in `failures` (the parser's first, then the finalizer's).
 */
export function convertReport(
  input: ReportInput,
  ctx: ConversionContext,
  registry: ParserRegistry = builtInRegistry(),
  options: ConvertOptions = {},
): ConversionResult {
  const { source } = input;
  const prepared = prepare(input, registry, options);
  if (prepared.failure !== undefined) return { source, findings: [], failures: [prepared.failure] };
  const { parser, document, split } = prepared;
  const context: ParseContext = { source, conversion: ctx, options };
  const findings: AwsSecurityFinding[] = [];
  const parseFailures: ConversionFailure[] = [];
  const finalizeFailures: ConversionFailure[] = [];
  const finalizer = createFinalizer(ctx, finalizeOptions(source, parser, options));
  try {
    const items = streamedItems(parser, document, split, context);
    if (items !== undefined) {
      // Each draft is finalized as soon as it exists: no array of 100,000 drafts next to the findings.
      for (const item of items) {
        if (item.failure !== undefined) parseFailures.push(item.failure);
        else keep(finalizer.add(item.draft), findings, finalizeFailures);
      }
    } else {
      const parsed = runParse(parser, document, context);
      if (parsed.failures) parseFailures.push(...parsed.failures);
      for (const draft of parsed.drafts) keep(finalizer.add(draft), findings, finalizeFailures);
    }
  } catch (error) {
    return {
      source,
      format: parser.name,
      findings: [],
      failures: [failureFrom(source, error, `${parser.name} format`)],
    };
  }
  const reportTime = datedReport(parser, document, source, finalizeFailures);
  return {
    source,
    format: parser.name,
    findings,
    failures: [...parseFailures, ...finalizeFailures],
    ...(reportTime === undefined ? {} : { reportTime }),
  };
}

/** The parser's items one at a time (read in parts, or `parseItems`); undefined when it has only `parse`. */
function streamedItems(
  parser: ReportParser,
  document: unknown,
  split: SplitReport | undefined,
  context: ParseContext,
): Iterable<ParseItem> | undefined {
  return split !== undefined ? parser.parseSplit?.(split, context) : parser.parseItems?.(document, context);
}

/**
 * The report's own time, if it says; an unreadable time is added to `failures` as a report-level
 * failure, because an undated report must not archive anything.
 */
function datedReport(
  parser: ReportParser,
  document: unknown,
  source: string,
  failures: ConversionFailure[],
): string | undefined {
  try {
    return reportTimeOf(parser, document);
  } catch (error) {
    failures.push(failureFrom(source, error, `${parser.name} report time`));
    return undefined;
  }
}

function keep(step: FinalizeStep, findings: AwsSecurityFinding[], failures: ConversionFailure[]): void {
  if (step.finding !== undefined) findings.push(step.finding);
  else if (step.failure !== undefined) failures.push(step.failure);
}

/** Options of `convertReportBatches`. */
export interface BatchConvertOptions extends ConvertOptions {
  /**
   * Most findings in one batch.
   * @default 100 (`MAX_FINDINGS_PER_IMPORT`: one BatchImportFindings call)
   */
  readonly batchSize?: number;
}

/** One batch of a streamed conversion. */
export interface ConversionBatch {
  readonly source: string;
  /** The format used; undefined when the report was unreadable. */
  readonly format?: string;
  /** At most `batchSize` valid ASFF findings. */
  readonly findings: AwsSecurityFinding[];
  /** The failures found since the previous batch. */
  readonly failures: ConversionFailure[];
  /** On the last batch of a readable report: its own time, as `ConversionResult.reportTime`. */
  readonly reportTime?: string;
}

/**
 * Converts one report as a stream of batches of at most `batchSize` findings, for callers that
 * forward findings as they come (a 100,000-finding report is then never held as 100,000 finished
 * findings). Parsers with `parseItems` are streamed draft by draft; others are parsed whole and
 * finalized batch by batch.
 *
 * Together the batches hold exactly `convertReport`'s findings, in the same order, and its
 * failures (a parser's failures may come in a later batch than `convertReport` would list them).
 * Never throws for bad input: a report-level failure is a batch with no findings. At least one
 * batch is yielded (the last may be empty), so the caller always learns the format. A parser that
 * throws after findings were yielded ends the stream with a batch holding that failure.
 */
export function* convertReportBatches(
  input: ReportInput,
  ctx: ConversionContext,
  registry: ParserRegistry = builtInRegistry(),
  options: BatchConvertOptions = {},
): Generator<ConversionBatch, void, undefined> {
  const { source } = input;
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? MAX_FINDINGS_PER_IMPORT));
  const prepared = prepare(input, registry, options);
  if (prepared.failure !== undefined) {
    yield { source, findings: [], failures: [prepared.failure] };
    return;
  }
  const { parser, document, split } = prepared;
  const format = parser.name;
  const context: ParseContext = { source, conversion: ctx, options };
  const finalizer = createFinalizer(ctx, finalizeOptions(source, parser, options));
  let findings: AwsSecurityFinding[] = [];
  let failures: ConversionFailure[] = [];
  /** `null`: the parser has only `parse`. */
  let items: Iterator<ParseItem> | null | undefined;
  let drafts: FindingDraft[] | undefined;
  let next = 0;
  for (;;) {
    let item: ParseItem | undefined;
    try {
      items ??= streamedItems(parser, document, split, context)?.[Symbol.iterator]() ?? null;
      if (items !== null) {
        const step = items.next();
        item = step.done ? undefined : step.value;
      } else {
        if (drafts === undefined) {
          const parsed = runParse(parser, document, context);
          drafts = parsed.drafts;
          if (parsed.failures) failures.push(...parsed.failures);
        }
        const draft = drafts[next];
        if (next < drafts.length) {
          // the finished finding is the caller's: drop the array's reference to its draft
          (drafts as (FindingDraft | undefined)[])[next] = undefined;
          next++;
          item = { draft: draft as FindingDraft };
        }
      }
    } catch (error) {
      yield {
        source,
        format,
        findings,
        failures: [...failures, failureFrom(source, error, `${format} format`)],
      };
      return;
    }
    if (item === undefined) break;
    if (item.failure !== undefined) failures.push(item.failure);
    else keep(finalizer.add(item.draft), findings, failures);
    if (findings.length >= batchSize) {
      yield { source, format, findings, failures };
      findings = [];
      failures = [];
    }
  }
  const reportTime = datedReport(parser, document, source, failures);
  yield { source, format, findings, failures, ...(reportTime === undefined ? {} : { reportTime }) };
}

/** Converts several reports independently: one bad report never stops the others. */
export function convertReports(
  inputs: readonly ReportInput[],
  ctx: ConversionContext,
  registry: ParserRegistry = builtInRegistry(),
  options: ConvertOptions = {},
): ConversionResult[] {
  return inputs.map((input) => convertReport(input, ctx, registry, options));
}
