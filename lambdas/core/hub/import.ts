/**
 * BatchImportFindings (spec §2, §3): whole-request checks, authorisation, per-finding checks and
 * the create / ignore / update decision with Security Hub's merge rules. Pure: the caller looks
 * up the findings named by `importKeys`, then persists `writes` and publishes `events`.
 */
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { MAX_FINDING_BYTES, MAX_FINDINGS_PER_IMPORT, MAX_IMPORT_REQUEST_BYTES } from "../asff/limits.ts";
import { formatAsffTimestamp, parseAsffTimestamp } from "../asff/timestamp.ts";
import {
  type BatchImportResult,
  type FindingKey,
  findingKeyString,
  HubApiError,
  type HubContext,
  type ImportFailure,
  type ImportFindingOutcome,
  PRECEDENCE_ATTRIBUTES,
  type PrecedenceAttribute,
  RESTRICTED_ATTRIBUTES,
  type SecurityHubImportedEvent,
  type StoredFinding,
} from "./contracts.ts";
import { importedEvent } from "./events.ts";
import { asString, isJsonObject, type JsonObject, shallowCopy } from "./json.ts";
import {
  defaultProductArn,
  fallbackProductNames,
  isCustomProduct,
  isPartnerProduct,
  type ProductArnParts,
  parseProductArn,
} from "./product.ts";
import { isExpired } from "./retention.ts";
import { autoFillSeverity, isSeverityLabel, labelForNormalized } from "./severity.ts";
import { roundTimestamps } from "./timestamps.ts";
import { findingSchemaError, findingSize } from "./validation.ts";

/** Per-finding error codes of BatchImportFindings. */
export const IMPORT_ERROR_CODES = {
  InvalidInput: "InvalidInput",
  InvalidAccess: "InvalidAccess",
  FindingSizeExceeded: "FindingSizeExceeded",
} as const;

/** Options the transport layer knows and the engine cannot compute exactly. */
export interface ImportOptions {
  /** Size of the HTTP request body in bytes; defaults to the UTF-8 size of `JSON.stringify(request)`. */
  readonly requestBytes?: number;
  /**
   * A number proven ≥ the UTF-8 size of `JSON.stringify(entry)` for every entry of `Findings`
   * (see {@link jsonTextBytesBound}). When it is ≤ 240 KB no entry can exceed the limit, so the
   * per-entry size computation (a stringify of each finding) is skipped; the answer is identical.
   */
  readonly findingBytesBound?: number;
}

/** Digits followed by an exponent, or a run of 16 digits: the number literals that may grow. */
const GROWING_NUMBER_RE = /[0-9](?:[eE][+-]?[0-9]|[0-9]{15})/g;

/**
 * Upper bound on the UTF-8 size of `JSON.stringify(v)` for every value `v` inside
 * `JSON.parse(text)` (the whole value included), given `utf8Bytes` = the UTF-8 size of `text`.
 *
 * Why it bounds: stringify drops whitespace and duplicate keys, and writes each string character
 * in its shortest legal form (raw UTF-8, or `\n`-style / `\uXXXX` escapes only for `"`, `\` and
 * control characters, which the input must already escape at least as long). Numbers are written
 * in the shortest round-trip form, which is never longer than the literal except in two cases:
 * an exponent literal (`1e20` → `100000000000000000000`, at most +17 bytes) and an integer of
 * 16+ digits that rounds up to the next power of ten (`9999999999999999` → `10000000000000000`,
 * +1). Both match {@link GROWING_NUMBER_RE} (matches inside strings only over-count), and each
 * match is charged 17 bytes.
 */
export function jsonTextBytesBound(
  text: string,
  utf8Bytes: number = Buffer.byteLength(text, "utf8"),
): number {
  let bound = utf8Bytes;
  GROWING_NUMBER_RE.lastIndex = 0;
  while (GROWING_NUMBER_RE.exec(text) !== null) bound += 17;
  return bound;
}

