/**
 * Security Hub's REST-JSON protocol as far as `serve` needs it: the routes of the operations, the
 * Region in a SigV4 `Authorization` header, and error answers (`x-amzn-ErrorType` header plus a
 * `{"Message","Code"}` body, which is how the AWS SDKs and CLI read an error's code).
 */
import type { ServerResponse } from "node:http";
import type { OperationName } from "../adapters/local-hub/api.ts";
import { HubApiError } from "../core/hub/contracts.ts";

/** A matched route: the operation and the members carried in the path or query string. */
export interface RouteMatch {
  readonly operation: OperationName;
  /** Members taken from the URI (`location: uri` / `querystring` in the model). */
  readonly uriMembers: Readonly<Record<string, string | number>>;
}

/**
 * Maps method and path to an operation, as the service model's `http` traits define them.
 * `undefined` when nothing matches (answered 404 `UnknownOperationException`).
 *
 * @throws HubApiError `InvalidInputException` (400) for a path member that is not valid percent-encoding.
 */
export function matchRoute(method: string, url: URL): RouteMatch | undefined {
  const path = url.pathname.replace(/\/+$/, "") || "/";
  const q = url.searchParams;
  const members: Record<string, string | number> = {};
  switch (`${method} ${path}`) {
    case "POST /findings/import":
      return { operation: "BatchImportFindings", uriMembers: members };
    case "PATCH /findings/batchupdate":
      return { operation: "BatchUpdateFindings", uriMembers: members };
    case "POST /findings":
      return { operation: "GetFindings", uriMembers: members };
    case "POST /accounts":
      return { operation: "EnableSecurityHub", uriMembers: members };
    case "DELETE /accounts":
      return { operation: "DisableSecurityHub", uriMembers: members };
    case "GET /accounts": {
      const hubArn = q.get("HubArn");
      if (hubArn !== null) members.HubArn = hubArn;
      return { operation: "DescribeHub", uriMembers: members };
    }
    case "POST /productSubscriptions":
      return { operation: "EnableImportFindingsForProduct", uriMembers: members };
    case "GET /productSubscriptions": {
      const token = q.get("NextToken");
      const max = q.get("MaxResults");
      if (token !== null) members.NextToken = token;
      if (max !== null) members.MaxResults = Number(max);
      return { operation: "ListEnabledProductsForImport", uriMembers: members };
    }
  }
  // `{ProductSubscriptionArn+}` is a greedy label: the ARN's own slashes stay in the path.
  const prefix = "/productSubscriptions/";
  if (method === "DELETE" && url.pathname.startsWith(prefix) && url.pathname.length > prefix.length) {
    try {
      members.ProductSubscriptionArn = decodeURIComponent(url.pathname.slice(prefix.length));
    } catch {
      throw new HubApiError(
        "InvalidInputException",
        400,
        "Invalid parameter 'ProductSubscriptionArn': the path is not valid percent-encoded UTF-8",
      );
    }
    return { operation: "DisableImportFindingsForProduct", uriMembers: members };
  }
  return undefined;
}

/** The access key id and Region of a SigV4 `Authorization` header, when it has a credential scope. */
export interface SigV4Scope {
  readonly accessKeyId: string;
  readonly region: string;
  readonly service: string;
}

const CREDENTIAL_RE = /Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request/;

/**
 * Reads the credential scope of a SigV4 `Authorization` header. The signature itself is not
 * checked: `serve` accepts any credentials, like other local emulators.
 */
export function parseSigV4Scope(authorization: string | undefined): SigV4Scope | undefined {
  if (authorization === undefined || !authorization.startsWith("AWS4-HMAC-SHA256")) return undefined;
  const m = CREDENTIAL_RE.exec(authorization);
  if (!m) return undefined;
  return { accessKeyId: m[1] ?? "", region: m[3] ?? "", service: m[4] ?? "" };
}

/**
 * Answers at least this long (UTF-16 units) are encoded into a pooled buffer; shorter ones are
 * sent as one string, where the pool would save nothing.
 */
const POOLED_MIN_CHARS = 64 * 1024;
/** Buffers larger than this are not kept for reuse (a rare answer must not pin its memory). */
const POOLED_MAX_BYTES = 8 * 1024 * 1024;
/** Buffers kept for reuse; answers in flight at the same time beyond this allocate their own. */
const POOL_SIZE = 4;
const pool: Buffer[] = [];

