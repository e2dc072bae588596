/**
 * The local target (the default of `shadowhub import`): the in-process local hub — the same
 * engine as `shadowhub serve`, persisted in SQLite — behind the FindingSink port. No HTTP, no
 * credentials; the hub emits its own `aws.securityhub` events to the sinks it was opened with.
 */
import type { AwsSecurityFinding, AwsSecurityFindingFilters } from "@aws-sdk/client-securityhub";
import { type FindingKey, findingKeyString, HubApiError } from "../../core/hub/contracts.ts";
import { accountRegionKey } from "../../core/pipeline/finding-key.ts";
import type { FailedFinding, FindingSink, ImportCall, ImportCallResult } from "../../ports/finding-sink.ts";
import type { LocalHubApi } from "../local-hub/api.ts";
import { classifyRemoteFailure } from "../securityhub/errors.ts";

/** Finding Ids per GetFindings filter: Security Hub accepts at most 20 values per filter field. */
export const IDS_PER_LOOKUP = 20;

/** Builds the GetFindings filters that select `keys` by Id (the ProductArn is matched afterwards). */
export function idFilters(keys: readonly FindingKey[]): AwsSecurityFindingFilters {
  return { Id: keys.map((k) => ({ Value: k.id, Comparison: "EQUALS" as const })) };
}

/** Groups keys by (account, Region): one caller identity each. */
export function groupByAccountRegion(keys: readonly FindingKey[]): FindingKey[][] {
  const groups = new Map<string, FindingKey[]>();
  for (const key of keys) {
    const group = accountRegionKey(key);
    const list = groups.get(group) ?? [];
    list.push(key);
    groups.set(group, list);
  }
  return [...groups.values()];
}

/** Pages through GetFindings for `keys` with `get` and keeps the findings whose key was asked for. */
export async function lookupFindings(
  keys: readonly FindingKey[],
  get: (
    group: FindingKey,
    filters: AwsSecurityFindingFilters,
    nextToken: string | undefined,
  ) => Promise<{ Findings?: AwsSecurityFinding[]; NextToken?: string }>,
): Promise<Map<string, AwsSecurityFinding>> {
  const found = new Map<string, AwsSecurityFinding>();
  for (const group of groupByAccountRegion(keys)) {
    const first = group[0];
    if (first === undefined) continue;
    const wanted = new Set(group.map(findingKeyString));
    for (let i = 0; i < group.length; i += IDS_PER_LOOKUP) {
      const filters = idFilters(group.slice(i, i + IDS_PER_LOOKUP));
      let token: string | undefined;
      do {
        const page = await get(first, filters, token);
        for (const f of page.Findings ?? []) {
          const key = {
            accountId: first.accountId,
            region: first.region,
            productArn: f.ProductArn ?? "",
            id: f.Id ?? "",
          };
          const keyString = findingKeyString(key);
          if (wanted.has(keyString) && (f.AwsAccountId === undefined || f.AwsAccountId === first.accountId)) {
            found.set(keyString, f);
          }
        }
        token = page.NextToken || undefined;
      } while (token !== undefined);
    }
  }
  return found;
}

/** A FindingSink over a {@link LocalHubApi} (normally an open `LocalHub`). */
export class LocalHubSink implements FindingSink {
  readonly emitsEvents = true;
  /** `fetchCurrent` reads the hub's own store in process: free and strongly consistent. */
  readonly currentIsLocal = true;
  constructor(
    private readonly hub: LocalHubApi & { close?: () => Promise<void> },
    readonly description = "local hub",
    /** Close the hub with the sink. @default true */
    private readonly ownsHub = true,
  ) {}

  async batchImport(call: ImportCall): Promise<ImportCallResult> {
    const caller = { accountId: call.accountId, region: call.region };
    try {
      const response = await this.hub.batchImportFindings({ Findings: [...call.findings] }, caller, {
        ...(call.bytes === undefined ? {} : { requestBytes: call.bytes }),
        ...(call.largestFindingBytes === undefined ? {} : { findingBytesBound: call.largestFindingBytes }),
      });
      const failed: FailedFinding[] = (response.FailedFindings ?? []).map((f) => ({
        id: f.Id ?? "",
        errorCode: f.ErrorCode ?? "Unknown",
        errorMessage: f.ErrorMessage ?? "",
      }));
      return { failed };
    } catch (error) {
      if (error instanceof HubApiError) {
        throw classifyRemoteFailure(
          { code: error.code, httpStatus: error.httpStatus, message: error.message },
          "BatchImportFindings",
          this.description,
          error,
        );
      }
      throw error;
    }
  }

  async fetchCurrent(keys: readonly FindingKey[]): Promise<Map<string, AwsSecurityFinding>> {
    return lookupFindings(keys, (group, filters, token) =>
      this.hub.getFindings(
        { Filters: filters, MaxResults: 100, ...(token === undefined ? {} : { NextToken: token }) },
        { accountId: group.accountId, region: group.region },
      ),
    );
  }

  async close(): Promise<void> {
    if (this.ownsHub) await this.hub.close?.();
  }
}
