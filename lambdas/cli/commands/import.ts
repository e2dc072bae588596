/**
 * `shadowhub import REPORT...`: parse → plan → batch → send → commit → publish. With no target and
 * no endpoint settings it runs fully locally (the in-process local hub and a SQLite shadow in
 * `--state DIR`), which is the README's main command. A summary table at the end (or one JSON
 * object with `--json`); problems on stderr naming the file, finding and rule; exit status 1 when
 * anything failed, 2 for usage or configuration errors.
 */
import { mkdir, readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { EventBridgePublisher } from "../../adapters/eventbridge/eventbridge-publisher.ts";
import { InProcessRateLimiter } from "../../adapters/memory/in-process-rate-limiter.ts";
import { systemClock } from "../../adapters/system-clock.ts";
import { DAY_MS, IMPORT_BURST, IMPORT_RATE_PER_SECOND } from "../../core/asff/limits.ts";
import { ConfigurationError, describeError } from "../../core/errors.ts";
import type { ConversionContext } from "../../core/parsers/contracts.ts";
import { convertReportBatches } from "../../core/parsers/convert.ts";
import type { createRegistry } from "../../core/parsers/registry.ts";
import { type ImportReport, runImportStream } from "../../pipeline/import-run.ts";
import { type ChunkStats, reportChunks } from "../../pipeline/report-chunks.ts";
import {
  DEFAULT_STATE_DIR,
  describeTarget,
  openTarget,
  REMOTE_IMPORT_LIMITS,
  resolveTarget,
} from "../../pipeline/targets.ts";
import type { EventPublisher } from "../../ports/event-publisher.ts";
import {
  CONVERSION_OPTIONS,
  DEFAULT_REGION,
  PLACEHOLDER_ACCOUNT_ID,
  setupConversion,
} from "../conversion-options.ts";
import type { CliCommand, CliIo } from "../io.ts";

/** Show a progress bar only for imports with at least this many findings to send. */
const PROGRESS_MIN_SENDS = 1_000;
/** At most this many failures are listed on stderr; the rest are counted. */
const MAX_LISTED_FAILURES = 50;

const USAGE = `Usage: shadowhub import [options] REPORT...

Imports scanner reports into Security Hub through the shadow plan: only new, changed and
expiring findings are sent; findings gone from a --scope are archived. Runs fully locally by
default (an embedded Security Hub and shadow in --state DIR); nothing needs an AWS account.

Options:
  --scope KEY         scan scope (image digest, repo@branch/scanner, ...): findings ACTIVE in it
                      and absent from these reports are archived; other scopes are never touched
  --target T          local (default) | URL of a Security Hub endpoint (shadowhub serve,
                      LocalStack) | aws. Default: SHADOWHUB_TARGET, else AWS_ENDPOINT_URL_SECURITYHUB,
                      else local. AWS is used only with an explicit --target aws
  --state DIR         state directory: local hub, shadows, events.jsonl (default ${DEFAULT_STATE_DIR})
  --dry-run           print the plan without sending anything
  --json              print one JSON object {created, updated, unchanged, stale, archived,
                      refreshed, failed, apiCalls} instead of the table
  --format F          auto (default) | trivy | grype | sarif | zap | asff | a custom parser's name
  --parser FILE       load a custom parser module (repeatable)
  --account ID        12-digit account id of the findings (default ${PLACEHOLDER_ACCOUNT_ID} locally; required with --target aws)
  --region R          Region of the Security Hub endpoint (default AWS_REGION, else ${DEFAULT_REGION})
  --partition P       aws | aws-cn | aws-us-gov (default: from the Region)
  --product-arn ARN   ProductArn (default the account's own product/<account>/default)
  --company-name N    CompanyName (custom integrations)
  --product-name N    ProductName (custom integrations)
  --include-passed    also import passing checks
  --override-identity ASFF input: replace ProductArn and AwsAccountId with the context's
  --rate N            BatchImportFindings calls per second per account and Region (default ${IMPORT_RATE_PER_SECOND}; remote targets)
  --burst N           burst of the rate limiter (default ${REMOTE_IMPORT_LIMITS.burst}: headroom below the quota's ${IMPORT_BURST})
  --refresh-days N    resend unchanged findings N days before Security Hub's 90-day expiry (default 30)
  --event-bus NAME    also publish one event per accepted finding to this EventBridge bus
                      (AWS_ENDPOINT_URL_EVENTBRIDGE honoured)
  --event-source S    source of those events (default shadowhub; aws.* is reserved by AWS)
  -h, --help          show this help

Exit status: 0 everything imported or unchanged; 1 some report or finding failed; 2 usage or
configuration error.
`;

const OPTIONS = {
  ...CONVERSION_OPTIONS,
  target: { type: "string" },
  state: { type: "string" },
  "dry-run": { type: "boolean" },
  json: { type: "boolean" },
  rate: { type: "string" },
  burst: { type: "string" },
  "refresh-days": { type: "string" },
  "event-bus": { type: "string" },
  "event-source": { type: "string" },
} as const;

function positiveNumber(
  name: string,
  value: string | undefined,
  fallback: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > max) {
    throw new ConfigurationError(`--${name} '${value}' is not a number in (0, ${max}]`);
  }
  return n;
}

