/**
 * One mapping from Security Hub's whole-request errors (SDK exceptions, HTTP statuses, network
 * failures, the local hub's `HubApiError`) to the error taxonomy of `core/errors.ts`. Used by the
 * SDK adapter and the local target so that both classify exactly alike.
 */
import { InputError, ShadowhubError, ThrottlingError, TransientError } from "../../core/errors.ts";
import { SinkAccessError } from "../../ports/finding-sink.ts";

/** Error codes (exception names) Security Hub and API Gateway use for throttling. */
const THROTTLING_CODES = new Set([
  "TooManyRequestsException",
  "LimitExceededException",
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "RequestLimitExceeded",
]);

/** Node and SDK names of failures where the request may not have reached the service. */
const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ENOTFOUND",
  "ECONNABORTED",
  "UND_ERR_SOCKET",
  "TimeoutError",
  "RequestTimeout",
  "RequestTimeoutException",
  "AbortError",
]);

/** The facts a classification needs; any of them may be unknown. */
export interface RemoteFailure {
  readonly code?: string;
  readonly httpStatus?: number;
  readonly message: string;
}

/** Classifies a whole-request failure. `operation` and `target` go into the message. */
export function classifyRemoteFailure(
  failure: RemoteFailure,
  operation: string,
  target: string,
  cause?: unknown,
): ShadowhubError {
  const { code = "", httpStatus, message } = failure;
  const text = `${operation} to ${target} failed: ${code || `HTTP ${httpStatus ?? "?"}`}: ${message}`;
  if (THROTTLING_CODES.has(code) || httpStatus === 429) return new ThrottlingError(text, { cause });
  if (code === "InvalidAccessException") return new SinkAccessError("InvalidAccess", text, { cause });
  if (code === "AccessDeniedException" || code === "AuthorizerConfigurationException" || httpStatus === 403) {
    return new SinkAccessError("AccessDenied", text, { cause });
  }
  if (
    NETWORK_CODES.has(code) ||
    (httpStatus !== undefined && httpStatus >= 500) ||
    code === "InternalException"
  ) {
    return new TransientError(text, { cause });
  }
  return new InputError(text, { source: target, rule: code || `HTTP ${httpStatus ?? "?"}` }, { cause });
}

interface SdkLikeError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number };
  cause?: unknown;
}

/** Classifies anything an SDK v3 call threw (service exceptions and network errors alike). */
export function classifySdkError(error: unknown, operation: string, target: string): ShadowhubError {
  if (error instanceof ShadowhubError) return error;
  const e = (error ?? {}) as SdkLikeError;
  const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  const causeCode = (e.cause as SdkLikeError | undefined)?.code;
  const code = e.code && NETWORK_CODES.has(e.code) ? e.code : (e.name ?? e.code ?? causeCode);
  // A network error carries no HTTP status: the request may never have arrived.
  if (status === undefined && (e.code !== undefined || causeCode !== undefined || code === "TimeoutError")) {
    return new TransientError(
      `${operation} to ${target} failed: ${e.code ?? causeCode ?? code}: ${e.message ?? ""}`,
      {
        cause: error,
      },
    );
  }
  return classifyRemoteFailure(
    {
      ...(code === undefined ? {} : { code }),
      ...(status === undefined ? {} : { httpStatus: status }),
      message: e.message ?? String(error),
    },
    operation,
    target,
    error,
  );
}
