/**
 * The parser registry: built-in formats plus custom ones, auto-detection from the parsed
 * document and lookup by `--format` name. Custom parsers are tried before the built-ins during
 * auto-detection, because a vendor's format is usually more specific (a vendor SARIF flavour,
 * say) than the generic built-in one.
 */
import { ConfigurationError } from "../errors.ts";
import { BUILT_IN_PARSERS } from "./builtins.ts";
import type { ReportParser } from "./contracts.ts";

const NAME_RE = /^[a-z][a-z0-9._-]*$/;

/** Checks that `candidate` implements `ReportParser`; throws `ConfigurationError` naming what is wrong. */
export function assertReportParser(candidate: unknown, origin: string): asserts candidate is ReportParser {
  const problems: string[] = [];
  if (typeof candidate !== "object" || candidate === null) {
    throw new ConfigurationError(`${origin}: a parser must be an object with name, detect and parse`);
  }
  const p = candidate as Record<string, unknown>;
  if (typeof p.name !== "string" || !NAME_RE.test(p.name)) {
    problems.push(
      `name ${JSON.stringify(p.name)} must be lower-case letters, digits, '.', '_' or '-', starting with a letter`,
    );
  } else if (p.name === "auto") {
    problems.push("name 'auto' is reserved for auto-detection");
  }
  if (typeof p.detect !== "function") problems.push("detect(document) must be a function");
  if (typeof p.parse !== "function") problems.push("parse(document, context) must be a function");
  if (p.parseItems !== undefined && typeof p.parseItems !== "function")
    problems.push("parseItems(document, context), when given, must be a function");
  if (p.parseSplit !== undefined && typeof p.parseSplit !== "function")
    problems.push("parseSplit(report, context), when given, must be a function");
  if (p.entryArrays !== undefined) {
    const ok =
      Array.isArray(p.entryArrays) &&
      p.entryArrays.every(
        (path: unknown) =>
          Array.isArray(path) && path.length > 0 && path.every((key: unknown) => typeof key === "string"),
      );
    if (!ok) problems.push("entryArrays, when given, must be a list of non-empty lists of keys");
    else if (typeof p.parseSplit !== "function")
      problems.push("entryArrays needs parseSplit(report, context)");
  }
  if (p.passthrough !== undefined && typeof p.passthrough !== "boolean")
    problems.push("passthrough must be a boolean");
  if (problems.length > 0)
    throw new ConfigurationError(`${origin}: not a valid parser: ${problems.join("; ")}`);
}

/** A set of parsers with unique names. */
export class ParserRegistry {
  readonly #builtIn: ReportParser[] = [];
  readonly #custom: ReportParser[] = [];
  readonly #byName = new Map<string, ReportParser>();

  /** A registry holding `builtIn` (default: every built-in format) and no custom parser. */
  constructor(builtIn: readonly ReportParser[] = BUILT_IN_PARSERS) {
    for (const parser of builtIn) this.#add(parser, this.#builtIn, "built-in parser");
  }

  #add(parser: ReportParser, list: ReportParser[], origin: string): void {
    assertReportParser(parser, origin);
    if (this.#byName.has(parser.name)) {
      throw new ConfigurationError(
        `${origin}: a parser named '${parser.name}' is already registered; choose another name`,
      );
    }
    this.#byName.set(parser.name, parser);
    list.push(parser);
  }

  /** Adds a custom parser; throws `ConfigurationError` for a malformed parser or a taken name. */
  register(
    parser: ReportParser,
    origin = `custom parser '${String((parser as { name?: unknown })?.name)}'`,
  ): this {
    this.#add(parser, this.#custom, origin);
    return this;
  }

  /** The parser called `name`, if any. */
  get(name: string): ReportParser | undefined {
    return this.#byName.get(name);
  }

  /** True when a custom parser is registered (auto-detection then reads reports whole). */
  hasCustom(): boolean {
    return this.#custom.length > 0;
  }

  /** Every parser in detection order: custom ones first, then the built-ins. */
  parsers(): ReportParser[] {
    return [...this.#custom, ...this.#builtIn];
  }

  /** Every registered name: custom ones first, then the built-ins. */
  names(): string[] {
    return [...this.#custom, ...this.#builtIn].map((p) => p.name);
  }

  /**
   * The first parser whose `detect` accepts `document` (custom parsers first). A `detect` that
   * throws counts as "no" — detection must never stop a conversion.
   */
  detect(document: unknown): ReportParser | undefined {
    for (const parser of [...this.#custom, ...this.#builtIn]) {
      try {
        if (parser.detect(document) === true) return parser;
      } catch {
        // a faulty custom detect() is that parser's problem, not this report's
      }
    }
    return undefined;
  }
}

/** A registry with the built-in formats and `custom` parsers registered (in order). */
export function createRegistry(custom: readonly ReportParser[] = []): ParserRegistry {
  const registry = new ParserRegistry();
  for (const parser of custom) registry.register(parser);
  return registry;
}
