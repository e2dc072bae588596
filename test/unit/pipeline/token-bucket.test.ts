import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigurationError } from "../../../lambdas/core/errors.ts";
import {
  aimdDecrease,
  aimdRate,
  LIMITER_DECREASE_HOLD_OFF_MS,
  limiterAimdOptions,
  type PacedBucket,
  RECOVERY_RECHECK_MS,
  refillBucket,
  SECURITY_HUB_IMPORT_LIMITS,
  TokenBucket,
  takeFromBucket,
  takePaced,
  throttlePaced,
} from "../../../lambdas/core/pipeline/token-bucket.ts";

const T0 = 1_700_000_000_000;

describe("TokenBucket", () => {
  it("grants the whole burst at once, then refuses with the wait until the next token", () => {
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 30 }, T0);
    for (let i = 0; i < 30; i++) assert.deepEqual(bucket.tryTake(T0), { granted: true });
    assert.deepEqual(bucket.tryTake(T0), { granted: false, waitMs: 100 });
    assert.deepEqual(bucket.tryTake(T0 + 40), { granted: false, waitMs: 60 });
    assert.deepEqual(bucket.tryTake(T0 + 100), { granted: true });
  });

  it("refills at the rate and never above the burst", () => {
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 30 }, T0);
    for (let i = 0; i < 30; i++) bucket.tryTake(T0);
    assert.equal(bucket.available(T0 + 1_000), 10);
    assert.equal(bucket.available(T0 + 60_000), 30);
  });

  it("grants exactly burst + rate x elapsed over simulated time", () => {
    const bucket = new TokenBucket(SECURITY_HUB_IMPORT_LIMITS, T0);
    let granted = 0;
    for (let now = T0; now <= T0 + 10_000; now += 1) {
      while (bucket.tryTake(now).granted) granted++;
    }
    assert.equal(granted, 30 + 100);
  });

  it("takes several tokens at once and reports the wait for the missing ones", () => {
    const bucket = new TokenBucket({ ratePerSecond: 2, burst: 5 }, T0);
    assert.deepEqual(bucket.tryTake(T0, 4), { granted: true });
    assert.deepEqual(bucket.tryTake(T0, 3), { granted: false, waitMs: 1_000 });
  });

  it("adds nothing when the time goes backwards (workers' clocks disagree)", () => {
    const state = { tokens: 1, atMs: T0 };
    assert.equal(refillBucket(state, { ratePerSecond: 10, burst: 30 }, T0 - 5_000), state);
    const result = takeFromBucket({ tokens: 0, atMs: T0 }, { ratePerSecond: 10, burst: 30 }, T0 - 5_000);
    assert.equal(result.granted, false);
    assert.equal(result.state.atMs, T0);
  });

  it("empties on drain and refills at a lowered rate", () => {
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 30 }, T0);
    bucket.drain(T0);
    bucket.setRate(5, T0);
    assert.equal(bucket.available(T0 + 1_000), 5);
  });

  it("rejects a non-positive rate or a burst below 1 with the bad value in the message", () => {
    assert.throws(() => new TokenBucket({ ratePerSecond: 0, burst: 30 }, T0), ConfigurationError);
    assert.throws(() => new TokenBucket({ ratePerSecond: 10, burst: 0.5 }, T0), /burst must be .* got 0\.5/);
  });
});

describe("aimdRate / aimdDecrease", () => {
  it("halves the current rate on each throttle and never goes below the floor", () => {
    let state = aimdDecrease(10, undefined, T0);
    assert.equal(state.rateAfterDecrease, 5);
    state = aimdDecrease(10, state, T0);
    assert.equal(state.rateAfterDecrease, 2.5);
    for (let i = 0; i < 10; i++) state = aimdDecrease(10, state, T0);
    assert.equal(state.rateAfterDecrease, 1);
  });

  it("recovers linearly up to the configured maximum", () => {
    const state = aimdDecrease(10, undefined, T0, { recoveryPerSecond: 1 });
    assert.equal(aimdRate(10, state, T0 + 2_000, { recoveryPerSecond: 1 }), 7);
    assert.equal(aimdRate(10, state, T0 + 60_000, { recoveryPerSecond: 1 }), 10);
    assert.equal(aimdRate(10, undefined, T0), 10);
  });
});

