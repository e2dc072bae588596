/**
 * Validator benchmark:
 * - start-up, as in a Lambda cold start: `validate.ts` bundled with esbuild the house way (its
 *   lazily loaded chunks copied beside it), then in fresh processes: the import, the first
 *   validation of a minimal finding, the first of a finding with `Resources[].Details`
 *   (`AwsEc2Instance`: loads that chunk) and the first of a Trivy-like finding (loads the
 *   `Vulnerabilities` chunk). Medians, wall and CPU time.
 * - throughput: findings/s for typical findings (a minimal custom finding, a Trivy-like
 *   vulnerability finding, a finding with an EC2 details object) and for an invalid one (the
 *   error-mapping path).
 *
 * Run: node --import tsx bench/validator.bench.ts [--seconds N] [--processes N]
 * `validatorBenchMetrics()` returns the figures as `{ name, value, unit }` rows.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { checkFindingSize, validateFinding } from "../lambdas/core/asff/validate.ts";
import {
  ESM_REQUIRE_BANNER,
  HOUSE_ESBUILD_TARGET,
  HOUSE_RUNTIME_FILES,
  PROJECT_ROOT,
} from "../lib/house-function.ts";
import type { BenchMetric } from "./lambda.bench.ts";

const base = {
  SchemaVersion: "2018-10-08",
  Id: "trivy/CVE-2024-0001/arn:aws:ecr:us-east-1:123456789012:repository/app/sha256:abc/openssl",
  ProductArn: "arn:aws:securityhub:us-east-1::product/aquasecurity/aquasecurity",
  GeneratorId: "Trivy/CVE-2024-0001",
  AwsAccountId: "123456789012",
  CreatedAt: "2024-01-04T15:25:10.123Z",
  UpdatedAt: "2024-01-04T15:25:10.123Z",
  Title: "CVE-2024-0001 openssl: buffer overflow",
  Description: "A buffer overflow in openssl allows remote attackers to execute code.",
  FindingProviderFields: {
    Severity: { Label: "HIGH", Original: "HIGH" },
    Types: ["Software and Configuration Checks/Vulnerabilities/CVE"],
  },
  Resources: [{ Type: "Container", Id: "app:1.0", Partition: "aws", Region: "us-east-1" }],
};

const trivy = {
  ...base,
  ProductFields: { "Product Name": "Trivy", "aquasecurity/trivy/Target": "app:1.0 (debian 12)" },
  Remediation: {
    Recommendation: { Text: "Upgrade openssl to 3.0.13", Url: "https://avd.aquasec.com/nvd/cve-2024-0001" },
  },
  Vulnerabilities: [
    {
      Id: "CVE-2024-0001",
      VulnerablePackages: [
        { Name: "openssl", Version: "3.0.11", FixedInVersion: "3.0.13", PackageManager: "OS" },
      ],
      Cvss: [
        {
          Version: "3.1",
          BaseScore: 9.8,
          BaseVector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
          Source: "nvd",
        },
      ],
      Vendor: { Name: "NVD", Url: "https://nvd.nist.gov", VendorCreatedAt: "2024-01-01T00:00:00Z" },
      ReferenceUrls: ["https://nvd.nist.gov/vuln/detail/CVE-2024-0001"],
      FixAvailable: "YES",
    },
  ],
  RecordState: "ACTIVE",
};

const ec2 = {
  ...base,
  Resources: [
    {
      Type: "AwsEc2Instance",
      Id: "arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0",
      Partition: "aws",
      Region: "us-east-1",
      Tags: { Name: "web-1", env: "prod" },
      Details: {
        AwsEc2Instance: {
          Type: "t3.micro",
          ImageId: "ami-0123456789abcdef0",
          IpV4Addresses: ["10.0.0.12"],
          VpcId: "vpc-1",
          SubnetId: "subnet-1",
          LaunchedAt: "2024-01-01T00:00:00Z",
        },
      },
    },
  ],
};

const invalid = { ...trivy, Title: "x".repeat(300), Resources: [{ Type: "", Id: "x" }] };

/** Findings/s of `validateFinding` (and optionally the size check) on one finding. */
function measure(name: string, finding: unknown, seconds: number, withSize = false): BenchMetric {
  // warm-up
  for (let i = 0; i < 2000; i++) validateFinding(finding);
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 500; i++) {
      validateFinding(finding);
      if (withSize) checkFindingSize(finding);
    }
    n += 500;
  }
  const rate = n / ((performance.now() - start) / 1000);
  return { name: `validator.throughput.${name}`, value: rate, unit: "findings/s" };
}

