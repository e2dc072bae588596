/**
 * Child process of the hostile-input tests: runs one entry point on one input in a fresh process
 * and prints `{memory, result}` as its last stdout line, so the parent can bound the peak RSS
 * that input caused without the noise of the test runner's own heap.
 *
 * Modes:
 * - `cli {argv, cwd}`: `main(argv, io)` in process (the command modules are loaded before the
 *   baseline is taken); result `{code, stdout, stderr}` (stdout cut at 1 MB, its size counted);
 * - `ingest {bodies}`: the real ingest handler (configured from `process.env`, as in Lambda) on
 *   one SQS event holding one record per body; result `{failed: [index…], errors: [text…]}`.
 */
import { PassThrough } from "node:stream";
import { main } from "../../lambdas/cli/main.ts";
import { createIngestHandler } from "../../lambdas/handlers/ingest.ts";
import type { Observability } from "../../lambdas/handlers/observability.ts";
import { sqsRecord } from "../helpers/handler-factories.ts";

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

function sink(limit: number): { stream: PassThrough; text(): string; bytes(): number } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  let bytes = 0;
  stream.on("data", (c: Buffer) => {
    if (bytes < limit) chunks.push(c);
    bytes += c.length;
  });
  return { stream, text: () => Buffer.concat(chunks).toString("utf8"), bytes: () => bytes };
}

async function work(mode: string, args: unknown): Promise<unknown> {
  if (mode === "cli") {
    const { argv, cwd } = args as { argv: string[]; cwd: string };
    const out = sink(1024 * 1024);
    const err = sink(1024 * 1024);
    const code = await main(argv, { stdout: out.stream, stderr: err.stream, env: {}, cwd });
    return { code, stdout: out.text(), stdoutBytes: out.bytes(), stderr: err.text() };
  }
  if (mode === "ingest") {
    const { bodies } = args as { bodies: string[] };
    const errors: string[] = [];
    const observability: Observability = {
      logger: {
        info: () => {},
        warn: (message, extra) => void errors.push(`${message} ${JSON.stringify(extra?.error ?? "")}`),
        error: (message, extra) => void errors.push(`${message} ${JSON.stringify(extra?.error ?? "")}`),
      },
      metrics: { count: () => {} },
      flush: () => {},
    };
    const handler = createIngestHandler(process.env, { observability });
    try {
      const response = await handler({
        Records: bodies.map((body, index) => sqsRecord({ body, messageId: `hostile-${index}` })),
      });
      const failed = response.batchItemFailures.map((f) => Number(f.itemIdentifier.replace("hostile-", "")));
      return { failed, errors };
    } finally {
      await handler.close();
    }
  }
  throw new Error(`unknown mode ${mode}`);
}

const [mode = "", rawArgs = "{}"] = process.argv.slice(2);
// Load every module the run needs before the baseline, so the figures are the input's alone.
await Promise.all([
  import("../../lambdas/cli/commands/convert.ts"),
  import("../../lambdas/cli/commands/import.ts"),
  import("../../lambdas/cli/commands/validate.ts"),
]);
gc();
const rssBefore = process.memoryUsage().rss;
const heapBefore = process.memoryUsage().heapUsed;
const result = await work(mode, JSON.parse(rawArgs));
gc();
const heapAfter = process.memoryUsage().heapUsed;
const maxRss = process.resourceUsage().maxRSS * 1024;
process.stdout.write(
  `\n${JSON.stringify({ memory: { rssBefore, maxRss, heapBefore, heapAfter }, result })}\n`,
);
