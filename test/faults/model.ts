/**
 * The reference model: what Security Hub should hold after a sequence of scans and customer
 * BatchUpdateFindings, written to be obviously correct rather than fast.
 *
 * - Provider state is a pure function of the set of scans delivered so far (duplicates count
 *   once), replayed in **scan-time** order, whatever order they were delivered in: a finding
 *   present in a scan takes that scan's content, scope and ACTIVE; a finding ACTIVE in a scope
 *   and absent from a later scan of that scope becomes ARCHIVED (content kept).
 * - Customer state is applied in delivery order (BatchUpdateFindings has no scan time): the last
 *   value a customer set for an attribute wins and no provider update changes it. The one
 *   service-side exception is Security Hub's automatic reset: a finding going from ARCHIVED back
 *   to ACTIVE has a Workflow.Status of NOTIFIED or RESOLVED reset to NEW.
 */

/** Severity labels a scanner may report. */
export const SEVERITY_LABELS = ["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"] as const;
export type SeverityLabel = (typeof SEVERITY_LABELS)[number];

export const WORKFLOW_STATUSES = ["NEW", "NOTIFIED", "SUPPRESSED", "RESOLVED"] as const;
export type WorkflowStatus = (typeof WORKFLOW_STATUSES)[number];

export const VERIFICATION_STATES = ["TRUE_POSITIVE", "FALSE_POSITIVE", "BENIGN_POSITIVE"] as const;
export type VerificationStateValue = (typeof VERIFICATION_STATES)[number];

/** How the provider carries Severity: only in FindingProviderFields, only top level, or both. */
export type SeverityForm = "fpf" | "top" | "both";

/** The provider-owned content of one finding in one scan. */
export interface ProviderContent {
  readonly title: string;
  readonly description: string;
  readonly severity: SeverityLabel;
  readonly severityForm: SeverityForm;
  readonly types: readonly string[];
  readonly resourceId: string;
}

/** One scan report: every finding the scanner saw in `scope` at `timeMs`. */
export interface ScanReport {
  /** Unique per generated scan; a redelivery carries the same name. */
  readonly name: string;
  readonly scope: string;
  readonly timeMs: number;
  /** Finding Id → content. */
  readonly findings: ReadonlyMap<string, ProviderContent>;
}

/** One customer BatchUpdateFindings call (only the members that are set are changed). */
export interface CustomerUpdate {
  readonly ids: readonly string[];
  readonly severity?: SeverityLabel;
  readonly types?: readonly string[];
  readonly workflow?: WorkflowStatus;
  readonly note?: string;
  readonly verification?: VerificationStateValue;
}

/** Attribute values a customer set on one finding. */
export interface CustomerValues {
  readonly severity?: SeverityLabel;
  readonly types?: readonly string[];
  readonly workflow?: WorkflowStatus;
  readonly note?: string;
  readonly verification?: VerificationStateValue;
}

/** What Security Hub should hold for one finding. */
export interface ExpectedFinding {
  readonly id: string;
  readonly content: ProviderContent;
  readonly recordState: "ACTIVE" | "ARCHIVED";
  readonly scope: string;
  /** Scan time of the latest observation (presence or absence) of the finding. */
  readonly observedMs: number;
  /**
   * Scan time of the observation that last changed content, RecordState or scope: Security Hub's
   * `UpdatedAt` can never be older than this (an unchanged rescan is rightly not sent).
   */
  readonly changedMs: number;
  /** Name of that scan. */
  readonly decidedBy: string;
  /**
   * The earliest `UpdatedAt` Security Hub may hold: `changedMs` as of the last delivery that
   * changed the expected provider state (content, RecordState, scope). A delivery that leaves
   * that state as it was does not raise it, even when the scan-time replay now dates the last
   * change later: after A → B → A with B delivered last, Security Hub rightly never received B
   * (stale) nor the second A (unchanged), so its `UpdatedAt` stays that of the first A.
   */
  readonly updatedAtFloorMs: number;
  readonly customer: CustomerValues;
}

type ProviderState = Omit<ExpectedFinding, "customer" | "updatedAtFloorMs">;

