/**
 * Hostile HTTP bodies to `shadowhub serve`, sent with raw `node:http` (not the SDK) so any bytes
 * can be sent: each gets a 4xx with `x-amzn-ErrorType` naming the rule, the good findings of a
 * mixed batch are stored, and serve still answers correctly after 1,000 malformed requests.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestServe, type TestServe } from "../helpers/serve.ts";
import {
  ACCOUNT,
  asffFinding,
  assertPrototypesUntouched,
  deepArray,
  deepObject,
  errorOf,
  MB,
  POLLUTION_KEYS,
  PRODUCT_ARN,
  pollutingMembers,
  prototypeSnapshot,
  rawRequest,
  withInvalidUtf8,
} from "./helpers.ts";

const IMPORT = { method: "POST", path: "/findings/import" };

describe("hostile HTTP bodies to serve", () => {
  let serve: TestServe;
  let prototypes: string[][];
  before(async () => {
    prototypes = prototypeSnapshot();
    serve = await startTestServe({ log: () => {} });
  });
  after(async () => serve?.close());

  const send = (body: string | Buffer, route = IMPORT) => rawRequest(serve.url, { ...route, body });

  async function stored(id: string) {
    const out = await serve.hub.getFindings(
      { Filters: { Id: [{ Value: id, Comparison: "EQUALS" }] } },
      { accountId: ACCOUNT, region: "us-east-1" },
    );
    return out.Findings ?? [];
  }

  /** Every malformed request of the 1,000-request run, with the code it must get. */
  const malformed: Array<{
    name: string;
    body: string | Buffer;
    route?: { method: string; path: string };
    code: RegExp;
  }> = [
    { name: "not JSON", body: "{ not json", code: /InvalidInputException/ },
    {
      name: "truncated",
      body: JSON.stringify({ Findings: [asffFinding("t")] }).slice(0, 80),
      code: /InvalidInputException/,
    },
    { name: "array body", body: "[1,2]", code: /InvalidInputException/ },
    { name: "Findings a string", body: '{"Findings": "x"}', code: /InvalidInputException/ },
    { name: "deep body", body: deepArray(), code: /InvalidInputException/ },
    {
      name: "deep Filters",
      body: `{"Filters": ${deepObject()}}`,
      route: { method: "POST", path: "/findings" },
      code: /InvalidInputException/,
    },
    {
      name: "invalid UTF-8",
      body: withInvalidUtf8(JSON.stringify({ Findings: [asffFinding("u")] }), "Finding u"),
      code: /InvalidInputException/,
    },
    {
      name: "deep ProductArn",
      body: `{"ProductArn": ${deepArray()}}`,
      route: { method: "POST", path: "/productSubscriptions" },
      code: /InvalidInputException/,
    },
    {
      name: "bad percent-encoding",
      body: "",
      route: { method: "DELETE", path: "/productSubscriptions/%E0%A4%A" },
      code: /InvalidInputException/,
    },
    {
      name: "1M-item Findings",
      body: JSON.stringify({ Findings: new Array(1_000_000).fill(1) }),
      code: /InvalidInputException/,
    },
  ];

  it("answers each hostile body with a 4xx naming the rule", async () => {
    for (const { name, body, route, code } of malformed) {
      const response = await send(body, route);
      assert.ok(
        response.status >= 400 && response.status < 500,
        `${name}: ${response.status} ${response.body}`,
      );
      const error = errorOf(response);
      assert.match(error.Code, code, name);
      assert.ok(error.Message.length > 10 && error.Message.length < 2_000, `${name}: ${error.Message}`);
    }
    assert.match(errorOf(await send(malformed[6]?.body ?? "")).Message, /not valid UTF-8/);
  });

  it("fails only the hostile findings of a batch and stores the good ones", async () => {
    const finding = (id: string, members: string) =>
      `${JSON.stringify(asffFinding(id)).slice(0, -1)}, ${members}}`;
    const body = `{"Findings": [${[
      JSON.stringify(asffFinding("mix-good-1")),
      finding("mix-deep", `"ProductFields": ${deepArray()}`),
      finding("mix-proto", `"UserDefinedFields": {${pollutingMembers()}}`),
      JSON.stringify(asffFinding("mix-huge", { Title: "T".repeat(5 * MB) })),
      JSON.stringify(asffFinding("mix-types", { Title: 42, Resources: "none" })),
      "7",
      JSON.stringify(asffFinding("mix-good-2")),
    ].join(", ")}]}`;
    const response = await send(body);
    assert.equal(response.status, 200, response.body);
    const answer = JSON.parse(response.body) as {
      SuccessCount: number;
      FailedFindings: Array<{ Id: string; ErrorCode: string }>;
    };
    assert.equal(answer.SuccessCount, 2);
    assert.deepEqual(answer.FailedFindings.map((f) => [f.Id, f.ErrorCode]).sort(), [
      ["", "InvalidInput"],
      ["mix-deep", "InvalidInput"],
      ["mix-huge", "FindingSizeExceeded"],
      ["mix-proto", "InvalidInput"],
      ["mix-types", "InvalidInput"],
    ]);
    assert.equal((await stored("mix-good-1")).length, 1);
    assert.equal((await stored("mix-good-2")).length, 1);
    assertPrototypesUntouched(prototypes, POLLUTION_KEYS);
  });

  it("answers a body over 6 MB with 413, declared or streamed, and serves the next request", async () => {
    const big = JSON.stringify({ Findings: [asffFinding("too-big", { Description: "x".repeat(7 * MB) })] });
    assert.equal(errorOf(await send(big)).Code, "RequestEntityTooLargeException");
    const chunked = await rawRequest(serve.url, {
      ...IMPORT,
      body: big,
      headers: { "transfer-encoding": "chunked" },
    });
    assert.equal(chunked.status, 413);
    const ok = await send(JSON.stringify({ Findings: [asffFinding("after-413")] }));
    assert.equal(ok.status, 200);
    assert.equal((await stored("after-413")).length, 1);
  });

  it("still answers correctly after 1,000 malformed requests, with bounded heap", async (t) => {
    const small = malformed.filter(
      (m) => (typeof m.body === "string" ? m.body.length : m.body.length) < 1_000,
    );
    globalThis.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1_000; i++) {
      const { body, route } = small[i % small.length] ?? { body: "" };
      const response = await send(body, route);
      assert.ok(response.status >= 400 && response.status < 500, `request ${i}: ${response.status}`);
    }
    const ok = await send(JSON.stringify({ Findings: [asffFinding("after-1000")] }));
    assert.deepEqual(JSON.parse(ok.body), { FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
    const [found] = await stored("after-1000");
    assert.equal(found?.ProductArn, PRODUCT_ARN);
    const health = await rawRequest(serve.url, { method: "GET", path: "/_shadowhub/health" });
    assert.equal(health.status, 200);
    const grown = process.memoryUsage().heapUsed - heapBefore;
    assert.ok(grown < 64 * MB, `heap grew ${(grown / MB).toFixed(1)} MB over 1,000 requests`);
    t.diagnostic(`heap after 1,000 malformed requests: ${(grown / MB).toFixed(1)} MB more`);
  });
});
