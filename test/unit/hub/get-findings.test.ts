import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DAY_MS } from "../../../lambdas/core/asff/limits.ts";
import { HubApiError, type StoredFinding } from "../../../lambdas/core/hub/contracts.ts";
import { compareBySortCriteria, getFindings } from "../../../lambdas/core/hub/get-findings.ts";
import { ACCOUNT, PRODUCT_ARN, REGION, T0 } from "./factories.ts";

type Json = Record<string, unknown>;
const ctx = { nowMs: T0 };

function stored(id: string, extra: Json = {}, lastProviderUpdateMs = T0): StoredFinding {
  return {
    key: { accountId: ACCOUNT, region: REGION, productArn: PRODUCT_ARN, id },
    finding: {
      Id: id,
      ProductArn: PRODUCT_ARN,
      UpdatedAt: "2024-03-01T00:00:00Z",
      ...extra,
    } as unknown as StoredFinding["finding"],
    customerTouched: [],
    lastProviderUpdateMs,
  };
}

const ids = (r: { Findings: { Id?: string }[] }) => r.Findings.map((f) => f.Id);

function invalid(fn: () => unknown, parameter: string): void {
  assert.throws(
    fn,
    (e: unknown) =>
      e instanceof HubApiError && e.code === "InvalidInputException" && e.message.includes(`'${parameter}'`),
  );
}

const severities = ["LOW", "CRITICAL", "INFORMATIONAL", "HIGH", "MEDIUM"];
const five = severities.map((label, i) =>
  stored(`f${i}`, {
    Severity: { Label: label },
    Title: `title ${4 - i}`,
    UpdatedAt: `2024-02-0${i + 1}T00:00:00Z`,
    Confidence: i * 10,
  }),
);

describe("GetFindings sorting", () => {
  it("sorts by UpdatedAt descending by default", () => {
    assert.deepEqual(ids(getFindings({}, five, ctx)), ["f4", "f3", "f2", "f1", "f0"]);
  });

  it("sorts by a string field ascending and descending", () => {
    assert.deepEqual(ids(getFindings({ SortCriteria: [{ Field: "Title", SortOrder: "asc" }] }, five, ctx)), [
      "f4",
      "f3",
      "f2",
      "f1",
      "f0",
    ]);
    assert.deepEqual(ids(getFindings({ SortCriteria: [{ Field: "Title", SortOrder: "desc" }] }, five, ctx)), [
      "f0",
      "f1",
      "f2",
      "f3",
      "f4",
    ]);
  });

  it("sorts SeverityLabel by severity rank, not alphabetically", () => {
    const r = getFindings({ SortCriteria: [{ Field: "SeverityLabel", SortOrder: "desc" }] }, five, ctx);
    assert.deepEqual(ids(r), ["f1", "f3", "f4", "f0", "f2"]);
  });

  it("sorts numbers numerically and puts findings without the field last", () => {
    const withMissing = [...five, stored("none", {})];
    const asc = getFindings({ SortCriteria: [{ Field: "Confidence", SortOrder: "asc" }] }, withMissing, ctx);
    assert.deepEqual(ids(asc), ["f0", "f1", "f2", "f3", "f4", "none"]);
    const desc = getFindings(
      { SortCriteria: [{ Field: "Confidence", SortOrder: "desc" }] },
      withMissing,
      ctx,
    );
    assert.deepEqual(ids(desc), ["f4", "f3", "f2", "f1", "f0", "none"]);
  });

  it("breaks ties with the next criterion, then with the finding key", () => {
    const tied = [
      stored("b", { Title: "same", Confidence: 1 }),
      stored("a", { Title: "same", Confidence: 1 }),
      stored("c", { Title: "same", Confidence: 0 }),
    ];
    const r = getFindings(
      {
        SortCriteria: [
          { Field: "Title", SortOrder: "asc" },
          { Field: "Confidence", SortOrder: "asc" },
        ],
      },
      tied,
      ctx,
    );
    assert.deepEqual(ids(r), ["c", "a", "b"]);
  });

  it("compares dates as instants", () => {
    const tz = [
      stored("later", { UpdatedAt: "2024-02-01T01:00:00+00:00" }),
      stored("earlier", { UpdatedAt: "2024-02-01T01:30:00+01:00" }),
    ];
    assert.deepEqual(
      ids(getFindings({ SortCriteria: [{ Field: "UpdatedAt", SortOrder: "asc" }] }, tz, ctx)),
      ["earlier", "later"],
    );
  });

  it("exposes the same order as a comparator", () => {
    const sorted = [...five].sort(compareBySortCriteria([{ Field: "Confidence", SortOrder: "desc" }]));
    assert.deepEqual(
      sorted.map((s) => s.key.id),
      ["f4", "f3", "f2", "f1", "f0"],
    );
  });

  it("rejects an unknown or unsortable field and a bad SortOrder", () => {
    invalid(() => getFindings({ SortCriteria: [{ Field: "Nope" }] }, five, ctx), "SortCriteria");
    invalid(() => getFindings({ SortCriteria: [{ Field: "ResourceTags" }] }, five, ctx), "SortCriteria");
    invalid(
      () => getFindings({ SortCriteria: [{ Field: "Title", SortOrder: "up" }] }, five, ctx),
      "SortCriteria",
    );
  });
});

