/**
 * `serve`'s JSON answers: the piecewise encoding must produce exactly `JSON.stringify`'s text,
 * and pooled buffers must never mix up answers sent at the same time.
 */
import assert from "node:assert/strict";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import fc from "fast-check";
import { jsonPieces, sendJson } from "../../../lambdas/serve/protocol.ts";

function get(port: number, path: string): Promise<{ body: string; length: string | undefined }> {
  return new Promise((resolve, reject) => {
    request({ host: "127.0.0.1", port, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ body: Buffer.concat(chunks).toString("utf8"), length: res.headers["content-length"] }),
      );
      res.on("error", reject);
    })
      .on("error", reject)
      .end();
  });
}

describe("JSON answers", () => {
  it("joins its pieces into exactly JSON.stringify's text for any value", () => {
    const withOddMembers = fc.record({
      Findings: fc.array(fc.oneof(fc.jsonValue(), fc.constant(undefined)), { maxLength: 5 }),
      Skipped: fc.constant(undefined),
      When: fc.date({ noInvalidDate: true }),
      Other: fc.anything(),
    });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything({ withBoxedValues: true, withNullPrototype: true }),
          fc.jsonValue(),
          withOddMembers,
        ),
        (value) => {
          assert.equal(jsonPieces(value)?.join(""), JSON.stringify(value));
        },
      ),
      { numRuns: 500, seed: 20261125 },
    );
  });

  it("sends large answers (pooled buffers) byte for byte, with the right length, when several are in flight at once", async () => {
    // Multi-byte characters make the UTF-8 length differ from the string length.
    const page = (n: number) => ({
      Findings: Array.from({ length: 100 }, (_, i) => ({
        Id: `${n}-${i}`,
        Title: `ü€😀 ${"x".repeat(2000)} ${n}`,
      })),
      NextToken: `token-${n}`,
    });
    const server = createServer((req, res) => {
      const n = Number(req.url?.slice(1));
      sendJson(res, 200, page(n), `req-${n}`);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      for (let round = 0; round < 3; round++) {
        const answers = await Promise.all(Array.from({ length: 8 }, (_, n) => get(port, `/${n}`)));
        answers.forEach((answer, n) => {
          const expected = JSON.stringify(page(n));
          assert.equal(answer.body, expected);
          assert.equal(answer.length, String(Buffer.byteLength(expected)));
        });
      }
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
