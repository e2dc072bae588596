import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { DAY_MS } from "../../../lambdas/core/asff/limits.ts";
import { HubApiError, type StoredFinding } from "../../../lambdas/core/hub/contracts.ts";
import { FINDING_FILTER_FIELDS, valuesAtPath } from "../../../lambdas/core/hub/filter-fields.ts";
import { compileFindingFilters, indexableConstraints } from "../../../lambdas/core/hub/filters.ts";
import { T0 } from "./factories.ts";

type Json = Record<string, unknown>;
const ctx = { nowMs: T0 };
const wrap = (finding: Json) => ({ finding }) as unknown as StoredFinding;
const matches = (filters: Json, finding: Json, at = ctx) => compileFindingFilters(filters, at)(wrap(finding));
const sf = (Value: string, Comparison: string) => ({ Value, Comparison });

function invalidFilter(filters: unknown, message: RegExp): void {
  assert.throws(
    () => compileFindingFilters(filters, ctx),
    (e: unknown) =>
      e instanceof HubApiError &&
      e.code === "InvalidInputException" &&
      e.httpStatus === 400 &&
      message.test(e.message),
  );
}

const f1 = {
  Id: "f1",
  Title: "S3 bucket is public",
  Types: ["Effects/Data Exposure", "Software and Configuration Checks/AWS Security Best Practices"],
  Resources: [
    { Type: "AwsS3Bucket", Id: "arn:aws:s3:::alpha", Tags: { env: "prod", team: "blue" } },
    { Type: "AwsIamRole", Id: "arn:aws:iam::123456789012:role/beta" },
  ],
  Severity: { Label: "HIGH", Normalized: 70 },
  Confidence: 50,
  UpdatedAt: "2024-02-25T12:00:00Z",
  CreatedAt: "2024-01-01T00:00:00Z",
  Network: { SourceIpV4: "10.1.2.3", SourceIpV6: "2001:db8::1" },
  ProductFields: { "acme/x/rule": "R-17" },
};

describe("GetFindings string comparisons", () => {
  const table: [string, string, boolean][] = [
    ["EQUALS", "S3 bucket is public", true],
    ["EQUALS", "S3 bucket", false],
    ["PREFIX", "S3 b", true],
    ["PREFIX", "bucket", false],
    ["CONTAINS", "is pub", true],
    ["CONTAINS", "private", false],
    ["NOT_EQUALS", "S3 bucket is public", false],
    ["NOT_EQUALS", "other", true],
    ["PREFIX_NOT_EQUALS", "S3", false],
    ["PREFIX_NOT_EQUALS", "EC2", true],
    ["NOT_CONTAINS", "bucket", false],
    ["NOT_CONTAINS", "instance", true],
  ];
  for (const [comparison, value, expected] of table) {
    it(`Title ${comparison} "${value}" ${expected ? "matches" : "does not match"}`, () => {
      assert.equal(matches({ Title: [sf(value, comparison)] }, f1), expected);
    });
  }

  it("is case sensitive", () => {
    assert.equal(matches({ Title: [sf("s3 bucket is public", "EQUALS")] }, f1), false);
  });

  it("ORs positive filters on one field", () => {
    assert.equal(matches({ Title: [sf("nope", "EQUALS"), sf("S3", "PREFIX")] }, f1), true);
    assert.equal(matches({ Title: [sf("nope", "CONTAINS"), sf("public", "CONTAINS")] }, f1), true);
  });

  it("ANDs negative filters on one field", () => {
    assert.equal(matches({ Title: [sf("nope", "NOT_CONTAINS"), sf("public", "NOT_CONTAINS")] }, f1), false);
    assert.equal(matches({ Title: [sf("nope", "NOT_CONTAINS"), sf("zzz", "NOT_CONTAINS")] }, f1), true);
  });

  it("applies PREFIX first and then excludes NOT_EQUALS values", () => {
    const filters = {
      ResourceType: [sf("AwsIam", "PREFIX"), sf("AwsEc2", "PREFIX"), sf("AwsIamPolicy", "NOT_EQUALS")],
    };
    assert.equal(matches(filters, { Resources: [{ Type: "AwsIamRole" }] }), true);
    assert.equal(matches(filters, { Resources: [{ Type: "AwsIamPolicy" }] }), false);
    assert.equal(matches(filters, { Resources: [{ Type: "AwsS3Bucket" }] }), false);
  });

  it("ANDs different fields", () => {
    assert.equal(matches({ Title: [sf("S3", "PREFIX")], Id: [sf("f1", "EQUALS")] }, f1), true);
    assert.equal(matches({ Title: [sf("S3", "PREFIX")], Id: [sf("f2", "EQUALS")] }, f1), false);
  });

  it("matches a multi-valued field when any value matches a positive filter", () => {
    assert.equal(matches({ Type: [sf("Effects/Data Exposure", "EQUALS")] }, f1), true);
    assert.equal(matches({ ResourceId: [sf("arn:aws:iam::", "PREFIX")] }, f1), true);
  });

  it("fails a negative filter on a multi-valued field when any value violates it", () => {
    assert.equal(matches({ ResourceType: [sf("AwsIamRole", "NOT_EQUALS")] }, f1), false);
  });

  it("treats a missing field as failing positive and passing negative filters", () => {
    assert.equal(matches({ ComplianceStatus: [sf("FAILED", "EQUALS")] }, f1), false);
    assert.equal(matches({ ComplianceStatus: [sf("FAILED", "NOT_EQUALS")] }, f1), true);
  });

  it("ignores an empty filter list", () => {
    assert.equal(matches({ Title: [] }, f1), true);
  });
});

