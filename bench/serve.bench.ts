/**
 * Benchmark of `shadowhub serve` (issue 2, item 4): import 100,000 findings (1,000 calls of 100)
 * with the quota off through the real SDK client over HTTP, then 1,000 filtered GetFindings;
 * the same workload against `moto_server` in the same run, stopped at 50,000 stored findings.
 *
 * Prints findings/s, p50/p99 per call, the import rate per tenth of the run (to show whether it
 * stays flat as the store grows), server CPU per call (from /proc, so the figures mean something on a
 * loaded machine), serve's peak RSS, and the
 * serve/moto ratio at 50,000 stored findings.
 *
 * Both servers first take 20,000 warm-up findings into another Region's hub (`--warmup N`), so that
 * the tenths of the measured import show the store's growth rather than the process warming up.
 *
 * Two import calls are in flight at once by default (`--concurrency`), as a multi-worker importer
 * sends them: the client's own CPU (~5–7 ms per call in the SDK) then overlaps the server's work
 * instead of adding to it. moto_server gets exactly the same client and concurrency. GetFindings
 * are sent one at a time. `--concurrency 1` gives the strictly sequential figures.
 *
 * Run alone: `node --import tsx bench/serve.bench.ts [--findings N] [--moto-stop N] [--store sqlite|memory] [--no-moto] [--in-process] [--concurrency N] [--warmup N] [--serve-node-args "--cpu-prof ..."] [--json]`;
 * for `bench/run.ts`: `serveBenchMetrics(options)` (or `benchServe` then `serveBenchFigures`).
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import {
  type AwsSecurityFinding,
  BatchImportFindingsCommand,
  GetFindingsCommand,
  type GetFindingsCommandInput,
  SecurityHubClient,
} from "@aws-sdk/client-securityhub";
import { startServer } from "../lambdas/serve/server.ts";
import { startMoto } from "../test/helpers/moto.ts";

/** Options of {@link benchServe}. */
export interface ServeBenchOptions {
  /** Findings to import into serve. @default 100000 */
  readonly findings?: number;
  /** Stop the moto run once it holds this many findings; 0 skips moto. @default 50000 */
  readonly motoStopAt?: number;
  /** Filtered GetFindings calls after the import. @default 1000 */
  readonly getFindingsCalls?: number;
  /** serve's store. @default "sqlite" */
  readonly store?: "sqlite" | "memory";
  /** Run serve inside this process instead of as `shadowhub serve`. @default false */
  readonly inProcess?: boolean;
  /** Extra Node.js options for the `shadowhub serve` child (e.g. `--cpu-prof`). @default none */
  readonly serveNodeArgs?: readonly string[];
  /**
   * Import calls in flight at once, the same for serve and moto (one SDK client, as a
   * multi-worker importer sends). GetFindings are always sent one at a time (their latency is a
   * target). @default 2
   */
  readonly concurrency?: number;
  /**
   * Findings imported before the measured run into another Region's hub of the same server (in
   * calls of 100), so that the tenths compare the store's growth and not the process warming up
   * (JIT compilation and heap sizing: a fresh serve spends 1.5–2× the steady CPU per call on its
   * first ~20,000 findings, whatever its store holds). The measured hub still grows from 0 to
   * `findings`. moto gets the same warm-up. @default 20000
   */
  readonly warmupFindings?: number;
  /** Progress and result lines. @default console.log */
  readonly log?: (line: string) => void;
}

