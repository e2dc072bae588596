/**
 * Contract of the Security Hub semantics engine (pure core). The engine never does I/O: the
 * caller (the `serve` endpoint, the in-process local hub, the shadow plan) looks up the stored
 * findings the request names, calls the engine, then persists `writes` and publishes `events`.
 *
 * This file holds the types every consumer shares; the engine modules implement them.
 */
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";

/** Identity of a finding inside Security Hub: account, Region, ProductArn and Id (spec §3.1). */
export interface FindingKey {
  readonly accountId: string;
  readonly region: string;
  readonly productArn: string;
  readonly id: string;
}

/** The top-level attributes whose provider value yields to a customer's BatchUpdateFindings (spec §3.4). */
export const PRECEDENCE_ATTRIBUTES = [
  "Confidence",
  "Criticality",
  "RelatedFindings",
  "Severity",
  "Types",
] as const;
export type PrecedenceAttribute = (typeof PRECEDENCE_ATTRIBUTES)[number];

/** Attributes only BatchUpdateFindings may change on an existing finding (spec §3.3). */
export const RESTRICTED_ATTRIBUTES = ["Note", "UserDefinedFields", "VerificationState", "Workflow"] as const;
export type RestrictedAttribute = (typeof RESTRICTED_ATTRIBUTES)[number];

/** A finding as Security Hub holds it, plus the bookkeeping the rules need. */
export interface StoredFinding {
  readonly key: FindingKey;
  /** The finding as GetFindings would return it (service-added fields included). */
  readonly finding: AwsSecurityFinding;
  /** Top-level attributes a customer changed with BatchUpdateFindings: provider updates no longer overwrite them. */
  readonly customerTouched: readonly PrecedenceAttribute[];
  /** Epoch ms of the last provider create or update that was applied: the 90-day retention clock. */
  readonly lastProviderUpdateMs: number;
}

/** Facts about the caller and the hub that the engine needs; all injected, nothing read globally. */
export interface HubContext {
  /** Account the request is made from (from credentials/configuration). */
  readonly callerAccountId: string;
  /** Region of the endpoint called. */
  readonly region: string;
  /** Epoch ms, from the injected clock. */
  readonly nowMs: number;
  /** Whether Security Hub is enabled for the caller in this Region. */
  readonly hubEnabled: boolean;
  /** Whether imports from `productArn` are enabled (the account's default product always is). */
  readonly isProductEnabled: (productArn: string) => boolean;
  /** Source of unique ids for events (uuid v4 in production, a counter in tests). */
  readonly newEventId: () => string;
  /**
   * Display names of a product (the service's product registry). Optional: without it, custom
   * integrations get `Personal`/`Default` and other products their ARN's company and product ids.
   */
  readonly productNames?: (productArn: string) => ProductDisplayNames | undefined;
}

/** CompanyName/ProductName Security Hub shows for a product. */
export interface ProductDisplayNames {
  readonly companyName: string;
  readonly productName: string;
}

/** What happened to one finding of a BatchImportFindings call. */
export type ImportOutcome = "created" | "updated" | "ignored" | "failed";

/** One "Security Hub Findings - Imported" event (spec §5.1). */
export interface SecurityHubImportedEvent {
  readonly version: "0";
  readonly id: string;
  readonly "detail-type": "Security Hub Findings - Imported";
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: { readonly findings: readonly AwsSecurityFinding[] };
}

/** What happened to one entry of a BatchImportFindings request, in request order. */
export interface ImportFindingOutcome {
  /** Position of the entry in `Findings`. */
  readonly index: number;
  /** The finding's identity; absent when the entry was too broken to have one. */
  readonly key?: FindingKey;
  readonly outcome: ImportOutcome;
  /** Set when `outcome` is `failed`: the `FailedFindings[].ErrorCode`. */
  readonly errorCode?: string;
  readonly errorMessage?: string;
}

/** One `FailedFindings` entry of a BatchImportFindings response. */
export interface ImportFailure {
  readonly Id: string;
  readonly ErrorCode: string;
  readonly ErrorMessage: string;
}

/** Result of the pure BatchImportFindings rules: what to answer, persist and publish. */
export interface BatchImportResult {
  readonly response: {
    readonly FailedCount: number;
    readonly SuccessCount: number;
    readonly FailedFindings: readonly ImportFailure[];
  };
  /** Findings to persist (one per key, final state, first-seen order). */
  readonly writes: readonly StoredFinding[];
  /** Events to publish, one per applied create or update, in order. */
  readonly events: readonly SecurityHubImportedEvent[];
  readonly outcomes: readonly ImportFindingOutcome[];
}

/** `{Id, ProductArn}` as BatchUpdateFindings identifies a finding. */
export interface FindingIdentifier {
  readonly Id: string;
  readonly ProductArn: string;
}

/** One `UnprocessedFindings` entry of a BatchUpdateFindings response. */
export interface UpdateFailure {
  readonly FindingIdentifier: FindingIdentifier;
  /** `FindingNotFound`, `DuplicatedFindingIdentifier`, `InvalidInput` or `FindingSizeExceeded`. */
  readonly ErrorCode: string;
  readonly ErrorMessage: string;
}

/** Result of the pure BatchUpdateFindings rules. */
export interface BatchUpdateResult {
  readonly response: {
    readonly ProcessedFindings: readonly FindingIdentifier[];
    readonly UnprocessedFindings: readonly UpdateFailure[];
  };
  readonly writes: readonly StoredFinding[];
  /** One event per updated finding. */
  readonly events: readonly SecurityHubImportedEvent[];
}

/** Result of GetFindings. */
export interface GetFindingsResult {
  readonly Findings: AwsSecurityFinding[];
  /** Present only when more findings match. */
  readonly NextToken?: string;
}

/**
 * A whole-request API error, mapped by `serve` to an HTTP status, `x-amzn-ErrorType` and a
 * `{Message, Code}` body exactly as Security Hub's REST-JSON protocol does.
 */
export class HubApiError extends Error {
  constructor(
    /** e.g. `InvalidInputException`, `InvalidAccessException`, `AccessDeniedException`, `LimitExceededException`. */
    readonly code: string,
    readonly httpStatus: number,
    message: string,
  ) {
    super(message);
    this.name = "HubApiError";
  }
}

/** Canonical string form of a key, for maps and database primary keys. */
export function findingKeyString(key: FindingKey): string {
  return JSON.stringify([key.accountId, key.region, key.productArn, key.id]);
}