/** Content, RecordState and scope: what a delivery must change for Security Hub to be updated. */
function sameState(a: ProviderState, b: ProviderState): boolean {
  return a.recordState === b.recordState && a.scope === b.scope && sameContent(a.content, b.content);
}

/** True when two contents are the same provider content (what the pipeline's hash covers). */
export function sameContent(a: ProviderContent, b: ProviderContent): boolean {
  return (
    a.title === b.title &&
    a.description === b.description &&
    a.severity === b.severity &&
    a.severityForm === b.severityForm &&
    a.resourceId === b.resourceId &&
    a.types.length === b.types.length &&
    a.types.every((t, i) => t === b.types[i])
  );
}

/** Replays `scans` in scan-time order (ties: delivery order) into per-finding provider state. */
export function replayScans(scans: readonly ScanReport[]): Map<string, ProviderState> {
  const ordered = scans
    .map((scan, i) => ({ scan, i }))
    .sort((a, b) => a.scan.timeMs - b.scan.timeMs || a.i - b.i);
  const state = new Map<string, ProviderState>();
  for (const { scan } of ordered) {
    for (const [id, content] of scan.findings) {
      const was = state.get(id);
      const same =
        was !== undefined &&
        was.recordState === "ACTIVE" &&
        was.scope === scan.scope &&
        sameContent(was.content, content);
      state.set(id, {
        id,
        content,
        recordState: "ACTIVE",
        scope: scan.scope,
        observedMs: scan.timeMs,
        changedMs: same ? was.changedMs : scan.timeMs,
        decidedBy: scan.name,
      });
    }
    for (const [id, s] of state) {
      if (s.scope === scan.scope && s.recordState === "ACTIVE" && !scan.findings.has(id)) {
        state.set(id, {
          ...s,
          recordState: "ARCHIVED",
          observedMs: scan.timeMs,
          changedMs: scan.timeMs,
          decidedBy: scan.name,
        });
      }
    }
  }
  return state;
}

/** The reference model of one sequence. */
export class ReferenceModel {
  readonly #scans = new Map<string, ScanReport>();
  readonly #customer = new Map<string, CustomerValues>();
  readonly #floor = new Map<string, number>();
  #provider = new Map<string, ProviderState>();

  /** A scan was delivered (again, perhaps, or late). */
  deliver(scan: ScanReport): void {
    if (this.#scans.has(scan.name)) return;
    this.#scans.set(scan.name, scan);
    const before = this.#provider;
    this.#provider = replayScans([...this.#scans.values()]);
    // Security Hub's automatic workflow reset on reappearance (spec: ARCHIVED → ACTIVE).
    for (const [id, now] of this.#provider) {
      const was = before.get(id);
      if (was === undefined || !sameState(was, now)) this.#floor.set(id, now.changedMs);
      const customer = this.#customer.get(id);
      if (
        was?.recordState === "ARCHIVED" &&
        now.recordState === "ACTIVE" &&
        (customer?.workflow === "NOTIFIED" || customer?.workflow === "RESOLVED")
      ) {
        this.#customer.set(id, { ...customer, workflow: "NEW" });
      }
    }
  }

  /** A customer's BatchUpdateFindings that Security Hub accepted for `update.ids`. */
  customerUpdate(update: CustomerUpdate): void {
    for (const id of update.ids) {
      const current = this.#customer.get(id) ?? {};
      this.#customer.set(id, {
        ...current,
        ...(update.severity === undefined ? {} : { severity: update.severity }),
        ...(update.types === undefined ? {} : { types: update.types }),
        ...(update.workflow === undefined ? {} : { workflow: update.workflow }),
        ...(update.note === undefined ? {} : { note: update.note }),
        ...(update.verification === undefined ? {} : { verification: update.verification }),
      });
    }
  }

  /** Finding Id → what Security Hub should hold. */
  expected(): Map<string, ExpectedFinding> {
    const out = new Map<string, ExpectedFinding>();
    for (const [id, p] of this.#provider) {
      out.set(id, {
        ...p,
        updatedAtFloorMs: this.#floor.get(id) ?? p.changedMs,
        customer: this.#customer.get(id) ?? {},
      });
    }
    return out;
  }

  /** Scans delivered so far, by name. */
  get deliveredScans(): ReadonlyMap<string, ScanReport> {
    return this.#scans;
  }
}
