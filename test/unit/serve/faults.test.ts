import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FaultInjector, parseFault } from "../../../lambdas/serve/faults.ts";

describe("FaultInjector", () => {
  it("fires a call fault for its operation only, the configured number of times", () => {
    const f = new FaultInjector();
    f.add({ kind: "throttle", operation: "GetFindings", times: 2 });
    assert.equal(f.forCall("BatchImportFindings").kind, "none");
    assert.equal(f.forCall("GetFindings").kind, "error");
    assert.equal(f.forCall("GetFindings").kind, "error");
    assert.equal(f.forCall("GetFindings").kind, "none");
  });

  it("a call fault without an operation applies to any operation", () => {
    const f = new FaultInjector();
    f.add({ kind: "reset" });
    assert.deepEqual(f.forCall("DescribeHub"), { kind: "reset" });
    assert.equal(f.list().length, 0);
  });

  it("maps throttle to 429 TooManyRequestsException and internal to 500 InternalException", () => {
    const f = new FaultInjector();
    f.add({ kind: "throttle" });
    f.add({ kind: "internal" });
    const a = f.forCall("GetFindings");
    const b = f.forCall("GetFindings");
    assert.ok(
      a.kind === "error" && a.error.code === "TooManyRequestsException" && a.error.httpStatus === 429,
    );
    assert.ok(b.kind === "error" && b.error.code === "InternalException" && b.error.httpStatus === 500);
  });

  it("finding faults match by Id and are consumed only by calls that name one of their Ids", () => {
    const f = new FaultInjector();
    f.add({ kind: "finding", operation: "BatchImportFindings", ids: ["a", "b"], errorCode: "InvalidAccess" });
    assert.equal(f.forFindings("BatchImportFindings", ["x"]).size, 0);
    assert.equal(f.forFindings("BatchUpdateFindings", ["a"]).size, 0);
    const hit = f.forFindings("BatchImportFindings", ["b", "c"]);
    assert.deepEqual(
      [...hit.entries()],
      [["b", { errorCode: "InvalidAccess", errorMessage: "Injected failure" }]],
    );
    assert.equal(f.forFindings("BatchImportFindings", ["a"]).size, 0);
  });
});

describe("parseFault", () => {
  const bad: [unknown, RegExp][] = [
    [[], /must be a JSON object/],
    [{ kind: "explode" }, /fault\.kind/],
    [{ kind: "throttle", times: 0 }, /fault\.times/],
    [{ kind: "throttle", operation: "Nope" }, /fault\.operation/],
    [{ kind: "finding", operation: "GetFindings", ids: ["a"], errorCode: "X" }, /fault\.operation/],
    [{ kind: "finding", operation: "BatchImportFindings", ids: [], errorCode: "X" }, /fault\.ids/],
    [{ kind: "finding", operation: "BatchImportFindings", ids: ["a"] }, /fault\.errorCode/],
    [{ kind: "timeout", holdMs: -1 }, /fault\.holdMs/],
  ];
  for (const [value, message] of bad) {
    it(`rejects ${JSON.stringify(value)} with a 400 naming the field`, () => {
      assert.throws(
        () => parseFault(value),
        (e: Error & { httpStatus?: number }) => message.test(e.message) && e.httpStatus === 400,
      );
    });
  }
  it("accepts a well-formed finding fault", () => {
    const fault = {
      kind: "finding",
      operation: "BatchUpdateFindings",
      ids: ["a"],
      errorCode: "ConcurrentUpdateError",
    };
    assert.deepEqual(parseFault(fault), fault);
  });
});
