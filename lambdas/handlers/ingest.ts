/**
 * The ingest Lambda: SQS batch → one report import per message, through the import pipeline.
 * Thin on purpose: configuration is read once per cold start (`loadConfig`, at the first
 * invocation, never at import time), adapters are built once, and Powertools' batch utility hands
 * each record to `createIngestProcessor`, returning only the failed records in
 * `batchItemFailures` so that SQS redelivers those alone.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { createIngestProcessor } from "./ingest-processor.ts";
import { type Observability, powertoolsObservability } from "./observability.ts";
import { createIngestRuntime, type IngestRuntime, type RuntimeOptions } from "./runtime.ts";

/** An ingest handler bound to an environment. */
export type IngestHandler = ((event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>) & {
  /** Releases the clients (tests; Lambda just freezes the process). */
  close(): Promise<void>;
};

/** Options for tests: replace observability and the non-AWS edges. */
export interface IngestHandlerOptions extends RuntimeOptions {
  readonly observability?: Observability;
}

/**
 * Creates the handler for `env` (in Lambda: `process.env`). The runtime is built on the first
 * invocation and kept; if building it fails (bad configuration), the invocation fails — every
 * record returns to the queue and the error alarm fires — and the next invocation tries again.
 */
export function createIngestHandler(
  env: Readonly<Record<string, string | undefined>>,
  options: IngestHandlerOptions = {},
): IngestHandler {
  const observability = options.observability ?? powertoolsObservability(env, "shadowhub-ingest");
  let runtime: Promise<IngestRuntime> | undefined;
  let processRecord: ((record: SQSRecord) => Promise<unknown>) | undefined;
  const processor = new BatchProcessor(EventType.SQS);

  const handler = async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
    runtime ??= createIngestRuntime(env, options);
    let ready: IngestRuntime;
    try {
      ready = await runtime;
    } catch (error) {
      runtime = undefined;
      observability.logger.error("configuration or start-up failed; the whole batch returns to the queue", {
        error: error instanceof Error ? error.message : String(error),
      });
      throw error;
    }
    processRecord ??= createIngestProcessor({
      ...ready.deps,
      logger: observability.logger,
      metrics: observability.metrics,
    });
    const record = processRecord;
    try {
      return await processPartialResponse(event, (r: SQSRecord) => record(r), processor, {
        ...(context === undefined ? {} : { context }),
        // One report after the other: reports compete for the same quota anyway, and a later
        // message about the same finding must not overtake an earlier one inside a batch.
        processInParallel: false,
        // A fully failed batch is still answered with its failures, not an invocation error:
        // the DLQ and queue-age alarms cover it, and Lambda's error alarm stays for real crashes.
        throwOnFullBatchFailure: false,
      });
    } finally {
      observability.flush();
    }
  };
  return Object.assign(handler, {
    close: async () => {
      const current = runtime;
      runtime = undefined;
      processRecord = undefined;
      if (current !== undefined) await (await current.catch(() => undefined))?.close();
    },
  });
}

let lambdaHandler: IngestHandler | undefined;

/** The Lambda entry point (`index.handler` in the bundle). */
export const handler = (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  lambdaHandler ??= createIngestHandler(process.env);
  return lambdaHandler(event, context);
};
