import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { classifyRemoteFailure, classifySdkError } from "../../../lambdas/adapters/securityhub/errors.ts";
import {
  ConfigurationError,
  InputError,
  ThrottlingError,
  TransientError,
} from "../../../lambdas/core/errors.ts";
import { resolveTarget, shadowFileFor } from "../../../lambdas/pipeline/targets.ts";
import { SinkAccessError } from "../../../lambdas/ports/finding-sink.ts";

describe("classifyRemoteFailure", () => {
  const cases: [string, { code?: string; httpStatus?: number }, new (...args: never[]) => Error][] = [
    ["429 without a code", { httpStatus: 429 }, ThrottlingError],
    ["TooManyRequestsException", { code: "TooManyRequestsException", httpStatus: 429 }, ThrottlingError],
    ["LimitExceededException", { code: "LimitExceededException", httpStatus: 429 }, ThrottlingError],
    ["InternalException", { code: "InternalException", httpStatus: 500 }, TransientError],
    ["503", { httpStatus: 503 }, TransientError],
    ["InvalidInputException", { code: "InvalidInputException", httpStatus: 400 }, InputError],
    ["413 body too large", { code: "RequestEntityTooLargeException", httpStatus: 413 }, InputError],
    ["InvalidAccessException", { code: "InvalidAccessException", httpStatus: 401 }, SinkAccessError],
    ["AccessDeniedException", { code: "AccessDeniedException", httpStatus: 403 }, SinkAccessError],
  ];
  for (const [name, failure, expected] of cases) {
    it(`classifies ${name} as ${expected.name}`, () => {
      const error = classifyRemoteFailure({ ...failure, message: "m" }, "BatchImportFindings", "target");
      assert.ok(error instanceof expected, `${error.constructor.name}`);
      assert.match(error.message, /BatchImportFindings to target failed/);
    });
  }

  it("keeps the access code the summary counts", () => {
    const e = classifyRemoteFailure({ code: "InvalidAccessException", message: "not subscribed" }, "op", "t");
    assert.equal((e as SinkAccessError).errorCode, "InvalidAccess");
  });
});

describe("classifySdkError", () => {
  it("treats a network error without an HTTP status as transient", () => {
    const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    assert.ok(classifySdkError(reset, "op", "t") instanceof TransientError);
  });

  it("treats an SDK time-out as transient", () => {
    const timeout = Object.assign(new Error("timed out"), { name: "TimeoutError" });
    assert.ok(classifySdkError(timeout, "op", "t") instanceof TransientError);
  });

  it("reads the exception name and status of a service exception", () => {
    const e = Object.assign(new Error("Too Many Requests"), {
      name: "TooManyRequestsException",
      $metadata: { httpStatusCode: 429 },
    });
    assert.ok(classifySdkError(e, "op", "t") instanceof ThrottlingError);
  });
});

describe("resolveTarget", () => {
  it("defaults to the local hub without settings", () =>
    assert.deepEqual(resolveTarget(undefined, {}), { kind: "local" }));
  it("uses AWS_ENDPOINT_URL_SECURITYHUB when no --target is given", () =>
    assert.deepEqual(resolveTarget(undefined, { AWS_ENDPOINT_URL_SECURITYHUB: "http://127.0.0.1:9/" }), {
      kind: "url",
      url: "http://127.0.0.1:9",
    }));
  it("never selects AWS from credentials alone", () =>
    assert.deepEqual(resolveTarget(undefined, { AWS_ACCESS_KEY_ID: "AKID", AWS_PROFILE: "p" }), {
      kind: "local",
    }));
  it("rejects anything else with the expected forms", () =>
    assert.throws(
      () => resolveTarget("s3://bucket", {}),
      (e) => e instanceof ConfigurationError && /local, aws or an http/.test(e.message),
    ));
  it("gives every target its own shadow file", () => {
    const files = new Set(
      [
        resolveTarget("local", {}),
        resolveTarget("aws", {}),
        resolveTarget("http://a:1", {}),
        resolveTarget("http://b:1", {}),
      ].map((t) => shadowFileFor(t, "/state")),
    );
    assert.equal(files.size, 4);
  });
});
