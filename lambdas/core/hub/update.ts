/**
 * BatchUpdateFindings (spec §4): customer changes to Confidence, Criticality, Note,
 * RelatedFindings, Severity, Types, UserDefinedFields, VerificationState and Workflow.
 * Never creates findings, never changes UpdatedAt or FindingProviderFields, and marks the
 * changed precedence attributes as customer-touched (attribute level).
 */
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { MAX_FINDING_BYTES, MAX_FINDINGS_PER_UPDATE } from "../asff/limits.ts";
import { formatAsffTimestamp } from "../asff/timestamp.ts";
import {
  type BatchUpdateResult,
  type FindingIdentifier,
  type FindingKey,
  findingKeyString,
  HubApiError,
  type HubContext,
  PRECEDENCE_ATTRIBUTES,
  type PrecedenceAttribute,
  type SecurityHubImportedEvent,
  type StoredFinding,
  type UpdateFailure,
} from "./contracts.ts";
import { importedEvent } from "./events.ts";
import { cloneJson, isJsonObject, type JsonObject, jsonBytes } from "./json.ts";
import { isExpired } from "./retention.ts";
import { isSeverityLabel, labelForNormalized, normalizedForLabel } from "./severity.ts";
import { batchUpdateFieldsError } from "./validation.ts";

/** The members of a BatchUpdateFindings request that change a finding. */
export const UPDATABLE_MEMBERS = [
  "Confidence",
  "Criticality",
  "Note",
  "RelatedFindings",
  "Severity",
  "Types",
  "UserDefinedFields",
  "VerificationState",
  "Workflow",
] as const;

/** `UnprocessedFindings` codes and the messages Security Hub documents for them. */
export const UPDATE_ERRORS = {
  FindingNotFound: "Finding Not Found",
  DuplicatedFindingIdentifier: "Finding Identifier is duplicated",
  InvalidInput: "Invalid Input",
  FindingSizeExceeded: "Finding size exceeded 240 KB",
} as const;

function requestError(detail: string): HubApiError {
  return new HubApiError("InvalidInputException", 400, detail);
}

function identifierOf(entry: unknown): FindingIdentifier | undefined {
  if (!isJsonObject(entry)) return undefined;
  const { Id, ProductArn } = entry;
  if (typeof Id !== "string" || typeof ProductArn !== "string" || !/\S/.test(Id) || !/\S/.test(ProductArn)) {
    return undefined;
  }
  return { Id, ProductArn };
}

function keyOf(
  identifier: FindingIdentifier,
  ctx: Pick<HubContext, "callerAccountId" | "region">,
): FindingKey {
  return {
    accountId: ctx.callerAccountId,
    region: ctx.region,
    productArn: identifier.ProductArn,
    id: identifier.Id,
  };
}

/**
 * The keys the caller must look up before `batchUpdateFindings`: the caller's account and Region
 * with each well-formed `{Id, ProductArn}` (administrator access to member accounts is not modelled).
 */
export function batchUpdateKeys(
  request: unknown,
  ctx: Pick<HubContext, "callerAccountId" | "region">,
): FindingKey[] {
  const list =
    isJsonObject(request) && Array.isArray(request.FindingIdentifiers) ? request.FindingIdentifiers : [];
  const seen = new Map<string, FindingKey>();
  for (const entry of list) {
    const identifier = identifierOf(entry);
    if (!identifier) continue;
    const key = keyOf(identifier, ctx);
    seen.set(findingKeyString(key), key);
  }
  return [...seen.values()];
}

/**
 * Applies the update members of `request` to `existing` and returns the new stored finding.
 * Severity: the given one of Label/Normalized wins and the other is derived from it.
 * UserDefinedFields: keys are merged into the stored map. Note.UpdatedAt is stamped with now.
 */
export function applyCustomerUpdate(
  existing: StoredFinding,
  request: JsonObject,
  nowMs: number,
): StoredFinding {
  const f = cloneJson(existing.finding) as unknown as JsonObject;
  for (const member of [
    "Confidence",
    "Criticality",
    "RelatedFindings",
    "Types",
    "VerificationState",
  ] as const) {
    if (request[member] !== undefined) f[member] = cloneJson(request[member]);
  }
  if (isJsonObject(request.Note)) {
    f.Note = {
      Text: request.Note.Text,
      UpdatedBy: request.Note.UpdatedBy,
      UpdatedAt: formatAsffTimestamp(nowMs),
    };
  }
  if (isJsonObject(request.Severity)) {
    const upd = request.Severity;
    const sev: JsonObject = isJsonObject(f.Severity) ? { ...f.Severity } : {};
    if (upd.Product !== undefined) sev.Product = upd.Product;
    if (upd.Label !== undefined) sev.Label = upd.Label;
    if (upd.Normalized !== undefined) sev.Normalized = upd.Normalized;
    if (upd.Label !== undefined && upd.Normalized === undefined && isSeverityLabel(upd.Label)) {
      sev.Normalized = normalizedForLabel(upd.Label);
    }
    if (upd.Normalized !== undefined && upd.Label === undefined && typeof upd.Normalized === "number") {
      sev.Label = labelForNormalized(upd.Normalized);
    }
    f.Severity = sev;
  }
  if (isJsonObject(request.UserDefinedFields)) {
    const prev = isJsonObject(f.UserDefinedFields) ? f.UserDefinedFields : {};
    f.UserDefinedFields = { ...prev, ...cloneJson(request.UserDefinedFields) };
  }
  if (isJsonObject(request.Workflow)) {
    const prev = isJsonObject(f.Workflow) ? f.Workflow : {};
    f.Workflow = { ...prev, ...cloneJson(request.Workflow) };
  }
  const touched = new Set<PrecedenceAttribute>(existing.customerTouched);
  for (const attr of PRECEDENCE_ATTRIBUTES) if (request[attr] !== undefined) touched.add(attr);
  return {
    key: existing.key,
    finding: f as unknown as AwsSecurityFinding,
    customerTouched: PRECEDENCE_ATTRIBUTES.filter((a) => touched.has(a)),
    lastProviderUpdateMs: existing.lastProviderUpdateMs,
  };
}