/** Security Hub's decision for one well-formed finding, before merging. */
export type ImportDecision = "create" | "update" | "ignore";

const ACCOUNT_ID_RE = /^\d{12}$/;
const WORKFLOW_RESET_FROM = new Set(["NOTIFIED", "RESOLVED"]);
const COMPLIANCE_REOPENED = new Set(["FAILED", "WARNING", "NOT_AVAILABLE"]);

function requestError(detail: string): HubApiError {
  return new HubApiError("InvalidInputException", 400, detail);
}

/**
 * Whole-request shape checks: a JSON object with a `Findings` list of 1–100 entries in a body of
 * at most 6 MB. Returns the list. Also usable by transports that check before parsing.
 */
export function checkImportRequest(request: unknown, options: ImportOptions = {}): unknown[] {
  if (!isJsonObject(request)) {
    throw requestError("Invalid request body: expected a JSON object with a 'Findings' list.");
  }
  const findings = request.Findings;
  if (!Array.isArray(findings)) {
    throw requestError("Invalid parameter 'Findings'. Findings is required and must be a list of findings.");
  }
  if (findings.length < 1) {
    throw requestError(
      `Invalid parameter 'Findings'. Size '${findings.length}' is less than minimum value: 1.`,
    );
  }
  if (findings.length > MAX_FINDINGS_PER_IMPORT) {
    throw requestError(
      `Invalid parameter 'Findings'. Size '${findings.length}' is greater than maximum value: ${MAX_FINDINGS_PER_IMPORT}.`,
    );
  }
  // The validator's size function survives hostile nesting that JSON.stringify cannot.
  checkImportRequestBytes(options.requestBytes ?? findingSize(request));
  return findings;
}

/** Rejects a BatchImportFindings body over 6 MB with 413 `RequestEntityTooLargeException` (decision). */
export function checkImportRequestBytes(bytes: number): void {
  if (bytes > MAX_IMPORT_REQUEST_BYTES) {
    throw new HubApiError(
      "RequestEntityTooLargeException",
      413,
      `Request body is ${bytes} bytes; BatchImportFindings accepts at most ${MAX_IMPORT_REQUEST_BYTES} bytes (6 MB). Split the batch.`,
    );
  }
}

function accessDenied(ctx: HubContext, resource: string, why: string): HubApiError {
  return new HubApiError(
    "AccessDeniedException",
    403,
    `User: arn:aws:iam::${ctx.callerAccountId}:root is not authorized to perform: securityhub:BatchImportFindings on resource: ${resource} (${why})`,
  );
}

/**
 * Whole-request authorisation (spec §2.2, §2.4): a ProductArn naming another Region, or an
 * AwsAccountId other than the caller's unless the product is a partner product enabled for
 * import, fails the whole request with `AccessDeniedException`. Entries whose ProductArn or
 * AwsAccountId are missing or malformed are left to the per-finding checks.
 */
export function authorizeImport(findings: readonly unknown[], ctx: HubContext): void {
  for (const f of findings) {
    if (!isJsonObject(f)) continue;
    const arn = asString(f.ProductArn);
    const parts = parseProductArn(arn);
    if (arn && parts && parts.region !== ctx.region) {
      throw accessDenied(
        ctx,
        arn,
        `the ProductArn is in Region ${parts.region}, this endpoint is ${ctx.region}`,
      );
    }
    const account = asString(f.AwsAccountId);
    // A malformed account id is a broken finding (per-finding InvalidInput), not another account.
    if (account === undefined || account === ctx.callerAccountId || !ACCOUNT_ID_RE.test(account)) continue;
    if (arn && parts && isPartnerProduct(parts) && ctx.isProductEnabled(arn)) continue;
    throw accessDenied(
      ctx,
      arn ?? "(no ProductArn)",
      `finding AwsAccountId ${account} is not the calling account ${ctx.callerAccountId} and the product is not a partner product enabled for import`,
    );
  }
}

