/**
 * `serve`: a `node:http` server speaking Security Hub's REST-JSON protocol in front of a
 * {@link LocalHub}, so the real AWS SDKs and CLI can talk to it with an endpoint override.
 *
 * Decisions (docs/serve.md): any SigV4 credentials are accepted; the Region comes from the
 * signature's credential scope; the account is the configured one, or the access key id when
 * that is 12 digits; bodies over 6 MB get 413 `RequestEntityTooLargeException`; quota breaches
 * get 429 `TooManyRequestsException` like the service's front door.
 */
import { isUtf8 } from "node:buffer";
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { BatchImportFindingsResponse, BatchUpdateFindingsResponse } from "@aws-sdk/client-securityhub";
import type { Caller, ImportCallInfo, LocalHubApi, OperationName } from "../adapters/local-hub/api.ts";
import { type OpenLocalHubOptions, openLocalHub } from "../adapters/local-hub/local-hub.ts";
import { systemClock } from "../adapters/system-clock.ts";
import {
  IMPORT_BURST,
  IMPORT_RATE_PER_SECOND,
  MAX_FINDING_BYTES,
  MAX_IMPORT_REQUEST_BYTES,
} from "../core/asff/limits.ts";
import { HubApiError } from "../core/hub/contracts.ts";
import { jsonTextBytesBound } from "../core/hub/import.ts";
import { type BucketLimits, TokenBucket } from "../core/pipeline/token-bucket.ts";
import type { Clock } from "../ports/clock.ts";
import { FaultInjector, parseFault } from "./faults.ts";
import { matchRoute, parseSigV4Scope, sendError, sendJson } from "./protocol.ts";

/** The account `serve` answers for when nothing else is configured. */
export const DEFAULT_ACCOUNT_ID = "123456789012";
/** The Region of unsigned requests. */
export const DEFAULT_REGION = "us-east-1";

/**
 * Security Hub's documented per-account, per-Region quotas (spec §2.3). BatchImportFindings'
 * own figures live in `limits.ts`; GetFindings is 3/s burst 6; the rest 10/s burst 30. They are
 * enforced only here, and only with `quota` on.
 */
export const OPERATION_QUOTAS: Readonly<Record<OperationName, BucketLimits>> = {
  BatchImportFindings: { ratePerSecond: IMPORT_RATE_PER_SECOND, burst: IMPORT_BURST },
  BatchUpdateFindings: { ratePerSecond: 10, burst: 30 },
  GetFindings: { ratePerSecond: 3, burst: 6 },
  EnableSecurityHub: { ratePerSecond: 10, burst: 30 },
  DisableSecurityHub: { ratePerSecond: 10, burst: 30 },
  DescribeHub: { ratePerSecond: 10, burst: 30 },
  EnableImportFindingsForProduct: { ratePerSecond: 10, burst: 30 },
  DisableImportFindingsForProduct: { ratePerSecond: 10, burst: 30 },
  ListEnabledProductsForImport: { ratePerSecond: 10, burst: 30 },
};

/** A hub `serve` can front: the operations, and optionally a `close` it calls on shutdown. */
export type ServableHub = LocalHubApi & { close?(): Promise<void> };

/** Options of {@link startServer}. */
export interface StartServerOptions {
  /** The hub to serve. When absent, one is opened with `hubOptions` and closed with the server. */
  readonly hub?: ServableHub;
  /** Options for the hub opened when `hub` is absent. @default in-memory, auto-enable on */
  readonly hubOptions?: OpenLocalHubOptions;
  /** Interface to listen on; keep it on loopback. @default "127.0.0.1" */
  readonly host?: string;
  /** TCP port; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** The caller's account. @default "123456789012" */
  readonly accountId?: string;
  /**
   * Use the access key id as the account when it is exactly 12 digits (as LocalStack does), so
   * tests can act as several accounts. @default true
   */
  readonly accountFromAccessKey?: boolean;
  /** Region for requests without a SigV4 credential scope. @default "us-east-1" */
  readonly defaultRegion?: string;
  /**
   * Enforce Security Hub's quotas per account, Region and operation (token buckets, 429
   * `TooManyRequestsException` when empty). `true` uses {@link OPERATION_QUOTAS}. @default false
   */
  readonly quota?: boolean | Partial<Record<OperationName, BucketLimits>>;
  /** Largest accepted request body in bytes. @default 6 MB (MAX_IMPORT_REQUEST_BYTES) */
  readonly maxBodyBytes?: number;
  /** Time source for the quota. @default the system clock */
  readonly clock?: Clock;
  /** Where unexpected errors are reported. @default writes to stderr */
  readonly log?: (line: string) => void;
  /** How long `close()` waits for in-flight requests before cutting connections. @default 5000 */
  readonly shutdownGraceMs?: number;
}

