/**
 * Validator benchmark: cold compile time and findings/s for typical findings (a minimal custom
 * finding, a Trivy-like vulnerability finding, a finding with an EC2 details object) and for an
 * invalid one (the error-mapping path).
 *
 * Run: node --import tsx bench/validator.bench.ts [--seconds N]
 */
import { performance } from "node:perf_hooks";
import { checkFindingSize, validateFinding } from "../lambdas/core/asff/validate.ts";

const seconds = Number(process.argv[process.argv.indexOf("--seconds") + 1]) || 2;

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

function measure(name: string, finding: unknown, withSize = false): void {
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
  console.log(`${name.padEnd(40)} ${Math.round(rate).toLocaleString("en-US").padStart(12)} findings/s`);
}

const t0 = performance.now();
validateFinding(base);
console.log(`first call (schema compile)               ${(performance.now() - t0).toFixed(0)} ms`);
measure("minimal custom finding", base);
measure("Trivy-like vulnerability finding", trivy);
measure("Trivy-like + 240 KB size check", trivy, true);
measure("EC2 finding with Details", ec2);
measure("invalid finding (2 violations)", invalid);
