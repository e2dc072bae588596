/**
 * Bounded retries with exponential backoff and full jitter for the DynamoDB adapters. The SDK
 * retries too; this outer loop covers what the SDK hands back (unprocessed keys, exhausted
 * throttling retries) without ever looping forever.
 */
import { isTransient } from "../../core/errors.ts";
import { realSleep, type Sleep } from "../../ports/rate-limiter.ts";

export interface RetryOptions {
  /** Attempts in total, the first included. @default 6 */
  readonly maxAttempts?: number;
  /** Backoff base: attempt n waits up to base × 2^(n-1), capped. @default 50 */
  readonly baseDelayMs?: number;
  /** The longest single wait. @default 2000 */
  readonly maxDelayMs?: number;
  /** @default realSleep */
  readonly sleep?: Sleep;
  /** Source of jitter in [0, 1). @default Math.random */
  readonly random?: () => number;
}

/** The wait before retry number `attempt` (1-based): full jitter over an exponential cap. */
export function backoffDelayMs(attempt: number, options: RetryOptions = {}): number {
  const base = options.baseDelayMs ?? 50;
  const cap = Math.min(options.maxDelayMs ?? 2_000, base * 2 ** (attempt - 1));
  const random = options.random ?? Math.random;
  return Math.max(1, Math.floor(random() * cap));
}

/** Runs `fn`; on a transient error (`isTransient`) waits and tries again, at most `maxAttempts` times. */
export async function withRetries<T>(fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 6;
  const sleep = options.sleep ?? realSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!isTransient(error) || attempt >= maxAttempts) throw error;
      await sleep(backoffDelayMs(attempt, options));
    }
  }
}

/** Runs `tasks` with at most `limit` in flight; resolves to their settled results in order. */
export async function settleWithConcurrency<T>(
  tasks: readonly (() => Promise<T>)[],
  limit: number,
): Promise<PromiseSettledResult<T>[]> {
  const results: PromiseSettledResult<T>[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      const task = tasks[index] as () => Promise<T>;
      try {
        results[index] = { status: "fulfilled", value: await task() };
      } catch (reason) {
        results[index] = { status: "rejected", reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, tasks.length)) }, worker));
  return results;
}
