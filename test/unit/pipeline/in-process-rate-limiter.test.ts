import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InProcessRateLimiter } from "../../../lambdas/adapters/memory/in-process-rate-limiter.ts";
import { ManualClock } from "../../../lambdas/ports/clock.ts";

const T0 = 1_700_000_000_000;

/** A limiter on simulated time: sleeping advances the manual clock instead of waiting. */
function simulated(options: ConstructorParameters<typeof InProcessRateLimiter>[0] = {}) {
  const clock = new ManualClock(T0);
  const limiter = new InProcessRateLimiter({
    ...options,
    clock,
    sleep: async (ms) => {
      clock.advance(ms);
    },
  });
  return { clock, limiter };
}

/** Acquires sequentially until the simulated clock passes `durationMs`; returns the grant times. */
async function grantsWithin(
  limiter: InProcessRateLimiter,
  clock: ManualClock,
  durationMs: number,
  account = "111111111111",
  region = "us-east-1",
): Promise<number[]> {
  const times: number[] = [];
  for (;;) {
    await limiter.acquire(account, region);
    if (clock.now() - T0 > durationMs) return times;
    times.push(clock.now() - T0);
  }
}

describe("InProcessRateLimiter", () => {
  it("paces to burst 30 then 10 calls/s by default", async () => {
    const { clock, limiter } = simulated();
    const times = await grantsWithin(limiter, clock, 60_000);
    assert.equal(times.length, 30 + 600);
    assert.deepEqual(times.slice(0, 30), new Array(30).fill(0));
    assert.deepEqual(times.slice(30, 33), [100, 200, 300]);
  });

  it("applies a configured rate and burst", async () => {
    const { clock, limiter } = simulated({ limits: { ratePerSecond: 4, burst: 2 } });
    const times = await grantsWithin(limiter, clock, 10_000);
    assert.equal(times.length, 2 + 40);
  });

  it("keeps one bucket per account and Region", async () => {
    const { clock, limiter } = simulated();
    for (const [account, region] of [
      ["111111111111", "us-east-1"],
      ["111111111111", "eu-west-1"],
      ["222222222222", "us-east-1"],
    ] as const) {
      for (let i = 0; i < 30; i++) await limiter.acquire(account, region);
    }
    assert.equal(clock.now(), T0);
    await limiter.acquire("111111111111", "us-east-1");
    assert.equal(clock.now(), T0 + 100);
  });

  it("serves concurrent callers of one bucket without exceeding it", async () => {
    const { clock, limiter } = simulated();
    const grants: number[] = [];
    await Promise.all(
      Array.from({ length: 50 }, () =>
        limiter.acquire("111111111111", "us-east-1").then(() => grants.push(clock.now())),
      ),
    );
    assert.equal(grants.length, 50);
    assert.equal(clock.now() - T0, 20 * 100);
  });

  it("empties the bucket and halves the rate on a throttle, then recovers to the configured rate", async () => {
    const { clock, limiter } = simulated({ recoveryPerSecond: 1 });
    await limiter.onThrottled("111111111111", "us-east-1");
    assert.equal(limiter.currentRate("111111111111", "us-east-1"), 5);
    const first = await grantsWithin(limiter, clock, 1_000);
    // At 5/s rising by 1/s: far fewer than the 30 + 10 an untouched bucket would grant.
    assert.ok(first.length >= 5 && first.length <= 6, `granted ${first.length}`);
    clock.advance(10_000);
    assert.equal(limiter.currentRate("111111111111", "us-east-1"), 10);
  });

  it("halves the rate once for a burst of throttles from calls in flight, again after the hold-off", async () => {
    const { clock, limiter } = simulated();
    for (let i = 0; i < 4; i++) await limiter.onThrottled("111111111111", "us-east-1");
    assert.equal(limiter.currentRate("111111111111", "us-east-1"), 5);
    clock.advance(1_000);
    await limiter.onThrottled("111111111111", "us-east-1");
    // 5/s recovered by 0.5/s for 1 s, then halved: 2.75/s.
    assert.equal(limiter.currentRate("111111111111", "us-east-1"), 2.75);
  });

  it("halves on every throttle when the hold-off is 0", async () => {
    const { limiter } = simulated({ decreaseHoldOffMs: 0 });
    await limiter.onThrottled("111111111111", "us-east-1");
    await limiter.onThrottled("111111111111", "us-east-1");
    assert.equal(limiter.currentRate("111111111111", "us-east-1"), 2.5);
  });
});
