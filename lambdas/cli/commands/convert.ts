/**
 * `shadowhub convert REPORT...`: scanner reports → ASFF findings on stdout (one JSON array, or
 * NDJSON), problems on stderr naming the file, field and rule. Every report is converted even
 * when another fails; the exit status says whether anything failed.
 *
 * Context defaults, never silent: without `--account` the findings get the placeholder account
 * 123456789012 and without `--region` the Region comes from AWS_REGION / AWS_DEFAULT_REGION, else
 * us-east-1 — each default is announced on stderr.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { describeError } from "../../core/errors.ts";
import type { ConversionContext, ConversionFailure } from "../../core/parsers/contracts.ts";
import { convertReportBatches } from "../../core/parsers/convert.ts";
import type { createRegistry } from "../../core/parsers/registry.ts";
import {
  CONVERSION_OPTIONS,
  DEFAULT_REGION,
  PLACEHOLDER_ACCOUNT_ID,
  setupConversion,
} from "../conversion-options.ts";
import type { CliCommand, CliIo } from "../io.ts";

type ConversionRegistry = ReturnType<typeof createRegistry>;

/** At most this many failures of one report are listed on stderr; the rest are counted. */
const MAX_LISTED_FAILURES = 50;

const USAGE = `Usage: shadowhub convert [options] REPORT...

Converts scanner reports to AWS Security Finding Format (ASFF) findings and prints them as one
JSON array (or NDJSON). Formats: Trivy JSON, Grype JSON, SARIF 2.1.0, OWASP ZAP JSON, ASFF, and
custom formats loaded with --parser. Use - to read a report from stdin.

Options:
  --format F          auto (default) | trivy | grype | sarif | zap | asff | a custom parser's name
  --parser FILE       load a custom parser module (repeatable); tried before the built-ins
  --account ID        12-digit AWS account id of the findings (default ${PLACEHOLDER_ACCOUNT_ID}, announced)
  --region R          Region of the Security Hub endpoint (default AWS_REGION, else ${DEFAULT_REGION})
  --partition P       aws | aws-cn | aws-us-gov (default: from the Region)
  --product-arn ARN   ProductArn (default arn:<partition>:securityhub:<region>:<account>:product/<account>/default)
  --company-name N    CompanyName of the findings (custom integrations)
  --product-name N    ProductName of the findings (custom integrations)
  --scope KEY         scan scope recorded in ProductFields "shadowhub/scope"
  --include-passed    also emit passing checks (Compliance.Status PASSED)
  --override-identity ASFF input: replace the findings' ProductArn and AwsAccountId with the context's
  --ndjson            one finding per line instead of one JSON array
  -h, --help          show this help

Exit status: 0 every report converted; 1 some report or finding failed (see stderr);
2 usage or configuration error.
`;

function formatFailure(f: ConversionFailure): string {
  const where = [
    f.source,
    f.findingId ? `finding ${f.findingId}` : undefined,
    f.field ? `field ${f.field}` : undefined,
  ]
    .filter(Boolean)
    .join(", ");
  return `shadowhub convert: ${where}: [${f.rule}] ${f.message}\n`;
}

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

async function run(args: string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    io.stderr.write(`shadowhub convert: ${describeError(error)}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (positionals.length === 0) {
    io.stderr.write(`shadowhub convert: no REPORT given\n\n${USAGE}`);
    return 2;
  }
  let ctx: ConversionContext;
  let registry: ConversionRegistry;
  try {
    ({ ctx, registry } = await setupConversion(
      values,
      io,
      (line) => io.stderr.write(`shadowhub convert: ${line}\n`),
      { nowMs: Date.now() },
    ));
  } catch (error) {
    io.stderr.write(`shadowhub convert: ${describeError(error)}\n`);
    return 2;
  }
  // Findings are written batch by batch as the report is converted, so a 100,000-finding report
  // is never held whole; the array form is printed exactly as `JSON.stringify(all, null, 2)`.
  const output = values.ndjson ? ndjsonWriter(io) : arrayWriter(io);
  let failed = false;
  for (const path of positionals) {
    let content: Uint8Array;
    try {
      content = path === "-" ? await readStdin() : await readFile(resolve(io.cwd, path));
    } catch (error) {
      io.stderr.write(
        `shadowhub convert: ${path}: [readable file] cannot read the report: ${describeError(error)}\n`,
      );
      failed = true;
      continue;
    }
    const batches = convertReportBatches(
      { source: path, content, format: values.format ?? "auto" },
      ctx,
      registry,
      {
        includePassed: values["include-passed"] === true,
        overrideIdentity: values["override-identity"] === true,
      },
    );
    // Listed up to a cap: a small hostile report can hold a million bad items, and a line for
    // each would turn a 3 MB file into hundreds of MB of stderr.
    let failures = 0;
    for (const batch of batches) {
      for (const failure of batch.failures) {
        if (failures < MAX_LISTED_FAILURES) io.stderr.write(formatFailure(failure));
        failures++;
      }
      for (const finding of batch.findings) output.write(finding);
    }
    if (failures > MAX_LISTED_FAILURES) {
      io.stderr.write(
        `shadowhub convert: ${path}: … and ${failures - MAX_LISTED_FAILURES} more failures (${failures} in all)\n`,
      );
    }
    if (failures > 0) failed = true;
  }
  output.end();
  return failed ? 1 : 0;
}

/** Where converted findings go, one at a time. */
interface FindingWriter {
  write(finding: unknown): void;
  end(): void;
}

function ndjsonWriter(io: CliIo): FindingWriter {
  return { write: (finding) => io.stdout.write(`${JSON.stringify(finding)}\n`), end: () => undefined };
}

/**
 * One JSON array, byte for byte what `JSON.stringify(findings, null, 2)` prints: each element is
 * its own two-space-indented JSON shifted right by two spaces (a JSON text holds no raw newline
 * inside a string, so every newline is a line break of the layout).
 */
function arrayWriter(io: CliIo): FindingWriter {
  let count = 0;
  return {
    write(finding) {
      const text = JSON.stringify(finding, null, 2).replaceAll("\n", "\n  ");
      io.stdout.write(`${count === 0 ? "[\n  " : ",\n  "}${text}`);
      count++;
    },
    end() {
      io.stdout.write(count === 0 ? "[]\n" : "\n]\n");
    },
  };
}

const OPTIONS = {
  ...CONVERSION_OPTIONS,
  ndjson: { type: "boolean" },
} as const;

/** The `convert` command. */
export const convertCommand: CliCommand = {
  name: "convert",
  summary: "Convert scanner reports (Trivy, Grype, SARIF, ZAP, ASFF, custom) to ASFF findings",
  usage: USAGE,
  run,
};
