/**
 * Contract of the scanner parsers (pure core). A parser turns one raw report into finding
 * drafts; `finalize` (in this folder) turns drafts into complete ASFF findings for a context.
 * Custom formats implement `ReportParser` and are registered next to the built-in ones.
 */
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";

/** Names of the built-in formats; custom parsers bring their own name. */
export const BUILT_IN_FORMATS = ["trivy", "grype", "sarif", "zap", "asff"] as const;
export type BuiltInFormat = (typeof BUILT_IN_FORMATS)[number];

/** Where findings go and who they belong to. Always explicit: never guessed silently. */
export interface ConversionContext {
  /** 12-digit AWS account id the findings belong to (`AwsAccountId`). */
  readonly accountId: string;
  /** Region of the Security Hub endpoint the findings are sent to. */
  readonly region: string;
  /** `aws`, `aws-cn` or `aws-us-gov`; decides the ARN prefix. */
  readonly partition: "aws" | "aws-cn" | "aws-us-gov";
  /** ProductArn of the findings; for a custom integration the account's `default` product. */
  readonly productArn: string;
  /** Optional `CompanyName`/`ProductName` (honoured by Security Hub for custom integrations). */
  readonly companyName?: string;
  readonly productName?: string;
  /** Scan scope key (image digest, repository@branch + scanner, ...); recorded in ProductFields. */
  readonly scope?: string;
  /** Epoch ms from the injected clock; used when the report has no time of its own. */
  readonly nowMs: number;
}

/** One raw report handed to the parsers. */
export interface ReportInput {
  /** File name, S3 key or message id: used in every error message. */
  readonly source: string;
  /** The report's bytes or text (UTF-8 JSON for all built-in formats). */
  readonly content: string | Uint8Array;
  /** `auto` (default) detects the format; otherwise the parser's name. */
  readonly format?: string;
}

/**
 * A finding before the context is applied: everything a scanner knows. The finalizer adds
 * SchemaVersion, ProductArn, AwsAccountId, timestamps when missing, fits the result to the ASFF
 * limits and validates it.
 */
export type FindingDraft = Omit<
  AwsSecurityFinding,
  "SchemaVersion" | "ProductArn" | "AwsAccountId" | "CreatedAt" | "UpdatedAt"
> & {
  readonly SchemaVersion?: string;
  readonly ProductArn?: string;
  readonly AwsAccountId?: string;
  /** The report's own time when it has one; else the finalizer uses the context clock. */
  readonly CreatedAt?: string;
  readonly UpdatedAt?: string;
};

/** A finding (or a whole report) that could not be converted, with the reason. */
export interface ConversionFailure {
  /** File name, S3 key or message id. */
  readonly source: string;
  /** The finding Id when the failure concerns one finding. */
  readonly findingId?: string;
  /** JSON path or field name, when known. */
  readonly field?: string;
  /** The rule that was broken, e.g. `valid JSON`, `maxBytes 245760`, `known format`. */
  readonly rule: string;
  /** Human-readable explanation naming what was expected. */
  readonly message: string;
}

/** Result of converting one report: every finding is valid ASFF, every problem is a failure. */
export interface ConversionResult {
  readonly source: string;
  /** The format used (detected or requested); undefined when the report was unreadable. */
  readonly format?: string;
  readonly findings: AwsSecurityFinding[];
  readonly failures: ConversionFailure[];
  /**
   * The report's own time (ASFF timestamp) where its format has one (see `report-time.ts`): the
   * only time an empty report has. Absent for an unreadable or undated report.
   */
  readonly reportTime?: string;
}

/** Switches that change what a parser emits (all optional, all off by default). */
export interface ParserOptions {
  /**
   * Emit passing checks (Trivy misconfigurations with `Status: PASS`, SARIF `kind: pass`, ...) as
   * findings with `Compliance.Status: PASSED` and severity INFORMATIONAL. Default: passing checks
   * are not emitted.
   */
  readonly includePassed?: boolean;
  /**
   * ASFF passthrough only: replace the findings' own `ProductArn` and `AwsAccountId` with the
   * context's. Default: keep the findings' values and fill in only missing ones.
   */
  readonly overrideIdentity?: boolean;
}

