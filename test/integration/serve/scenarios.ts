/**
 * Service-level scenarios of Security Hub's finding semantics, written against the real
 * `@aws-sdk/client-securityhub` client only. The same list runs as pass/fail tests against
 * `shadowhub serve` (`semantics.test.ts`) and as a comparison against `moto_server`
 * (`bench/compare-moto.ts`), so each scenario must work through the public API alone.
 */
import assert from "node:assert/strict";
import {
  type AwsSecurityFinding,
  BatchImportFindingsCommand,
  type BatchImportFindingsResponse,
  BatchUpdateFindingsCommand,
  type BatchUpdateFindingsCommandInput,
  DisableSecurityHubCommand,
  EnableImportFindingsForProductCommand,
  EnableSecurityHubCommand,
  GetFindingsCommand,
  type GetFindingsCommandInput,
  type SecurityHubClient,
} from "@aws-sdk/client-securityhub";

/** What a scenario gets: clients for a Region and the account the endpoint acts as. */
export interface ScenarioContext {
  readonly accountId: string;
  /** A client for `region` (default us-east-1). */
  client(region?: string): SecurityHubClient;
}

export interface Scenario {
  /** The behaviour, as a test name. */
  readonly name: string;
  /** The rule of spec §2–§5 it checks. */
  readonly rule: string;
  run(ctx: ScenarioContext): Promise<void>;
}

export const REGION = "us-east-1";
/** The account's own default product (a custom integration). */
export const productArnFor = (accountId: string, region = REGION) =>
  `arn:aws:securityhub:${region}:${accountId}:product/${accountId}/default`;

/** A minimal valid finding; FindingProviderFields carries Severity and Types as providers should. */
export function makeFinding(
  accountId: string,
  id: string,
  overrides: Record<string, unknown> = {},
  region = REGION,
) {
  return {
    SchemaVersion: "2018-10-08",
    Id: id,
    ProductArn: productArnFor(accountId, region),
    GeneratorId: "shadowhub-scenario",
    AwsAccountId: accountId,
    CreatedAt: "2024-01-01T00:00:00.000Z",
    UpdatedAt: "2024-01-01T00:00:00.000Z",
    Title: `Finding ${id}`,
    Description: "A scenario finding",
    FindingProviderFields: {
      Severity: { Label: "MEDIUM", Original: "medium" },
      Types: ["Software and Configuration Checks/Vulnerabilities/CVE"],
    },
    Resources: [{ Type: "Other", Id: `resource-${id}`, Partition: "aws", Region: region }],
    ...overrides,
  } as AwsSecurityFinding;
}

async function importFindings(
  client: SecurityHubClient,
  findings: readonly AwsSecurityFinding[],
): Promise<BatchImportFindingsResponse> {
  return client.send(new BatchImportFindingsCommand({ Findings: [...findings] }));
}

async function importOk(client: SecurityHubClient, findings: readonly AwsSecurityFinding[]): Promise<void> {
  const out = await importFindings(client, findings);
  assert.equal(out.FailedCount, 0, `import failed: ${JSON.stringify(out.FailedFindings)}`);
}

async function getById(client: SecurityHubClient, id: string): Promise<AwsSecurityFinding> {
  const out = await client.send(
    new GetFindingsCommand({ Filters: { Id: [{ Value: id, Comparison: "EQUALS" }] } }),
  );
  const hits = (out.Findings ?? []).filter((f) => f.Id === id);
  assert.equal(
    hits.length,
    1,
    `expected exactly one finding with Id ${id}, got ${out.Findings?.length ?? 0} results`,
  );
  return hits[0] as AwsSecurityFinding;
}

async function update(client: SecurityHubClient, input: BatchUpdateFindingsCommandInput) {
  return client.send(new BatchUpdateFindingsCommand(input));
}