describe("GetFindings filter validation", () => {
  it("rejects CONTAINS mixed with another comparison on one field", () => {
    invalidFilter(
      { Title: [sf("a", "CONTAINS"), sf("b", "EQUALS")] },
      /CONTAINS filters can only be combined/,
    );
  });
  it("rejects NOT_CONTAINS mixed with another comparison on one field", () => {
    invalidFilter({ Title: [sf("a", "NOT_CONTAINS"), sf("b", "NOT_EQUALS")] }, /NOT_CONTAINS/);
  });
  it("rejects EQUALS with NOT_EQUALS or PREFIX_NOT_EQUALS on one field", () => {
    invalidFilter({ Title: [sf("a", "EQUALS"), sf("b", "NOT_EQUALS")] }, /EQUALS filter cannot be combined/);
    invalidFilter(
      { Title: [sf("a", "EQUALS"), sf("b", "PREFIX_NOT_EQUALS")] },
      /EQUALS filter cannot be combined/,
    );
  });
  it("rejects CONTAINS_WORD, which only the V2 APIs support", () => {
    invalidFilter({ Title: [sf("a", "CONTAINS_WORD")] }, /V2/);
  });
  it("rejects an unknown comparison, a missing value and an unknown attribute", () => {
    invalidFilter({ Title: [sf("a", "LIKE")] }, /Title\[0\]\.Comparison/);
    invalidFilter({ Title: [{ Comparison: "EQUALS" }] }, /Title\[0\]\.Value/);
    invalidFilter({ Titel: [sf("a", "EQUALS")] }, /'Titel' is not a filter attribute/);
    invalidFilter({ Title: sf("a", "EQUALS") }, /must be a list/);
    invalidFilter([], /must be an object/);
  });
  it("rejects more than 10 attributes and more than 20 values per attribute", () => {
    const eleven = Object.fromEntries(
      [
        "Id",
        "Title",
        "Description",
        "GeneratorId",
        "ProductArn",
        "AwsAccountId",
        "Region",
        "Type",
        "SeverityLabel",
        "RecordState",
        "ResourceId",
      ].map((f) => [f, [sf("x", "EQUALS")]]),
    );
    invalidFilter(eleven, /at most 10/);
    invalidFilter({ Title: Array.from({ length: 21 }, (_, i) => sf(`t${i}`, "EQUALS")) }, /at most 20/);
    assert.doesNotThrow(() =>
      compileFindingFilters({ Title: Array.from({ length: 20 }, (_, i) => sf(`t${i}`, "EQUALS")) }, ctx),
    );
  });
  it("rejects a malformed number, date, IP, boolean and map filter", () => {
    invalidFilter({ Confidence: [{}] }, /at least one of Gte/);
    invalidFilter({ Confidence: [{ Gte: "5" }] }, /Gte must be a number/);
    invalidFilter({ UpdatedAt: [{ Start: "yesterday" }] }, /not a valid timestamp/);
    invalidFilter({ UpdatedAt: [{}] }, /Start, End or DateRange/);
    invalidFilter({ UpdatedAt: [{ DateRange: { Value: 3, Unit: "WEEKS" } }] }, /Unit must be DAYS/);
    invalidFilter({ NetworkSourceIpV4: [{ Cidr: "10.0.0.0/33" }] }, /Cidr/);
    invalidFilter({ Sample: [{ Value: "true" }] }, /true or false/);
    invalidFilter(
      { ProductFields: [{ Key: "k", Value: "v", Comparison: "PREFIX" }] },
      /Comparison must be one of EQUALS, NOT_EQUALS, CONTAINS, NOT_CONTAINS/,
    );
  });
});