/**
 * BatchUpdateFindings. Throws `HubApiError` `InvalidInputException` when the request is not an
 * object, has no `FindingIdentifiers` list, more than 100 identifiers or no update member.
 * Otherwise each identifier is processed or reported in `UnprocessedFindings` with, in this
 * order: `InvalidInput` (malformed identifier or invalid update values), `DuplicatedFindingIdentifier`
 * (every occurrence of a repeated identifier), `FindingNotFound` (absent or aged out),
 * `FindingSizeExceeded` (the result would exceed 240 KB).
 */
export function batchUpdateFindings(
  request: unknown,
  stored: ReadonlyMap<string, StoredFinding>,
  ctx: HubContext,
): BatchUpdateResult {
  if (!isJsonObject(request)) throw requestError("Invalid request body: expected a JSON object.");
  const list = request.FindingIdentifiers;
  if (!Array.isArray(list)) {
    throw requestError(
      "Invalid parameter 'FindingIdentifiers'. FindingIdentifiers is required and must be a list of {Id, ProductArn}.",
    );
  }
  if (list.length < 1) {
    throw requestError("Invalid parameter 'FindingIdentifiers'. Size '0' is less than minimum value: 1.");
  }
  if (list.length > MAX_FINDINGS_PER_UPDATE) {
    throw requestError(
      `Invalid parameter 'FindingIdentifiers'. Size '${list.length}' is greater than maximum value: ${MAX_FINDINGS_PER_UPDATE}.`,
    );
  }
  if (!UPDATABLE_MEMBERS.some((m) => request[m] !== undefined && request[m] !== null)) {
    throw requestError(
      `BatchUpdateFindings needs at least one of ${UPDATABLE_MEMBERS.join(", ")} to update.`,
    );
  }
  const updates: JsonObject = {};
  for (const m of UPDATABLE_MEMBERS)
    if (request[m] !== undefined && request[m] !== null) updates[m] = request[m];
  const fieldsError = batchUpdateFieldsError({ ...updates, FindingIdentifiers: [] });

  const identifiers = list.map(identifierOf);
  const counts = new Map<string, number>();
  for (const identifier of identifiers) {
    if (!identifier) continue;
    const ks = findingKeyString(keyOf(identifier, ctx));
    counts.set(ks, (counts.get(ks) ?? 0) + 1);
  }

  const processed: FindingIdentifier[] = [];
  const unprocessed: UpdateFailure[] = [];
  const writes: StoredFinding[] = [];
  const events: SecurityHubImportedEvent[] = [];
  const reject = (identifier: FindingIdentifier, code: keyof typeof UPDATE_ERRORS, detail?: string) =>
    unprocessed.push({
      FindingIdentifier: identifier,
      ErrorCode: code,
      ErrorMessage: detail ? `${UPDATE_ERRORS[code]}: ${detail}` : UPDATE_ERRORS[code],
    });

  list.forEach((entry, i) => {
    const identifier = identifiers[i];
    if (!identifier) {
      const raw = isJsonObject(entry) ? entry : {};
      reject(
        {
          Id: typeof raw.Id === "string" ? raw.Id : "",
          ProductArn: typeof raw.ProductArn === "string" ? raw.ProductArn : "",
        },
        "InvalidInput",
        `FindingIdentifiers[${i}] must be an object with non-empty string Id and ProductArn`,
      );
      return;
    }
    if (fieldsError) {
      reject(identifier, "InvalidInput", fieldsError);
      return;
    }
    const ks = findingKeyString(keyOf(identifier, ctx));
    if ((counts.get(ks) ?? 0) > 1) {
      reject(identifier, "DuplicatedFindingIdentifier");
      return;
    }
    const existing = stored.get(ks);
    if (!existing || isExpired(existing, ctx.nowMs)) {
      reject(identifier, "FindingNotFound");
      return;
    }
    const result = applyCustomerUpdate(existing, updates, ctx.nowMs);
    if (jsonBytes(result.finding) > MAX_FINDING_BYTES) {
      reject(identifier, "FindingSizeExceeded");
      return;
    }
    processed.push(identifier);
    writes.push(result);
    events.push(importedEvent(result, ctx));
  });

  return { response: { ProcessedFindings: processed, UnprocessedFindings: unprocessed }, writes, events };
}
