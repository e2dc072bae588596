/**
 * Starts an in-process `shadowhub serve` on a free loopback port for tests, and makes real
 * `@aws-sdk/client-securityhub` clients pointed at it (dummy credentials, endpoint override).
 */
import { SecurityHubClient } from "@aws-sdk/client-securityhub";
import { type RunningServer, type StartServerOptions, startServer } from "../../lambdas/serve/server.ts";

/** A running test server plus a client factory. */
export interface TestServe extends RunningServer {
  /**
   * A Security Hub client for `region` (default us-east-1). `accessKeyId` of 12 digits acts as
   * that account (see `accountFromAccessKey`). SDK retries are off unless `maxAttempts` is given,
   * so tests see every answer.
   */
  client(options?: { region?: string; accessKeyId?: string; maxAttempts?: number }): SecurityHubClient;
}

/** Starts `serve` (in-memory hub unless `hubOptions.stateDir` is set) on 127.0.0.1 and a free port. */
export async function startTestServe(options: StartServerOptions = {}): Promise<TestServe> {
  const server = await startServer({ host: "127.0.0.1", port: 0, ...options });
  const clients: SecurityHubClient[] = [];
  return {
    ...server,
    client: (o = {}) => {
      const client = new SecurityHubClient({
        endpoint: server.url,
        region: o.region ?? "us-east-1",
        credentials: { accessKeyId: o.accessKeyId ?? "AKIDEXAMPLE", secretAccessKey: "secret" },
        maxAttempts: o.maxAttempts ?? 1,
      });
      clients.push(client);
      return client;
    },
    close: async () => {
      for (const c of clients) c.destroy();
      await server.close();
    },
  };
}
