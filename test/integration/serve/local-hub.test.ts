/**
 * `LocalHub` with both repositories (SQLite and in-memory): retention with an injected clock,
 * and index push-down that never changes a GetFindings answer.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { AwsSecurityFinding, GetFindingsRequest } from "@aws-sdk/client-securityhub";
import fc from "fast-check";
import { type LocalHub, openLocalHub } from "../../../lambdas/adapters/local-hub/local-hub.ts";
import { MemoryHubRepository } from "../../../lambdas/adapters/local-hub/memory-repository.ts";
import type { HubRepository } from "../../../lambdas/adapters/local-hub/repository.ts";
import { SqliteHubRepository } from "../../../lambdas/adapters/local-hub/sqlite-repository.ts";
import { DAY_MS, RETENTION_MS } from "../../../lambdas/core/asff/limits.ts";
import { getFindings } from "../../../lambdas/core/hub/get-findings.ts";
import { ManualClock } from "../../../lambdas/ports/clock.ts";
import { makeFinding } from "./scenarios.ts";

const ACCOUNT = "123456789012";
const caller = { accountId: ACCOUNT, region: "us-east-1" };
const START = Date.parse("2026-01-01T00:00:00Z");

const repositories: { name: string; make: (dir: string) => HubRepository }[] = [
  { name: "in-memory", make: () => new MemoryHubRepository() },
  {
    name: "SQLite",
    make: (dir) => new SqliteHubRepository({ file: join(dir, `hub-${Math.random()}.sqlite`) }),
  },
];

const LABELS = ["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"] as const;
const TYPES = ["AwsEc2Instance", "AwsS3Bucket", "Container", "Other"] as const;

/** A varied population: every indexed attribute takes several values, some findings lack some. */
function population(n: number): AwsSecurityFinding[] {
  return Array.from({ length: n }, (_, i) =>
    makeFinding(ACCOUNT, `f-${String(i).padStart(3, "0")}`, {
      GeneratorId: `rule-${i % 7}`,
      Title: `${["alpha", "Alpha", "beta", "gamma_x", "gamma%"][i % 5]} ${i}`,
      CreatedAt: new Date(START - (i % 30) * DAY_MS).toISOString(),
      UpdatedAt: new Date(START - (i % 11) * 3_600_000).toISOString(),
      FindingProviderFields: {
        Severity: { Label: LABELS[i % 5] },
        Types: ["Software and Configuration Checks"],
      },
      ...(i % 4 === 0 ? {} : { Compliance: { Status: ["PASSED", "FAILED", "WARNING"][i % 3] } }),
      RecordState: i % 6 === 0 ? "ARCHIVED" : "ACTIVE",
      Resources: [
        { Type: TYPES[i % 4], Id: `arn:aws:res:${i % 13}`, Partition: "aws", Region: "us-east-1" },
        ...(i % 3 === 0
          ? [{ Type: "Other", Id: `extra-${i % 5}`, Partition: "aws", Region: "us-east-1" }]
          : []),
      ],
    }),
  );
}

const stringFilter = (values: readonly string[]) =>
  fc.array(
    fc.record({
      Value: fc.constantFrom(...values),
      Comparison: fc.constantFrom("EQUALS", "PREFIX", "NOT_EQUALS", "PREFIX_NOT_EQUALS"),
    }),
    { minLength: 1, maxLength: 3 },
  );

const filtersArb = fc.record(
  {
    Id: stringFilter(["f-00", "f-01", "f-1", "f-050", "f-", "g"]),
    GeneratorId: stringFilter(["rule-1", "rule-3", "rule-", "rule-9"]),
    Title: stringFilter(["alpha", "Alpha", "alpha 5", "gamma_", "gamma%", "be"]),
    SeverityLabel: stringFilter([...LABELS, "HI"]),
    RecordState: stringFilter(["ACTIVE", "ARCHIVED"]),
    ComplianceStatus: stringFilter(["PASSED", "FAILED", "WARN"]),
    ResourceType: stringFilter([...TYPES, "Aws"]),
    ResourceId: stringFilter(["arn:aws:res:1", "arn:aws:res:", "extra-2", "extra"]),
    CreatedAt: fc.array(
      fc.record({
        Start: fc.constantFrom("2025-12-10T00:00:00Z", "2025-12-20T00:00:00.000+02:00"),
        End: fc.constantFrom("2025-12-25T00:00:00Z", "2026-01-01T00:00:00Z"),
      }),
      { minLength: 1, maxLength: 2 },
    ),
  },
  { requiredKeys: [] },
);

