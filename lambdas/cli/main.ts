/**
 * `shadowhub` command line: one front end of the pipeline. Each command lives in
 * `commands/<name>.ts` and is loaded only when used, so `--help` and small commands start fast.
 */
import type { CliCommand, CliIo } from "./io.ts";
import { processIo } from "./io.ts";

interface CommandEntry {
  readonly summary: string;
  readonly load: () => Promise<CliCommand>;
}

const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  serve: {
    summary: "Run the Security Hub-compatible local endpoint (REST-JSON, for the AWS SDK and CLI)",
    load: async () => (await import("./commands/serve.ts")).serveCommand,
  },
  validate: {
    summary: 'Validate ASFF findings offline (a finding, an array, or {"Findings": [...]})',
    load: async () => (await import("./commands/validate.ts")).validateCommand,
  },
  convert: {
    summary: "Convert scanner reports (Trivy, Grype, SARIF, ZAP, ASFF) to ASFF findings",
    load: async () => (await import("./commands/convert.ts")).convertCommand,
  },
  import: {
    summary: "Import scanner reports into Security Hub (local by default) through the shadow plan",
    load: async () => (await import("./commands/import.ts")).importCommand,
  },
};

function overview(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    "shadowhub: scanner output to AWS Security Hub findings, done right.",
    "",
    "Usage: shadowhub COMMAND [options]",
    "",
    "Commands:",
    ...lines,
    "",
    "Run `shadowhub COMMAND --help` for a command's options.",
    "",
  ].join("\n");
}

/** Runs the CLI with `args` (without node and script) and returns the exit code. */
export async function main(args: string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(overview());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version") {
    io.stdout.write("shadowhub 0.1.0\n");
    return 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    io.stderr.write(`shadowhub: unknown command '${name}'\n\n${overview()}`);
    return 2;
  }
  const command = await entry.load();
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout.write(`${command.usage.trimEnd()}\n`);
    return 0;
  }
  return command.run(rest, io);
}
