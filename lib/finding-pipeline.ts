/**
 * `FindingPipeline`: the reusable construct a security vendor embeds in its own CDK app to run
 * shadowhub's import pipeline in AWS.
 *
 *   report (S3 landing bucket or inline SQS message) → SQS (DLQ, SSE, TLS-only) → ingest Lambda
 *   → Security Hub BatchImportFindings (shared DynamoDB rate limiter, DynamoDB shadow table)
 *   → EventBridge bus (the pipeline's own events)
 *
 *   Security Hub "Findings - Imported" events (default bus, filtered to the product ARNs)
 *   → customer-edits Lambda → records BatchUpdateFindings changes in the shadow.
 *
 * Props follow the CDK design guidelines: all optional with a documented default; existing-or-new
 * pairs (`existingQueue` or `queueProps`, never both); full CDK props objects as escape hatches;
 * domain settings named after ASFF/Security Hub. Invalid props throw at construction with the
 * prop, the value and the fix. Construct IDs are a contract: renaming one replaces a resource.
 */
import { existsSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { CfnElement, Duration, RemovalPolicy, Stack, Token, Validations } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import type { NodejsFunctionProps } from "aws-cdk-lib/aws-lambda-nodejs";
import type * as logs from "aws-cdk-lib/aws-logs";
import * as s3 from "aws-cdk-lib/aws-s3";
import * as s3n from "aws-cdk-lib/aws-s3-notifications";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct, type IConstruct } from "constructs";
import { ACTIVE_SCOPE_INDEX, SHADOW_ATTRIBUTES } from "../lambdas/adapters/dynamodb/shadow-table.ts";
import { CONFIG_DEFAULTS } from "../lambdas/config/load-config.ts";
import { ENV } from "../lambdas/config/names.ts";
import { IMPORT_BURST, IMPORT_RATE_PER_SECOND, RETENTION_DAYS } from "../lambdas/core/asff/limits.ts";
import { ConfigurationError } from "../lambdas/core/errors.ts";
import { BUILT_IN_FORMATS } from "../lambdas/core/parsers/contracts.ts";
import { HouseFunction, PROJECT_ROOT } from "./house-function.ts";

/** An account findings may be imported into, its allowed Regions, and the role to assume there. */
export interface FindingTarget {
  /** 12-digit account id: the findings' `AwsAccountId`. */
  readonly accountId: string;
  /** Regions whose Security Hub may receive this account's findings. */
  readonly regions: string[];
  /**
   * Role the ingest function assumes to import into this account.
   * @default - none: the function imports with its own credentials (same account, or an
   *   allow-listed partner account importing for customers)
   */
  readonly roleArn?: string;
}

/** A custom scanner format, bundled next to the ingest handler. */
export interface CustomParserSource {
  /** Lower-case format name messages use in `format`, e.g. `acme-scan`. */
  readonly name: string;
  /** Path of the module (TypeScript or JavaScript) whose default export is a `ReportParser`. */
  readonly entry: string;
}

/** Props of {@link FindingPipeline}. */
export interface FindingPipelineProps {
  // ---- Security Hub / ASFF domain settings ----
  /**
   * The `ProductArn`s findings are imported under. The ingest function may call
   * `securityhub:BatchImportFindings` on these only; the customer-edits rule listens to these only.
   * @default - the stack account's default product in the stack's Region:
   *   `arn:PARTITION:securityhub:REGION:ACCOUNT:product/ACCOUNT/default`
   */
  readonly productArns?: string[];
  /**
   * ASFF `CompanyName` written into findings (honoured by Security Hub for custom integrations).
   * @default - none (Security Hub fills it in for the default product)
   */
  readonly companyName?: string;
  /**
   * ASFF `ProductName` written into findings.
   * @default - none (Security Hub fills it in for the default product)
   */
  readonly productName?: string;
  /**
   * Accounts (and their Regions and roles) findings may be imported into; anything else is refused.
   * @default - the stack's own account and Region, without assuming a role
   */
  readonly targets?: FindingTarget[];
  /**
   * Report formats the ingest function accepts (built-in names and custom parser names).
   * @default - every built-in format (`trivy`, `grype`, `sarif`, `zap`, `asff`) and every custom parser
   */
  readonly formats?: string[];
  /**
   * Custom scanner formats, bundled with the ingest function.
   * @default - none
   */
  readonly customParsers?: CustomParserSource[];
  /**
   * An unchanged finding is re-sent once it is this close to Security Hub's 90-day expiry (90 days
   * after its last provider update), so a finding still reported by the scanner never expires.
   * @default Duration.days(30)
   */
  readonly refreshWindow?: Duration;
  /**
   * BatchImportFindings calls per second per (account, Region), shared by every worker through
   * the DynamoDB rate limiter. Security Hub's quota is 10.
   * @default 10
   */
  readonly importRatePerSecond?: number;
  /**
   * BatchImportFindings burst per (account, Region). Security Hub's quota is 30.
   * @default 30
   */
  readonly importBurst?: number;
  /**
   * `source` of the pipeline's own events. EventBridge reserves `aws.*` for AWS services.
   * @default "shadowhub"
   */
  readonly eventSource?: string;

  // ---- Event bus (existing or new) ----
  /**
   * An existing bus for the pipeline's own events. Give this or `eventBusProps`, not both.
   * @default - a new bus is created
   */
  readonly existingEventBus?: events.IEventBus;
  /**
   * Props of the bus created when `existingEventBus` is not given.
   * @default - CDK defaults, a generated name
   */
  readonly eventBusProps?: events.EventBusProps;

