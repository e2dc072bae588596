/**
 * `LocalHub`: a local Security Hub (CSPM) for one or many accounts and Regions. It keeps hub
 * state, product subscriptions and findings in a {@link HubRepository}, and hands every
 * decision about findings to the pure semantics engine (`lambdas/core/hub/`): this class only
 * loads what a request names, calls the engine, persists its `writes` in one transaction and
 * publishes its `events`. Shared by `shadowhub serve` and the import pipeline's local target.
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import type {
  BatchImportFindingsRequest,
  BatchImportFindingsResponse,
  BatchUpdateFindingsRequest,
  BatchUpdateFindingsResponse,
  DescribeHubRequest,
  DescribeHubResponse,
  DisableImportFindingsForProductRequest,
  EnableImportFindingsForProductRequest,
  EnableImportFindingsForProductResponse,
  EnableSecurityHubRequest,
  GetFindingsRequest,
  GetFindingsResponse,
  ListEnabledProductsForImportRequest,
  ListEnabledProductsForImportResponse,
} from "@aws-sdk/client-securityhub";
import { MAX_GET_FINDINGS_RESULTS, RETENTION_MS } from "../../core/asff/limits.ts";
import { formatAsffTimestamp, parseAsffTimestamp } from "../../core/asff/timestamp.ts";
import {
  HubApiError,
  type HubContext,
  type SecurityHubImportedEvent,
  type StoredFinding,
} from "../../core/hub/contracts.ts";
import { compileFindingFilters, indexableConstraints } from "../../core/hub/filters.ts";
import { DEFAULT_SORT, getFindings, parseSortCriteria } from "../../core/hub/get-findings.ts";
import { batchImportFindings, importKeys } from "../../core/hub/import.ts";
import { isAwsServiceProduct, isCustomProduct, parseProductArn } from "../../core/hub/product.ts";
import { batchUpdateFindings, batchUpdateKeys } from "../../core/hub/update.ts";
import type { Clock } from "../../ports/clock.ts";
import { systemClock } from "../system-clock.ts";
import type { Caller, ImportCallInfo, LocalHubApi } from "./api.ts";
import {
  EventBridgeEventSink,
  type EventBridgeEventSinkOptions,
  type EventSink,
  JsonLinesEventSink,
} from "./event-sinks.ts";
import { MemoryHubRepository } from "./memory-repository.ts";
import { type HubRecord, type HubRepository, toIndexConstraints } from "./repository.ts";
import { SqliteHubRepository } from "./sqlite-repository.ts";

/** File name of the SQLite database inside `stateDir`. */
export const LOCAL_HUB_DB_FILE = "local-hub.sqlite";

/** Options of {@link openLocalHub}. */
export interface OpenLocalHubOptions {
  /**
   * Directory of the persistent state (SQLite, `local-hub.sqlite`, WAL). Ignored when
   * `repository` is given. @default in-memory (nothing survives the process)
   */
  readonly stateDir?: string;
  /** A ready repository (for tests or a custom store). @default chosen from `stateDir` */
  readonly repository?: HubRepository;
  /**
   * Enable Security Hub for an account and Region on its first use, as if EnableSecurityHub had
   * been called. With `false`, every account starts disabled. @default true
   */
  readonly autoEnable?: boolean;
  /** Time source (ProcessedAt, retention, events). @default the system clock */
  readonly clock?: Clock;
  /** Event id source. @default crypto.randomUUID */
  readonly newEventId?: () => string;
  /** Append every event as a JSON line to this file. @default no file */
  readonly eventsFile?: string;
  /** Send every event to EventBridge with PutEvents (endpoint and bus configurable). @default not sent */
  readonly eventBridge?: EventBridgeEventSinkOptions;
  /** More sinks (tests, the pipeline). @default none */
  readonly eventSinks?: readonly EventSink[];
  /** Reports sink failures; events are never allowed to fail an API call. @default writes to stderr */
  readonly log?: (line: string) => void;
}

function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

function notSubscribed(caller: Caller): HubApiError {
  return new HubApiError(
    "InvalidAccessException",
    401,
    `Account ${caller.accountId} is not subscribed to AWS Security Hub in Region ${caller.region}. Call EnableSecurityHub first.`,
  );
}

