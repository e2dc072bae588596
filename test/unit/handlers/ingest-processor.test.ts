/**
 * The ingest processor with in-process adapters (in-memory shadow store, local hub): what it
 * decides before importing — an unreadable report or a detected format outside the accepted
 * list fails the message and imports nothing — and that a report of several conversion batches
 * is imported whole through the streamed path.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LocalHub } from "../../../lambdas/adapters/local-hub/local-hub.ts";
import { MemoryHubRepository } from "../../../lambdas/adapters/local-hub/memory-repository.ts";
import { LocalHubSink } from "../../../lambdas/adapters/local-target/local-hub-sink.ts";
import { MemoryShadowStore } from "../../../lambdas/adapters/memory/memory-shadow-store.ts";
import { loadConfig } from "../../../lambdas/config/load-config.ts";
import { ENV } from "../../../lambdas/config/names.ts";
import { InputError } from "../../../lambdas/core/errors.ts";
import { createRegistry } from "../../../lambdas/core/parsers/registry.ts";
import { createIngestProcessor } from "../../../lambdas/handlers/ingest-processor.ts";
import { ManualClock } from "../../../lambdas/ports/clock.ts";
import { MemoryEventPublisher } from "../../../lambdas/ports/event-publisher.ts";
import { ACCOUNT, envelope, REGION, sqsRecord } from "../../helpers/handler-factories.ts";

function processor(formats = "trivy,grype,sarif,zap,asff") {
  const clock = new ManualClock("2026-11-25T12:00:00Z");
  const hub = new LocalHub(new MemoryHubRepository(), { clock, log: () => undefined });
  const config = loadConfig({
    AWS_REGION: REGION,
    [ENV.tableName]: "shadow",
    [ENV.eventBusName]: "bus",
    [ENV.productArns]: `arn:aws:securityhub:${REGION}:${ACCOUNT}:product/${ACCOUNT}/default`,
    [ENV.targets]: JSON.stringify([{ accountId: ACCOUNT, regions: [REGION] }]),
    [ENV.formats]: formats,
  });
  const process = createIngestProcessor({
    config,
    store: new MemoryShadowStore(),
    sink: new LocalHubSink(hub),
    publisher: new MemoryEventPublisher(),
    clock,
    registry: createRegistry(),
    readReport: () => Promise.reject(new Error("no S3 in this test")),
    metrics: { count: () => undefined },
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
  });
  return { process, hub };
}

function trivyReport(count: number): unknown {
  return {
    SchemaVersion: 2,
    CreatedAt: "2026-11-25T10:00:00Z",
    ArtifactName: "app:1",
    ArtifactType: "container_image",
    Results: [
      {
        Target: "app:1 (debian 12)",
        Class: "os-pkgs",
        Type: "debian",
        Vulnerabilities: Array.from({ length: count }, (_, i) => ({
          VulnerabilityID: `CVE-2026-${10000 + i}`,
          PkgName: `pkg-${i}`,
          InstalledVersion: "1.0.0",
          Severity: "HIGH",
        })),
      },
    ],
  };
}

describe("ingest processor", () => {
  it("imports a report of several conversion batches whole", async () => {
    const { process } = processor();
    const [report] = await process(sqsRecord({ body: envelope({ report: trivyReport(250), scope: "app" }) }));
    assert.equal(report?.counts.created, 250);
    assert.equal(report?.apiCalls, 3);
    const [again] = await process(sqsRecord({ body: envelope({ report: trivyReport(250), scope: "app" }) }));
    assert.equal(again?.counts.unchanged, 250);
    assert.equal(again?.apiCalls, 0);
  });

  it("fails an unreadable report before importing anything, naming the source and rule", async () => {
    const { process } = processor();
    await assert.rejects(
      process(
        sqsRecord({
          body: envelope({ report: { SchemaVersion: 2, Results: "not a list" }, format: "trivy" }),
        }),
      ),
      (error: unknown) => error instanceof InputError && /Results/.test(error.message),
    );
  });

  it("fails a report whose detected format is not accepted, and imports none of it", async () => {
    const { process, hub } = processor("sarif");
    await assert.rejects(
      process(sqsRecord({ body: envelope({ report: trivyReport(150) }) })),
      /detected format "trivy" is not accepted here \(accepted: sarif\)/,
    );
    const found = await hub.getFindings({}, { accountId: ACCOUNT, region: REGION });
    assert.equal(found.Findings?.length ?? 0, 0);
  });
});
