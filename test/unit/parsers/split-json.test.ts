/**
 * Reading a report in parts (`split-json.ts`, `ReportParser.entryArrays`): the values, findings,
 * failures and errors must be exactly those of the whole-document path (`parseReport`), for good
 * reports and for every kind of bad input.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { ParseItem, ReportParser, SplitReport } from "../../../lambdas/core/parsers/contracts.ts";
import {
  type ConversionBatch,
  convertReport,
  convertReportBatches,
} from "../../../lambdas/core/parsers/convert.ts";
import { createRegistry } from "../../../lambdas/core/parsers/registry.ts";
import { parseReport } from "../../../lambdas/core/parsers/safe-json.ts";
import {
  type EntryArrayPattern,
  isControlFreeEntry,
  splitReport,
} from "../../../lambdas/core/parsers/split-json.ts";
import { trivyParser } from "../../../lambdas/core/parsers/trivy.ts";
import { seededRandom } from "../../helpers/seeded-random.ts";
import { fixedContext } from "./helpers.ts";

/** A control character in serialized findings: raw (DEL, C1) or escaped by JSON.stringify. */
const CONTROL_IN_JSON = /[\u007f-\u009f]|\\u00[01][0-9a-f]/i;

const FIXTURES = join(import.meta.dirname, "../../fixtures");
const ctx = fixedContext();
const TRIVY_PATTERNS = trivyParser.entryArrays as readonly EntryArrayPattern[];

/** A parser that never detects anything: registering it makes auto-detection read reports whole. */
const NEVER: ReportParser = { name: "never", detect: () => false, parse: () => ({ drafts: [] }) };
const WHOLE_REGISTRY = createRegistry([NEVER]);

/** Puts every split array's entries back into the envelope: what `JSON.parse` of the whole gives. */
function materialize(split: SplitReport, patterns: readonly EntryArrayPattern[]): unknown {
  const fill = (
    value: unknown,
    pattern: EntryArrayPattern,
    level: number,
    path: (string | number)[],
  ): void => {
    if (level === pattern.length) {
      const entries = split.entries(path);
      if (entries !== undefined) (value as unknown[]).push(...entries);
      return;
    }
    const key = pattern[level] as string;
    if (key === "*") {
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) fill(value[i], pattern, level + 1, [...path, i]);
      }
    } else if (
      typeof value === "object" &&
      value !== null &&
      !Array.isArray(value) &&
      Object.hasOwn(value, key)
    ) {
      fill((value as Record<string, unknown>)[key], pattern, level + 1, [...path, key]);
    }
  };
  for (const pattern of patterns) fill(split.document, pattern, 0, []);
  return split.document;
}

