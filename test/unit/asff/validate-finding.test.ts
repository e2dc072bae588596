/**
 * Table-driven validator tests: for each constraint kind and each nested ASFF object, a valid and an
 * invalid case with the exact message Security Hub's wording gives (spec §1, §2.2).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ASFF_TIMESTAMP_PATTERN } from "../../../lambdas/core/asff/timestamp.ts";
import { validateFinding } from "../../../lambdas/core/asff/validate.ts";
import { chars, finding, type JsonObject, P, pairs, resources, times } from "./finding-factory.ts";

interface Case {
  readonly name: string;
  readonly extra?: JsonObject;
  readonly remove?: readonly string[];
  /** Expected messages; `[]` for a valid finding. */
  readonly expect: readonly string[];
}

const TS = `should match pattern "${ASFF_TIMESTAMP_PATTERN}"`;
const TYPES = 'should match pattern "^([^/]+)(/[^/]+){0,2}$"';
const related = { ProductArn: "arn:aws:securityhub:us-east-1::product/aws/guardduty", Id: "r-1" };

const TABLE: Record<string, readonly Case[]> = {
  "required attributes": [
    { name: "accepts the seed-shaped finding", expect: [] },
    {
      name: "rejects a missing Title",
      remove: ["Title"],
      expect: [`${P}data should have required property 'Title'.`],
    },
    {
      name: "reports every missing model-required attribute",
      remove: ["Id", "Resources"],
      expect: [
        `${P}data should have required property 'Id'.`,
        `${P}data should have required property 'Resources'.`,
      ],
    },
    {
      name: "rejects a finding with neither Severity nor FindingProviderFields as Security Hub words it",
      remove: ["FindingProviderFields"],
      extra: { Types: ["TTPs"] },
      expect: [
        `${P}data should have required property 'FindingProviderFields', data should match some schema in anyOf.`,
      ],
    },
    {
      name: "reports a missing Severity and Types once when FindingProviderFields is missing too",
      remove: ["FindingProviderFields"],
      expect: [
        `${P}data should have required property 'FindingProviderFields', data should match some schema in anyOf.`,
      ],
    },
    {
      name: "accepts Severity and Types top-level instead of in FindingProviderFields",
      remove: ["FindingProviderFields"],
      extra: { Severity: { Label: "LOW" }, Types: ["TTPs/Discovery"] },
      expect: [],
    },
    {
      name: "accepts a top-level Severity carrying only Normalized",
      remove: ["FindingProviderFields"],
      extra: { Severity: { Normalized: 40 }, Types: ["TTPs"] },
      expect: [],
    },
    {
      name: "rejects a top-level Severity with neither Label nor Normalized",
      remove: ["FindingProviderFields"],
      extra: { Severity: { Original: "bad" }, Types: ["TTPs"] },
      expect: [
        `${P}data.Severity should have required property 'Label', data.Severity should match some schema in anyOf, data should match some schema in anyOf.`,
      ],
    },
    {
      name: "rejects a finding whose Types are nowhere",
      extra: { FindingProviderFields: { Severity: { Label: "LOW" } } },
      expect: [
        `${P}data.FindingProviderFields should have required property 'Types', data should match some schema in anyOf.`,
      ],
    },
    {
      name: "accepts Severity in FindingProviderFields and Types top-level",
      extra: { FindingProviderFields: { Severity: { Label: "LOW" } }, Types: ["Effects/Data Exposure"] },
      expect: [],
    },
    {
      name: "rejects a FindingProviderFields.Severity without Label when there is no top-level Severity",
      extra: { FindingProviderFields: { Severity: { Original: "7" }, Types: ["TTPs"] } },
      expect: [
        `${P}data.FindingProviderFields.Severity should have required property 'Label', data should match some schema in anyOf.`,
      ],
    },
    {
      name: "accepts a label-less FindingProviderFields.Severity next to a top-level Label",
      extra: {
        FindingProviderFields: { Severity: { Original: "7" }, Types: ["TTPs"] },
        Severity: { Label: "HIGH" },
      },
      expect: [],
    },
    {
      name: "accepts an empty Types list as present",
      remove: ["FindingProviderFields"],
      extra: { Severity: { Label: "LOW" }, Types: [] },
      expect: [],
    },
  ],
  "strings: type, length, non-blank": [
    { name: "accepts a 256-character Title", extra: { Title: chars(256) }, expect: [] },
    {
      name: "rejects a 257-character Title",
      extra: { Title: chars(257) },
      expect: [`${P}data.Title should NOT be longer than 256 characters.`],
    },
    {
      name: "rejects a 1025-character Description",
      extra: { Description: chars(1025) },
      expect: [`${P}data.Description should NOT be longer than 1024 characters.`],
    },
    {
      name: "rejects an empty Description with the length message only",
      extra: { Description: "" },
      expect: [`${P}data.Description should NOT be shorter than 1 characters.`],
    },
    {
      name: "rejects a blank GeneratorId",
      extra: { GeneratorId: "   " },
      expect: [`${P}data.GeneratorId should match pattern ".*\\S.*".`],
    },
    { name: "rejects a number as Title", extra: { Title: 5 }, expect: [`${P}data.Title should be string.`] },
    {
      name: "rejects an 11-character AwsAccountId",
      extra: { AwsAccountId: "12345678901" },
      expect: [`${P}data.AwsAccountId should NOT be shorter than 12 characters.`],
    },
    {
      name: "rejects a 13-character AwsAccountId",
      extra: { AwsAccountId: "1234567890123" },
      expect: [`${P}data.AwsAccountId should NOT be longer than 12 characters.`],
    },
    {
      name: "rejects a ProductArn shorter than 12 characters",
      extra: { ProductArn: "arn:aws:sh" },
      expect: [`${P}data.ProductArn should NOT be shorter than 12 characters.`],
    },
    {
      name: "rejects a 513-character Id",
      extra: { Id: chars(513) },
      expect: [`${P}data.Id should NOT be longer than 512 characters.`],
    },
    {
      name: "rejects a 51-character AwsAccountName",
      extra: { AwsAccountName: chars(51) },
      expect: [`${P}data.AwsAccountName should NOT be longer than 50 characters.`],
    },
    {
      name: "rejects a 129-character CompanyName",
      extra: { CompanyName: chars(129) },
      expect: [`${P}data.CompanyName should NOT be longer than 128 characters.`],
    },
    {
      name: "rejects an empty SourceUrl",
      extra: { SourceUrl: "" },
      expect: [`${P}data.SourceUrl should NOT be shorter than 1 characters.`],
    },
  ],
  "enums and booleans": [
    {
      name: "rejects a SchemaVersion other than 2018-10-08",
      extra: { SchemaVersion: "2018-10-09" },
      expect: [`${P}data.SchemaVersion should be equal to one of the allowed values.`],
    },
    { name: "accepts RecordState ARCHIVED", extra: { RecordState: "ARCHIVED" }, expect: [] },
    {
      name: "rejects RecordState DELETED",
      extra: { RecordState: "DELETED" },
      expect: [`${P}data.RecordState should be equal to one of the allowed values.`],
    },
    {
      name: "rejects the User Guide's VerificationState 'Confirmed'",
      extra: { VerificationState: "Confirmed" },
      expect: [`${P}data.VerificationState should be equal to one of the allowed values.`],
    },
    { name: "accepts WorkflowState NEW", extra: { WorkflowState: "NEW" }, expect: [] },
    {
      name: "rejects WorkflowState OPEN",
      extra: { WorkflowState: "OPEN" },
      expect: [`${P}data.WorkflowState should be equal to one of the allowed values.`],
    },
    { name: "accepts Sample true", extra: { Sample: true }, expect: [] },
    {
      name: "rejects Sample 'yes'",
      extra: { Sample: "yes" },
      expect: [`${P}data.Sample should be boolean.`],
    },
  ],
  "numbers: integer ranges": [
    {
      name: "accepts Confidence 100 and Criticality 0",
      extra: { Confidence: 100, Criticality: 0 },
      expect: [],
    },
    {
      name: "rejects Confidence 101",
      extra: { Confidence: 101 },
      expect: [`${P}data.Confidence should be <= 100.`],
    },
    {
      name: "rejects Criticality -1",
      extra: { Criticality: -1 },
      expect: [`${P}data.Criticality should be >= 0.`],
    },
    {
      name: "rejects a fractional Confidence",
      extra: { Confidence: 1.5 },
      expect: [`${P}data.Confidence should be integer.`],
    },
  ],
  Types: [
    {
      name: "accepts one to three segments",
      extra: { Types: ["TTPs", "TTPs/Defense Evasion", "TTPs/Defense Evasion/CloudTrailStopped"] },
      expect: [],
    },
    { name: "accepts a non-standard namespace", extra: { Types: ["ens-op.acc.5.aws.iam.1"] }, expect: [] },
    { name: "rejects an empty type", extra: { Types: [""] }, expect: [`${P}data.Types[0] ${TYPES}.`] },
    {
      name: "rejects four segments",
      extra: { Types: ["TTPs", "a/b/c/d"] },
      expect: [`${P}data.Types[1] ${TYPES}.`],
    },
    {
      name: "rejects an empty segment",
      extra: { Types: ["TTPs//x"] },
      expect: [`${P}data.Types[0] ${TYPES}.`],
    },
    { name: "accepts 50 types", extra: { Types: times(50, "TTPs") }, expect: [] },
    {
      name: "rejects 51 types",
      extra: { Types: times(51, "TTPs") },
      expect: [`${P}data.Types should NOT have more than 50 items.`],
    },
  ],
  Severity: [
    {
      name: "accepts a full top-level Severity",
      extra: { Severity: { Label: "CRITICAL", Normalized: 90, Original: "9.8", Product: 9.8 } },
      expect: [],
    },
    {
      name: "rejects an unknown Label",
      extra: { Severity: { Label: "SEVERE" } },
      expect: [`${P}data.Severity.Label should be equal to one of the allowed values.`],
    },
    {
      name: "rejects Normalized 101",
      extra: { Severity: { Normalized: 101 } },
      expect: [`${P}data.Severity.Normalized should be <= 100.`],
    },
    {
      name: "rejects a 65-character Original",
      extra: { Severity: { Label: "LOW", Original: chars(65) } },
      expect: [`${P}data.Severity.Original should NOT be longer than 64 characters.`],
    },
    {
      name: "rejects a string Product",
      extra: { Severity: { Label: "LOW", Product: "9" } },
      expect: [`${P}data.Severity.Product should be number.`],
    },
  ],
  Resources: [
    { name: "accepts 32 resources", extra: { Resources: times(32, { Type: "Other", Id: "x" }) }, expect: [] },
    {
      name: "rejects 33 resources",
      extra: { Resources: times(33, { Type: "Other", Id: "x" }) },
      expect: [`${P}data.Resources should NOT have more than 32 items.`],
    },
    {
      name: "rejects no resources",
      extra: { Resources: [] },
      expect: [`${P}data.Resources should NOT have fewer than 1 items.`],
    },
    {
      name: "rejects an empty resource Type as prowler#778 saw it",
      extra: { Resources: [{ Type: "", Id: "x" }] },
      expect: [`${P}data.Resources[0].Type should NOT be shorter than 1 characters.`],
    },
    {
      name: "rejects a 257-character resource Type",
      extra: { Resources: [{ Type: chars(257), Id: "x" }] },
      expect: [`${P}data.Resources[0].Type should NOT be longer than 256 characters.`],
    },
    {
      name: "rejects a resource without Id",
      extra: { Resources: [{ Type: "Other" }] },
      expect: [`${P}data.Resources[0] should have required property 'Id'.`],
    },
    {
      name: "accepts every documented Partition",
      extra: {
        Resources: ["aws", "aws-cn", "aws-us-gov", "aws-us-iso", "aws-us-iso-b", "AzureCloud"].map(
          (Partition) => ({ Type: "Other", Id: "x", Partition }),
        ),
      },
      expect: [],
    },
    {
      name: "rejects an unknown Partition",
      extra: { Resources: resources({ Partition: "aws-moon" }) },
      expect: [`${P}data.Resources[0].Partition should be equal to one of the allowed values.`],
    },
    {
      name: "rejects a 17-character resource Region",
      extra: { Resources: resources({ Region: chars(17) }) },
      expect: [`${P}data.Resources[0].Region should NOT be longer than 16 characters.`],
    },
    {
      name: "accepts tags",
      extra: { Resources: resources({ Tags: { Name: "web", "aws:cloudformation:stack-name": "s" } }) },
      expect: [],
    },
    {
      name: "rejects a 257-character tag value",
      extra: { Resources: resources({ Tags: { Name: chars(257) } }) },
      expect: [`${P}data.Resources[0].Tags.Name should NOT be longer than 256 characters.`],
    },
    {
      name: "accepts Provider Azure with an AzureResource document",
      extra: {
        Resources: resources({ Provider: "Azure", Details: { AzureResource: { any: [1, { x: null }] } } }),
      },
      expect: [],
    },
    {
      name: "rejects Provider GCP",
      extra: { Resources: resources({ Provider: "GCP" }) },
      expect: [`${P}data.Resources[0].Provider should be equal to one of the allowed values.`],
    },
  ],
  "Resources[].Details": [
    {
      name: "accepts Details.Other with 50 pairs",
      extra: { Resources: resources({ Details: { Other: pairs(50) } }) },
      expect: [],
    },
    {
      name: "rejects Details.Other with 51 pairs",
      extra: { Resources: resources({ Details: { Other: pairs(51) } }) },
      expect: [`${P}data.Resources[0].Details.Other should NOT have more than 50 properties.`],
    },
    {
      name: "rejects a 1025-character Details.Other value",
      extra: { Resources: resources({ Details: { Other: { key: chars(1025) } } }) },
      expect: [`${P}data.Resources[0].Details.Other.key should NOT be longer than 1024 characters.`],
    },
    {
      name: "accepts a typed details object",
      extra: {
        Resources: resources({
          Details: {
            AwsEc2Instance: {
              Type: "t3.micro",
              IpV4Addresses: ["10.0.0.1"],
              LaunchedAt: "2024-01-04T15:25:10Z",
            },
          },
        }),
      },
      expect: [],
    },
    {
      name: "rejects a string where the details model has a list",
      extra: { Resources: resources({ Details: { AwsEc2Instance: { IpV4Addresses: "10.0.0.1" } } }) },
      expect: [`${P}data.Resources[0].Details.AwsEc2Instance.IpV4Addresses should be array.`],
    },
    {
      name: "rejects a bad timestamp inside details",
      extra: {
        Resources: resources({ Details: { AwsEc2Instance: { LaunchedAt: "2024-13-01T00:00:00Z" } } }),
      },
      expect: [`${P}data.Resources[0].Details.AwsEc2Instance.LaunchedAt ${TS}.`],
    },
    {
      name: "rejects a string where a details integer belongs",
      extra: { Resources: resources({ Details: { AwsIamRole: { MaxSessionDuration: "3600" } } }) },
      expect: [`${P}data.Resources[0].Details.AwsIamRole.MaxSessionDuration should be integer.`],
    },
  ],
  Compliance: [
    {
      name: "accepts a full Compliance",
      extra: {
        Compliance: {
          Status: "FAILED",
          RelatedRequirements: ["PCI DSS 1.2"],
          StatusReasons: [{ ReasonCode: "CONFIG_EVALUATIONS_EMPTY", Description: "d" }],
          SecurityControlId: "S3.1",
          AssociatedStandards: [
            { StandardsId: "standards/aws-foundational-security-best-practices/v/1.0.0" },
          ],
        },
      },
      expect: [],
    },
    {
      name: "rejects Status OK",
      extra: { Compliance: { Status: "OK" } },
      expect: [`${P}data.Compliance.Status should be equal to one of the allowed values.`],
    },
    {
      name: "rejects 33 related requirements",
      extra: { Compliance: { RelatedRequirements: times(33, "r") } },
      expect: [`${P}data.Compliance.RelatedRequirements should NOT have more than 32 items.`],
    },
    {
      name: "rejects a status reason without ReasonCode",
      extra: { Compliance: { StatusReasons: [{ Description: "d" }] } },
      expect: [`${P}data.Compliance.StatusReasons[0] should have required property 'ReasonCode'.`],
    },
  ],
  Vulnerabilities: [
    {
      name: "accepts a Trivy-like vulnerability",
      extra: {
        Vulnerabilities: [
          {
            Id: "CVE-2024-1",
            VulnerablePackages: [
              { Name: "openssl", Version: "1.0", FixedInVersion: "1.1", PackageManager: "OS" },
            ],
            Cvss: [{ Version: "3.1", BaseScore: 9.8, BaseVector: "AV:N" }],
            Vendor: { Name: "NVD", VendorCreatedAt: "2024-01-01T00:00:00Z" },
            ReferenceUrls: ["https://nvd.nist.gov"],
            FixAvailable: "YES",
            ExploitAvailable: "NO",
            EpssScore: 0.1,
            LastKnownExploitAt: "2024-01-02T00:00:00Z",
          },
        ],
      },
      expect: [],
    },
    {
      name: "rejects a vulnerability without Id",
      extra: { Vulnerabilities: [{ FixAvailable: "YES" }] },
      expect: [`${P}data.Vulnerabilities[0] should have required property 'Id'.`],
    },
    {
      name: "rejects FixAvailable MAYBE",
      extra: { Vulnerabilities: [{ Id: "CVE-1", FixAvailable: "MAYBE" }] },
      expect: [`${P}data.Vulnerabilities[0].FixAvailable should be equal to one of the allowed values.`],
    },
    {
      name: "rejects a string CVSS base score",
      extra: { Vulnerabilities: [{ Id: "CVE-1", Cvss: [{ BaseScore: "9.8" }] }] },
      expect: [`${P}data.Vulnerabilities[0].Cvss[0].BaseScore should be number.`],
    },
    {
      name: "rejects a vendor without Name",
      extra: { Vulnerabilities: [{ Id: "CVE-1", Vendor: { Url: "https://x" } }] },
      expect: [`${P}data.Vulnerabilities[0].Vendor should have required property 'Name'.`],
    },
    {
      name: "rejects a LastKnownExploitAt that is not a timestamp",
      extra: { Vulnerabilities: [{ Id: "CVE-1", LastKnownExploitAt: "yesterday" }] },
      expect: [`${P}data.Vulnerabilities[0].LastKnownExploitAt ${TS}.`],
    },
  ],
  Malware: [
    {
      name: "accepts five malware entries",
      extra: { Malware: times(5, { Name: "EICAR", Type: "VIRUS", Path: "/tmp/x", State: "OBSERVED" }) },
      expect: [],
    },
    {
      name: "rejects six malware entries",
      extra: { Malware: times(6, { Name: "EICAR" }) },
      expect: [`${P}data.Malware should NOT have more than 5 items.`],
    },
    {
      name: "rejects malware without Name",
      extra: { Malware: [{ Type: "VIRUS" }] },
      expect: [`${P}data.Malware[0] should have required property 'Name'.`],
    },
    {
      name: "rejects a 65-character malware Name",
      extra: { Malware: [{ Name: chars(65) }] },
      expect: [`${P}data.Malware[0].Name should NOT be longer than 64 characters.`],
    },
    {
      name: "rejects malware Type WORMHOLE",
      extra: { Malware: [{ Name: "m", Type: "WORMHOLE" }] },
      expect: [`${P}data.Malware[0].Type should be equal to one of the allowed values.`],
    },
    {
      name: "rejects malware State GONE",
      extra: { Malware: [{ Name: "m", State: "GONE" }] },
      expect: [`${P}data.Malware[0].State should be equal to one of the allowed values.`],
    },
  ],
  Network: [
    {
      name: "accepts a Network object",
      extra: {
        Network: {
          Direction: "IN",
          Protocol: "TCP",
          SourceIpV4: "10.0.0.1",
          SourcePort: 443,
          DestinationDomain: "example.com",
          OpenPortRange: { Begin: 1, End: 2 },
        },
      },
      expect: [],
    },
    {
      name: "rejects Direction SIDEWAYS",
      extra: { Network: { Direction: "SIDEWAYS" } },
      expect: [`${P}data.Network.Direction should be equal to one of the allowed values.`],
    },
    {
      name: "rejects a 17-character Protocol",
      extra: { Network: { Protocol: chars(17) } },
      expect: [`${P}data.Network.Protocol should NOT be longer than 16 characters.`],
    },
    {
      name: "rejects a string port",
      extra: { Network: { SourcePort: "80" } },
      expect: [`${P}data.Network.SourcePort should be integer.`],
    },
    {
      name: "rejects a 129-character SourceDomain",
      extra: { Network: { SourceDomain: chars(129) } },
      expect: [`${P}data.Network.SourceDomain should NOT be longer than 128 characters.`],
    },
  ],
  Process: [
    {
      name: "accepts a Process object",
      extra: {
        Process: {
          Name: "sshd",
          Path: "/usr/sbin/sshd",
          Pid: 1,
          ParentPid: 0,
          LaunchedAt: "2024-01-04T15:25:10+01:00",
        },
      },
      expect: [],
    },
    {
      name: "rejects a 65-character Name",
      extra: { Process: { Name: chars(65) } },
      expect: [`${P}data.Process.Name should NOT be longer than 64 characters.`],
    },
    {
      name: "rejects a 513-character Path",
      extra: { Process: { Path: chars(513) } },
      expect: [`${P}data.Process.Path should NOT be longer than 512 characters.`],
    },
    {
      name: "rejects a negative Pid",
      extra: { Process: { Pid: -1 } },
      expect: [`${P}data.Process.Pid should be >= 0.`],
    },
    {
      name: "rejects an impossible LaunchedAt date",
      extra: { Process: { LaunchedAt: "2024-02-30T00:00:00Z" } },
      expect: [`${P}data.Process.LaunchedAt should match format "asff-timestamp".`],
    },
  ],
  Threats: [
    {
      name: "accepts a threat with five file paths",
      extra: {
        Threats: [
          {
            Name: "t",
            Severity: "HIGH",
            ItemCount: 1,
            FilePaths: times(5, { FilePath: "/a", FileName: "a", ResourceId: "r", Hash: "h" }),
          },
        ],
      },
      expect: [],
    },
    {
      name: "rejects an empty Threats list",
      extra: { Threats: [] },
      expect: [`${P}data.Threats should NOT have fewer than 1 items.`],
    },
    {
      name: "rejects 33 threats",
      extra: { Threats: times(33, { Name: "t" }) },
      expect: [`${P}data.Threats should NOT have more than 32 items.`],
    },
    {
      name: "rejects a 129-character threat Name",
      extra: { Threats: [{ Name: chars(129) }] },
      expect: [`${P}data.Threats[0].Name should NOT be longer than 128 characters.`],
    },
    {
      name: "rejects six file paths",
      extra: { Threats: [{ FilePaths: times(6, { FileName: "a" }) }] },
      expect: [`${P}data.Threats[0].FilePaths should NOT have more than 5 items.`],
    },
    {
      name: "rejects a 129-character file Hash",
      extra: { Threats: [{ FilePaths: [{ Hash: chars(129) }] }] },
      expect: [`${P}data.Threats[0].FilePaths[0].Hash should NOT be longer than 128 characters.`],
    },
  ],
  ThreatIntelIndicators: [
    {
      name: "accepts five indicators",
      extra: {
        ThreatIntelIndicators: times(5, {
          Type: "IPV4_ADDRESS",
          Value: "1.2.3.4",
          Category: "COMMAND_AND_CONTROL",
          Source: "feed",
          LastObservedAt: "2024-01-04T15:25:10-0500",
        }),
      },
      expect: [],
    },
    {
      name: "rejects six indicators",
      extra: { ThreatIntelIndicators: times(6, { Value: "v" }) },
      expect: [`${P}data.ThreatIntelIndicators should NOT have more than 5 items.`],
    },
    {
      name: "rejects Type IP",
      extra: { ThreatIntelIndicators: [{ Type: "IP" }] },
      expect: [`${P}data.ThreatIntelIndicators[0].Type should be equal to one of the allowed values.`],
    },
    {
      name: "rejects Category PHISHING",
      extra: { ThreatIntelIndicators: [{ Category: "PHISHING" }] },
      expect: [`${P}data.ThreatIntelIndicators[0].Category should be equal to one of the allowed values.`],
    },
    {
      name: "rejects a 513-character Value",
      extra: { ThreatIntelIndicators: [{ Value: chars(513) }] },
      expect: [`${P}data.ThreatIntelIndicators[0].Value should NOT be longer than 512 characters.`],
    },
    {
      name: "rejects a 65-character Source",
      extra: { ThreatIntelIndicators: [{ Source: chars(65) }] },
      expect: [`${P}data.ThreatIntelIndicators[0].Source should NOT be longer than 64 characters.`],
    },
  ],
  Note: [
    {
      name: "accepts a complete Note",
      extra: { Note: { Text: "t", UpdatedBy: "me", UpdatedAt: "2024-01-04T15:25:10Z" } },
      expect: [],
    },
    {
      name: "rejects a Note without UpdatedAt",
      extra: { Note: { Text: "t", UpdatedBy: "me" } },
      expect: [`${P}data.Note should have required property 'UpdatedAt'.`],
    },
    {
      name: "rejects a 513-character Note Text",
      extra: { Note: { Text: chars(513), UpdatedBy: "me", UpdatedAt: "2024-01-04T15:25:10Z" } },
      expect: [`${P}data.Note.Text should NOT be longer than 512 characters.`],
    },
  ],
  Workflow: [
    { name: "accepts Status SUPPRESSED", extra: { Workflow: { Status: "SUPPRESSED" } }, expect: [] },
    {
      name: "rejects Status OPEN",
      extra: { Workflow: { Status: "OPEN" } },
      expect: [`${P}data.Workflow.Status should be equal to one of the allowed values.`],
    },
  ],
  FindingProviderFields: [
    {
      name: "accepts every member",
      extra: {
        FindingProviderFields: {
          Confidence: 42,
          Criticality: 99,
          RelatedFindings: [related],
          Severity: { Label: "MEDIUM", Original: "MEDIUM" },
          Types: ["Software and Configuration Checks/Vulnerabilities/CVE"],
        },
      },
      expect: [],
    },
    {
      name: "rejects Confidence 101",
      extra: { FindingProviderFields: { Confidence: 101, Severity: { Label: "LOW" }, Types: ["TTPs"] } },
      expect: [`${P}data.FindingProviderFields.Confidence should be <= 100.`],
    },
    {
      name: "rejects Criticality -1",
      extra: { FindingProviderFields: { Criticality: -1, Severity: { Label: "LOW" }, Types: ["TTPs"] } },
      expect: [`${P}data.FindingProviderFields.Criticality should be >= 0.`],
    },
    {
      name: "rejects an unknown Severity Label",
      extra: { FindingProviderFields: { Severity: { Label: "SEVERE" }, Types: ["TTPs"] } },
      expect: [`${P}data.FindingProviderFields.Severity.Label should be equal to one of the allowed values.`],
    },
    {
      name: "rejects a 65-character Severity Original",
      extra: { FindingProviderFields: { Severity: { Label: "LOW", Original: chars(65) }, Types: ["TTPs"] } },
      expect: [`${P}data.FindingProviderFields.Severity.Original should NOT be longer than 64 characters.`],
    },
    {
      name: "rejects an empty type",
      extra: { FindingProviderFields: { Severity: { Label: "LOW" }, Types: [""] } },
      expect: [`${P}data.FindingProviderFields.Types[0] ${TYPES}.`],
    },
    {
      name: "rejects 51 types",
      extra: { FindingProviderFields: { Severity: { Label: "LOW" }, Types: times(51, "TTPs") } },
      expect: [`${P}data.FindingProviderFields.Types should NOT have more than 50 items.`],
    },
    {
      name: "rejects 11 related findings",
      extra: {
        FindingProviderFields: {
          Severity: { Label: "LOW" },
          Types: ["TTPs"],
          RelatedFindings: times(11, related),
        },
      },
      expect: [`${P}data.FindingProviderFields.RelatedFindings should NOT have more than 10 items.`],
    },
  ],
  RelatedFindings: [
    { name: "accepts ten related findings", extra: { RelatedFindings: times(10, related) }, expect: [] },
    {
      name: "rejects eleven related findings",
      extra: { RelatedFindings: times(11, related) },
      expect: [`${P}data.RelatedFindings should NOT have more than 10 items.`],
    },
    {
      name: "rejects an empty list",
      extra: { RelatedFindings: [] },
      expect: [`${P}data.RelatedFindings should NOT have fewer than 1 items.`],
    },
    {
      name: "rejects a related finding without Id",
      extra: { RelatedFindings: [{ ProductArn: related.ProductArn }] },
      expect: [`${P}data.RelatedFindings[0] should have required property 'Id'.`],
    },
  ],
  ProductFields: [
    {
      name: "accepts 50 pairs with 128-character keys and 2048-character values",
      extra: { ProductFields: { ...pairs(49), [chars(128, "k")]: chars(2048) } },
      expect: [],
    },
    {
      name: "rejects 51 pairs",
      extra: { ProductFields: pairs(51) },
      expect: [`${P}data.ProductFields should NOT have more than 50 properties.`],
    },
    {
      name: "rejects a 2049-character value",
      extra: { ProductFields: { k0: chars(2049) } },
      expect: [`${P}data.ProductFields.k0 should NOT be longer than 2048 characters.`],
    },
    {
      name: "rejects a 129-character key, naming it shortened",
      extra: { ProductFields: { [chars(129, "k")]: "v" } },
      expect: [
        `${P}data.ProductFields should NOT be longer than 128 characters, data.ProductFields property name '${chars(64, "k")}…' is invalid.`,
      ],
    },
    {
      name: "rejects an empty value under a key with a slash",
      extra: { ProductFields: { "vendor/product/field": "" } },
      expect: [`${P}data.ProductFields['vendor/product/field'] should NOT be shorter than 1 characters.`],
    },
    {
      name: "rejects a number value",
      extra: { ProductFields: { count: 5 } },
      expect: [`${P}data.ProductFields.count should be string.`],
    },
  ],
  UserDefinedFields: [
    { name: "accepts 50 pairs", extra: { UserDefinedFields: pairs(50) }, expect: [] },
    {
      name: "rejects 51 pairs",
      extra: { UserDefinedFields: pairs(51) },
      expect: [`${P}data.UserDefinedFields should NOT have more than 50 properties.`],
    },
    {
      name: "rejects a 1025-character value",
      extra: { UserDefinedFields: { owner: chars(1025) } },
      expect: [`${P}data.UserDefinedFields.owner should NOT be longer than 1024 characters.`],
    },
  ],
  Remediation: [
    {
      name: "accepts a recommendation",
      extra: { Remediation: { Recommendation: { Text: chars(512), Url: "https://example.com" } } },
      expect: [],
    },
    {
      name: "rejects a 513-character recommendation as kube-bench#903 saw it",
      extra: { Remediation: { Recommendation: { Text: chars(513) } } },
      expect: [`${P}data.Remediation.Recommendation.Text should NOT be longer than 512 characters.`],
    },
    {
      name: "rejects an empty recommendation Text",
      extra: { Remediation: { Recommendation: { Text: "" } } },
      expect: [`${P}data.Remediation.Recommendation.Text should NOT be shorter than 1 characters.`],
    },
  ],
  Action: [
    {
      name: "accepts a PORT_PROBE action",
      extra: {
        Action: {
          ActionType: "PORT_PROBE",
          PortProbeAction: {
            Blocked: false,
            PortProbeDetails: [{ LocalPortDetails: { Port: 22, PortName: "SSH" } }],
          },
        },
      },
      expect: [],
    },
    {
      name: "rejects ActionType PING",
      extra: { Action: { ActionType: "PING" } },
      expect: [`${P}data.Action.ActionType should be equal to one of the allowed values.`],
    },
    {
      name: "rejects a 65-character connection Protocol",
      extra: {
        Action: { ActionType: "NETWORK_CONNECTION", NetworkConnectionAction: { Protocol: chars(65) } },
      },
      expect: [`${P}data.Action.NetworkConnectionAction.Protocol should NOT be longer than 64 characters.`],
    },
    {
      name: "rejects a 129-character API name",
      extra: { Action: { ActionType: "AWS_API_CALL", AwsApiCallAction: { Api: chars(129) } } },
      expect: [`${P}data.Action.AwsApiCallAction.Api should NOT be longer than 128 characters.`],
    },
    {
      name: "rejects a 129-character DNS domain",
      extra: { Action: { ActionType: "DNS_REQUEST", DnsRequestAction: { Domain: chars(129) } } },
      expect: [`${P}data.Action.DnsRequestAction.Domain should NOT be longer than 128 characters.`],
    },
  ],
  PatchSummary: [
    {
      name: "accepts a patch summary",
      extra: {
        PatchSummary: {
          Id: "pb-1",
          InstalledCount: 100000,
          MissingCount: 0,
          Operation: "Install",
          RebootOption: "RebootIfNeeded",
          OperationStartTime: "2024-01-04T15:25:10Z",
        },
      },
      expect: [],
    },
    {
      name: "rejects a summary without Id",
      extra: { PatchSummary: { MissingCount: 1 } },
      expect: [`${P}data.PatchSummary should have required property 'Id'.`],
    },
    {
      name: "rejects a 257-character Id",
      extra: { PatchSummary: { Id: chars(257) } },
      expect: [`${P}data.PatchSummary.Id should NOT be longer than 256 characters.`],
    },
    {
      name: "rejects InstalledCount 100001",
      extra: { PatchSummary: { Id: "p", InstalledCount: 100001 } },
      expect: [`${P}data.PatchSummary.InstalledCount should be <= 100000.`],
    },
    {
      name: "rejects a 257-character Operation",
      extra: { PatchSummary: { Id: "p", Operation: chars(257) } },
      expect: [`${P}data.PatchSummary.Operation should NOT be longer than 256 characters.`],
    },
  ],
};

