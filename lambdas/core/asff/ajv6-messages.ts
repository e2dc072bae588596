/**
 * Turns ajv 8 errors into Security Hub's wording. The service validates with ajv 6 and answers
 * `Finding does not adhere to Amazon Finding Format. data.Title should NOT be longer than 256
 * characters.`: ajv 6 message texts ("should NOT be longer than", not ajv 8's "must NOT have more
 * than") and ajv 6 data paths (`data.Resources[0].Type`, `data.ProductFields['a/b']`), not JSON
 * pointers. Pure functions, no ajv import: only the shape of its error objects is used.
 */

/** The part of an ajv 8 `ErrorObject` this module reads. */
export interface AjvErrorLike {
  readonly keyword: string;
  readonly instancePath: string;
  readonly schemaPath: string;
  readonly params: Record<string, unknown>;
  readonly propertyName?: string;
}

/** One reported problem before the service prefix is added: its ajv 6 path and text fragments. */
export interface ReasonGroup {
  /** ajv 6 style path of the value the problem is about, e.g. `data.Resources[0].Type`. */
  readonly path: string;
  /** ajv keyword of the main error (`maxLength`, `anyOf`, `required`, ...). */
  readonly keyword: string;
  /** `path reason` fragments, in the order ajv 6 would print them; joined with `, `. */
  readonly fragments: readonly string[];
  readonly schemaPath: string;
  readonly instancePath: string;
}

/** Longest excerpt of input data (a property name) echoed into a message: hostile keys stay short. */
const MAX_ECHO = 64;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function echo(value: string): string {
  return value.length <= MAX_ECHO ? value : `${value.slice(0, MAX_ECHO)}…`;
}

function quoteKey(key: string): string {
  return `['${echo(key).replace(/\\/g, "\\\\").replace(/'/g, "\\'")}']`;
}

/**
 * Converts an ajv 8 `instancePath` (a JSON pointer) to ajv 6's `dataPath`: `data`, then `[n]` for
 * array indexes, `.Name` for identifier keys and `['a/b']` for other keys. `data` is walked to tell
 * an array index from an object key that happens to be numeric.
 */
export function toAjv6Path(instancePath: string, data: unknown): string {
  if (instancePath === "") return "data";
  let out = "data";
  let node: unknown = data;
  for (const raw of instancePath.slice(1).split("/")) {
    const segment = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(node)) {
      out += `[${segment}]`;
      node = node[Number(segment)];
    } else {
      out += IDENTIFIER.test(segment) ? `.${segment}` : quoteKey(segment);
      node =
        node !== null && typeof node === "object" && Object.hasOwn(node, segment)
          ? (node as Record<string, unknown>)[segment]
          : undefined;
    }
  }
  return out;
}

/** ajv 6's message text for one error (without the path). */
export function ajv6Reason(error: AjvErrorLike): string {
  const p = error.params;
  switch (error.keyword) {
    case "required":
      return `should have required property '${echo(String(p.missingProperty))}'`;
    case "type":
      return `should be ${Array.isArray(p.type) ? p.type.join(",") : String(p.type)}`;
    case "maxLength":
      return `should NOT be longer than ${String(p.limit)} characters`;
    case "minLength":
      return `should NOT be shorter than ${String(p.limit)} characters`;
    case "pattern":
      return `should match pattern "${String(p.pattern)}"`;
    case "format":
      return `should match format "${String(p.format)}"`;
    case "enum":
      return "should be equal to one of the allowed values";
    case "maximum":
    case "minimum":
    case "exclusiveMaximum":
    case "exclusiveMinimum":
      return `should be ${String(p.comparison)} ${String(p.limit)}`;
    case "maxItems":
      return `should NOT have more than ${String(p.limit)} items`;
    case "minItems":
      return `should NOT have fewer than ${String(p.limit)} items`;
    case "maxProperties":
      return `should NOT have more than ${String(p.limit)} properties`;
    case "minProperties":
      return `should NOT have fewer than ${String(p.limit)} properties`;
    case "additionalProperties":
      // ajv 6 names the property only in params; say it, or the message cannot be acted on.
      return `should NOT have additional properties ('${echo(String(p.additionalProperty))}')`;
    case "propertyNames":
      return `property name '${echo(String(p.propertyName))}' is invalid`;
    case "anyOf":
      return "should match some schema in anyOf";
    case "oneOf":
      return "should match exactly one schema in oneOf";
    case "const":
      return "should be equal to constant";
    default:
      return `should pass "${error.keyword}" keyword validation`;
  }
}

