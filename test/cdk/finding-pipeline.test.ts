import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { Duration, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as events from "aws-cdk-lib/aws-events";
import * as s3 from "aws-cdk-lib/aws-s3";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { ENV } from "../../lambdas/config/names.ts";
import { FindingPipeline, productSubscriptionArns } from "../../lib/finding-pipeline.ts";
import { synthPipeline, testApp } from "./synth.ts";

type Json = Record<string, unknown>;
interface Statement {
  Sid?: string;
  Action: string | string[];
  Resource: unknown;
  Effect: string;
}

/** The statements of the policy attached to the role whose logical id starts with `rolePrefix`. */
function statementsOf(template: Template, rolePrefix: string): Statement[] {
  const policies = template.findResources("AWS::IAM::Policy");
  for (const policy of Object.values(policies) as Json[]) {
    const props = policy.Properties as {
      Roles: { Ref: string }[];
      PolicyDocument: { Statement: Statement[] };
    };
    if (props.Roles.some((r) => r.Ref.startsWith(rolePrefix))) return props.PolicyDocument.Statement;
  }
  throw new Error(`no policy for role ${rolePrefix}`);
}

function bySid(statements: Statement[], sid: string): Statement {
  const found = statements.find((s) => s.Sid === sid);
  assert.ok(found, `statement ${sid} present`);
  return found;
}

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOf = (s: Statement) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

function only<T>(record: Record<string, T>): T {
  const values = Object.values(record);
  assert.equal(values.length, 1, `exactly one resource, got ${values.length}`);
  return values[0] as T;
}

describe("FindingPipeline with default props", () => {
  let template: Template;
  let pipeline: FindingPipeline;
  before(() => {
    ({ template, pipeline } = synthPipeline());
  });

  it("keeps the construct ids (and so the logical ids) of its stateful resources stable", () => {
    const ids = Object.keys(template.toJSON().Resources as Json);
    for (const id of [
      "PipelineShadowTable947FFA61",
      "PipelineLandingBucket19CD3C69",
      "PipelineQueueC13966F5",
      "PipelineDeadLetterQueueF08023D6",
      "PipelineEventBus6FAF1DE3",
      "PipelineIngestFunction56F32E1A",
      "PipelineCustomEditsFunctionB9F4A3CB",
      "PipelineCustomEditsRuleCE830DBF",
    ]) {
      assert.ok(ids.includes(id), `${id} in ${ids.join(", ")}`);
    }
  });

  describe("ingest queue", () => {
    it("is encrypted with SSE, has a DLQ after 5 receives and a visibility timeout of 6 × the function timeout", () => {
      template.hasResourceProperties("AWS::SQS::Queue", {
        SqsManagedSseEnabled: true,
        VisibilityTimeout: 6 * 300,
        RedrivePolicy: {
          deadLetterTargetArn: { "Fn::GetAtt": ["PipelineDeadLetterQueueF08023D6", "Arn"] },
          maxReceiveCount: 5,
        },
      });
      template.hasResource("AWS::SQS::Queue", {
        Properties: { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 },
      });
    });

    it("denies every non-TLS request on all three queues", () => {
      const policies = template.findResources("AWS::SQS::QueuePolicy");
      const queues = new Set<string>();
      for (const policy of Object.values(policies) as Json[]) {
        const props = policy.Properties as {
          Queues: { Ref: string }[];
          PolicyDocument: { Statement: Json[] };
        };
        const denyInsecure = props.PolicyDocument.Statement.find(
          (s) =>
            s.Effect === "Deny" &&
            JSON.stringify(s.Condition) === JSON.stringify({ Bool: { "aws:SecureTransport": "false" } }),
        );
        if (denyInsecure) for (const q of props.Queues) queues.add(q.Ref);
      }
      assert.deepEqual([...queues].sort(), [
        "PipelineCustomEditsDeadLetterQueue0553DECD",
        "PipelineDeadLetterQueueF08023D6",
        "PipelineQueueC13966F5",
      ]);
    });

    it("lets S3 (for the landing bucket only) send to the queue", () => {
      template.hasResourceProperties("AWS::SQS::QueuePolicy", {
        Queues: [{ Ref: "PipelineQueueC13966F5" }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: "Allow",
              Principal: { Service: "s3.amazonaws.com" },
              Condition: {
                ArnLike: { "aws:SourceArn": { "Fn::GetAtt": ["PipelineLandingBucket19CD3C69", "Arn"] } },
              },
            }),
          ]),
        },
      });
    });
  });

  describe("event source mapping", () => {
    it("uses batch size 10, a 5 s window, ReportBatchItemFailures and a maximum concurrency of 3", () => {
      const mapping = only(template.findResources("AWS::Lambda::EventSourceMapping")) as Json;
      assert.deepEqual(mapping.Properties, {
        BatchSize: 10,
        EventSourceArn: { "Fn::GetAtt": ["PipelineQueueC13966F5", "Arn"] },
        FunctionName: { Ref: "PipelineIngestFunction56F32E1A" },
        FunctionResponseTypes: ["ReportBatchItemFailures"],
        MaximumBatchingWindowInSeconds: 5,
        ScalingConfig: { MaximumConcurrency: 3 },
      });
    });
  });

  describe("shadow table", () => {
    it("is on-demand, PITR-enabled, encrypted, with TTL on expiresAt and the sparse activeScope index", () => {
      const table = only(template.findResources("AWS::DynamoDB::Table")) as Json;
      assert.equal(table.DeletionPolicy, "Retain");
      assert.deepEqual(table.Properties, {
        AttributeDefinitions: [
          { AttributeName: "pk", AttributeType: "S" },
          { AttributeName: "activeScope", AttributeType: "S" },
        ],
        BillingMode: "PAY_PER_REQUEST",
        DeletionProtectionEnabled: true,
        GlobalSecondaryIndexes: [
          {
            IndexName: "activeScope-index",
            KeySchema: [
              { AttributeName: "activeScope", KeyType: "HASH" },
              { AttributeName: "pk", KeyType: "RANGE" },
            ],
            Projection: { ProjectionType: "ALL" },
          },
        ],
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
      });
    });
  });

  describe("landing bucket", () => {
    it("is encrypted, private, unversioned and expires reports after 7 days", () => {
      const bucket = only(template.findResources("AWS::S3::Bucket")) as Json;
      const props = bucket.Properties as Json;
      assert.deepEqual(props.BucketEncryption, {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
      });
      assert.deepEqual(props.PublicAccessBlockConfiguration, {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      assert.equal(props.VersioningConfiguration, undefined);
      assert.deepEqual(props.LifecycleConfiguration, {
        Rules: [
          {
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
            ExpirationInDays: 7,
            Id: "expire-reports",
            Status: "Enabled",
          },
        ],
      });
    });

    it("denies non-TLS requests", () => {
      template.hasResourceProperties("AWS::S3::BucketPolicy", {
        Bucket: { Ref: "PipelineLandingBucket19CD3C69" },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
          ]),
        },
      });
    });

    it("sends object-created notifications under reports/ to the ingest queue", () => {
      const notifications = only(template.findResources("Custom::S3BucketNotifications")) as Json;
      assert.deepEqual((notifications.Properties as Json).NotificationConfiguration, {
        QueueConfigurations: [
          {
            Events: ["s3:ObjectCreated:*"],
            Filter: { Key: { FilterRules: [{ Name: "prefix", Value: "reports/" }] } },
            QueueArn: { "Fn::GetAtt": ["PipelineQueueC13966F5", "Arn"] },
          },
        ],
      });
    });
  });

  describe("customer-edits rule", () => {
    it("matches Security Hub's imported events of the configured products on the default bus", () => {
      const rule = only(template.findResources("AWS::Events::Rule")) as Json;
      const props = rule.Properties as Json;
      assert.equal(props.EventBusName, undefined, "default bus");
      assert.deepEqual(props.EventPattern, {
        source: ["aws.securityhub"],
        "detail-type": ["Security Hub Findings - Imported"],
        detail: {
          findings: {
            ProductArn: ["arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default"],
          },
        },
      });
      const [target] = props.Targets as Json[];
      assert.deepEqual(target?.Arn, { "Fn::GetAtt": ["PipelineCustomEditsFunctionB9F4A3CB", "Arn"] });
      assert.deepEqual(target?.DeadLetterConfig, {
        Arn: { "Fn::GetAtt": ["PipelineCustomEditsDeadLetterQueue0553DECD", "Arn"] },
      });
    });
  });

  describe("functions", () => {
    it("run on pinned Node.js 22, ARM64, with explicit memory and timeout, JSON logs and tracing", () => {
      for (const [memory, timeout, service] of [
        [1024, 300, "shadowhub-ingest"],
        [256, 30, "shadowhub-customer-edits"],
      ] as const) {
        template.hasResourceProperties("AWS::Lambda::Function", {
          Runtime: "nodejs22.x",
          Architectures: ["arm64"],
          MemorySize: memory,
          Timeout: timeout,
          Handler: "index.handler",
          LoggingConfig: Match.objectLike({ LogFormat: "JSON", ApplicationLogLevel: "INFO" }),
          TracingConfig: { Mode: "Active" },
          Environment: {
            Variables: Match.objectLike({
              POWERTOOLS_SERVICE_NAME: service,
              POWERTOOLS_METRICS_NAMESPACE: "shadowhub",
              [ENV.tableName]: { Ref: "PipelineShadowTable947FFA61" },
              [ENV.eventBusName]: { Ref: "PipelineEventBus6FAF1DE3" },
              [ENV.eventSource]: "shadowhub",
              [ENV.formats]: "trivy,grype,sarif,zap,asff",
              [ENV.refreshWindowDays]: "30",
              [ENV.importRate]: "10",
              [ENV.importBurst]: "30",
              [ENV.landingBucket]: { Ref: "PipelineLandingBucket19CD3C69" },
              [ENV.reportPrefix]: "reports/",
              [ENV.targets]: '[{"accountId":"111122223333","regions":["us-east-1"]}]',
            }),
          },
        });
      }
    });

    it("keep their logs one month", () => {
      const groups = Object.values(template.findResources("AWS::Logs::LogGroup")) as Json[];
      assert.equal(groups.length, 2);
      for (const group of groups) assert.equal((group.Properties as Json).RetentionInDays, 30);
    });

    it("use no AWS managed policy", () => {
      for (const role of Object.values(template.findResources("AWS::IAM::Role")) as Json[]) {
        const props = role.Properties as Json;
        const principal = JSON.stringify(props.AssumeRolePolicyDocument);
        if (principal.includes("lambda.amazonaws.com") && props.ManagedPolicyArns !== undefined) {
          // Only CDK's own bucket-notification handler (a deployment-time custom resource) has one.
          assert.ok(JSON.stringify(props).includes("AWSLambdaBasicExecutionRole"));
        }
      }
      for (const prefix of ["PipelineIngestRole", "PipelineCustomEditsRole"]) {
        const role = Object.entries(template.findResources("AWS::IAM::Role")).find(([id]) =>
          id.startsWith(prefix),
        );
        assert.ok(role, prefix);
        assert.equal(((role[1] as Json).Properties as Json).ManagedPolicyArns, undefined);
      }
    });
  });

  describe("IAM", () => {
    it("grants the ingest function exactly its actions, each on its own resources", () => {
      const statements = statementsOf(template, "PipelineIngestRole");
      assert.deepEqual(
        statements.map((s) => [s.Sid ?? "(cdk)", actionsOf(s)]),
        [
          ["WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"]],
          ["(cdk)", ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]],
          [
            "(cdk)",
            [
              "sqs:ReceiveMessage",
              "sqs:ChangeMessageVisibility",
              "sqs:GetQueueUrl",
              "sqs:DeleteMessage",
              "sqs:GetQueueAttributes",
            ],
          ],
          ["ImportFindings", ["securityhub:BatchImportFindings"]],
          [
            "ShadowTable",
            ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"],
          ],
          ["PublishEvents", ["events:PutEvents"]],
          ["ReadReports", ["s3:GetObject"]],
        ],
      );
      assert.deepEqual(resourcesOf(bySid(statements, "ImportFindings")), [
        "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default",
      ]);
      assert.deepEqual(resourcesOf(bySid(statements, "ShadowTable")), [
        { "Fn::GetAtt": ["PipelineShadowTable947FFA61", "Arn"] },
        {
          "Fn::Join": [
            "",
            [{ "Fn::GetAtt": ["PipelineShadowTable947FFA61", "Arn"] }, "/index/activeScope-index"],
          ],
        },
      ]);
      assert.deepEqual(resourcesOf(bySid(statements, "PublishEvents")), [
        { "Fn::GetAtt": ["PipelineEventBus6FAF1DE3", "Arn"] },
      ]);
      assert.deepEqual(resourcesOf(bySid(statements, "ReadReports")), [
        { "Fn::Join": ["", [{ "Fn::GetAtt": ["PipelineLandingBucket19CD3C69", "Arn"] }, "/reports/*"]] },
      ]);
    });

    it("grants the customer-edits function only UpdateItem on the table", () => {
      const statements = statementsOf(template, "PipelineCustomEditsRole");
      const table = bySid(statements, "ShadowTable");
      assert.deepEqual(actionsOf(table), ["dynamodb:UpdateItem"]);
      assert.deepEqual(resourcesOf(table), [{ "Fn::GetAtt": ["PipelineShadowTable947FFA61", "Arn"] }]);
      assert.deepEqual(
        statements.flatMap(actionsOf).filter((a) => /^(securityhub|events|s3|sts):/.test(a)),
        [],
        "no Security Hub, EventBridge, S3 or STS access",
      );
    });

    it("uses no action wildcard anywhere and no * resource for Security Hub, DynamoDB, EventBridge, S3 or STS", () => {
      for (const prefix of ["PipelineIngestRole", "PipelineCustomEditsRole"]) {
        for (const statement of statementsOf(template, prefix)) {
          for (const action of actionsOf(statement)) assert.ok(!action.includes("*"), `${prefix}: ${action}`);
          if (actionsOf(statement).some((a) => /^(securityhub|dynamodb|events|s3|sts):/.test(a))) {
            assert.ok(!resourcesOf(statement).includes("*"), `${prefix}: ${JSON.stringify(statement)}`);
          }
        }
      }
    });
  });

  describe("alarms and dashboard", () => {
    it("alarm on a non-empty DLQ, function errors and throttles, failed findings and queue age", () => {
      const alarms = Object.values(template.findResources("AWS::CloudWatch::Alarm")) as Json[];
      const summary = alarms
        .map((a) => a.Properties as Json)
        .map((p) => `${p.Namespace}/${p.MetricName}>=${p.Threshold}`)
        .sort();
      assert.deepEqual(summary, [
        "AWS/Lambda/Errors>=1",
        "AWS/Lambda/Errors>=1",
        "AWS/Lambda/Throttles>=1",
        "AWS/Lambda/Throttles>=1",
        "AWS/SQS/ApproximateAgeOfOldestMessage>=1800",
        "AWS/SQS/ApproximateNumberOfMessagesVisible>=1",
        "AWS/SQS/ApproximateNumberOfMessagesVisible>=1",
        "shadowhub/failed>=1",
      ]);
      template.hasResourceProperties("AWS::CloudWatch::Alarm", {
        MetricName: "ApproximateNumberOfMessagesVisible",
        Dimensions: [
          { Name: "QueueName", Value: { "Fn::GetAtt": ["PipelineDeadLetterQueueF08023D6", "QueueName"] } },
        ],
      });
      assert.equal(Object.keys(pipeline.alarms).length, 8);
    });

    it("creates one dashboard", () => {
      template.resourceCountIs("AWS::CloudWatch::Dashboard", 1);
    });
  });
});

