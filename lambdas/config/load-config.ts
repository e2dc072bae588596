/**
 * Reads and validates the Lambda handlers' configuration from the environment, once per cold
 * start (the handlers call it lazily, never at import time). Every missing or invalid setting
 * is collected and reported in one `ConfigurationError`, so a broken deployment is fixed in
 * one round trip instead of one variable at a time.
 */

import { IMPORT_BURST, IMPORT_RATE_PER_SECOND, RETENTION_DAYS } from "../core/asff/limits.ts";
import { ConfigurationError } from "../core/errors.ts";
import { BUILT_IN_FORMATS } from "../core/parsers/contracts.ts";
import { ENV } from "./names.ts";

/** An account findings may be imported into, the Regions allowed there, and the role to assume. */
export interface TargetAccount {
  /** 12-digit account id (`AwsAccountId`). */
  readonly accountId: string;
  /** Regions whose Security Hub may receive this account's findings. */
  readonly regions: readonly string[];
  /** Role assumed to import into this account; absent means the function's own credentials. */
  readonly roleArn?: string;
}

/** A custom parser module shipped in the function's bundle. */
export interface CustomParserRef {
  /** The format name the parser answers to. */
  readonly name: string;
  /** Absolute path (or path relative to the handler) of the ESM module exporting the parser. */
  readonly path: string;
}

/** The validated configuration both handlers share. */
export interface HandlerConfig {
  readonly region: string;
  readonly partition: "aws" | "aws-cn" | "aws-us-gov";
  readonly tableName: string;
  readonly eventBusName: string;
  readonly eventSource: string;
  /** At least one; the first is used when a message names none. */
  readonly productArns: readonly string[];
  readonly companyName?: string;
  readonly productName?: string;
  /** At least one. */
  readonly targets: readonly TargetAccount[];
  /** Accepted report format names (lower case). */
  readonly formats: readonly string[];
  readonly customParsers: readonly CustomParserRef[];
  readonly refreshWindowDays: number;
  readonly importRatePerSecond: number;
  readonly importBurst: number;
  /** Absent when the deployment has no landing bucket (inline reports only). */
  readonly landingBucket?: string;
  readonly reportPrefix: string;
}

/** Defaults used when an optional setting is absent. */
export const CONFIG_DEFAULTS = {
  eventSource: "shadowhub",
  refreshWindowDays: 30,
  importRatePerSecond: IMPORT_RATE_PER_SECOND,
  importBurst: IMPORT_BURST,
  reportPrefix: "reports/",
} as const;

const PRODUCT_ARN =
  /^arn:(aws|aws-cn|aws-us-gov):securityhub:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):product\/[^/\s]+\/[^/\s]+$/;
const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role\/[\w+=,.@/-]+$/;
const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;
const FORMAT_NAME = /^[a-z][a-z0-9-]*$/;

/** Partition of a Region name (`cn-*` → aws-cn, `us-gov-*` → aws-us-gov, otherwise aws). */
export function partitionOf(region: string): "aws" | "aws-cn" | "aws-us-gov" {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

function list(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function parseJson(value: string, name: string, problems: string[]): unknown {
  try {
    return JSON.parse(value);
  } catch (error) {
    problems.push(`${name}: not valid JSON (${(error as Error).message}); expected a JSON array`);
    return undefined;
  }
}

function positiveNumber(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  fallback: number,
  problems: string[],
  max = Number.POSITIVE_INFINITY,
): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > max) {
    problems.push(`${name}: "${raw}" is not a number in (0, ${max}]; set it to e.g. ${fallback} or unset it`);
    return fallback;
  }
  return value;
}

function parseTargets(raw: string | undefined, problems: string[]): TargetAccount[] {
  const name = ENV.targets;
  if (raw === undefined || raw.trim() === "") {
    problems.push(
      `${name}: missing; set it to a JSON array like [{"accountId":"123456789012","regions":["us-east-1"]}]`,
    );
    return [];
  }
  const parsed = parseJson(raw, name, problems);
  if (parsed === undefined) return [];
  if (!Array.isArray(parsed) || parsed.length === 0) {
    problems.push(`${name}: expected a non-empty JSON array of {accountId, regions, roleArn?}, got ${raw}`);
    return [];
  }
  const targets: TargetAccount[] = [];
  parsed.forEach((entry: unknown, index: number) => {
    const where = `${name}[${index}]`;
    if (typeof entry !== "object" || entry === null) {
      problems.push(
        `${where}: expected an object {accountId, regions, roleArn?}, got ${JSON.stringify(entry)}`,
      );
      return;
    }
    const { accountId, regions, roleArn } = entry as Record<string, unknown>;
    let ok = true;
    if (typeof accountId !== "string" || !ACCOUNT_ID.test(accountId)) {
      problems.push(`${where}.accountId: ${JSON.stringify(accountId)} is not a 12-digit account id`);
      ok = false;
    }
    if (
      !Array.isArray(regions) ||
      regions.length === 0 ||
      !regions.every((r) => typeof r === "string" && REGION.test(r))
    ) {
      problems.push(`${where}.regions: ${JSON.stringify(regions)} is not a non-empty list of Region names`);
      ok = false;
    }
    if (roleArn !== undefined) {
      const match = typeof roleArn === "string" ? ROLE_ARN.exec(roleArn) : null;
      if (match === null) {
        problems.push(`${where}.roleArn: ${JSON.stringify(roleArn)} is not an IAM role ARN`);
        ok = false;
      } else if (match[2] !== accountId) {
        problems.push(
          `${where}.roleArn: ${roleArn} belongs to account ${match[2]}, not ${String(accountId)}`,
        );
        ok = false;
      }
    }
    if (ok) {
      targets.push({
        accountId: accountId as string,
        regions: regions as string[],
        ...(roleArn === undefined ? {} : { roleArn: roleArn as string }),
      });
    }
  });
  return targets;
}

