/**
 * A `RateLimiter` for one process: a token bucket per (account, Region), with concurrent
 * callers of the same bucket served first come, first served.
 */
import {
  type AimdOptions,
  aimdRate,
  type BucketLimits,
  fullBucket,
  limiterAimdOptions,
  type PacedBucket,
  SECURITY_HUB_IMPORT_LIMITS,
  takePaced,
  throttlePaced,
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
  state: PacedBucket;
  /** The tail of the FIFO of callers waiting on this bucket. */
  tail: Promise<void>;
}

/**
 * In-process token buckets, 10 calls/s with burst 30 per (account, Region) by default.
 * After `onThrottled` the bucket is emptied and the rate halved (down to `minRatePerSecond`; a
 * burst of throttles within `decreaseHoldOffMs` halves it once), then recovers by
 * `recoveryPerSecond` calls/s every second up to the configured rate.
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
    this.#aimd = limiterAimdOptions(this.#limits, options);
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
    lane.state = throttlePaced(lane.state, this.#limits, this.#clock.now(), this.#aimd);
  }

  /** The rate (calls/s) currently applied to (accountId, region); for reports and tests. */
  currentRate(accountId: string, region: string): number {
    const lane = this.#lanes.get(JSON.stringify([accountId, region]));
    return aimdRate(this.#limits.ratePerSecond, lane?.state.aimd, this.#clock.now(), this.#aimd);
  }

  #lane(accountId: string, region: string): Lane {
    const id = JSON.stringify([accountId, region]);
    let lane = this.#lanes.get(id);
    if (lane === undefined) {
      lane = {
        state: { bucket: fullBucket(this.#limits, this.#clock.now()), aimd: undefined },
        tail: Promise.resolve(),
      };
      this.#lanes.set(id, lane);
    }
    return lane;
  }

  async #waitForToken(lane: Lane): Promise<void> {
    for (;;) {
      const result = takePaced(lane.state, this.#limits, this.#clock.now(), this.#aimd);
      lane.state = result.state;
      if (result.granted) return;
      await this.#sleep(result.waitMs);
    }
  }
}
