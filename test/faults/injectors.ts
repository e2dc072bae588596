/**
 * Fault-injecting wrappers around the pipeline's ports, for the fault driver. They live in the
 * tests, not in production code: each wraps a real adapter and adds one failure the real
 * component cannot produce on demand.
 *
 * - {@link FaultyShadowStore}: conditional-check conflicts (a twin worker commits the same
 *   records first, so the real store's condition refuses ours), throughput errors, and a worker
 *   killed between send and commit.
 * - {@link FaultySink}: an answer lost after Security Hub applied the call; and, for the
 *   checker's own test, deliberately broken pipeline variants.
 * - {@link faultyDynamoDbClient}: DynamoDB answering `ProvisionedThroughputExceededException`.
 */

import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { formatAsffTimestamp } from "../../lambdas/core/asff/timestamp.ts";
import { ThrottlingError, TransientError } from "../../lambdas/core/errors.ts";
import type { FindingKey, PrecedenceAttribute } from "../../lambdas/core/hub/contracts.ts";
import type { FindingSink, ImportCall, ImportCallResult } from "../../lambdas/ports/finding-sink.ts";
import type {
  CommitResult,
  ScopeRecord,
  ShadowObservation,
  ShadowRecord,
  ShadowStore,
  StoredFinding,
} from "../../lambdas/ports/shadow-store.ts";
import type { StoreOperation } from "./generator.ts";

/** Counts of faults that actually fired, by kind. */
export type FaultCounts = Record<string, number>;

/** Adds `n` to `counts[kind]`. */
export function count(counts: FaultCounts, kind: string, n = 1): void {
  if (n > 0) counts[kind] = (counts[kind] ?? 0) + n;
}

/**
 * The worker process died (between the BatchImportFindings answer and the shadow commit). Not a
 * `ShadowhubError` on purpose: the pipeline must not classify or swallow it; the message is
 * redelivered and the run starts over.
 */
export class WorkerCrash extends Error {
  override readonly name = "WorkerCrash";
}

/** A ShadowStore that injects conflicts, throughput errors and crashes before commits. */
export class FaultyShadowStore implements ShadowStore {
  #conflicts = 0;
  #throughput: { operation: StoreOperation; times: number } | undefined;
  #crash = false;

  constructor(
    private readonly inner: ShadowStore,
    private readonly fired: FaultCounts,
  ) {}

  /** Arms faults for the next delivery (replacing what is left of the previous ones). */
  arm(faults: {
    commitConflicts?: number;
    storeThroughput?: { operation: StoreOperation; times: number };
    crashBeforeCommit?: boolean;
  }): void {
    this.#conflicts = faults.commitConflicts ?? 0;
    this.#throughput = faults.storeThroughput === undefined ? undefined : { ...faults.storeThroughput };
    this.#crash = faults.crashBeforeCommit === true;
  }

  /** Disarms everything. */
  disarm(): void {
    this.arm({});
  }

