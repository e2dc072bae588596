/**
 * The checker: reads what Security Hub (`serve`, over HTTP with the SDK) holds and compares it
 * with the reference model. It reports, per finding, which promise was broken:
 *
 * - `lost`: the model expects a finding that Security Hub does not hold, and no failure names it;
 * - `stale-overwrite`: Security Hub holds the content of an older scan than the model's;
 * - `content`: other content differences; `record-state`: ACTIVE/ARCHIVED differs;
 * - `customer-overwrite`: a value a customer set with BatchUpdateFindings was replaced;
 * - `duplicate`: the same finding twice; `unexpected`: a finding the model does not know;
 * - `updated-at-regressed`: `UpdatedAt` went backwards, or is older than the model's last change;
 * - `not-converged`: a clean redelivery after a faulty one still reported failures.
 */
import {
  type AwsSecurityFinding,
  GetFindingsCommand,
  type SecurityHubClient,
} from "@aws-sdk/client-securityhub";
import { parseAsffTimestamp } from "../../lambdas/core/asff/timestamp.ts";
import type { ImportFailure } from "../../lambdas/pipeline/import-run.ts";
import { type ExpectedFinding, type ProviderContent, type ScanReport, sameContent } from "./model.ts";

export const VIOLATION_KINDS = [
  "lost",
  "stale-overwrite",
  "content",
  "record-state",
  "customer-overwrite",
  "duplicate",
  "unexpected",
  "updated-at-regressed",
  "not-converged",
] as const;
export type ViolationKind = (typeof VIOLATION_KINDS)[number];

/** One broken promise. */
export interface Violation {
  readonly kind: ViolationKind;
  readonly findingId?: string;
  readonly message: string;
}

/** Every finding of `productArn` that Security Hub returns, all pages, over the wire. */
export async function readHub(client: SecurityHubClient, productArn: string): Promise<AwsSecurityFinding[]> {
  const out: AwsSecurityFinding[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new GetFindingsCommand({
        Filters: { ProductArn: [{ Value: productArn, Comparison: "EQUALS" }] },
        MaxResults: 100,
        ...(token === undefined ? {} : { NextToken: token }),
      }),
    );
    out.push(...(page.Findings ?? []));
    token = page.NextToken;
  } while (token);
  return out;
}

/** The provider content a stored finding shows (from FindingProviderFields, where the provider's values live). */
function providerView(f: AwsSecurityFinding): Omit<ProviderContent, "severityForm"> {
  return {
    title: f.Title ?? "",
    description: f.Description ?? "",
    severity: (f.FindingProviderFields?.Severity?.Label ?? "") as ProviderContent["severity"],
    types: f.FindingProviderFields?.Types ?? [],
    resourceId: f.Resources?.[0]?.Id ?? "",
  };
}

function sameProvider(view: Omit<ProviderContent, "severityForm">, c: ProviderContent): boolean {
  return sameContent({ ...view, severityForm: c.severityForm }, c);
}

const show = (v: unknown) => JSON.stringify(v);