async function ids(client: SecurityHubClient, input: GetFindingsCommandInput): Promise<string[]> {
  const out = await client.send(new GetFindingsCommand(input));
  return (out.Findings ?? []).map((f) => f.Id ?? "");
}

/** A unique prefix per scenario, so scenarios share one endpoint without seeing each other. */
const tag = (name: string) => `sc-${name}`;

async function errorName(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return error instanceof Error ? error.name : String(error);
  }
  return "(no error)";
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: "creates a finding and adds the service-owned fields",
    rule: "§1.10/§1.11 service-added fields",
    async run({ client, accountId }) {
      const c = client();
      const id = `${tag("create")}-1`;
      await importOk(c, [makeFinding(accountId, id)]);
      const f = await getById(c, id);
      assert.equal(f.Region, REGION);
      assert.equal(f.RecordState, "ACTIVE");
      assert.equal(f.Workflow?.Status, "NEW");
      assert.equal(typeof f.ProcessedAt, "string");
      assert.equal(f.CompanyName, "Personal");
      assert.equal(f.ProductName, "Default");
      assert.equal(f.ProductFields?.["aws/securityhub/FindingId"], `${productArnFor(accountId)}/${id}`);
      assert.equal(f.ProductFields?.["aws/securityhub/ProductName"], "Default");
      assert.equal(f.ProductFields?.["aws/securityhub/CompanyName"], "Personal");
    },
  },
  {
    name: "ignores an update whose UpdatedAt equals the stored one (as an instant, offsets honoured)",
    rule: "§3.1 ignore stale",
    async run({ client, accountId }) {
      const c = client();
      const id = `${tag("equal")}-1`;
      await importOk(c, [makeFinding(accountId, id, { UpdatedAt: "2024-02-01T12:00:00.000Z" })]);
      const out = await importFindings(c, [
        makeFinding(accountId, id, { UpdatedAt: "2024-02-01T14:00:00+02:00", Title: "should be ignored" }),
      ]);
      assert.equal(out.FailedCount, 0);
      assert.equal((await getById(c, id)).Title, `Finding ${id}`);
    },
  },
  {
    name: "ignores an update whose UpdatedAt is older than the stored one",
    rule: "§3.1 ignore stale",
    async run({ client, accountId }) {
      const c = client();
      const id = `${tag("older")}-1`;
      await importOk(c, [makeFinding(accountId, id, { UpdatedAt: "2024-02-01T12:00:00.000Z" })]);
      await importOk(c, [
        makeFinding(accountId, id, { UpdatedAt: "2024-01-15T00:00:00.000Z", Title: "stale" }),
      ]);
      assert.equal((await getById(c, id)).Title, `Finding ${id}`);
    },
  },
  {
    name: "a newer update overwrites provider data, dropping attributes it omits",
    rule: "§3.2 update = overwrite",
    async run({ client, accountId }) {
      const c = client();
      const id = `${tag("overwrite")}-1`;
      await importOk(c, [makeFinding(accountId, id, { SourceUrl: "https://example.com/a" })]);
      await importOk(c, [
        makeFinding(accountId, id, { UpdatedAt: "2024-03-01T00:00:00.000Z", Title: "new title" }),
      ]);
      const f = await getById(c, id);
      assert.equal(f.Title, "new title");
      assert.equal(f.UpdatedAt, "2024-03-01T00:00:00.000Z");
      assert.equal(f.SourceUrl, undefined);
    },
  },
  {
    name: "a provider update keeps Note, UserDefinedFields, VerificationState and Workflow",
    rule: "§3.3 restricted attributes",
    async run({ client, accountId }) {
      const c = client();
      const id = `${tag("restricted")}-1`;
      await importOk(c, [makeFinding(accountId, id)]);
      const u = await update(c, {
        FindingIdentifiers: [{ Id: id, ProductArn: productArnFor(accountId) }],
        Note: { Text: "investigating", UpdatedBy: "analyst" },
        UserDefinedFields: { ticket: "SEC-1" },
        VerificationState: "TRUE_POSITIVE",
        Workflow: { Status: "NOTIFIED" },
      });
      assert.equal(u.UnprocessedFindings?.length ?? 0, 0);
      await importOk(c, [
        makeFinding(accountId, id, {
          UpdatedAt: "2024-03-01T00:00:00.000Z",
          Note: { Text: "provider note", UpdatedBy: "provider", UpdatedAt: "2024-03-01T00:00:00.000Z" },
          UserDefinedFields: { ticket: "overwritten" },
          VerificationState: "FALSE_POSITIVE",
          Workflow: { Status: "SUPPRESSED" },
        }),
      ]);
      const f = await getById(c, id);
      assert.equal(f.Note?.Text, "investigating");
      assert.equal(f.UserDefinedFields?.ticket, "SEC-1");
      assert.equal(f.VerificationState, "TRUE_POSITIVE");
      assert.equal(f.Workflow?.Status, "NOTIFIED");
    },
  },
  {
    name: "after BatchUpdateFindings changed Severity, provider updates change FindingProviderFields only",
    rule: "§3.4 FPF precedence (customer-touched)",
    async run({ client, accountId }) {
      const c = client();
      const id = `${tag("fpf-touched")}-1`;
      await importOk(c, [makeFinding(accountId, id)]);
      await update(c, {
        FindingIdentifiers: [{ Id: id, ProductArn: productArnFor(accountId) }],
        Severity: { Label: "LOW" },
      });
      await importOk(c, [
        makeFinding(accountId, id, {
          UpdatedAt: "2024-03-01T00:00:00.000Z",
          FindingProviderFields: {
            Severity: { Label: "CRITICAL", Original: "critical" },
            Types: ["Software and Configuration Checks/Vulnerabilities/CVE"],
          },
        }),
      ]);
      const f = await getById(c, id);
      assert.equal(f.Severity?.Label, "LOW");
      assert.equal(f.FindingProviderFields?.Severity?.Label, "CRITICAL");
    },
  },
  {
    name: "without a customer change, FindingProviderFields replicate to the top level on update",
    rule: "§3.4 FPF precedence (untouched)",
    async run({ client, accountId }) {
      const c = client();
      const id = `${tag("fpf-untouched")}-1`;
      await importOk(c, [makeFinding(accountId, id)]);
      await importOk(c, [
        makeFinding(accountId, id, {
          UpdatedAt: "2024-03-01T00:00:00.000Z",
          FindingProviderFields: {
            Severity: { Label: "HIGH", Original: "high" },
            Types: ["Software and Configuration Checks/Vulnerabilities/CVE"],
          },
        }),
      ]);
      const f = await getById(c, id);
      assert.equal(f.Severity?.Label, "HIGH");
      assert.equal(f.FindingProviderFields?.Severity?.Label, "HIGH");
    },
  },
  {
    name: "on create, FindingProviderFields win over top-level values and top-level-only values fill FindingProviderFields",
    rule: "§3.4 FPF precedence (new finding)",
    async run({ client, accountId }) {
      const c = client();
      const both = `${tag("fpf-new")}-both`;
      const topOnly = `${tag("fpf-new")}-top`;
      const withBoth = makeFinding(accountId, both, { Severity: { Label: "LOW" }, Confidence: 10 });
      (withBoth.FindingProviderFields as Record<string, unknown>).Confidence = 90;
      const { FindingProviderFields: _omit, ...rest } = makeFinding(accountId, topOnly);
      const withTop = {
        ...rest,
        Severity: { Label: "HIGH" },
        Types: ["Software and Configuration Checks/Vulnerabilities/CVE"],
      } as AwsSecurityFinding;
      await importOk(c, [withBoth, withTop]);
      const b = await getById(c, both);
      assert.equal(b.Severity?.Label, "MEDIUM");
      assert.equal(b.Confidence, 90);
      const t = await getById(c, topOnly);
      assert.equal(t.FindingProviderFields?.Severity?.Label, "HIGH");
      assert.deepEqual(t.FindingProviderFields?.Types, [
        "Software and Configuration Checks/Vulnerabilities/CVE",
      ]);
    },
  },
  {
    name: "fills Severity.Normalized from Label and Label from Normalized",
    rule: "§1.4 severity auto-fill",
    async run({ client, accountId }) {
      const c = client();
      const fromLabel = `${tag("severity")}-label`;
      const fromNormalized = `${tag("severity")}-normalized`;
      const { FindingProviderFields: _omit, ...rest } = makeFinding(accountId, fromNormalized);
      await importOk(c, [
        makeFinding(accountId, fromLabel, {
          FindingProviderFields: {
            Severity: { Label: "HIGH" },
            Types: ["Software and Configuration Checks"],
          },
        }),
        {
          ...rest,
          Severity: { Normalized: 90 },
          Types: ["Software and Configuration Checks"],
        } as AwsSecurityFinding,
      ]);
      assert.equal((await getById(c, fromLabel)).Severity?.Normalized, 70);
      assert.equal((await getById(c, fromNormalized)).Severity?.Label, "CRITICAL");
    },
  },
  {
    name: "RecordState ARCHIVED to ACTIVE resets a RESOLVED workflow to NEW but leaves SUPPRESSED",
    rule: "§3.5 workflow reset (RecordState)",
    async run({ client, accountId }) {
      const c = client();
      const resolved = `${tag("reset-archived")}-resolved`;
      const suppressed = `${tag("reset-archived")}-suppressed`;
      const arn = productArnFor(accountId);
      await importOk(c, [
        makeFinding(accountId, resolved, { RecordState: "ARCHIVED" }),
        makeFinding(accountId, suppressed, { RecordState: "ARCHIVED" }),
      ]);
      await update(c, {
        FindingIdentifiers: [{ Id: resolved, ProductArn: arn }],
        Workflow: { Status: "RESOLVED" },
      });
      await update(c, {
        FindingIdentifiers: [{ Id: suppressed, ProductArn: arn }],
        Workflow: { Status: "SUPPRESSED" },
      });
      const later = { UpdatedAt: "2024-03-01T00:00:00.000Z", RecordState: "ACTIVE" };
      await importOk(c, [makeFinding(accountId, resolved, later), makeFinding(accountId, suppressed, later)]);
      assert.equal((await getById(c, resolved)).Workflow?.Status, "NEW");
      assert.equal((await getById(c, suppressed)).Workflow?.Status, "SUPPRESSED");
    },
  },
  {
    name: "Compliance PASSED to FAILED resets a NOTIFIED workflow to NEW",
    rule: "§3.5 workflow reset (Compliance)",
    async run({ client, accountId }) {
      const c = client();
      const id = `${tag("reset-compliance")}-1`;
      await importOk(c, [makeFinding(accountId, id, { Compliance: { Status: "PASSED" } })]);
      await update(c, {
        FindingIdentifiers: [{ Id: id, ProductArn: productArnFor(accountId) }],
        Workflow: { Status: "NOTIFIED" },
      });
      await importOk(c, [
        makeFinding(accountId, id, {
          UpdatedAt: "2024-03-01T00:00:00.000Z",
          Compliance: { Status: "FAILED" },
        }),
      ]);
      assert.equal((await getById(c, id)).Workflow?.Status, "NEW");
    },
  },
  {
    name: "BatchUpdateFindings reports FindingNotFound, DuplicatedFindingIdentifier and InvalidInput per finding",
    rule: "§4.1 BUF error codes",
    async run({ client, accountId }) {
      const c = client();
      const id = `${tag("buf-codes")}-1`;
      const arn = productArnFor(accountId);
      await importOk(c, [makeFinding(accountId, id)]);
      const notFound = await update(c, {
        FindingIdentifiers: [{ Id: `${id}-missing`, ProductArn: arn }],
        Note: { Text: "x", UpdatedBy: "y" },
      });
      assert.equal(notFound.UnprocessedFindings?.[0]?.ErrorCode, "FindingNotFound");
      const dup = await update(c, {
        FindingIdentifiers: [
          { Id: id, ProductArn: arn },
          { Id: id, ProductArn: arn },
        ],
        Note: { Text: "x", UpdatedBy: "y" },
      });
      assert.ok(dup.UnprocessedFindings?.some((u) => u.ErrorCode === "DuplicatedFindingIdentifier"));
      const invalid = await update(c, { FindingIdentifiers: [{ Id: id, ProductArn: arn }], Confidence: 101 });
      assert.equal(invalid.UnprocessedFindings?.[0]?.ErrorCode, "InvalidInput");
    },
  },
  {
    name: "BatchUpdateFindings never changes UpdatedAt",
    rule: "§4.2 UpdatedAt untouched",
    async run({ client, accountId }) {
      const c = client();
      const id = `${tag("buf-updatedat")}-1`;
      await importOk(c, [makeFinding(accountId, id)]);
      await update(c, {
        FindingIdentifiers: [{ Id: id, ProductArn: productArnFor(accountId) }],
        Workflow: { Status: "NOTIFIED" },
      });
      const f = await getById(c, id);
      assert.equal(f.Workflow?.Status, "NOTIFIED");
      assert.equal(f.UpdatedAt, "2024-01-01T00:00:00.000Z");
    },
  },
  {
    name: "GetFindings applies string, prefix, negative and date-range filters",
    rule: "GetFindings filters",
    async run({ client, accountId }) {
      const c = client();
      const p = tag("filters");
      await importOk(c, [
        makeFinding(accountId, `${p}-a`, {
          Title: "alpha one",
          CreatedAt: "2024-01-05T00:00:00.000Z",
          FindingProviderFields: {
            Severity: { Label: "HIGH" },
            Types: ["Software and Configuration Checks"],
          },
        }),
        makeFinding(accountId, `${p}-b`, {
          Title: "alpha two",
          CreatedAt: "2024-02-05T00:00:00.000Z",
          FindingProviderFields: { Severity: { Label: "LOW" }, Types: ["Software and Configuration Checks"] },
        }),
        makeFinding(accountId, `${p}-c`, { Title: "beta", CreatedAt: "2024-03-05T00:00:00.000Z" }),
      ]);
      const mine = { Id: [{ Value: `${p}-`, Comparison: "PREFIX" as const }] };
      assert.deepEqual(
        (
          await ids(c, { Filters: { ...mine, SeverityLabel: [{ Value: "HIGH", Comparison: "EQUALS" }] } })
        ).sort(),
        [`${p}-a`],
      );
      assert.deepEqual(
        (await ids(c, { Filters: { ...mine, Title: [{ Value: "alpha", Comparison: "PREFIX" }] } })).sort(),
        [`${p}-a`, `${p}-b`],
      );
      assert.deepEqual(
        (
          await ids(c, { Filters: { ...mine, Title: [{ Value: "alpha one", Comparison: "NOT_EQUALS" }] } })
        ).sort(),
        [`${p}-b`, `${p}-c`],
      );
      assert.deepEqual(
        (
          await ids(c, {
            Filters: { ...mine, CreatedAt: [{ Start: "2024-02-01T00:00:00Z", End: "2024-03-31T00:00:00Z" }] },
          })
        ).sort(),
        [`${p}-b`, `${p}-c`],
      );
      assert.deepEqual(
        await ids(c, {
          Filters: { ...mine, ResourceId: [{ Value: `resource-${p}-c`, Comparison: "EQUALS" }] },
        }),
        [`${p}-c`],
      );
    },
  },
  {
    name: "GetFindings sorts by SortCriteria and pages with MaxResults and NextToken",
    rule: "GetFindings sort and pagination",
    async run({ client, accountId }) {
      const c = client();
      const p = tag("paging");
      const findings = [3, 1, 4, 0, 2].map((n) =>
        makeFinding(accountId, `${p}-${n}`, { Title: `t${n}`, UpdatedAt: `2024-01-0${n + 1}T00:00:00.000Z` }),
      );
      await importOk(c, findings);
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const out = await c.send(
          new GetFindingsCommand({
            Filters: { Id: [{ Value: `${p}-`, Comparison: "PREFIX" }] },
            SortCriteria: [{ Field: "Title", SortOrder: "desc" }],
            MaxResults: 2,
            NextToken: token,
          }),
        );
        assert.ok((out.Findings?.length ?? 0) <= 2);
        seen.push(...(out.Findings ?? []).map((f) => f.Id ?? ""));
        token = out.NextToken;
      } while (token);
      assert.deepEqual(
        seen,
        [4, 3, 2, 1, 0].map((n) => `${p}-${n}`),
      );
    },
  },
  {
    name: "rejects more than 100 findings in one call with InvalidInputException",
    rule: "§2.2 100-finding limit",
    async run({ client, accountId }) {
      const c = client();
      const findings = Array.from({ length: 101 }, (_, i) => makeFinding(accountId, `${tag("limit")}-${i}`));
      assert.equal(await errorName(importFindings(c, findings)), "InvalidInputException");
    },
  },
  {
    name: "fails a finding that breaks the ASFF schema with InvalidInput and imports the rest",
    rule: "§2.2 per-finding schema error",
    async run({ client, accountId }) {
      const c = client();
      const good = `${tag("schema")}-good`;
      const bad = makeFinding(accountId, `${tag("schema")}-bad`, { Title: "x".repeat(257) });
      const out = await importFindings(c, [makeFinding(accountId, good), bad]);
      assert.equal(out.SuccessCount, 1);
      assert.equal(out.FailedCount, 1);
      assert.equal(out.FailedFindings?.[0]?.ErrorCode, "InvalidInput");
      assert.match(
        out.FailedFindings?.[0]?.ErrorMessage ?? "",
        /Title should NOT be longer than 256 characters/,
      );
      await getById(c, good);
    },
  },
  {
    name: "answers InvalidAccess per finding and InvalidAccessException for GetFindings when Security Hub is disabled",
    rule: "§2.2 hub must be enabled",
    async run({ client, accountId }) {
      const region = "eu-west-3";
      const c = client(region);
      await c.send(new EnableSecurityHubCommand({})).catch(() => undefined);
      await c.send(new DisableSecurityHubCommand({}));
      const out = await importFindings(c, [makeFinding(accountId, `${tag("disabled")}-1`, {}, region)]);
      assert.equal(out.FailedCount, 1);
      assert.equal(out.FailedFindings?.[0]?.ErrorCode, "InvalidAccess");
      assert.equal(await errorName(c.send(new GetFindingsCommand({}))), "InvalidAccessException");
    },
  },
  {
    name: "a partner product needs EnableImportFindingsForProduct before its findings are accepted",
    rule: "§2.4 product subscription",
    async run({ client, accountId }) {
      const region = "eu-central-1";
      const c = client(region);
      const partnerArn = `arn:aws:securityhub:${region}::product/aquasecurity/aquasecurity`;
      const finding = makeFinding(accountId, `${tag("partner")}-1`, { ProductArn: partnerArn }, region);
      const before = await importFindings(c, [finding]);
      assert.equal(before.FailedFindings?.[0]?.ErrorCode, "InvalidAccess");
      const sub = await c.send(new EnableImportFindingsForProductCommand({ ProductArn: partnerArn }));
      assert.match(sub.ProductSubscriptionArn ?? "", /product-subscription\/aquasecurity\/aquasecurity$/);
      const after = await importFindings(c, [finding]);
      assert.equal(after.FailedCount, 0);
    },
  },
];
