/**
 * Starts `moto_server` (Python moto, on PATH) on a free loopback port for tests and benchmarks,
 * waits until it answers HTTP, and stops it again. One server serves every moto-emulated service
 * (SQS, DynamoDB, EventBridge, S3, a thin Security Hub); clients point their endpoint at it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";

/** A running moto_server. */
export interface MotoServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`: use as every SDK client's `endpoint`. */
  readonly endpoint: string;
  /** Process id of moto_server (for CPU and memory figures in benchmarks). */
  readonly pid: number;
  /** Stops the server and waits for the process to exit. Safe to call twice. */
  stop(): Promise<void>;
}

/** Options for {@link startMoto}. */
export interface StartMotoOptions {
  /**
   * How long to wait for the server to answer before giving up.
   * @default 30000
   */
  readonly readyTimeoutMs?: number;
  /**
   * The executable to run.
   * @default "moto_server"
   */
  readonly command?: string;
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error("could not obtain a free port"));
        return;
      }
      const { port } = address;
      server.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

async function waitUntilReady(endpoint: string, child: ChildProcess, timeoutMs: number, log: () => string) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`moto_server exited early (code ${child.exitCode}): ${log()}`);
    }
    try {
      // moto's own management API answers as soon as the WSGI app is up.
      const response = await fetch(`${endpoint}/moto-api/data.json`);
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not listening yet: poll again
    }
    if (Date.now() > deadline)
      throw new Error(`moto_server did not answer on ${endpoint} within ${timeoutMs} ms: ${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Starts `moto_server` on a free 127.0.0.1 port. A port taken between choosing and binding
 * (another test grabbed it) is retried with a new port.
 */
export async function startMoto(options: StartMotoOptions = {}): Promise<MotoServer> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const child = spawn(options.command ?? "moto_server", ["-H", "127.0.0.1", "-p", String(port)], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, PYTHONUNBUFFERED: "1" },
    });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      // keep only the tail: moto logs every request
      stderr = (stderr + chunk.toString("utf8")).slice(-4000);
    });
    const stop = async (): Promise<void> => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited(child);
        clearTimeout(timer);
      }
    };
    try {
      await waitUntilReady(endpoint, child, readyTimeoutMs, () => stderr);
      return { endpoint, pid: child.pid ?? 0, stop };
    } catch (error) {
      lastError = error;
      await stop();
    }
  }
  throw lastError;
}
