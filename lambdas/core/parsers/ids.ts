/**
 * Stable finding Ids. An Id is a contract (spec §6, style.md): the same issue must get the same Id
 * on every run and every machine, and two different issues must never share one. So an Id is a
 * pure function of the stable inputs — tool, rule, resource, location or package — and never of a
 * time, a run, a build number or the order of results in the report.
 *
 * Recipe: `<tool>/<readable rule>/<sha256 of the JSON array [tool, rule, ...identity]>` with the
 * hash cut to 32 hex digits (128 bits) — readable in the console, short (≤ 260 characters, well
 * under the 512 limit) and collision-free in practice. The readable part is for humans only; the
 * hash carries the identity, so a rule name that is cut or rewritten does not merge issues.
 */
import * as crypto from "node:crypto";

/** Characters kept in the readable part; everything else becomes `-`. */
const UNSAFE_RE = /[^A-Za-z0-9._:@+=-]+/g;
const READABLE_MAX = 200;
/** A rule that `readableRule` returns unchanged: safe characters only, no `-` at either end. */
const SLUG_RE = /^[A-Za-z0-9._:@+=](?:[A-Za-z0-9._:@+=-]*[A-Za-z0-9._:@+=])?$/;

/** 32 hex digits of SHA-256 over the JSON encoding of `parts` (undefined → ""). */
export function stableHash(parts: readonly (string | number | undefined)[]): string {
  // the usual parts are all strings already: no copy of the array
  let normalized: readonly (string | number | undefined)[] = parts;
  for (let i = 0; i < parts.length; i++) {
    if (typeof parts[i] !== "string") {
      normalized = parts.map((p) => (p === undefined ? "" : String(p)));
      break;
    }
  }
  return sha256Hex(JSON.stringify(normalized)).slice(0, 32);
}

/**
 * SHA-256 of a string, in hex. The one-shot `crypto.hash` (Node ≥ 20.12) is several times faster
 * than a `Hash` object for short inputs, and a large report computes one per finding; the result
 * is the same digest either way.
 */
const sha256Hex: (text: string) => string =
  typeof crypto.hash === "function"
    ? (text) => crypto.hash("sha256", text, "hex")
    : (text) => crypto.createHash("sha256").update(text).digest("hex");

/** The readable slug of a rule: safe characters only, at most 200 of them. */
export function readableRule(rule: string): string {
  // the usual rule (a CVE id, a check id, the tool's name) is a slug already
  if (rule.length <= READABLE_MAX && SLUG_RE.test(rule)) return rule;
  const slug = rule.replace(UNSAFE_RE, "-").replace(/^-+|-+$/g, "");
  return (slug === "" ? "rule" : slug).slice(0, READABLE_MAX);
}

/**
 * The finding Id for `tool`'s `rule` at the identity parts (resource, location, package, ...).
 * Identity parts must be stable: pass paths, package names, resource names and line anchors —
 * never versions that change with a fix, times or counters.
 */
export function findingId(
  tool: string,
  rule: string,
  identity: readonly (string | number | undefined)[],
): string {
  return `${readableRule(tool)}/${readableRule(rule)}/${stableHash([tool, rule, ...identity])}`;
}

/**
 * The Id recipe prepared for many findings of one tool whose identity starts with the same parts
 * (Trivy: the artifact and the result's location): `templateId(template, rule, rest)` equals
 * `findingId(tool, rule, [...shared, ...rest])`, but the shared parts are encoded once, and no
 * array is built and stringified per finding.
 */
export interface IdTemplate {
  /** `readableRule(tool)`. */
  readonly slug: string;
  /** `["<tool>",` as JSON. */
  readonly head: string;
  /** `,<shared parts as JSON>` (empty when none). */
  readonly shared: string;
}

/** Prepares `findingId(tool, rule, [...shared, ...])` for many rules and last parts. */
export function idTemplate(tool: string, shared: readonly string[]): IdTemplate {
  let json = "";
  for (const part of shared) json += `,${JSON.stringify(part)}`;
  return { slug: readableRule(tool), head: `[${JSON.stringify(tool)},`, shared: json };
}

/** `findingId(tool, rule, [...shared, ...rest])` for the template's tool and shared parts. */
export function templateId(template: IdTemplate, rule: string, rest: readonly string[]): string {
  // the JSON text of [tool, rule, ...shared, ...rest], as stableHash writes it for string parts
  let json = template.head + JSON.stringify(rule) + template.shared;
  for (let i = 0; i < rest.length; i++) json += `,${JSON.stringify(rest[i])}`;
  return `${template.slug}/${readableRule(rule)}/${sha256Hex(`${json}]`).slice(0, 32)}`;
}

/**
 * A GeneratorId for `tool`'s `rule` (the rule or check, spec §6), kept within 512 characters: a
 * longer rule is cut and suffixed with a hash of the whole, so two long rules stay distinct.
 */
export function generatorId(tool: string, rule: string): string {
  const id = `${tool}/${rule}`;
  if (id.length <= 512) return id;
  return `${id.slice(0, 512 - 34)}~${stableHash([tool, rule])}`;
}
