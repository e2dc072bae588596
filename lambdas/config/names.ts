/**
 * Names of the Lambda environment variables shadowhub reads, defined once: the CDK construct
 * writes them and `loadConfig` reads them, so the two can never drift apart.
 */
export const ENV = {
  /** DynamoDB table holding the shadow records (and the shared rate limiter's buckets). */
  tableName: "SHADOWHUB_TABLE_NAME",
  /** EventBridge bus the pipeline publishes its own events to. */
  eventBusName: "SHADOWHUB_EVENT_BUS_NAME",
  /** `source` of the pipeline's own events (never `aws.*`: EventBridge reserves it). */
  eventSource: "SHADOWHUB_EVENT_SOURCE",
  /** Comma-separated ProductArns the pipeline imports into. The first one is the default. */
  productArns: "SHADOWHUB_PRODUCT_ARNS",
  /** ASFF `CompanyName`, optional. */
  companyName: "SHADOWHUB_COMPANY_NAME",
  /** ASFF `ProductName`, optional. */
  productName: "SHADOWHUB_PRODUCT_NAME",
  /** JSON array of `{ "accountId", "regions", "roleArn"? }`: where findings may be imported. */
  targets: "SHADOWHUB_TARGETS",
  /** Comma-separated accepted report formats (built-in and custom parser names). */
  formats: "SHADOWHUB_FORMATS",
  /** JSON array of `{ "name", "path" }`: custom parser modules bundled next to the handler. */
  customParsers: "SHADOWHUB_CUSTOM_PARSERS",
  /** An unchanged finding is re-sent when it is this many days from Security Hub's 90-day expiry. */
  refreshWindowDays: "SHADOWHUB_REFRESH_WINDOW_DAYS",
  /** BatchImportFindings calls per second per (account, Region), shared by all workers. */
  importRate: "SHADOWHUB_IMPORT_RATE",
  /** BatchImportFindings burst per (account, Region). */
  importBurst: "SHADOWHUB_IMPORT_BURST",
  /** The S3 landing bucket reports may be read from. */
  landingBucket: "SHADOWHUB_LANDING_BUCKET",
  /** Key prefix of reports in the landing bucket, e.g. `reports/`. */
  reportPrefix: "SHADOWHUB_REPORT_PREFIX",
  /** The Region the function runs in (set by Lambda itself). */
  region: "AWS_REGION",
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];
