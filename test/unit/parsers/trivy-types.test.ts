import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { convertReport } from "../../../lambdas/core/parsers/convert.ts";
import { fixedContext } from "./helpers.ts";

const ctx = fixedContext();

/** Every field of a Trivy vulnerability the mapping reads, with a well-typed value. */
const WELL_TYPED: Record<string, unknown> = {
  VulnerabilityID: "CVE-2024-1",
  PkgID: "pkg@1.0.0",
  PkgName: "pkg",
  PkgPath: "app/node_modules/pkg/package.json",
  InstalledVersion: "1.0.0",
  FixedVersion: "1.0.1",
  Status: "fixed",
  Title: "title",
  Description: "description",
  Severity: "HIGH",
  SeveritySource: "nvd",
  PrimaryURL: "https://avd.aquasec.com/nvd/cve-2024-1",
  PublishedDate: "2024-01-15T10:15:00Z",
  LastModifiedDate: "2024-02-01T08:00:00Z",
  CweIDs: ["CWE-79"],
  References: ["https://example.com/a"],
  Layer: { Digest: "sha256:aa", DiffID: "sha256:bb" },
  DataSource: { Name: "GitHub Security Advisory npm" },
  CVSS: {
    nvd: {
      V2Vector: "AV:N",
      V3Vector: "CVSS:3.1/AV:N",
      V40Vector: "CVSS:4.0/AV:N",
      V2Score: 5,
      V3Score: 9.8,
      V40Score: 9.3,
    },
    ghsa: { V3Score: 7.5 },
  },
};

/** A copy of `value` with `path` (keys from the entry) set to `wrong`. */
function withValue(
  value: Record<string, unknown>,
  path: readonly string[],
  wrong: unknown,
): Record<string, unknown> {
  const copy = structuredClone(value);
  let holder: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) holder = holder[key] as Record<string, unknown>;
  holder[path.at(-1) as string] = wrong;
  return copy;
}

/** Every field path of `value` down to its scalars and string lists. */
function paths(value: Record<string, unknown>, prefix: readonly string[] = []): string[][] {
  const out: string[][] = [];
  for (const [key, item] of Object.entries(value)) {
    out.push([...prefix, key]);
    if (typeof item === "object" && item !== null && !Array.isArray(item)) {
      out.push(...paths(item as Record<string, unknown>, [...prefix, key]));
    }
  }
  return out;
}

function convertOne(entry: Record<string, unknown>) {
  const content = JSON.stringify({
    SchemaVersion: 2,
    ArtifactName: "app",
    ArtifactType: "filesystem",
    Results: [{ Target: "package-lock.json", Class: "lang-pkgs", Type: "npm", Vulnerabilities: [entry] }],
  });
  return convertReport({ source: "report.json", content }, ctx);
}

describe("Trivy vulnerability field types", () => {
  it("refuses a CVSS source that is null", () => {
    const result = convertOne(withValue(WELL_TYPED, ["CVSS", "ghsa"], null));
    assert.deepEqual(
      result.failures.map((f) => [f.field, f.rule]),
      [["Results[0].Vulnerabilities[0].CVSS.ghsa", "JSON type"]],
    );
  });

  it("converts the well-typed entry, and with any field null", () => {
    assert.equal(convertOne(WELL_TYPED).findings.length, 1);
    for (const path of paths(WELL_TYPED)) {
      if (path.join(".") === "VulnerabilityID") continue;
      // a CVSS source is an entry of a map, not a field: null there is a wrong type
      if (path.length === 2 && path[0] === "CVSS") continue;
      const result = convertOne(withValue(WELL_TYPED, path, null));
      assert.deepEqual(result.failures, [], path.join("."));
      assert.equal(result.findings.length, 1, path.join("."));
    }
  });

  it("reports a value of the wrong JSON type in every field the mapping reads, at its path", () => {
    const wrongValues: readonly unknown[] = [7, "7", true, { a: "b" }, ["x"], [7]];
    let checked = 0;
    for (const path of paths(WELL_TYPED)) {
      if (path.join(".") === "VulnerabilityID") continue;
      const good = path.reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], WELL_TYPED);
      for (const wrong of wrongValues) {
        const sameType =
          JSON.stringify(wrong) === JSON.stringify(good) ||
          (typeof wrong === typeof good &&
            Array.isArray(wrong) === Array.isArray(good) &&
            (!Array.isArray(wrong) || typeof wrong[0] === typeof (good as unknown[])[0]) &&
            typeof wrong !== "object") ||
          (Array.isArray(wrong) && Array.isArray(good) && typeof wrong[0] === typeof good[0]) ||
          (typeof good === "object" &&
            !Array.isArray(good) &&
            typeof wrong === "object" &&
            !Array.isArray(wrong));
        if (sameType) continue;
        const result = convertOne(withValue(WELL_TYPED, path, wrong));
        const at = `Results[0].Vulnerabilities[0].${path.join(".")}`;
        assert.equal(result.findings.length, 0, `${at} = ${JSON.stringify(wrong)}`);
        assert.equal(result.failures.length, 1, `${at} = ${JSON.stringify(wrong)}`);
        const failure = result.failures[0];
        assert.equal(failure?.rule, "JSON type", `${at} = ${JSON.stringify(wrong)}`);
        assert.ok(failure?.field?.startsWith(at), `${failure?.field} names ${at}`);
        checked++;
      }
    }
    assert.ok(checked > 100, `${checked} wrong values checked`);
  });
});