function parseCustomParsers(raw: string | undefined, problems: string[]): CustomParserRef[] {
  const name = ENV.customParsers;
  if (raw === undefined || raw.trim() === "") return [];
  const parsed = parseJson(raw, name, problems);
  if (parsed === undefined) return [];
  if (!Array.isArray(parsed)) {
    problems.push(`${name}: expected a JSON array of {name, path}, got ${raw}`);
    return [];
  }
  const parsers: CustomParserRef[] = [];
  parsed.forEach((entry: unknown, index: number) => {
    const item = (typeof entry === "object" && entry !== null ? entry : {}) as Record<string, unknown>;
    if (typeof item.name !== "string" || !FORMAT_NAME.test(item.name)) {
      problems.push(`${name}[${index}].name: ${JSON.stringify(item.name)} is not a lower-case format name`);
      return;
    }
    if (typeof item.path !== "string" || item.path.length === 0) {
      problems.push(`${name}[${index}].path: ${JSON.stringify(item.path)} is not a module path`);
      return;
    }
    parsers.push({ name: item.name, path: item.path });
  });
  return parsers;
}

/**
 * Validates `env` (normally `process.env`) and returns the handlers' configuration.
 *
 * @throws ConfigurationError listing every missing or invalid setting, one per line.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): HandlerConfig {
  const problems: string[] = [];
  const required = (name: string): string => {
    const value = env[name]?.trim();
    if (value === undefined || value === "") {
      problems.push(`${name}: missing`);
      return "";
    }
    return value;
  };

  const region = required(ENV.region);
  if (region !== "" && !REGION.test(region)) problems.push(`${ENV.region}: "${region}" is not a Region name`);
  const tableName = required(ENV.tableName);
  const eventBusName = required(ENV.eventBusName);
  const eventSource = env[ENV.eventSource]?.trim() || CONFIG_DEFAULTS.eventSource;
  if (eventSource.startsWith("aws.")) {
    problems.push(
      `${ENV.eventSource}: "${eventSource}" starts with "aws.", which EventBridge reserves for AWS services; use your own, e.g. "shadowhub"`,
    );
  }

  const productArns = list(env[ENV.productArns]);
  if (productArns.length === 0) {
    problems.push(
      `${ENV.productArns}: missing; set it to the ProductArn(s), e.g. arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default`,
    );
  }
  for (const arn of productArns) {
    if (!PRODUCT_ARN.test(arn)) {
      problems.push(
        `${ENV.productArns}: "${arn}" is not a Security Hub product ARN (arn:PARTITION:securityhub:REGION:ACCOUNT:product/COMPANY/PRODUCT)`,
      );
    }
  }

  const targets = parseTargets(env[ENV.targets], problems);
  const customParsers = parseCustomParsers(env[ENV.customParsers], problems);
  const known = new Set<string>([...BUILT_IN_FORMATS, ...customParsers.map((p) => p.name)]);
  const formatsRaw = list(env[ENV.formats]).map((f) => f.toLowerCase());
  const formats = formatsRaw.length === 0 ? [...known] : formatsRaw;
  for (const format of formats) {
    if (!known.has(format)) {
      problems.push(
        `${ENV.formats}: "${format}" is neither a built-in format (${BUILT_IN_FORMATS.join(", ")}) nor a custom parser named in ${ENV.customParsers}`,
      );
    }
  }

  const refreshWindowDays = positiveNumber(
    env,
    ENV.refreshWindowDays,
    CONFIG_DEFAULTS.refreshWindowDays,
    problems,
    RETENTION_DAYS - 1,
  );
  const importRatePerSecond = positiveNumber(
    env,
    ENV.importRate,
    CONFIG_DEFAULTS.importRatePerSecond,
    problems,
  );
  const importBurst = positiveNumber(env, ENV.importBurst, CONFIG_DEFAULTS.importBurst, problems);
  if (importBurst < importRatePerSecond) {
    problems.push(
      `${ENV.importBurst}: ${importBurst} is below ${ENV.importRate} ${importRatePerSecond}; the burst must be at least the rate`,
    );
  }
  const landingBucket = env[ENV.landingBucket]?.trim() || undefined;
  const reportPrefix = env[ENV.reportPrefix]?.trim() || CONFIG_DEFAULTS.reportPrefix;

  if (problems.length > 0) {
    throw new ConfigurationError(
      `Invalid Lambda configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n- ${problems.join("\n- ")}`,
    );
  }
  const companyName = env[ENV.companyName]?.trim() || undefined;
  const productName = env[ENV.productName]?.trim() || undefined;
  return {
    region,
    partition: partitionOf(region),
    tableName,
    eventBusName,
    eventSource,
    productArns,
    ...(companyName === undefined ? {} : { companyName }),
    ...(productName === undefined ? {} : { productName }),
    targets,
    formats,
    customParsers,
    refreshWindowDays,
    importRatePerSecond,
    importBurst,
    ...(landingBucket === undefined ? {} : { landingBucket }),
    reportPrefix,
  };
}