/** parseReport's value, or its error message. */
function whole(content: string | Uint8Array, limits = {}): { value?: unknown; error?: string } {
  try {
    return { value: parseReport("r.json", content, limits) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

function fixtures(): { name: string; content: Buffer }[] {
  const out: { name: string; content: Buffer }[] = [];
  for (const format of ["trivy", "grype", "sarif", "zap", "asff"]) {
    for (const name of readdirSync(join(FIXTURES, format))) {
      if (name.includes(".golden.")) continue;
      out.push({ name: `${format}/${name}`, content: readFileSync(join(FIXTURES, format, name)) });
    }
  }
  return out;
}

function trivy(results: unknown, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    SchemaVersion: 2,
    ArtifactName: "app",
    ArtifactType: "filesystem",
    Results: results,
    ...extra,
  });
}

const vuln = (i: number, extra: Record<string, unknown> = {}) => ({
  VulnerabilityID: `CVE-2024-${1000 + i}`,
  PkgName: `pkg-${i}`,
  Severity: "HIGH",
  Description: `caf\u00e9 \u{1f600} "quoted" \\ back\nslash ${i}`,
  ...extra,
});

const REPORT = trivy([
  {
    Target: "a/package-lock.json",
    Class: "lang-pkgs",
    Type: "npm",
    Vulnerabilities: [vuln(1), vuln(2), vuln(3)],
  },
  {
    Target: "main.tf",
    Class: "config",
    Misconfigurations: [{ ID: "AVD-AWS-0086", Title: "t", Severity: "HIGH", Status: "FAIL" }],
    Secrets: [{ RuleID: "aws-access-key-id", Title: "AWS", StartLine: 3, EndLine: 3, Severity: "CRITICAL" }],
    Licenses: [{ Name: "GPL-3.0", PkgName: "x", Severity: "HIGH" }],
  },
]);

function convertBoth(content: string | Uint8Array, format?: string, limits = {}) {
  const input = { source: "r.json", content, ...(format ? { format } : {}) };
  return {
    split: convertReport(input, ctx, undefined, limits),
    whole: convertReport(input, ctx, WHOLE_REGISTRY, limits),
  };
}

describe("splitReport", () => {
  it("splits every Trivy entry array and gives the values JSON.parse of the whole gives", () => {
    const split = splitReport("r.json", REPORT, TRIVY_PATTERNS);
    assert.ok(split);
    const doc = split.document as { Results: { Vulnerabilities?: unknown[] }[] };
    assert.deepEqual(doc.Results[0]?.Vulnerabilities, []);
    assert.equal([...(split.entries(["Results", 0, "Vulnerabilities"]) ?? [])].length, 3);
    assert.equal(split.entries(["Results", 0, "Secrets"]), undefined);
    assert.deepEqual(materialize(split, TRIVY_PATTERNS), JSON.parse(REPORT));
  });

  it("reads bytes (with or without a BOM) and text alike", () => {
    const bytes = Buffer.from(REPORT, "utf8");
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]);
    for (const content of [bytes, withBom, new Uint8Array(bytes), `\ufeff${REPORT}`]) {
      const split = splitReport("r.json", content, TRIVY_PATTERNS);
      assert.ok(split);
      assert.deepEqual(materialize(split, TRIVY_PATTERNS), JSON.parse(REPORT));
    }
  });

  it("leaves every bad report to parseReport (malformed, truncated, empty, too deep, not UTF-8, too large)", () => {
    const deep = trivy([
      { Target: "a", Vulnerabilities: [vuln(1, { Deep: JSON.parse(`${"[".repeat(70)}${"]".repeat(70)}`) })] },
    ]);
    const cases: [string | Uint8Array, object][] = [
      [REPORT.slice(0, REPORT.length - 9), {}],
      [REPORT.slice(0, REPORT.indexOf("CVE-2024-1002") + 4), {}],
      [REPORT.replace('"pkg-2"', "'pkg-2'"), {}],
      [REPORT.replace('"Severity":"HIGH"', '"Severity":HIGH'), {}],
      [REPORT.replace("[", "[,"), {}],
      [`${REPORT} x`, {}],
      [REPORT.replace('"pkg-2"', '"pkg\t2"'), {}],
      [REPORT.replace('"pkg-2"', '"pkg\\x2"'), {}],
      [REPORT.replace('"pkg-2"', "01"), {}],
      ["", {}],
      ["  \n ", {}],
      [deep, {}],
      [REPORT, { maxDepth: 3 }],
      [REPORT, { maxBytes: 100 }],
      [
        Buffer.concat([
          Buffer.from(REPORT.slice(0, 200)),
          Buffer.from([0xc3, 0x28]),
          Buffer.from(REPORT.slice(200)),
        ]),
        {},
      ],
    ];
    for (const [content, limits] of cases) {
      assert.equal(
        splitReport("r.json", content, TRIVY_PATTERNS, limits),
        undefined,
        String(content).slice(0, 80),
      );
      const { split, whole: read } = convertBoth(content, undefined, limits);
      assert.deepEqual(split, read);
      assert.ok(split.failures.length > 0, `${String(content).slice(0, 60)} ${JSON.stringify(limits)}`);
    }
    // text with a lone surrogate has no UTF-8 form: read whole, as it always was
    const lone = `${REPORT.slice(0, REPORT.indexOf("pkg-2"))}\ud800${REPORT.slice(REPORT.indexOf("pkg-2"))}`;
    assert.equal(splitReport("r.json", lone, TRIVY_PATTERNS), undefined);
    const { split, whole: read } = convertBoth(lone);
    assert.deepEqual(split, read);
  });

  it("removes __proto__ keys from entries, also when spelled with escapes, and pollutes nothing", () => {
    const text = trivy([
      {
        Target: "a",
        Vulnerabilities: [vuln(1), vuln(2)],
      },
    ])
      .replace('"PkgName":"pkg-1"', '"PkgName":"pkg-1","__proto__":{"polluted":1}')
      .replace(
        '"PkgName":"pkg-2"',
        '"PkgName":"pkg-2","\\u005f_proto__":{"polluted":2},"constructor":{"prototype":{"polluted":3}}',
      );
    const split = splitReport("r.json", text, TRIVY_PATTERNS);
    assert.ok(split);
    const entries = [...(split.entries(["Results", 0, "Vulnerabilities"]) ?? [])] as Record<
      string,
      unknown
    >[];
    assert.equal(Object.hasOwn(entries[0] ?? {}, "__proto__"), false);
    assert.equal(Object.hasOwn(entries[1] ?? {}, "__proto__"), false);
    assert.deepEqual(entries[1]?.constructor, { prototype: { polluted: 3 } });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(materialize(split, TRIVY_PATTERNS), whole(text).value);
    const { split: converted, whole: read } = convertBoth(text);
    assert.deepEqual(converted, read);
  });

  it("reads a report whole when a key on a split path is repeated (the last one wins in JSON.parse)", () => {
    const text = REPORT.replace('"Results":[', '"Results":[],"Results":[');
    assert.equal(splitReport("r.json", text, TRIVY_PATTERNS), undefined);
    const repeated = REPORT.replace('"Vulnerabilities":[', '"Vulnerabilities":7,"Vulnerabilities":[');
    assert.equal(splitReport("r.json", repeated, TRIVY_PATTERNS), undefined);
    for (const content of [text, repeated]) {
      const { split, whole: read } = convertBoth(content);
      assert.deepEqual(split, read);
    }
  });

  it("reads reports of other formats whole: a large root value on no split path stops the scan early", () => {
    const sarif = JSON.stringify({
      version: "2.1.0",
      runs: [{ results: Array.from({ length: 100_000 }, (_, i) => ({ ruleId: `r${i}` })) }],
    });
    assert.equal(splitReport("r.json", sarif, TRIVY_PATTERNS), undefined);
  });

  it("accepts and splits exactly what JSON.parse accepts, for random documents and their corruptions", () => {
    const random = seededRandom(20261125);
    const json = fc.jsonValue({ maxDepth: 4 });
    fc.assert(
      fc.property(
        fc.array(fc.record({ Target: fc.string(), Vulnerabilities: fc.array(json, { maxLength: 4 }) }), {
          maxLength: 3,
        }),
        json,
        (results, extra) => {
          const text = JSON.stringify(
            { SchemaVersion: 2, Extra: extra, Results: results },
            null,
            random() < 0.5 ? 0 : 2,
          );
          const split = splitReport("r.json", text, TRIVY_PATTERNS);
          assert.ok(split, text);
          assert.deepEqual(materialize(split, TRIVY_PATTERNS), whole(text).value);
          // a corruption: cut, or one character replaced
          const at = Math.floor(random() * text.length);
          const bad =
            random() < 0.5
              ? text.slice(0, at)
              : `${text.slice(0, at)}${'",:[]{}0e-x\\ "'[Math.floor(random() * 15)]}${text.slice(at + 1)}`;
          const read = whole(bad);
          const badSplit = splitReport("r.json", bad, TRIVY_PATTERNS);
          if (read.error !== undefined) assert.equal(badSplit, undefined, bad);
          if (badSplit !== undefined) assert.deepEqual(materialize(badSplit, TRIVY_PATTERNS), read.value);
        },
      ),
      { numRuns: 300, seed: 20261125 },
    );
  });
});

