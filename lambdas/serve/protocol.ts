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

/** Writes a JSON answer with the headers every Security Hub answer carries. */
export function sendJson(res: ServerResponse, status: number, body: unknown, requestId: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "x-amzn-requestid": requestId,
  });
  res.end(text);
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
