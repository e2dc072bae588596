/**
 * Retry policy (pure; sleep and randomness injected): which failures are retried, and how long to
 * wait — exponential backoff with full jitter, bounded in attempts and delay.
 */
import { isTransient, ThrottlingError } from "../errors.ts";

export interface RetryPolicy {
  /** Calls in total, the first one included. */
  readonly maxAttempts: number;
  /** Upper bound of the first retry's delay. */
  readonly baseDelayMs: number;
  /** No delay is ever longer than this. */
  readonly maxDelayMs: number;
}

/** Eight calls over at most ~40 s: enough to ride out a throttling burst, short enough for a Lambda. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 10_000 };

/**
 * Delay before retry number `retry` (1 for the first retry): full jitter, i.e. uniform in
 * [0, min(maxDelayMs, baseDelayMs × 2^(retry−1))). `random` returns a number in [0, 1).
 */
export function backoffDelayMs(retry: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

/** How a per-finding `ErrorCode` from BatchImportFindings is handled. */
export type FindingErrorClass = "permanent" | "not-enabled" | "retryable";

/**
 * - `InvalidInput` (and any code not known to be transient): the finding is wrong, never retried;
 * - `InvalidAccess`: Security Hub or the product integration is not enabled for the account:
 *   reported, not committed, so the next import tries again;
 * - throttling/internal codes: retried with the call.
 */
export function classifyFindingError(errorCode: string): FindingErrorClass {
  if (errorCode === "InvalidAccess") return "not-enabled";
  if (/throttl|limitexceeded|toomanyrequests|internal|unavailable|timeout/i.test(errorCode))
    return "retryable";
  return "permanent";
}

export interface RetryHooks {
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  /** Called before each retry with the error that caused it (e.g. to tell a rate limiter to slow down). */
  readonly onRetry?: (error: unknown, retry: number, delayMs: number) => void | Promise<void>;
}

/**
 * Calls `operation` until it succeeds, throws a permanent error, or `policy.maxAttempts` is
 * reached (then the last error is thrown). Only `isTransient` errors are retried: an unknown error
 * is a bug, and looping on it would hide it.
 */
export async function withRetries<T>(
  operation: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  hooks: RetryHooks,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (!isTransient(error) || attempt >= policy.maxAttempts) throw error;
      const delay = backoffDelayMs(attempt, policy, hooks.random);
      await hooks.onRetry?.(error, attempt, delay);
      await hooks.sleep(delay);
    }
  }
}

/** True when `error` is Security Hub asking us to slow down. */
export function isThrottling(error: unknown): boolean {
  return error instanceof ThrottlingError;
}
