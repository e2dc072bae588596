/**
 * `npm run test:faults`: the seeded randomized fault driver against the reference model, and the
 * proof that its checker fails a broken pipeline. Knobs: SHADOWHUB_FAULT_SEED,
 * SHADOWHUB_FAULT_SEQUENCES (default 200), SHADOWHUB_FAULT_ONLY (one sequence index),
 * SHADOWHUB_FAULT_NO_DYNAMODB=1 (skip DynamoDB Local), SHADOWHUB_FAULT_REPORT=FILE (figures as JSON).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { createShadowTable } from "../../lambdas/adapters/dynamodb/shadow-table.ts";
import { type DynamoDbLocal, dynamoDbLocalClient, startDynamoDbLocal } from "../helpers/dynamodb-local.ts";
import { startTestServe } from "../helpers/serve.ts";
import {
  CustomerEditsRouter,
  type DriverServices,
  driverEnv,
  formatFailure,
  runFaultDriver,
  summarizeFailures,
} from "./driver.ts";

const TABLE = "shadowhub-faults";

describe("fault driver: the pipeline under faults matches the reference model", () => {
  const env = driverEnv(process.env);
  let services: DriverServices;
  let dynamo: DynamoDbLocal | undefined;

  // Injected time-outs make the SDK warn on every one; the driver counts them instead.
  const warn = console.warn;
  before(async () => {
    console.warn = (...args: unknown[]) => {
      if (typeof args[0] === "string" && args[0].includes("requestTimeout")) return;
      warn(...args);
    };
    const edits = new CustomerEditsRouter();
    const serve = await startTestServe({ hubOptions: { eventSinks: [edits] }, log: () => {} });
    let dynamoService: DriverServices["dynamo"];
    if (process.env.SHADOWHUB_FAULT_NO_DYNAMODB !== "1") {
      dynamo = await startDynamoDbLocal();
      const client = dynamoDbLocalClient(dynamo.endpoint);
      await createShadowTable(client, TABLE);
      dynamoService = { client, tableName: TABLE };
    }
    services = { serve, edits, ...(dynamoService ? { dynamo: dynamoService } : {}) };
  });

  after(async () => {
    console.warn = warn;
    services?.dynamo?.client.destroy();
    await services?.serve.close();
    await dynamo?.stop();
  });

  it(`runs ${env.only === undefined ? env.sequences : `sequence ${env.only} of`} seeded sequences (seed ${env.seed}) with zero violations`, async (t) => {
    const result = await runFaultDriver(services, { ...env, accountBase: 100_000_000_000 });
    const f = result.figures;
    t.diagnostic(`figures ${JSON.stringify(f)}`);
    if (process.env.SHADOWHUB_FAULT_REPORT) {
      writeFileSync(
        process.env.SHADOWHUB_FAULT_REPORT,
        `${JSON.stringify({ seed: env.seed, ...f }, null, 2)}\n`,
      );
    }
    assert.equal(f.sequences, env.only === undefined ? env.sequences : 1);
    assert.ok(f.findingsChecked > 0, "the checker compared findings");
    if (result.failures.length > 0) {
      assert.fail(
        `${result.failures.length} of ${f.sequences} sequences broke a promise\n${summarizeFailures(result.failures)}\n\n${result.failures
          .slice(0, 3)
          .map((x) => formatFailure(env.seed, x))
          .join("\n\n")}`,
      );
    }
  });

  it("catches a pipeline whose sink hides FailedFindings (silent loss)", async () => {
    const result = await runFaultDriver(services, {
      seed: 7,
      sequences: 25,
      accountBase: 200_000_000_000,
      variant: "drop-failed-findings",
      // A hidden failure of a scope move with unchanged content shows only as an UpdatedAt older
      // than the move (updated-at-regressed); look at the first three broken sequences for a loss.
      stopAfterFailures: 3,
    });
    const kinds = new Set(result.failures.flatMap((x) => x.violations.map((v) => v.kind)));
    assert.ok(
      result.failures.length > 0,
      "the checker reported no violation for a pipeline that loses findings",
    );
    assert.ok(
      kinds.has("lost") || kinds.has("content") || kinds.has("record-state"),
      `kinds seen: ${[...kinds].join(", ")}`,
    );
    assert.match(result.failures[0]?.repro ?? "", /SHADOWHUB_FAULT_SEED=7 SHADOWHUB_FAULT_ONLY=\d+/);
  });

  it("catches a pipeline that stamps UpdatedAt with its own clock (late reports overwrite newer data)", async () => {
    const result = await runFaultDriver(services, {
      seed: 11,
      sequences: 25,
      accountBase: 300_000_000_000,
      variant: "updated-at-now",
      stopAfterFailures: 1,
    });
    const kinds = new Set(result.failures.flatMap((x) => x.violations.map((v) => v.kind)));
    assert.ok(
      kinds.has("stale-overwrite"),
      `expected a stale overwrite, saw: ${[...kinds].join(", ") || "nothing"}`,
    );
  });
});