/** The parse step's view of the context: parsers may read it (e.g. the Region for ARNs). */
export interface ParseContext {
  readonly source: string;
  readonly conversion: ConversionContext;
  /** Switches from the caller (`--include-passed`, ...); absent means all defaults. */
  readonly options?: ParserOptions;
}

/**
 * One step of a streaming parse (`ReportParser.parseItems`): a finding draft, or a failure that
 * concerns one entry of the report.
 */
export type ParseItem =
  | { readonly draft: FindingDraft; readonly failure?: undefined }
  | { readonly failure: ConversionFailure; readonly draft?: undefined };

/**
 * A report read in parts (see `ReportParser.entryArrays`): the document with every split array
 * left empty (`[]`), and each split array's entries, parsed one at a time as the parser reads them.
 * The values are those `JSON.parse` of the whole report gives (`__proto__` keys removed).
 */
export interface SplitReport {
  /** The report with every split array empty. */
  readonly document: unknown;
  /**
   * The entries of the split array at `path` (object keys and array indexes from the root, e.g.
   * `["Results", 3, "Vulnerabilities"]`), each parsed when the iteration reaches it; `undefined`
   * when nothing was split there (read the array, if any, from `document`). May throw `InputError`.
   */
  entries(path: readonly (string | number)[]): Iterable<unknown> | undefined;
}

/**
 * A report format. Built-in parsers and custom plugins implement the same interface.
 * `detect` must be cheap and must not throw; `parse` may throw `InputError` for a report it
 * cannot read at all, and otherwise returns drafts plus per-finding failures.
 */
export interface ReportParser {
  /** Unique, lower-case name used by `--format` (`^[a-z][a-z0-9._-]*$`, not `auto`). */
  readonly name: string;
  /**
   * True for formats whose drafts already are provider-complete ASFF (the ASFF passthrough): the
   * finalizer then keeps Severity/Types/Confidence/Criticality where the report put them, keeps
   * the report's timestamps and names, and only fills in what is missing. Default false: drafts
   * are scanner output and are normalized (provider fields moved to `FindingProviderFields`).
   */
  readonly passthrough?: boolean;
  /** True when the already-parsed JSON document looks like this parser's format. */
  detect(document: unknown): boolean;
  /** Turns the parsed document into finding drafts. */
  parse(document: unknown, context: ParseContext): { drafts: FindingDraft[]; failures?: ConversionFailure[] };
  /**
   * Optional streaming form of `parse`: the same drafts and failures, handed out one at a time, so
   * that `convertReportBatches` can finalize and forward each batch before the next drafts exist
   * (a 100,000-finding report is then never held as drafts and findings at once). Drafts come in
   * `parse`'s order; failures may come between them. May throw `InputError` like `parse`, before
   * the first item. Without it, `convertReportBatches` calls `parse`.
   */
  parseItems?(document: unknown, context: ParseContext): Iterable<ParseItem>;
  /**
   * Optional, with `parseSplit`: arrays whose entries this parser reads one at a time, as paths
   * from the root — object keys, and `*` for every index of an array (Trivy:
   * `["Results", "*", "Vulnerabilities"]`, ...). A large report is then never parsed as one
   * document: its entries are parsed as they are read and die young. Used when the parser is
   * requested by name or, with auto-detection, when no custom parser is registered; `detect` (and
   * `reportTime`) then see the document with these arrays empty, so they must decide from what is
   * outside them. Malformed JSON and the other bad-input errors are reported before `parseSplit`
   * is called, exactly as for a whole document.
   */
  readonly entryArrays?: readonly (readonly string[])[];
  /**
   * The streaming parse of a report read in parts (`entryArrays`): the same drafts and failures,
   * in the same order, as `parseItems` gives for the whole document. May throw `InputError`.
   */
  parseSplit?(report: SplitReport, context: ParseContext): Iterable<ParseItem>;
  /**
   * Optional: when the report was made (an ASFF timestamp), if the document says. Dates an empty
   * report, which has no finding to carry a time. Built-in formats have it without this hook.
   */
  reportTime?(document: unknown): string | undefined;
}
