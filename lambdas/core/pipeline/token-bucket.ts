/**
 * Token bucket arithmetic for Security Hub's per-account, per-Region quota (spec §2.3: 10 calls/s,
 * burst 30). Pure: the time is always passed in, so the same functions drive the in-process
 * limiter, the DynamoDB-backed shared limiter (which stores `BucketState` in an item) and the
 * `serve` endpoint's quota enforcement.
 *
 * The rate can be lowered after a throttling response and recovers linearly (AIMD: multiplicative
 * decrease, additive increase), see `AimdRate`.
 */
import { IMPORT_BURST, IMPORT_RATE_PER_SECOND } from "../asff/limits.ts";
import { ConfigurationError } from "../errors.ts";

/** The size of a bucket: sustained tokens per second and the most tokens it can hold. */
export interface BucketLimits {
  readonly ratePerSecond: number;
  readonly burst: number;
}

/** The quota Security Hub applies to BatchImportFindings: 10 calls/s, burst 30. */
export const SECURITY_HUB_IMPORT_LIMITS: BucketLimits = {
  ratePerSecond: IMPORT_RATE_PER_SECOND,
  burst: IMPORT_BURST,
};

/** Tokens held at an instant. Tokens are fractional: refills accrue continuously. */
export interface BucketState {
  readonly tokens: number;
  /** Epoch ms the `tokens` count refers to. */
  readonly atMs: number;
}

/** The answer to a take: granted (with the state after the take) or the time to wait before a retry. */
export type TakeResult =
  | { readonly granted: true; readonly state: BucketState }
  | { readonly granted: false; readonly waitMs: number; readonly state: BucketState };

/** Throws a `ConfigurationError` naming the bad value unless `limits` describe a usable bucket. */
export function validateBucketLimits(limits: BucketLimits, name = "rate limit"): void {
  if (!Number.isFinite(limits.ratePerSecond) || limits.ratePerSecond <= 0) {
    throw new ConfigurationError(
      `${name}: ratePerSecond must be a positive number, got ${limits.ratePerSecond}`,
    );
  }
  if (!Number.isFinite(limits.burst) || limits.burst < 1) {
    throw new ConfigurationError(`${name}: burst must be a number >= 1, got ${limits.burst}`);
  }
}

/** A full bucket at `nowMs`: a new account/Region may use its whole burst at once. */
export function fullBucket(limits: BucketLimits, nowMs: number): BucketState {
  return { tokens: limits.burst, atMs: nowMs };
}

/**
 * Adds the tokens accrued between `state.atMs` and `nowMs`, capped at `burst`. A `nowMs` earlier
 * than `state.atMs` (clocks of concurrent workers disagree) adds nothing and keeps the later
 * timestamp, so time never runs backwards and no token is created twice.
 */
export function refillBucket(state: BucketState, limits: BucketLimits, nowMs: number): BucketState {
  if (nowMs <= state.atMs) return state;
  const tokens = Math.min(limits.burst, state.tokens + ((nowMs - state.atMs) * limits.ratePerSecond) / 1000);
  return { tokens, atMs: nowMs };
}

/**
 * Refills, then takes `count` tokens if they are there. When they are not, answers how long to
 * wait until they will be (at least 1 ms, so a caller's retry loop always makes progress).
 */
export function takeFromBucket(
  state: BucketState,
  limits: BucketLimits,
  nowMs: number,
  count = 1,
): TakeResult {
  const refilled = refillBucket(state, limits, nowMs);
  // A tiny epsilon absorbs float error: 0.1 + 0.2 tokens must count as 0.3.
  if (refilled.tokens + 1e-9 >= count) {
    return { granted: true, state: { tokens: Math.max(0, refilled.tokens - count), atMs: refilled.atMs } };
  }
  const missing = count - refilled.tokens;
  const waitMs = Math.max(1, Math.ceil((missing * 1000) / limits.ratePerSecond));
  return { granted: false, waitMs, state: refilled };
}

/** A mutable token bucket for one (account, Region); the time is passed to every call. */
export class TokenBucket {
  #state: BucketState;
  #limits: BucketLimits;

