/**
 * Runs the service-level scenarios of `test/integration/serve/scenarios.ts` against
 * `shadowhub serve` and against `moto_server`'s Security Hub, and prints a table. Not pass/fail:
 * it documents where moto's emulation departs from Security Hub (docs/moto-comparison.md).
 *
 * Run: `node --import tsx bench/compare-moto.ts [--json]`
 */
import { SecurityHubClient } from "@aws-sdk/client-securityhub";
import { type RunningServer, startServer } from "../lambdas/serve/server.ts";
import { startMoto } from "../test/helpers/moto.ts";
import { SCENARIOS, type Scenario } from "../test/integration/serve/scenarios.ts";

/** One scenario's result on one endpoint: passed, or the first line of the failure. */
export interface ComparisonRow {
  readonly scenario: string;
  readonly rule: string;
  readonly serve: string;
  readonly moto: string;
}

const ACCOUNT = "123456789012";

/** A short, specific reason: for an assertion, what was expected, what came back, and where. */
function reason(error: unknown): string {
  if (error instanceof Error && error.name === "AssertionError") {
    const a = error as Error & { actual?: unknown; expected?: unknown; generatedMessage?: boolean };
    const where = /scenarios\.ts:(\d+)/.exec(error.stack ?? "")?.[1];
    const detail = a.generatedMessage
      ? `expected ${JSON.stringify(a.expected)}, got ${JSON.stringify(a.actual)}`
      : error.message.split("\n")[0];
    return `${detail}${where ? ` (scenarios.ts:${where})` : ""}`;
  }
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  // moto has no route for some operations and answers its HTML 404 page, which the SDK cannot parse.
  if (text.includes("<!doctype")) return "operation not implemented (moto answers an HTML 404 page)";
  return text.split("\n")[0] ?? "";
}

/** Runs each scenario on a fresh state: `fresh()` resets the endpoint and answers its URL. */
async function runAll(scenarios: readonly Scenario[], fresh: () => Promise<string>): Promise<string[]> {
  const results: string[] = [];
  for (const scenario of scenarios) {
    const endpoint = await fresh();
    const clients: SecurityHubClient[] = [];
    try {
      await scenario.run({
        accountId: ACCOUNT,
        client: (region = "us-east-1") => {
          const c = new SecurityHubClient({
            endpoint,
            region,
            credentials: { accessKeyId: "test", secretAccessKey: "test" },
            maxAttempts: 1,
          });
          clients.push(c);
          return c;
        },
      });
      results.push("pass");
    } catch (error) {
      results.push(`FAIL ${reason(error).slice(0, 200)}`);
    } finally {
      for (const c of clients) c.destroy();
    }
  }
  return results;
}

/** Runs every scenario on both endpoints, each scenario on an empty store. */
export async function compareWithMoto(): Promise<ComparisonRow[]> {
  let serve: RunningServer | undefined;
  const moto = await startMoto();
  try {
    const onServe = await runAll(SCENARIOS, async () => {
      await serve?.close();
      serve = await startServer({ log: () => undefined });
      return serve.url;
    });
    const onMoto = await runAll(SCENARIOS, async () => {
      const res = await fetch(`${moto.endpoint}/moto-api/reset`, { method: "POST" });
      await res.arrayBuffer();
      return moto.endpoint;
    });
    return SCENARIOS.map((s, i) => ({
      scenario: s.name,
      rule: s.rule,
      serve: onServe[i] ?? "",
      moto: onMoto[i] ?? "",
    }));
  } finally {
    await serve?.close();
    await moto.stop();
  }
}

function printTable(rows: readonly ComparisonRow[]): void {
  const mark = (r: string) => (r === "pass" ? "pass" : "FAIL");
  process.stdout.write("| # | rule | scenario | serve | moto | moto's answer |\n|---|---|---|---|---|---|\n");
  rows.forEach((r, i) => {
    const why = r.moto === "pass" ? "" : r.moto.replace(/^FAIL /, "").replace(/\|/g, "\\|");
    process.stdout.write(
      `| ${i + 1} | ${r.rule} | ${r.scenario} | ${mark(r.serve)} | ${mark(r.moto)} | ${why} |\n`,
    );
  });
  const passed = (k: "serve" | "moto") => rows.filter((r) => r[k] === "pass").length;
  process.stdout.write(
    `\nserve: ${passed("serve")}/${rows.length} pass; moto_server: ${passed("moto")}/${rows.length} pass\n`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await compareWithMoto();
  if (process.argv.includes("--json")) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else printTable(rows);
}
