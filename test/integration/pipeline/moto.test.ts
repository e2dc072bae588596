/**
 * The import pipeline against moto_server's thin Security Hub (the LocalStack-style setup: an
 * endpoint override, dummy credentials). The acceptance flow passes because the shadow plan, not
 * the target, decides what is sent. Where moto lacks Security Hub's semantics, the tests below
 * pin moto's actual behaviour next to Security Hub's (as `serve` implements it) instead of
 * hiding the difference — see docs/pipeline.md "Targets".
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  BatchImportFindingsCommand,
  GetFindingsCommand,
  type SecurityHubClient,
} from "@aws-sdk/client-securityhub";
import { MemoryShadowStore } from "../../../lambdas/adapters/memory/memory-shadow-store.ts";
import { SecurityHubSink } from "../../../lambdas/adapters/securityhub/securityhub-sink.ts";
import { runImport } from "../../../lambdas/pipeline/import-run.ts";
import { ManualClock } from "../../../lambdas/ports/clock.ts";
import { type MotoServer, startMoto } from "../../helpers/moto.ts";
import { startTestServe, type TestServe } from "../../helpers/serve.ts";
import { finding } from "../../unit/pipeline/factories.ts";
import { hubState, runAcceptanceFlow, scan, scanTime } from "./scenario.ts";

const CREDENTIALS = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" };

describe("import pipeline against moto_server's Security Hub", () => {
  let moto: MotoServer;
  let serve: TestServe;
  before(async () => {
    moto = await startMoto();
    serve = await startTestServe({ log: () => {} });
  });
  after(async () => {
    await moto?.stop();
    await serve?.close();
  });

  const sinks = () => ({
    moto: new SecurityHubSink({ endpoint: moto.endpoint, credentials: CREDENTIALS }),
    serve: new SecurityHubSink({ endpoint: serve.url, credentials: CREDENTIALS }),
  });
  /** Sends one raw BatchImportFindings, bypassing the plan, to see what the target itself does. */
  const rawImport = (client: SecurityHubClient, f: ReturnType<typeof finding>) =>
    client.send(new BatchImportFindingsCommand({ Findings: [f] }));

  it("runs the acceptance flow (the plan decides; moto only stores)", async () => {
    const sink = new SecurityHubSink({ endpoint: moto.endpoint, credentials: CREDENTIALS });
    try {
      await runAcceptanceFlow({ sink, store: new MemoryShadowStore() });
    } finally {
      await sink.close();
    }
  });

  it("differs: moto applies an update with an older UpdatedAt that Security Hub ignores; the plan never sends one", async () => {
    const { moto: m, serve: s } = sinks();
    try {
      for (const sink of [m, s]) {
        const client = sink.client("123456789012", "us-east-1");
        await rawImport(client, finding("order-1", { UpdatedAt: scanTime(5), Title: "newer" }));
        await rawImport(client, finding("order-1", { UpdatedAt: scanTime(1), Title: "older" }));
      }
      assert.equal((await hubState(m, ["order-1"])).get("order-1")?.Title, "older", "moto: last write wins");
      assert.equal(
        (await hubState(s, ["order-1"])).get("order-1")?.Title,
        "newer",
        "Security Hub: stale update ignored",
      );

      // Through the pipeline, the older report is dropped as stale before any call: same result on both.
      for (const sink of [m, s]) {
        const store = new MemoryShadowStore();
        const deps = { store, sink, clock: new ManualClock(0), sleep: async () => {} };
        await runImport({ findings: scan(5, ["order-2"], { "order-2": "newer" }) }, deps);
        const report = await runImport({ findings: scan(1, ["order-2"], { "order-2": "older" }) }, deps);
        assert.equal(report.counts.stale, 1);
        assert.equal(report.apiCalls, 0);
        assert.equal((await hubState(sink, ["order-2"])).get("order-2")?.Title, "newer");
      }
    } finally {
      await m.close();
      await s.close();
    }
  });

  it("differs: moto merges an update (omitted attributes survive) and overwrites customer-owned Note; Security Hub does neither", async () => {
    const { moto: m, serve: s } = sinks();
    try {
      for (const sink of [m, s]) {
        const client = sink.client("123456789012", "us-east-1");
        await rawImport(
          client,
          finding("merge-1", {
            SourceUrl: "https://example.com/a",
            Note: { Text: "first", UpdatedBy: "provider", UpdatedAt: scanTime(1) },
          }),
        );
        await rawImport(
          client,
          finding("merge-1", {
            UpdatedAt: scanTime(2),
            Note: { Text: "second", UpdatedBy: "provider", UpdatedAt: scanTime(2) },
          }),
        );
      }
      const inMoto = (await hubState(m, ["merge-1"])).get("merge-1");
      const inHub = (await hubState(s, ["merge-1"])).get("merge-1");
      assert.equal(
        inMoto?.SourceUrl,
        "https://example.com/a",
        "moto: shallow merge keeps the omitted attribute",
      );
      assert.equal(inHub?.SourceUrl, undefined, "Security Hub: update overwrites provider data");
      assert.equal(inMoto?.Note?.Text, "second", "moto: restricted attribute overwritten");
      assert.equal(inHub?.Note?.Text, "first", "Security Hub: Note ignored on update");
      assert.equal(inMoto?.ProcessedAt, undefined, "moto adds no service fields");
      assert.equal(typeof inHub?.ProcessedAt, "string");
    } finally {
      await m.close();
      await s.close();
    }
  });

  it("differs: moto accepts a finding Security Hub rejects as InvalidInput", async () => {
    const { moto: m, serve: s } = sinks();
    const bad = finding("invalid-title", { Title: "x".repeat(300) });
    try {
      const deps = (sink: SecurityHubSink) => ({
        store: new MemoryShadowStore(),
        sink,
        clock: new ManualClock(0),
        sleep: async () => {},
      });
      const inMoto = await runImport({ findings: [{ finding: bad }] }, deps(m));
      const inHub = await runImport({ findings: [{ finding: bad }] }, deps(s));
      assert.equal(inMoto.counts.created, 1, "moto does not validate ASFF");
      assert.deepEqual(inHub.failedByCode, { InvalidInput: 1 });
    } finally {
      await m.close();
      await s.close();
    }
  });

  it("assumes the configured role (STS) for a target account and sends that account's findings with it", async () => {
    const target = "111122223333";
    const productArn = `arn:aws:securityhub:us-east-1:${target}:product/${target}/default`;
    const sink = new SecurityHubSink({
      endpoint: moto.endpoint,
      env: { AWS_ENDPOINT_URL_STS: moto.endpoint },
      credentials: CREDENTIALS,
      roles: { [target]: `arn:aws:iam::${target}:role/FindingImporter` },
    });
    try {
      const report = await runImport(
        { findings: [{ finding: finding("cross-1", { AwsAccountId: target, ProductArn: productArn }) }] },
        { store: new MemoryShadowStore(), sink, clock: new ManualClock(0), sleep: async () => {} },
      );
      assert.deepEqual(report.failures, []);
      assert.equal(report.counts.created, 1);
      // moto files a call under the account of its credentials: the assumed role's account.
      const found = await sink.fetchCurrent([
        { accountId: target, region: "us-east-1", productArn, id: "cross-1" },
      ]);
      assert.equal(found.size, 1, "stored in the target account, so the assumed-role credentials were used");
      const callerSink = new SecurityHubSink({ endpoint: moto.endpoint, credentials: CREDENTIALS });
      const own = await callerSink
        .client("123456789012", "us-east-1")
        .send(new GetFindingsCommand({ MaxResults: 100 }));
      await callerSink.close();
      assert.ok(!(own.Findings ?? []).some((f) => f.Id === "cross-1"), "not in the caller's own account");
    } finally {
      await sink.close();
    }
  });
});
