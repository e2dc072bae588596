/**
 * The Security Hub target: BatchImportFindings through the AWS SDK v3, one client per Region
 * (and per target account when a role is assumed there). The endpoint can be overridden for
 * `shadowhub serve`, LocalStack or moto: an explicit URL, else `AWS_ENDPOINT_URL_SECURITYHUB`,
 * else `AWS_ENDPOINT_URL`, else the SDK's own resolution. SDK retries are off: the pipeline's
 * retry policy owns retrying, so that every throttle reaches the rate limiter.
 */
import {
  type AwsSecurityFinding,
  type AwsSecurityFindingFilters,
  BatchImportFindingsCommand,
  GetFindingsCommand,
  SecurityHubClient,
} from "@aws-sdk/client-securityhub";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@aws-sdk/types";
import { ConfigurationError } from "../../core/errors.ts";
import type { FindingKey } from "../../core/hub/contracts.ts";
import type { FindingSink, ImportCall, ImportCallResult } from "../../ports/finding-sink.ts";
import { lookupFindings } from "../local-target/local-hub-sink.ts";
import { classifySdkError } from "./errors.ts";

/** Options of {@link SecurityHubSink}. */
export interface SecurityHubSinkOptions {
  /** Endpoint URL for every Region (e.g. `http://127.0.0.1:4566`). @default from `env`, else the SDK's */
  readonly endpoint?: string;
  /** Environment to read `AWS_ENDPOINT_URL_SECURITYHUB` / `AWS_ENDPOINT_URL` / `..._STS` from. @default {} */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Credentials for the calling account. @default the SDK's default provider chain */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /**
   * Role to assume per target account (`{ "111122223333": "arn:aws:iam::111122223333:role/Importer" }`).
   * Accounts not listed are called with `credentials`. @default none
   */
  readonly roles?: Readonly<Record<string, string>>;
  /** @default "shadowhub-import" */
  readonly roleSessionName?: string;
  /** Request time-out per call, in ms; a time-out is retried like a 5xx. @default 30000 */
  readonly requestTimeoutMs?: number;
  /** Builds clients (tests inject their own). @default `new SecurityHubClient(config)` */
  readonly clientFactory?: (
    config: ConstructorParameters<typeof SecurityHubClient>[0] & {},
  ) => SecurityHubClient;
}

interface CachedCredentials {
  readonly identity: AwsCredentialIdentity;
  readonly expiresMs: number;
}

/** A FindingSink that calls Security Hub (or anything speaking its REST-JSON protocol). */
export class SecurityHubSink implements FindingSink {
  readonly emitsEvents = true;
  readonly description: string;
  readonly #options: SecurityHubSinkOptions;
  readonly #endpoint: string | undefined;
  readonly #clients = new Map<string, SecurityHubClient>();
  readonly #sts = new Map<string, STSClient>();
  readonly #roleCredentials = new Map<string, Promise<CachedCredentials>>();

  constructor(options: SecurityHubSinkOptions = {}) {
    this.#options = options;
    const env = options.env ?? {};
    this.#endpoint = options.endpoint ?? env.AWS_ENDPOINT_URL_SECURITYHUB ?? env.AWS_ENDPOINT_URL;
    if (this.#endpoint !== undefined && !/^https?:\/\/[^\s]+$/.test(this.#endpoint)) {
      throw new ConfigurationError(
        `Security Hub endpoint '${this.#endpoint}' is not an http(s) URL; pass e.g. --target http://127.0.0.1:8443`,
      );
    }
    this.description =
      this.#endpoint === undefined ? "AWS Security Hub" : `Security Hub at ${this.#endpoint}`;
    for (const [account, role] of Object.entries(options.roles ?? {})) {
      if (!/^\d{12}$/.test(account) || !/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(role)) {
        throw new ConfigurationError(
          `roles: '${account}' → '${role}' is not a 12-digit account mapped to an IAM role ARN (arn:aws:iam::<account>:role/<name>)`,
        );
      }
    }
  }