  /** Starts full at `nowMs`. */
  constructor(limits: BucketLimits, nowMs: number) {
    validateBucketLimits(limits);
    this.#limits = limits;
    this.#state = fullBucket(limits, nowMs);
  }

  /** Takes `count` tokens (default 1) if available at `nowMs`; otherwise says how long to wait. */
  tryTake(nowMs: number, count = 1): { granted: true } | { granted: false; waitMs: number } {
    const result = takeFromBucket(this.#state, this.#limits, nowMs, count);
    this.#state = result.state;
    return result.granted ? { granted: true } : { granted: false, waitMs: result.waitMs };
  }

  /** Tokens available at `nowMs` (fractional). */
  available(nowMs: number): number {
    return refillBucket(this.#state, this.#limits, nowMs).tokens;
  }

  /** The current limits. */
  get limits(): BucketLimits {
    return this.#limits;
  }

  /** Changes the refill rate from `nowMs` on; tokens accrued so far are kept. */
  setRate(ratePerSecond: number, nowMs: number): void {
    this.#state = refillBucket(this.#state, this.#limits, nowMs);
    this.#limits = { ...this.#limits, ratePerSecond };
    validateBucketLimits(this.#limits);
  }

  /** Empties the bucket at `nowMs`: the remote side said its own bucket is empty (HTTP 429). */
  drain(nowMs: number): void {
    this.#state = { tokens: 0, atMs: Math.max(nowMs, this.#state.atMs) };
  }
}

/** How a limiter slows down after a throttling response and speeds up again. */
export interface AimdOptions {
  /** The rate is multiplied by this on each throttling response. @default 0.5 */
  readonly decreaseFactor?: number;
  /** The rate never drops below this (calls/s). @default 1 */
  readonly minRatePerSecond?: number;
  /** After a decrease the rate grows back by this many calls/s per second. @default 0.5 */
  readonly recoveryPerSecond?: number;
  /**
   * A throttle this soon (ms) after the last decrease does not decrease again. The calls in flight
   * when the remote bucket ran dry are all answered 429 at once; counting that burst as one signal
   * (as TCP counts one loss per round trip) keeps it from driving the rate to the floor.
   * @default 0 here (every throttle decreases); limiters take {@link LIMITER_DECREASE_HOLD_OFF_MS}
   */
  readonly decreaseHoldOffMs?: number;
}

/** The decrease hold-off limiters apply unless told otherwise: about one call round trip under load. */
export const LIMITER_DECREASE_HOLD_OFF_MS = 1_000;

/** State of an AIMD-adjusted rate: the rate right after the last decrease, and when it happened. */
export interface AimdState {
  readonly rateAfterDecrease: number;
  readonly decreasedAtMs: number;
}

/**
 * The effective rate at `nowMs`: the configured maximum, or — after a throttling response —
 * the decreased rate plus linear recovery, capped at the maximum.
 */
export function aimdRate(
  maxRatePerSecond: number,
  state: AimdState | undefined,
  nowMs: number,
  options: AimdOptions = {},
): number {
  if (state === undefined) return maxRatePerSecond;
  const recovery = options.recoveryPerSecond ?? 0.5;
  const elapsedSeconds = Math.max(0, nowMs - state.decreasedAtMs) / 1000;
  return Math.min(maxRatePerSecond, state.rateAfterDecrease + recovery * elapsedSeconds);
}

/**
 * The AIMD state after a throttling response at `nowMs`: the current effective rate, decreased
 * (unchanged within `decreaseHoldOffMs` of the last decrease).
 */
export function aimdDecrease(
  maxRatePerSecond: number,
  state: AimdState | undefined,
  nowMs: number,
  options: AimdOptions = {},
): AimdState {
  if (state !== undefined && nowMs - state.decreasedAtMs < (options.decreaseHoldOffMs ?? 0)) return state;
  const factor = options.decreaseFactor ?? 0.5;
  const floor = Math.min(maxRatePerSecond, options.minRatePerSecond ?? 1);
  const current = aimdRate(maxRatePerSecond, state, nowMs, options);
  return { rateAfterDecrease: Math.max(floor, current * factor), decreasedAtMs: nowMs };
}

/** Throws a `ConfigurationError` naming the bad value unless `options` are usable. */
export function validateAimdOptions(options: AimdOptions): void {
  const { decreaseFactor, minRatePerSecond, recoveryPerSecond, decreaseHoldOffMs } = options;
  if (decreaseFactor !== undefined && !(decreaseFactor > 0 && decreaseFactor < 1)) {
    throw new ConfigurationError(`rate limit: decreaseFactor must be in (0, 1), got ${decreaseFactor}`);
  }
  if (minRatePerSecond !== undefined && !(minRatePerSecond > 0)) {
    throw new ConfigurationError(`rate limit: minRatePerSecond must be positive, got ${minRatePerSecond}`);
  }
  if (recoveryPerSecond !== undefined && !(recoveryPerSecond >= 0)) {
    throw new ConfigurationError(`rate limit: recoveryPerSecond must be >= 0, got ${recoveryPerSecond}`);
  }
  if (decreaseHoldOffMs !== undefined && !(decreaseHoldOffMs >= 0)) {
    throw new ConfigurationError(`rate limit: decreaseHoldOffMs must be >= 0, got ${decreaseHoldOffMs}`);
  }
}

/**
 * A limiter's AIMD options with its defaults filled in and checked: recovery at half the
 * configured rate's share of Security Hub's 10/s per second (0.5 calls/s per second at 10/s), and
 * a {@link LIMITER_DECREASE_HOLD_OFF_MS} hold-off. Throws a `ConfigurationError` for bad values.
 */
export function limiterAimdOptions(limits: BucketLimits, options: AimdOptions): AimdOptions {
  const resolved: AimdOptions = {
    ...(options.decreaseFactor === undefined ? {} : { decreaseFactor: options.decreaseFactor }),
    ...(options.minRatePerSecond === undefined ? {} : { minRatePerSecond: options.minRatePerSecond }),
    recoveryPerSecond: options.recoveryPerSecond ?? limits.ratePerSecond / (2 * IMPORT_RATE_PER_SECOND),
    decreaseHoldOffMs: options.decreaseHoldOffMs ?? LIMITER_DECREASE_HOLD_OFF_MS,
  };
  validateAimdOptions(resolved);
  return resolved;
}

/** What a limiter keeps per (account, Region): its bucket and, after a throttle, its AIMD state. */
export interface PacedBucket {
  readonly bucket: BucketState;
  /** Absent while the rate is the configured one. */
  readonly aimd: AimdState | undefined;
}

/** The longest a limiter sleeps on one estimate while its rate recovers (the rate rises meanwhile). */
export const RECOVERY_RECHECK_MS = 100;

/**
 * One take from a limiter's bucket at `nowMs`, at the AIMD-adjusted rate. The AIMD state is
 * dropped once the rate is back at the configured one; while it recovers, `waitMs` is at most
 * {@link RECOVERY_RECHECK_MS}, so a waiter re-evaluates instead of sleeping on a stale estimate.
 */
export function takePaced(
  paced: PacedBucket,
  limits: BucketLimits,
  nowMs: number,
  options: AimdOptions,
):
  | { readonly granted: true; readonly state: PacedBucket }
  | { readonly granted: false; readonly waitMs: number; readonly state: PacedBucket } {
  const rate = aimdRate(limits.ratePerSecond, paced.aimd, nowMs, options);
  const aimd = rate >= limits.ratePerSecond ? undefined : paced.aimd;
  const result = takeFromBucket(paced.bucket, { ...limits, ratePerSecond: rate }, nowMs);
  const state = { bucket: result.state, aimd };
  if (result.granted) return { granted: true, state };
  return {
    granted: false,
    waitMs: aimd === undefined ? result.waitMs : Math.min(result.waitMs, RECOVERY_RECHECK_MS),
    state,
  };
}

/**
 * A limiter's state after a throttling response at `nowMs`: the bucket emptied (Security Hub's
 * own is, or the next burst would be throttled again) and the rate decreased.
 */
export function throttlePaced(
  paced: PacedBucket,
  limits: BucketLimits,
  nowMs: number,
  options: AimdOptions,
): PacedBucket {
  return {
    bucket: { tokens: 0, atMs: Math.max(nowMs, paced.bucket.atMs) },
    aimd: aimdDecrease(limits.ratePerSecond, paced.aimd, nowMs, options),
  };
}
