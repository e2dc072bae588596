/**
 * RateLimiter port: paces calls to Security Hub per (account, Region) so the pipeline stays
 * inside the BatchImportFindings quota (spec §2.3: 10 calls/s, burst 30) instead of collecting
 * 429s. Adapters: in-process (`InProcessRateLimiter`, one process) and DynamoDB-backed
 * (`DynamoDbRateLimiter`, shared by concurrent workers).
 */
import type { AimdOptions, BucketLimits } from "../core/pipeline/token-bucket.ts";

export interface RateLimiter {
  /** Resolves when one call to (accountId, region) may be made now. Waits as long as needed. */
  acquire(accountId: string, region: string): Promise<void>;
  /**
   * Reports a throttling response (HTTP 429, `ThrottlingException`, `TooManyRequestsException`)
   * from (accountId, region): the limiter empties that bucket and lowers its rate (AIMD), and
   * the rate recovers linearly afterwards.
   */
  onThrottled(accountId: string, region: string): Promise<void>;
}

/** Options every limiter accepts. */
export interface RateLimiterOptions extends AimdOptions {
  /** Bucket size per (account, Region). @default SECURITY_HUB_IMPORT_LIMITS (10/s, burst 30) */
  readonly limits?: BucketLimits;
}

/** Waits `ms` milliseconds; injected so tests can run limiters on simulated time. */
export type Sleep = (ms: number) => Promise<void>;

/** The real `Sleep`, for the edges. */
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
