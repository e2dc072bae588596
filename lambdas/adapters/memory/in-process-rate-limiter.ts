/**
 * A `RateLimiter` for one process: a token bucket per (account, Region), with concurrent
 * callers of the same bucket served first come, first served.
 */
import { IMPORT_RATE_PER_SECOND } from "../../core/asff/limits.ts";
import {
  type AimdOptions,
  type AimdState,
  aimdDecrease,
  aimdRate,
  type BucketLimits,
  SECURITY_HUB_IMPORT_LIMITS,
  TokenBucket,
  validateAimdOptions,
  validateBucketLimits,
} from "../../core/pipeline/token-bucket.ts";
import type { Clock } from "../../ports/clock.ts";
import {
  type RateLimiter,
  type RateLimiterOptions,
  realSleep,
  type Sleep,
} from "../../ports/rate-limiter.ts";
import { systemClock } from "../system-clock.ts";

export interface InProcessRateLimiterOptions extends RateLimiterOptions {
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default realSleep (setTimeout) */
  readonly sleep?: Sleep;
}

interface Lane {
  readonly bucket: TokenBucket;
  aimd: AimdState | undefined;
  /** The tail of the FIFO of callers waiting on this bucket. */
  tail: Promise<void>;
}

/**
 * In-process token buckets, 10 calls/s with burst 30 per (account, Region) by default.
 * After `onThrottled` the bucket is emptied and the rate halved (down to `minRatePerSecond`),
 * then recovers by `recoveryPerSecond` calls/s every second up to the configured rate.
 */
export class InProcessRateLimiter implements RateLimiter {
  readonly #limits: BucketLimits;
  readonly #aimd: AimdOptions;
  readonly #clock: Clock;
  readonly #sleep: Sleep;
  readonly #lanes = new Map<string, Lane>();

  constructor(options: InProcessRateLimiterOptions = {}) {
    this.#limits = options.limits ?? SECURITY_HUB_IMPORT_LIMITS;
    validateBucketLimits(this.#limits);
    this.#aimd = {
      decreaseFactor: options.decreaseFactor,
      minRatePerSecond: options.minRatePerSecond,
      recoveryPerSecond:
        options.recoveryPerSecond ?? this.#limits.ratePerSecond / (2 * IMPORT_RATE_PER_SECOND),
    };
    validateAimdOptions(this.#aimd);
    this.#clock = options.clock ?? systemClock;
    this.#sleep = options.sleep ?? realSleep;
  }

  acquire(accountId: string, region: string): Promise<void> {
    const lane = this.#lane(accountId, region);
    // Chain on the previous caller so waiters are granted in arrival order, one at a time.
    const turn = lane.tail.then(() => this.#waitForToken(lane));
    lane.tail = turn.catch(() => undefined);
    return turn;
  }

  async onThrottled(accountId: string, region: string): Promise<void> {
    const lane = this.#lane(accountId, region);
    const now = this.#clock.now();
    lane.aimd = aimdDecrease(this.#limits.ratePerSecond, lane.aimd, now, this.#aimd);
    lane.bucket.setRate(lane.aimd.rateAfterDecrease, now);
    lane.bucket.drain(now);
  }

  /** The rate (calls/s) currently applied to (accountId, region); for reports and tests. */
  currentRate(accountId: string, region: string): number {
    const lane = this.#lanes.get(JSON.stringify([accountId, region]));
    return aimdRate(this.#limits.ratePerSecond, lane?.aimd, this.#clock.now(), this.#aimd);
  }

  #lane(accountId: string, region: string): Lane {
    const id = JSON.stringify([accountId, region]);
    let lane = this.#lanes.get(id);
    if (lane === undefined) {
      lane = {
        bucket: new TokenBucket(this.#limits, this.#clock.now()),
        aimd: undefined,
        tail: Promise.resolve(),
      };
      this.#lanes.set(id, lane);
    }
    return lane;
  }

  async #waitForToken(lane: Lane): Promise<void> {
    for (;;) {
      const now = this.#clock.now();
      if (lane.aimd !== undefined) {
        const rate = aimdRate(this.#limits.ratePerSecond, lane.aimd, now, this.#aimd);
        lane.bucket.setRate(rate, now);
        if (rate >= this.#limits.ratePerSecond) lane.aimd = undefined;
      }
      const result = lane.bucket.tryTake(now);
      if (result.granted) return;
      // While recovering, re-evaluate the rate at least every 100 ms instead of sleeping on a stale estimate.
      await this.#sleep(lane.aimd === undefined ? result.waitMs : Math.min(result.waitMs, 100));
    }
  }
}
