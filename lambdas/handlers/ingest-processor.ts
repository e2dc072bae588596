/**
 * What the ingest function does with one SQS record, independent of Lambda and Powertools:
 * message → report(s) → convert → import pipeline → metrics. The handler wraps it in Powertools'
 * batch processor so that only failed records return to the queue.
 *
 * Error policy (docs/deploy.md, "Failures"):
 * - a poison message (not JSON, bad envelope, report missing, unreadable or in a refused format,
 *   target not allowed) throws an `InputError`: logged and counted once, and reported in
 *   `batchItemFailures`, so it is redelivered at most `maxReceiveCount` times (each redelivery is
 *   harmless: the shadow skips what was already imported) and then kept in the DLQ for a human;
 * - findings Security Hub refused for good (`InvalidInput`, conversion failures of single
 *   findings) are logged and counted, and the message is acknowledged: resending cannot fix them;
 * - transient problems (throttling after the pipeline's own retries, 5xx, hub or product not yet
 *   enabled, DynamoDB or S3 errors) throw a `TransientError`, so SQS redelivers the message.
 */
import type { SQSRecord } from "aws-lambda";
import type { HandlerConfig } from "../config/load-config.ts";
import { DAY_MS } from "../core/asff/limits.ts";
import { describeError, InputError, ShadowhubError, TransientError } from "../core/errors.ts";
import { buildConversionContext, parseProductArn } from "../core/parsers/context.ts";
import { type ConversionBatch, convertReportBatches } from "../core/parsers/convert.ts";
import type { ParserRegistry } from "../core/parsers/registry.ts";
import { classifyFindingError } from "../core/pipeline/retry.ts";
import { type ImportReport, runImportStream } from "../pipeline/import-run.ts";
import { reportChunks } from "../pipeline/report-chunks.ts";
import type { Clock } from "../ports/clock.ts";
import type { EventPublisher } from "../ports/event-publisher.ts";
import type { FindingSink } from "../ports/finding-sink.ts";
import type { RateLimiter, Sleep } from "../ports/rate-limiter.ts";
import type { ShadowStore } from "../ports/shadow-store.ts";
import { parseMessage, type ReportRequest } from "./messages.ts";

/** A report object read from S3. */
export interface StoredReport {
  readonly content: Uint8Array;
  /** User metadata (`x-amz-meta-*`), keys in lower case without the prefix. */
  readonly metadata: Readonly<Record<string, string>>;
}

/** Counters the ingest function publishes (Powertools Metrics in Lambda, a recorder in tests). */
export interface PipelineMetrics {
  /** Adds `value` to metric `name`; `dimensions` beyond the service's (e.g. `{ errorCode }`). */
  count(name: string, value: number, dimensions?: Readonly<Record<string, string>>): void;
}

