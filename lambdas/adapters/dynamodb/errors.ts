/**
 * Classifies DynamoDB failures once, into the project's error taxonomy: throttling and capacity
 * errors → `ThrottlingError`, 5xx and network failures → `TransientError`, a missing table or
 * denied access → `ConfigurationError`. A failed condition is not an error here: the callers
 * turn it into a conflict.
 */
import { ConfigurationError, ThrottlingError, TransientError } from "../../core/errors.ts";

const THROTTLING = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "RequestLimitExceeded",
  "TooManyRequestsException",
]);
const TRANSIENT = new Set([
  "InternalServerError",
  "InternalFailure",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "TransactionInProgressException",
  "TimeoutError",
  "RequestTimeout",
  "RequestTimeoutException",
]);
const NETWORK_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EAI_AGAIN", "ENOTFOUND"]);

interface SdkLikeError {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

/** True when `error` is DynamoDB's answer to a failed `ConditionExpression`. */
export function isConditionalCheckFailed(error: unknown): boolean {
  return error instanceof Error && error.name === "ConditionalCheckFailedException";
}

/**
 * Maps a DynamoDB client error to a typed error whose message says which operation on which
 * table failed. Errors it does not recognise are returned unchanged (treated as permanent).
 */
export function classifyDynamoDbError(error: unknown, operation: string, tableName: string): unknown {
  if (!(error instanceof Error)) return error;
  const e = error as Error & SdkLikeError;
  const name = e.name ?? "";
  const status = e.$metadata?.httpStatusCode;
  const where = `DynamoDB ${operation} on table ${tableName}`;
  if (THROTTLING.has(name) || status === 429) {
    return new ThrottlingError(
      `${where} was throttled (${name}): retry later or raise the table's capacity`,
      {
        cause: error,
      },
    );
  }
  if (
    TRANSIENT.has(name) ||
    (status !== undefined && status >= 500) ||
    (e.code !== undefined && NETWORK_CODES.has(e.code)) ||
    e.$retryable !== undefined
  ) {
    return new TransientError(`${where} failed temporarily (${name}: ${e.message})`, { cause: error });
  }
  if (name === "ResourceNotFoundException") {
    return new ConfigurationError(`${where}: the table does not exist (create it, or fix the table name)`, {
      cause: error,
    });
  }
  if (name === "AccessDeniedException" || name === "UnrecognizedClientException") {
    return new ConfigurationError(`${where} was denied (${name}): check the credentials and IAM policy`, {
      cause: error,
    });
  }
  return error;
}