/** Figures of one endpoint. */
export interface EndpointFigures {
  readonly imported: number;
  readonly importSeconds: number;
  readonly findingsPerSecond: number;
  readonly importP50Ms: number;
  readonly importP99Ms: number;
  /** findings/s in each tenth of the import (flat = the store's size does not slow imports). */
  readonly findingsPerSecondByTenth: readonly number[];
  /** findings/s over the calls that took the store from 40,000 to 50,000 findings (moto's last tenth). */
  readonly findingsPerSecondNear50k?: number;
  readonly getFindingsP50Ms: number;
  readonly getFindingsP99Ms: number;
  /** CPU time of this process per import call / per GetFindings (client + in-process serve; not moto's). */
  readonly importCpuMsPerCall: number;
  readonly getFindingsCpuMsPerCall: number;
  /** CPU time of the server process (serve or moto_server) per import call and per GetFindings; absent off Linux. */
  readonly serverImportCpuMsPerCall?: number;
  readonly serverGetFindingsCpuMsPerCall?: number;
  /** Server CPU per import call over the 40,000→50,000 stretch. */
  readonly serverCpuMsPerCallNear50k?: number;
  /** Server CPU per import call in each tenth of the import (flat = the store's size does not slow imports). */
  readonly serverCpuMsPerCallByTenth?: readonly number[];
  /** CPU of this process (the SDK client; serve too when in-process) per import call in each tenth. */
  readonly clientCpuMsPerCallByTenth: readonly number[];
}

/** One figure for `bench/run.ts`: a name, a value and its unit; `baseline` is the target where there is one. */
export interface BenchFigure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline?: number;
  readonly ratio?: number;
}

/** CPU time (user + system) a process has used so far, in ms, from /proc; undefined off Linux. */
function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields 14 and 15 (utime, stime) in clock ticks; the command name may contain spaces, so split after ')'.
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(")")[1]?.trim().split(" ") ?? [];
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}

/** Result of {@link benchServe}. */
export interface ServeBenchResult {
  readonly serve: EndpointFigures;
  readonly moto?: EndpointFigures;
  /** serve ÷ moto import rate over the same 40,000→50,000 stretch. */
  readonly ratioAt50k?: number;
  readonly peakRssMb: number;
  /** Import calls in flight at once (serve and moto alike). */
  readonly concurrency: number;
  /** Findings imported into another Region's hub before the measured run. */
  readonly warmupFindings: number;
}

const ACCOUNT = "123456789012";
const REGION = "us-east-1";
const PRODUCT_ARN = `arn:aws:securityhub:${REGION}:${ACCOUNT}:product/${ACCOUNT}/default`;
const LABELS = ["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"] as const;
const GENERATORS = 200;

/** The account and Region of the benchmark's findings (shared with `local-hub-import.bench.ts`). */
export const BENCH_ACCOUNT = ACCOUNT;
export const BENCH_REGION = REGION;

/** A realistic synthetic finding: a CVE in a package of an image, ~1.5 KB of JSON. */
export function syntheticFinding(i: number): AwsSecurityFinding {
  return {
    SchemaVersion: "2018-10-08",
    Id: `bench/image-${i % 500}/CVE-2024-${String(i).padStart(6, "0")}`,
    ProductArn: PRODUCT_ARN,
    GeneratorId: `trivy/CVE-rule-${i % GENERATORS}`,
    AwsAccountId: ACCOUNT,
    CreatedAt: "2026-01-01T00:00:00.000Z",
    UpdatedAt: new Date(Date.UTC(2026, 0, 2) + i * 1000).toISOString(),
    Title: `CVE-2024-${String(i).padStart(6, "0")} in openssl 3.0.${i % 20}`,
    Description:
      "A flaw was found in the handling of certificates that allows a remote attacker to cause a denial of service via a crafted input.",
    FindingProviderFields: {
      Severity: { Label: LABELS[i % 5], Original: LABELS[i % 5] },
      Types: ["Software and Configuration Checks/Vulnerabilities/CVE"],
    },
    Resources: [
      {
        Type: "Container",
        Id: `registry.example.com/app-${i % 500}@sha256:${String(i % 500).padStart(64, "0")}`,
        Partition: "aws",
        Region: REGION,
      },
    ],
    Vulnerabilities: [
      {
        Id: `CVE-2024-${String(i).padStart(6, "0")}`,
        VulnerablePackages: [{ Name: "openssl", Version: `3.0.${i % 20}`, FixedInVersion: "3.0.99" }],
        ReferenceUrls: [`https://nvd.nist.gov/vuln/detail/CVE-2024-${String(i).padStart(6, "0")}`],
      },
    ],
    ProductFields: { "shadowhub/bench/index": String(i) },
  } as AwsSecurityFinding;
}

