/**
 * Every `AwsSecurityFindingFilters` member of the Security Hub model, mapped to the ASFF path it
 * filters on. The `satisfies` clause makes the compiler check that the table covers the SDK's
 * filter type exactly: a member added to the model breaks the build until it is mapped here.
 *
 * Path syntax: dot-separated member names; `[]` after a name walks every element of that list
 * (`Resources[].Id`). A path may therefore yield several values for one finding.
 */
import type { AwsSecurityFindingFilters } from "@aws-sdk/client-securityhub";

/** How a filter field compares. */
export type FilterKind = "string" | "number" | "date" | "ip" | "map" | "boolean" | "keyword";

/** One filter field: its comparison kind and the ASFF path it reads. */
export interface FilterFieldSpec {
  readonly kind: FilterKind;
  readonly path: string;
}

const s = (path: string): FilterFieldSpec => ({ kind: "string", path });
const n = (path: string): FilterFieldSpec => ({ kind: "number", path });
const d = (path: string): FilterFieldSpec => ({ kind: "date", path });
const ip = (path: string): FilterFieldSpec => ({ kind: "ip", path });
const map = (path: string): FilterFieldSpec => ({ kind: "map", path });

const EC2 = "Resources[].Details.AwsEc2Instance";
const KEY = "Resources[].Details.AwsIamAccessKey";
const CONTAINER = "Resources[].Details.Container";

/** Filter field name → ASFF path and kind, for every member of the SDK's `AwsSecurityFindingFilters` (107 in SDK 3.1108). */
export const FINDING_FILTER_FIELDS = {
  ProductArn: s("ProductArn"),
  AwsAccountId: s("AwsAccountId"),
  Id: s("Id"),
  GeneratorId: s("GeneratorId"),
  Region: s("Region"),
  Type: s("Types[]"),
  FirstObservedAt: d("FirstObservedAt"),
  LastObservedAt: d("LastObservedAt"),
  CreatedAt: d("CreatedAt"),
  UpdatedAt: d("UpdatedAt"),
  SeverityProduct: n("Severity.Product"),
  SeverityNormalized: n("Severity.Normalized"),
  SeverityLabel: s("Severity.Label"),
  Confidence: n("Confidence"),
  Criticality: n("Criticality"),
  Title: s("Title"),
  Description: s("Description"),
  RecommendationText: s("Remediation.Recommendation.Text"),
  SourceUrl: s("SourceUrl"),
  ProductFields: map("ProductFields"),
  ProductName: s("ProductName"),
  CompanyName: s("CompanyName"),
  UserDefinedFields: map("UserDefinedFields"),
  MalwareName: s("Malware[].Name"),
  MalwareType: s("Malware[].Type"),
  MalwarePath: s("Malware[].Path"),
  MalwareState: s("Malware[].State"),
  NetworkDirection: s("Network.Direction"),
  NetworkProtocol: s("Network.Protocol"),
  NetworkSourceIpV4: ip("Network.SourceIpV4"),
  NetworkSourceIpV6: ip("Network.SourceIpV6"),
  NetworkSourcePort: n("Network.SourcePort"),
  NetworkSourceDomain: s("Network.SourceDomain"),
  NetworkSourceMac: s("Network.SourceMac"),
  NetworkDestinationIpV4: ip("Network.DestinationIpV4"),
  NetworkDestinationIpV6: ip("Network.DestinationIpV6"),
  NetworkDestinationPort: n("Network.DestinationPort"),
  NetworkDestinationDomain: s("Network.DestinationDomain"),
  ProcessName: s("Process.Name"),
  ProcessPath: s("Process.Path"),
  ProcessPid: n("Process.Pid"),
  ProcessParentPid: n("Process.ParentPid"),
  ProcessLaunchedAt: d("Process.LaunchedAt"),
  ProcessTerminatedAt: d("Process.TerminatedAt"),
  ThreatIntelIndicatorType: s("ThreatIntelIndicators[].Type"),
  ThreatIntelIndicatorValue: s("ThreatIntelIndicators[].Value"),
  ThreatIntelIndicatorCategory: s("ThreatIntelIndicators[].Category"),
  ThreatIntelIndicatorLastObservedAt: d("ThreatIntelIndicators[].LastObservedAt"),
  ThreatIntelIndicatorSource: s("ThreatIntelIndicators[].Source"),
  ThreatIntelIndicatorSourceUrl: s("ThreatIntelIndicators[].SourceUrl"),
  ResourceType: s("Resources[].Type"),
  ResourceId: s("Resources[].Id"),
  ResourcePartition: s("Resources[].Partition"),
  ResourceRegion: s("Resources[].Region"),
  ResourceTags: map("Resources[].Tags"),
  ResourceAwsEc2InstanceType: s(`${EC2}.Type`),
  ResourceAwsEc2InstanceImageId: s(`${EC2}.ImageId`),
  ResourceAwsEc2InstanceIpV4Addresses: ip(`${EC2}.IpV4Addresses[]`),
  ResourceAwsEc2InstanceIpV6Addresses: ip(`${EC2}.IpV6Addresses[]`),
  ResourceAwsEc2InstanceKeyName: s(`${EC2}.KeyName`),
  ResourceAwsEc2InstanceIamInstanceProfileArn: s(`${EC2}.IamInstanceProfileArn`),
  ResourceAwsEc2InstanceVpcId: s(`${EC2}.VpcId`),
  ResourceAwsEc2InstanceSubnetId: s(`${EC2}.SubnetId`),
  ResourceAwsEc2InstanceLaunchedAt: d(`${EC2}.LaunchedAt`),
  ResourceAwsS3BucketOwnerId: s("Resources[].Details.AwsS3Bucket.OwnerId"),
  ResourceAwsS3BucketOwnerName: s("Resources[].Details.AwsS3Bucket.OwnerName"),
  ResourceAwsIamAccessKeyUserName: s(`${KEY}.UserName`),
  ResourceAwsIamAccessKeyPrincipalName: s(`${KEY}.PrincipalName`),
  ResourceAwsIamAccessKeyStatus: s(`${KEY}.Status`),
  ResourceAwsIamAccessKeyCreatedAt: d(`${KEY}.CreatedAt`),
  ResourceAwsIamUserUserName: s("Resources[].Details.AwsIamUser.UserName"),
  ResourceContainerName: s(`${CONTAINER}.Name`),
  ResourceContainerImageId: s(`${CONTAINER}.ImageId`),
  ResourceContainerImageName: s(`${CONTAINER}.ImageName`),
  ResourceContainerLaunchedAt: d(`${CONTAINER}.LaunchedAt`),
  ResourceDetailsOther: map("Resources[].Details.Other"),
  ComplianceStatus: s("Compliance.Status"),
  VerificationState: s("VerificationState"),
  WorkflowState: s("WorkflowState"),
  WorkflowStatus: s("Workflow.Status"),
  RecordState: s("RecordState"),
  RelatedFindingsProductArn: s("RelatedFindings[].ProductArn"),
  RelatedFindingsId: s("RelatedFindings[].Id"),
  NoteText: s("Note.Text"),
  NoteUpdatedAt: d("Note.UpdatedAt"),
  NoteUpdatedBy: s("Note.UpdatedBy"),
  Keyword: { kind: "keyword", path: "" },
  FindingProviderFieldsConfidence: n("FindingProviderFields.Confidence"),
  FindingProviderFieldsCriticality: n("FindingProviderFields.Criticality"),
  FindingProviderFieldsRelatedFindingsId: s("FindingProviderFields.RelatedFindings[].Id"),
  FindingProviderFieldsRelatedFindingsProductArn: s("FindingProviderFields.RelatedFindings[].ProductArn"),
  FindingProviderFieldsSeverityLabel: s("FindingProviderFields.Severity.Label"),
  FindingProviderFieldsSeverityOriginal: s("FindingProviderFields.Severity.Original"),
  FindingProviderFieldsTypes: s("FindingProviderFields.Types[]"),
  Sample: { kind: "boolean", path: "Sample" },
  ComplianceSecurityControlId: s("Compliance.SecurityControlId"),
  ComplianceAssociatedStandardsId: s("Compliance.AssociatedStandards[].StandardsId"),
  VulnerabilitiesExploitAvailable: s("Vulnerabilities[].ExploitAvailable"),
  VulnerabilitiesFixAvailable: s("Vulnerabilities[].FixAvailable"),
  ComplianceSecurityControlParametersName: s("Compliance.SecurityControlParameters[].Name"),
  ComplianceSecurityControlParametersValue: s("Compliance.SecurityControlParameters[].Value[]"),
  AwsAccountName: s("AwsAccountName"),
  ResourceApplicationName: s("Resources[].ApplicationName"),
  ResourceApplicationArn: s("Resources[].ApplicationArn"),
  // Newer than the botocore model on this machine; present in the SDK's filter type.
  ResourceOwnerAccountId: s("Resources[].Owner.Account.Id"),
  ResourceOwnerOrgId: s("Resources[].Owner.Org.Id"),
  ResourceProvider: s("Resources[].Provider"),
} as const satisfies Record<keyof AwsSecurityFindingFilters, FilterFieldSpec>;