const EMPTY = {} as Record<string, never>;

/** How to stop reading candidates early for a first page sorted by a date (see `untilPageIsFull`). */
interface EarlyStop {
  readonly column: "created_at_ms" | "updated_at_ms";
  readonly field: "CreatedAt" | "UpdatedAt";
  readonly descending: boolean;
  /** Matches needed before stopping: MaxResults + 1, so the engine still sees that a next page exists. */
  readonly wanted: number;
}

/**
 * When a GetFindings call asks for a first page (no NextToken) whose first sort criterion is
 * CreatedAt or UpdatedAt (the default sort is UpdatedAt descending), the candidates can be read in
 * that order and reading can stop early. Otherwise `undefined`: the engine gets every candidate.
 */
function firstPageByDate(body: GetFindingsRequest | undefined): EarlyStop | undefined {
  if (body?.NextToken !== undefined && body.NextToken !== null && body.NextToken !== "") return undefined;
  let criteria: readonly { field: string; order: "asc" | "desc" }[];
  try {
    criteria = parseSortCriteria(body?.SortCriteria);
  } catch {
    return undefined; // the engine reports the bad criteria
  }
  const first = (criteria.length > 0 ? criteria : DEFAULT_SORT)[0];
  const max = body?.MaxResults ?? MAX_GET_FINDINGS_RESULTS;
  if (first === undefined || !Number.isInteger(max) || max < 1) return undefined;
  const descending = first.order === "desc";
  if (first.field === "UpdatedAt")
    return { column: "updated_at_ms", field: "UpdatedAt", descending, wanted: max + 1 };
  if (first.field === "CreatedAt")
    return { column: "created_at_ms", field: "CreatedAt", descending, wanted: max + 1 };
  return undefined;
}

/**
 * Yields `sorted` (in the first sort criterion's order, missing values last) until `wanted`
 * findings matched the filters, then also every finding tied with the last match on that value,
 * then stops. The engine sorts what it gets by all criteria and the finding key, so it returns
 * exactly the page (and NextToken) it would have returned from every candidate: anything after the
 * stop sorts after all of those. The engine's filter predicate is used for the count.
 */
function* untilPageIsFull(
  sorted: Iterable<StoredFinding>,
  matches: (stored: StoredFinding) => boolean,
  stop: EarlyStop,
): Iterable<StoredFinding> {
  let matched = 0;
  let boundary: number | null | undefined;
  for (const stored of sorted) {
    const value = parseAsffTimestamp(stored.finding[stop.field]) ?? null;
    if (boundary !== undefined && value !== boundary) return;
    yield stored;
    if (boundary === undefined && matches(stored) && ++matched >= stop.wanted) boundary = value;
  }
}

/** The local Security Hub. Create it with {@link openLocalHub}. */
export class LocalHub implements LocalHubApi {
  readonly #repo: HubRepository;
  readonly #clock: Clock;
  readonly #autoEnable: boolean;
  readonly #newEventId: () => string;
  readonly #sinks: readonly EventSink[];
  readonly #log: (line: string) => void;
  #closed = false;

  constructor(
    repository: HubRepository,
    options: Omit<OpenLocalHubOptions, "repository" | "stateDir"> & { sinks?: readonly EventSink[] } = {},
  ) {
    this.#repo = repository;
    this.#clock = options.clock ?? systemClock;
    this.#autoEnable = options.autoEnable ?? true;
    this.#newEventId = options.newEventId ?? randomUUID;
    this.#sinks = options.sinks ?? [];
    this.#log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  }

  /** The repository behind the hub (diagnostics, benchmarks). */
  get repository(): HubRepository {
    return this.#repo;
  }

  #hubArn(caller: Caller): string {
    return `arn:${partitionOf(caller.region)}:securityhub:${caller.region}:${caller.accountId}:hub/default`;
  }

