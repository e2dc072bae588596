/**
 * ShadowStore port: what the pipeline remembers about every finding it has sent, so it knows
 * before calling Security Hub what Security Hub will do (spec §3; issue "import pipeline").
 * Adapters: in-memory, SQLite (local default) and DynamoDB (cloud). One contract test suite
 * runs against all of them.
 */
import type { FindingKey, PrecedenceAttribute } from "../core/hub/contracts.ts";

export type RecordState = "ACTIVE" | "ARCHIVED";

/** The shadow of one finding, keyed by (account, Region, ProductArn, Id). */
export interface ShadowRecord {
  readonly key: FindingKey;
  /** Hash of the provider-owned content (everything the provider sends except its timestamps). */
  readonly contentHash: string;
  /** The `UpdatedAt` Security Hub accepted last (ASFF timestamp). */
  readonly updatedAt: string;
  /** `CreatedAt` as first sent; kept for the life of the finding. */
  readonly createdAt: string;
  /** `FirstObservedAt` as first sent, when the provider sent one. */
  readonly firstObservedAt?: string;
  /** `RecordState` Security Hub holds. */
  readonly recordState: RecordState;
  /** The scan scope the finding was last seen in (for archiving what disappeared from a scan). */
  readonly scope?: string;
  /** Top-level attributes a customer changed with BatchUpdateFindings. */
  readonly customerTouched: readonly PrecedenceAttribute[];
  /** Epoch ms when the finding was last accepted by Security Hub. */
  readonly lastSentMs: number;
}

/** Outcome of a conditional commit: records refused because the store already held a newer `updatedAt`. */
export interface CommitResult {
  readonly committed: number;
  /** Keys whose stored `updatedAt` was equal or newer: another worker won; nothing was written for them. */
  readonly conflicts: readonly FindingKey[];
}

export interface ShadowStore {
  /** Loads the shadows of `keys` (missing keys are simply absent), keyed by `findingKeyString`. */
  getMany(keys: readonly FindingKey[]): Promise<Map<string, ShadowRecord>>;
  /**
   * Writes each record only if the store holds no record for its key or holds one with an
   * older `updatedAt` (optimistic concurrency); customer-touched flags already stored are kept
   * (union). Commit only after Security Hub accepted the finding.
   */
  commit(records: readonly ShadowRecord[]): Promise<CommitResult>;
  /** Every ACTIVE record of `scope` in (account, Region): the candidates for archiving. */
  listActiveInScope(scope: string, accountId: string, region: string): AsyncIterable<ShadowRecord>;
  /** Records that a customer changed `attributes` of a finding with BatchUpdateFindings. */
  markCustomerTouched(key: FindingKey, attributes: readonly PrecedenceAttribute[]): Promise<void>;
  /** Releases connections and files. */
  close(): Promise<void>;
}
