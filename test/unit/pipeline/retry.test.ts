import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InputError, ThrottlingError, TransientError } from "../../../lambdas/core/errors.ts";
import {
  backoffDelayMs,
  classifyFindingError,
  type RetryPolicy,
  withRetries,
} from "../../../lambdas/core/pipeline/retry.ts";

const POLICY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 250 };

describe("backoffDelayMs", () => {
  it("doubles the ceiling per retry and caps it (full jitter: random 0.999 ≈ the ceiling)", () => {
    const top = () => 0.999999;
    assert.deepEqual(
      [1, 2, 3, 4].map((r) => backoffDelayMs(r, POLICY, top)),
      [99, 199, 249, 249],
    );
  });

  it("can wait zero: the jitter is full, from 0", () => {
    assert.equal(
      backoffDelayMs(3, POLICY, () => 0),
      0,
    );
  });
});

describe("classifyFindingError", () => {
  it("never retries InvalidInput", () => assert.equal(classifyFindingError("InvalidInput"), "permanent"));
  it("reports InvalidAccess as not enabled", () =>
    assert.equal(classifyFindingError("InvalidAccess"), "not-enabled"));
  it("retries internal and throttling codes", () => {
    assert.equal(classifyFindingError("InternalException"), "retryable");
    assert.equal(classifyFindingError("LimitExceededException"), "retryable");
  });
  it("treats an unknown code as permanent rather than looping", () =>
    assert.equal(classifyFindingError("FindingSizeExceeded"), "permanent"));
});

describe("withRetries", () => {
  function hooks() {
    const slept: number[] = [];
    const retried: unknown[] = [];
    return {
      slept,
      retried,
      hooks: {
        sleep: async (ms: number) => {
          slept.push(ms);
        },
        random: () => 0.5,
        onRetry: (error: unknown) => {
          retried.push(error);
        },
      },
    };
  }

  it("retries throttling and transient errors, then returns the result", async () => {
    const h = hooks();
    let calls = 0;
    const result = await withRetries(
      async () => {
        calls++;
        if (calls === 1) throw new ThrottlingError("429");
        if (calls === 2) throw new TransientError("503");
        return "ok";
      },
      POLICY,
      h.hooks,
    );
    assert.equal(result, "ok");
    assert.equal(calls, 3);
    assert.deepEqual(h.slept, [50, 100]);
    assert.equal(h.retried.length, 2);
  });

  it("gives up after maxAttempts and throws the last error", async () => {
    const h = hooks();
    let calls = 0;
    await assert.rejects(
      withRetries(
        async () => {
          calls++;
          throw new ThrottlingError(`429 #${calls}`);
        },
        POLICY,
        h.hooks,
      ),
      /429 #4/,
    );
    assert.equal(calls, 4);
  });

  it("never retries a permanent error", async () => {
    let calls = 0;
    await assert.rejects(
      withRetries(
        async () => {
          calls++;
          throw new InputError("bad");
        },
        POLICY,
        hooks().hooks,
      ),
      InputError,
    );
    assert.equal(calls, 1);
  });

  it("never retries an unknown error (a bug, not a hiccup)", async () => {
    let calls = 0;
    await assert.rejects(
      withRetries(
        async () => {
          calls++;
          throw new TypeError("oops");
        },
        POLICY,
        hooks().hooks,
      ),
      TypeError,
    );
    assert.equal(calls, 1);
  });
});
