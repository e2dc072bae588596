/**
 * The one way shadowhub builds a Lambda function: `NodejsFunction` bundled locally with esbuild
 * (never Docker) to an ESM file with the AWS SDK clients inside, on a pinned Node runtime and
 * ARM64, with explicit memory and timeout, JSON logs, Powertools settings, X-Ray tracing, a log
 * group with retention, and its own role (no AWS managed policies: least privilege is added by
 * the caller, statement by statement).
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Duration, RemovalPolicy } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import {
  type ICommandHooks,
  NodejsFunction,
  type NodejsFunctionProps,
  OutputFormat,
} from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { LAZY_CHUNK_DIR } from "../lambdas/core/asff/ajv-setup.ts";

/** Repository root: `lib/` sits directly below it. */
export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The Lambda runtime every shadowhub function runs on (pinned: upgrades are deliberate). */
export const HOUSE_RUNTIME = lambda.Runtime.NODEJS_22_X;
/** esbuild target matching {@link HOUSE_RUNTIME}. */
export const HOUSE_ESBUILD_TARGET = "node22";

/**
 * esbuild banner for ESM bundles: some CommonJS dependencies (inside the AWS SDK and Powertools)
 * call `require`, which does not exist in an ES module unless it is recreated.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __shadowhubCreateRequire } from 'node:module'; const require = __shadowhubCreateRequire(import.meta.url);";

/**
 * Files a bundle needs beside the handler because they are `require`d at run time, not imported:
 * the ASFF validator's lazily loaded chunks (`lambdas/core/asff/validate.ts` loads them from
 * `<handler dir>/generated/asff-lazy/`). Paths relative to the project root and to the bundle.
 */
export const HOUSE_RUNTIME_FILES = [
  { from: join("lambdas", "core", "asff", LAZY_CHUNK_DIR), to: LAZY_CHUNK_DIR },
] as const;

/** The copy script the hooks run with Node (`cp -R` and `mkdir -p` are not on every platform). */
export const COPY_DIR_SCRIPT = join(PROJECT_ROOT, "lib", "copy-dir.mjs");

/**
 * Commands that copy {@link HOUSE_RUNTIME_FILES} from `inputDir` (the project root) into
 * `outputDir` (the bundle): 111 files, 2.3 MB (0.26 MB gzip), none loaded until a finding needs it.
 * They run the Node that runs the synth ({@link COPY_DIR_SCRIPT}), so they work on Windows too.
 */
export function copyRuntimeFilesCommands(inputDir: string, outputDir: string): string[] {
  return HOUSE_RUNTIME_FILES.map(
    ({ from, to }) => `node "${COPY_DIR_SCRIPT}" "${join(inputDir, from)}" "${join(outputDir, to)}"`,
  );
}

/** The house commands, then the caller's. */
function houseCommandHooks(extra: ICommandHooks | undefined): ICommandHooks {
  return {
    beforeBundling: (inputDir, outputDir) => extra?.beforeBundling(inputDir, outputDir) ?? [],
    beforeInstall: (inputDir, outputDir) => extra?.beforeInstall(inputDir, outputDir) ?? [],
    afterBundling: (inputDir, outputDir) => [
      ...copyRuntimeFilesCommands(inputDir, outputDir),
      ...(extra?.afterBundling(inputDir, outputDir) ?? []),
    ],
  };
}

/** Props of {@link HouseFunction}. */
export interface HouseFunctionProps {
  /** Handler file, relative to the project root, e.g. `lambdas/handlers/ingest.ts`. */
  readonly entry: string;
  /** Powertools service name (logs and metrics dimension). */
  readonly serviceName: string;
  /** CloudWatch namespace of the Powertools metrics. */
  readonly metricsNamespace: string;
  /** Function timeout; explicit on purpose (the queue's visibility timeout is derived from it). */
  readonly timeout: Duration;
  /** Memory in MB; explicit on purpose. */
  readonly memorySize: number;
  /** Environment variables (configuration read by `loadConfig`). */
  readonly environment: Record<string, string>;
  /**
   * How long the function's logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Log level of the application (Powertools Logger and Lambda's JSON log filter).
   * @default "INFO"
   */
  readonly logLevel?: "DEBUG" | "INFO" | "WARN" | "ERROR";
  /**
   * Extra commands, e.g. to bundle custom parsers next to the handler. They run after the house
   * ones (which copy {@link HOUSE_RUNTIME_FILES} into the bundle).
   * @default - none
   */
  readonly commandHooks?: NonNullable<NodejsFunctionProps["bundling"]>["commandHooks"];
  /**
   * Escape hatch: any `NodejsFunction` prop, applied last (the house settings above are
   * overridden by what is given here).
   * @default - none
   */
  readonly overrides?: Partial<NodejsFunctionProps>;
}

/** A shadowhub Lambda function built the house way. */
export class HouseFunction extends Construct {
  /** The function. */
  public readonly function: NodejsFunction;
  /** Its execution role: starts with log-writing permission on its own log group only. */
  public readonly role: iam.Role;
  /** Its log group, with retention. */
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: HouseFunctionProps) {
    super(scope, id);
    const logLevel = props.logLevel ?? "INFO";
    this.logGroup = new logs.LogGroup(this, "Logs", {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = new iam.Role(this, "Role", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: `Execution role of the shadowhub ${props.serviceName} function`,
    });
    // Instead of AWSLambdaBasicExecutionRole (which grants every log group): this one only.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "WriteOwnLogs",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    this.function = new NodejsFunction(this, "Function", {
      entry: join(PROJECT_ROOT, props.entry),
      handler: "handler",
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, "package-lock.json"),
      runtime: HOUSE_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel[logLevel],
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace,
        POWERTOOLS_LOG_LEVEL: logLevel,
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: HOUSE_ESBUILD_TARGET,
        minify: true,
        // Minified class names would turn `InputError`/`ConfigurationError` (whose `name` is the
        // class name) into one-letter names in Lambda's errorType and in the logs: keep them.
        // Costs about 40 KB of bundle and a few ms of init.
        keepNames: true,
        // No source maps: parsing a multi-MB map at start-up costs cold-start time, and the
        // handlers' errors name the source, field and rule themselves.
        sourceMap: false,
        // Bundle the SDK clients: pinned versions, smaller cold start than the runtime's copy.
        bundleAwsSDK: true,
        externalModules: [],
        mainFields: ["module", "main"],
        banner: ESM_REQUIRE_BANNER,
        forceDockerBundling: false,
        commandHooks: houseCommandHooks(props.commandHooks),
      },
      ...props.overrides,
    });
  }
}
