/**
 * The conversion entry point: raw report → valid ASFF findings + failures. Never throws for bad
 * input — a malformed, truncated, oversized, too deeply nested or unrecognised report becomes a
 * `ConversionFailure` naming the source, the field and the rule, and the other reports of a
 * batch are converted as usual. An empty report (a scan with no results) is a clean scan: no
 * findings and no failure.
 */
import { describeError, InputError } from "../errors.ts";
import type {
  ConversionContext,
  ConversionFailure,
  ConversionResult,
  ParserOptions,
  ReportInput,
} from "./contracts.ts";
import { type FindingValidator, finalizeDrafts } from "./finalize.ts";
import { createRegistry, type ParserRegistry } from "./registry.ts";
import { type ParseLimits, parseReport } from "./safe-json.ts";

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

/**
 * Converts one report. `registry` defaults to the built-in formats; `input.format` (`auto` when
 * absent) selects the parser. Every finding returned is valid ASFF; everything that went wrong is
 * in `failures`.
 */
export function convertReport(
  input: ReportInput,
  ctx: ConversionContext,
  registry: ParserRegistry = builtInRegistry(),
  options: ConvertOptions = {},
): ConversionResult {
  const { source } = input;
  let document: unknown;
  try {
    document = parseReport(source, input.content, options);
  } catch (error) {
    return { source, findings: [], failures: [failureFrom(source, error, "valid JSON")] };
  }
  const requested = input.format ?? "auto";
  const parser = requested === "auto" ? registry.detect(document) : registry.get(requested);
  if (!parser) {
    const message =
      requested === "auto"
        ? `${source}: unknown report format: ${describeShape(document)} matches none of ${registry.names().join(", ")}; pass --format or a custom --parser`
        : `${source}: unknown format '${requested}'; known formats: auto, ${registry.names().join(", ")}`;
    return { source, findings: [], failures: [{ source, rule: "known format", message }] };
  }
  let drafts: ReturnType<typeof parser.parse>;
  try {
    drafts = parser.parse(document, { source, conversion: ctx, options });
    if (!drafts || !Array.isArray(drafts.drafts)) {
      throw new Error(
        `parser '${parser.name}' returned ${describeShape(drafts)} instead of { drafts: [...] }`,
      );
    }
  } catch (error) {
    return {
      source,
      format: parser.name,
      findings: [],
      failures: [failureFrom(source, error, `${parser.name} format`)],
    };
  }
  const { findings, failures } = finalizeDrafts(drafts.drafts, ctx, {
    source,
    format: parser.name,
    ...(parser.passthrough ? { passthrough: true } : {}),
    ...(options.overrideIdentity ? { overrideIdentity: true } : {}),
    ...(options.validate ? { validate: options.validate } : {}),
  });
  return { source, format: parser.name, findings, failures: [...(drafts.failures ?? []), ...failures] };
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