  // ---- Ingest queue (existing or new) ----
  /**
   * An existing queue feeding the ingest function. Give this or `queueProps`, not both. Its
   * visibility timeout must be at least 6 × `ingestTimeout`, and it should have a DLQ.
   * @default - a new encrypted, TLS-only queue with a DLQ is created
   */
  readonly existingQueue?: sqs.IQueue;
  /**
   * Props of the queue created when `existingQueue` is not given (merged over the secure
   * defaults: SSE-SQS, enforceSSL, visibility timeout 6 × `ingestTimeout`, the DLQ).
   * @default - the secure defaults
   */
  readonly queueProps?: sqs.QueueProps;
  /**
   * Props of the dead-letter queue created for a new queue.
   * @default - SSE-SQS, enforceSSL, 14 days retention
   */
  readonly deadLetterQueueProps?: sqs.QueueProps;
  /**
   * Deliveries of one message before it is moved to the DLQ.
   * @default 5
   */
  readonly maxReceiveCount?: number;

  // ---- Event source mapping ----
  /**
   * Messages per invocation (1–10000; above 10 needs `maxBatchingWindow`).
   * @default 10
   */
  readonly batchSize?: number;
  /**
   * How long Lambda gathers messages before invoking (0–300 s).
   * @default Duration.seconds(5)
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Concurrent ingest invocations (2–1000). Workers share the import quota through the rate
   * limiter, so more workers than calls per second only wait: see docs/deploy.md for the sum.
   * @default 3
   */
  readonly maxConcurrency?: number;

  // ---- Shadow table (existing or new) ----
  /**
   * An existing table with the shadow layout (`lambdas/adapters/dynamodb/shadow-table.ts`). Give this or `tableProps`.
   * @default - a new on-demand, PITR-enabled, encrypted table is created
   */
  readonly existingTable?: dynamodb.ITable;
  /**
   * Props merged over the new table's defaults (the key schema and index are fixed).
   * @default - on-demand, PITR, AWS-managed encryption, TTL, RETAIN on delete
   */
  readonly tableProps?: Partial<dynamodb.TableProps>;

  // ---- Landing bucket (existing or new) ----
  /**
   * An existing bucket reports are uploaded to. Give this or `bucketProps`, not both.
   * @default - a new encrypted, private, TLS-only bucket with lifecycle expiry is created
   */
  readonly existingBucket?: s3.IBucket;
  /**
   * Props merged over the new bucket's secure defaults.
   * @default - S3-managed encryption, public access blocked, enforceSSL, no versioning,
   *   objects expire after `reportExpiration`
   */
  readonly bucketProps?: s3.BucketProps;
  /**
   * Key prefix of reports; `PREFIX<scope>/<file>` carries the scope. Must end with `/`.
   * @default "reports/"
   */
  readonly reportPrefix?: string;
  /**
   * Reports are deleted from the new landing bucket this long after upload.
   * @default Duration.days(7)
   */
  readonly reportExpiration?: Duration;
  /**
   * Bucket receiving the landing bucket's server access logs.
   * @default - no access logs (uploads are short-lived; CloudTrail data events can record them)
   */
  readonly accessLogsBucket?: s3.IBucket;

  // ---- Functions ----
  /**
   * Ingest function timeout (1 s – 15 min); the queue's visibility timeout is 6 × this.
   * @default Duration.minutes(5)
   */
  readonly ingestTimeout?: Duration;
  /**
   * Ingest function memory in MB.
   * @default 1024
   */
  readonly ingestMemorySize?: number;
  /**
   * Customer-edits function timeout.
   * @default Duration.seconds(30)
   */
  readonly customEditsTimeout?: Duration;
  /**
   * Customer-edits function memory in MB.
   * @default 256
   */
  readonly customEditsMemorySize?: number;
  /**
   * Escape hatch: `NodejsFunction` props applied last to the ingest function.
   * @default - none
   */
  readonly ingestFunctionProps?: Partial<NodejsFunctionProps>;
  /**
   * Escape hatch: `NodejsFunction` props applied last to the customer-edits function.
   * @default - none
   */
  readonly customEditsFunctionProps?: Partial<NodejsFunctionProps>;
  /**
   * Retention of both functions' logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * CloudWatch namespace of the Powertools metrics.
   * @default "shadowhub"
   */
  readonly metricsNamespace?: string;

  // ---- Alarms ----
  /**
   * Alarm when the oldest message in the ingest queue is older than this.
   * @default Duration.minutes(30)
   */
  readonly maxQueueAge?: Duration;
  /**
   * Whether to create a CloudWatch dashboard.
   * @default true
   */
  readonly dashboard?: boolean;
}

const PRODUCT_ARN =
  /^arn:(aws|aws-cn|aws-us-gov):securityhub:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):product\/([^/\s]+)\/([^/\s]+)$/;
const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role\/[\w+=,.@/-]+$/;
const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;
const FORMAT_NAME = /^[a-z][a-z0-9-]*$/;
/** Lambda's event source mapping limits for SQS. */
const ESM_LIMITS = { maxBatchSize: 10_000, maxWindowSeconds: 300, minConcurrency: 2, maxConcurrency: 1000 };
/** The visibility timeout must cover the function timeout with room for retries (AWS guidance: 6×). */
const VISIBILITY_FACTOR = 6;

/** Throws the construct's validation error: the prop, the value and the fix. */
function invalid(prop: string, value: unknown, fix: string): never {
  const shown = typeof value === "string" ? `"${value}"` : JSON.stringify(value);
  throw new ConfigurationError(`FindingPipeline: invalid ${prop} ${shown}: ${fix}`);
}

