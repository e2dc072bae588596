/**
 * Fault injection for reliability tests: the next N calls of an operation answer 429, 500, hang
 * (a time-out) or have their connection reset; or given finding Ids fail with a given per-finding
 * error. Configured programmatically (`server.faults.add(...)`) or over HTTP under
 * `/_shadowhub/faults` (see docs/serve.md).
 */

import { OPERATIONS, type OperationName } from "../adapters/local-hub/api.ts";
import { HubApiError } from "../core/hub/contracts.ts";

/** A fault that replaces the whole answer of a call. */
export interface CallFault {
  /**
   * `throttle` → 429 `TooManyRequestsException`; `internal` → 500 `InternalException`;
   * `timeout` → no answer, the connection is closed after `holdMs`; `reset` → the TCP connection
   * is destroyed without an answer.
   */
  readonly kind: "throttle" | "internal" | "timeout" | "reset";
  /** The operation it applies to; every operation when absent. */
  readonly operation?: OperationName;
  /** How many calls it applies to. @default 1 */
  readonly times?: number;
  /** For `timeout`: how long to hold the request before closing the connection. @default 30000 */
  readonly holdMs?: number;
}

/** A fault that fails given findings of a BatchImportFindings or BatchUpdateFindings call. */
export interface FindingFault {
  readonly kind: "finding";
  readonly operation: "BatchImportFindings" | "BatchUpdateFindings";
  /** Finding Ids (the `Id` of the finding or of the `FindingIdentifier`). */
  readonly ids: readonly string[];
  /** e.g. `InvalidAccess`, `InternalFailure`, `ConcurrentUpdateError`. */
  readonly errorCode: string;
  /** @default "Injected failure" */
  readonly errorMessage?: string;
  /** How many calls it applies to (a call counts when it names at least one of `ids`). @default 1 */
  readonly times?: number;
}

export type Fault = CallFault | FindingFault;

interface Armed {
  readonly fault: Fault;
  remaining: number;
}

/** What to do with one call, decided before the hub runs. */
export type CallDecision =
  | { readonly kind: "none" }
  | { readonly kind: "error"; readonly error: HubApiError }
  | { readonly kind: "timeout"; readonly holdMs: number }
  | { readonly kind: "reset" };

/** Per-finding failures to apply to one call: Id → error. */
export type FindingFailures = Map<string, { readonly errorCode: string; readonly errorMessage: string }>;

const CALL_KINDS = new Set(["throttle", "internal", "timeout", "reset"]);

/** Checks a fault received over the admin route; throws a 400 `HubApiError` naming the field. */
export function parseFault(value: unknown): Fault {
  const bad = (field: string, rule: string): never => {
    throw new HubApiError("InvalidInputException", 400, `fault.${field}: ${rule}`);
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) bad("", "must be a JSON object");
  const v = value as Record<string, unknown>;
  const times = v.times;
  if (times !== undefined && !(Number.isInteger(times) && (times as number) >= 1))
    bad("times", "must be an integer >= 1");
  const operation = v.operation;
  if (operation !== undefined && !OPERATIONS.includes(operation as OperationName)) {
    bad("operation", `must be one of ${OPERATIONS.join(", ")}`);
  }
  if (v.kind === "finding") {
    if (operation !== "BatchImportFindings" && operation !== "BatchUpdateFindings") {
      bad("operation", "must be BatchImportFindings or BatchUpdateFindings for a finding fault");
    }
    if (!Array.isArray(v.ids) || v.ids.length === 0 || !v.ids.every((i) => typeof i === "string")) {
      bad("ids", "must be a non-empty array of finding Ids");
    }
    if (typeof v.errorCode !== "string" || v.errorCode === "") bad("errorCode", "must be a non-empty string");
    if (v.errorMessage !== undefined && typeof v.errorMessage !== "string")
      bad("errorMessage", "must be a string");
    return v as unknown as FindingFault;
  }
  if (!CALL_KINDS.has(v.kind as string)) bad("kind", "must be throttle, internal, timeout, reset or finding");
  if (v.holdMs !== undefined && !(typeof v.holdMs === "number" && v.holdMs >= 0))
    bad("holdMs", "must be a number >= 0");
  return v as unknown as CallFault;
}

/** The armed faults of one server. */
export class FaultInjector {
  #armed: Armed[] = [];

  /** Arms a fault; it fires on the next matching calls. */
  add(fault: Fault): void {
    this.#armed.push({ fault, remaining: fault.times ?? 1 });
  }

  /** Disarms everything. */
  clear(): void {
    this.#armed = [];
  }

  /** The faults still armed, with how many calls each still applies to. */
  list(): { fault: Fault; remaining: number }[] {
    return this.#armed.map((a) => ({ fault: a.fault, remaining: a.remaining }));
  }

  #consume(armed: Armed): void {
    armed.remaining -= 1;
    if (armed.remaining <= 0) this.#armed = this.#armed.filter((a) => a !== armed);
  }

  /** The whole-call fault for this call of `operation`, if one is armed (consumes it). */
  forCall(operation: OperationName): CallDecision {
    const armed = this.#armed.find(
      (a) =>
        a.fault.kind !== "finding" && (a.fault.operation === undefined || a.fault.operation === operation),
    );
    if (armed === undefined) return { kind: "none" };
    const fault = armed.fault as CallFault;
    this.#consume(armed);
    switch (fault.kind) {
      case "throttle":
        return {
          kind: "error",
          error: new HubApiError("TooManyRequestsException", 429, "Too Many Requests"),
        };
      case "internal":
        return {
          kind: "error",
          error: new HubApiError("InternalException", 500, "Internal service failure (injected)"),
        };
      case "timeout":
        return { kind: "timeout", holdMs: fault.holdMs ?? 30_000 };
      case "reset":
        return { kind: "reset" };
    }
  }

  /** Per-finding failures for a call naming `ids` (consumes the faults that match). */
  forFindings(
    operation: "BatchImportFindings" | "BatchUpdateFindings",
    ids: readonly string[],
  ): FindingFailures {
    const out: FindingFailures = new Map();
    const present = new Set(ids);
    for (const armed of [...this.#armed]) {
      const fault = armed.fault;
      if (fault.kind !== "finding" || fault.operation !== operation) continue;
      const hit = fault.ids.filter((id) => present.has(id));
      if (hit.length === 0) continue;
      for (const id of hit) {
        if (!out.has(id))
          out.set(id, { errorCode: fault.errorCode, errorMessage: fault.errorMessage ?? "Injected failure" });
      }
      this.#consume(armed);
    }
    return out;
  }
}
