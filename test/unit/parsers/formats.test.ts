import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { validateFinding } from "../../../lambdas/core/asff/validate.ts";
import { convertReport } from "../../../lambdas/core/parsers/convert.ts";
import { fixedContext } from "./helpers.ts";

const FIXTURES = join(import.meta.dirname, "../../fixtures");
const ctx = fixedContext();

function convertJson(document: unknown, options = {}) {
  const result = convertReport(
    { source: "r.json", content: JSON.stringify(document) },
    ctx,
    undefined,
    options,
  );
  for (const f of result.findings) assert.deepEqual(validateFinding(f), [], `${f.Id} is valid`);
  return result;
}

describe("Trivy", () => {
  const image = (results: unknown[], extra: Record<string, unknown> = {}) => ({
    SchemaVersion: 2,
    ArtifactName: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api:1.4",
    ArtifactType: "container_image",
    Metadata: {
      OS: { Family: "debian", Name: "12.5" },
      RepoDigests: [`123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api@sha256:${"b".repeat(64)}`],
    },
    Results: results,
    ...extra,
  });
  it("gives the same CVE in several packages and paths one finding each, with distinct stable Ids", () => {
    const r = convertJson(
      image([
        {
          Target: "app/package-lock.json",
          Class: "lang-pkgs",
          Type: "npm",
          Vulnerabilities: [
            {
              VulnerabilityID: "CVE-2024-1",
              PkgName: "lodash",
              PkgPath: "a/node_modules/lodash",
              InstalledVersion: "4.0.0",
              Severity: "HIGH",
            },
            {
              VulnerabilityID: "CVE-2024-1",
              PkgName: "lodash",
              PkgPath: "b/node_modules/lodash",
              InstalledVersion: "4.0.0",
              Severity: "HIGH",
            },
            {
              VulnerabilityID: "CVE-2024-1",
              PkgName: "lodash-es",
              InstalledVersion: "4.0.0",
              Severity: "HIGH",
            },
          ],
        },
      ]),
    );
    assert.equal(new Set(r.findings.map((f) => f.Id)).size, 3);
  });
  it("keeps the Id when only the installed version changes, so an upgrade updates the finding", () => {
    const v = (version: string) =>
      convertJson(
        image([
          {
            Target: "t",
            Class: "lang-pkgs",
            Vulnerabilities: [{ VulnerabilityID: "CVE-1", PkgName: "x", InstalledVersion: version }],
          },
        ]),
      ).findings[0]?.Id;
    assert.equal(v("1.0"), v("1.1"));
  });
  it("maps an ECR image with a digest to AwsEcrContainerImage in the image's partition and Region", () => {
    const r = convertJson(
      image([
        {
          Target: "t",
          Class: "os-pkgs",
          Type: "debian",
          Vulnerabilities: [{ VulnerabilityID: "CVE-1", PkgName: "x" }],
        },
      ]),
    );
    const resource = r.findings[0]?.Resources?.[0];
    assert.equal(resource?.Type, "AwsEcrContainerImage");
    assert.equal(
      resource?.Id,
      `arn:aws:ecr:eu-west-1:123456789012:repository/shop/api/sha256:${"b".repeat(64)}`,
    );
    assert.equal(resource?.Details?.AwsEcrContainerImage?.RepositoryName, "shop/api");
    assert.deepEqual(resource?.Details?.AwsEcrContainerImage?.ImageTags, ["1.4"]);
  });
  it("maps a repository with a URL to CodeRepository without the URL's credentials", () => {
    const r = convertJson({
      SchemaVersion: 2,
      ArtifactName: "https://user:ghp_secret@github.com/acme/shop.git",
      ArtifactType: "repository",
      Metadata: {
        RepoURL: "https://user:ghp_secret@github.com/acme/shop.git",
        Branch: "main",
        Commit: "abc",
      },
      Results: [
        {
          Target: "go.mod",
          Class: "lang-pkgs",
          Vulnerabilities: [{ VulnerabilityID: "GHSA-1", PkgName: "x" }],
        },
      ],
    });
    const f = r.findings[0];
    assert.equal(f?.Resources?.[0]?.Type, "CodeRepository");
    assert.equal(f?.Resources?.[0]?.Id, "https://github.com/acme/shop");
    assert.deepEqual(f?.FindingProviderFields?.Types, ["Software and Configuration Checks/Vulnerabilities"]);
  });
  it("emits failing misconfigurations; passing ones only on request, as PASSED and INFORMATIONAL; never exceptions", () => {
    const report = {
      SchemaVersion: 2,
      ArtifactName: "infra",
      ArtifactType: "filesystem",
      Results: [
        {
          Target: "main.tf",
          Class: "config",
          Misconfigurations: [
            {
              AVDID: "AVD-AWS-0086",
              Title: "S3 public",
              Status: "FAIL",
              Severity: "HIGH",
              CauseMetadata: { Provider: "AWS", Resource: "aws_s3_bucket.a" },
            },
            {
              AVDID: "AVD-AWS-0087",
              Title: "S3 block",
              Status: "PASS",
              Severity: "HIGH",
              CauseMetadata: { Provider: "AWS", Resource: "aws_s3_bucket.a" },
            },
            { AVDID: "AVD-AWS-0088", Title: "S3 enc", Status: "EXCEPTION", Severity: "HIGH" },
          ],
        },
      ],
    };
    const failing = convertJson(report);
    assert.deepEqual(
      failing.findings.map((f) => [f.GeneratorId, f.Compliance?.Status]),
      [["trivy/AVD-AWS-0086", "FAILED"]],
    );
    assert.deepEqual(failing.findings[0]?.FindingProviderFields?.Types, [
      "Software and Configuration Checks/AWS Security Best Practices",
    ]);
    const all = convertJson(report, { includePassed: true });
    const passed = all.findings.find((f) => f.Compliance?.Status === "PASSED");
    assert.deepEqual(passed?.FindingProviderFields?.Severity, { Label: "INFORMATIONAL", Original: "HIGH" });
    assert.equal(all.findings.length, 2);
  });
  it("never lets a secret's match or code lines reach a finding, and gives two secrets in one file two Ids", () => {
    const content = readFileSync(join(FIXTURES, "trivy/secrets.repo.json"));
    const r = convertReport({ source: "secrets.repo.json", content }, ctx);
    const text = JSON.stringify(r);
    assert.ok(!text.includes("ghp_0123456789"), "context lines are not copied");
    assert.ok(!text.includes("********"), "masked matches are not copied either");
    assert.equal(new Set(r.findings.map((f) => f.Id)).size, 2);
  });
  it("turns licenses into findings", () => {
    const r = convertJson({
      SchemaVersion: 2,
      ArtifactName: "app",
      ArtifactType: "filesystem",
      Results: [
        {
          Target: "Python",
          Class: "license",
          Licenses: [
            { Severity: "HIGH", Category: "restricted", PkgName: "x", Name: "GPL-3.0", Confidence: 1 },
          ],
        },
      ],
    });
    assert.match(r.findings[0]?.Title ?? "", /GPL-3\.0/);
  });
});