/** Renders the summary table. */
export function formatSummary(
  report: ImportReport,
  target: string,
  reports: number,
  findings: number,
): string {
  const c = report.counts;
  const byCode = Object.entries(report.failedByCode)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, n]) => `${code} ${n}`)
    .join(", ");
  const rows: [string, string][] = [
    ["created", String(c.created)],
    ["updated", String(c.updated)],
    ["unchanged", String(c.unchanged)],
    ["stale", String(c.stale)],
    ["archived", String(c.archived)],
    ["refreshed", String(c.refreshed)],
    ["failed", byCode === "" ? String(c.failed) : `${c.failed}  (${byCode})`],
    [report.dryRun ? "API calls (planned)" : "API calls", String(report.apiCalls)],
    ["time", `${(report.durationMs / 1000).toFixed(2)} s`],
  ];
  if (report.throttled > 0) rows.push(["throttled (retried)", String(report.throttled)]);
  if (report.eventsPublished + report.eventsFailed > 0) {
    rows.push(["events", `${report.eventsPublished} published, ${report.eventsFailed} failed`]);
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  const head = `${report.dryRun ? "dry run (nothing sent): " : ""}${reports} report(s), ${findings} finding(s) → ${target}`;
  return [head, ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`), ""].join("\n");
}

function progressBar(stream: NodeJS.WritableStream): (done: number, total: number) => void {
  let last = -1;
  return (done, total) => {
    const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
    if (pct === last) return;
    last = pct;
    const filled = Math.round(pct / 4);
    stream.write(
      `\r  [${"#".repeat(filled)}${".".repeat(25 - filled)}] ${pct}% ${done}/${total}${done >= total ? "\n" : ""}`,
    );
  };
}

async function run(args: string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    io.stderr.write(`shadowhub import: ${describeError(error)}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (positionals.length === 0) {
    io.stderr.write(`shadowhub import: no REPORT given\n\n${USAGE}`);
    return 2;
  }
  const note = (line: string) => {
    if (!values.json) io.stderr.write(`shadowhub import: ${line}\n`);
  };
  const stateDir = resolve(io.cwd, values.state ?? DEFAULT_STATE_DIR);
  let target: ReturnType<typeof resolveTarget>;
  let ctx: ConversionContext;
  let registry: ReturnType<typeof createRegistry>;
  let limits: { ratePerSecond: number; burst: number };
  let refreshBeforeExpiryMs: number;
  try {
    target = resolveTarget(values.target, io.env);
    ({ ctx, registry } = await setupConversion(values, io, note, {
      nowMs: systemClock.now(),
      ...(target.kind === "aws"
        ? { accountRequired: "--target aws needs --account: the 12-digit account the findings belong to" }
        : {}),
    }));
    limits = {
      ratePerSecond: positiveNumber("rate", values.rate, IMPORT_RATE_PER_SECOND),
      burst: positiveNumber("burst", values.burst, REMOTE_IMPORT_LIMITS.burst),
    };
    refreshBeforeExpiryMs = positiveNumber("refresh-days", values["refresh-days"], 30, 89) * DAY_MS;
    if (values.scope === "") throw new ConfigurationError("--scope must not be empty");
  } catch (error) {
    io.stderr.write(`shadowhub import: ${describeError(error)}\n`);
    return 2;
  }

  let opened: Awaited<ReturnType<typeof openTarget>>;
  let publisher: EventPublisher | undefined;
  try {
    await mkdir(stateDir, { recursive: true });
    opened = await openTarget(target, { stateDir, env: io.env });
    if (values["event-bus"] !== undefined) {
      publisher = new EventBridgePublisher({
        env: io.env,
        region: ctx.region,
        eventBusName: values["event-bus"],
      });
    }
  } catch (error) {
    io.stderr.write(`shadowhub import: ${describeError(error)}\n`);
    return 2;
  }

  const stderrIsTty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  const bar = stderrIsTty && !values.json ? progressBar(io.stderr) : undefined;
  let report: ImportReport;
  const stats: ChunkStats = { findings: 0 };
  try {
    // Read → parse → convert, streamed batch by batch into the plan; one unreadable report never
    // stops the others. The import's time is the newest report's own time; for undated reports
    // the conversion's clock, as their findings have.
    const reports = positionals.map((path) => ({
      source: path,
      read: () => readFile(resolve(io.cwd, path)),
    }));
    const convertOptions = {
      includePassed: values["include-passed"] === true,
      overrideIdentity: values["override-identity"] === true,
    };
    const chunks = reportChunks(
      reports,
      (source, content) =>
        convertReportBatches(
          { source, content, format: values.format ?? "auto" },
          ctx,
          registry,
          convertOptions,
        ),
      ctx.nowMs,
      stats,
    );
    report = await runImportStream(
      {
        chunks,
        ...(values.scope === undefined ? {} : { scope: values.scope }),
        scopeTargets: [ctx],
      },
      {
        store: opened.store,
        sink: opened.sink,
        clock: systemClock,
        // The local hub has no quota to respect; remote targets are paced to theirs.
        ...(target.kind === "local" ? {} : { limiter: new InProcessRateLimiter({ limits }) }),
        ...(publisher === undefined ? {} : { publisher, publishEvents: "always" as const }),
        ...(values["event-source"] === undefined ? {} : { eventSource: values["event-source"] }),
        refreshBeforeExpiryMs,
        concurrency: target.kind === "local" ? 1 : 4,
        dryRun: values["dry-run"] === true,
        ...(bar === undefined
          ? {}
          : {
              onProgress: (done: number, total: number) => {
                if (total >= PROGRESS_MIN_SENDS) bar(done, total);
              },
            }),
      },
    );
  } catch (error) {
    io.stderr.write(`shadowhub import: ${describeError(error)}\n`);
    await opened.close();
    await publisher?.close();
    return 1;
  }
  await opened.close();
  await publisher?.close();

  report.failures.slice(0, MAX_LISTED_FAILURES).forEach((f) => {
    const where = [f.source, f.findingId === undefined ? undefined : `finding ${f.findingId}`]
      .filter(Boolean)
      .join(", ");
    io.stderr.write(`shadowhub import: ${where || "import"}: [${f.errorCode}] ${f.message}\n`);
  });
  if (report.failures.length > MAX_LISTED_FAILURES) {
    io.stderr.write(
      `shadowhub import: … and ${report.failures.length - MAX_LISTED_FAILURES} more failures\n`,
    );
  }
  if (report.archiveSkipped !== undefined) io.stderr.write(`shadowhub import: ${report.archiveSkipped}\n`);

  if (values.json) {
    const c = report.counts;
    io.stdout.write(
      `${JSON.stringify({
        created: c.created,
        updated: c.updated,
        unchanged: c.unchanged,
        stale: c.stale,
        archived: c.archived,
        refreshed: c.refreshed,
        failed: c.failed,
        apiCalls: report.apiCalls,
      })}\n`,
    );
  } else {
    io.stdout.write(
      formatSummary(report, describeTarget(target, stateDir), positionals.length, stats.findings),
    );
  }
  return report.counts.failed > 0 ? 1 : 0;
}

/** The `import` command. */
export const importCommand: CliCommand = {
  name: "import",
  summary: "Import scanner reports into Security Hub (local by default) through the shadow plan",
  usage: USAGE,
  run,
};
