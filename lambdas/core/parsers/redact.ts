/**
 * Secrets never travel: values that a secret scanner matched (Trivy `Secrets[].Match` and
 * `Code.Lines`, gitleaks `Secret`/`Match`/`offender`, SARIF snippets of secret rules) are replaced
 * before anything reaches a finding. Parsers call these helpers; they never copy raw matched text.
 */

/** What a redacted value is replaced with. */
export const REDACTED = "[REDACTED]";

/**
 * Property names (compared case-insensitively, ignoring `_` and `-`) whose string values are
 * treated as secret material in tool-specific property bags.
 */
export const SECRET_PROPERTY_NAMES: ReadonlySet<string> = new Set([
  "match",
  "matches",
  "matched",
  "matchedtext",
  "matchedvalue",
  "secret",
  "secretvalue",
  "offender",
  "snippet",
  "code",
  "lines",
  "line_content",
  "linecontent",
  "content",
  "raw",
  "rawv2",
  "value",
  "password",
  "token",
  "context",
]);

function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[_-]/g, "");
}

const NORMALIZED_SECRET_NAMES: ReadonlySet<string> = new Set([...SECRET_PROPERTY_NAMES].map(normalizeName));

/** True when a property called `name` holds secret material. */
export function isSecretPropertyName(name: string): boolean {
  return NORMALIZED_SECRET_NAMES.has(normalizeName(name));
}

/**
 * A copy of `value` in which every string (or list of strings) under a secret-named property is
 * replaced by `[REDACTED]`, at any depth. Numbers and booleans are kept (line numbers are useful).
 * `__proto__` keys are dropped.
 */
export function redactProperties(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => redactProperties(v));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === "__proto__") continue;
    if (isSecretPropertyName(key) && (typeof v === "string" || (typeof v === "object" && v !== null))) {
      out[key] = REDACTED;
    } else {
      out[key] = redactProperties(v);
    }
  }
  return out;
}

/**
 * Replaces every occurrence of each secret in `text` by `[REDACTED]`. Secrets shorter than 4
 * characters are ignored (they would blank out ordinary words); masked values (`****`) are left.
 */
export function redactValues(text: string, secrets: Iterable<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret === undefined || secret.length < 4 || /^\*+$/.test(secret)) continue;
    out = out.split(secret).join(REDACTED);
  }
  return out;
}