/** The identity of an imported finding, or `undefined` when the entry lacks one. */
export function importKeyOf(finding: unknown, ctx: Pick<HubContext, "region">): FindingKey | undefined {
  if (!isJsonObject(finding)) return undefined;
  const accountId = asString(finding.AwsAccountId);
  const productArn = asString(finding.ProductArn);
  const id = asString(finding.Id);
  if (accountId === undefined || productArn === undefined || id === undefined) return undefined;
  return { accountId, region: ctx.region, productArn, id };
}

/**
 * The keys the caller must look up before calling `batchImportFindings`: one per distinct
 * (AwsAccountId, Region, ProductArn, Id) of the request. Garbage entries are skipped, never thrown on.
 */
export function importKeys(request: unknown, ctx: Pick<HubContext, "region">): FindingKey[] {
  const findings = isJsonObject(request) && Array.isArray(request.Findings) ? request.Findings : [];
  const seen = new Map<string, FindingKey>();
  for (const f of findings) {
    const key = importKeyOf(f, ctx);
    if (key) seen.set(findingKeyString(key), key);
  }
  return [...seen.values()];
}

/**
 * The create / update / ignore decision (spec §3.1): absent or aged-out → create; incoming
 * UpdatedAt at or before the stored one (as instants) → ignore; later → update.
 */
export function decideImport(
  incomingUpdatedAt: string,
  existing: Pick<StoredFinding, "finding" | "lastProviderUpdateMs"> | undefined,
  nowMs: number,
): ImportDecision {
  if (!existing || isExpired(existing, nowMs)) return "create";
  const incoming = parseAsffTimestamp(incomingUpdatedAt);
  const stored = parseAsffTimestamp(existing.finding.UpdatedAt);
  if (incoming === undefined) throw new RangeError(`not an ASFF timestamp: ${incomingUpdatedAt}`);
  if (stored === undefined) return "update"; // a stored finding always has one; never block on corrupt state
  return incoming > stored ? "update" : "ignore";
}

/**
 * `decideImport` for callers that keep only a summary of the stored finding (the shadow store's
 * `ShadowRecord`: `updatedAt` and `lastSentMs`, the epoch ms of the last accepted provider write).
 * Same rules: aged out after 90 days → create; incoming UpdatedAt ≤ stored → ignore; else update.
 */
export function decideImportFromRecord(
  incomingUpdatedAt: string,
  record: { readonly updatedAt: string; readonly lastSentMs: number } | undefined,
  nowMs: number,
): ImportDecision {
  if (!record) return "create";
  return decideImport(
    incomingUpdatedAt,
    {
      finding: { UpdatedAt: record.updatedAt } as AwsSecurityFinding,
      lastProviderUpdateMs: record.lastSentMs,
    },
    nowMs,
  );
}

function pick(obj: JsonObject, members: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const m of members) if (obj[m] !== undefined) out[m] = obj[m];
  return out;
}

/** Top-level value derived from a FindingProviderFields value (shared, not copied: see applyProviderFinding). */
function topFromProvider(attr: PrecedenceAttribute, value: unknown): unknown {
  if (attr === "Severity" && isJsonObject(value)) return autoFillSeverity(pick(value, ["Label", "Original"]));
  return value;
}

/** FindingProviderFields value derived from a top-level value (FPF Severity has only Label and Original). */
function providerFromTop(attr: PrecedenceAttribute, value: unknown): unknown {
  if (attr === "Severity" && isJsonObject(value)) {
    const out = pick(value, ["Label", "Original"]);
    if (!isSeverityLabel(out.Label) && typeof value.Normalized === "number") {
      out.Label = labelForNormalized(value.Normalized);
    }
    return out;
  }
  return value;
}