describe("GetFindings number filters", () => {
  const table: [Json, boolean][] = [
    [{ Gte: 50 }, true],
    [{ Gte: 51 }, false],
    [{ Lte: 50 }, true],
    [{ Lte: 49 }, false],
    [{ Eq: 50 }, true],
    [{ Eq: 51 }, false],
    [{ Gt: 50 }, false],
    [{ Gt: 49 }, true],
    [{ Lt: 50 }, false],
    [{ Lt: 51 }, true],
    [{ Gte: 40, Lte: 60 }, true],
    [{ Gte: 60, Lte: 80 }, false],
  ];
  for (const [cond, expected] of table) {
    it(`Confidence ${JSON.stringify(cond)} ${expected ? "matches" : "does not match"} 50`, () => {
      assert.equal(matches({ Confidence: [cond] }, f1), expected);
    });
  }
  it("ORs several number filters on one field", () => {
    assert.equal(matches({ SeverityNormalized: [{ Lt: 10 }, { Gte: 70 }] }, f1), true);
  });
  it("does not match a finding without the number", () => {
    assert.equal(matches({ Criticality: [{ Gte: 0 }] }, f1), false);
  });
});

describe("GetFindings date filters", () => {
  it("matches Start and End inclusively, comparing instants", () => {
    assert.equal(
      matches({ UpdatedAt: [{ Start: "2024-02-25T12:00:00Z", End: "2024-02-25T12:00:00Z" }] }, f1),
      true,
    );
    assert.equal(matches({ UpdatedAt: [{ Start: "2024-02-25T13:00:01+01:00" }] }, f1), false);
    assert.equal(matches({ UpdatedAt: [{ End: "2024-02-25T11:59:59.999Z" }] }, f1), false);
    assert.equal(
      matches({ CreatedAt: [{ Start: "2023-12-31T00:00:00Z", End: "2024-01-02T00:00:00Z" }] }, f1),
      true,
    );
  });

  it("matches DateRange WITHIN N DAYS relative to now", () => {
    // f1 was updated 5 days before T0 (2024-03-01T12:00Z).
    assert.equal(matches({ UpdatedAt: [{ DateRange: { Value: 5, Unit: "DAYS" } }] }, f1), true);
    assert.equal(matches({ UpdatedAt: [{ DateRange: { Value: 4, Unit: "DAYS" } }] }, f1), false);
  });

  it("matches DateRange OLDER_THAN N DAYS relative to now", () => {
    assert.equal(
      matches({ UpdatedAt: [{ DateRange: { Value: 4, Unit: "DAYS", Comparison: "OLDER_THAN" } }] }, f1),
      true,
    );
    assert.equal(
      matches({ UpdatedAt: [{ DateRange: { Value: 5, Unit: "DAYS", Comparison: "OLDER_THAN" } }] }, f1),
      false,
    );
  });

  it("moves a DateRange with the clock", () => {
    const filters = { UpdatedAt: [{ DateRange: { Value: 7, Unit: "DAYS" } }] };
    assert.equal(matches(filters, f1, { nowMs: T0 }), true);
    assert.equal(matches(filters, f1, { nowMs: T0 + 3 * DAY_MS }), false);
  });

  it("ORs several date filters on one field", () => {
    assert.equal(
      matches({ UpdatedAt: [{ End: "2020-01-01T00:00:00Z" }, { Start: "2024-02-01T00:00:00Z" }] }, f1),
      true,
    );
  });
});

