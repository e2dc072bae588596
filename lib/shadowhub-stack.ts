/**
 * The thin stack around {@link FindingPipeline} that `cdk deploy` deploys. Its settings come
 * from CDK context (`cdk.json` or `-c shadowhub:KEY=VALUE`), parsed by {@link settingsFromContext}.
 */
import { Duration, Stack, type StackProps } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { ConfigurationError } from "../lambdas/core/errors.ts";
import { FindingPipeline, type FindingPipelineProps, type FindingTarget } from "./finding-pipeline.ts";

/** Props of {@link ShadowhubStack}. */
export interface ShadowhubStackProps extends StackProps {
  /**
   * Settings of the pipeline.
   * @default - FindingPipeline's defaults
   */
  readonly pipeline?: FindingPipelineProps;
}

/** The deployable shadowhub stack: one {@link FindingPipeline} with id `Pipeline`. */
export class ShadowhubStack extends Stack {
  /** The pipeline construct. */
  public readonly pipeline: FindingPipeline;

  constructor(scope: Construct, id: string, props: ShadowhubStackProps = {}) {
    super(scope, id, props);
    this.pipeline = new FindingPipeline(this, "Pipeline", props.pipeline);
  }
}

/** Context keys the app reads (all optional), with the prop each one sets. */
export const CONTEXT_KEYS = {
  productArns: "shadowhub:productArns",
  companyName: "shadowhub:companyName",
  productName: "shadowhub:productName",
  targets: "shadowhub:targets",
  formats: "shadowhub:formats",
  refreshWindowDays: "shadowhub:refreshWindowDays",
  importRatePerSecond: "shadowhub:importRatePerSecond",
  importBurst: "shadowhub:importBurst",
  eventSource: "shadowhub:eventSource",
  maxConcurrency: "shadowhub:maxConcurrency",
  batchSize: "shadowhub:batchSize",
  reportExpirationDays: "shadowhub:reportExpirationDays",
} as const;

type ContextReader = (key: string) => unknown;

/** Context values given on the command line arrive as strings; JSON ones are parsed here. */
function jsonValue(key: string, raw: unknown): unknown {
  if (typeof raw !== "string") return raw;
  const trimmed = raw.trim();
  if (!(trimmed.startsWith("[") || trimmed.startsWith("{"))) return raw;
  try {
    return JSON.parse(trimmed);
  } catch (error) {
    throw new ConfigurationError(`context ${key}: ${raw} is not valid JSON (${(error as Error).message})`);
  }
}

function stringList(key: string, raw: unknown): string[] | undefined {
  const value = jsonValue(key, raw);
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value === "string")
    return value
      .split(",")
      .map((v) => v.trim())
      .filter((v) => v !== "");
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value;
  throw new ConfigurationError(
    `context ${key}: ${JSON.stringify(value)} is not a list of strings; use ["a","b"] or "a,b"`,
  );
}

function numberValue(key: string, raw: unknown): number | undefined {
  if (raw === undefined || raw === null || raw === "") return undefined;
  const value = typeof raw === "number" ? raw : Number(raw);
  if (!Number.isFinite(value))
    throw new ConfigurationError(`context ${key}: ${JSON.stringify(raw)} is not a number`);
  return value;
}

function stringValue(key: string, raw: unknown): string | undefined {
  if (raw === undefined || raw === null || raw === "") return undefined;
  if (typeof raw !== "string")
    throw new ConfigurationError(`context ${key}: ${JSON.stringify(raw)} is not a string`);
  return raw;
}

/** Reads the stack's pipeline settings from CDK context; absent keys keep the construct's defaults. */
export function settingsFromContext(read: ContextReader): FindingPipelineProps {
  const k = CONTEXT_KEYS;
  const targetsRaw = jsonValue(k.targets, read(k.targets));
  if (targetsRaw !== undefined && targetsRaw !== null && !Array.isArray(targetsRaw)) {
    throw new ConfigurationError(
      `context ${k.targets}: ${JSON.stringify(targetsRaw)} is not a list; use [{"accountId":"123456789012","regions":["us-east-1"]}]`,
    );
  }
  const refreshWindowDays = numberValue(k.refreshWindowDays, read(k.refreshWindowDays));
  const reportExpirationDays = numberValue(k.reportExpirationDays, read(k.reportExpirationDays));
  const entries: Partial<Record<keyof FindingPipelineProps, unknown>> = {
    productArns: stringList(k.productArns, read(k.productArns)),
    companyName: stringValue(k.companyName, read(k.companyName)),
    productName: stringValue(k.productName, read(k.productName)),
    targets: Array.isArray(targetsRaw) ? (targetsRaw as FindingTarget[]) : undefined,
    formats: stringList(k.formats, read(k.formats)),
    refreshWindow: refreshWindowDays === undefined ? undefined : Duration.days(refreshWindowDays),
    importRatePerSecond: numberValue(k.importRatePerSecond, read(k.importRatePerSecond)),
    importBurst: numberValue(k.importBurst, read(k.importBurst)),
    eventSource: stringValue(k.eventSource, read(k.eventSource)),
    maxConcurrency: numberValue(k.maxConcurrency, read(k.maxConcurrency)),
    batchSize: numberValue(k.batchSize, read(k.batchSize)),
    reportExpiration: reportExpirationDays === undefined ? undefined : Duration.days(reportExpirationDays),
  };
  return Object.fromEntries(
    Object.entries(entries).filter(([, v]) => v !== undefined),
  ) as FindingPipelineProps;
}