for (const [area, cases] of Object.entries(TABLE)) {
  describe(`validateFinding: ${area}`, () => {
    for (const c of cases) {
      it(c.name, () => {
        const messages = validateFinding(finding(c.extra, c.remove)).map((v) => v.message);
        assert.deepEqual(messages, c.expect);
      });
    }
  });
}

describe("validateFinding: violations", () => {
  it("gives the ajv 6 path, the keyword and the full message of each violation", () => {
    assert.deepEqual(validateFinding(finding({ Resources: [{ Type: "", Id: "x" }] })), [
      {
        path: "data.Resources[0].Type",
        keyword: "minLength",
        message: `${P}data.Resources[0].Type should NOT be shorter than 1 characters.`,
      },
    ]);
  });

  it("reports every violation of a finding, not only the first", () => {
    const violations = validateFinding(
      finding({ Title: chars(257), Confidence: 101, Workflow: { Status: "X" } }),
    );
    assert.deepEqual(violations.map((v) => v.path).sort(), [
      "data.Confidence",
      "data.Title",
      "data.Workflow.Status",
    ]);
  });

  it("rejects a finding that is not an object", () => {
    for (const input of [null, [], "x", 42, undefined]) {
      assert.deepEqual(validateFinding(input), [
        { path: "data", keyword: "type", message: `${P}data should be object.` },
      ]);
    }
  });

  it("ignores attributes ASFF does not define, as Security Hub's model does", () => {
    assert.deepEqual(
      validateFinding(finding({ Titel: "typo", Resources: resources({ Colour: "red" }) })),
      [],
    );
  });

  it("reports undefined attributes when asked to reject unknown properties", () => {
    const violations = validateFinding(finding({ Titel: "typo", Resources: resources({ Colour: "red" }) }), {
      unknownProperties: "reject",
    });
    assert.deepEqual(
      violations.map((v) => v.message),
      [
        `${P}data should NOT have additional properties ('Titel').`,
        `${P}data.Resources[0] should NOT have additional properties ('Colour').`,
      ],
    );
  });

  it("accepts every attribute of a valid finding when unknown properties are rejected", () => {
    assert.deepEqual(validateFinding(finding(), { unknownProperties: "reject" }), []);
  });
});