/** True when `schemaPath` lies under the keyword at `parent` (e.g. a branch of an anyOf). */
function isUnder(schemaPath: string, parent: string): boolean {
  return schemaPath.startsWith(`${parent}/`);
}

/**
 * Picks the anyOf branch whose errors to report. ajv 6 (as the service runs it) reports the first
 * branch; that is what the service says for a finding with neither Severity nor
 * FindingProviderFields. When a later branch got further (it failed on something deeper than a
 * missing property of the object itself), that branch explains the problem better and is chosen.
 */
function chooseBranch(anyOf: AjvErrorLike, branchGroups: readonly ReasonGroup[]): ReasonGroup[] {
  const byBranch = new Map<string, ReasonGroup[]>();
  for (const group of branchGroups) {
    const branch = group.schemaPath.slice(anyOf.schemaPath.length + 1).split("/")[0] ?? "0";
    const list = byBranch.get(branch) ?? [];
    list.push(group);
    byBranch.set(branch, list);
  }
  const branches = [...byBranch.keys()].sort((a, b) => Number(a) - Number(b));
  const shallow = (g: ReasonGroup): boolean =>
    g.keyword === "required" && g.instancePath === anyOf.instancePath;
  const deeper = branches.find((b) => !(byBranch.get(b) ?? []).every(shallow));
  return byBranch.get(deeper ?? branches[0] ?? "0") ?? [];
}

/**
 * Groups ajv 8 errors (from a validator run with `allErrors: true`) into ajv 6-worded problems:
 * - the branch errors of a failed `anyOf` are folded into the anyOf's own problem;
 * - a `propertyNames` failure carries the failing rule of the name;
 * - `.*\S.*` is not repeated for a string already reported as too short, nor the timestamp
 *   calendar check for a string already failing the timestamp pattern.
 */
export function groupAjvErrors(errors: readonly AjvErrorLike[], data: unknown): ReasonGroup[] {
  const out: ReasonGroup[] = [];
  for (const error of errors) {
    const path = toAjv6Path(error.instancePath, data);
    if (error.keyword === "anyOf" || error.keyword === "propertyNames") {
      const inner: ReasonGroup[] = [];
      while (out.length > 0) {
        const last = out[out.length - 1];
        if (!last || !isUnder(last.schemaPath, error.schemaPath)) break;
        inner.unshift(last);
        out.pop();
      }
      const chosen = dropRedundant(error.keyword === "anyOf" ? chooseBranch(error, inner) : inner);
      out.push({
        path,
        keyword: error.keyword,
        fragments: [...chosen.flatMap((g) => g.fragments), `${path} ${ajv6Reason(error)}`],
        schemaPath: error.schemaPath,
        instancePath: error.instancePath,
      });
      continue;
    }
    out.push({
      path,
      keyword: error.keyword,
      fragments: [`${path} ${ajv6Reason(error)}`],
      schemaPath: error.schemaPath,
      instancePath: error.instancePath,
    });
  }
  return dropRedundant(out);
}

function dropRedundant(groups: readonly ReasonGroup[]): ReasonGroup[] {
  const tooShort = new Set<string>();
  const badPattern = new Set<string>();
  for (const g of groups) {
    if (g.keyword === "minLength") tooShort.add(`${g.instancePath}|${parentOf(g.schemaPath)}`);
    if (g.keyword === "pattern") badPattern.add(`${g.instancePath}|${parentOf(g.schemaPath)}`);
  }
  return groups.filter((g) => {
    const key = `${g.instancePath}|${parentOf(g.schemaPath)}`;
    if (g.keyword === "pattern" && tooShort.has(key)) return false;
    if (g.keyword === "format" && (badPattern.has(key) || tooShort.has(key))) return false;
    return true;
  });
}

function parentOf(schemaPath: string): string {
  const at = schemaPath.lastIndexOf("/");
  return at < 0 ? schemaPath : schemaPath.slice(0, at);
}
