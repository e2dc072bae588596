/**
 * Security Hub's finding rules as seen over the wire: every scenario of `scenarios.ts` against an
 * in-process `shadowhub serve`, with the real `@aws-sdk/client-securityhub` client.
 */
import { after, before, describe, it } from "node:test";
import { startTestServe, type TestServe } from "../../helpers/serve.ts";
import { SCENARIOS } from "./scenarios.ts";

describe("serve: Security Hub semantics over the wire", () => {
  let serve: TestServe;
  before(async () => {
    serve = await startTestServe();
  });
  after(async () => {
    await serve.close();
  });
  for (const scenario of SCENARIOS) {
    it(scenario.name, async () => {
      await scenario.run({
        accountId: "123456789012",
        client: (region) => serve.client({ region: region ?? "us-east-1" }),
      });
    });
  }
});