/**
 * FindingProviderFields vs top-level (spec §3.4), applied to `out` (a copy of `incoming`):
 *
 * | incoming   | new finding                | existing finding                                   |
 * |------------|----------------------------|----------------------------------------------------|
 * | FPF only   | FPF := in; top := in       | FPF := in; top := in unless customer-touched        |
 * | top only   | FPF := in; top := in       | FPF := in; top := in unless customer-touched        |
 * | both       | FPF := FPF; top := FPF     | FPF := FPF; top := top input unless customer-touched|
 * | neither    | nothing                    | FPF and top keep their stored values                |
 */
function applyPrecedence(out: JsonObject, incoming: JsonObject, existing: StoredFinding | undefined): void {
  const fpfIn = isJsonObject(incoming.FindingProviderFields) ? incoming.FindingProviderFields : {};
  const prev = existing ? (existing.finding as unknown as JsonObject) : undefined;
  const prevFpf = prev && isJsonObject(prev.FindingProviderFields) ? prev.FindingProviderFields : {};
  const fpfOut: JsonObject = shallowCopy(fpfIn);
  for (const attr of PRECEDENCE_ATTRIBUTES) {
    const hasFpf = fpfIn[attr] !== undefined;
    const hasTop = incoming[attr] !== undefined;
    let fpfValue: unknown;
    let topValue: unknown;
    if (hasFpf) {
      fpfValue = fpfIn[attr];
      topValue = existing && hasTop ? incoming[attr] : topFromProvider(attr, fpfIn[attr]);
    } else if (hasTop) {
      fpfValue = providerFromTop(attr, incoming[attr]);
      topValue = incoming[attr];
    } else if (prev) {
      fpfValue = prevFpf[attr];
      topValue = prev[attr];
    }
    if (prev && existing?.customerTouched.includes(attr)) topValue = prev[attr];
    if (fpfValue === undefined) delete fpfOut[attr];
    else fpfOut[attr] = fpfValue;
    if (topValue === undefined) delete out[attr];
    else out[attr] = topValue;
  }
  if (Object.keys(fpfOut).length > 0) out.FindingProviderFields = fpfOut;
  else delete out.FindingProviderFields;
}

/** A copy of a Workflow object with `Status: NEW`. */
function withStatusNew(workflow: JsonObject): JsonObject {
  const copy = shallowCopy(workflow);
  copy.Status = "NEW";
  return copy;
}

function workflowStatus(f: JsonObject | undefined): unknown {
  return f && isJsonObject(f.Workflow) ? f.Workflow.Status : undefined;
}

function complianceStatus(f: JsonObject): unknown {
  return isJsonObject(f.Compliance) ? f.Compliance.Status : undefined;
}

/**
 * Builds the finding Security Hub stores for a valid `incoming` finding, given the live stored
 * version (`undefined` to create). Applies: full overwrite of provider-owned data; restricted
 * attributes kept on update; FindingProviderFields precedence with customer-touched flags;
 * Severity auto-fill; service-added fields; RecordState/Workflow defaults; automatic workflow
 * resets; timestamps rounded to the millisecond. `incoming` must already have passed validation.
 *
 * Neither `incoming` nor `existing` is modified. The result is a new top-level object that shares
 * unchanged nested values with them (structural sharing): findings are treated as immutable
 * values throughout the hub, and a deep copy of every imported finding used to be the largest
 * per-finding cost of an import. Callers that keep results by reference next to caller-owned
 * objects (the in-memory repository) copy them at that boundary.
 */
