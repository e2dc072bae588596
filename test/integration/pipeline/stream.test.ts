/**
 * `runImportStream` against `runImport`: the same imports, once whole and once split into random
 * chunks (report times and conversion failures spread over them), into two copies of the local
 * hub and shadow must give the same reports, the same shadows and the same hub state — duplicates
 * across chunks, late reports, scope moves, refreshes, unreadable times and unreadable reports
 * included. And `reportChunks`, the CLI's streamed conversion, dates reports as
 * `importReportTimeMs` does.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { openLocalHub } from "../../../lambdas/adapters/local-hub/local-hub.ts";
import { LocalHubSink } from "../../../lambdas/adapters/local-target/local-hub-sink.ts";
import { MemoryShadowStore } from "../../../lambdas/adapters/memory/memory-shadow-store.ts";
import { DAY_MS } from "../../../lambdas/core/asff/limits.ts";
import type { ConversionContext, ConversionFailure } from "../../../lambdas/core/parsers/contracts.ts";
import {
  type ConversionBatch,
  convertReport,
  convertReportBatches,
} from "../../../lambdas/core/parsers/convert.ts";
import type { IncomingFinding } from "../../../lambdas/core/pipeline/plan.ts";
import {
  type ImportChunk,
  type ImportReport,
  runImport,
  runImportStream,
} from "../../../lambdas/pipeline/import-run.ts";
import { reportChunks } from "../../../lambdas/pipeline/report-chunks.ts";
import { ManualClock } from "../../../lambdas/ports/clock.ts";
import { seededRandom } from "../../helpers/seeded-random.ts";
import { ACCOUNT, finding, keyOf, PRODUCT_ARN, REGION } from "../../unit/pipeline/factories.ts";
import { hubState } from "./scenario.ts";

const IDS = ["f0", "f1", "f2", "f3", "f4", "f5", "f6"];
const day = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * DAY_MS).toISOString();

interface Step {
  readonly findings: IncomingFinding[];
  readonly conversionFailures: ConversionFailure[];
  readonly scope?: string;
  readonly reportTimeMs?: number;
  readonly advanceMs: number;
}

/** A random import: findings of some Ids (some twice, some late, archived or undated), failures. */
function randomStep(random: () => number, n: number): Step {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const reportDay = n + pick([0, 0, 0, -2, -1, 1]);
  const findings: IncomingFinding[] = [];
  for (const id of IDS) {
    if (random() < 0.35) continue;
    const versions = random() < 0.15 ? 2 : 1;
    for (let v = 0; v < versions; v++) {
      const updatedAt = random() < 0.05 ? "not a time" : day(reportDay + pick([0, 0, 0, -1, 1]));
      findings.push({
        source: `report-${n}-${v}.json`,
        finding: finding(id, {
          Title: pick(["A", "B"]),
          UpdatedAt: updatedAt,
          CreatedAt: day(0),
          ...(random() < 0.08 ? { RecordState: "ARCHIVED" } : {}),
        }),
      });
    }
  }
  const conversionFailures: ConversionFailure[] = [];
  if (random() < 0.15)
    conversionFailures.push({
      source: `report-${n}.json`,
      findingId: pick(IDS),
      rule: "r",
      message: "bad entry",
    });
  if (random() < 0.08)
    conversionFailures.push({ source: `other-${n}.json`, rule: "valid JSON", message: "unreadable" });
  const scope = pick(["s", "s", "s", "t", undefined]);
  return {
    findings,
    conversionFailures,
    ...(scope === undefined ? {} : { scope }),
    ...(random() < 0.85 ? { reportTimeMs: Date.parse(day(reportDay)) } : {}),
    advanceMs: random() < 0.1 ? 61 * DAY_MS : 60_000,
  };
}

/** The step split into 1–4-finding chunks (some empty), its failures and report time spread over them. */
function chunksOf(step: Step, random: () => number): { chunks: ImportChunk[]; inputTime?: number } {
  const chunks: {
    findings: IncomingFinding[];
    conversionFailures: ConversionFailure[];
    reportTimeMs?: number;
  }[] = [];
  let rest = [...step.findings];
  do {
    const size = Math.floor(random() * 5);
    chunks.push({ findings: rest.slice(0, size), conversionFailures: [] });
    rest = rest.slice(size);
  } while (rest.length > 0);
  // Failures keep their order: each goes to a chunk no earlier than the previous one's.
  let at = 0;
  for (const failure of step.conversionFailures) {
    at += Math.floor(random() * (chunks.length - at));
    chunks[at]?.conversionFailures.push(failure);
  }
  if (step.reportTimeMs === undefined) return { chunks };
  if (random() < 0.5) return { chunks, inputTime: step.reportTimeMs };
  const index = Math.floor(random() * chunks.length);
  const chunk = chunks[index];
  if (chunk !== undefined) chunks[index] = { ...chunk, reportTimeMs: step.reportTimeMs };
  return { chunks };
}

const withoutDuration = (report: ImportReport) => ({ ...report, durationMs: 0 });
const view = (f: AwsSecurityFinding | undefined) =>
  f === undefined ? undefined : [f.Title, f.RecordState, f.UpdatedAt, f.CreatedAt, f.LastObservedAt];