/** A running server. */
export interface RunningServer {
  /** e.g. `http://127.0.0.1:41234`: the SDK's `endpoint`, the CLI's `--endpoint-url`. */
  readonly url: string;
  readonly port: number;
  /** The hub behind the server (for tests and the CLI). */
  readonly hub: ServableHub;
  /** Armed faults; see `faults.ts`. */
  readonly faults: FaultInjector;
  /** Stops accepting, lets in-flight requests finish (up to the grace period), closes the hub if it opened it. */
  close(): Promise<void>;
}

class BodyTooLargeError extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new BodyTooLargeError());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on("data", (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(new BodyTooLargeError());
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on("error", (error) => {
      if (!failed) reject(error);
    });
  });
}

function parseJsonObject(body: Buffer): Record<string, unknown> {
  return parseJsonBody(body).value;
}

/**
 * Parses a request body; `text` is the decoded JSON text ("" for an empty body). The body is valid
 * UTF-8 when this returns, so its byte length is the UTF-8 size of `text`.
 */
function parseJsonBody(body: Buffer): { value: Record<string, unknown>; text: string } {
  if (body.length === 0) return { value: {}, text: "" };
  // Decoding would silently turn invalid bytes into U+FFFD and store altered findings: refuse them.
  if (!isUtf8(body)) {
    throw new HubApiError(
      "InvalidInputException",
      400,
      "Request body is not valid UTF-8: JSON text must be UTF-8 encoded",
    );
  }
  let value: unknown;
  const text = body.toString("utf8");
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HubApiError(
      "InvalidInputException",
      400,
      `Request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HubApiError("InvalidInputException", 400, "Request body must be a JSON object");
  }
  return { value: value as Record<string, unknown>, text };
}

/**
 * What the engine may use of the raw body of a BatchImportFindings call: its byte size (the 6 MB
 * rule) and, when the body is small enough for it to matter, a proven bound on every finding's
 * JSON size so the engine need not stringify each one for the 240 KB rule. The findings reach the
 * engine exactly as `JSON.parse` built them (URI members only add top-level keys).
 */
function importCallInfo(raw: Buffer, text: string): ImportCallInfo {
  if (raw.length > MAX_FINDING_BYTES) return { requestBytes: raw.length };
  return { requestBytes: raw.length, findingBytesBound: jsonTextBytesBound(text, raw.length) };
}

/** The body is JSON of unknown shape: the hub (the engine) validates it, so it is passed on as is. */
async function dispatch(
  hub: ServableHub,
  operation: OperationName,
  body: Record<string, unknown>,
  caller: Caller,
  importInfo: ImportCallInfo = {},
): Promise<unknown> {
  switch (operation) {
    case "BatchImportFindings":
      return hub.batchImportFindings(body as never, caller, importInfo);
    case "BatchUpdateFindings":
      return hub.batchUpdateFindings(body as never, caller);
    case "GetFindings":
      return hub.getFindings(body as never, caller);
    case "EnableSecurityHub":
      return hub.enableSecurityHub(body as never, caller);
    case "DisableSecurityHub":
      return hub.disableSecurityHub({}, caller);
    case "DescribeHub":
      return hub.describeHub(body as never, caller);
    case "EnableImportFindingsForProduct":
      return hub.enableImportFindingsForProduct(body as never, caller);
    case "DisableImportFindingsForProduct":
      return hub.disableImportFindingsForProduct(body as never, caller);
    case "ListEnabledProductsForImport":
      return hub.listEnabledProductsForImport(body as never, caller);
  }
}

function findingIdOf(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const id = (value as { Id?: unknown }).Id;
  return typeof id === "string" ? id : undefined;
}

/** Runs BatchImportFindings / BatchUpdateFindings with the armed per-finding faults applied. */
async function dispatchWithFindingFaults(
  hub: ServableHub,
  faults: FaultInjector,
  operation: OperationName,
  body: Record<string, unknown>,
  caller: Caller,
  importInfo: ImportCallInfo,
): Promise<unknown> {
  const listName =
    operation === "BatchImportFindings"
      ? "Findings"
      : operation === "BatchUpdateFindings"
        ? "FindingIdentifiers"
        : "";
  const list = listName === "" ? undefined : body[listName];
  if (!Array.isArray(list) || list.length === 0 || faults.list().length === 0) {
    return dispatch(hub, operation, body, caller, importInfo);
  }
  const ids = list.map(findingIdOf).filter((id): id is string => id !== undefined);
  const failures = faults.forFindings(operation as "BatchImportFindings" | "BatchUpdateFindings", ids);
  if (failures.size === 0) return dispatch(hub, operation, body, caller, importInfo);
  const kept = list.filter((item) => !failures.has(findingIdOf(item) ?? "\u0000"));
  const failedItems = list.filter((item) => failures.has(findingIdOf(item) ?? "\u0000"));
  if (operation === "BatchImportFindings") {
    const base: BatchImportFindingsResponse =
      kept.length > 0
        ? await hub.batchImportFindings({ ...body, Findings: kept } as never, caller)
        : { FailedCount: 0, SuccessCount: 0, FailedFindings: [] };
    const injected = failedItems.map((item) => {
      const id = findingIdOf(item) ?? "";
      const f = failures.get(id);
      return { Id: id, ErrorCode: f?.errorCode ?? "", ErrorMessage: f?.errorMessage ?? "" };
    });
    return {
      FailedCount: (base.FailedCount ?? 0) + injected.length,
      SuccessCount: base.SuccessCount ?? 0,
      FailedFindings: [...(base.FailedFindings ?? []), ...injected],
    } satisfies BatchImportFindingsResponse;
  }
  const base: BatchUpdateFindingsResponse =
    kept.length > 0
      ? await hub.batchUpdateFindings({ ...body, FindingIdentifiers: kept } as never, caller)
      : { ProcessedFindings: [], UnprocessedFindings: [] };
  const injected = failedItems.map((item) => {
    const id = findingIdOf(item) ?? "";
    const f = failures.get(id);
    const productArn = (item as { ProductArn?: unknown }).ProductArn;
    return {
      FindingIdentifier: { Id: id, ProductArn: typeof productArn === "string" ? productArn : "" },
      ErrorCode: f?.errorCode ?? "",
      ErrorMessage: f?.errorMessage ?? "",
    };
  });
  return {
    ProcessedFindings: base.ProcessedFindings ?? [],
    UnprocessedFindings: [...(base.UnprocessedFindings ?? []), ...injected],
  } satisfies BatchUpdateFindingsResponse;
}

/** Starts `serve`. Resolves once it listens. */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const ownsHub = options.hub === undefined;
  const hub: ServableHub = options.hub ?? (await openLocalHub(options.hubOptions ?? {}));
  const clock = options.clock ?? systemClock;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
  const accountFromAccessKey = options.accountFromAccessKey ?? true;
  const defaultRegion = options.defaultRegion ?? DEFAULT_REGION;
  const maxBodyBytes = options.maxBodyBytes ?? MAX_IMPORT_REQUEST_BYTES;
  const quota =
    options.quota === undefined || options.quota === false
      ? undefined
      : { ...OPERATION_QUOTAS, ...(options.quota === true ? {} : options.quota) };
  const buckets = new Map<string, TokenBucket>();
  const faults = new FaultInjector();
  /** Requests held by a `timeout` fault: destroyed on close. */
  const held = new Set<Socket>();
  const sockets = new Set<Socket>();

  const takeQuota = (caller: Caller, operation: OperationName): boolean => {
    if (quota === undefined) return true;
    const key = `${caller.accountId}/${caller.region}/${operation}`;
    let bucket = buckets.get(key);
    if (bucket === undefined) {
      bucket = new TokenBucket(quota[operation], clock.now());
      buckets.set(key, bucket);
    }
    return bucket.tryTake(clock.now()).granted;
  };

  const handleAdmin = async (req: IncomingMessage, res: ServerResponse, url: URL, requestId: string) => {
    if (url.pathname === "/_shadowhub/health" && req.method === "GET") {
      sendJson(res, 200, { status: "ok" }, requestId);
      return;
    }
    if (url.pathname === "/_shadowhub/faults") {
      if (req.method === "GET") {
        sendJson(res, 200, { Faults: faults.list() }, requestId);
        return;
      }
      if (req.method === "DELETE") {
        faults.clear();
        sendJson(res, 200, {}, requestId);
        return;
      }
      if (req.method === "POST") {
        const body = parseJsonObject(await readBody(req, maxBodyBytes));
        const list = Array.isArray(body.Faults) ? body.Faults : [body];
        const parsed = list.map(parseFault);
        for (const fault of parsed) faults.add(fault);
        sendJson(res, 200, { Faults: faults.list() }, requestId);
        return;
      }
    }
    sendError(
      res,
      404,
      "UnknownOperationException",
      `No admin route ${req.method} ${url.pathname}`,
      requestId,
    );
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const requestId = randomUUID();
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", "http://localhost");
    try {
      if (url.pathname.startsWith("/_shadowhub/")) {
        await handleAdmin(req, res, url, requestId);
        return;
      }
      const route = matchRoute(method, url);
      if (route === undefined) {
        req.resume();
        sendError(
          res,
          404,
          "UnknownOperationException",
          `No Security Hub operation matches ${method} ${url.pathname}; shadowhub serve implements BatchImportFindings, BatchUpdateFindings, GetFindings, EnableSecurityHub, DisableSecurityHub, DescribeHub, EnableImportFindingsForProduct, DisableImportFindingsForProduct and ListEnabledProductsForImport`,
          requestId,
        );
        return;
      }
      const scope = parseSigV4Scope(req.headers.authorization);
      const caller: Caller = {
        accountId:
          accountFromAccessKey && scope && /^\d{12}$/.test(scope.accessKeyId) ? scope.accessKeyId : accountId,
        region: scope?.region ?? defaultRegion,
      };
      const raw = await readBody(req, maxBodyBytes);
      const parsed = parseJsonBody(raw);
      const body = { ...parsed.value, ...route.uriMembers };
      if (!takeQuota(caller, route.operation)) {
        throw new HubApiError("TooManyRequestsException", 429, "Too Many Requests");
      }
      const decision = faults.forCall(route.operation);
      if (decision.kind === "reset") {
        req.socket.destroy();
        return;
      }
      if (decision.kind === "timeout") {
        const socket = req.socket;
        held.add(socket);
        const timer = setTimeout(() => {
          held.delete(socket);
          socket.destroy();
        }, decision.holdMs);
        socket.once("close", () => {
          clearTimeout(timer);
          held.delete(socket);
        });
        return;
      }
      if (decision.kind === "error") throw decision.error;
      const importInfo =
        route.operation === "BatchImportFindings"
          ? importCallInfo(raw, parsed.text)
          : { requestBytes: raw.length };
      const result = await dispatchWithFindingFaults(hub, faults, route.operation, body, caller, importInfo);
      sendJson(res, 200, result, requestId);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        sendError(
          res,
          413,
          "RequestEntityTooLargeException",
          `Request body exceeds the ${maxBodyBytes} byte (6 MB) limit of Security Hub`,
          requestId,
          { connection: "close" },
        );
        req.resume();
        return;
      }
      if (error instanceof HubApiError) {
        sendError(res, error.httpStatus, error.code, error.message, requestId);
        return;
      }
      log(
        `serve: ${method} ${url.pathname} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      if (!res.headersSent) sendError(res, 500, "InternalException", "Internal service failure", requestId);
      else res.destroy();
    }
  };

  let closing: Promise<void> | undefined;
  const server = createServer((req, res) => {
    // While shutting down, answers close their connection so keep-alive sockets do not hold close() open.
    if (closing !== undefined) res.setHeader("connection", "close");
    res.on("finish", () => {
      if (closing !== undefined) server.closeIdleConnections();
    });
    void handle(req, res);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      for (const socket of held) socket.destroy();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const grace = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, options.shutdownGraceMs ?? 5000);
      await closed;
      clearTimeout(grace);
      if (ownsHub) await hub.close?.();
    })();
    return closing;
  };
  return { url: `http://${host}:${address.port}`, port: address.port, hub, faults, close };
}