describe("GetFindings IP, map, boolean and keyword filters", () => {
  it("matches an IPv4 address inside a CIDR block and not outside", () => {
    assert.equal(matches({ NetworkSourceIpV4: [{ Cidr: "10.1.0.0/16" }] }, f1), true);
    assert.equal(matches({ NetworkSourceIpV4: [{ Cidr: "10.2.0.0/16" }] }, f1), false);
    assert.equal(matches({ NetworkSourceIpV4: [{ Cidr: "10.1.2.3" }] }, f1), true);
  });

  it("matches an IPv6 address inside a CIDR block", () => {
    assert.equal(matches({ NetworkSourceIpV6: [{ Cidr: "2001:db8::/32" }] }, f1), true);
    assert.equal(matches({ NetworkSourceIpV6: [{ Cidr: "2001:db9::/32" }] }, f1), false);
  });

  it("matches map EQUALS, CONTAINS, NOT_EQUALS and NOT_CONTAINS per key", () => {
    const mf = (Key: string, Value: string, Comparison: string) => ({ Key, Value, Comparison });
    assert.equal(matches({ ResourceTags: [mf("env", "prod", "EQUALS")] }, f1), true);
    assert.equal(matches({ ResourceTags: [mf("env", "pro", "EQUALS")] }, f1), false);
    assert.equal(matches({ ResourceTags: [mf("env", "ro", "CONTAINS")] }, f1), true);
    assert.equal(matches({ ResourceTags: [mf("env", "prod", "NOT_EQUALS")] }, f1), false);
    assert.equal(matches({ ResourceTags: [mf("env", "dev", "NOT_EQUALS")] }, f1), true);
    assert.equal(matches({ ResourceTags: [mf("team", "lu", "NOT_CONTAINS")] }, f1), false);
    assert.equal(matches({ ResourceTags: [mf("owner", "x", "NOT_CONTAINS")] }, f1), true);
    assert.equal(matches({ ProductFields: [mf("acme/x/rule", "R-17", "EQUALS")] }, f1), true);
  });

  it("treats a missing Sample flag as false", () => {
    assert.equal(matches({ Sample: [{ Value: false }] }, f1), true);
    assert.equal(matches({ Sample: [{ Value: true }] }, f1), false);
    assert.equal(matches({ Sample: [{ Value: true }] }, { ...f1, Sample: true }), true);
  });

  it("matches a Keyword equal to any string value of the finding", () => {
    assert.equal(matches({ Keyword: [{ Value: "arn:aws:s3:::alpha" }] }, f1), true);
    assert.equal(matches({ Keyword: [{ Value: "arn:aws:s3:::" }] }, f1), false);
  });
});

/** Builds a finding holding `value` at `path` (lists get one element). */
function findingWith(path: string, value: unknown): Json {
  const steps = path.split(".");
  const build = (i: number): unknown => {
    if (i === steps.length) return value;
    const step = steps[i] ?? "";
    const inner = build(i + 1);
    return step.endsWith("[]") ? { [step.slice(0, -2)]: [inner] } : { [step]: inner };
  };
  // The last step of a list path holds the value inside the list.
  return build(0) as Json;
}

