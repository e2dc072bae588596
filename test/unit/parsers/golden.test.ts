/**
 * Golden tests: real public sample reports (sources in test/fixtures/README.md) converted with a
 * fixed context and clock; the output is pinned in `<fixture>.asff.golden.json`. Regenerate with
 * `UPDATE_GOLDEN=1 node scripts/run-tests.mjs test/unit/parsers/golden.test.ts` and review the diff.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { validateFinding } from "../../../lambdas/core/asff/validate.ts";
import { convertReport } from "../../../lambdas/core/parsers/convert.ts";
import { fixedContext } from "./helpers.ts";

const FIXTURES = join(import.meta.dirname, "../../fixtures");
const FORMATS = ["trivy", "grype", "asff"] as const;
const update = process.env.UPDATE_GOLDEN === "1";

for (const format of FORMATS) {
  describe(`${format} golden files`, () => {
    const dir = join(FIXTURES, format);
    const reports = readdirSync(dir).filter((f) => f.endsWith(".json") && !f.endsWith(".golden.json"));
    it("has at least two public sample reports", () => {
      assert.ok(reports.length >= 2, `expected ≥ 2 fixtures in ${dir}`);
    });
    for (const name of reports) {
      it(`converts ${name} to the pinned ASFF`, () => {
        const content = readFileSync(join(dir, name));
        const result = convertReport({ source: name, content }, fixedContext());
        assert.equal(result.format, format, "auto-detection picks the fixture's format");
        for (const finding of result.findings) {
          assert.deepEqual(validateFinding(finding), [], `finding ${finding.Id} is valid ASFF`);
        }
        const actual = `${JSON.stringify({ findings: result.findings, failures: result.failures }, null, 2)}\n`;
        const goldenPath = join(dir, `${name.replace(/\.json$/, "")}.asff.golden.json`);
        if (update) writeFileSync(goldenPath, actual);
        assert.ok(existsSync(goldenPath), `missing ${goldenPath}: run with UPDATE_GOLDEN=1 and review it`);
        assert.equal(actual, readFileSync(goldenPath, "utf8"), `output differs from ${goldenPath}`);
      });
    }
  });
}