const WARMUP_REGION = "us-west-2";
const WARMUP_PRODUCT_ARN = `arn:aws:securityhub:${WARMUP_REGION}:${ACCOUNT}:product/${ACCOUNT}/default`;

/** {@link syntheticFinding} for the warm-up hub: another Region, so the measured hub starts empty. */
function warmupFinding(i: number): AwsSecurityFinding {
  const finding = syntheticFinding(i);
  return {
    ...finding,
    Id: `warmup/${finding.Id}`,
    ProductArn: WARMUP_PRODUCT_ARN,
    Resources: finding.Resources?.map((resource) => ({ ...resource, Region: WARMUP_REGION })),
  };
}

/** The benchmark's SDK client for `region` (any credentials: serve and moto accept them; no retries). */
function benchClient(endpoint: string, region: string): SecurityHubClient {
  return new SecurityHubClient({
    endpoint,
    region,
    credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
    maxAttempts: 1,
  });
}

/** Imports `findings` warm-up findings into the {@link WARMUP_REGION} hub, `concurrency` calls in flight. */
async function warmUp(endpoint: string, findings: number, concurrency: number): Promise<void> {
  if (findings <= 0) return;
  const client = benchClient(endpoint, WARMUP_REGION);
  try {
    const calls = Math.ceil(findings / 100);
    let nextCall = 0;
    const worker = async () => {
      while (nextCall < calls) {
        const call = nextCall++;
        const batch = Array.from({ length: Math.min(100, findings - call * 100) }, (_, k) =>
          warmupFinding(call * 100 + k),
        );
        const out = await client.send(new BatchImportFindingsCommand({ Findings: batch }));
        if (out.FailedCount !== 0)
          throw new Error(`warm-up import failed: ${JSON.stringify(out.FailedFindings?.[0])}`);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  } finally {
    client.destroy();
  }
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/**
 * The filtered queries, in the default order (UpdatedAt descending, as the console shows them):
 * a resource's findings (200 at 100,000 stored), a rule's active findings of one severity (500),
 * one finding by Id prefix.
 */
function query(n: number, stored: number): GetFindingsCommandInput {
  const i = (n * 7919) % Math.max(1, stored);
  switch (n % 3) {
    case 0:
      return {
        Filters: {
          ResourceId: [{ Value: syntheticFinding(i).Resources?.[0]?.Id ?? "", Comparison: "EQUALS" }],
        },
        MaxResults: 100,
      };
    case 1:
      return {
        Filters: {
          GeneratorId: [{ Value: `trivy/CVE-rule-${i % GENERATORS}`, Comparison: "EQUALS" }],
          SeverityLabel: [{ Value: LABELS[i % 5] ?? "HIGH", Comparison: "EQUALS" }],
          RecordState: [{ Value: "ACTIVE", Comparison: "EQUALS" }],
        },
        MaxResults: 100,
      };
    default:
      return {
        Filters: { Id: [{ Value: syntheticFinding(i).Id ?? "", Comparison: "PREFIX" }] },
        MaxResults: 10,
      };
  }
}

async function runWorkload(
  endpoint: string,
  total: number,
  gets: number,
  sampleRss: () => void,
  log: (line: string) => void,
  label: string,
  concurrency: number,
  warmupFindings: number,
  serverPid?: number,
): Promise<EndpointFigures> {
  await warmUp(endpoint, warmupFindings, concurrency);
  const client = benchClient(endpoint, REGION);
  try {
    const calls = Math.ceil(total / 100);
    const latencies: number[] = [];
    const tenths: number[] = [];
    let tenthStart = performance.now();
    let tenthFindings = 0;
    let near50kStart = 0;
    let near50k: number | undefined;
    const start = performance.now();
    const importCpu = process.cpuUsage();
    const serverImportStart = processCpuMs(serverPid);
    let serverNear50kStart: number | undefined;
    let serverNear50k: number | undefined;
    const serverTenths: number[] = [];
    let serverTenthStart = serverImportStart;
    let tenthCalls = 0;
    const clientTenths: number[] = [];
    let clientTenthStart = process.cpuUsage();
    // `concurrency` workers take the next call in turn (a multi-worker importer); the accounting
    // below counts completed calls, so "stored" is the number of calls answered × 100.
    let nextCall = 0;
    let done = 0;
    const completed = (findingsInCall: number) => {
      done++;
      const storedAfter = done * 100;
      if (storedAfter === 40_000) {
        near50kStart = performance.now();
        serverNear50kStart = processCpuMs(serverPid);
      }
      if (storedAfter === 50_000 && near50kStart > 0) {
        near50k = 10_000 / ((performance.now() - near50kStart) / 1000);
        const now = processCpuMs(serverPid);
        if (now !== undefined && serverNear50kStart !== undefined)
          serverNear50k = (now - serverNear50kStart) / 100;
      }
      tenthFindings += findingsInCall;
      tenthCalls++;
      if (done % Math.max(1, Math.floor(calls / 10)) === 0) {
        const rate = tenthFindings / ((performance.now() - tenthStart) / 1000);
        tenths.push(Math.round(rate));
        const serverNow = processCpuMs(serverPid);
        if (serverNow !== undefined && serverTenthStart !== undefined) {
          serverTenths.push((serverNow - serverTenthStart) / tenthCalls);
        }
        const client = process.cpuUsage(clientTenthStart);
        clientTenths.push((client.user + client.system) / 1000 / tenthCalls);
        clientTenthStart = process.cpuUsage();
        serverTenthStart = serverNow;
        tenthCalls = 0;
        log(`  ${label}: ${storedAfter} stored, ${Math.round(rate)} findings/s in the last tenth`);
        tenthStart = performance.now();
        tenthFindings = 0;
        sampleRss();
      }
    };
    const importWorker = async () => {
      while (nextCall < calls) {
        const call = nextCall++;
        const findings = Array.from({ length: Math.min(100, total - call * 100) }, (_, k) =>
          syntheticFinding(call * 100 + k),
        );
        const t0 = performance.now();
        const out = await client.send(new BatchImportFindingsCommand({ Findings: findings }));
        latencies.push(performance.now() - t0);
        if (out.FailedCount !== 0)
          throw new Error(`${label}: import failed: ${JSON.stringify(out.FailedFindings?.[0])}`);
        completed(findings.length);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, importWorker));
    const importSeconds = (performance.now() - start) / 1000;
    const importCpuUsed = process.cpuUsage(importCpu);
    const serverImportEnd = processCpuMs(serverPid);
    const getCpu = process.cpuUsage();
    const getLatencies: number[] = [];
    for (let n = 0; n < gets; n++) {
      const t0 = performance.now();
      await client.send(new GetFindingsCommand(query(n, total)));
      getLatencies.push(performance.now() - t0);
    }
    const getCpuUsed = process.cpuUsage(getCpu);
    const serverGetEnd = processCpuMs(serverPid);
    sampleRss();
    latencies.sort((a, b) => a - b);
    getLatencies.sort((a, b) => a - b);
    return {
      imported: total,
      importSeconds,
      findingsPerSecond: total / importSeconds,
      importP50Ms: percentile(latencies, 50),
      importP99Ms: percentile(latencies, 99),
      findingsPerSecondByTenth: tenths,
      ...(near50k === undefined ? {} : { findingsPerSecondNear50k: near50k }),
      getFindingsP50Ms: percentile(getLatencies, 50),
      getFindingsP99Ms: percentile(getLatencies, 99),
      importCpuMsPerCall: (importCpuUsed.user + importCpuUsed.system) / 1000 / calls,
      getFindingsCpuMsPerCall: gets === 0 ? 0 : (getCpuUsed.user + getCpuUsed.system) / 1000 / gets,
      ...(serverImportStart === undefined || serverImportEnd === undefined
        ? {}
        : { serverImportCpuMsPerCall: (serverImportEnd - serverImportStart) / calls }),
      ...(serverImportEnd === undefined || serverGetEnd === undefined || gets === 0
        ? {}
        : { serverGetFindingsCpuMsPerCall: (serverGetEnd - serverImportEnd) / gets }),
      ...(serverNear50k === undefined ? {} : { serverCpuMsPerCallNear50k: serverNear50k }),
      ...(serverTenths.length === 0 ? {} : { serverCpuMsPerCallByTenth: serverTenths }),
      clientCpuMsPerCallByTenth: clientTenths,
    };
  } finally {
    client.destroy();
  }
}

/** Starts `shadowhub serve --port 0` as a child process and waits for the URL it prints. */
async function startServeProcess(
  stateDir: string | undefined,
  nodeArgs: readonly string[] = [],
): Promise<{ url: string; pid: number; close(): Promise<void> }> {
  const bin = new URL("../bin/shadowhub.mjs", import.meta.url).pathname;
  const args = [
    ...nodeArgs,
    bin,
    "serve",
    "--port",
    "0",
    ...(stateDir === undefined ? [] : ["--state", stateDir]),
  ];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "ignore"] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once("exit", (code) => reject(new Error(`shadowhub serve exited with ${code}`)));
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    url,
    pid: child.pid ?? 0,
    close: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Runs the benchmark and prints (and returns) the figures. */
export async function benchServe(options: ServeBenchOptions = {}): Promise<ServeBenchResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const total = options.findings ?? 100_000;
  const motoStopAt = options.motoStopAt ?? 50_000;
  const gets = options.getFindingsCalls ?? 1000;
  const store = options.store ?? "sqlite";
  const concurrency = options.concurrency ?? 2;
  const warmupFindings = options.warmupFindings ?? 20_000;
  let peakRss = 0;
  const sampleRss = () => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  };
  const sampleProcessRss = (pid: number) => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
      peakRss = Math.max(peakRss, kb * 1024);
    } catch {
      // not Linux: report nothing rather than a wrong figure
    }
  };
  const stateDir = store === "sqlite" ? await mkdtemp(join(tmpdir(), "shadowhub-bench-")) : undefined;
  let serveFigures: EndpointFigures;
  const inProcess = options.inProcess ?? false;
  // Like moto_server, serve runs as its own process (`shadowhub serve`), so the client's CPU is not
  // charged to it and its RSS is its own (peak from /proc/PID/status VmHWM).
  const server = inProcess
    ? await startServer({ hubOptions: stateDir === undefined ? {} : { stateDir }, log: () => undefined })
    : await startServeProcess(stateDir, options.serveNodeArgs);
  try {
    log(
      `serve (${store}, ${inProcess ? "in-process" : "own process"}): importing ${total} findings in ${Math.ceil(total / 100)} calls, ${concurrency} in flight, quota off, after ${warmupFindings} warm-up findings in ${WARMUP_REGION}`,
    );
    const sample = "pid" in server ? () => sampleProcessRss(server.pid) : sampleRss;
    serveFigures = await runWorkload(
      server.url,
      total,
      gets,
      sample,
      log,
      "serve",
      concurrency,
      warmupFindings,
      "pid" in server ? server.pid : undefined,
    );
  } finally {
    await server.close();
    if (stateDir !== undefined) await rm(stateDir, { recursive: true, force: true });
  }
  let motoFigures: EndpointFigures | undefined;
  if (motoStopAt > 0) {
    const moto = await startMoto();
    try {
      log(
        `moto_server: importing ${motoStopAt} findings (the same workload and client, ${concurrency} calls in flight, the same warm-up, stopped at ${motoStopAt} stored)`,
      );
      motoFigures = await runWorkload(
        moto.endpoint,
        motoStopAt,
        Math.min(gets, 100),
        () => undefined,
        log,
        "moto",
        concurrency,
        warmupFindings,
        moto.pid,
      );
    } finally {
      await moto.stop();
    }
  }
  const ratio =
    motoFigures?.findingsPerSecondNear50k !== undefined && serveFigures.findingsPerSecondNear50k !== undefined
      ? serveFigures.findingsPerSecondNear50k / motoFigures.findingsPerSecondNear50k
      : undefined;
  const result: ServeBenchResult = {
    serve: serveFigures,
    ...(motoFigures === undefined ? {} : { moto: motoFigures }),
    ...(ratio === undefined ? {} : { ratioAt50k: ratio }),
    peakRssMb: peakRss / 1024 / 1024,
    concurrency,
    warmupFindings,
  };
  const f = (n: number) => n.toFixed(1);
  const cpu = (v: number | undefined) => (v === undefined ? "n/a" : `${f(v)} ms`);
  const line = (name: string, e: EndpointFigures) =>
    `${name.padEnd(6)} ${String(e.imported).padStart(7)} findings  ${Math.round(e.findingsPerSecond).toString().padStart(7)} findings/s  import p50 ${f(e.importP50Ms)} ms p99 ${f(e.importP99Ms)} ms  GetFindings p50 ${f(e.getFindingsP50Ms)} ms p99 ${f(e.getFindingsP99Ms)} ms\n` +
    `       server CPU: ${cpu(e.serverImportCpuMsPerCall)} per import call (${cpu(e.serverCpuMsPerCallNear50k)} at 40,000→50,000 stored), ${cpu(e.serverGetFindingsCpuMsPerCall)} per GetFindings`;
  log("");
  log(line("serve", serveFigures));
  log(`       rate by tenth: ${serveFigures.findingsPerSecondByTenth.join(", ")}`);
  if (serveFigures.serverCpuMsPerCallByTenth !== undefined) {
    log(
      `       server CPU per import call by tenth: ${serveFigures.serverCpuMsPerCallByTenth.map((v) => v.toFixed(1)).join(", ")} ms`,
    );
  }
  log(
    `       CPU of the bench process (the client; serve too when in-process): ${f(serveFigures.importCpuMsPerCall)} ms per import call (by tenth: ${serveFigures.clientCpuMsPerCallByTenth.map((v) => v.toFixed(1)).join(", ")}), ${f(serveFigures.getFindingsCpuMsPerCall)} ms per GetFindings (load average ${loadavg()[0]?.toFixed(1)})`,
  );
  log(
    `       import calls in flight: ${concurrency} (serve and moto alike, one SDK client); GetFindings one at a time; ${warmupFindings} warm-up findings into ${WARMUP_REGION} first`,
  );
  if (motoFigures) {
    log(line("moto", motoFigures));
    log(`       rate by tenth: ${motoFigures.findingsPerSecondByTenth.join(", ")}`);
    if (motoFigures.serverCpuMsPerCallByTenth !== undefined) {
      log(
        `       server CPU per import call by tenth: ${motoFigures.serverCpuMsPerCallByTenth.map((v) => v.toFixed(1)).join(", ")} ms`,
      );
    }
  }
  if (ratio !== undefined) {
    log(
      `import rate 40,000→50,000 stored: serve ${Math.round(serveFigures.findingsPerSecondNear50k ?? 0)} vs moto ${Math.round(motoFigures?.findingsPerSecondNear50k ?? 0)} findings/s = ${f(ratio)}× (target ≥ 20×)`,
    );
  }
  const cpuRatio =
    motoFigures?.serverCpuMsPerCallNear50k !== undefined && serveFigures.serverCpuMsPerCallNear50k
      ? motoFigures.serverCpuMsPerCallNear50k / serveFigures.serverCpuMsPerCallNear50k
      : undefined;
  if (cpuRatio !== undefined) {
    log(
      `server CPU per import call at 40,000→50,000 stored: moto ÷ serve = ${f(cpuRatio)}× (independent of machine load)`,
    );
  }
  log(
    `peak RSS of serve${inProcess ? " and the client (in-process run)" : ""}: ${Math.round(result.peakRssMb)} MB (target ≤ 300 MB)`,
  );
  log(`filtered GetFindings p99 at ${total} stored: ${f(serveFigures.getFindingsP99Ms)} ms (target ≤ 20 ms)`);
  return result;
}