describe("GetFindings filter field table", () => {
  it("covers every AwsSecurityFindingFilters member of the Security Hub model on this machine", (t) => {
    const model =
      "/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages/botocore/data/securityhub/2018-10-26/service-2.json.gz";
    if (!existsSync(model)) {
      t.skip("botocore model not installed; the compile-time check against the SDK type still applies");
      return;
    }
    const shapes = JSON.parse(gunzipSync(readFileSync(model)).toString("utf8")).shapes;
    const members = Object.keys(shapes.AwsSecurityFindingFilters.members);
    const missing = members.filter((m) => !(m in FINDING_FILTER_FIELDS));
    assert.deepEqual(missing, []);
  });

  for (const [field, spec] of Object.entries(FINDING_FILTER_FIELDS)) {
    if (spec.kind !== "string") continue;
    it(`filters ${field} on ${spec.path}`, () => {
      const f = findingWith(spec.path, "needle-value");
      assert.deepEqual(valuesAtPath(f, spec.path), ["needle-value"]);
      assert.equal(matches({ [field]: [sf("needle-value", "EQUALS")] }, f), true);
      assert.equal(matches({ [field]: [sf("other", "EQUALS")] }, f), false);
    });
  }

  for (const [field, spec] of Object.entries(FINDING_FILTER_FIELDS)) {
    if (spec.kind !== "number" && spec.kind !== "date") continue;
    it(`filters ${field} on ${spec.path}`, () => {
      const value = spec.kind === "number" ? 42 : "2024-02-01T00:00:00Z";
      const f = findingWith(spec.path, value);
      const hit =
        spec.kind === "number" ? { Eq: 42 } : { Start: "2024-01-31T00:00:00Z", End: "2024-02-02T00:00:00Z" };
      const miss = spec.kind === "number" ? { Gt: 42 } : { Start: "2024-02-02T00:00:00Z" };
      assert.equal(matches({ [field]: [hit] }, f), true);
      assert.equal(matches({ [field]: [miss] }, f), false);
    });
  }
});

describe("indexableConstraints", () => {
  it("returns the EQUALS and PREFIX values of fields without CONTAINS", () => {
    const constraints = indexableConstraints(
      {
        SeverityLabel: [sf("HIGH", "EQUALS"), sf("CRIT", "PREFIX")],
        Title: [sf("x", "CONTAINS")],
        RecordState: [sf("ARCHIVED", "NOT_EQUALS")],
        ResourceType: [sf("AwsIam", "PREFIX"), sf("AwsIamPolicy", "NOT_EQUALS")],
      },
      ctx,
    );
    assert.deepEqual(constraints, [
      {
        kind: "string",
        field: "SeverityLabel",
        path: "Severity.Label",
        equals: ["HIGH"],
        prefixes: ["CRIT"],
      },
      { kind: "string", field: "ResourceType", path: "Resources[].Type", equals: [], prefixes: ["AwsIam"] },
    ]);
  });

  it("returns date ranges in epoch ms, DateRange resolved against now", () => {
    const constraints = indexableConstraints(
      {
        UpdatedAt: [{ DateRange: { Value: 2, Unit: "DAYS" } }],
        CreatedAt: [{ Start: "2024-01-01T00:00:00Z" }],
      },
      ctx,
    );
    assert.deepEqual(constraints, [
      {
        kind: "date",
        field: "UpdatedAt",
        path: "UpdatedAt",
        ranges: [{ startMs: T0 - 2 * DAY_MS, endMs: undefined }],
      },
      {
        kind: "date",
        field: "CreatedAt",
        path: "CreatedAt",
        ranges: [{ startMs: Date.parse("2024-01-01T00:00:00Z"), endMs: undefined }],
      },
    ]);
  });

  it("never excludes a finding the predicate accepts", () => {
    const filters = { Id: [sf("f", "PREFIX")], UpdatedAt: [{ Start: "2024-02-01T00:00:00Z" }] };
    assert.equal(matches(filters, f1), true);
    for (const c of indexableConstraints(filters, ctx)) {
      const values = valuesAtPath(f1, c.path);
      if (c.kind === "string") {
        assert.ok(
          values.some(
            (v) => typeof v === "string" && (c.equals.includes(v) || c.prefixes.some((p) => v.startsWith(p))),
          ),
        );
      } else {
        assert.ok(
          values.some((v) => c.ranges.some((r) => Date.parse(String(v)) >= (r.startMs ?? -Infinity))),
        );
      }
    }
  });

  it("throws like compileFindingFilters on invalid filters", () => {
    assert.throws(() => indexableConstraints({ Nope: [] }, ctx), HubApiError);
  });
});
