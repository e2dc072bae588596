/**
 * EventBridge → SQS wiring for integration tests against moto_server: a queue, a rule with that
 * queue as its target (on a given bus, created when asked), and reading the routed events back.
 */
import {
  CreateEventBusCommand,
  type EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from "@aws-sdk/client-eventbridge";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";

/** What {@link routeEventsToQueue} sets up. */
export interface EventRoute {
  readonly eventBridge: EventBridgeClient;
  readonly sqs: SQSClient;
  readonly queueName: string;
  readonly ruleName: string;
  /** The event pattern of the rule, e.g. `{ source: ["shadowhub"] }`. */
  readonly eventPattern: Readonly<Record<string, unknown>>;
  /** The bus of the rule. @default the default bus */
  readonly eventBusName?: string;
  /** Create `eventBusName` first. @default false */
  readonly createBus?: boolean;
}

/** Creates the queue and a rule routing matching events to it; answers the queue's URL and ARN. */
export async function routeEventsToQueue(route: EventRoute): Promise<{ queueUrl: string; queueArn: string }> {
  const { QueueUrl: queueUrl } = await route.sqs.send(new CreateQueueCommand({ QueueName: route.queueName }));
  const { Attributes } = await route.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }),
  );
  const queueArn = Attributes?.QueueArn;
  if (queueUrl === undefined || queueArn === undefined)
    throw new Error(`moto answered no URL or ARN for queue ${route.queueName}`);
  const bus = route.eventBusName === undefined ? {} : { EventBusName: route.eventBusName };
  if (route.createBus === true) {
    if (route.eventBusName === undefined) throw new Error("createBus needs an eventBusName");
    await route.eventBridge.send(new CreateEventBusCommand({ Name: route.eventBusName }));
  }
  await route.eventBridge.send(
    new PutRuleCommand({ Name: route.ruleName, ...bus, EventPattern: JSON.stringify(route.eventPattern) }),
  );
  await route.eventBridge.send(
    new PutTargetsCommand({ Rule: route.ruleName, ...bus, Targets: [{ Id: "queue", Arn: queueArn }] }),
  );
  return { queueUrl, queueArn };
}

/**
 * Receives the queue's messages as parsed JSON until `until(received)` holds or `attempts` long
 * polls of 1 s came back; answers what was received (the caller asserts on it, so a shortfall
 * shows as a readable difference rather than a time-out).
 */
export async function receiveEvents<T>(
  sqs: SQSClient,
  queueUrl: string,
  until: (received: readonly T[]) => boolean,
  attempts = 20,
): Promise<T[]> {
  const received: T[] = [];
  for (let attempt = 0; attempt < attempts && !until(received); attempt++) {
    const batch = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    for (const m of batch.Messages ?? []) received.push(JSON.parse(m.Body ?? "{}") as T);
  }
  return received;
}