describe("runImportStream", () => {
  it("imports a stream of chunks exactly as runImport imports it whole (120 seeded sequences)", async () => {
    for (let seed = 1; seed <= 120; seed++) {
      const random = seededRandom(seed);
      const whole = { store: new MemoryShadowStore(), sink: new LocalHubSink(await openLocalHub()) };
      const streamed = { store: new MemoryShadowStore(), sink: new LocalHubSink(await openLocalHub()) };
      const clock = new ManualClock("2026-01-01T00:00:00.000Z");
      try {
        for (let n = 1; n <= 6; n++) {
          const step = randomStep(random, n * 2);
          clock.advance(step.advanceMs);
          const scopeTargets = [{ accountId: ACCOUNT, region: REGION }];
          const deps = { clock, sleep: async () => {} };
          const expected = await runImport(
            {
              findings: step.findings,
              conversionFailures: step.conversionFailures,
              ...(step.scope === undefined ? {} : { scope: step.scope }),
              scopeTargets,
              ...(step.reportTimeMs === undefined ? {} : { reportTimeMs: step.reportTimeMs }),
            },
            { ...deps, ...whole },
          );
          const { chunks, inputTime } = chunksOf(step, random);
          async function* stream() {
            yield* chunks;
          }
          const actual = await runImportStream(
            {
              chunks: random() < 0.5 ? chunks : stream(),
              ...(step.scope === undefined ? {} : { scope: step.scope }),
              scopeTargets,
              ...(inputTime === undefined ? {} : { reportTimeMs: inputTime }),
            },
            { ...deps, ...streamed },
          );
          const where = `seed ${seed}, import ${n}`;
          assert.deepEqual(withoutDuration(actual), withoutDuration(expected), where);
          const keys = IDS.map((id) => keyOf(finding(id)));
          assert.deepEqual(
            [...(await streamed.store.getMany(keys))],
            [...(await whole.store.getMany(keys))],
            `${where}: shadows`,
          );
          for (const scope of ["s", "t"]) {
            assert.deepEqual(
              await streamed.store.getScope(scope, ACCOUNT, REGION),
              await whole.store.getScope(scope, ACCOUNT, REGION),
              `${where}: scope ${scope}`,
            );
          }
          const [a, b] = [await hubState(streamed.sink, IDS), await hubState(whole.sink, IDS)];
          for (const id of IDS) assert.deepEqual(view(a.get(id)), view(b.get(id)), `${where}: hub ${id}`);
        }
      } finally {
        for (const t of [whole, streamed]) {
          await t.sink.close();
          await t.store.close();
        }
      }
    }
  });
});

describe("reportChunks", () => {
  const batch = (
    source: string,
    updatedAt: string[],
    extra: Partial<ConversionBatch> = {},
  ): ConversionBatch => ({
    source,
    format: "asff",
    findings: updatedAt.map((t, i) => finding(`${source}-${i}`, { UpdatedAt: t })),
    failures: [],
    ...extra,
  });
  const collect = async (chunks: AsyncIterable<ImportChunk>) => {
    const out: ImportChunk[] = [];
    for await (const chunk of chunks) out.push(chunk);
    return out;
  };
  const FALLBACK = Date.parse(day(30));

  it("dates each report by its own time, else its newest UpdatedAt, else the fallback clock", async () => {
    const reports = {
      own: [batch("own", [day(1)]), batch("own", [day(2)], { reportTime: day(3) })],
      newest: [batch("newest", [day(5), day(4)]), batch("newest", [day(2)])],
      empty: [batch("empty", [])],
    } as Record<string, ConversionBatch[]>;
    const stats = { findings: 0 };
    const chunks = await collect(
      reportChunks(
        Object.keys(reports).map((source) => ({ source, read: async () => new Uint8Array() })),
        (source) => reports[source] ?? [],
        FALLBACK,
        stats,
      ),
    );
    assert.deepEqual(
      chunks.flatMap((c) => (c.reportTimeMs === undefined ? [] : [c.reportTimeMs])),
      [Date.parse(day(3)), Date.parse(day(5)), FALLBACK],
    );
    assert.equal(stats.findings, 5);
    assert.deepEqual(
      chunks.flatMap((c) => c.findings.map((f) => f.source)),
      ["own", "own", "newest", "newest", "newest"],
    );
  });

  it("gets the report's own time from the last batch of convertReportBatches, as convertReport has it", () => {
    const content = JSON.stringify({
      SchemaVersion: 2,
      CreatedAt: "2026-03-04T05:06:07Z",
      ArtifactName: "app:1",
      ArtifactType: "container_image",
      Results: [
        { Target: "t", Vulnerabilities: [{ VulnerabilityID: "CVE-2026-1", PkgName: "p", Severity: "LOW" }] },
      ],
    });
    const ctx: ConversionContext = {
      accountId: ACCOUNT,
      region: REGION,
      partition: "aws",
      productArn: PRODUCT_ARN,
      nowMs: Date.parse(day(0)),
    };
    const whole = convertReport({ source: "r.json", content }, ctx);
    const batches = [...convertReportBatches({ source: "r.json", content }, ctx)];
    assert.ok(whole.reportTime !== undefined);
    assert.equal(batches.at(-1)?.reportTime, whole.reportTime);
  });

  it("turns an unreadable file into a conversion failure and dates an import of no readable report by the fallback", async () => {
    const chunks = await collect(
      reportChunks(
        [
          {
            source: "missing.json",
            read: async () => {
              throw new Error("ENOENT: no such file");
            },
          },
        ],
        () => [],
        FALLBACK,
      ),
    );
    assert.deepEqual(
      chunks.flatMap((c) => c.conversionFailures ?? []),
      [
        {
          source: "missing.json",
          rule: "readable file",
          message: "cannot read the report: ENOENT: no such file",
        },
      ],
    );
    assert.deepEqual(
      chunks.flatMap((c) => (c.reportTimeMs === undefined ? [] : [c.reportTimeMs])),
      [FALLBACK],
    );
  });
});
