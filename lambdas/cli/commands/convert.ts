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
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { describeError } from "../../core/errors.ts";
import type { ConversionContext, ConversionFailure } from "../../core/parsers/contracts.ts";
import { convertReport } from "../../core/parsers/convert.ts";
import type { createRegistry } from "../../core/parsers/registry.ts";
import {
  CONVERSION_OPTIONS,
  DEFAULT_REGION,
  PLACEHOLDER_ACCOUNT_ID,
  setupConversion,
} from "../conversion-options.ts";
import type { CliCommand, CliIo } from "../io.ts";

type ConversionRegistry = ReturnType<typeof createRegistry>;

/** The account used when `--account` is not given (documented AWS example account). */
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
  const all: AwsSecurityFinding[] = [];
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
    const result = convertReport({ source: path, content, format: values.format ?? "auto" }, ctx, registry, {
      includePassed: values["include-passed"] === true,
      overrideIdentity: values["override-identity"] === true,
    });
    // Listed up to a cap: a small hostile report can hold a million bad items, and a line for
    // each would turn a 3 MB file into hundreds of MB of stderr.
    for (const failure of result.failures.slice(0, MAX_LISTED_FAILURES))
      io.stderr.write(formatFailure(failure));
    if (result.failures.length > MAX_LISTED_FAILURES) {
      io.stderr.write(
        `shadowhub convert: ${path}: … and ${result.failures.length - MAX_LISTED_FAILURES} more failures (${result.failures.length} in all)\n`,
      );
    }
    if (result.failures.length > 0) failed = true;
    if (values.ndjson) {
      for (const finding of result.findings) io.stdout.write(`${JSON.stringify(finding)}\n`);
    } else {
      all.push(...result.findings);
    }
  }
  if (!values.ndjson) io.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
  return failed ? 1 : 0;
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