describe("converting a report read in parts", () => {
  it("gives every fixture's exact findings and failures, whole and streamed", () => {
    for (const { name, content } of fixtures()) {
      const { split, whole: read } = convertBoth(content);
      assert.deepEqual(split, read, name);
      const streamed = [...convertReportBatches({ source: "r.json", content }, ctx)].flatMap(
        (b: ConversionBatch) => b.findings,
      );
      assert.deepEqual(streamed, read.findings, name);
    }
  });

  it("gives the same per-entry failures (wrong types, missing ids, non-objects) with the same JSON paths", () => {
    const text = trivy([
      {
        Target: "a",
        Vulnerabilities: [vuln(1), { VulnerabilityID: 7 }, "x", vuln(2, { PkgName: { a: 1 } }), vuln(3)],
      },
      7,
      { Target: 5, Vulnerabilities: [vuln(4)] },
      { Target: "b", Vulnerabilities: { not: "a list" }, Secrets: [{ Title: 5 }] },
    ]);
    const { split, whole: read } = convertBoth(text);
    assert.deepEqual(split, read);
    assert.equal(split.findings.length, 2);
    assert.ok(split.failures.some((f) => f.field === "Results[0].Vulnerabilities[3].PkgName"));
    const explicit = convertBoth(text, "trivy");
    assert.deepEqual(explicit.split, read);
  });

  it("still removes control characters and ANSI codes from entries that have them, and marks only clean entries", () => {
    const dirty = [
      "\u001b[31mred\u001b[0m",
      "back\bspace",
      "form\ffeed",
      "del\u007f",
      "nel\u0085",
      "null\u0000",
    ];
    const text = trivy([
      {
        Target: "a",
        Vulnerabilities: [
          vuln(0),
          ...dirty.map((d, i) => vuln(i + 1, { Title: d, Description: d, PkgName: `p${i}${d}` })),
          vuln(9, { References: ["https://x.example/\u0080"] }),
        ],
      },
    ]);
    const { split, whole: read } = convertBoth(text);
    assert.deepEqual(split, read);
    assert.equal(split.findings.length, dirty.length + 2);
    assert.doesNotMatch(JSON.stringify(split.findings), CONTROL_IN_JSON);
    const parts = splitReport("r.json", text, TRIVY_PATTERNS);
    const entries = [...(parts?.entries(["Results", 0, "Vulnerabilities"]) ?? [])];
    assert.deepEqual(
      entries.map((e) => isControlFreeEntry(e)),
      [true, ...dirty.map(() => false), false],
    );
    // a control character in the report's own text (artifact name, target) is cleaned as well
    const outer = trivy([{ Target: "a\u0007b", Vulnerabilities: [vuln(1)] }], {
      ArtifactName: "app\u001b[1m",
    });
    const both = convertBoth(outer);
    assert.deepEqual(both.split, both.whole);
    assert.doesNotMatch(JSON.stringify(both.split.findings), /\\u00(07|1b)/);
  });

  it("reports an entry nested too deep with parseReport's JSON path", () => {
    const text = trivy([
      {
        Target: "a",
        Vulnerabilities: [vuln(1), vuln(2, { Deep: JSON.parse(`${"[".repeat(70)}${"]".repeat(70)}`) })],
      },
    ]);
    const { split, whole: read } = convertBoth(text);
    assert.deepEqual(split, read);
    assert.equal(split.failures[0]?.rule, "maxDepth 64");
    assert.match(split.failures[0]?.field ?? "", /^\$\.Results\[0\]\.Vulnerabilities\[1\]\.Deep/);
  });

  it("reads a custom parser's entryArrays in parts when it is requested by name; `*` matches array indexes only", () => {
    const seen: unknown[] = [];
    const custom: ReportParser = {
      name: "items",
      detect: () => false,
      parse: () => ({ drafts: [] }),
      entryArrays: [["groups", "*", "items"]],
      *parseSplit(report, context) {
        const groups = (report.document as { groups: unknown }).groups;
        const count = Array.isArray(groups) ? groups.length : 0;
        for (let i = 0; i < count; i++) {
          for (const item of report.entries(["groups", i, "items"]) ?? []) {
            seen.push(item);
            const step: ParseItem = {
              draft: {
                Id: `items/${String(item)}`,
                GeneratorId: "items",
                Title: String(item),
                Description: "d",
                Types: ["Software and Configuration Checks"],
                Severity: { Label: "LOW" },
                Resources: [{ Type: "Other", Id: "r" }],
              },
            };
            yield step;
          }
        }
        void context;
      },
    };
    const registry = createRegistry([custom]);
    const result = convertReport(
      { source: "r.json", content: '{"groups":[{"items":["a","b"]},{"items":["c"]}]}', format: "items" },
      ctx,
      registry,
    );
    assert.deepEqual(seen, ["a", "b", "c"]);
    assert.equal(result.findings.length, 3);
    const star = splitReport("r.json", '{"groups":{"*":{"items":["a"]}}}', custom.entryArrays ?? []);
    assert.deepEqual(star?.document, { groups: { "*": { items: ["a"] } } });
    assert.throws(
      () => createRegistry([{ ...custom, name: "broken", parseSplit: undefined }]),
      /entryArrays needs parseSplit/,
    );
    assert.throws(() => createRegistry([{ ...custom, name: "empty", entryArrays: [[]] }]), /entryArrays/);
  });

  it("lets auto-detection see the whole document when a custom parser is registered", () => {
    let seen: unknown;
    const spy: ReportParser = {
      name: "spy",
      detect(document) {
        seen = document;
        return false;
      },
      parse: () => ({ drafts: [] }),
    };
    convertReport({ source: "r.json", content: REPORT }, ctx, createRegistry([spy]));
    assert.deepEqual(seen, JSON.parse(REPORT));
  });
});