/** A structured logger (Powertools Logger in Lambda). */
export interface PipelineLogger {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** Everything the processor needs; all side effects are injected. */
export interface IngestDeps {
  readonly config: HandlerConfig;
  readonly store: ShadowStore;
  readonly sink: FindingSink;
  readonly publisher: EventPublisher;
  readonly limiter?: RateLimiter;
  readonly clock: Clock;
  readonly registry: ParserRegistry;
  readonly readReport: (bucket: string, key: string) => Promise<StoredReport>;
  readonly metrics: PipelineMetrics;
  readonly logger: PipelineLogger;
  readonly sleep?: Sleep;
  readonly random?: () => number;
}

/** Metric names, also used by the construct's dashboard and alarm. */
export const METRIC = {
  created: "created",
  updated: "updated",
  unchanged: "unchanged",
  stale: "stale",
  archived: "archived",
  refreshed: "refreshed",
  failed: "failed",
  throttled: "throttled",
  apiCalls: "apiCalls",
  poisonMessages: "poisonMessages",
} as const;

const COUNTERS = ["created", "updated", "unchanged", "stale", "archived", "refreshed", "failed"] as const;

function fail(request: ReportRequest, field: string, rule: string, message: string): never {
  throw new InputError(`${request.source}: ${message}`, { source: request.source, field, rule });
}

/** Applies S3 object metadata to a request that came from a notification (metadata wins over the key). */
function withMetadata(request: ReportRequest, metadata: Readonly<Record<string, string>>): ReportRequest {
  if (!request.fromNotification) return request;
  const pick = (name: string) => {
    const value = metadata[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  };
  const format = pick("format");
  const scope = pick("scope");
  const accountId = pick("account");
  const region = pick("region");
  const productArn = pick("product-arn");
  return {
    ...request,
    ...(format === undefined ? {} : { format: format.toLowerCase() }),
    ...(scope === undefined ? {} : { scope }),
    ...(accountId === undefined ? {} : { accountId }),
    ...(region === undefined ? {} : { region }),
    ...(productArn === undefined ? {} : { productArn }),
  };
}

/** Where the findings of `request` go: an allowed (account, Region) and a configured ProductArn. */
export function resolveTarget(
  request: ReportRequest,
  config: HandlerConfig,
): { accountId: string; region: string; productArn: string } {
  const accountId = request.accountId ?? config.targets[0]?.accountId;
  const region = request.region ?? config.region;
  const target = config.targets.find((t) => t.accountId === accountId);
  if (accountId === undefined || target === undefined) {
    fail(
      request,
      "account",
      "allowed target account",
      `account ${JSON.stringify(accountId)} is not an allowed target (${config.targets.map((t) => t.accountId).join(", ")})`,
    );
  }
  if (!target.regions.includes(region)) {
    fail(
      request,
      "region",
      "allowed target Region",
      `Region ${region} is not allowed for account ${accountId} (allowed: ${target.regions.join(", ")})`,
    );
  }
  if (request.productArn !== undefined) {
    if (!config.productArns.includes(request.productArn)) {
      fail(
        request,
        "productArn",
        "configured ProductArn",
        `ProductArn ${request.productArn} is not one of the configured products (${config.productArns.join(", ")})`,
      );
    }
    return { accountId, region, productArn: request.productArn };
  }
  // A ProductArn is Regional (spec §2.4): pick one of this Region, the target account's own first.
  const inRegion = config.productArns.filter((arn) => parseProductArn(arn)?.region === region);
  const productArn = inRegion.find((arn) => parseProductArn(arn)?.accountId === accountId) ?? inRegion[0];
  if (productArn === undefined) {
    fail(
      request,
      "region",
      "configured ProductArn in the Region",
      `no configured ProductArn is in Region ${region} (configured: ${config.productArns.join(", ")})`,
    );
  }
  return { accountId, region, productArn };
}

/** Codes whose findings a later delivery may well import: the message is redelivered for them. */
function retryableCodes(report: ImportReport): string[] {
  return Object.keys(report.failedByCode).filter((code) => classifyFindingError(code) !== "permanent");
}

/** Creates the per-record function. */
export function createIngestProcessor(deps: IngestDeps): (record: SQSRecord) => Promise<ImportReport[]> {
  const { config } = deps;

  async function importReport(request: ReportRequest, messageId: string): Promise<ImportReport> {
    let content: string | Uint8Array;
    let resolved = request;
    if (request.location.kind === "s3") {
      if (config.landingBucket !== undefined && request.location.bucket !== config.landingBucket) {
        fail(
          request,
          "s3.bucket",
          "landing bucket",
          `bucket ${request.location.bucket} is not the landing bucket ${config.landingBucket}; upload reports there`,
        );
      }
      const stored = await deps.readReport(request.location.bucket, request.location.key);
      content = stored.content;
      resolved = withMetadata(request, stored.metadata);
    } else {
      content = request.location.content;
    }
    const format = resolved.format ?? "auto";
    if (format !== "auto" && !config.formats.includes(format)) {
      fail(
        resolved,
        "format",
        "accepted format",
        `format "${format}" is not accepted here (accepted: ${config.formats.join(", ")})`,
      );
    }
    const target = resolveTarget(resolved, config);
    const nowMs = deps.clock.now();
    const ctx = buildConversionContext({
      ...target,
      ...(config.companyName === undefined ? {} : { companyName: config.companyName }),
      ...(config.productName === undefined ? {} : { productName: config.productName }),
      ...(resolved.scope === undefined ? {} : { scope: resolved.scope }),
      nowMs,
    });
    // Streamed batch by batch into the plan (a re-import of an unchanged scan never holds the
    // whole report). The batches up to the first finding are read ahead: they say the format and
    // whether the report is unreadable (failures without a finding Id and no finding at all),
    // which fails the message before anything is imported.
    const batches = convertReportBatches({ source: resolved.source, content, format }, ctx, deps.registry)[
      Symbol.iterator
    ]();
    const head: ConversionBatch[] = [];
    for (let step = batches.next(); !step.done; step = batches.next()) {
      head.push(step.value);
      if (step.value.findings.length > 0) break;
    }
    const detected = head[0]?.format;
    if (head.every((batch) => batch.findings.length === 0)) {
      const unreadable = head.flatMap((batch) => batch.failures).filter((f) => f.findingId === undefined);
      const first = unreadable[0];
      if (first !== undefined) {
        throw new InputError(first.message, {
          source: resolved.source,
          ...(first.field === undefined ? {} : { field: first.field }),
          rule: first.rule,
        });
      }
    }
    if (detected !== undefined && format === "auto" && !config.formats.includes(detected)) {
      fail(
        resolved,
        "format",
        "accepted format",
        `detected format "${detected}" is not accepted here (accepted: ${config.formats.join(", ")})`,
      );
    }
    const rest: Iterable<ConversionBatch> = { [Symbol.iterator]: () => batches };
    const report = await runImportStream(
      {
        // The scanner's time; for an undated report its newest UpdatedAt, else the conversion's
        // clock, as its findings have.
        chunks: reportChunks(
          [{ source: resolved.source, read: async () => content }],
          () => chain(head, rest),
          nowMs,
        ),
        ...(resolved.scope === undefined ? {} : { scope: resolved.scope }),
        scopeTargets: [{ accountId: target.accountId, region: target.region }],
      },
      {
        store: deps.store,
        sink: deps.sink,
        clock: deps.clock,
        publisher: deps.publisher,
        // Security Hub's own events go to the default bus; the pipeline's bus gets its own copy.
        publishEvents: "always",
        eventSource: config.eventSource,
        refreshBeforeExpiryMs: config.refreshWindowDays * DAY_MS,
        ...(deps.limiter === undefined ? {} : { limiter: deps.limiter }),
        ...(deps.sleep === undefined ? {} : { sleep: deps.sleep }),
        ...(deps.random === undefined ? {} : { random: deps.random }),
      },
    );
    for (const name of COUNTERS) deps.metrics.count(METRIC[name], report.counts[name]);
    deps.metrics.count(METRIC.throttled, report.throttled);
    deps.metrics.count(METRIC.apiCalls, report.apiCalls);
    for (const [errorCode, n] of Object.entries(report.failedByCode)) {
      deps.metrics.count(METRIC.failed, n, { errorCode });
    }
    const summary = {
      messageId,
      source: resolved.source,
      format: detected,
      scope: resolved.scope,
      accountId: target.accountId,
      region: target.region,
      counts: report.counts,
      apiCalls: report.apiCalls,
      throttled: report.throttled,
      eventsPublished: report.eventsPublished,
      eventsFailed: report.eventsFailed,
      ...(report.archiveSkipped === undefined ? {} : { archiveSkipped: report.archiveSkipped }),
    };
    if (report.failures.length > 0) {
      deps.logger.warn("report imported with failures", {
        ...summary,
        failures: report.failures.slice(0, 50),
      });
    } else {
      deps.logger.info("report imported", summary);
    }
    const retry = retryableCodes(report);
    if (retry.length > 0) {
      throw new TransientError(
        `${resolved.source}: ${retry.map((c) => `${report.failedByCode[c]} finding(s) failed with ${c}`).join(", ")}; the message will be redelivered`,
      );
    }
    return report;
  }

  return async (record: SQSRecord): Promise<ImportReport[]> => {
    const messageId = record.messageId;
    try {
      const requests = parseMessage(record.body, messageId, config.reportPrefix);
      const reports: ImportReport[] = [];
      for (const request of requests) reports.push(await importReport(request, messageId));
      return reports;
    } catch (error) {
      const firstDelivery = record.attributes?.ApproximateReceiveCount === "1";
      if (error instanceof ShadowhubError && error.kind === "permanent") {
        // Count a poison message once, not on every redelivery.
        if (firstDelivery) {
          deps.metrics.count(METRIC.poisonMessages, 1);
          deps.metrics.count(METRIC.failed, 1, { errorCode: "PoisonMessage" });
        }
        deps.logger.error("poison message: not retried beyond maxReceiveCount, then kept in the DLQ", {
          messageId,
          receiveCount: record.attributes?.ApproximateReceiveCount,
          error: describeError(error),
          ...(error instanceof InputError ? { location: error.location } : {}),
        });
      } else {
        deps.logger.warn("message failed; SQS will redeliver it", {
          messageId,
          receiveCount: record.attributes?.ApproximateReceiveCount,
          error: describeError(error),
        });
      }
      throw error;
    }
  };
}

/** The batches of `head`, then those of `rest`. */
function* chain<T>(head: readonly T[], rest: Iterable<T>): Generator<T, void, undefined> {
  yield* head;
  yield* rest;
}