describe("FindingPipeline with a partner product, several targets and tuned ingest", () => {
  const partnerProduct = "arn:aws:securityhub:eu-west-1:999988887777:product/acme/scanner";
  let template: Template;
  before(() => {
    ({ template } = synthPipeline({
      productArns: [partnerProduct],
      companyName: "Acme",
      productName: "Scanner",
      targets: [
        { accountId: "111122223333", regions: ["eu-west-1"] },
        {
          accountId: "444455556666",
          regions: ["eu-west-1", "us-east-1"],
          roleArn: "arn:aws:iam::444455556666:role/Importer",
        },
      ],
      batchSize: 100,
      maxBatchingWindow: Duration.seconds(20),
      maxConcurrency: 5,
      maxReceiveCount: 3,
      ingestTimeout: Duration.minutes(2),
      reportPrefix: "incoming/",
      reportExpiration: Duration.days(3),
      dashboard: false,
    }));
  });

  it("may import under the product and the targets' product subscriptions only", () => {
    const statement = bySid(statementsOf(template, "PipelineIngestRole"), "ImportFindings");
    assert.deepEqual(resourcesOf(statement), [
      partnerProduct,
      "arn:aws:securityhub:eu-west-1:111122223333:product-subscription/acme/scanner",
      "arn:aws:securityhub:eu-west-1:444455556666:product-subscription/acme/scanner",
    ]);
  });

  it("may assume exactly the configured target roles", () => {
    const statement = bySid(statementsOf(template, "PipelineIngestRole"), "AssumeTargetRoles");
    assert.deepEqual(actionsOf(statement), ["sts:AssumeRole"]);
    assert.deepEqual(resourcesOf(statement), ["arn:aws:iam::444455556666:role/Importer"]);
  });

  it("applies the mapping, queue and bucket settings", () => {
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 20,
      ScalingConfig: { MaximumConcurrency: 5 },
      FunctionResponseTypes: ["ReportBatchItemFailures"],
    });
    template.hasResourceProperties("AWS::SQS::Queue", {
      VisibilityTimeout: 6 * 120,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 3 }),
    });
    template.hasResourceProperties("AWS::S3::Bucket", {
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 3 })] },
    });
    template.hasResourceProperties("Custom::S3BucketNotifications", {
      NotificationConfiguration: {
        QueueConfigurations: [
          Match.objectLike({ Filter: { Key: { FilterRules: [{ Name: "prefix", Value: "incoming/" }] } } }),
        ],
      },
    });
    template.resourceCountIs("AWS::CloudWatch::Dashboard", 0);
  });

  it("filters the customer-edits rule to the partner product and passes names to the functions", () => {
    template.hasResourceProperties("AWS::Events::Rule", {
      EventPattern: Match.objectLike({ detail: { findings: { ProductArn: [partnerProduct] } } }),
    });
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({
          [ENV.productArns]: partnerProduct,
          [ENV.companyName]: "Acme",
          [ENV.productName]: "Scanner",
        }),
      },
    });
  });
});