/** min ÷ max (`"min"`) or max ÷ min (`"max"`) of the tenths; undefined when there are none. */
function spread(tenths: readonly number[], numerator: "min" | "max"): number | undefined {
  if (tenths.length === 0) return undefined;
  const min = Math.min(...tenths);
  const max = Math.max(...tenths);
  if (min <= 0) return undefined;
  return numerator === "min" ? min / max : max / min;
}

/**
 * The result as figures for `bench/run.ts`. `baseline` is the target where it names one
 * (`ratio` = value ÷ target). Wall-clock figures are what the targets name; the server-CPU figures
 * (from /proc) are the same comparisons independent of the machine's load.
 */
export function serveBenchFigures(r: ServeBenchResult): BenchFigure[] {
  const out: BenchFigure[] = [];
  const add = (name: string, value: number | undefined, unit: string, target?: number) => {
    if (value === undefined || !Number.isFinite(value)) return;
    out.push({
      name,
      value,
      unit,
      ...(target === undefined ? {} : { baseline: target, ratio: value / target }),
    });
  };
  const s = r.serve;
  const m = r.moto;
  add("import calls in flight (serve and moto alike, one SDK client)", r.concurrency, "calls");
  add(
    "warm-up findings imported into another Region's hub first (serve and moto alike)",
    r.warmupFindings,
    "findings",
  );
  add("serve import (wall)", s.findingsPerSecond, "findings/s");
  add("serve import at 40,000→50,000 stored vs moto (wall)", r.ratioAt50k, "x", 20);
  const serveNear = s.serverCpuMsPerCallNear50k;
  const motoNear = m?.serverCpuMsPerCallNear50k;
  add(
    "serve import at 40,000→50,000 stored vs moto (server CPU per call)",
    serveNear !== undefined && motoNear !== undefined && serveNear > 0 ? motoNear / serveNear : undefined,
    "x",
    20,
  );
  add("serve server CPU per import call of 100", s.serverImportCpuMsPerCall, "ms");
  add("moto server CPU per import call of 100 at 40,000→50,000 stored", motoNear, "ms");
  const first = s.findingsPerSecondByTenth[0];
  const last = s.findingsPerSecondByTenth[s.findingsPerSecondByTenth.length - 1];
  add(
    "serve import rate, last tenth ÷ first tenth (wall; 1 = flat)",
    first && last !== undefined ? last / first : undefined,
    "ratio",
  );
  const cpuTenths = s.serverCpuMsPerCallByTenth ?? [];
  const cpuFirst = cpuTenths[0];
  const cpuLast = cpuTenths[cpuTenths.length - 1];
  add(
    "serve server CPU per import call, last tenth ÷ first tenth (1 = flat)",
    cpuFirst && cpuLast !== undefined ? cpuLast / cpuFirst : undefined,
    "ratio",
  );
  add(
    "serve import rate, slowest tenth ÷ fastest tenth (wall; 1 = flat)",
    spread(s.findingsPerSecondByTenth, "min"),
    "ratio",
  );
  add(
    "serve server CPU per import call, costliest tenth ÷ cheapest tenth (1 = flat)",
    spread(cpuTenths, "max"),
    "ratio",
  );
  add(`filtered GetFindings p50 at ${s.imported} stored (wall)`, s.getFindingsP50Ms, "ms");
  add(`filtered GetFindings p99 at ${s.imported} stored (wall)`, s.getFindingsP99Ms, "ms", 20);
  add("serve server CPU per filtered GetFindings", s.serverGetFindingsCpuMsPerCall, "ms");
  add("serve peak RSS", r.peakRssMb, "MB", 300);
  return out;
}

/** Runs the benchmark (printing its report) and returns its figures: the entry point of `bench/run.ts`. */
export async function serveBenchMetrics(options: ServeBenchOptions = {}): Promise<BenchFigure[]> {
  return serveBenchFigures(await benchServe(options));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const result = await benchServe({
    findings: Number(arg("--findings") ?? 100_000),
    motoStopAt: process.argv.includes("--no-moto") ? 0 : Number(arg("--moto-stop") ?? 50_000),
    store: arg("--store") === "memory" ? "memory" : "sqlite",
    inProcess: process.argv.includes("--in-process"),
    concurrency: Number(arg("--concurrency") ?? 2),
    warmupFindings: Number(arg("--warmup") ?? 20_000),
    serveNodeArgs: (arg("--serve-node-args") ?? "").split(" ").filter((a) => a !== ""),
  });
  if (process.argv.includes("--json")) console.log(JSON.stringify(serveBenchFigures(result)));
}
