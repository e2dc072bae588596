/**
 * Choosing and opening an import target: the in-process local hub (default), a Security
 * Hub-compatible URL (`shadowhub serve`, LocalStack, moto), or AWS itself. Each target gets its
 * own shadow file under the state directory: a shadow describes one Security Hub, and reusing the
 * local hub's shadow for AWS would skip every finding AWS has never seen.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { openLocalHub } from "../adapters/local-hub/local-hub.ts";
import { LocalHubSink } from "../adapters/local-target/local-hub-sink.ts";
import { SecurityHubSink } from "../adapters/securityhub/securityhub-sink.ts";
import { openSqliteShadowStore } from "../adapters/sqlite/sqlite-shadow-store.ts";
import { IMPORT_BURST, IMPORT_RATE_PER_SECOND } from "../core/asff/limits.ts";
import { ConfigurationError } from "../core/errors.ts";
import type { FindingSink } from "../ports/finding-sink.ts";
import type { ShadowStore } from "../ports/shadow-store.ts";

/** Where findings go. */
export type TargetSpec =
  | { readonly kind: "local" }
  | { readonly kind: "url"; readonly url: string }
  | { readonly kind: "aws" };

/**
 * Client-side pacing for remote targets: Security Hub's rate (10/s) with a burst 10 below its 30.
 * The spare server-side tokens absorb arrival jitter (calls released 100 ms apart can arrive
 * bunched), so pacing at the full rate does not collect 429s; the sustained rate is unchanged.
 */
export const REMOTE_IMPORT_LIMITS = {
  ratePerSecond: IMPORT_RATE_PER_SECOND,
  burst: IMPORT_BURST - 10,
} as const;

/** The state directory when `--state` is not given. */
export const DEFAULT_STATE_DIR = ".shadowhub";

/**
 * Resolves `--target`. Without one: `SHADOWHUB_TARGET`, else an `AWS_ENDPOINT_URL_SECURITYHUB`
 * endpoint, else the local hub. Credentials alone never select AWS: sending to a real account
 * takes an explicit `--target aws`.
 */
export function resolveTarget(
  option: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): TargetSpec {
  const value = option ?? env.SHADOWHUB_TARGET ?? env.AWS_ENDPOINT_URL_SECURITYHUB ?? "local";
  if (value === "local") return { kind: "local" };
  if (value === "aws") return { kind: "aws" };
  if (/^https?:\/\/[^\s]+$/.test(value)) return { kind: "url", url: value.replace(/\/+$/, "") };
  throw new ConfigurationError(
    `--target '${value}' is not local, aws or an http(s) URL; e.g. --target http://127.0.0.1:8443 for shadowhub serve`,
  );
}

/** The shadow database file of a target inside the state directory. */
export function shadowFileFor(target: TargetSpec, stateDir: string): string {
  if (target.kind === "local") return join(stateDir, "shadow.sqlite");
  if (target.kind === "aws") return join(stateDir, "shadow-aws.sqlite");
  const digest = createHash("sha256").update(target.url).digest("hex").slice(0, 12);
  return join(stateDir, `shadow-${digest}.sqlite`);
}

/** Human-readable name of a target. */
export function describeTarget(target: TargetSpec, stateDir: string): string {
  if (target.kind === "local") return `local hub (${stateDir})`;
  if (target.kind === "aws") return "AWS Security Hub";
  return `Security Hub at ${target.url}`;
}

/** An opened target: a sink plus the shadow that belongs to it. */
export interface OpenTarget {
  readonly sink: FindingSink;
  readonly store: ShadowStore;
  close(): Promise<void>;
}

export interface OpenTargetOptions {
  readonly stateDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Role to assume per target account (AWS target). */
  readonly roles?: Readonly<Record<string, string>>;
}

/** Opens the sink and the SQLite shadow of `target`. */
export async function openTarget(target: TargetSpec, options: OpenTargetOptions): Promise<OpenTarget> {
  const store = openSqliteShadowStore({ path: shadowFileFor(target, options.stateDir) });
  let sink: FindingSink;
  try {
    if (target.kind === "local") {
      const hub = await openLocalHub({
        stateDir: options.stateDir,
        eventsFile: join(options.stateDir, "events.jsonl"),
      });
      sink = new LocalHubSink(hub, describeTarget(target, options.stateDir));
    } else {
      sink = new SecurityHubSink({
        ...(target.kind === "url" ? { endpoint: target.url } : {}),
        // The aws target still honours the standard endpoint variables (LocalStack, VPC endpoints).
        env: options.env,
        ...(options.roles === undefined ? {} : { roles: options.roles }),
        // serve/LocalStack/moto accept any SigV4 signature; dummy keys keep the local flow credential-free.
        ...(target.kind === "url" &&
        options.env.AWS_ACCESS_KEY_ID === undefined &&
        options.env.AWS_PROFILE === undefined
          ? { credentials: { accessKeyId: "shadowhub-local", secretAccessKey: "shadowhub-local" } }
          : {}),
      });
    }
  } catch (error) {
    await store.close();
    throw error;
  }
  return {
    sink,
    store,
    close: async () => {
      await sink.close();
      await store.close();
    },
  };
}
