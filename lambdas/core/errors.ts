/**
 * Error taxonomy shared by every layer. Errors are classified once, here:
 * - permanent: the input is wrong; report it (file, field, rule) and never retry;
 * - transient: throttling, 5xx, time-outs, write conflicts; retry with backoff.
 */
export type ErrorKind = "permanent" | "transient";

/** Base class of every error shadowhub raises on purpose. */
export abstract class ShadowhubError extends Error {
  abstract readonly kind: ErrorKind;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Where in the input a problem was found. Every field is optional: say what is known. */
export interface InputLocation {
  /** File name, S3 key or message id the input came from. */
  source?: string;
  /** JSON path or field name inside the input, e.g. `data.Title` or `Results[3].Vulnerabilities`. */
  field?: string;
  /** The rule that was broken, e.g. `maxLength 256` or `valid JSON`. */
  rule?: string;
}

/** Bad input: a malformed report, an invalid finding, a wrong option. Never retried. */
export class InputError extends ShadowhubError {
  readonly kind = "permanent" as const;
  readonly location: InputLocation;
  constructor(message: string, location: InputLocation = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.location = location;
  }
}

/** Wrong configuration (CLI options, Lambda environment, construct props). Never retried. */
export class ConfigurationError extends ShadowhubError {
  readonly kind = "permanent" as const;
}

/** A failure that may succeed when tried again later. */
export class TransientError extends ShadowhubError {
  readonly kind = "transient" as const;
}

/** The remote side asked us to slow down (HTTP 429, ThrottlingException, ...). */
export class ThrottlingError extends TransientError {}

/** True when `error` should be retried. Unknown errors are treated as permanent: never loop on a bug. */
export function isTransient(error: unknown): boolean {
  return error instanceof ShadowhubError && error.kind === "transient";
}

/** A printable message for any thrown value, without losing the cause chain. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause === undefined ? "" : ` (caused by: ${describeError(error.cause)})`;
    return `${error.message}${cause}`;
  }
  return String(error);
}