function literal(value: string | undefined): value is string {
  return value !== undefined && !Token.isUnresolved(value);
}

/** The SQS → Lambda → Security Hub import pipeline with its shadow, events and customer-edit tracking. */
export class FindingPipeline extends Construct {
  /** The queue reports (inline or S3 notifications) arrive on. */
  public readonly queue: sqs.IQueue;
  /** The ingest queue's dead-letter queue (undefined when `existingQueue` was given). */
  public readonly deadLetterQueue?: sqs.Queue;
  /** Dead-letter queue of the customer-edits rule target and function. */
  public readonly customEditsDeadLetterQueue: sqs.Queue;
  /** The DynamoDB shadow table (also holds the shared rate limiter's buckets). */
  public readonly table: dynamodb.ITable;
  /** The S3 landing bucket. */
  public readonly bucket: s3.IBucket;
  /** The bus the pipeline publishes its own events to. */
  public readonly eventBus: events.IEventBus;
  /** The ingest function. */
  public readonly ingestFunction: lambda.Function;
  /** The customer-edits function. */
  public readonly customEditsFunction: lambda.Function;
  /** The rule on the default bus routing Security Hub's imported events to the customer-edits function. */
  public readonly customEditsRule: events.Rule;
  /** The event source mapping of the ingest function. */
  public readonly eventSource: SqsEventSource;
  /** ProductArns the pipeline imports under (tokens when defaulted in an environment-agnostic stack). */
  public readonly productArns: string[];
  /** Alarms, by purpose; add actions to them (`alarm.addAlarmAction(...)`). */
  public readonly alarms: {
    readonly deadLetterQueueNotEmpty?: cloudwatch.Alarm;
    readonly customEditsDeadLetterQueueNotEmpty: cloudwatch.Alarm;
    readonly ingestErrors: cloudwatch.Alarm;
    readonly ingestThrottles: cloudwatch.Alarm;
    readonly customEditsErrors: cloudwatch.Alarm;
    readonly customEditsThrottles: cloudwatch.Alarm;
    readonly failedFindings: cloudwatch.Alarm;
    readonly queueAge: cloudwatch.Alarm;
  };
  /** The dashboard (undefined when `dashboard: false`). */
  public readonly dashboard?: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: FindingPipelineProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    const settings = validate(props);

    this.productArns = props.productArns ?? [
      stack.formatArn({
        service: "securityhub",
        resource: "product",
        resourceName: `${stack.account}/default`,
      }),
    ];
    const targetList: FindingTarget[] = props.targets ?? [
      { accountId: stack.account, regions: [stack.region] },
    ];
    if (props.productArns !== undefined) checkProductRegions(this.productArns, targetList);

    // ---- State ----
    this.table = props.existingTable ?? this.createTable(props.tableProps);

    // ---- Events ----
    this.eventBus = props.existingEventBus ?? new events.EventBus(this, "EventBus", props.eventBusProps);

    // ---- Landing bucket ----
    this.bucket = props.existingBucket ?? this.createBucket(props, settings.reportExpiration);

