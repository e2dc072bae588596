/**
 * A `CliIo` for CLI tests: stdout and stderr are kept in memory and read back as text, the
 * environment and working directory are the test's.
 */
import { Writable } from "node:stream";
import type { CliIo } from "../../lambdas/cli/io.ts";

/** A `CliIo` whose output can be read back. */
export interface CapturedIo extends CliIo {
  /** Everything written to stdout so far. */
  out(): string;
  /** Everything written to stderr so far. */
  err(): string;
}

/** A stream that keeps what is written; decoded once at the end, so a UTF-8 sequence split across writes stays whole. */
function memorySink(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk);
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString("utf8") };
}

/** Captures a command's output; `cwd` defaults to the process's, `env` to an empty environment. */
export function captureIo(
  options: { readonly cwd?: string; readonly env?: Readonly<Record<string, string | undefined>> } = {},
): CapturedIo {
  const stdout = memorySink();
  const stderr = memorySink();
  return {
    stdout: stdout.stream,
    stderr: stderr.stream,
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    out: stdout.text,
    err: stderr.text,
  };
}