/** Throughput figures (validators already loaded by the warm-up). */
export function runValidatorThroughput(seconds = 2): BenchMetric[] {
  return [
    measure("minimal custom finding", base, seconds),
    measure("Trivy-like vulnerability finding", trivy, seconds),
    measure("Trivy-like + 240 KB size check", trivy, seconds, true),
    measure("EC2 finding with Details", ec2, seconds),
    measure("invalid finding (2 violations)", invalid, seconds),
  ];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const STEPS = [
  "import",
  "first minimal finding",
  "first EC2 Details finding",
  "first Trivy-like finding",
] as const;

/** Start-up figures: each step's median wall and CPU ms over `processes` fresh processes. */
export async function runValidatorColdStart(processes = 7): Promise<BenchMetric[]> {
  const dir = mkdtempSync(join(tmpdir(), "shadowhub-validator-bench-"));
  try {
    const entry = join(dir, "entry.ts");
    writeFileSync(
      entry,
      `export { validateFinding } from ${JSON.stringify(join(PROJECT_ROOT, "lambdas/core/asff/validate.ts"))};\n`,
    );
    const outfile = join(dir, "bundle", "index.mjs");
    await build({
      entryPoints: [entry],
      bundle: true,
      platform: "node",
      format: "esm",
      target: HOUSE_ESBUILD_TARGET,
      minify: true,
      keepNames: true,
      sourcemap: false,
      mainFields: ["module", "main"],
      banner: { js: ESM_REQUIRE_BANNER },
      outfile,
      logLevel: "error",
    });
    for (const { from, to } of HOUSE_RUNTIME_FILES)
      cpSync(join(PROJECT_ROOT, from), join(dir, "bundle", to), { recursive: true });
    const script = join(dir, "probe.mjs");
    writeFileSync(
      script,
      `const out = [];
const step = async (work) => { const c0 = process.cpuUsage(); const t = performance.now(); await work();
  const c = process.cpuUsage(c0); out.push([performance.now() - t, (c.user + c.system) / 1000]); };
let m;
await step(async () => { m = await import(${JSON.stringify(pathToFileURL(outfile).href)}); });
for (const finding of ${JSON.stringify([base, ec2, trivy])}) {
  await step(() => { if (m.validateFinding(finding).length !== 0) throw new Error("invalid bench finding"); });
}
console.log(JSON.stringify(out));`,
    );
    const samples: [number, number][][] = [];
    for (let i = 0; i < processes; i++) {
      const result = spawnSync(process.execPath, [script], { encoding: "utf8" });
      if (result.status !== 0) throw new Error(`probe failed: ${result.stderr}`);
      samples.push(JSON.parse(result.stdout.trim().split("\n").at(-1) ?? "[]") as [number, number][]);
    }
    return STEPS.flatMap((name, at) => [
      {
        name: `validator.cold.${name}`,
        value: median(samples.map((s) => s[at]?.[0] ?? Number.NaN)),
        unit: "ms",
      },
      {
        name: `validator.cold.${name}.cpu`,
        value: median(samples.map((s) => s[at]?.[1] ?? Number.NaN)),
        unit: "ms",
      },
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every figure of this benchmark. */
export async function validatorBenchMetrics(seconds = 2, processes = 7): Promise<BenchMetric[]> {
  return [...(await runValidatorColdStart(processes)), ...runValidatorThroughput(seconds)];
}

function print(rows: readonly BenchMetric[]): void {
  for (const row of rows) {
    const value = row.unit === "ms" ? row.value.toFixed(1) : Math.round(row.value).toLocaleString("en-US");
    console.log(`${row.name.padEnd(58)} ${value.padStart(12)} ${row.unit}`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const option = (name: string) => {
    const at = process.argv.indexOf(name);
    return at >= 0 ? Number(process.argv[at + 1]) : undefined;
  };
  print(await validatorBenchMetrics(option("--seconds") || 2, option("--processes") || 7));
}