    // ---- Queues ----
    if (props.existingQueue !== undefined) {
      this.queue = props.existingQueue;
    } else {
      this.deadLetterQueue = new sqs.Queue(this, "DeadLetterQueue", {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
        ...props.deadLetterQueueProps,
      });
      this.queue = new sqs.Queue(this, "Queue", {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        visibilityTimeout: Duration.seconds(settings.ingestTimeout.toSeconds() * VISIBILITY_FACTOR),
        retentionPeriod: Duration.days(4),
        deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: settings.maxReceiveCount },
        ...props.queueProps,
      });
    }
    this.customEditsDeadLetterQueue = new sqs.Queue(this, "CustomEditsDeadLetterQueue", {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    // S3 object-created notifications feed the same queue, so MB-sized reports take the same path.
    this.bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.SqsDestination(this.queue), {
      prefix: settings.reportPrefix,
    });

    // ---- Functions ----
    const environment: Record<string, string> = {
      [ENV.tableName]: this.table.tableName,
      [ENV.eventBusName]: this.eventBus.eventBusName,
      [ENV.eventSource]: settings.eventSource,
      [ENV.productArns]: this.productArns.join(","),
      [ENV.targets]: stack.toJsonString(targetList),
      [ENV.formats]: settings.formats.join(","),
      [ENV.refreshWindowDays]: String(settings.refreshWindowDays),
      [ENV.importRate]: String(settings.importRatePerSecond),
      [ENV.importBurst]: String(settings.importBurst),
      [ENV.landingBucket]: this.bucket.bucketName,
      [ENV.reportPrefix]: settings.reportPrefix,
      ...(props.companyName === undefined ? {} : { [ENV.companyName]: props.companyName }),
      ...(props.productName === undefined ? {} : { [ENV.productName]: props.productName }),
      ...(settings.customParsers.length === 0
        ? {}
        : {
            [ENV.customParsers]: JSON.stringify(
              settings.customParsers.map((p) => ({ name: p.name, path: `/var/task/parsers/${p.name}.mjs` })),
            ),
          }),
    };
    const metricsNamespace = props.metricsNamespace ?? "shadowhub";

    const ingest = new HouseFunction(this, "Ingest", {
      entry: "lambdas/handlers/ingest.ts",
      serviceName: "shadowhub-ingest",
      metricsNamespace,
      timeout: settings.ingestTimeout,
      memorySize: props.ingestMemorySize ?? 1024,
      environment,
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
      ...(settings.customParsers.length === 0
        ? {}
        : { commandHooks: customParserHooks(settings.customParsers) }),
      ...(props.ingestFunctionProps === undefined ? {} : { overrides: props.ingestFunctionProps }),
    });
    this.ingestFunction = ingest.function;

    const edits = new HouseFunction(this, "CustomEdits", {
      entry: "lambdas/handlers/customer-edits.ts",
      serviceName: "shadowhub-customer-edits",
      metricsNamespace,
      timeout: props.customEditsTimeout ?? Duration.seconds(30),
      memorySize: props.customEditsMemorySize ?? 256,
      environment,
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
      overrides: {
        // Asynchronous invocations (from EventBridge) that still fail after Lambda's retries.
        deadLetterQueue: this.customEditsDeadLetterQueue,
        retryAttempts: 2,
        ...props.customEditsFunctionProps,
      },
    });
    this.customEditsFunction = edits.function;

    // ---- Ingest mapping ----
    this.eventSource = new SqsEventSource(this.queue, {
      batchSize: settings.batchSize,
      maxBatchingWindow: settings.maxBatchingWindow,
      reportBatchItemFailures: true,
      maxConcurrency: settings.maxConcurrency,
    });
    this.ingestFunction.addEventSource(this.eventSource);

    // ---- Customer edits rule (default bus) ----
    this.customEditsRule = new events.Rule(this, "CustomEditsRule", {
      description: "Security Hub imported-finding events of shadowhub's products, to record customer edits",
      eventPattern: {
        source: ["aws.securityhub"],
        detailType: ["Security Hub Findings - Imported"],
        detail: { findings: { ProductArn: this.productArns } },
      },
      targets: [
        new targets.LambdaFunction(this.customEditsFunction, {
          deadLetterQueue: this.customEditsDeadLetterQueue,
          retryAttempts: 8,
          maxEventAge: Duration.hours(6),
        }),
      ],
    });

    // ---- Least privilege ----
    this.grantIngest(ingest.role, targetList, settings.reportPrefix);
    this.grantCustomEdits(edits.role);

    // ---- Alarms and dashboard ----
    this.alarms = this.createAlarms(metricsNamespace, settings.maxQueueAge);
    if (props.dashboard !== false) this.dashboard = this.createDashboard(metricsNamespace);

    this.acknowledgeNagFindings(ingest, edits, settings.reportPrefix);
  }

  /** The table layout of `lambdas/adapters/dynamodb/shadow-table.ts` (docs/shadow-store.md). */
  private createTable(tableProps: Partial<dynamodb.TableProps> | undefined): dynamodb.Table {
    const table = new dynamodb.Table(this, "ShadowTable", {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: SHADOW_ATTRIBUTES.expiresAt,
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: true,
      ...tableProps,
      partitionKey: { name: SHADOW_ATTRIBUTES.pk, type: dynamodb.AttributeType.STRING },
    });
    // Sparse: only ACTIVE records with a scope carry `activeScope`, so the index holds exactly
    // the archiving candidates.
    table.addGlobalSecondaryIndex({
      indexName: ACTIVE_SCOPE_INDEX,
      partitionKey: { name: SHADOW_ATTRIBUTES.activeScope, type: dynamodb.AttributeType.STRING },
      sortKey: { name: SHADOW_ATTRIBUTES.pk, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
    return table;
  }

  private createBucket(props: FindingPipelineProps, expiration: Duration): s3.Bucket {
    return new s3.Bucket(this, "LandingBucket", {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // Reports are transient inputs: keeping old versions would only keep scanner output longer.
      versioned: false,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        { id: "expire-reports", expiration, abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      ...(props.accessLogsBucket === undefined
        ? {}
        : { serverAccessLogsBucket: props.accessLogsBucket, serverAccessLogsPrefix: "landing/" }),
      removalPolicy: RemovalPolicy.RETAIN,
      ...props.bucketProps,
    });
  }

  /** The table and scope-index ARNs (explicit: no `index/*`). */
  private tableResources(): string[] {
    return [this.table.tableArn, `${this.table.tableArn}/index/${ACTIVE_SCOPE_INDEX}`];
  }

  private grantIngest(role: iam.Role, targetList: readonly FindingTarget[], reportPrefix: string): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "ImportFindings",
        actions: ["securityhub:BatchImportFindings"],
        resources: [...this.productArns, ...productSubscriptionArns(this.productArns, targetList)],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "ShadowTable",
        actions: [...INGEST_TABLE_ACTIONS],
        resources: this.tableResources(),
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "PublishEvents",
        actions: ["events:PutEvents"],
        resources: [this.eventBus.eventBusArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "ReadReports",
        actions: ["s3:GetObject"],
        resources: [this.bucket.arnForObjects(`${reportPrefix}*`)],
      }),
    );
    const roleArns = [...new Set(targetList.flatMap((t) => (t.roleArn === undefined ? [] : [t.roleArn])))];
    if (roleArns.length > 0) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: "AssumeTargetRoles",
          actions: ["sts:AssumeRole"],
          resources: roleArns,
        }),
      );
    }
  }

  private grantCustomEdits(role: iam.Role): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "ShadowTable",
        actions: [...CUSTOM_EDITS_TABLE_ACTIONS],
        resources: [this.table.tableArn],
      }),
    );
  }

  private createAlarms(namespace: string, maxQueueAge: Duration): FindingPipeline["alarms"] {
    const notEmpty = (id: string, queue: sqs.IQueue, what: string) =>
      new cloudwatch.Alarm(this, id, {
        alarmDescription: `${what} holds messages that failed every retry: inspect and redrive them`,
        metric: queue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: "Maximum",
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    const atLeastOne = (id: string, metric: cloudwatch.IMetric, description: string) =>
      new cloudwatch.Alarm(this, id, {
        alarmDescription: description,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    const fiveMinutes = { period: Duration.minutes(5), statistic: "Sum" };
    return {
      ...(this.deadLetterQueue === undefined
        ? {}
        : {
            deadLetterQueueNotEmpty: notEmpty(
              "DeadLetterQueueNotEmpty",
              this.deadLetterQueue,
              "The ingest DLQ",
            ),
          }),
      customEditsDeadLetterQueueNotEmpty: notEmpty(
        "CustomEditsDeadLetterQueueNotEmpty",
        this.customEditsDeadLetterQueue,
        "The customer-edits DLQ",
      ),
      ingestErrors: atLeastOne(
        "IngestErrors",
        this.ingestFunction.metricErrors(fiveMinutes),
        "The ingest function failed (whole invocations, not single reports)",
      ),
      ingestThrottles: atLeastOne(
        "IngestThrottles",
        this.ingestFunction.metricThrottles(fiveMinutes),
        "The ingest function was throttled by Lambda",
      ),
      customEditsErrors: atLeastOne(
        "CustomEditsErrors",
        this.customEditsFunction.metricErrors(fiveMinutes),
        "The customer-edits function failed",
      ),
      customEditsThrottles: atLeastOne(
        "CustomEditsThrottles",
        this.customEditsFunction.metricThrottles(fiveMinutes),
        "The customer-edits function was throttled by Lambda",
      ),
      failedFindings: atLeastOne(
        "FailedFindings",
        failedFindingsMetric(namespace),
        "Findings were refused (bad report, InvalidInput, hub or product not enabled): see the ingest logs",
      ),
      queueAge: new cloudwatch.Alarm(this, "QueueAge", {
        alarmDescription: `The oldest report waiting in the ingest queue is older than ${maxQueueAge.toHumanString()}`,
        metric: this.queue.metricApproximateAgeOfOldestMessage({
          period: Duration.minutes(1),
          statistic: "Maximum",
        }),
        threshold: maxQueueAge.toSeconds(),
        evaluationPeriods: 5,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    };
  }

  private createDashboard(namespace: string): cloudwatch.Dashboard {
    const sum = (metricName: string) =>
      new cloudwatch.Metric({
        namespace,
        metricName,
        dimensionsMap: { service: "shadowhub-ingest" },
        statistic: "Sum",
        period: Duration.minutes(5),
      });
    const dashboard = new cloudwatch.Dashboard(this, "Dashboard", { defaultInterval: Duration.days(1) });
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: "Findings",
        left: PIPELINE_METRICS.map(sum),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: "Ingest queue",
        left: [
          this.queue.metricApproximateNumberOfMessagesVisible(),
          ...(this.deadLetterQueue === undefined
            ? []
            : [this.deadLetterQueue.metricApproximateNumberOfMessagesVisible()]),
        ],
        right: [this.queue.metricApproximateAgeOfOldestMessage()],
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: "Functions",
        left: [
          this.ingestFunction.metricErrors(),
          this.ingestFunction.metricThrottles(),
          this.customEditsFunction.metricErrors(),
          this.customEditsFunction.metricThrottles(),
        ],
        right: [this.ingestFunction.metricDuration()],
        width: 12,
      }),
      new cloudwatch.AlarmStatusWidget({ title: "Alarms", alarms: Object.values(this.alarms), width: 12 }),
    );
    return dashboard;
  }

  /**
   * cdk-nag acknowledgements (CDK `Validations`), each with its reason in words; every other
   * finding must pass. Rule ids with a finding in brackets acknowledge that one finding only.
   */
  private acknowledgeNagFindings(ingest: HouseFunction, edits: HouseFunction, reportPrefix: string): void {
    const ack = (scope: IConstruct, id: string, reason: string) =>
      Validations.of(scope).acknowledge({ id, reason });
    const pinned =
      "The runtime is pinned on purpose (Node.js 22, the version the handlers are built and tested for); upgrades are deliberate changes, not drift.";
    for (const fn of [ingest, edits]) {
      ack(
        fn.role,
        "AwsSolutions-IAM5[Resource::*]",
        "X-Ray's PutTraceSegments and PutTelemetryRecords have no resource-level permissions, so CDK's tracing grant must use Resource *; no other statement of this role has a wildcard resource.",
      );
      ack(fn.function, "AwsSolutions-L1", pinned);
      ack(fn.function, "Serverless-LambdaLatestVersion", pinned);
    }
    const stack = Stack.of(this);
    const bucketArn =
      this.bucket.node.defaultChild instanceof CfnElement
        ? `<${stack.getLogicalId(this.bucket.node.defaultChild)}.Arn>`
        : stack.resolve(this.bucket.bucketArn);
    ack(
      ingest.role,
      `AwsSolutions-IAM5[Resource::${typeof bucketArn === "string" ? bucketArn : JSON.stringify(bucketArn)}/${reportPrefix}*]`,
      `The ingest function reads any report uploaded under the landing bucket's "${reportPrefix}" prefix; object keys are not known in advance, so the object ARN ends in a wildcard.`,
    );
    ack(
      ingest.function,
      "Serverless-LambdaDLQ",
      "The ingest function is invoked only by its SQS event source mapping; failed messages go to the source queue's dead-letter queue through its redrive policy, which is where a DLQ belongs for SQS.",
    );
    ack(
      ingest.function,
      "Serverless-LambdaAsyncFailureDestination",
      "The ingest function is never invoked asynchronously; SQS failures are handled by the queue's redrive policy and dead-letter queue.",
    );
    ack(
      edits.function,
      "Serverless-LambdaAsyncFailureDestination",
      "Failed asynchronous invocations go to the customer-edits dead-letter queue (DeadLetterConfig); an on-failure destination would duplicate it.",
    );
    ack(
      ingest.function,
      "Serverless-LambdaEventSourceMappingDestination",
      "Lambda supports on-failure destinations for stream and Kafka sources, not SQS; for SQS the dead-letter queue is configured on the source queue (redrive policy), and it is.",
    );
    const dlqs: [sqs.Queue, string][] = [
      [this.customEditsDeadLetterQueue, "the customer-edits rule target and function"],
      ...(this.deadLetterQueue === undefined
        ? []
        : [[this.deadLetterQueue, "the ingest queue"] as [sqs.Queue, string]]),
    ];
    for (const [queue, owner] of dlqs) {
      const reason = `This queue is itself the dead-letter queue of ${owner}; a dead-letter queue of a dead-letter queue would only move the problem.`;
      ack(queue, "AwsSolutions-SQS3", reason);
      ack(queue, "Serverless-SQSRedrivePolicy", reason);
    }
    if (this.bucket.node.scope === this) {
      ack(
        this.bucket,
        "AwsSolutions-S1",
        "Reports are short-lived inputs deleted by the lifecycle rule; pass accessLogsBucket to enable server access logs, or record object access with CloudTrail data events.",
      );
    }
    // The bucket-notification custom resource CDK adds to the stack (one per stack, fixed id).
    const handler = stack.node.tryFindChild(BUCKET_NOTIFICATIONS_HANDLER_ID);
    if (handler !== undefined) {
      ack(
        handler,
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
        "CDK's own bucket-notification custom resource uses AWSLambdaBasicExecutionRole; it runs only during deployment, to configure the landing bucket's notifications.",
      );
      ack(
        handler,
        "AwsSolutions-IAM5[Resource::*]",
        "CDK's own bucket-notification custom resource generates its s3:PutBucketNotification policy with a wildcard resource; it runs only during deployment.",
      );
    }
  }
}

/** CDK's fixed id of the stack-level bucket-notification handler (aws-s3/lib/notifications-resource). */
const BUCKET_NOTIFICATIONS_HANDLER_ID = "BucketNotificationsHandler050a0587b7544547bf325f094a3db834";

/** DynamoDB actions of the ingest function: the shadow store's reads/conditional writes and the limiter's updates. */
export const INGEST_TABLE_ACTIONS = [
  "dynamodb:BatchGetItem",
  "dynamodb:GetItem",
  "dynamodb:Query",
  "dynamodb:UpdateItem",
] as const;

/** DynamoDB actions of the customer-edits function: `markCustomerTouched` is one conditional UpdateItem. */
export const CUSTOM_EDITS_TABLE_ACTIONS = ["dynamodb:UpdateItem"] as const;

/** Powertools metric names the ingest handler emits (EMF), also graphed on the dashboard. */
export const PIPELINE_METRICS = [
  "created",
  "updated",
  "unchanged",
  "archived",
  "refreshed",
  "failed",
  "throttled",
] as const;

/** The `failed` findings metric, summed over every error code. */
function failedFindingsMetric(namespace: string): cloudwatch.IMetric {
  return new cloudwatch.Metric({
    namespace,
    metricName: "failed",
    dimensionsMap: { service: "shadowhub-ingest" },
    statistic: "Sum",
    period: Duration.minutes(5),
  });
}

/** Validated and defaulted settings. */
interface Settings {
  readonly formats: string[];
  readonly customParsers: CustomParserSource[];
  readonly refreshWindowDays: number;
  readonly importRatePerSecond: number;
  readonly importBurst: number;
  readonly eventSource: string;
  readonly maxReceiveCount: number;
  readonly batchSize: number;
  readonly maxBatchingWindow: Duration;
  readonly maxConcurrency: number;
  readonly reportPrefix: string;
  readonly reportExpiration: Duration;
  readonly ingestTimeout: Duration;
  readonly maxQueueAge: Duration;
}

function exclusive(
  props: FindingPipelineProps,
  existing: keyof FindingPipelineProps,
  created: keyof FindingPipelineProps,
) {
  if (props[existing] !== undefined && props[created] !== undefined) {
    invalid(
      created,
      Object.keys(props[created] as object),
      `give either ${existing} (use an existing resource) or ${created} (configure a new one), not both`,
    );
  }
}

/** Checks every prop that can be checked at synth time; throws on the first invalid one. */
function validate(props: FindingPipelineProps): Settings {
  exclusive(props, "existingQueue", "queueProps");
  exclusive(props, "existingQueue", "deadLetterQueueProps");
  exclusive(props, "existingTable", "tableProps");
  exclusive(props, "existingBucket", "bucketProps");
  exclusive(props, "existingBucket", "accessLogsBucket");
  exclusive(props, "existingEventBus", "eventBusProps");

  if (props.productArns !== undefined) {
    if (props.productArns.length === 0) {
      invalid(
        "productArns",
        props.productArns,
        "give at least one ProductArn, or leave productArns out for the account's default product",
      );
    }
    for (const arn of props.productArns) {
      if (literal(arn) && !PRODUCT_ARN.test(arn)) {
        invalid(
          "productArns",
          arn,
          "use a Security Hub product ARN: arn:PARTITION:securityhub:REGION:ACCOUNT:product/COMPANY/PRODUCT (e.g. product/123456789012/default)",
        );
      }
    }
  }
  for (const [prop, value] of [
    ["companyName", props.companyName],
    ["productName", props.productName],
  ] as const) {
    if (literal(value) && (value.trim() === "" || value.length > 128)) {
      invalid(prop, value, "use a non-empty name of at most 128 characters, or leave it out");
    }
  }
  if (props.targets !== undefined) {
    if (props.targets.length === 0) {
      invalid(
        "targets",
        props.targets,
        "list at least one {accountId, regions}, or leave targets out for the stack's own account and Region",
      );
    }
    const seen = new Set<string>();
    props.targets.forEach((target, index) => {
      if (literal(target.accountId) && !ACCOUNT_ID.test(target.accountId)) {
        invalid(`targets[${index}].accountId`, target.accountId, "use a 12-digit AWS account id");
      }
      if (seen.has(target.accountId)) {
        invalid(
          `targets[${index}].accountId`,
          target.accountId,
          "list each account once, with all its Regions",
        );
      }
      seen.add(target.accountId);
      if (target.regions.length === 0) {
        invalid(`targets[${index}].regions`, target.regions, 'list at least one Region, e.g. ["us-east-1"]');
      }
      for (const region of target.regions) {
        if (literal(region) && !REGION.test(region)) {
          invalid(`targets[${index}].regions`, region, "use a Region name such as us-east-1");
        }
      }
      if (literal(target.roleArn)) {
        const match = ROLE_ARN.exec(target.roleArn);
        if (match === null) {
          invalid(
            `targets[${index}].roleArn`,
            target.roleArn,
            "use an IAM role ARN: arn:aws:iam::ACCOUNT:role/NAME",
          );
        }
        if (literal(target.accountId) && match[2] !== target.accountId) {
          invalid(
            `targets[${index}].roleArn`,
            target.roleArn,
            `the role must be in the target account ${target.accountId}, not ${match[2]}`,
          );
        }
      }
    });
  }

  const customParsers = props.customParsers ?? [];
  const customNames = new Set<string>();
  for (const [index, parser] of customParsers.entries()) {
    if (!FORMAT_NAME.test(parser.name) || (BUILT_IN_FORMATS as readonly string[]).includes(parser.name)) {
      invalid(
        `customParsers[${index}].name`,
        parser.name,
        `use a lower-case name (letters, digits, dashes) that is not a built-in format (${BUILT_IN_FORMATS.join(", ")})`,
      );
    }
    if (customNames.has(parser.name))
      invalid(`customParsers[${index}].name`, parser.name, "give each parser a unique name");
    customNames.add(parser.name);
    const path = isAbsolute(parser.entry) ? parser.entry : join(PROJECT_ROOT, parser.entry);
    if (!existsSync(path)) {
      invalid(
        `customParsers[${index}].entry`,
        parser.entry,
        `no file at ${path}; give the parser module's path`,
      );
    }
  }
  const known = [...BUILT_IN_FORMATS, ...customNames];
  const formats = props.formats ?? known;
  if (formats.length === 0) invalid("formats", formats, `accept at least one of ${known.join(", ")}`);
  for (const format of formats) {
    if (!known.includes(format)) {
      invalid(
        "formats",
        format,
        `use a built-in format (${BUILT_IN_FORMATS.join(", ")}) or add a customParsers entry named "${format}"`,
      );
    }
  }

  const refreshWindow = props.refreshWindow ?? Duration.days(CONFIG_DEFAULTS.refreshWindowDays);
  const refreshWindowDays = refreshWindow.toDays({ integral: false });
  if (!(refreshWindowDays >= 1 && refreshWindowDays < RETENTION_DAYS)) {
    invalid(
      "refreshWindow",
      refreshWindow.toHumanString(),
      `use between 1 and ${RETENTION_DAYS - 1} days: Security Hub deletes findings ${RETENTION_DAYS} days after their last update`,
    );
  }
  const importRatePerSecond = props.importRatePerSecond ?? IMPORT_RATE_PER_SECOND;
  if (!(importRatePerSecond > 0) || !Number.isFinite(importRatePerSecond)) {
    invalid(
      "importRatePerSecond",
      importRatePerSecond,
      `use a positive number; Security Hub's quota is ${IMPORT_RATE_PER_SECOND}`,
    );
  }
  const importBurst = props.importBurst ?? IMPORT_BURST;
  if (!(importBurst >= importRatePerSecond) || !Number.isFinite(importBurst)) {
    invalid(
      "importBurst",
      importBurst,
      `use at least importRatePerSecond (${importRatePerSecond}); Security Hub's quota is ${IMPORT_BURST}`,
    );
  }
  const eventSource = props.eventSource ?? CONFIG_DEFAULTS.eventSource;
  if (eventSource.startsWith("aws.") || !/^[\w.-]{1,256}$/.test(eventSource)) {
    invalid(
      "eventSource",
      eventSource,
      'use your own source such as "shadowhub" (EventBridge reserves "aws.*"; letters, digits, ".", "-", "_")',
    );
  }

  const maxReceiveCount = props.maxReceiveCount ?? 5;
  if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > 1000) {
    invalid("maxReceiveCount", maxReceiveCount, "use an integer between 1 and 1000 (5 is a good default)");
  }
  const batchSize = props.batchSize ?? 10;
  const maxBatchingWindow = props.maxBatchingWindow ?? Duration.seconds(5);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > ESM_LIMITS.maxBatchSize) {
    invalid("batchSize", batchSize, `use an integer between 1 and ${ESM_LIMITS.maxBatchSize}`);
  }
  if (maxBatchingWindow.toSeconds() > ESM_LIMITS.maxWindowSeconds) {
    invalid(
      "maxBatchingWindow",
      maxBatchingWindow.toHumanString(),
      `use at most ${ESM_LIMITS.maxWindowSeconds} seconds`,
    );
  }
  if (batchSize > 10 && maxBatchingWindow.toSeconds() < 1) {
    invalid(
      "maxBatchingWindow",
      maxBatchingWindow.toHumanString(),
      "a batchSize above 10 needs a batching window of at least 1 second",
    );
  }
  const maxConcurrency = props.maxConcurrency ?? 3;
  if (
    !Number.isInteger(maxConcurrency) ||
    maxConcurrency < ESM_LIMITS.minConcurrency ||
    maxConcurrency > ESM_LIMITS.maxConcurrency
  ) {
    invalid(
      "maxConcurrency",
      maxConcurrency,
      `use an integer between ${ESM_LIMITS.minConcurrency} and ${ESM_LIMITS.maxConcurrency} (Lambda's limits for SQS); 3 saturates Security Hub's 10 calls/s`,
    );
  }

  const reportPrefix = props.reportPrefix ?? CONFIG_DEFAULTS.reportPrefix;
  if (!/^[\w.!*'()-]+(\/[\w.!*'()-]+)*\/$/.test(reportPrefix)) {
    invalid("reportPrefix", reportPrefix, 'use a key prefix ending in "/", e.g. "reports/"');
  }
  const reportExpiration = props.reportExpiration ?? Duration.days(7);
  if (
    reportExpiration.toDays({ integral: false }) < 1 ||
    !Number.isInteger(reportExpiration.toDays({ integral: false }))
  ) {
    invalid(
      "reportExpiration",
      reportExpiration.toHumanString(),
      "use a whole number of days, at least 1 (S3 lifecycle rules count in days)",
    );
  }
  const ingestTimeout = props.ingestTimeout ?? Duration.minutes(5);
  if (ingestTimeout.toSeconds() < 10 || ingestTimeout.toSeconds() > 900) {
    invalid(
      "ingestTimeout",
      ingestTimeout.toHumanString(),
      "use between 10 seconds and 15 minutes (Lambda's maximum)",
    );
  }
  const visibility = props.queueProps?.visibilityTimeout;
  if (visibility !== undefined && visibility.toSeconds() < ingestTimeout.toSeconds() * VISIBILITY_FACTOR) {
    invalid(
      "queueProps.visibilityTimeout",
      visibility.toHumanString(),
      `use at least ${VISIBILITY_FACTOR} × ingestTimeout = ${ingestTimeout.toSeconds() * VISIBILITY_FACTOR} seconds, or leave it out`,
    );
  }
  const maxQueueAge = props.maxQueueAge ?? Duration.minutes(30);
  if (maxQueueAge.toSeconds() < 60) {
    invalid("maxQueueAge", maxQueueAge.toHumanString(), "use at least 1 minute");
  }
  return {
    formats,
    customParsers,
    refreshWindowDays,
    importRatePerSecond,
    importBurst,
    eventSource,
    maxReceiveCount,
    batchSize,
    maxBatchingWindow,
    maxConcurrency,
    reportPrefix,
    reportExpiration,
    ingestTimeout,
    maxQueueAge,
  };
}

