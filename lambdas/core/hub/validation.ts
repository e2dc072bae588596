/**
 * The engine's single import point for the ASFF validator (`core/asff/validate.ts`). Everything
 * schema-related is decided there; this module only shapes its answers into the engine's
 * per-finding error messages.
 */
import {
  type AsffViolation,
  findingSizeBytes,
  validateBatchUpdateFields,
  validateFinding,
} from "../asff/validate.ts";

export type { AsffViolation };

/** The prefix Security Hub puts before schema errors of an imported finding. */
const ASFF_PREFIX = "Finding does not adhere to Amazon Finding Format.";

/**
 * Validates one imported finding. Returns `undefined` when valid, otherwise the `InvalidInput`
 * message: the validator's own (Security Hub-worded) message when there is one violation, or all
 * violations' reasons after a single prefix, comma-separated, as ajv's `errorsText` does.
 */
export function findingSchemaError(finding: unknown): string | undefined {
  const violations = validateFinding(finding);
  if (violations.length === 0) return undefined;
  return joinViolations(violations);
}

/** The UTF-8 JSON size of a finding, as Security Hub counts it against 240 KB. */
export function findingSize(finding: unknown): number {
  return findingSizeBytes(finding);
}

/** Validates the update members of a BatchUpdateFindings request; `undefined` when valid. */
export function batchUpdateFieldsError(request: unknown): string | undefined {
  const violations = validateBatchUpdateFields(request);
  if (violations.length === 0) return undefined;
  return violations.map((v) => stripPrefix(v.message)).join(", ");
}

function stripPrefix(message: string): string {
  const body = message.startsWith(ASFF_PREFIX) ? message.slice(ASFF_PREFIX.length).trim() : message;
  return body.endsWith(".") ? body.slice(0, -1) : body;
}

function joinViolations(violations: readonly AsffViolation[]): string {
  const [first] = violations;
  if (violations.length === 1 && first) return first.message;
  return `${ASFF_PREFIX} ${violations.map((v) => stripPrefix(v.message)).join(", ")}.`;
}