/**
 * `JSON.stringify(body)` as the pieces it concatenates: for a plain object (no class, no
 * `toJSON`), its members one by
 * one and, for a list-valued member (GetFindings' `Findings`), each element on its own; anything
 * else as one piece. Joined, the pieces are exactly `JSON.stringify(body)`; `undefined` when that
 * is `undefined`.
 *
 * Why pieces: a GetFindings page is up to 100 findings (~250 KB of JSON here). Stringified whole,
 * it is one large string that then has to be encoded into a fresh large buffer for the socket;
 * measured on this machine that cost ~3.9 ms of server CPU per answer against ~0.8 ms for
 * stringifying each finding and writing the pieces into a reused buffer (allocating and
 * collecting the large string and buffer dominated, not the serialisation itself).
 */
export function jsonPieces(body: unknown): string[] | undefined {
  const whole = (): string[] | undefined => {
    const text = JSON.stringify(body);
    return text === undefined ? undefined : [text];
  };
  if (body === null || typeof body !== "object") return whole();
  const proto: unknown = Object.getPrototypeOf(body);
  if (
    (proto !== Object.prototype && proto !== null) ||
    typeof (body as { toJSON?: unknown }).toJSON === "function"
  ) {
    return whole();
  }
  const pieces = ["{"];
  let first = true;
  for (const [key, value] of Object.entries(body)) {
    if (Array.isArray(value) && typeof (value as { toJSON?: unknown }).toJSON !== "function") {
      // JSON.stringify writes undefined, functions and symbols in a list as null.
      if (!first) pieces.push(",");
      pieces.push(JSON.stringify(key), ":[");
      value.forEach((element: unknown, i) => {
        if (i > 0) pieces.push(",");
        pieces.push(JSON.stringify(element) ?? "null");
      });
      pieces.push("]");
      first = false;
      continue;
    }
    const text = JSON.stringify(value);
    // JSON.stringify leaves out members whose value it cannot write (undefined, functions, symbols).
    if (text === undefined) continue;
    if (!first) pieces.push(",");
    pieces.push(JSON.stringify(key), ":", text);
    first = false;
  }
  pieces.push("}");
  return pieces;
}

/** Writes `pieces` as UTF-8 into a pooled (or new) buffer; returns the buffer and the bytes used. */
function encodePieces(pieces: readonly string[], chars: number): { buffer: Buffer; bytes: number } {
  // UTF-8 needs at most 3 bytes per UTF-16 unit (a surrogate pair, 2 units, needs 4).
  const worst = chars * 3;
  const i = pool.findIndex((b) => b.length >= worst);
  const buffer =
    i >= 0 ? (pool.splice(i, 1)[0] as Buffer) : Buffer.allocUnsafeSlow(Math.max(worst, 256 * 1024));
  let bytes = 0;
  for (const piece of pieces) bytes += buffer.write(piece, bytes, "utf8");
  return { buffer, bytes };
}

/** Writes a JSON answer with the headers every Security Hub answer carries. */
export function sendJson(res: ServerResponse, status: number, body: unknown, requestId: string): void {
  const pieces = jsonPieces(body) ?? ["null"];
  let chars = 0;
  for (const piece of pieces) chars += piece.length;
  if (chars < POOLED_MIN_CHARS) {
    const text = pieces.join("");
    res.writeHead(status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(text),
      "x-amzn-requestid": requestId,
    });
    res.end(text);
    return;
  }
  const { buffer, bytes } = encodePieces(pieces, chars);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": bytes,
    "x-amzn-requestid": requestId,
  });
  // The buffer goes back to the pool only once the answer has been handed to the socket (the
  // callback runs on 'finish'); if the connection fails first it is simply left to the GC.
  res.end(buffer.subarray(0, bytes), () => {
    if (pool.length < POOL_SIZE && buffer.length <= POOLED_MAX_BYTES) pool.push(buffer);
  });
}

/** Writes an error answer: status, `x-amzn-ErrorType`, and `{"Message","Code"}`. */
export function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  requestId: string,
  extraHeaders: Record<string, string> = {},
): void {
  const text = JSON.stringify({ Message: message, Code: code });
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "x-amzn-requestid": requestId,
    "x-amzn-errortype": code,
    ...extraHeaders,
  });
  res.end(text);
}
