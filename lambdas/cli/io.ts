/** What a CLI command may touch of the outside world; tests pass their own. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/** A CLI command: parses its own arguments and returns the process exit code. */
export interface CliCommand {
  readonly name: string;
  /** One line for `shadowhub --help`. */
  readonly summary: string;
  /** Full usage text for `shadowhub COMMAND --help`. */
  readonly usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}
