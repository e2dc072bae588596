/**
 * The local stand-ins for a deployed pipeline, all on 127.0.0.1: DynamoDB Local (shadow table
 * and rate limiter), `shadowhub serve` (Security Hub), moto_server (S3 landing bucket, SQS queues,
 * EventBridge bus with a rule forwarding the pipeline's events to an SQS queue the test reads).
 *
 * The handlers are configured exactly as in Lambda: through environment variables, including
 * `AWS_ENDPOINT_URL` (moto) and the per-service `AWS_ENDPOINT_URL_DYNAMODB` and
 * `AWS_ENDPOINT_URL_SECURITYHUB` overrides, which the SDK clients read themselves.
 */

import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import { createShadowTable } from "../../../lambdas/adapters/dynamodb/shadow-table.ts";
import { ENV } from "../../../lambdas/config/names.ts";
import type { SecurityHubImportedEvent } from "../../../lambdas/core/hub/contracts.ts";
import { type DynamoDbLocal, dynamoDbLocalClient, startDynamoDbLocal } from "../../helpers/dynamodb-local.ts";
import { routeEventsToQueue } from "../../helpers/eventbridge-queue.ts";
import { ACCOUNT, PRODUCT_ARN, REGION } from "../../helpers/handler-factories.ts";
import { type MotoServer, startMoto } from "../../helpers/moto.ts";
import { startTestServe, type TestServe } from "../../helpers/serve.ts";

export const CREDENTIALS = { accessKeyId: ACCOUNT, secretAccessKey: "local" };

/** Everything a handler test needs, started and wired. */
export interface HandlerEnvironment {
  readonly env: Record<string, string>;
  readonly ddb: DynamoDbLocal;
  readonly moto: MotoServer;
  readonly serve: TestServe;
  /** Security Hub's own events (aws.securityhub), as serve emitted them. */
  readonly hubEvents: SecurityHubImportedEvent[];
  readonly bucket: string;
  readonly tableName: string;
  readonly eventBusName: string;
  /** The SQS queue the bus rule forwards the pipeline's events to. */
  readonly eventsQueueUrl: string;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  stop(): Promise<void>;
}

/** Starts the services, creates the table, bucket, bus, rule and target queue, and sets `process.env`. */
export async function startHandlerEnvironment(name: string): Promise<HandlerEnvironment> {
  const hubEvents: SecurityHubImportedEvent[] = [];
  const [ddb, moto, serve] = await Promise.all([
    startDynamoDbLocal(),
    startMoto(),
    startTestServe({
      log: () => {},
      hubOptions: { eventSinks: [{ publish: async (events) => void hubEvents.push(...events) }] },
    }),
  ]);
  const tableName = `shadow-${name}`;
  const bucket = `reports-${name}`;
  const eventBusName = `shadowhub-${name}`;
  const client = dynamoDbLocalClient(ddb.endpoint);
  await createShadowTable(client, tableName);
  client.destroy();

  const common = { region: REGION, endpoint: moto.endpoint, credentials: CREDENTIALS };
  const s3 = new S3Client({ ...common, forcePathStyle: true });
  const sqs = new SQSClient(common);
  const eventBridge = new EventBridgeClient(common);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const { queueUrl: eventsQueueUrl } = await routeEventsToQueue({
    eventBridge,
    sqs,
    queueName: `events-${name}`,
    ruleName: "pipeline-events",
    eventBusName,
    createBus: true,
    eventPattern: { source: ["shadowhub"] },
  });
  eventBridge.destroy();

  const env: Record<string, string> = {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
    AWS_ENDPOINT_URL_SECURITYHUB: serve.url,
    POWERTOOLS_LOG_LEVEL: "SILENT",
    POWERTOOLS_METRICS_DISABLED: "true",
    [ENV.tableName]: tableName,
    [ENV.eventBusName]: eventBusName,
    [ENV.productArns]: PRODUCT_ARN,
    [ENV.targets]: JSON.stringify([{ accountId: ACCOUNT, regions: [REGION] }]),
    [ENV.landingBucket]: bucket,
    [ENV.reportPrefix]: "reports/",
  };
  // The SDK reads AWS_ENDPOINT_URL* from the process environment, as it does in Lambda.
  Object.assign(process.env, env);

  return {
    env,
    ddb,
    moto,
    serve,
    hubEvents,
    bucket,
    tableName,
    eventBusName,
    eventsQueueUrl,
    s3,
    sqs,
    stop: async () => {
      s3.destroy();
      sqs.destroy();
      await Promise.allSettled([ddb.stop(), moto.stop(), serve.close()]);
    },
  };
}