export function applyProviderFinding(
  incoming: JsonObject,
  existing: StoredFinding | undefined,
  ctx: HubContext,
): StoredFinding {
  const rounded = roundTimestamps(incoming);
  const out: JsonObject = rounded === incoming ? shallowCopy(incoming) : rounded;
  const arn = String(incoming.ProductArn);
  const id = String(incoming.Id);
  const parts: ProductArnParts = parseProductArn(arn) ?? {
    partition: "aws",
    region: ctx.region,
    accountId: "",
    companyId: "unknown",
    productId: "unknown",
  };
  const names = ctx.productNames?.(arn) ?? fallbackProductNames(parts);

  // Service-owned fields: the provider's values are ignored.
  out.Region = ctx.region;
  out.ProcessedAt = formatAsffTimestamp(ctx.nowMs);
  const custom = isCustomProduct(parts);
  out.CompanyName = custom ? (asString(incoming.CompanyName) ?? names.companyName) : names.companyName;
  out.ProductName = custom ? (asString(incoming.ProductName) ?? names.productName) : names.productName;
  const productFields = isJsonObject(incoming.ProductFields) ? shallowCopy(incoming.ProductFields) : {};
  productFields["aws/securityhub/FindingId"] = `${arn}/${id}`;
  productFields["aws/securityhub/ProductName"] = names.productName;
  productFields["aws/securityhub/CompanyName"] = names.companyName;
  out.ProductFields = productFields;

  applyPrecedence(out, incoming, existing);
  if (isJsonObject(out.Severity)) out.Severity = autoFillSeverity(out.Severity);

  const prev = existing ? (existing.finding as unknown as JsonObject) : undefined;
  if (prev) {
    for (const attr of RESTRICTED_ATTRIBUTES) {
      if (prev[attr] === undefined) delete out[attr];
      else out[attr] = prev[attr];
    }
    // WorkflowState (retired) is not restricted, but a provider that omits it keeps the stored value.
    if (out.WorkflowState === undefined && prev.WorkflowState !== undefined)
      out.WorkflowState = prev.WorkflowState;
  }

  out.RecordState ??= "ACTIVE";
  if (!isJsonObject(out.Workflow)) out.Workflow = { Status: "NEW" };
  else if (out.Workflow.Status === undefined) out.Workflow = withStatusNew(out.Workflow);
  out.WorkflowState ??= "NEW";

  if (prev && WORKFLOW_RESET_FROM.has(String(workflowStatus(prev)))) {
    const reactivated = prev.RecordState === "ARCHIVED" && out.RecordState === "ACTIVE";
    const reopened =
      complianceStatus(prev) === "PASSED" && COMPLIANCE_REOPENED.has(String(complianceStatus(out)));
    if (reactivated || reopened) out.Workflow = withStatusNew(out.Workflow as JsonObject);
  }

  return {
    key: { accountId: String(incoming.AwsAccountId), region: ctx.region, productArn: arn, id },
    finding: out as unknown as AwsSecurityFinding,
    customerTouched: existing ? [...existing.customerTouched] : [],
    lastProviderUpdateMs: ctx.nowMs,
  };
}

/** Why a single entry fails, in the order: size, access, schema, identity. */
function entryFailure(
  entry: unknown,
  ctx: HubContext,
  checkSize: boolean,
): { code: string; message: string } | undefined {
  const size = checkSize ? findingSize(entry) : 0;
  if (size > MAX_FINDING_BYTES) {
    return {
      code: IMPORT_ERROR_CODES.FindingSizeExceeded,
      message: `Finding size exceeded 240 KB: the finding is ${size} bytes of UTF-8 JSON, the limit is ${MAX_FINDING_BYTES}.`,
    };
  }
  const obj = isJsonObject(entry) ? entry : undefined;
  const account = asString(obj?.AwsAccountId) ?? ctx.callerAccountId;
  if (!ctx.hubEnabled) {
    return {
      code: IMPORT_ERROR_CODES.InvalidAccess,
      message: `Security Hub is not enabled for account ${account} in Region ${ctx.region}. Call EnableSecurityHub first.`,
    };
  }
  const arn = asString(obj?.ProductArn);
  const parts = parseProductArn(arn);
  if (arn && parts) {
    const own = arn === defaultProductArn(ctx.callerAccountId, ctx.region, parts.partition);
    if (!own && !ctx.isProductEnabled(arn)) {
      return {
        code: IMPORT_ERROR_CODES.InvalidAccess,
        message: `Imports from product ${arn} are not enabled for account ${account} in Region ${ctx.region}. Call EnableImportFindingsForProduct first.`,
      };
    }
  }
  const schemaError = findingSchemaError(entry);
  if (schemaError) return { code: IMPORT_ERROR_CODES.InvalidInput, message: schemaError };
  const accountId = asString(obj?.AwsAccountId);
  if (accountId !== undefined && !ACCOUNT_ID_RE.test(accountId)) {
    return {
      code: IMPORT_ERROR_CODES.InvalidInput,
      message: `Invalid AwsAccountId '${accountId}': an AWS account id is exactly 12 digits.`,
    };
  }
  if (!parts) {
    return {
      code: IMPORT_ERROR_CODES.InvalidInput,
      message: `Invalid ProductArn '${String(arn)}': expected arn:<partition>:securityhub:<region>:<account-id>:product/<company-id>/<product-id>.`,
    };
  }
  return undefined;
}