  /** The hub record, created enabled on first use when auto-enable is on. Call inside a transaction. */
  #hub(caller: Caller, nowMs: number): HubRecord | undefined {
    const existing = this.#repo.getHub(caller.accountId, caller.region);
    if (existing !== undefined || !this.#autoEnable) return existing;
    const created: HubRecord = {
      accountId: caller.accountId,
      region: caller.region,
      enabled: true,
      subscribedAt: formatAsffTimestamp(nowMs),
      autoEnableControls: true,
      controlFindingGenerator: "SECURITY_CONTROL",
      tags: {},
    };
    this.#repo.putHub(created);
    return created;
  }

  #requireEnabled(caller: Caller, nowMs: number): HubRecord {
    const hub = this.#hub(caller, nowMs);
    if (hub === undefined || !hub.enabled) throw notSubscribed(caller);
    return hub;
  }

  #context(caller: Caller, hub: HubRecord | undefined, nowMs: number): HubContext {
    const subscribed = new Set(
      this.#repo.listSubscriptions(caller.accountId, caller.region).map((s) => s.productArn),
    );
    return {
      callerAccountId: caller.accountId,
      region: caller.region,
      nowMs,
      hubEnabled: hub?.enabled === true,
      // AWS service integrations are on by default; a private product is its own account's; a
      // partner product needs EnableImportFindingsForProduct (spec §2.4).
      isProductEnabled: (productArn) => {
        const parts = parseProductArn(productArn);
        if (parts === undefined) return false;
        if (isAwsServiceProduct(parts)) return true;
        if (isCustomProduct(parts)) return parts.companyId === caller.accountId;
        return subscribed.has(productArn);
      },
      newEventId: this.#newEventId,
    };
  }

  /** Deletes the hub's findings past the 90-day retention (an indexed range delete, cheap when there are none). */
  #purge(caller: Caller, nowMs: number): void {
    this.#repo.purgeExpired(caller.accountId, caller.region, nowMs - RETENTION_MS - 1);
  }

  async #publish(events: readonly SecurityHubImportedEvent[]): Promise<void> {
    if (events.length === 0) return;
    for (const sink of this.#sinks) {
      try {
        await sink.publish(events);
      } catch (error) {
        this.#log(`local hub: event sink failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  #check(): void {
    if (this.#closed) throw new Error("LocalHub is closed");
  }

  async batchImportFindings(
    body: BatchImportFindingsRequest,
    caller: Caller,
    info: ImportCallInfo = {},
  ): Promise<BatchImportFindingsResponse> {
    this.#check();
    const nowMs = this.#clock.now();
    const result = this.#repo.transaction(() => {
      const hub = this.#hub(caller, nowMs);
      const ctx = this.#context(caller, hub, nowMs);
      this.#purge(caller, nowMs);
      const stored = this.#repo.getFindings(importKeys(body, ctx));
      const outcome = batchImportFindings(body, stored, ctx, info);
      this.#repo.putFindings(outcome.writes);
      return outcome;
    });
    await this.#publish(result.events);
    const { FailedCount, SuccessCount, FailedFindings } = result.response;
    return { FailedCount, SuccessCount, FailedFindings: [...FailedFindings] };
  }

  async batchUpdateFindings(
    body: BatchUpdateFindingsRequest,
    caller: Caller,
  ): Promise<BatchUpdateFindingsResponse> {
    this.#check();
    const nowMs = this.#clock.now();
    const result = this.#repo.transaction(() => {
      const hub = this.#requireEnabled(caller, nowMs);
      const ctx = this.#context(caller, hub, nowMs);
      this.#purge(caller, nowMs);
      const stored = this.#repo.getFindings(batchUpdateKeys(body, ctx));
      const outcome = batchUpdateFindings(body, stored, ctx);
      this.#repo.putFindings(outcome.writes);
      return outcome;
    });
    await this.#publish(result.events);
    return {
      ProcessedFindings: [...result.response.ProcessedFindings],
      UnprocessedFindings: result.response.UnprocessedFindings.map((u) => ({ ...u })),
    };
  }

  async getFindings(body: GetFindingsRequest, caller: Caller): Promise<GetFindingsResponse> {
    this.#check();
    const nowMs = this.#clock.now();
    return this.#repo.transaction(() => {
      this.#requireEnabled(caller, nowMs);
      const filterCtx = { nowMs };
      // Invalid filters throw here, before any row is read.
      const constraints = toIndexConstraints(indexableConstraints(body?.Filters, filterCtx));
      const base = {
        accountId: caller.accountId,
        region: caller.region,
        constraints,
        expiredAtOrBeforeMs: nowMs - RETENTION_MS - 1,
      };
      const early = firstPageByDate(body);
      const candidates =
        early === undefined
          ? this.#repo.queryFindings(base)
          : untilPageIsFull(
              this.#repo.queryFindings({
                ...base,
                order: { column: early.column, descending: early.descending },
              }),
              compileFindingFilters(body?.Filters, filterCtx),
              early,
            );
      const page = getFindings(body, candidates, filterCtx, { copy: this.#repo.sharesStoredObjects });
      return page.NextToken === undefined
        ? { Findings: page.Findings }
        : { Findings: page.Findings, NextToken: page.NextToken };
    }, "read");
  }

  async enableSecurityHub(body: EnableSecurityHubRequest, caller: Caller): Promise<Record<string, never>> {
    this.#check();
    const nowMs = this.#clock.now();
    this.#repo.transaction(() => {
      const existing = this.#repo.getHub(caller.accountId, caller.region);
      if (existing?.enabled) {
        throw new HubApiError(
          "ResourceConflictException",
          409,
          `Account ${caller.accountId} is already subscribed to Security Hub in Region ${caller.region}`,
        );
      }
      const generator = body?.ControlFindingGenerator;
      this.#repo.putHub({
        accountId: caller.accountId,
        region: caller.region,
        enabled: true,
        subscribedAt: formatAsffTimestamp(nowMs),
        autoEnableControls: true,
        controlFindingGenerator: generator === "STANDARD_CONTROL" ? "STANDARD_CONTROL" : "SECURITY_CONTROL",
        tags: { ...(body?.Tags ?? {}) },
      });
    });
    return EMPTY;
  }

  async disableSecurityHub(_body: Record<string, never>, caller: Caller): Promise<Record<string, never>> {
    this.#check();
    const nowMs = this.#clock.now();
    this.#repo.transaction(() => {
      const hub = this.#requireEnabled(caller, nowMs);
      // Findings stay stored and age out after 90 days, as Security Hub documents for a disabled hub.
      this.#repo.putHub({ ...hub, enabled: false });
    });
    return EMPTY;
  }

  async describeHub(body: DescribeHubRequest, caller: Caller): Promise<DescribeHubResponse> {
    this.#check();
    const nowMs = this.#clock.now();
    return this.#repo.transaction(() => {
      const hub = this.#requireEnabled(caller, nowMs);
      const arn = this.#hubArn(caller);
      if (body?.HubArn !== undefined && body.HubArn !== arn) {
        throw new HubApiError(
          "ResourceNotFoundException",
          404,
          `Hub ${body.HubArn} not found; this account's hub is ${arn}`,
        );
      }
      return {
        HubArn: arn,
        SubscribedAt: hub.subscribedAt ?? formatAsffTimestamp(nowMs),
        AutoEnableControls: hub.autoEnableControls,
        ControlFindingGenerator: hub.controlFindingGenerator,
      };
    });
  }

  async enableImportFindingsForProduct(
    body: EnableImportFindingsForProductRequest,
    caller: Caller,
  ): Promise<EnableImportFindingsForProductResponse> {
    this.#check();
    const nowMs = this.#clock.now();
    return this.#repo.transaction(() => {
      this.#requireEnabled(caller, nowMs);
      const productArn = body?.ProductArn;
      const parts = parseProductArn(productArn);
      if (typeof productArn !== "string" || parts === undefined) {
        throw new HubApiError(
          "InvalidInputException",
          400,
          `Invalid parameter 'ProductArn': ${typeof productArn === "string" ? `'${productArn.slice(0, 256)}'` : `a ${Array.isArray(productArn) ? "list" : typeof productArn}`} is not a product ARN (arn:<partition>:securityhub:<region>:<account-id>:product/<company-id>/<product-id>)`,
        );
      }
      if (parts.region !== caller.region) {
        throw new HubApiError(
          "InvalidInputException",
          400,
          `Invalid parameter 'ProductArn': the product is in Region ${parts.region}, this endpoint is ${caller.region}`,
        );
      }
      if (
        this.#repo.listSubscriptions(caller.accountId, caller.region).some((s) => s.productArn === productArn)
      ) {
        throw new HubApiError(
          "ResourceConflictException",
          409,
          `Product ${productArn} is already enabled for import`,
        );
      }
      const subscriptionArn = `arn:${parts.partition}:securityhub:${caller.region}:${caller.accountId}:product-subscription/${parts.companyId}/${parts.productId}`;
      this.#repo.putSubscription({
        accountId: caller.accountId,
        region: caller.region,
        productArn,
        subscriptionArn,
      });
      return { ProductSubscriptionArn: subscriptionArn };
    });
  }

  async disableImportFindingsForProduct(
    body: DisableImportFindingsForProductRequest,
    caller: Caller,
  ): Promise<Record<string, never>> {
    this.#check();
    const nowMs = this.#clock.now();
    this.#repo.transaction(() => {
      this.#requireEnabled(caller, nowMs);
      const arn = body?.ProductSubscriptionArn;
      if (typeof arn !== "string" || arn === "") {
        throw new HubApiError(
          "InvalidInputException",
          400,
          "Invalid parameter 'ProductSubscriptionArn': required",
        );
      }
      if (!this.#repo.deleteSubscription(caller.accountId, caller.region, arn)) {
        throw new HubApiError("ResourceNotFoundException", 404, `Product subscription ${arn} not found`);
      }
    });
    return EMPTY;
  }

  async listEnabledProductsForImport(
    body: ListEnabledProductsForImportRequest,
    caller: Caller,
  ): Promise<ListEnabledProductsForImportResponse> {
    this.#check();
    const nowMs = this.#clock.now();
    return this.#repo.transaction(() => {
      this.#requireEnabled(caller, nowMs);
      const max = body?.MaxResults ?? 100;
      if (!Number.isInteger(max) || max < 1 || max > 100) {
        throw new HubApiError(
          "InvalidInputException",
          400,
          `Invalid parameter 'MaxResults': must be 1 to 100, got ${String(max)}`,
        );
      }
      const all = this.#repo.listSubscriptions(caller.accountId, caller.region).map((s) => s.subscriptionArn);
      let start = 0;
      if (body?.NextToken !== undefined && body.NextToken !== "") {
        start = Number.parseInt(Buffer.from(body.NextToken, "base64url").toString("utf8"), 10);
        if (!Number.isInteger(start) || start < 0) {
          throw new HubApiError("InvalidInputException", 400, "Invalid parameter 'NextToken'");
        }
      }
      const page = all.slice(start, start + max);
      const next =
        start + max < all.length ? Buffer.from(String(start + max), "utf8").toString("base64url") : undefined;
      return next === undefined
        ? { ProductSubscriptions: page }
        : { ProductSubscriptions: page, NextToken: next };
    });
  }

  /** Flushes and closes the sinks and the repository. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const sink of this.#sinks) await sink.close?.();
    this.#repo.close();
  }
}

/**
 * Opens a local hub: SQLite under `stateDir` or in-memory, with the configured event sinks.
 */
export async function openLocalHub(options: OpenLocalHubOptions = {}): Promise<LocalHub> {
  const repository =
    options.repository ??
    (options.stateDir === undefined
      ? new MemoryHubRepository()
      : new SqliteHubRepository({ file: join(options.stateDir, LOCAL_HUB_DB_FILE) }));
  const sinks: EventSink[] = [...(options.eventSinks ?? [])];
  if (options.eventsFile !== undefined) sinks.push(new JsonLinesEventSink(options.eventsFile));
  if (options.eventBridge !== undefined) {
    sinks.push(
      new EventBridgeEventSink({
        ...options.eventBridge,
        ...(options.log === undefined || options.eventBridge.onFailure !== undefined
          ? {}
          : { onFailure: options.log }),
      }),
    );
  }
  return new LocalHub(repository, { ...options, sinks });
}
