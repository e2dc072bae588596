/**
 * `shadowhub serve`: runs the Security Hub-compatible local endpoint until SIGINT/SIGTERM.
 * Thin wiring: options → `openLocalHub` + `startServer`.
 */
import { resolve } from "node:path";
import { openLocalHub } from "../../adapters/local-hub/local-hub.ts";
import { describeError } from "../../core/errors.ts";
import { DEFAULT_ACCOUNT_ID, startServer } from "../../serve/server.ts";
import type { CliCommand, CliIo } from "../io.ts";

/** The port `shadowhub serve` listens on without `--port`. */
export const DEFAULT_SERVE_PORT = 9449;

const USAGE = `Usage: shadowhub serve [options]

Runs a local AWS Security Hub (CSPM) endpoint speaking the service's REST-JSON protocol, so
the AWS SDKs and CLI work against it with an endpoint override (any credentials; the Region
comes from the request signature). Implements BatchImportFindings, BatchUpdateFindings,
GetFindings, EnableSecurityHub, DisableSecurityHub, DescribeHub,
EnableImportFindingsForProduct, DisableImportFindingsForProduct, ListEnabledProductsForImport.

Options:
  --port N                    TCP port (0 = any free port)             [default: ${DEFAULT_SERVE_PORT}]
  --host ADDR                 interface to listen on                   [default: 127.0.0.1]
  --state DIR                 keep state in DIR/local-hub.sqlite       [default: in memory]
  --account ID                the caller's 12-digit account id         [default: ${DEFAULT_ACCOUNT_ID}]
  --quota                     enforce Security Hub's quotas (BatchImportFindings 10/s, burst 30)
  --events-file FILE          append "Security Hub Findings - Imported" events as JSON lines
  --eventbridge-endpoint URL  send the events with PutEvents to this EventBridge endpoint
  --event-bus NAME            EventBridge bus for the events           [default: default]
  --eventbridge-region R      Region of the EventBridge client         [default: us-east-1]
  --no-auto-enable            accounts start with Security Hub disabled (call EnableSecurityHub)
  -h, --help                  show this help

Stop with Ctrl-C (SIGINT) or SIGTERM.
`;

interface ServeArgs {
  port: number;
  host: string;
  state?: string;
  account: string;
  quota: boolean;
  eventsFile?: string;
  eventBridgeEndpoint?: string;
  eventBus?: string;
  eventBridgeRegion?: string;
  autoEnable: boolean;
}

class UsageError extends Error {}

function parseArgs(args: readonly string[], cwd: string): ServeArgs {
  const out: ServeArgs = {
    port: DEFAULT_SERVE_PORT,
    host: "127.0.0.1",
    account: DEFAULT_ACCOUNT_ID,
    quota: false,
    autoEnable: true,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const [flag, inline] =
      arg.startsWith("--") && arg.includes("=")
        ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
        : [arg, undefined];
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined || v === "") throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--port": {
        const v = value();
        const port = Number(v);
        if (!Number.isInteger(port) || port < 0 || port > 65535)
          throw new UsageError(`--port: '${v}' is not a port number (0-65535)`);
        out.port = port;
        break;
      }
      case "--host":
        out.host = value();
        break;
      case "--state":
        out.state = resolve(cwd, value());
        break;
      case "--account": {
        const v = value();
        if (!/^\d{12}$/.test(v)) throw new UsageError(`--account: '${v}' is not a 12-digit AWS account id`);
        out.account = v;
        break;
      }
      case "--quota":
        out.quota = true;
        break;
      case "--events-file":
        out.eventsFile = resolve(cwd, value());
        break;
      case "--eventbridge-endpoint": {
        const v = value();
        if (!/^https?:\/\//.test(v))
          throw new UsageError(`--eventbridge-endpoint: '${v}' is not an http(s) URL`);
        out.eventBridgeEndpoint = v;
        break;
      }
      case "--event-bus":
        out.eventBus = value();
        break;
      case "--eventbridge-region":
        out.eventBridgeRegion = value();
        break;
      case "--no-auto-enable":
        out.autoEnable = false;
        break;
      default:
        throw new UsageError(`unknown option '${arg}'`);
    }
  }
  if (out.eventBus !== undefined && out.eventBridgeEndpoint === undefined) {
    throw new UsageError("--event-bus needs --eventbridge-endpoint");
  }
  return out;
}

/**
 * Runs `serve` with `args` until `stop` resolves (the CLI passes a promise settled by
 * SIGINT/SIGTERM). Returns the exit code.
 */
export async function runServe(args: string[], io: CliIo, stop: Promise<unknown>): Promise<number> {
  let options: ServeArgs;
  try {
    options = parseArgs(args, io.cwd);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`shadowhub serve: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
  const log = (line: string) => io.stderr.write(`${line}\n`);
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    const hub = await openLocalHub({
      ...(options.state === undefined ? {} : { stateDir: options.state }),
      autoEnable: options.autoEnable,
      ...(options.eventsFile === undefined ? {} : { eventsFile: options.eventsFile }),
      ...(options.eventBridgeEndpoint === undefined
        ? {}
        : {
            eventBridge: {
              endpoint: options.eventBridgeEndpoint,
              eventBusName: options.eventBus ?? "default",
              region: options.eventBridgeRegion ?? "us-east-1",
            },
          }),
      log,
    });
    try {
      server = await startServer({
        hub,
        host: options.host,
        port: options.port,
        accountId: options.account,
        quota: options.quota,
        log,
      });
    } catch (error) {
      await hub.close();
      throw error;
    }
  } catch (error) {
    io.stderr.write(
      `shadowhub serve: could not start on ${options.host}:${options.port}: ${describeError(error)}\n`,
    );
    return 1;
  }
  io.stdout.write(
    [
      `shadowhub serve: Security Hub endpoint listening on ${server.url}`,
      `  account ${options.account}, state ${options.state ?? "in memory"}, quota ${options.quota ? "on" : "off"}, auto-enable ${options.autoEnable ? "on" : "off"}`,
      "",
      "Try it:",
      "  AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 \\",
      `    aws securityhub get-findings --max-results 10 --endpoint-url ${server.url}`,
      "",
      "Stop with Ctrl-C.",
      "",
    ].join("\n"),
  );
  await stop;
  io.stdout.write("shadowhub serve: stopping\n");
  await server.close();
  await server.hub.close?.();
  return 0;
}

/** `shadowhub serve`. */
export const serveCommand: CliCommand = {
  name: "serve",
  summary: "Run the Security Hub-compatible local endpoint (REST-JSON, for the AWS SDK and CLI)",
  usage: USAGE,
  run(args, io) {
    const stop = new Promise<void>((resolveStop) => {
      const onSignal = () => {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        resolveStop();
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
    });
    return runServe(args, io, stop);
  },
};