/** A filter field name (a member of `AwsSecurityFindingFilters`). */
export type FilterFieldName = keyof typeof FINDING_FILTER_FIELDS;

/** True when `name` is a filter field of the model. */
export function isFilterFieldName(name: string): name is FilterFieldName {
  return Object.hasOwn(FINDING_FILTER_FIELDS, name);
}

type Step = { readonly name: string; readonly each: boolean };
const compiledPaths = new Map<string, readonly Step[]>();

function compilePath(path: string): readonly Step[] {
  let steps = compiledPaths.get(path);
  if (!steps) {
    steps = path
      .split(".")
      .filter((p) => p.length > 0)
      .map((p) => (p.endsWith("[]") ? { name: p.slice(0, -2), each: true } : { name: p, each: false }));
    compiledPaths.set(path, steps);
  }
  return steps;
}

/** Every value found at `path` in `finding` (lists marked `[]` are walked; missing parts yield nothing). */
export function valuesAtPath(finding: unknown, path: string): unknown[] {
  const out: unknown[] = [];
  someValueAtPath(finding, path, (v) => {
    out.push(v);
    return false;
  });
  return out;
}

/**
 * Calls `visit` for each value at `path` until it returns true; returns whether it did. Allocation
 * free, so filter predicates can run over a whole store without creating garbage per finding.
 */
export function someValueAtPath(finding: unknown, path: string, visit: (value: unknown) => boolean): boolean {
  return walk(finding, compilePath(path), 0, visit);
}

function walk(node: unknown, steps: readonly Step[], i: number, visit: (value: unknown) => boolean): boolean {
  if (i === steps.length) return visit(node);
  if (typeof node !== "object" || node === null || Array.isArray(node)) return false;
  const step = steps[i] as Step;
  if (!Object.hasOwn(node, step.name)) return false;
  const value = (node as Record<string, unknown>)[step.name];
  if (value === undefined || value === null) return false;
  if (!step.each) return walk(value, steps, i + 1, visit);
  if (!Array.isArray(value)) return false;
  for (const item of value) {
    if (item !== undefined && item !== null && walk(item, steps, i + 1, visit)) return true;
  }
  return false;
}