  #assumedCredentials(accountId: string, roleArn: string, region: string): AwsCredentialIdentityProvider {
    return async () => {
      const cached = await this.#roleCredentials.get(roleArn);
      // Renew five minutes before expiry so no call goes out with credentials about to lapse.
      if (cached !== undefined && cached.expiresMs - 5 * 60_000 > Date.now()) return cached.identity;
      const pending = this.#assume(accountId, roleArn, region);
      this.#roleCredentials.set(roleArn, pending);
      try {
        return (await pending).identity;
      } catch (error) {
        this.#roleCredentials.delete(roleArn);
        throw error;
      }
    };
  }

  async #assume(accountId: string, roleArn: string, region: string): Promise<CachedCredentials> {
    const env = this.#options.env ?? {};
    let sts = this.#sts.get(region);
    if (sts === undefined) {
      const endpoint = env.AWS_ENDPOINT_URL_STS ?? env.AWS_ENDPOINT_URL;
      sts = new STSClient({
        region,
        ...(endpoint === undefined ? {} : { endpoint }),
        ...(this.#options.credentials === undefined ? {} : { credentials: this.#options.credentials }),
      });
      this.#sts.set(region, sts);
    }
    try {
      const out = await sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: this.#options.roleSessionName ?? "shadowhub-import",
        }),
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error("AssumeRole returned no credentials");
      const expiresMs = c.Expiration?.getTime() ?? Date.now() + 15 * 60_000;
      return {
        identity: {
          accessKeyId: c.AccessKeyId,
          secretAccessKey: c.SecretAccessKey,
          ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
          expiration: new Date(expiresMs),
        },
        expiresMs,
      };
    } catch (error) {
      throw classifySdkError(error, `AssumeRole ${roleArn} (account ${accountId})`, "STS");
    }
  }

  /** The client for (account, Region): one per Region, and one per assumed role. */
  client(accountId: string, region: string): SecurityHubClient {
    const role = this.#options.roles?.[accountId];
    const cacheKey = role === undefined ? region : `${region}|${accountId}`;
    let client = this.#clients.get(cacheKey);
    if (client === undefined) {
      const credentials =
        role === undefined ? this.#options.credentials : this.#assumedCredentials(accountId, role, region);
      const config = {
        region,
        maxAttempts: 1,
        requestHandler: {
          requestTimeout: this.#options.requestTimeoutMs ?? 30_000,
          connectionTimeout: 5_000,
        },
        ...(this.#endpoint === undefined ? {} : { endpoint: this.#endpoint }),
        ...(credentials === undefined ? {} : { credentials }),
      };
      client = this.#options.clientFactory
        ? this.#options.clientFactory(config)
        : new SecurityHubClient(config);
      this.#clients.set(cacheKey, client);
    }
    return client;
  }

  async batchImport(call: ImportCall): Promise<ImportCallResult> {
    const client = this.client(call.accountId, call.region);
    try {
      const out = await client.send(new BatchImportFindingsCommand({ Findings: [...call.findings] }));
      return {
        failed: (out.FailedFindings ?? []).map((f) => ({
          id: f.Id ?? "",
          errorCode: f.ErrorCode ?? "Unknown",
          errorMessage: f.ErrorMessage ?? "",
        })),
      };
    } catch (error) {
      throw classifySdkError(
        error,
        `BatchImportFindings (${call.accountId}, ${call.region})`,
        this.description,
      );
    }
  }

  /**
   * GetFindings by Id (20 per filter, all pages), for archiving. Eventually consistent and
   * rate-limited (3/s) on the real service, so it is only used for findings that left a scope.
   */
  async fetchCurrent(keys: readonly FindingKey[]): Promise<Map<string, AwsSecurityFinding>> {
    return lookupFindings(keys, async (group, filters: AwsSecurityFindingFilters, token) => {
      try {
        return await this.client(group.accountId, group.region).send(
          new GetFindingsCommand({
            Filters: filters,
            MaxResults: 100,
            ...(token === undefined ? {} : { NextToken: token }),
          }),
        );
      } catch (error) {
        throw classifySdkError(error, `GetFindings (${group.accountId}, ${group.region})`, this.description);
      }
    });
  }

  async close(): Promise<void> {
    for (const client of this.#clients.values()) client.destroy();
    for (const sts of this.#sts.values()) sts.destroy();
    this.#clients.clear();
    this.#sts.clear();
  }
}
