/**
 * The conversion options `convert` and `import` share (`--format`, `--parser`, `--account`,
 * `--region`, ...), and the one place that turns them into a conversion context and a parser
 * registry, so both commands default, announce and reject the same way.
 */
import { loadParserModules } from "../adapters/parser-loader.ts";
import { ConfigurationError } from "../core/errors.ts";
import { buildConversionContext } from "../core/parsers/context.ts";
import type { ConversionContext } from "../core/parsers/contracts.ts";
import { createRegistry } from "../core/parsers/registry.ts";
import type { CliIo } from "./io.ts";

/** Account used when `--account` is absent in local use; always announced, never silent. */
export const PLACEHOLDER_ACCOUNT_ID = "123456789012";
/** Region used when neither `--region` nor AWS_REGION / AWS_DEFAULT_REGION is set. */
export const DEFAULT_REGION = "us-east-1";

/** `parseArgs` option definitions of the shared conversion options. */
export const CONVERSION_OPTIONS = {
  format: { type: "string" },
  parser: { type: "string", multiple: true },
  account: { type: "string" },
  region: { type: "string" },
  partition: { type: "string" },
  "product-arn": { type: "string" },
  "company-name": { type: "string" },
  "product-name": { type: "string" },
  scope: { type: "string" },
  "include-passed": { type: "boolean" },
  "override-identity": { type: "boolean" },
} as const;

/** The parsed values of {@link CONVERSION_OPTIONS}. */
export interface ConversionOptionValues {
  readonly format?: string;
  readonly parser?: string[];
  readonly account?: string;
  readonly region?: string;
  readonly partition?: string;
  readonly "product-arn"?: string;
  readonly "company-name"?: string;
  readonly "product-name"?: string;
  readonly scope?: string;
}

/**
 * Builds the conversion context and the parser registry (built-ins plus `--parser` modules) from
 * the shared options. Defaults are announced through `note`. Throws `ConfigurationError` for an
 * invalid context, an unknown `--format`, or a missing account when `accountRequired` says why
 * one is needed.
 */
export async function setupConversion(
  values: ConversionOptionValues,
  io: CliIo,
  note: (line: string) => void,
  options: { readonly nowMs: number; readonly accountRequired?: string },
): Promise<{ ctx: ConversionContext; registry: ReturnType<typeof createRegistry> }> {
  let accountId = values.account;
  if (accountId === undefined) {
    if (options.accountRequired !== undefined) throw new ConfigurationError(options.accountRequired);
    accountId = PLACEHOLDER_ACCOUNT_ID;
    note(`no --account given; using the placeholder account ${PLACEHOLDER_ACCOUNT_ID}`);
  }
  const region = values.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION ?? DEFAULT_REGION;
  if (values.region === undefined) note(`no --region given; using ${region}`);
  const ctx = buildConversionContext({
    accountId,
    region,
    ...(values.partition === undefined ? {} : { partition: values.partition }),
    ...(values["product-arn"] === undefined ? {} : { productArn: values["product-arn"] }),
    ...(values["company-name"] === undefined ? {} : { companyName: values["company-name"] }),
    ...(values["product-name"] === undefined ? {} : { productName: values["product-name"] }),
    ...(values.scope === undefined ? {} : { scope: values.scope }),
    nowMs: options.nowMs,
  });
  const registry = createRegistry(await loadParserModules(values.parser ?? [], io.cwd));
  const format = values.format ?? "auto";
  if (format !== "auto" && registry.get(format) === undefined) {
    throw new ConfigurationError(`unknown --format '${format}'; known: auto, ${registry.names().join(", ")}`);
  }
  return { ctx, registry };
}
