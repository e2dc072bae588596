/** Behaviour of the SARIF parser, case by case (mapping tables, messy real-world shapes, bad input). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateFinding } from "../../../lambdas/core/asff/validate.ts";
import { InputError } from "../../../lambdas/core/errors.ts";
import type { ConversionContext, FindingDraft } from "../../../lambdas/core/parsers/contracts.ts";
import { finalizeDrafts } from "../../../lambdas/core/parsers/finalize.ts";
import { isSarifLog, parseSarif, type SarifParserOptions } from "../../../lambdas/core/parsers/sarif.ts";

const CONTEXT: ConversionContext = {
  accountId: "123456789012",
  region: "us-east-1",
  partition: "aws",
  productArn: "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default",
  nowMs: Date.UTC(2025, 5, 1),
};

type Obj = Record<string, unknown>;

function log(results: unknown[], run: Obj = {}, driver: Obj = {}): Obj {
  return {
    version: "2.1.0",
    runs: [{ tool: { driver: { name: "demo-tool", rules: [{ id: "R1" }], ...driver } }, results, ...run }],
  };
}
function result(extra: Obj = {}): Obj {
  return {
    ruleId: "R1",
    message: { text: "problem found" },
    locations: [{ physicalLocation: { artifactLocation: { uri: "src/a.js" }, region: { startLine: 3 } } }],
    ...extra,
  };
}
function parse(document: unknown, options: SarifParserOptions = {}, scope?: string) {
  return parseSarif(
    document,
    { source: "test.sarif", conversion: { ...CONTEXT, ...(scope ? { scope } : {}) } },
    options,
  );
}
function only(document: unknown, options: SarifParserOptions = {}): FindingDraft {
  const { drafts, failures } = parse(document, options);
  assert.deepEqual(failures, []);
  assert.equal(drafts.length, 1);
  return drafts[0] as FindingDraft;
}
function valid(drafts: FindingDraft[]): void {
  const { findings, failures } = finalizeDrafts(drafts, CONTEXT, { source: "test.sarif", format: "sarif" });
  assert.deepEqual(failures, []);
  for (const f of findings) assert.deepEqual(validateFinding(f), []);
}

describe("detect", () => {
  it("accepts a 2.1.0 log and one identified by its $schema", () => {
    assert.equal(isSarifLog(log([])), true);
    assert.equal(isSarifLog({ $schema: "https://json.schemastore.org/sarif-2.1.0.json", runs: [] }), true);
  });
  it("rejects other JSON without throwing", () => {
    for (const doc of [
      null,
      1,
      "x",
      [],
      {},
      { runs: {} },
      { version: "2.1.0" },
      { SchemaVersion: 2, Results: [] },
    ]) {
      assert.equal(isSarifLog(doc), false);
    }
  });
});

describe("severity", () => {
  const cases: [string, Obj, Obj, string, string][] = [
    [
      "security-severity on the rule wins over level",
      { level: "note" },
      { properties: { "security-severity": "9.1" } },
      "CRITICAL",
      "9.1",
    ],
    ["security-severity 7.0 is HIGH", {}, { properties: { "security-severity": 7 } }, "HIGH", "7"],
    ["security-severity 4.0 is MEDIUM", {}, { properties: { "security-severity": "4.0" } }, "MEDIUM", "4.0"],
    ["security-severity 0.1 is LOW", {}, { properties: { "security-severity": "0.1" } }, "LOW", "0.1"],
    [
      "security-severity 0 is INFORMATIONAL",
      {},
      { properties: { "security-severity": "0.0" } },
      "INFORMATIONAL",
      "0.0",
    ],
    [
      "a non-numeric security-severity falls back to level",
      { level: "error" },
      { properties: { "security-severity": "high-ish" } },
      "HIGH",
      "error",
    ],
    ["result level error", { level: "error" }, {}, "HIGH", "error"],
    ["result level note", { level: "note" }, {}, "LOW", "note"],
    [
      "rule defaultConfiguration.level when the result has none",
      {},
      { defaultConfiguration: { level: "error" } },
      "HIGH",
      "error",
    ],
    ["warning when nobody says anything", {}, {}, "MEDIUM", "warning"],
    [
      "Bandit's issue_severity property",
      { properties: { issue_severity: "LOW" }, level: "error" },
      {},
      "LOW",
      "LOW",
    ],
    ["a rule severity word", {}, { properties: { severity: "Critical" } }, "CRITICAL", "Critical"],
  ];
  for (const [name, res, rule, label, orig] of cases) {
    it(name, () => {
      const draft = only(log([result(res)], {}, { rules: [{ id: "R1", ...rule }] }));
      assert.deepEqual(draft.FindingProviderFields?.Severity, { Label: label, Original: orig });
    });
  }
  it("reads the severity Trivy's old template put in the rule id", () => {
    const draft = only(log([result({ ruleId: "[HIGH] CVE-2020-1234" })], {}, { rules: [] }));
    assert.equal(draft.FindingProviderFields?.Severity?.Label, "HIGH");
    assert.deepEqual(draft.FindingProviderFields?.Types, [
      "Software and Configuration Checks/Vulnerabilities/CVE",
    ]);
    assert.equal(draft.Vulnerabilities?.[0]?.Id, "CVE-2020-1234");
  });
});

describe("kinds, suppressions and baseline", () => {
  it("does not import pass, notApplicable or informational results", () => {
    const { drafts } = parse(
      log([result({ kind: "pass" }), result({ kind: "notApplicable" }), result({ kind: "informational" })]),
    );
    assert.equal(drafts.length, 0);
  });
  it("imports pass results as Compliance PASSED when asked, from options or the parse context", () => {
    const draft = only(log([result({ kind: "pass", level: "error" })]), { includePassed: true });
    assert.equal(draft.Compliance?.Status, "PASSED");
    assert.equal(draft.FindingProviderFields?.Severity?.Label, "INFORMATIONAL");
    const viaContext = parseSarif(log([result({ kind: "pass" })]), {
      source: "t",
      conversion: CONTEXT,
      options: { includePassed: true },
    });
    assert.equal(viaContext.drafts.length, 1);
  });
  it("skips accepted, status-less and absent results but keeps rejected or under-review suppressions", () => {
    const { drafts } = parse(
      log([
        result({ suppressions: [{ kind: "inSource", status: "accepted" }] }),
        result({ suppressions: [{ kind: "external" }], locations: [] }),
        result({ baselineState: "absent", message: { text: "gone" } }),
        result({
          suppressions: [{ kind: "external", status: "rejected" }],
          message: { text: "kept 1" },
          ruleId: "R2",
        }),
        result({
          suppressions: [{ kind: "external", status: "underReview" }],
          message: { text: "kept 2" },
          ruleId: "R3",
        }),
      ]),
    );
    assert.deepEqual(drafts.map((d) => d.Description).sort(), ["kept 1", "kept 2"]);
  });
  it("emits inactive results as ARCHIVED with the same Id when asked", () => {
    const active = only(log([result()]));
    const archived = only(log([result({ baselineState: "absent" })]), { inactiveResults: "archive" });
    assert.equal(archived.RecordState, "ARCHIVED");
    assert.equal(archived.Id, active.Id);
  });
});

describe("rules", () => {
  it("finds the rule by ruleIndex when ruleId is absent", () => {
    const draft = only(
      log(
        [{ ruleIndex: 1, message: { text: "m" } }],
        {},
        { rules: [{ id: "A" }, { id: "B", shortDescription: { text: "Rule B" } }] },
      ),
    );
    assert.equal(draft.Title, "Rule B");
    assert.equal(draft.GeneratorId, "demo-tool/B");
  });
  it("finds a rule in a tool extension through rule.toolComponent", () => {
    const doc = log(
      [{ rule: { id: "js/x", index: 0, toolComponent: { index: 0 } }, message: { text: "m" } }],
      {},
      { name: "CodeQL", rules: [] },
    );
    ((doc.runs as Obj[])[0]?.tool as Obj).extensions = [
      {
        name: "codeql/javascript-queries",
        rules: [
          {
            id: "js/x",
            shortDescription: { text: "From the pack" },
            properties: { "security-severity": "8.0", tags: ["external/cwe/cwe-079"] },
          },
        ],
      },
    ];
    const draft = only(doc);
    assert.equal(draft.Title, "From the pack");
    assert.equal(draft.FindingProviderFields?.Severity?.Label, "HIGH");
    assert.deepEqual(draft.Vulnerabilities?.[0]?.CodeVulnerabilities?.[0]?.Cwes, ["CWE-79"]);
  });
  it("reports a ruleIndex out of range without a ruleId as a failure and converts the rest", () => {
    const { drafts, failures } = parse(log([{ ruleIndex: 7, message: { text: "m" } }, result()]));
    assert.equal(drafts.length, 1);
    assert.equal(failures.length, 1);
    assert.equal(failures[0]?.field, "runs[0].results[0].ruleIndex");
    assert.match(
      failures[0]?.message ?? "",
      /ruleIndex 7 does not name a rule of demo-tool \(it has 1 rules\)/,
    );
  });
  it("imports a result without any rule, identified by its message", () => {
    const { drafts } = parse(
      log([{ message: { text: "first" } }, { message: { text: "second" } }], {}, { rules: [] }),
    );
    assert.equal(drafts.length, 2);
    assert.notEqual(drafts[0]?.Id, drafts[1]?.Id);
    assert.ok(drafts.every((d) => d.GeneratorId === "demo-tool/no-rule"));
    valid(drafts);
  });
  it("takes CWEs from CWE-NNN tags and from relationships into a CWE taxonomy", () => {
    const draft = only(
      log(
        [result()],
        {},
        {
          rules: [
            {
              id: "R1",
              properties: { tags: ["CWE-502: Deserialization of Untrusted Data", "security"] },
              relationships: [{ target: { id: "89", toolComponent: { name: "CWE" } } }],
            },
          ],
        },
      ),
    );
    assert.deepEqual(draft.Vulnerabilities?.[0]?.CodeVulnerabilities?.[0]?.Cwes, ["CWE-502", "CWE-89"]);
    assert.deepEqual(draft.Vulnerabilities?.[0]?.CodeVulnerabilities?.[0]?.FilePath, {
      FilePath: "src/a.js",
      FileName: "a.js",
      StartLine: 3,
      EndLine: 3,
    });
  });
});

describe("messages", () => {
  it("fills {0} arguments, including from the rule's messageStrings", () => {
    const direct = only(
      log([result({ message: { text: "Use {0} not {1} {{ok}}", arguments: ["a", "b"] } })]),
    );
    assert.equal(direct.Description, "Use a not b {ok}");
    const viaId = only(
      log(
        [result({ message: { id: "default", arguments: ["x"] } })],
        {},
        { rules: [{ id: "R1", messageStrings: { default: { text: "Found {0}." } } }] },
      ),
    );
    assert.equal(viaId.Description, "Found x.");
  });
  it("removes ANSI colours, HTML and markdown links", () => {
    const draft = only(
      log([
        result({
          message: {
            text: "\u001b[31mBad\u001b[0m <b>value</b> from [user input](1) see [docs](https://x.example/d)",
          },
        }),
      ]),
    );
    assert.equal(draft.Description, "Bad value from user input see docs (https://x.example/d)");
  });
  it("leaves no control character in a finding, wherever the log put one (paths decoded from %1B too)", () => {
    const esc = "\u001b";
    const variants: Obj[] = [
      log([result({ locations: [{ physicalLocation: { artifactLocation: { uri: "src/x%1B[31m.js" } } }] })]),
      log([
        result({ locations: [{ physicalLocation: { artifactLocation: { uri: `src/${esc}[1mx.js` } } }] }),
      ]),
      log([result({ locations: [{ logicalLocations: [{ fullyQualifiedName: `f${esc}[2Jn` }] }] })]),
      log([result({ level: `error${esc}` })]),
      log([result({ kind: `review\u0007` })]),
      log([result({ baselineState: `new${esc}` })]),
      log([result({ properties: { "security-severity": `7.5${esc}` } })]),
      log([result({ properties: { severity: `high\u0085` } })]),
      log([result({ ruleId: `R${esc}[0m2` })]),
      log([result()], {}, { name: `Tool${esc}[1m`, version: `1.0\u0000` }),
      log(
        [result()],
        {},
        { rules: [{ id: "R1", helpUri: `https://x.example/${esc}r`, name: `Bad ${esc}[1mrule` }] },
      ),
      log([result()], {
        versionControlProvenance: [
          { repositoryUri: `https://g.example/o/p${esc}`, revisionId: `a${esc}`, branch: `b\u009b` },
        ],
      }),
      log([result()], { originalUriBaseIds: { SRC: { uri: "file:///w%1B/" } } }),
    ];
    for (const document of variants) {
      const { findings, failures } = finalizeDrafts(parse(document).drafts, CONTEXT, {
        source: "t",
        format: "sarif",
      });
      assert.deepEqual(failures, []);
      assert.equal(findings.length, 1);
      assert.doesNotMatch(
        JSON.stringify(findings),
        /\\u00(?:0[0-8bcef]|1[0-9a-f]|7f|8[0-9a-f]|9[0-9a-f])|[\u0080-\u009f]/,
      );
    }
    // a scope is the resource of a result without a location
    const scoped = parse(log([result({ locations: [] })]), {}, `scope${esc}`).drafts;
    const { findings } = finalizeDrafts(scoped, CONTEXT, { source: "t", format: "sarif" });
    assert.equal(findings[0]?.Resources?.[0]?.Id, "scope");
  });
  it("cuts a 10 MB message to the Description limit with a visible ellipsis", () => {
    const draft = only(log([result({ message: { text: "A".repeat(10 * 1024 * 1024) } })]));
    assert.equal(draft.Description?.length, 1024);
    assert.ok(draft.Description?.endsWith("…"));
    valid([draft]);
  });
});

describe("secrets", () => {
  it("redacts gitleaks-style offender/Match/Secret properties and snippets wherever they appear", () => {
    const secretValue = "hunter2-super-secret-value";
    const draft = only(
      log(
        [
          result({
            message: { text: `Found ${secretValue} in config` },
            properties: { offender: secretValue, Match: `password=${secretValue}`, Secret: secretValue },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: { uri: "config.env" },
                  region: { startLine: 1, snippet: { text: `password=${secretValue}` } },
                  contextRegion: { snippet: { text: `# db\npassword=${secretValue}\n` } },
                },
              },
            ],
          }),
        ],
        {},
        { name: "gitleaks", rules: [{ id: "R1", name: "Generic password" }] },
      ),
    );
    const text = JSON.stringify(draft);
    assert.ok(!text.includes("hunter2"), text);
    assert.match(draft.Description ?? "", /\[REDACTED\]/);
  });
  it("redacts well-known key shapes even from tools that are not secret scanners", () => {
    const draft = only(log([result({ message: { text: "key AKIAABCDEFGHIJKLMNOP leaked" } })]));
    assert.equal(draft.Description, "key [REDACTED] leaked");
  });
  it("treats rules tagged secret as secret detections", () => {
    const draft = only(
      log(
        [
          result({
            properties: { match: "abcd-1234-secret" },
            message: { text: "abcd-1234-secret exposed" },
          }),
        ],
        {},
        { rules: [{ id: "R1", properties: { tags: ["secret"] } }] },
      ),
    );
    assert.equal(draft.Description, "[REDACTED] exposed");
    assert.deepEqual(draft.FindingProviderFields?.Types, ["Sensitive Data Identifications/Passwords"]);
  });
});

describe("locations, resources and Ids", () => {
  it("resolves uriBaseId through originalUriBaseIds and artifacts by index", () => {
    const draft = only(
      log(
        [
          result({
            locations: [{ physicalLocation: { artifactLocation: { index: 0 }, region: { startLine: 9 } } }],
          }),
        ],
        {
          originalUriBaseIds: { SRC: { uri: "file:///work/repo/" } },
          artifacts: [{ location: { uri: "lib/x.py", uriBaseId: "SRC" } }],
        },
      ),
    );
    assert.equal(draft.Resources?.[0]?.Id, "/work/repo/lib/x.py");
  });
  it("survives a uriBaseId cycle", () => {
    const draft = only(
      log(
        [
          result({
            locations: [{ physicalLocation: { artifactLocation: { uri: "a.js", uriBaseId: "A" } } }],
          }),
        ],
        {
          originalUriBaseIds: { A: { uri: "x/", uriBaseId: "B" }, B: { uri: "y/", uriBaseId: "A" } },
        },
      ),
    );
    assert.match(draft.Resources?.[0]?.Id ?? "", /a\.js$/);
  });
  it("uses a CodeRepository resource when versionControlProvenance names the repository", () => {
    const draft = only(
      log([result()], {
        versionControlProvenance: [
          { repositoryUri: "https://github.com/acme/app", revisionId: "abc123", branch: "main" },
        ],
      }),
    );
    assert.equal(draft.Resources?.[0]?.Type, "CodeRepository");
    assert.equal(draft.Resources?.[0]?.Id, "https://github.com/acme/app");
    assert.equal(draft.Resources?.[0]?.Details?.Other?.Path, "src/a.js");
    assert.equal(draft.Resources?.[0]?.Details?.CodeRepository?.ProjectName, "acme/app");
  });
  it("keeps the Id when a fingerprinted result moves to another line", () => {
    const at = (line: number) =>
      only(
        log([
          result({
            partialFingerprints: { primaryLocationLineHash: "abc:1", date: `2024-01-0${line}` },
            locations: [
              { physicalLocation: { artifactLocation: { uri: "a.js" }, region: { startLine: line } } },
            ],
          }),
        ]),
      ).Id;
    assert.equal(at(3), at(9));
  });
  it("changes the Id with the line when there is no fingerprint, and with the scope", () => {
    const line3 = only(log([result()])).Id;
    const line4 = only(
      log([
        result({
          locations: [
            { physicalLocation: { artifactLocation: { uri: "src/a.js" }, region: { startLine: 4 } } },
          ],
        }),
      ]),
    ).Id;
    const scoped = parse(log([result()]), {}, "repo-b@main").drafts[0]?.Id;
    assert.notEqual(line3, line4);
    assert.notEqual(line3, scoped);
  });
  it("merges a result listed twice into one finding", () => {
    const { drafts } = parse(log([result(), result()]));
    assert.equal(drafts.length, 1);
  });
  it("uses the run's invocation time for CreatedAt/UpdatedAt, else the clock", () => {
    const timed = only(
      log([result()], { invocations: [{ executionSuccessful: true, endTimeUtc: "2024-03-04T05:06:07Z" }] }),
    );
    assert.equal(timed.UpdatedAt, "2024-03-04T05:06:07.000Z");
    assert.equal(only(log([result()])).UpdatedAt, new Date(CONTEXT.nowMs).toISOString());
  });
  it("converts several runs of one log, each with its own tool", () => {
    const doc = {
      version: "2.1.0",
      runs: [
        { tool: { driver: { name: "one" } }, results: [result()] },
        { tool: { driver: { name: "two" } }, results: [result()] },
      ],
    };
    const { drafts } = parse(doc);
    assert.deepEqual(drafts.map((d) => d.GeneratorId).sort(), ["one/R1", "two/R1"]);
  });
});

describe("bad input", () => {
  it("throws an InputError naming the source and field for a log that is not an object or has no runs", () => {
    for (const [doc, field] of [
      [[], "$"],
      ["text", "$"],
      [{ version: "2.1.0" }, "runs"],
      [{ version: "2.1.0", runs: {} }, "runs"],
      [{ version: "1.0.0", runs: [] }, "version"],
    ] as const) {
      assert.throws(
        () => parse(doc),
        (error: unknown) =>
          error instanceof InputError &&
          error.location.field === field &&
          error.message.startsWith("test.sarif:"),
      );
    }
  });
  it("reports bad runs and results as failures and keeps the good ones", () => {
    const doc = {
      version: "2.1.0",
      runs: [
        42,
        { results: [] },
        { tool: { driver: { name: "t" } }, results: "nope" },
        { tool: { driver: { name: "t" } }, results: [null, 5, result()] },
      ],
    };
    const { drafts, failures } = parse(doc);
    assert.equal(drafts.length, 1);
    assert.deepEqual(
      failures.map((f) => f.field),
      ["runs[0]", "runs[1].tool.driver", "runs[2].results", "runs[3].results[0]", "runs[3].results[1]"],
    );
  });
  it("treats an empty log and a run without results as a clean scan", () => {
    assert.deepEqual(parse({ version: "2.1.0", runs: [] }), { drafts: [], failures: [] });
    assert.deepEqual(parse({ version: "2.1.0", runs: [{ tool: { driver: { name: "t" } } }] }), {
      drafts: [],
      failures: [],
    });
  });
  it("treats __proto__ and constructor keys as data, without prototype pollution", () => {
    const doc = JSON.parse(
      '{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"t","rules":[{"id":"__proto__","properties":{"__proto__":{"polluted":1},"constructor":{"x":1},"security-severity":"5.0"}}]}},"results":[{"ruleId":"__proto__","message":{"text":"m"},"properties":{"__proto__":{"polluted":2}}},{"ruleId":"constructor","message":{"text":"c"}}]}]}',
    );
    const { drafts, failures } = parse(doc);
    assert.deepEqual(failures, []);
    assert.equal(drafts.length, 2);
    assert.equal(({} as Obj).polluted, undefined);
    assert.equal(Object.hasOwn(Object.prototype, "polluted"), false);
    valid(drafts);
  });
  it("handles deeply nested property bags without recursion trouble", () => {
    let nested: Obj = { leaf: true };
    for (let i = 0; i < 5000; i++) nested = { n: nested };
    const draft = only(log([result({ properties: nested })]));
    assert.equal(draft.Description, "problem found");
  });
});
