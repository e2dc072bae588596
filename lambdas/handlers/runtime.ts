/**
 * Builds the handlers' adapters from the validated configuration, once per cold start.
 *
 * Endpoints: the DynamoDB and S3 clients take no endpoint here on purpose — SDK v3 reads
 * `AWS_ENDPOINT_URL` and the per-service `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL_S3`
 * from the environment itself. The Security Hub sink and the EventBridge publisher are given the
 * same environment and apply `AWS_ENDPOINT_URL_SECURITYHUB` / `AWS_ENDPOINT_URL_EVENTBRIDGE` (then
 * `AWS_ENDPOINT_URL`) the same way, so LocalStack, moto or `shadowhub serve` are reached by
 * setting environment variables only.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand, type GetObjectCommandOutput, S3Client } from "@aws-sdk/client-s3";
import { DynamoDbRateLimiter } from "../adapters/dynamodb/dynamodb-rate-limiter.ts";
import { DynamoDbShadowStore } from "../adapters/dynamodb/dynamodb-shadow-store.ts";
import { EventBridgePublisher } from "../adapters/eventbridge/eventbridge-publisher.ts";
import { loadParserModules } from "../adapters/parser-loader.ts";
import { SecurityHubSink } from "../adapters/securityhub/securityhub-sink.ts";
import { systemClock } from "../adapters/system-clock.ts";
import { type HandlerConfig, loadConfig } from "../config/load-config.ts";
import { ConfigurationError, InputError, ThrottlingError, TransientError } from "../core/errors.ts";
import { createRegistry } from "../core/parsers/registry.ts";
import type { Clock } from "../ports/clock.ts";
import type { IngestDeps, PipelineLogger, PipelineMetrics, StoredReport } from "./ingest-processor.ts";

/** Largest report read from S3 (bytes): the function holds it, its JSON and the findings in memory. */
export const MAX_REPORT_BYTES = 200 * 1024 * 1024;

/** Options tests use to replace the edges that are not AWS services. */
export interface RuntimeOptions {
  readonly clock?: Clock;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** Maps an S3 GetObject error to the project's error classes (what SQS should do with the message). */
export function classifyS3Error(error: unknown, bucket: string, key: string): Error {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = e.name ?? "Error";
  const status = e.$metadata?.httpStatusCode ?? 0;
  const where = `s3://${bucket}/${key}`;
  if (name === "NoSuchKey" || name === "NoSuchBucket" || status === 404) {
    return new InputError(`${where}: the report does not exist (deleted or expired before it was read)`, {
      source: where,
      rule: "object exists",
    });
  }
  if (name === "AccessDenied" || status === 403) {
    return new ConfigurationError(
      `${where}: reading the report was denied (${name}); check the function's s3:GetObject grant`,
      {
        cause: error,
      },
    );
  }
  if (name === "SlowDown" || status === 429 || status === 503) {
    return new ThrottlingError(`${where}: S3 asked to slow down (${name})`, { cause: error });
  }
  return new TransientError(`${where}: reading the report failed (${name}: ${e.message ?? ""})`, {
    cause: error,
  });
}

/** Reads a report object with its user metadata. */
export function s3ReportReader(client: S3Client): (bucket: string, key: string) => Promise<StoredReport> {
  return async (bucket, key) => {
    let response: GetObjectCommandOutput;
    try {
      response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    } catch (error) {
      throw classifyS3Error(error, bucket, key);
    }
    if ((response.ContentLength ?? 0) > MAX_REPORT_BYTES) {
      throw new InputError(
        `s3://${bucket}/${key}: the report is ${response.ContentLength} bytes; at most ${MAX_REPORT_BYTES} are read (split the report)`,
        { source: `s3://${bucket}/${key}`, rule: `maxBytes ${MAX_REPORT_BYTES}` },
      );
    }
    if (response.Body === undefined) {
      throw new TransientError(`s3://${bucket}/${key}: GetObject returned no body`);
    }
    const content = await response.Body.transformToByteArray();
    const metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.Metadata ?? {})) metadata[name.toLowerCase()] = value;
    return { content, metadata };
  };
}

/** The ingest function's adapters, configuration and cleanup. */
export interface IngestRuntime {
  readonly config: HandlerConfig;
  readonly deps: Omit<IngestDeps, "metrics" | "logger">;
  close(): Promise<void>;
}

/**
 * Loads the configuration from `env` and builds the adapters. Throws the `ConfigurationError`
 * of `loadConfig` (every problem in one message) or of a custom parser that cannot be loaded.
 */
export async function createIngestRuntime(
  env: Readonly<Record<string, string | undefined>>,
  options: RuntimeOptions = {},
): Promise<IngestRuntime> {
  const config = loadConfig(env);
  const custom = await loadParserModules(config.customParsers.map((p) => p.path));
  const registry = createRegistry(custom);
  const dynamo = new DynamoDBClient({ region: config.region });
  const s3 = new S3Client({ region: config.region });
  const clock = options.clock ?? systemClock;
  const store = new DynamoDbShadowStore({ client: dynamo, tableName: config.tableName });
  const limiter = new DynamoDbRateLimiter({
    client: dynamo,
    tableName: config.tableName,
    limits: { ratePerSecond: config.importRatePerSecond, burst: config.importBurst },
    clock,
    ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
  });
  const roles = Object.fromEntries(
    config.targets.flatMap((t) => (t.roleArn === undefined ? [] : [[t.accountId, t.roleArn]])),
  );
  const sink = new SecurityHubSink({ env, roles, roleSessionName: "shadowhub-ingest" });
  const publisher = new EventBridgePublisher({
    env,
    region: config.region,
    eventBusName: config.eventBusName,
  });
  return {
    config,
    deps: {
      config,
      store,
      sink,
      publisher,
      limiter,
      clock,
      registry,
      readReport: s3ReportReader(s3),
      ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
      ...(options.random === undefined ? {} : { random: options.random }),
    },
    close: async () => {
      await sink.close();
      await publisher.close();
      await store.close();
      dynamo.destroy();
      s3.destroy();
    },
  };
}

export type { PipelineLogger, PipelineMetrics };
