/**
 * Failures DynamoDB Local cannot produce on demand (unprocessed keys, throttling, 5xx), driven
 * through aws-sdk-client-mock. Everything else runs against DynamoDB Local.
 */
import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import {
  BatchGetItemCommand,
  DynamoDBClient,
  ProvisionedThroughputExceededException,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { DynamoDbShadowStore } from "../../../lambdas/adapters/dynamodb/dynamodb-shadow-store.ts";
import { classifyDynamoDbError } from "../../../lambdas/adapters/dynamodb/errors.ts";
import { ConfigurationError, ThrottlingError, TransientError } from "../../../lambdas/core/errors.ts";
import { findingKeyString } from "../../../lambdas/core/hub/contracts.ts";
import { keyOf, recordOf } from "../../contract/shadow-store.contract.ts";

const TABLE = "shadow";

function serviceError(name: string, status: number): Error {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });
}

/** A stored item as BatchGetItem returns it, for `id`. */
function itemOf(id: string) {
  const r = recordOf(id);
  return {
    pk: { S: findingKeyString(r.key) },
    accountId: { S: r.key.accountId },
    region: { S: r.key.region },
    productArn: { S: r.key.productArn },
    findingId: { S: r.key.id },
    contentHash: { S: r.contentHash },
    updatedAt: { S: r.updatedAt },
    updatedAtMs: { N: String(Date.parse(r.updatedAt)) },
    createdAt: { S: r.createdAt },
    recordState: { S: r.recordState },
    lastSentMs: { N: String(r.lastSentMs) },
  };
}

describe("DynamoDbShadowStore under DynamoDB failures", () => {
  const client = new DynamoDBClient({
    region: "us-east-1",
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
  });
  const mock = mockClient(client);
  const sleeps: number[] = [];
  const store = new DynamoDbShadowStore({
    client,
    tableName: TABLE,
    retry: { maxAttempts: 3, sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 },
  });
  beforeEach(() => {
    mock.reset();
    sleeps.length = 0;
  });

  it("retries unprocessed keys with backoff until every key is read", async () => {
    const a = keyOf("a");
    const b = keyOf("b");
    mock
      .on(BatchGetItemCommand)
      .resolvesOnce({
        Responses: { [TABLE]: [itemOf("a")] },
        UnprocessedKeys: { [TABLE]: { Keys: [{ pk: { S: findingKeyString(b) } }] } },
      })
      .resolvesOnce({ Responses: { [TABLE]: [itemOf("b")] } });
    const got = await store.getMany([a, b]);
    assert.equal(got.size, 2);
    const calls = mock.commandCalls(BatchGetItemCommand);
    assert.equal(calls.length, 2);
    assert.deepEqual(calls[1]?.args[0].input.RequestItems?.[TABLE]?.Keys, [
      { pk: { S: findingKeyString(b) } },
    ]);
    assert.equal(calls[0]?.args[0].input.RequestItems?.[TABLE]?.ConsistentRead, true);
    assert.equal(sleeps.length, 1);
  });

  it("gives up with a ThrottlingError when keys stay unprocessed", async () => {
    mock.on(BatchGetItemCommand).resolves({
      Responses: { [TABLE]: [] },
      UnprocessedKeys: { [TABLE]: { Keys: [{ pk: { S: findingKeyString(keyOf("a")) } }] } },
    });
    await assert.rejects(store.getMany([keyOf("a")]), ThrottlingError);
    assert.equal(mock.commandCalls(BatchGetItemCommand).length, 3);
  });

  it("splits reads into requests of at most 100 distinct keys", async () => {
    mock.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [] } });
    const keys = Array.from({ length: 250 }, (_, i) => keyOf(`k${i}`));
    await store.getMany([...keys, ...keys.slice(0, 10)]);
    const sizes = mock
      .commandCalls(BatchGetItemCommand)
      .map((c) => c.args[0].input.RequestItems?.[TABLE]?.Keys?.length)
      .sort();
    assert.deepEqual(sizes, [100, 100, 50]);
  });

  it("retries a throttled conditional write and then succeeds", async () => {
    mock
      .on(UpdateItemCommand)
      .rejectsOnce(new ProvisionedThroughputExceededException({ message: "slow down", $metadata: {} }))
      .resolves({});
    assert.deepEqual(await store.commit([recordOf("a")]), { committed: 1, conflicts: [] });
    assert.equal(sleeps.length, 1);
  });

  it("throws a ThrottlingError when writes stay throttled, after bounded attempts", async () => {
    mock
      .on(UpdateItemCommand)
      .rejects(new ProvisionedThroughputExceededException({ message: "slow", $metadata: {} }));
    await assert.rejects(store.commit([recordOf("a")]), ThrottlingError);
    assert.equal(mock.commandCalls(UpdateItemCommand).length, 3);
  });

  it("sends the optimistic-concurrency condition with every write", async () => {
    mock.on(UpdateItemCommand).resolves({});
    await store.commit([recordOf("a", { customerTouched: ["Severity"] })]);
    const input = mock.commandCalls(UpdateItemCommand)[0]?.args[0].input;
    assert.equal(input?.ConditionExpression, "attribute_not_exists(#pk) OR #updatedAtMs < :updatedAtMs");
    assert.match(input?.UpdateExpression ?? "", / ADD #customerTouched :touched$/);
  });
});

describe("classifyDynamoDbError", () => {
  const cases: [string, Error, (e: unknown) => boolean][] = [
    ["throttling", serviceError("ThrottlingException", 400), (e) => e instanceof ThrottlingError],
    [
      "capacity",
      serviceError("ProvisionedThroughputExceededException", 400),
      (e) => e instanceof ThrottlingError,
    ],
    ["HTTP 429", serviceError("Whatever", 429), (e) => e instanceof ThrottlingError],
    ["5xx", serviceError("InternalServerError", 500), (e) => e instanceof TransientError],
    [
      "503",
      serviceError("Unknown", 503),
      (e) => e instanceof TransientError && !(e instanceof ThrottlingError),
    ],
    [
      "network",
      Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }),
      (e) => e instanceof TransientError,
    ],
    ["missing table", serviceError("ResourceNotFoundException", 400), (e) => e instanceof ConfigurationError],
    ["access", serviceError("AccessDeniedException", 400), (e) => e instanceof ConfigurationError],
  ];
  for (const [name, error, check] of cases) {
    it(`classifies ${name}`, () => {
      const classified = classifyDynamoDbError(error, "PutItem", "tbl");
      assert.ok(check(classified), `got ${String(classified)}`);
      assert.match((classified as Error).message, /PutItem on table tbl/);
      assert.equal((classified as Error).cause, error);
    });
  }

  it("returns a validation error unchanged (permanent, a bug to fix)", () => {
    const error = serviceError("ValidationException", 400);
    assert.equal(classifyDynamoDbError(error, "PutItem", "tbl"), error);
  });
});
