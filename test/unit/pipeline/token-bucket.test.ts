import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigurationError } from "../../../lambdas/core/errors.ts";
import {
  aimdDecrease,
  aimdRate,
  refillBucket,
  SECURITY_HUB_IMPORT_LIMITS,
  TokenBucket,
  takeFromBucket,
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