describe("FindingPipeline with existing resources", () => {
  it("uses the given queue, table, bucket and bus instead of creating them", () => {
    const app = testApp();
    const stack = new Stack(app, "Existing", { env: { account: "111122223333", region: "us-east-1" } });
    const queue = sqs.Queue.fromQueueArn(stack, "Q", "arn:aws:sqs:us-east-1:111122223333:reports");
    const table = dynamodb.Table.fromTableName(stack, "T", "shadow");
    const bucket = s3.Bucket.fromBucketName(stack, "B", "acme-reports");
    const bus = events.EventBus.fromEventBusName(stack, "E", "acme-bus");
    const pipeline = new FindingPipeline(stack, "Pipeline", {
      existingQueue: queue,
      existingTable: table,
      existingBucket: bucket,
      existingEventBus: bus,
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs("AWS::SQS::Queue", 1); // only the customer-edits DLQ
    template.resourceCountIs("AWS::DynamoDB::Table", 0);
    template.resourceCountIs("AWS::S3::Bucket", 0);
    template.resourceCountIs("AWS::Events::EventBus", 0);
    assert.equal(pipeline.queue, queue);
    assert.equal(pipeline.deadLetterQueue, undefined);
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      EventSourceArn: "arn:aws:sqs:us-east-1:111122223333:reports",
    });
    template.hasResourceProperties("Custom::S3BucketNotifications", { BucketName: "acme-reports" });
    const statements = statementsOf(template, "PipelineIngestRole");
    assert.deepEqual(
      JSON.stringify(resourcesOf(bySid(statements, "PublishEvents"))),
      JSON.stringify(["arn:aws:events:us-east-1:111122223333:event-bus/acme-bus"]),
    );
  });
});

describe("productSubscriptionArns", () => {
  it("adds nothing for an account's own default product", () => {
    assert.deepEqual(
      productSubscriptionArns(
        ["arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default"],
        [{ accountId: "111122223333", regions: ["us-east-1"] }],
      ),
      [],
    );
  });
  it("skips targets that do not allow the product's Region", () => {
    assert.deepEqual(
      productSubscriptionArns(
        ["arn:aws:securityhub:us-east-1:999988887777:product/acme/scanner"],
        [{ accountId: "111122223333", regions: ["eu-west-1"] }],
      ),
      [],
    );
  });
});
