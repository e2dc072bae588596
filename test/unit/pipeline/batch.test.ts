import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_IMPORT_REQUEST_BYTES } from "../../../lambdas/core/asff/limits.ts";
import { batchFindings, REQUEST_ENVELOPE_BYTES } from "../../../lambdas/core/pipeline/batch.ts";
import { ACCOUNT, finding, keyOf } from "./factories.ts";

function items(count: number, make = (i: number) => finding(`f-${i}`)) {
  return Array.from({ length: count }, (_, i) => {
    const f = make(i);
    return { key: keyOf(f), finding: f };
  });
}

describe("batchFindings", () => {
  it("puts exactly 100 findings in one call", () => {
    const batches = batchFindings(items(100));
    assert.equal(batches.length, 1);
    assert.equal(batches[0]?.items.length, 100);
  });

  it("starts a second call at the 101st finding", () => {
    assert.deepEqual(
      batchFindings(items(101)).map((b) => b.items.length),
      [100, 1],
    );
  });

  it("reports the exact body size of each call", () => {
    for (const batch of batchFindings(items(7))) {
      const body = JSON.stringify({ Findings: batch.items.map((i) => i.finding) });
      assert.equal(batch.bytes, Buffer.byteLength(body));
    }
  });

  it("reports the exact size of each call's largest finding", () => {
    const batches = batchFindings(
      items(150, (i) => ({ ...finding(`f-${i}`), Title: `t${"é".repeat((i * 37) % 200)}` })),
    );
    assert.equal(batches.length, 2);
    for (const batch of batches) {
      const sizes = batch.items.map((i) => Buffer.byteLength(JSON.stringify(i.finding)));
      assert.equal(batch.largestFindingBytes, Math.max(...sizes));
    }
  });

  it("fills a call up to exactly 6 MB and no further", () => {
    const padding = (size: number) => (i: number) => finding(`f-${i}`, { Description: "é".repeat(size) });
    const one = Buffer.byteLength(JSON.stringify(padding(100_000)(0)));
    // Size the third finding so that the body of the three is exactly the limit (2 commas).
    const remaining = MAX_IMPORT_REQUEST_BYTES - REQUEST_ENVELOPE_BYTES - 2 * one - 2;
    const base = Buffer.byteLength(JSON.stringify(padding(0)(2)));
    const exact = [...items(2, padding(100_000))];
    const filler = finding("f-2", { Description: "x".repeat(remaining - base) });
    exact.push({ key: keyOf(filler), finding: filler });
    const batchesAtLimit = batchFindings(exact, { maxBytes: MAX_IMPORT_REQUEST_BYTES });
    assert.equal(batchesAtLimit.length, 1);
    assert.equal(batchesAtLimit[0]?.bytes, MAX_IMPORT_REQUEST_BYTES);
    const over = finding("f-2", { Description: "x".repeat(remaining - base + 1) });
    const overItems = [...items(2, padding(100_000)), { key: keyOf(over), finding: over }];
    assert.deepEqual(
      batchFindings(overItems).map((b) => b.items.length),
      [2, 1],
    );
  });

  it("cuts by bytes before count when findings are large", () => {
    const big = items(100, (i) => finding(`f-${i}`, { Description: "x".repeat(200 * 1024) }));
    const batches = batchFindings(big);
    assert.ok(batches.length > 1);
    for (const b of batches) assert.ok(b.bytes <= MAX_IMPORT_REQUEST_BYTES);
    assert.equal(
      batches.reduce((n, b) => n + b.items.length, 0),
      100,
    );
  });

  it("groups by account and by the Region of the ProductArn, keeping order within a group", () => {
    const west = "arn:aws:securityhub:us-west-2:123456789012:product/123456789012/default";
    const mixed = [
      finding("a"),
      finding("b", { ProductArn: west }),
      finding("c", { AwsAccountId: "210987654321" }),
      finding("d"),
    ].map((f) => ({
      key: { ...keyOf(f), region: f.ProductArn === west ? "us-west-2" : "us-east-1" },
      finding: f,
    }));
    const batches = batchFindings(mixed);
    assert.deepEqual(
      batches.map((b) => [b.accountId, b.region, b.items.map((i) => i.finding.Id)]),
      [
        [ACCOUNT, "us-east-1", ["a", "d"]],
        [ACCOUNT, "us-west-2", ["b"]],
        ["210987654321", "us-east-1", ["c"]],
      ],
    );
  });

  it("never puts two findings with the same Id in one call", () => {
    const other = "arn:aws:securityhub:us-east-1:123456789012:product/vendor/tool";
    const twins = [finding("same"), finding("same", { ProductArn: other })].map((f) => ({
      key: keyOf(f),
      finding: f,
    }));
    assert.deepEqual(
      batchFindings(twins).map((b) => b.items.length),
      [1, 1],
    );
  });

  it("returns no call for no findings", () => {
    assert.deepEqual(batchFindings([]), []);
  });
});