/** Broad queries (many matches: the early stop happens) as often as narrow ones. */
const broadOrNarrowArb = fc.oneof(
  fc.constant({}),
  fc.record({ RecordState: fc.constant([{ Value: "ACTIVE", Comparison: "EQUALS" }]) }),
  fc.record({ Title: fc.constant([{ Value: "gamma", Comparison: "NOT_EQUALS" }]) }),
  filtersArb,
  filtersArb,
);
const maxResultsArb = fc.oneof(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 100 }));

/** Sorts that exercise the early stop (date first) and those that do not; undefined = the default (UpdatedAt desc). */
const sortArb = fc.constantFrom<GetFindingsRequest["SortCriteria"] | undefined>(
  undefined,
  [{ Field: "UpdatedAt", SortOrder: "asc" }],
  [{ Field: "UpdatedAt", SortOrder: "desc" }],
  [{ Field: "CreatedAt", SortOrder: "asc" }],
  [
    { Field: "CreatedAt", SortOrder: "desc" },
    { Field: "Title", SortOrder: "asc" },
  ],
  [{ Field: "Title", SortOrder: "desc" }],
  [{ Field: "SeverityLabel", SortOrder: "desc" }],
);

describe("LocalHub storage", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "shadowhub-localhub-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const repo of repositories) {
    describe(`${repo.name} repository`, () => {
      it("hides a finding 90 days after its last provider update, purges it, and re-creates it on re-import", async () => {
        const clock = new ManualClock(START);
        const repository = repo.make(dir);
        const hub = await openLocalHub({ repository, clock });
        try {
          await hub.batchImportFindings({ Findings: [makeFinding(ACCOUNT, "old")] }, caller);
          clock.advance(RETENTION_MS);
          assert.equal((await hub.getFindings({}, caller)).Findings?.length, 1, "still there on day 90");
          clock.advance(1);
          assert.equal((await hub.getFindings({}, caller)).Findings?.length, 0, "gone after day 90");
          const again = await hub.batchImportFindings({ Findings: [makeFinding(ACCOUNT, "other")] }, caller);
          assert.equal(again.SuccessCount, 1);
          assert.equal(repository.countFindings(), 1, "the expired finding was purged");
          const recreated = await hub.batchImportFindings(
            { Findings: [makeFinding(ACCOUNT, "old")] },
            caller,
          );
          assert.equal(recreated.SuccessCount, 1);
          assert.equal(
            (await hub.getFindings({ Filters: { Id: [{ Value: "old", Comparison: "EQUALS" }] } }, caller))
              .Findings?.length,
            1,
          );
        } finally {
          await hub.close();
        }
      });

      it("answers every GetFindings page exactly as the engine does over all stored findings (push-down and early stop change nothing)", async () => {
        const clock = new ManualClock(START);
        const repository = repo.make(dir);
        const hub: LocalHub = await openLocalHub({ repository, clock });
        try {
          // Stored in a scrambled order, so the store's natural order is not the key order the engine
          // breaks ties with (an early stop that ignored ties would then be caught).
          const findings = population(150).map((_, i, all) => all[(i * 37) % 150] as AwsSecurityFinding);
          for (let i = 0; i < findings.length; i += 100) {
            const out = await hub.batchImportFindings({ Findings: findings.slice(i, i + 100) }, caller);
            assert.equal(out.FailedCount, 0, JSON.stringify(out.FailedFindings?.[0]));
          }
          const everything = [
            ...repository.queryFindings({
              ...caller,
              constraints: [],
              expiredAtOrBeforeMs: Number.NEGATIVE_INFINITY,
            }),
          ];
          assert.equal(everything.length, 150);
          await fc.assert(
            fc.asyncProperty(broadOrNarrowArb, sortArb, maxResultsArb, async (Filters, sort, max) => {
              const request: GetFindingsRequest = {
                Filters: Filters as GetFindingsRequest["Filters"],
                MaxResults: max,
                ...(sort === undefined ? {} : { SortCriteria: sort }),
              };
              const engine = (r: GetFindingsRequest) => getFindings(r, everything, { nowMs: clock.now() });
              let expected: ReturnType<typeof getFindings>;
              try {
                expected = engine(request);
              } catch (error) {
                // Invalid comparison mixes: the hub must reject them the same way.
                await assert.rejects(hub.getFindings(request, caller), { name: (error as Error).name });
                return;
              }
              const answer = await hub.getFindings(request, caller);
              assert.deepEqual(
                answer.Findings?.map((f) => f.Id ?? ""),
                expected.Findings.map((f) => f.Id ?? ""),
              );
              // A first page sorted by a date stops reading early: its token must still be the engine's.
              assert.equal(answer.NextToken, expected.NextToken);
              if (expected.NextToken !== undefined) {
                const next = { ...request, NextToken: expected.NextToken };
                assert.deepEqual(
                  (await hub.getFindings(next, caller)).Findings?.map((f) => f.Id ?? ""),
                  engine(next).Findings.map((f) => f.Id ?? ""),
                );
              }
            }),
            { numRuns: 200, seed: 20260101 },
          );
        } finally {
          await hub.close();
        }
      });

      it("returns a finding whose resources share one Id once, in UpdatedAt order, on the first page and the next", async () => {
        const clock = new ManualClock(START);
        const hub = await openLocalHub({ repository: repo.make(dir), clock });
        try {
          const resource = (type: string) => ({
            Type: type,
            Id: "shared",
            Partition: "aws",
            Region: "us-east-1",
          });
          const findings = Array.from({ length: 5 }, (_, i) =>
            makeFinding(ACCOUNT, `dup-${i}`, {
              UpdatedAt: new Date(START - i * 60_000).toISOString(),
              Resources: i % 2 === 0 ? [resource("Other"), resource("Container")] : [resource("Other")],
            }),
          );
          assert.equal((await hub.batchImportFindings({ Findings: findings }, caller)).FailedCount, 0);
          const Filters = { ResourceId: [{ Value: "shared", Comparison: "EQUALS" as const }] };
          const first = await hub.getFindings({ Filters, MaxResults: 3 }, caller);
          assert.deepEqual(
            first.Findings?.map((f) => f.Id),
            ["dup-0", "dup-1", "dup-2"],
          );
          const next = await hub.getFindings({ Filters, MaxResults: 3, NextToken: first.NextToken }, caller);
          assert.deepEqual(
            next.Findings?.map((f) => f.Id),
            ["dup-3", "dup-4"],
          );
          assert.equal(next.NextToken, undefined);
        } finally {
          await hub.close();
        }
      });
    });
  }

  it("keeps hubs, subscriptions and findings in the SQLite file across reopening", async () => {
    const stateDir = join(dir, "state");
    const first = await openLocalHub({ stateDir, autoEnable: false });
    await first.enableSecurityHub({}, caller);
    const partner = "arn:aws:securityhub:us-east-1::product/acme/scanner";
    await first.enableImportFindingsForProduct({ ProductArn: partner }, caller);
    await first.batchImportFindings({ Findings: [makeFinding(ACCOUNT, "kept")] }, caller);
    await first.close();
    const second = await openLocalHub({ stateDir, autoEnable: false });
    try {
      assert.equal((await second.getFindings({}, caller)).Findings?.[0]?.Id, "kept");
      assert.equal((await second.listEnabledProductsForImport({}, caller)).ProductSubscriptions?.length, 1);
      await assert.rejects(second.describeHub({}, { accountId: "999999999999", region: "us-east-1" }), {
        name: "HubApiError",
      });
    } finally {
      await second.close();
    }
  });
});