describe("GetFindings pagination", () => {
  const many = Array.from({ length: 250 }, (_, i) =>
    stored(`f${String(i).padStart(3, "0")}`, { Confidence: i % 7 }),
  );

  it("returns at most 100 findings by default with a NextToken", () => {
    const r = getFindings({}, many, ctx);
    assert.equal(r.Findings.length, 100);
    assert.equal(typeof r.NextToken, "string");
  });

  it("walks every finding exactly once across pages, in sort order", () => {
    const request = { MaxResults: 33, SortCriteria: [{ Field: "Confidence", SortOrder: "desc" }] };
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const r = getFindings({ ...request, NextToken: token }, many, ctx);
      seen.push(...ids(r).map(String));
      token = r.NextToken;
      pages++;
    } while (token);
    assert.equal(pages, Math.ceil(250 / 33));
    assert.equal(seen.length, 250);
    assert.equal(new Set(seen).size, 250);
    const expected = [...many].sort(compareBySortCriteria(request.SortCriteria)).map((s) => s.key.id);
    assert.deepEqual(seen, expected);
  });

  it("omits NextToken on the last page", () => {
    const r = getFindings({ MaxResults: 100 }, many.slice(0, 100), ctx);
    assert.equal(r.Findings.length, 100);
    assert.equal(r.NextToken, undefined);
  });

  it("does not repeat or skip findings when one is added between pages", () => {
    const first = getFindings(
      { MaxResults: 2, SortCriteria: [{ Field: "Id", SortOrder: "asc" }] },
      many.slice(0, 5),
      ctx,
    );
    const grown = [stored("a-new-first"), ...many.slice(0, 5)];
    const second = getFindings(
      { MaxResults: 2, SortCriteria: [{ Field: "Id", SortOrder: "asc" }], NextToken: first.NextToken },
      grown,
      ctx,
    );
    assert.deepEqual(ids(first), ["f000", "f001"]);
    assert.deepEqual(ids(second), ["f002", "f003"]);
  });

  it("rejects a NextToken that was altered or issued for other filters", () => {
    const r = getFindings({ MaxResults: 10 }, many, ctx);
    invalid(() => getFindings({ MaxResults: 10, NextToken: "not-a-token" }, many, ctx), "NextToken");
    invalid(() => getFindings({ MaxResults: 10, NextToken: `${r.NextToken}x` }, many, ctx), "NextToken");
    invalid(
      () =>
        getFindings(
          { MaxResults: 10, NextToken: r.NextToken, Filters: { Id: [{ Value: "f", Comparison: "PREFIX" }] } },
          many,
          ctx,
        ),
      "NextToken",
    );
    invalid(() => getFindings({ NextToken: 5 }, many, ctx), "NextToken");
  });

  it("rejects MaxResults outside 1–100", () => {
    for (const bad of [0, 101, 1.5, "10"])
      invalid(() => getFindings({ MaxResults: bad }, many, ctx), "MaxResults");
    assert.equal(getFindings({ MaxResults: 1 }, many, ctx).Findings.length, 1);
  });
});

describe("GetFindings filtering and retention", () => {
  it("returns only findings matching the filters, ARCHIVED included unless filtered out", () => {
    const set = [stored("a", { RecordState: "ACTIVE" }), stored("b", { RecordState: "ARCHIVED" })];
    assert.deepEqual(ids(getFindings({}, set, ctx)).sort(), ["a", "b"]);
    const active = getFindings(
      { Filters: { RecordState: [{ Value: "ACTIVE", Comparison: "EQUALS" }] } },
      set,
      ctx,
    );
    assert.deepEqual(ids(active), ["a"]);
  });

  it("hides findings whose last provider update is more than 90 days old", () => {
    const set = [stored("old", {}, T0 - 91 * DAY_MS), stored("fresh", {}, T0 - 89 * DAY_MS)];
    assert.deepEqual(ids(getFindings({}, set, ctx)), ["fresh"]);
    assert.deepEqual(ids(getFindings({}, set, { nowMs: T0 + 2 * DAY_MS })), []);
  });

  it("returns copies that do not alias the store", () => {
    const set = [stored("a", { Title: "t" })];
    const r = getFindings({}, set, ctx);
    const copy = r.Findings[0] as unknown as Json;
    copy.Title = "mutated";
    assert.equal((set[0] as StoredFinding).finding.Title, "t");
  });

  it("rejects a request that is not an object", () => {
    assert.throws(() => getFindings("x", [], ctx), HubApiError);
  });
});

describe("GetFindings pagination property", () => {
  it("pages through any set of findings in exactly the comparator's order, whatever MaxResults and sort", async () => {
    const fc = await import("fast-check");
    const findingArb = fc.record({
      title: fc.constantFrom("a", "b", "c", "d"),
      confidence: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
      day: fc.integer({ min: 1, max: 9 }),
    });
    const fieldArb = fc.constantFrom("Title", "Confidence", "UpdatedAt", "Id");
    const criteriaArb = fc.array(fc.record({ Field: fieldArb, SortOrder: fc.constantFrom("asc", "desc") }), {
      maxLength: 2,
    });
    fc.assert(
      fc.property(
        fc.array(findingArb, { maxLength: 60 }),
        criteriaArb,
        fc.integer({ min: 1, max: 25 }),
        (specs, criteria, max) => {
          const set = specs.map((s, i) =>
            stored(`id-${(i * 37) % 101}-${i}`, {
              Title: s.title,
              ...(s.confidence === undefined ? {} : { Confidence: s.confidence }),
              UpdatedAt: `2024-02-0${s.day}T00:00:00Z`,
            }),
          );
          const expected = [...set].sort(compareBySortCriteria(criteria)).map((s) => s.key.id);
          const seen: string[] = [];
          let token: string | undefined;
          do {
            const r = getFindings({ MaxResults: max, SortCriteria: criteria, NextToken: token }, set, ctx);
            assert.ok(r.Findings.length <= max);
            seen.push(...ids(r).map(String));
            token = r.NextToken;
          } while (token);
          assert.deepEqual(seen, expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});