/** A product ARN is Regional: each must name a Region some target allows (spec §2.4). */
function checkProductRegions(productArns: readonly string[], targetList: readonly FindingTarget[]): void {
  const regions = targetList.flatMap((t) => t.regions);
  if (!regions.every(literal)) return;
  for (const arn of productArns) {
    if (!literal(arn)) continue;
    const region = PRODUCT_ARN.exec(arn)?.[2];
    if (region !== undefined && !regions.includes(region)) {
      invalid(
        "productArns",
        arn,
        `its Region ${region} is not in any target's regions (${[...new Set(regions)].join(", ")}); add it to targets or use the product ARN of an allowed Region`,
      );
    }
  }
}

/**
 * When a product belongs to another account (a partner product imported from inside a customer
 * account), Security Hub authorizes the import against the product subscription in that
 * account: `arn:PARTITION:securityhub:REGION:ACCOUNT:product-subscription/COMPANY/PRODUCT`.
 */
export function productSubscriptionArns(
  productArns: readonly string[],
  targetList: readonly FindingTarget[],
): string[] {
  const arns: string[] = [];
  for (const arn of productArns) {
    const match = literal(arn) ? PRODUCT_ARN.exec(arn) : null;
    if (match === null) continue;
    const [, partition, region, productAccount, company, product] = match;
    if (company === productAccount) continue; // the account's own default/custom product
    for (const target of targetList) {
      if (target.accountId === productAccount || !target.regions.includes(region as string)) continue;
      arns.push(
        `arn:${partition}:securityhub:${region}:${target.accountId}:product-subscription/${company}/${product}`,
      );
    }
  }
  return [...new Set(arns)];
}

/** Bundles each custom parser to `parsers/<name>.mjs` next to the handler, with the same esbuild settings. */
function customParserHooks(parsers: readonly CustomParserSource[]) {
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir: string, outputDir: string) =>
      parsers.map((parser) => {
        const entry = isAbsolute(parser.entry) ? parser.entry : join(PROJECT_ROOT, parser.entry);
        return `"${join(PROJECT_ROOT, "node_modules", ".bin", "esbuild")}" "${entry}" --bundle --platform=node --format=esm --target=node22 --minify --outfile="${join(outputDir, "parsers", `${parser.name}.mjs`)}"`;
      }),
  };
}