/**
 * BatchImportFindings. Throws `HubApiError` for whole-request failures (shape, 1–100 findings,
 * 6 MB, AccessDenied); otherwise answers per finding. `stored` holds the live findings for
 * `importKeys(request, ctx)` keyed by `findingKeyString` (missing keys are simply absent; aged-out
 * ones count as absent). Findings are applied in request order, so a repeated Id in one batch is
 * applied against the result of its earlier occurrence.
 */
export function batchImportFindings(
  request: unknown,
  stored: ReadonlyMap<string, StoredFinding>,
  ctx: HubContext,
  options: ImportOptions = {},
): BatchImportResult {
  const findings = checkImportRequest(request, options);
  authorizeImport(findings, ctx);
  // A proven bound within the limit means no entry can exceed it: skip stringifying each one.
  const checkSize = !(
    options.findingBytesBound !== undefined && options.findingBytesBound <= MAX_FINDING_BYTES
  );

  const current = new Map<string, StoredFinding>();
  const writes = new Map<string, StoredFinding>();
  const events: SecurityHubImportedEvent[] = [];
  const outcomes: ImportFindingOutcome[] = [];
  const failed: ImportFailure[] = [];

  findings.forEach((entry, index) => {
    const key = importKeyOf(entry, ctx);
    const failure = entryFailure(entry, ctx, checkSize);
    if (failure || !key) {
      const code = failure?.code ?? IMPORT_ERROR_CODES.InvalidInput;
      const message = failure?.message ?? "Finding does not adhere to Amazon Finding Format.";
      const id = isJsonObject(entry) && typeof entry.Id === "string" ? entry.Id : "";
      failed.push({ Id: id, ErrorCode: code, ErrorMessage: message });
      outcomes.push({
        index,
        ...(key ? { key } : {}),
        outcome: "failed",
        errorCode: code,
        errorMessage: message,
      });
      return;
    }
    const ks = findingKeyString(key);
    const live = current.get(ks) ?? stored.get(ks);
    const incoming = entry as JsonObject;
    const decision = decideImport(String(incoming.UpdatedAt), live, ctx.nowMs);
    if (decision === "ignore") {
      outcomes.push({ index, key, outcome: "ignored" });
      return;
    }
    const result = applyProviderFinding(incoming, decision === "update" ? live : undefined, ctx);
    current.set(ks, result);
    writes.set(ks, result);
    events.push(importedEvent(result, ctx));
    outcomes.push({ index, key, outcome: decision === "create" ? "created" : "updated" });
  });

  return {
    response: {
      FailedCount: failed.length,
      SuccessCount: findings.length - failed.length,
      FailedFindings: failed,
    },
    writes: [...writes.values()],
    events,
    outcomes,
  };
}