describe("Grype", () => {
  const content = readFileSync(join(FIXTURES, "grype/image.json"), "utf8");
  it("maps fix state, EPSS, known exploitation and CVSS", () => {
    const r = convertJson(JSON.parse(content));
    const [fixed, unfixed] = r.findings.map((f) => f.Vulnerabilities?.[0]);
    assert.equal(fixed?.FixAvailable, "YES");
    assert.equal(fixed?.VulnerablePackages?.[0]?.FixedInVersion, "1.2.1, 2.1.3, 3.4.0");
    assert.equal(fixed?.EpssScore, 0.03);
    assert.equal(unfixed?.FixAvailable, "NO");
    assert.equal(unfixed?.ExploitAvailable, "YES");
    assert.deepEqual(unfixed?.Cvss?.[0], {
      Version: "3.1",
      BaseScore: 8.5,
      BaseVector: "CVSS:3.1/AV:N/AC:H/PR:L/UI:N/S:C/C:H/I:H/A:H",
      Source: "nvd",
    });
    assert.deepEqual(
      r.findings.map((f) => f.FindingProviderFields?.Severity?.Label),
      ["LOW", "CRITICAL"],
    );
  });
  it("uses a related record's description when the match has none", () => {
    const doc = JSON.parse(content);
    doc.matches[0].relatedVulnerabilities = [
      { id: "CVE-1999-0001", description: "From NVD.", urls: ["https://nvd.example/1"] },
    ];
    const r = convertJson(doc);
    assert.equal(r.findings[0]?.Description, "From NVD.");
    assert.deepEqual(r.findings[0]?.Vulnerabilities?.[0]?.ReferenceUrls, ["https://nvd.example/1"]);
  });
  it("keeps the Id across package versions and separates packages", () => {
    const doc = JSON.parse(content);
    const before = convertJson(doc).findings.map((f) => f.Id);
    doc.matches[0].artifact.version = "1.1.2";
    assert.deepEqual(
      convertJson(doc).findings.map((f) => f.Id),
      before,
    );
    assert.equal(new Set(before).size, 2);
  });
});

describe("ASFF passthrough", () => {
  const finding = {
    SchemaVersion: "2018-10-08",
    Id: "f-1",
    ProductArn: "arn:aws:securityhub:us-east-1:999999999999:product/999999999999/default",
    GeneratorId: "g",
    AwsAccountId: "999999999999",
    CreatedAt: "2024-01-01T00:00:00Z",
    UpdatedAt: "2024-01-01T00:00:00Z",
    Severity: { Label: "LOW" },
    Types: ["Software and Configuration Checks"],
    Title: "t",
    Description: "d",
    Resources: [{ Type: "Other", Id: "r" }],
    Region: "us-east-1",
    ProcessedAt: "2024-01-01T00:00:01Z",
    ProductFields: { "aws/securityhub/FindingId": "x", "vendor/key": "v" },
  };
  it("accepts a finding, an array and {Findings: [...]}", () => {
    for (const doc of [finding, [finding], { Findings: [finding] }]) {
      const r = convertJson(doc);
      assert.equal(r.format, "asff");
      assert.equal(r.findings.length, 1);
    }
  });
  it("keeps the finding's identity unless told to override it, and drops service-owned fields", () => {
    const kept = convertJson([finding]).findings[0];
    assert.equal(kept?.AwsAccountId, "999999999999");
    assert.deepEqual(kept?.Severity, { Label: "LOW" }, "provider fields stay where the report put them");
    assert.equal(kept?.Region, undefined);
    assert.equal(kept?.ProcessedAt, undefined);
    assert.deepEqual(kept?.ProductFields, { "vendor/key": "v" });
    const overridden = convertJson([finding], { overrideIdentity: true }).findings[0];
    assert.equal(overridden?.AwsAccountId, ctx.accountId);
    assert.equal(overridden?.ProductArn, ctx.productArn);
  });
  it("reports entries that are not objects and findings that are not valid ASFF", () => {
    const r = convertReport(
      {
        source: "a.json",
        content: JSON.stringify({ Findings: [finding, 3, { ...finding, Id: "f-2", Title: "" }] }),
      },
      ctx,
    );
    assert.equal(r.findings.length, 1);
    assert.deepEqual(
      r.failures.map((f) => f.field),
      ["$.Findings[1]", "data"],
    );
    assert.match(r.failures[1]?.message ?? "", /Title/);
  });
});
