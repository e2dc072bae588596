/**
 * `shadowhub validate FILE...`: checks ASFF findings offline with the same validator the emulator
 * and the parsers use. Each file holds one finding, an array of findings, or a BatchImportFindings
 * body `{"Findings": [...]}`.
 *
 * Exit codes: 0 all findings valid; 1 at least one finding invalid; 2 a file could not be read or
 * is not JSON of one of those shapes, or is larger than the limit `convert` and `import` apply to
 * a report (usage errors too). Every file is checked even after a failure.
 */
import { isUtf8 } from "node:buffer";
import { readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { checkFindingSize, validateFinding } from "../../core/asff/validate.ts";
import { describeError } from "../../core/errors.ts";
import { DEFAULT_MAX_REPORT_BYTES } from "../../core/parsers/safe-json.ts";
import type { CliCommand, CliIo } from "../io.ts";

const USAGE = `Usage: shadowhub validate [--strict] FILE...

Validates AWS Security Finding Format (ASFF 2018-10-08) findings offline, as Security Hub's
BatchImportFindings does: required attributes, lengths, list and map sizes, enums, ranges, the
Types pattern, timestamps, nested objects, and the 240 KB size limit.

Each FILE holds one finding, an array of findings, or {"Findings": [...]}, and is at most
${DEFAULT_MAX_REPORT_BYTES / 1024 / 1024} MiB (the limit convert and import apply to a report).

Options:
  --strict   also report attributes ASFF does not define (typos such as "Titel");
             Security Hub itself ignores them
  -h, --help show this help

Exit status: 0 all valid, 1 some finding invalid, 2 unreadable or malformed input.
`;

const EXIT_OK = 0;
const EXIT_INVALID = 1;
const EXIT_INPUT = 2;

interface FileResult {
  readonly exitCode: number;
  readonly findings: number;
  readonly invalid: number;
}

/** Where the findings are in a parsed file, or why the file has none of the accepted shapes. */
function findingsOf(document: unknown): { findings: unknown[] } | { problem: string } {
  if (Array.isArray(document)) return { findings: document };
  if (document !== null && typeof document === "object") {
    if (Object.hasOwn(document, "Findings")) {
      const list = (document as { Findings: unknown }).Findings;
      return Array.isArray(list)
        ? { findings: list }
        : { problem: `"Findings" should be an array of findings, found ${jsonType(list)}` };
    }
    return { findings: [document] };
  }
  return {
    problem: `expected a finding (object), an array of findings or {"Findings": [...]}, found ${jsonType(document)}`,
  };
}

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** `finding "Id" (#3)` when the finding has a usable Id, else `finding #3`. */
function label(finding: unknown, index: number): string {
  const id =
    finding !== null && typeof finding === "object" && Object.hasOwn(finding, "Id")
      ? (finding as { Id: unknown }).Id
      : undefined;
  if (typeof id === "string" && id.trim() !== "") {
    const shown = id.length > 200 ? `${id.slice(0, 200)}…` : id;
    return `finding ${JSON.stringify(shown)} (#${index})`;
  }
  return `finding #${index}`;
}

async function validateFile(file: string, io: CliIo, strict: boolean): Promise<FileResult> {
  let bytes: Buffer;
  try {
    const path = resolve(io.cwd, file);
    // Checked before reading: a runaway file must not be read into memory to be refused.
    const { size } = await stat(path);
    if (size > DEFAULT_MAX_REPORT_BYTES) {
      io.stderr.write(
        `${file}: the file is ${size} bytes, more than the ${DEFAULT_MAX_REPORT_BYTES}-byte limit (as for convert and import); split it\n`,
      );
      return { exitCode: EXIT_INPUT, findings: 0, invalid: 0 };
    }
    bytes = await readFile(path);
  } catch (error) {
    io.stderr.write(`${file}: cannot read the file: ${describeError(error)}\n`);
    return { exitCode: EXIT_INPUT, findings: 0, invalid: 0 };
  }
  // Decoding would replace invalid bytes with U+FFFD and validate text that is not in the file.
  if (!isUtf8(bytes)) {
    io.stderr.write(`${file}: not valid UTF-8 text; ASFF findings are UTF-8 encoded JSON\n`);
    return { exitCode: EXIT_INPUT, findings: 0, invalid: 0 };
  }
  const text = bytes.toString("utf8");
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    io.stderr.write(`${file}: not valid JSON: ${describeError(error)}\n`);
    return { exitCode: EXIT_INPUT, findings: 0, invalid: 0 };
  }
  const located = findingsOf(document);
  if ("problem" in located) {
    io.stderr.write(`${file}: ${located.problem}\n`);
    return { exitCode: EXIT_INPUT, findings: 0, invalid: 0 };
  }
  let invalid = 0;
  located.findings.forEach((finding, index) => {
    const violations = validateFinding(finding, { unknownProperties: strict ? "reject" : "ignore" });
    const size = checkFindingSize(finding);
    if (size) violations.push(size);
    if (violations.length === 0) return;
    invalid += 1;
    const who = label(finding, index);
    for (const violation of violations) io.stdout.write(`${file}: ${who}: ${violation.message}\n`);
  });
  return { exitCode: invalid > 0 ? EXIT_INVALID : EXIT_OK, findings: located.findings.length, invalid };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** The `shadowhub validate` command. */
export const validateCommand: CliCommand = {
  name: "validate",
  summary: 'Validate ASFF findings offline (a finding, an array, or {"Findings": [...]})',
  usage: USAGE,
  async run(args: string[], io: CliIo): Promise<number> {
    const files: string[] = [];
    let strict = false;
    for (const arg of args) {
      if (arg === "--strict") strict = true;
      else if (arg.startsWith("-")) {
        io.stderr.write(`shadowhub validate: unknown option '${arg}'\n\n${USAGE}`);
        return EXIT_INPUT;
      } else files.push(arg);
    }
    if (files.length === 0) {
      io.stderr.write(`shadowhub validate: no FILE given\n\n${USAGE}`);
      return EXIT_INPUT;
    }
    let exitCode = EXIT_OK;
    let findings = 0;
    let invalid = 0;
    let unreadable = 0;
    for (const file of files) {
      const result = await validateFile(file, io, strict);
      exitCode = Math.max(exitCode, result.exitCode);
      findings += result.findings;
      invalid += result.invalid;
      if (result.exitCode === EXIT_INPUT) unreadable += 1;
    }
    const skipped = unreadable > 0 ? `; ${plural(unreadable, "file")} unreadable or malformed` : "";
    io.stdout.write(
      `${plural(findings, "finding")} in ${plural(files.length, "file")}: ${findings - invalid} valid, ${invalid} invalid${skipped}\n`,
    );
    return exitCode;
  },
};
