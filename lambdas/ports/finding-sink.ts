/**
 * FindingSink port: where the import pipeline sends findings — Security Hub through the SDK
 * (`adapters/securityhub/`), or the in-process local hub (`adapters/local-target/`, the default).
 * One call = one BatchImportFindings request; the pipeline has already batched, rate-limited and
 * planned it. Adapters translate transport failures into the error taxonomy of `core/errors.ts`.
 */
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { ShadowhubError } from "../core/errors.ts";
import type { FindingKey } from "../core/hub/contracts.ts";

/** One BatchImportFindings call: ≤ 100 findings, ≤ 6 MB, all for (accountId, region). */
export interface ImportCall {
  readonly accountId: string;
  readonly region: string;
  readonly findings: readonly AwsSecurityFinding[];
  /** UTF-8 bytes of `{"Findings":[...]}`, as computed by the batcher. */
  readonly bytes?: number;
  /**
   * UTF-8 bytes of the JSON of the call's largest finding, as measured by the batcher: an upper
   * bound on every finding of the call. The local hub then skips its own per-finding 240 KB
   * measurement when the bound is within the limit.
   */
  readonly largestFindingBytes?: number;
}

/** One entry of `FailedFindings`, as Security Hub reports it. */
export interface FailedFinding {
  readonly id: string;
  /** e.g. `InvalidInput`, `InvalidAccess`. */
  readonly errorCode: string;
  /** Security Hub's message, passed on verbatim. */
  readonly errorMessage: string;
}

/** The answer to a call that Security Hub accepted as a request (HTTP 200). */
export interface ImportCallResult {
  /** Findings of the call not listed here were accepted. */
  readonly failed: readonly FailedFinding[];
}

/**
 * Whole-request failures are thrown:
 * - `ThrottlingError` (429, `TooManyRequestsException`, `LimitExceededException`, `ThrottlingException`);
 * - `TransientError` (5xx, time-outs, connection resets);
 * - `InputError` (`InvalidInputException`: the request itself is wrong; never retried);
 * - `SinkAccessError` (`InvalidAccessException`, `AccessDeniedException`: hub/product not enabled
 *   or not allowed; never retried now, never committed, so a later import tries again).
 */
export interface FindingSink {
  /** Short description for messages and the summary, e.g. `local hub (.shadowhub)` or `https://…`. */
  readonly description: string;
  /**
   * True when the target itself emits "Security Hub Findings - Imported" events (the real service,
   * the local hub): the pipeline then publishes its own copies only when asked to.
   */
  readonly emitsEvents: boolean;
  /**
   * True when `fetchCurrent` reads a local, strongly consistent copy at no quota cost (the
   * embedded hub). The pipeline then keeps no copy of each sent finding in the shadow store for
   * later archives (compressing and writing it would cost every sent finding ~70–80 µs of CPU for
   * a read that is free here); remote targets get the copy, so archives need no GetFindings.
   * @default false
   */
  readonly currentIsLocal?: boolean;
  batchImport(call: ImportCall): Promise<ImportCallResult>;
  /**
   * The findings as the target holds them now (for archiving: BatchImportFindings overwrites
   * everything, so an archive must resend the full last-known content). Missing keys are absent
   * from the map. Keyed by `findingKeyString`.
   */
  fetchCurrent(keys: readonly FindingKey[]): Promise<Map<string, AwsSecurityFinding>>;
  close(): Promise<void>;
}

/**
 * Security Hub refused the caller: `InvalidAccessException` (hub or product integration not
 * enabled) or `AccessDeniedException` (IAM, account mismatch). Permanent for this import — never
 * retried in a loop — but the findings are not committed, so the next import sends them again.
 */
export class SinkAccessError extends ShadowhubError {
  readonly kind = "permanent" as const;
  constructor(
    /** `InvalidAccess` or `AccessDenied`, the per-finding style code the summary counts. */
    readonly errorCode: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