describe("decrease hold-off", () => {
  it("counts throttles within the hold-off as one decrease, and decreases again after it", () => {
    const options = { decreaseHoldOffMs: 1_000 };
    let state = aimdDecrease(10, undefined, T0, options);
    state = aimdDecrease(10, state, T0 + 999, options);
    assert.deepEqual(state, { rateAfterDecrease: 5, decreasedAtMs: T0 });
    state = aimdDecrease(10, state, T0 + 1_000, options);
    assert.deepEqual(state, { rateAfterDecrease: 2.75, decreasedAtMs: T0 + 1_000 });
  });
});

describe("limiterAimdOptions", () => {
  it("fills in recovery relative to the configured rate and the limiter hold-off", () => {
    assert.deepEqual(limiterAimdOptions({ ratePerSecond: 10, burst: 20 }, {}), {
      recoveryPerSecond: 0.5,
      decreaseHoldOffMs: LIMITER_DECREASE_HOLD_OFF_MS,
    });
    assert.deepEqual(
      limiterAimdOptions(
        { ratePerSecond: 4, burst: 2 },
        { decreaseFactor: 0.25, minRatePerSecond: 2, recoveryPerSecond: 3, decreaseHoldOffMs: 0 },
      ),
      { decreaseFactor: 0.25, minRatePerSecond: 2, recoveryPerSecond: 3, decreaseHoldOffMs: 0 },
    );
  });

  it("rejects a negative hold-off with a ConfigurationError naming it", () => {
    assert.throws(
      () => limiterAimdOptions(SECURITY_HUB_IMPORT_LIMITS, { decreaseHoldOffMs: -1 }),
      (e: unknown) => e instanceof ConfigurationError && /decreaseHoldOffMs/.test(e.message),
    );
  });
});

describe("takePaced / throttlePaced", () => {
  const limits = { ratePerSecond: 10, burst: 30 };
  const options = limiterAimdOptions(limits, { recoveryPerSecond: 1 });
  const full: PacedBucket = { bucket: { tokens: 30, atMs: T0 }, aimd: undefined };

  it("takes at the configured rate while not throttled, waiting exactly for the next token", () => {
    const granted = takePaced(full, limits, T0, options);
    assert.equal(granted.granted, true);
    assert.deepEqual(granted.state, { bucket: { tokens: 29, atMs: T0 }, aimd: undefined });
    const empty = takePaced({ bucket: { tokens: 0, atMs: T0 }, aimd: undefined }, limits, T0, options);
    assert.deepEqual(empty, {
      granted: false,
      waitMs: 100,
      state: { bucket: { tokens: 0, atMs: T0 }, aimd: undefined },
    });
  });

  it("empties the bucket and halves the rate on a throttle, keeping the later bucket time", () => {
    const after = throttlePaced(
      { bucket: { tokens: 12, atMs: T0 + 50 }, aimd: undefined },
      limits,
      T0,
      options,
    );
    assert.deepEqual(after, {
      bucket: { tokens: 0, atMs: T0 + 50 },
      aimd: { rateAfterDecrease: 5, decreasedAtMs: T0 },
    });
  });

  it("refills at the decreased rate, caps waits while recovering, and drops the state once recovered", () => {
    const throttled = throttlePaced(full, limits, T0, options);
    // At 5/s a token takes 200 ms; the wait is capped so the rising rate is seen.
    const early = takePaced(throttled, limits, T0 + 1, options);
    assert.equal(early.granted, false);
    assert.equal(early.granted ? 0 : early.waitMs, RECOVERY_RECHECK_MS);
    const later = takePaced(throttled, limits, T0 + 250, options);
    assert.equal(later.granted, true);
    assert.notEqual(later.state.aimd, undefined);
    // 5/s + 1/s per second reaches 10/s after 5 s: the AIMD state is gone.
    const recovered = takePaced(throttled, limits, T0 + 5_000, options);
    assert.equal(recovered.granted, true);
    assert.equal(recovered.state.aimd, undefined);
  });
});