/** Differences between what Security Hub holds for one finding and what the model expects. */
export function compareFinding(
  expected: ExpectedFinding,
  actual: AwsSecurityFinding,
  history: readonly ScanReport[],
): Violation[] {
  const out: Violation[] = [];
  const id = expected.id;
  const view = providerView(actual);
  if (!sameProvider(view, expected.content)) {
    const older = history.find(
      (s) =>
        s.timeMs < expected.changedMs &&
        s.findings.has(id) &&
        sameProvider(view, s.findings.get(id) as ProviderContent),
    );
    out.push({
      kind: older === undefined ? "content" : "stale-overwrite",
      findingId: id,
      message:
        older === undefined
          ? `holds ${show(view)}, the model expects ${show(expected.content)} (from ${expected.decidedBy})`
          : `holds the content of ${older.name} (older), the model expects that of ${expected.decidedBy}`,
    });
  }
  if (actual.RecordState !== expected.recordState) {
    out.push({
      kind: "record-state",
      findingId: id,
      message: `RecordState ${actual.RecordState}, the model expects ${expected.recordState} (decided by ${expected.decidedBy}, scope ${expected.scope})`,
    });
  }
  const c = expected.customer;
  const customerChecks: [string, unknown, unknown][] = [
    ["Severity.Label", actual.Severity?.Label, c.severity ?? expected.content.severity],
    ["Types", actual.Types ?? [], c.types ?? expected.content.types],
    ["Workflow.Status", actual.Workflow?.Status, c.workflow ?? "NEW"],
    ["Note.Text", actual.Note?.Text, c.note],
    ["VerificationState", actual.VerificationState, c.verification],
  ];
  for (const [name, got, want] of customerChecks) {
    if (show(got) === show(want)) continue;
    const customerSet =
      (name === "Severity.Label" && c.severity !== undefined) ||
      (name === "Types" && c.types !== undefined) ||
      (name === "Workflow.Status" && c.workflow !== undefined) ||
      (name === "Note.Text" && c.note !== undefined) ||
      (name === "VerificationState" && c.verification !== undefined);
    out.push({
      kind: customerSet ? "customer-overwrite" : "content",
      findingId: id,
      message: `${name} is ${show(got)}, expected ${show(want)}${customerSet ? " (set by the customer)" : ""}`,
    });
  }
  const updatedMs = parseAsffTimestamp(actual.UpdatedAt);
  if (updatedMs === undefined || updatedMs < expected.updatedAtFloorMs) {
    out.push({
      kind: "updated-at-regressed",
      findingId: id,
      message: `UpdatedAt ${actual.UpdatedAt} is older than the last change the model knows (${new Date(expected.updatedAtFloorMs).toISOString()})`,
    });
  }
  return out;
}

/** Tracks UpdatedAt per finding across checks of one sequence (it must never go backwards). */
export class UpdatedAtWatch {
  readonly #seen = new Map<string, number>();

  check(findings: readonly AwsSecurityFinding[]): Violation[] {
    const out: Violation[] = [];
    for (const f of findings) {
      const id = f.Id ?? "";
      const ms = parseAsffTimestamp(f.UpdatedAt) ?? Number.NaN;
      const before = this.#seen.get(id);
      if (before !== undefined && !(ms >= before)) {
        out.push({
          kind: "updated-at-regressed",
          findingId: id,
          message: `UpdatedAt went back from ${new Date(before).toISOString()} to ${f.UpdatedAt}`,
        });
      }
      this.#seen.set(id, Math.max(ms, before ?? ms));
    }
    return out;
  }
}

/**
 * Compares Security Hub's findings with the model. `excused`: failures the pipeline reported in
 * the delivery being checked — a finding named there may differ ("in Security Hub or reported
 * failed with its reason"), provided the failure carries a code and a message.
 */
export function checkState(
  expected: ReadonlyMap<string, ExpectedFinding>,
  actual: readonly AwsSecurityFinding[],
  history: readonly ScanReport[],
  excused: readonly ImportFailure[] = [],
): Violation[] {
  const out: Violation[] = [];
  const byId = new Map<string, AwsSecurityFinding>();
  for (const f of actual) {
    const id = f.Id ?? "";
    if (byId.has(id))
      out.push({ kind: "duplicate", findingId: id, message: `Security Hub holds ${id} more than once` });
    byId.set(id, f);
  }
  const reported = new Set(
    excused
      .filter((f) => f.findingId !== undefined && f.errorCode !== "" && f.message !== "")
      .map((f) => f.findingId),
  );
  for (const [id, e] of expected) {
    const f = byId.get(id);
    const problems =
      f === undefined
        ? [
            {
              kind: "lost" as const,
              findingId: id,
              message: `missing from Security Hub (expected from ${e.decidedBy})`,
            },
          ]
        : compareFinding(e, f, history);
    if (problems.length > 0 && reported.has(id)) continue;
    out.push(...problems);
  }
  for (const id of byId.keys()) {
    if (!expected.has(id))
      out.push({
        kind: "unexpected",
        findingId: id,
        message: `Security Hub holds ${id}, unknown to the model`,
      });
  }
  return out;
}