  #throttle(operation: StoreOperation): void {
    const t = this.#throughput;
    if (t === undefined || t.operation !== operation || t.times <= 0) return;
    t.times--;
    count(this.fired, `store throughput error (${operation})`);
    throw new ThrottlingError(
      `shadow store ${operation}: ProvisionedThroughputExceededException (injected by the fault driver)`,
    );
  }

  async getMany(keys: readonly FindingKey[]): Promise<Map<string, ShadowRecord>> {
    this.#throttle("getMany");
    return this.inner.getMany(keys);
  }

  async commit(records: readonly ShadowRecord[]): Promise<CommitResult> {
    if (this.#crash) {
      this.#crash = false;
      count(this.fired, "worker killed between send and commit");
      throw new WorkerCrash("worker killed after BatchImportFindings answered, before the shadow commit");
    }
    this.#throttle("commit");
    if (this.#conflicts > 0 && records.length > 0) {
      this.#conflicts--;
      // A twin worker (a duplicate delivery of the same message) commits the same records first.
      await this.inner.commit(records);
      const result = await this.inner.commit(records);
      count(this.fired, "shadow conditional-check conflict", result.conflicts.length);
      return result;
    }
    return this.inner.commit(records);
  }

  lastFindings(keys: readonly FindingKey[]): Promise<Map<string, StoredFinding>> {
    return this.inner.lastFindings(keys);
  }

  async *listActiveInScope(scope: string, accountId: string, region: string): AsyncIterable<ShadowRecord> {
    this.#throttle("listActiveInScope");
    yield* this.inner.listActiveInScope(scope, accountId, region);
  }

  markCustomerTouched(key: FindingKey, attributes: readonly PrecedenceAttribute[]): Promise<void> {
    return this.inner.markCustomerTouched(key, attributes);
  }

  recordObservations(observations: readonly ShadowObservation[]): Promise<number> {
    return this.inner.recordObservations(observations);
  }

  getScope(scope: string, accountId: string, region: string): Promise<ScopeRecord | undefined> {
    return this.inner.getScope(scope, accountId, region);
  }

  advanceScope(record: ScopeRecord): Promise<boolean> {
    return this.inner.advanceScope(record);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * Deliberately broken pipelines, to prove the checker can fail:
 * - `drop-failed-findings`: the sink reports every call as fully accepted, hiding `FailedFindings`
 *   (the pipeline then commits shadows of findings Security Hub never took: silent loss);
 * - `updated-at-now`: the sink stamps `UpdatedAt` with the worker's clock instead of the report's
 *   time (a late report then overwrites newer data).
 */
export type BrokenVariant = "drop-failed-findings" | "updated-at-now";

/** A FindingSink that loses answers after Security Hub applied the call, or misbehaves on purpose. */
export class FaultySink implements FindingSink {
  #lostAnswers = 0;
  #nowMs = Date.UTC(2030, 0, 1);

  constructor(
    private readonly inner: FindingSink,
    private readonly fired: FaultCounts,
    private readonly variant?: BrokenVariant,
  ) {}

  get description(): string {
    return this.inner.description;
  }

  get emitsEvents(): boolean {
    return this.inner.emitsEvents;
  }

  arm(lostAnswers: number): void {
    this.#lostAnswers = lostAnswers;
  }

  async batchImport(call: ImportCall): Promise<ImportCallResult> {
    let findings: readonly AwsSecurityFinding[] = call.findings;
    if (this.variant === "updated-at-now") {
      findings = findings.map((f) => {
        this.#nowMs += 1_000;
        return { ...f, UpdatedAt: formatAsffTimestamp(this.#nowMs) };
      });
    }
    const result = await this.inner.batchImport({ ...call, findings });
    if (this.#lostAnswers > 0) {
      this.#lostAnswers--;
      count(this.fired, "answer lost after Security Hub applied the call");
      throw new TransientError("BatchImportFindings: connection closed before the answer arrived (injected)");
    }
    if (this.variant === "drop-failed-findings") return { failed: [] };
    return result;
  }

  fetchCurrent(keys: readonly FindingKey[]): Promise<Map<string, AwsSecurityFinding>> {
    return this.inner.fetchCurrent(keys);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Armed DynamoDB throughput errors of one client wrapper. */
export interface DynamoFaults {
  remaining: number;
}

/**
 * A view of `client` whose `send` answers `ProvisionedThroughputExceededException` (HTTP 400, as
 * DynamoDB does) while `faults.remaining > 0`, before the request leaves the process; everything
 * else goes to the real client (DynamoDB Local).
 */
export function faultyDynamoDbClient(
  client: DynamoDBClient,
  faults: DynamoFaults,
  fired: FaultCounts,
): DynamoDBClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === "send") {
        return async (...args: Parameters<DynamoDBClient["send"]>) => {
          if (faults.remaining > 0) {
            faults.remaining--;
            count(fired, "DynamoDB ProvisionedThroughputExceededException");
            throw Object.assign(
              new Error(
                "The level of configured provisioned throughput for the table was exceeded (injected)",
              ),
              {
                name: "ProvisionedThroughputExceededException",
                $metadata: { httpStatusCode: 400 },
              },
            );
          }
          return (target.send as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
}
