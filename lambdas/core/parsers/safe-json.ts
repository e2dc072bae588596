/**
 * Reading a report safely: bytes → text → JSON document, with every way it can go wrong turned
 * into an `InputError` naming the source, the field and the rule. Pure (no I/O).
 *
 * - size cap (`DEFAULT_MAX_REPORT_BYTES`, 256 MiB): a larger report is refused before it is
 *   decoded, so a runaway file cannot exhaust memory; callers may lower or raise it;
 * - invalid UTF-8 is an error (never replaced by U+FFFD silently); a UTF-8 BOM is skipped;
 * - malformed or truncated JSON reports the line and column;
 * - nesting deeper than `DEFAULT_MAX_DEPTH` (64) is refused: real reports are < 20 deep, and
 *   recursive code downstream must not overflow the stack;
 * - `__proto__` keys are removed from the parsed document (`JSON.parse` creates them as plain
 *   own properties, but a later `Object.assign` or `obj[key] = …` copy would turn them into a
 *   prototype change). `constructor`/`prototype` keys are harmless data and are kept; parsers
 *   never use report strings as keys of plain objects (they use `Map`).
 */
import { isUtf8 } from "node:buffer";
import { InputError } from "../errors.ts";

/** Largest report accepted by default: 256 MiB of UTF-8. */
export const DEFAULT_MAX_REPORT_BYTES = 256 * 1024 * 1024;
/** Deepest nesting of arrays/objects accepted by default. */
export const DEFAULT_MAX_DEPTH = 64;

/** Limits of `parseReport`. */
export interface ParseLimits {
  readonly maxBytes?: number;
  readonly maxDepth?: number;
}

function lineAndColumn(text: string, position: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < position && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return `line ${line}, column ${position - lineStart + 1}`;
}

/** Decodes the report's bytes as UTF-8 (fatal on invalid sequences) and enforces the size cap. */
export function decodeReport(
  source: string,
  content: string | Uint8Array,
  maxBytes = DEFAULT_MAX_REPORT_BYTES,
): string {
  // A string's UTF-8 size is at least its UTF-16 length / 1 and at most 3×; measure exactly only near the cap.
  const bytes =
    typeof content === "string"
      ? content.length * 3 <= maxBytes
        ? content.length
        : Buffer.byteLength(content, "utf8")
      : content.byteLength;
  if (bytes > maxBytes) {
    throw new InputError(
      `${source}: the report is ${bytes} bytes, more than the ${maxBytes}-byte limit; split it or raise the limit`,
      { source, rule: `maxBytes ${maxBytes}` },
    );
  }
  if (typeof content === "string") return content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
  // isUtf8 + toString is several times faster than a fatal TextDecoder on large reports.
  if (!isUtf8(content)) {
    throw new InputError(
      `${source}: the report is not valid UTF-8 text; expected a UTF-8 encoded JSON document`,
      {
        source,
        rule: "valid UTF-8",
      },
    );
  }
  const buffer = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  const start = buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf ? 3 : 0;
  return buffer.toString("utf8", start);
}

/**
 * Removes `__proto__` keys and checks the nesting depth. Throws `InputError` naming the JSON path
 * of the first value (in document order) nested deeper than `maxDepth`.
 *
 * A recursive walk bounded by `maxDepth` (so it cannot overflow the stack): it allocates nothing
 * per value, and the path is only built, while unwinding, for the error. On a 100,000-finding
 * report this walk visits millions of values.
 */
export function inspectDocument(source: string, document: unknown, maxDepth = DEFAULT_MAX_DEPTH): void {
  if (document === null || typeof document !== "object") return;
  try {
    inspectValue(document, 0, maxDepth);
  } catch (error) {
    if (!(error instanceof TooDeep)) throw error;
    const path = `$${error.segments.reverse().join("")}`;
    throw new InputError(
      `${source}: ${path} is nested more than ${maxDepth} levels deep; no supported report nests this deep`,
      { source, field: path, rule: `maxDepth ${maxDepth}` },
    );
  }
}

/** Thrown from the depth limit up the walk; each level adds its key to the path. */
class TooDeep extends Error {
  readonly segments: string[] = [];
}

function inspectValue(value: object, depth: number, maxDepth: number): void {
  if (depth >= maxDepth) throw new TooDeep("too deep");
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const child: unknown = value[i];
      if (child === null || typeof child !== "object") continue;
      try {
        inspectValue(child, depth + 1, maxDepth);
      } catch (error) {
        if (error instanceof TooDeep) error.segments.push(`[${i}]`);
        throw error;
      }
    }
    return;
  }
  const obj = value as Record<string, unknown>;
  // biome-ignore lint/suspicious/noProto: removing an own `__proto__` data key is the point
  if (Object.hasOwn(obj, "__proto__")) delete obj.__proto__;
  for (const key in obj) {
    const child = obj[key];
    if (child === null || typeof child !== "object") continue;
    try {
      inspectValue(child, depth + 1, maxDepth);
    } catch (error) {
      if (error instanceof TooDeep) error.segments.push(`.${key}`);
      throw error;
    }
  }
}

/** Bytes → inspected JSON document. Throws `InputError` (source, field, rule) for any bad input. */
export function parseReport(source: string, content: string | Uint8Array, limits: ParseLimits = {}): unknown {
  const text = decodeReport(source, content, limits.maxBytes);
  if (text.trim() === "") {
    throw new InputError(
      `${source}: the report is empty; expected a JSON document (a scan with no findings still writes one)`,
      {
        source,
        rule: "valid JSON",
      },
    );
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const pos = /position (\d+)/.exec(message);
    const where = pos ? ` at ${lineAndColumn(text, Number(pos[1]))}` : "";
    const atEnd = pos !== null && Number(pos[1]) >= text.trimEnd().length;
    const truncated =
      atEnd || /end of JSON input|Unterminated|Unexpected end/i.test(message)
        ? " (the file looks truncated)"
        : "";
    throw new InputError(
      `${source}: not valid JSON${where}${truncated}: ${message}`,
      { source, rule: "valid JSON" },
      { cause: error },
    );
  }
  inspectDocument(source, document, limits.maxDepth);
  return document;
}
