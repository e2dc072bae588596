/**
 * `serve`'s REST-JSON protocol: error shapes, request limits, Region and account resolution,
 * hub and product-subscription operations, quota and fault injection.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  BatchImportFindingsCommand,
  DescribeHubCommand,
  DisableImportFindingsForProductCommand,
  DisableSecurityHubCommand,
  EnableImportFindingsForProductCommand,
  EnableSecurityHubCommand,
  GetFindingsCommand,
  ListEnabledProductsForImportCommand,
  SecurityHubClient,
  SecurityHubServiceException,
} from "@aws-sdk/client-securityhub";
import { type LocalHub, openLocalHub } from "../../../lambdas/adapters/local-hub/local-hub.ts";
import { ManualClock } from "../../../lambdas/ports/clock.ts";
import { type ServableHub, startServer } from "../../../lambdas/serve/server.ts";
import { startTestServe, type TestServe } from "../../helpers/serve.ts";
import { makeFinding } from "./scenarios.ts";

const ACCOUNT = "123456789012";

async function caught(promise: Promise<unknown>): Promise<SecurityHubServiceException> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SecurityHubServiceException) return error;
    throw error;
  }
  assert.fail("expected the call to fail");
}

describe("serve: protocol", () => {
  let serve: TestServe;
  before(async () => {
    serve = await startTestServe();
  });
  after(async () => {
    await serve.close();
  });

  it("answers an unknown route with 404 UnknownOperationException, x-amzn-ErrorType and a request id", async () => {
    const res = await fetch(`${serve.url}/findingsv2`, { method: "POST", body: "{}" });
    assert.equal(res.status, 404);
    assert.equal(res.headers.get("x-amzn-errortype"), "UnknownOperationException");
    assert.match(res.headers.get("x-amzn-requestid") ?? "", /^[0-9a-f-]{36}$/);
    const body = (await res.json()) as { Message: string; Code: string };
    assert.equal(body.Code, "UnknownOperationException");
    assert.match(body.Message, /POST \/findingsv2/);
  });

  it("answers malformed JSON with 400 InvalidInputException", async () => {
    const res = await fetch(`${serve.url}/findings/import`, { method: "POST", body: '{"Findings": [' });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get("x-amzn-errortype"), "InvalidInputException");
    const body = (await res.json()) as { Message: string; Code: string };
    assert.equal(body.Code, "InvalidInputException");
    assert.match(body.Message, /not valid JSON/);
  });

  it("answers a JSON body that is not an object with 400 InvalidInputException", async () => {
    const res = await fetch(`${serve.url}/findings`, { method: "POST", body: "[1,2]" });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { Code: string }).Code, "InvalidInputException");
  });

  it("answers a body over 6 MB with 413 RequestEntityTooLargeException", async () => {
    const big = JSON.stringify({ Findings: [{ Title: "x".repeat(6 * 1024 * 1024) }] });
    const res = await fetch(`${serve.url}/findings/import`, { method: "POST", body: big });
    assert.equal(res.status, 413);
    assert.equal(res.headers.get("x-amzn-errortype"), "RequestEntityTooLargeException");
  });

  it("fails a finding that number literals grow past 240 KB although the whole body is under it", async () => {
    // 10,000 × `1e20` is 50 KB of body text but 220 KB of JSON once parsed and written back, and
    // `9999999999999999` (16 bytes) is written back as 10000000000000000 (17): the size bound
    // serve hands the engine must charge both, or the 240 KB check would be skipped.
    const auth = `AWS4-HMAC-SHA256 Credential=${ACCOUNT}/20240101/us-east-1/securityhub/aws4_request, SignedHeaders=host, Signature=0`;
    const send = async (id: string, numbers: string, titleChars: number) => {
      const text = JSON.stringify({
        Findings: [makeFinding(ACCOUNT, id, { Title: "t".repeat(titleChars) })],
      });
      const body = text.replace(`"Id":"${id}"`, `"Id":"${id}","Numbers":[${numbers}]`);
      assert.ok(Buffer.byteLength(body) < 240 * 1024, "the body is under 240 KB");
      const parsed = JSON.parse(body) as { Findings: unknown[] };
      assert.ok(Buffer.byteLength(JSON.stringify(parsed.Findings[0])) > 240 * 1024, "the finding is over");
      const res = await fetch(`${serve.url}/findings/import`, {
        method: "POST",
        body,
        headers: { authorization: auth, "content-type": "application/json" },
      });
      assert.equal(res.status, 200);
      return (await res.json()) as { FailedFindings: Array<{ Id: string; ErrorCode: string }> };
    };
    const exp = await send("grown-exp", Array(10_000).fill("1e20").join(","), 30_000);
    assert.deepEqual(
      exp.FailedFindings.map((f) => [f.Id, f.ErrorCode]),
      [["grown-exp", "FindingSizeExceeded"]],
    );
    const nines = await send("grown-nines", Array(14_000).fill("9999999999999999").join(","), 10);
    assert.deepEqual(
      nines.FailedFindings.map((f) => [f.Id, f.ErrorCode]),
      [["grown-nines", "FindingSizeExceeded"]],
    );
  });

  it("takes the Region from the SigV4 credential scope and keeps state per Region", async () => {
    const west = serve.client({ region: "us-west-2" });
    const east = serve.client({ region: "ap-southeast-2" });
    const arn = `arn:aws:securityhub:us-west-2:${ACCOUNT}:product/${ACCOUNT}/default`;
    const out = await west.send(
      new BatchImportFindingsCommand({
        Findings: [makeFinding(ACCOUNT, "region-1", { ProductArn: arn }, "us-west-2")],
      }),
    );
    assert.equal(out.SuccessCount, 1);
    const inWest = await west.send(
      new GetFindingsCommand({ Filters: { Id: [{ Value: "region-1", Comparison: "EQUALS" }] } }),
    );
    assert.equal(inWest.Findings?.[0]?.Region, "us-west-2");
    const inOther = await east.send(
      new GetFindingsCommand({ Filters: { Id: [{ Value: "region-1", Comparison: "EQUALS" }] } }),
    );
    assert.equal(inOther.Findings?.length, 0);
  });

  it("rejects a ProductArn of another Region with AccessDeniedException (403)", async () => {
    const c = serve.client({ region: "us-east-2" });
    const error = await caught(
      c.send(new BatchImportFindingsCommand({ Findings: [makeFinding(ACCOUNT, "wrong-region")] })),
    );
    assert.equal(error.name, "AccessDeniedException");
    assert.equal(error.$metadata.httpStatusCode, 403);
  });

  it("acts as the account named by a 12-digit access key id", async () => {
    const other = "210987654321";
    const c = serve.client({ region: "us-east-1", accessKeyId: other });
    const out = await c.send(new BatchImportFindingsCommand({ Findings: [makeFinding(other, "acct-1")] }));
    assert.equal(out.SuccessCount, 1);
    const hub = await c.send(new DescribeHubCommand({}));
    assert.equal(hub.HubArn, `arn:aws:securityhub:us-east-1:${other}:hub/default`);
    const asDefault = serve.client({ region: "us-east-1" });
    const seen = await asDefault.send(
      new GetFindingsCommand({ Filters: { Id: [{ Value: "acct-1", Comparison: "EQUALS" }] } }),
    );
    assert.equal(seen.Findings?.length, 0);
  });

  it("EnableSecurityHub conflicts when enabled, DisableSecurityHub then DescribeHub answers InvalidAccessException", async () => {
    const c = serve.client({ region: "sa-east-1" });
    await c.send(new DescribeHubCommand({}));
    const conflict = await caught(c.send(new EnableSecurityHubCommand({})));
    assert.equal(conflict.name, "ResourceConflictException");
    assert.equal(conflict.$metadata.httpStatusCode, 409);
    await c.send(new DisableSecurityHubCommand({}));
    const denied = await caught(c.send(new DescribeHubCommand({})));
    assert.equal(denied.name, "InvalidAccessException");
    assert.equal(denied.$metadata.httpStatusCode, 401);
    await c.send(new EnableSecurityHubCommand({ ControlFindingGenerator: "STANDARD_CONTROL" }));
    const hub = await c.send(new DescribeHubCommand({}));
    assert.equal(hub.ControlFindingGenerator, "STANDARD_CONTROL");
  });

  it("DescribeHub with another HubArn answers ResourceNotFoundException", async () => {
    const c = serve.client({ region: "us-east-1" });
    const error = await caught(
      c.send(new DescribeHubCommand({ HubArn: "arn:aws:securityhub:us-east-1:999999999999:hub/default" })),
    );
    assert.equal(error.name, "ResourceNotFoundException");
  });

  it("lists, pages and disables product subscriptions (greedy ARN path)", async () => {
    const region = "ca-central-1";
    const c = serve.client({ region });
    const arns = ["a/one", "b/two", "c/three"].map((p) => `arn:aws:securityhub:${region}::product/${p}`);
    const subs: string[] = [];
    for (const ProductArn of arns) {
      subs.push(
        (await c.send(new EnableImportFindingsForProductCommand({ ProductArn }))).ProductSubscriptionArn ??
          "",
      );
    }
    const dup = await caught(c.send(new EnableImportFindingsForProductCommand({ ProductArn: arns[0] })));
    assert.equal(dup.name, "ResourceConflictException");
    const page1 = await c.send(new ListEnabledProductsForImportCommand({ MaxResults: 2 }));
    assert.equal(page1.ProductSubscriptions?.length, 2);
    const page2 = await c.send(
      new ListEnabledProductsForImportCommand({ MaxResults: 2, NextToken: page1.NextToken }),
    );
    assert.deepEqual(
      [...(page1.ProductSubscriptions ?? []), ...(page2.ProductSubscriptions ?? [])].sort(),
      [...subs].sort(),
    );
    assert.equal(page2.NextToken, undefined);
    await c.send(new DisableImportFindingsForProductCommand({ ProductSubscriptionArn: subs[1] }));
    const left = await c.send(new ListEnabledProductsForImportCommand({}));
    assert.deepEqual(left.ProductSubscriptions?.sort(), [subs[0], subs[2]].sort());
    const missing = await caught(
      c.send(new DisableImportFindingsForProductCommand({ ProductSubscriptionArn: subs[1] })),
    );
    assert.equal(missing.name, "ResourceNotFoundException");
    const badArn = await caught(
      c.send(new EnableImportFindingsForProductCommand({ ProductArn: "not-an-arn" })),
    );
    assert.equal(badArn.name, "InvalidInputException");
  });
});

describe("serve: fault injection", () => {
  let serve: TestServe;
  before(async () => {
    serve = await startTestServe();
  });
  after(async () => {
    await serve.close();
  });

  it("the next N calls of an operation answer 429 TooManyRequestsException, then calls succeed", async () => {
    const c = serve.client();
    serve.faults.add({ kind: "throttle", operation: "GetFindings", times: 2 });
    for (let i = 0; i < 2; i++) {
      const error = await caught(c.send(new GetFindingsCommand({})));
      assert.equal(error.name, "TooManyRequestsException");
      assert.equal(error.$metadata.httpStatusCode, 429);
    }
    await c.send(new GetFindingsCommand({}));
  });

  it("an internal fault answers 500 InternalException only for its operation", async () => {
    const c = serve.client();
    serve.faults.add({ kind: "internal", operation: "BatchImportFindings" });
    await c.send(new GetFindingsCommand({}));
    const error = await caught(
      c.send(new BatchImportFindingsCommand({ Findings: [makeFinding(ACCOUNT, "f-500")] })),
    );
    assert.equal(error.name, "InternalException");
    assert.equal(error.$metadata.httpStatusCode, 500);
  });

  it("a reset fault drops the connection without an answer", async () => {
    serve.faults.add({ kind: "reset", operation: "GetFindings" });
    await assert.rejects(fetch(`${serve.url}/findings`, { method: "POST", body: "{}" }));
    const ok = await fetch(`${serve.url}/findings`, { method: "POST", body: "{}" });
    assert.equal(ok.status, 200);
  });

  it("a timeout fault holds the request and then closes the connection", async () => {
    serve.faults.add({ kind: "timeout", operation: "GetFindings", holdMs: 50 });
    await assert.rejects(fetch(`${serve.url}/findings`, { method: "POST", body: "{}" }));
  });

  it("fails the named findings with the given per-finding error and imports the rest", async () => {
    const c = serve.client();
    serve.faults.add({
      kind: "finding",
      operation: "BatchImportFindings",
      ids: ["ff-2"],
      errorCode: "InternalFailure",
    });
    const out = await c.send(
      new BatchImportFindingsCommand({
        Findings: [makeFinding(ACCOUNT, "ff-1"), makeFinding(ACCOUNT, "ff-2")],
      }),
    );
    assert.equal(out.SuccessCount, 1);
    assert.deepEqual(out.FailedFindings, [
      { Id: "ff-2", ErrorCode: "InternalFailure", ErrorMessage: "Injected failure" },
    ]);
    const stored = await c.send(
      new GetFindingsCommand({ Filters: { Id: [{ Value: "ff-", Comparison: "PREFIX" }] } }),
    );
    assert.deepEqual(
      stored.Findings?.map((f) => f.Id),
      ["ff-1"],
    );
    const again = await c.send(new BatchImportFindingsCommand({ Findings: [makeFinding(ACCOUNT, "ff-2")] }));
    assert.equal(again.SuccessCount, 1);
  });

  it("faults are armed, listed and cleared over /_shadowhub/faults", async () => {
    const add = await fetch(`${serve.url}/_shadowhub/faults`, {
      method: "POST",
      body: JSON.stringify({ kind: "throttle", operation: "DescribeHub", times: 3 }),
    });
    assert.equal(add.status, 200);
    const listed = (await (await fetch(`${serve.url}/_shadowhub/faults`)).json()) as {
      Faults: { remaining: number }[];
    };
    assert.equal(listed.Faults[0]?.remaining, 3);
    const error = await caught(serve.client().send(new DescribeHubCommand({})));
    assert.equal(error.name, "TooManyRequestsException");
    await fetch(`${serve.url}/_shadowhub/faults`, { method: "DELETE" });
    await serve.client().send(new DescribeHubCommand({}));
    const bad = await fetch(`${serve.url}/_shadowhub/faults`, {
      method: "POST",
      body: JSON.stringify({ kind: "explode" }),
    });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { Message: string }).Message, /fault\.kind/);
  });
});

describe("serve: quota", () => {
  it("answers 429 TooManyRequestsException after a burst of 30 imports and recovers at 10 per second", async () => {
    const clock = new ManualClock("2026-01-01T00:00:00Z");
    const serve = await startTestServe({ quota: true, clock });
    try {
      const c = serve.client();
      const call = () => c.send(new BatchImportFindingsCommand({ Findings: [makeFinding(ACCOUNT, "q-1")] }));
      for (let i = 0; i < 30; i++) await call();
      const error = await caught(call());
      assert.equal(error.name, "TooManyRequestsException");
      assert.equal(error.$metadata.httpStatusCode, 429);
      clock.advance(100);
      await call();
      await caught(call());
      // Another account has its own bucket.
      await serve
        .client({ accessKeyId: "111111111111" })
        .send(new BatchImportFindingsCommand({ Findings: [makeFinding("111111111111", "q-2")] }));
    } finally {
      await serve.close();
    }
  });

  it("with the quota off, no call is throttled", async () => {
    const clock = new ManualClock("2026-01-01T00:00:00Z");
    const serve = await startTestServe({ clock });
    try {
      const c = serve.client();
      for (let i = 0; i < 40; i++) {
        await c.send(new BatchImportFindingsCommand({ Findings: [makeFinding(ACCOUNT, "q-off")] }));
      }
    } finally {
      await serve.close();
    }
  });
});

describe("serve: graceful shutdown", () => {
  it("close() lets an in-flight request finish and then refuses connections", async () => {
    const hub = await openLocalHub();
    let entered!: () => void;
    const inFlight = new Promise<void>((r) => {
      entered = r;
    });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    // A hub that holds BatchImportFindings until the test has called close().
    const slowHub: ServableHub = Object.assign(Object.create(hub) as LocalHub, {
      batchImportFindings: async (...args: Parameters<LocalHub["batchImportFindings"]>) => {
        entered();
        await gate;
        return hub.batchImportFindings(...args);
      },
    });
    const server = await startServer({ hub: slowHub });
    const c = new SecurityHubClient({
      endpoint: server.url,
      region: "us-east-1",
      credentials: { accessKeyId: "a", secretAccessKey: "b" },
      maxAttempts: 1,
    });
    try {
      const pending = c.send(new BatchImportFindingsCommand({ Findings: [makeFinding(ACCOUNT, "g-1")] }));
      await inFlight;
      const closing = server.close();
      release();
      const out = await pending;
      assert.equal(out.SuccessCount, 1);
      await closing;
      await assert.rejects(fetch(`${server.url}/findings`, { method: "POST", body: "{}" }));
    } finally {
      c.destroy();
      await hub.close();
    }
  });
});
