/**
 * Reading a large report in parts: one pass over the bytes finds the entries of the arrays a parser
 * declares (`ReportParser.entryArrays`, e.g. Trivy's `Results[*].Vulnerabilities`), and each entry
 * is `JSON.parse`d on its own when the parser reaches it; the rest of the report (the envelope) is
 * parsed as usual, with those arrays left empty.
 *
 * Why: `JSON.parse` of a whole 128 MiB report builds every object at once; all of them survive the
 * young generation and are copied to the old one (about a second of garbage collection on a
 * 100,000-finding report), and the document is held next to its findings. Parsed one at a time,
 * entries die young, and no 128 MiB string is ever made (each entry is decoded from the bytes).
 *
 * Safety: the pass validates the whole document against the JSON grammar (RFC 8259, as strict as
 * `JSON.parse`), the nesting depth and the UTF-8 encoding before anything is parsed, so a report
 * that the whole-document path (`parseReport`) would refuse is never read in parts. On anything
 * unusual — malformed or truncated JSON, too deep, not UTF-8, over the size cap, a duplicate key on
 * the way to a split array, an empty document — `splitReport` returns `undefined` and the caller
 * uses `parseReport`, which gives exactly the error (file, position, JSON path, rule) it always
 * gave. `__proto__` keys are removed from the envelope and from every entry that has one, as
 * `parseReport` does. The values a parser sees are the ones `JSON.parse` of the whole text gives.
 */
import { Buffer, isUtf8 } from "node:buffer";
import type { SplitReport } from "./contracts.ts";
import {
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_REPORT_BYTES,
  inspectDocument,
  type ParseLimits,
  parseReport,
} from "./safe-json.ts";

/**
 * Paths of arrays to split: object keys from the root, `*` for every index of an array
 * (`["Results", "*", "Vulnerabilities"]`).
 */
export type EntryArrayPattern = readonly string[];

/** A value of the root object that is on no split path is skipped; if it is larger than this, the report is read whole. */
const ROOT_SKIP_BUDGET = 1024 * 1024;

/** Thrown inside the scan when the report is to be read whole; never escapes `splitReport`. */
class Whole {}
const WHOLE = new Whole();

/** Entry flags. */
const NON_ASCII = 1;
const PROTO_KEY = 2;
/**
 * A string of the entry may hold a control character once decoded (`\b`, `\f`, any `\u` escape,
 * DEL, or U+0080–U+009F): conservative, so an entry without it has none (see `isControlFreeEntry`).
 */
const MAY_CONTROL = 4;

/** One split array: where its entries are, and which pattern found it. */
interface SplitArray {
  /** Offset of `[` and of `]` in the bytes. */
  readonly open: number;
  close: number;
  readonly starts: number[];
  readonly ends: number[];
  readonly flags: number[];
  readonly pattern: number;
}

const CHAR = {
  tab: 0x09,
  lf: 0x0a,
  cr: 0x0d,
  space: 0x20,
  quote: 0x22,
  comma: 0x2c,
  minus: 0x2d,
  dot: 0x2e,
  zero: 0x30,
  nine: 0x39,
  colon: 0x3a,
  openArray: 0x5b,
  backslash: 0x5c,
  closeArray: 0x5d,
  openObject: 0x7b,
  closeObject: 0x7d,
} as const;

/** `__proto__` as bytes. */
const PROTO = [0x5f, 0x5f, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x5f, 0x5f] as const;

/** Hex digit lookup: 1 for 0-9, a-f, A-F. */
const HEX = new Uint8Array(256);
for (const c of "0123456789abcdefABCDEF") HEX[c.charCodeAt(0)] = 1;
/** What a byte inside a JSON string is: `PLAIN` printable ASCII, or the end, an escape, a control character, non-ASCII. */
const PLAIN = 0;
const QUOTE = 1;
const BACKSLASH = 2;
const CONTROL = 3;
const NON_ASCII_BYTE = 4;
const DEL = 5;
const STRING_BYTE = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  STRING_BYTE[c] =
    c < 0x20
      ? CONTROL
      : c === 0x22
        ? QUOTE
        : c === 0x5c
          ? BACKSLASH
          : c === 0x7f
            ? DEL
            : c >= 0x80
              ? NON_ASCII_BYTE
              : PLAIN;
}
/**
 * True when none of the four bytes of `w` is special inside a JSON string: all are printable ASCII
 * (0x20–0x7E) other than `"` and `\\`. Whatever the byte order (only whether some byte is special
 * matters, never which): when no byte has its high bit set, adding to a byte never carries into the
 * next, and a byte's high bit after `+ 0x60` says ≥ 0x20, after `+ 0x01` clear says < 0x7F, after
 * `^ 0x22` or `^ 0x5C` and `+ 0x7F` says it differs from `"` or `\\`; a byte with its high bit set
 * fails the last test itself.
 */
function plainWord(w: number): boolean {
  const atLeastSpace = w + 0x60606060;
  const belowDel = w + 0x01010101;
  const notQuote = (w ^ 0x22222222) + 0x7f7f7f7f;
  const notBackslash = (w ^ 0x5c5c5c5c) + 0x7f7f7f7f;
  return (atLeastSpace & notQuote & notBackslash & ~(belowDel | w) & 0x80808080) === (0x80808080 | 0);
}

/** Valid characters after a backslash, `u` apart. */
const ESCAPE = new Uint8Array(256);
for (const c of '"\\/bfnrt') ESCAPE[c.charCodeAt(0)] = 1;

/** The validating scanner over one report's bytes. */
class Scanner {
  readonly b: Buffer;
  readonly end: number;
  /**
   * The bytes' whole ArrayBuffer as 32-bit words, for string bodies read four bytes at a time;
   * `base` is `b`'s offset in it and `wordLimit` the first word that is not wholly inside `b`.
   */
  readonly words: Int32Array;
  readonly base: number;
  readonly wordLimit: number;
  readonly maxDepth: number;
  /** Flags of the value being skipped (`NON_ASCII`, `PROTO_KEY`), or-ed in as they are seen. */
  flags = 0;
  /** Scan position limit of the current skip (a root value on no path has a budget). */
  limit: number;
  /** Whether the last string scanned had a backslash escape. */
  escaped = false;
  /** Open containers of `skip` (their closing bytes), reused. */
  readonly stack: number[] = [];

  constructor(b: Buffer, end: number, maxDepth: number) {
    this.b = b;
    this.end = end;
    this.maxDepth = maxDepth;
    this.words = new Int32Array(b.buffer, 0, b.buffer.byteLength >> 2);
    this.base = b.byteOffset;
    this.wordLimit = (b.byteOffset + end) >> 2;
    this.limit = end;
  }

  ws(i: number): number {
    const b = this.b;
    for (;;) {
      const c = b[i];
      if (c === CHAR.space || c === CHAR.lf || c === CHAR.cr || c === CHAR.tab) i++;
      else return i;
    }
  }

  /** `i` at the opening quote; returns the offset after the closing quote. */
  string(i: number): number {
    const b = this.b;
    const end = this.end;
    const words = this.words;
    const base = this.base;
    const wordLimit = this.wordLimit;
    i++;
    for (;;) {
      // the common run: printable ASCII, a byte at a time up to a word boundary, then four at a time
      // (twice as fast: strings are most of a report's bytes), then the bytes up to the special one
      while (i < end && ((base + i) & 3) !== 0 && STRING_BYTE[b[i] as number] === PLAIN) i++;
      if (i < end && ((base + i) & 3) === 0) {
        let k = (base + i) >> 2;
        while (k < wordLimit && plainWord(words[k] as number)) k++;
        i = (k << 2) - base;
        while (i < end && STRING_BYTE[b[i] as number] === PLAIN) i++;
      }
      if (i >= end) throw WHOLE;
      const kind = STRING_BYTE[b[i] as number];
      if (kind === QUOTE) return i + 1;
      if (kind === NON_ASCII_BYTE) {
        // the bytes were checked to be UTF-8 up front: a non-ASCII entry is decoded as UTF-8;
        // U+0080–U+009F (C1 controls) are C2 80 – C2 9F
        this.flags |= b[i] === 0xc2 && (b[i + 1] as number) < 0xa0 ? NON_ASCII | MAY_CONTROL : NON_ASCII;
        i++;
      } else if (kind === DEL) {
        this.flags |= MAY_CONTROL;
        i++;
      } else if (kind === BACKSLASH) {
        this.escaped = true;
        const e = b[i + 1] as number;
        if (ESCAPE[e] === 1) {
          // \b and \f are control characters; \t, \n and \r are kept by the finalizer
          if (e === 0x62 || e === 0x66) this.flags |= MAY_CONTROL;
          i += 2;
        } else if (e === 0x75) {
          this.flags |= MAY_CONTROL;
          if (
            i + 5 >= end ||
            HEX[b[i + 2] as number] !== 1 ||
            HEX[b[i + 3] as number] !== 1 ||
            HEX[b[i + 4] as number] !== 1 ||
            HEX[b[i + 5] as number] !== 1
          )
            throw WHOLE;
          i += 6;
        } else throw WHOLE;
      } else throw WHOLE; // a raw control character: JSON.parse refuses it
    }
  }

  /** An object key at `i`: returns the offset after it; flags a key that is or may be `__proto__`. */
  key(i: number): number {
    if (this.b[i] !== CHAR.quote) throw WHOLE;
    this.escaped = false;
    const after = this.string(i);
    // an escape can spell `__proto__` (`\u005f_proto__`): such an entry is inspected too
    if (this.escaped) this.flags |= PROTO_KEY;
    else if (after - i === 11) {
      const b = this.b;
      let same = true;
      for (let k = 0; k < 9; k++) if (b[i + 1 + k] !== PROTO[k]) same = false;
      if (same) this.flags |= PROTO_KEY;
    }
    return after;
  }

  /** A number at `i` (JSON grammar); returns the offset after it. */
  number(i: number): number {
    const b = this.b;
    if (b[i] === CHAR.minus) i++;
    let c = b[i] as number;
    if (c === CHAR.zero) i++;
    else if (c > CHAR.zero && c <= CHAR.nine) {
      i++;
      for (c = b[i] as number; c >= CHAR.zero && c <= CHAR.nine; c = b[++i] as number);
    } else throw WHOLE;
    if (b[i] === CHAR.dot) {
      i++;
      c = b[i] as number;
      if (!(c >= CHAR.zero && c <= CHAR.nine)) throw WHOLE;
      for (; c >= CHAR.zero && c <= CHAR.nine; c = b[++i] as number);
    }
    c = b[i] as number;
    if (c === 0x65 || c === 0x45) {
      i++;
      c = b[i] as number;
      if (c === 0x2b || c === CHAR.minus) c = b[++i] as number;
      if (!(c >= CHAR.zero && c <= CHAR.nine)) throw WHOLE;
      for (; c >= CHAR.zero && c <= CHAR.nine; c = b[++i] as number);
    }
    return i;
  }

  literal(i: number): number {
    const b = this.b;
    const c = b[i];
    if (c === 0x74 && b[i + 1] === 0x72 && b[i + 2] === 0x75 && b[i + 3] === 0x65) return i + 4;
    if (c === 0x6e && b[i + 1] === 0x75 && b[i + 2] === 0x6c && b[i + 3] === 0x6c) return i + 4;
    if (c === 0x66 && b[i + 1] === 0x61 && b[i + 2] === 0x6c && b[i + 3] === 0x73 && b[i + 4] === 0x65)
      return i + 5;
    throw WHOLE;
  }

  /** A scalar (string, number, literal) at `i`; returns the offset after it. */
  scalar(i: number): number {
    const c = this.b[i];
    if (c === CHAR.quote) return this.string(i);
    if (c === CHAR.minus || (c !== undefined && c >= CHAR.zero && c <= CHAR.nine)) return this.number(i);
    return this.literal(i);
  }

  /** `i` after `{` or `,` inside an object: the key, the colon and whitespace; returns the value's offset. */
  member(i: number): number {
    i = this.ws(this.key(this.ws(i)));
    if (this.b[i] !== CHAR.colon) throw WHOLE;
    return this.ws(i + 1);
  }

  /**
   * Validates the value at `i` (whitespace skipped), whose containers start at nesting index
   * `depth` (the root is 0); returns the offset after it. Iterative: the nesting is bounded by
   * `maxDepth`, not by the stack.
   */
  skip(i: number, depth: number): number {
    const b = this.b;
    const stack = this.stack;
    stack.length = 0;
    for (;;) {
      // a value at i
      const c = b[i];
      if (c === CHAR.openObject || c === CHAR.openArray) {
        if (depth + stack.length >= this.maxDepth) throw WHOLE;
        i = this.ws(i + 1);
        if (c === CHAR.openObject) {
          if (b[i] !== CHAR.closeObject) {
            stack.push(CHAR.closeObject);
            i = this.member(i);
            continue;
          }
        } else if (b[i] !== CHAR.closeArray) {
          stack.push(CHAR.closeArray);
          continue;
        }
        i++;
      } else i = this.scalar(i);
      // after a value: close containers, or a comma and the next value
      for (;;) {
        if (stack.length === 0) return i;
        if (i > this.limit) throw WHOLE;
        i = this.ws(i);
        const d = b[i];
        const close = stack[stack.length - 1];
        if (d === CHAR.comma) {
          i = close === CHAR.closeObject ? this.member(i + 1) : this.ws(i + 1);
          break;
        }
        if (d !== close) throw WHOLE;
        stack.pop();
        i++;
      }
    }
  }
}

/** Decodes an object key (the bytes from its opening quote to after its closing one). */
function keyText(b: Buffer, start: number, after: number): string {
  const raw = b.toString("utf8", start + 1, after - 1);
  return raw.includes("\\") ? (JSON.parse(b.toString("utf8", start, after)) as string) : raw;
}

/** Walks the envelope along the patterns, recording split arrays; returns the offset after the value. */
function walk(
  s: Scanner,
  i: number,
  depth: number,
  patterns: readonly EntryArrayPattern[],
  active: readonly number[],
  level: number,
  path: readonly (string | number)[],
  splits: Map<string, SplitArray>,
  order: SplitArray[],
): number {
  const b = s.b;
  const c = b[i];
  const target = active.find((p) => (patterns[p] as EntryArrayPattern).length === level);
  if (target !== undefined) {
    if (c !== CHAR.openArray) return s.skip(i, depth);
    if (depth >= s.maxDepth) throw WHOLE;
    const split: SplitArray = { open: i, close: -1, starts: [], ends: [], flags: [], pattern: target };
    i = s.ws(i + 1);
    if (b[i] !== CHAR.closeArray) {
      for (;;) {
        s.flags = 0;
        const after = s.skip(i, depth + 1);
        split.starts.push(i);
        split.ends.push(after);
        split.flags.push(s.flags);
        i = s.ws(after);
        if (b[i] === CHAR.comma) i = s.ws(i + 1);
        else if (b[i] === CHAR.closeArray) break;
        else throw WHOLE;
      }
    }
    split.close = i;
    splits.set(JSON.stringify(path), split);
    order.push(split);
    return i + 1;
  }
  if (c === CHAR.openObject) {
    if (depth >= s.maxDepth) throw WHOLE;
    const seen = new Set<string>();
    i = s.ws(i + 1);
    if (b[i] === CHAR.closeObject) return i + 1;
    for (;;) {
      const keyStart = s.ws(i);
      if (b[keyStart] !== CHAR.quote) throw WHOLE;
      const keyEnd = s.string(keyStart);
      const key = keyText(b, keyStart, keyEnd);
      // the last of two equal keys wins in JSON.parse: the envelope's array would not be the split one
      if (seen.has(key)) throw WHOLE;
      seen.add(key);
      i = s.ws(keyEnd);
      if (b[i] !== CHAR.colon) throw WHOLE;
      i = s.ws(i + 1);
      // `*` stands for array indexes only: an object key "*" is on no path
      const next = key === "*" ? [] : active.filter((p) => (patterns[p] as EntryArrayPattern)[level] === key);
      if (next.length > 0) {
        i = walk(s, i, depth + 1, patterns, next, level + 1, [...path, key], splits, order);
      } else if (depth === 0) {
        // a large root value on no path (a SARIF `runs`, a Grype `matches`): not this format's report
        s.limit = i + ROOT_SKIP_BUDGET;
        i = s.skip(i, depth + 1);
        s.limit = s.end;
      } else i = s.skip(i, depth + 1);
      i = s.ws(i);
      if (b[i] === CHAR.comma) i++;
      else if (b[i] === CHAR.closeObject) return i + 1;
      else throw WHOLE;
    }
  }
  if (c === CHAR.openArray) {
    const next = active.filter((p) => (patterns[p] as EntryArrayPattern)[level] === "*");
    if (next.length === 0) return s.skip(i, depth);
    if (depth >= s.maxDepth) throw WHOLE;
    i = s.ws(i + 1);
    if (b[i] === CHAR.closeArray) return i + 1;
    for (let index = 0; ; index++) {
      i = s.ws(walk(s, s.ws(i), depth + 1, patterns, next, level + 1, [...path, index], splits, order));
      if (b[i] === CHAR.comma) i++;
      else if (b[i] === CHAR.closeArray) return i + 1;
      else throw WHOLE;
    }
  }
  return s.scalar(i);
}

/** The report's bytes without a BOM, or undefined when it must be read whole. */
function bytesOf(content: string | Uint8Array, maxBytes: number): { b: Buffer; start: number } | undefined {
  if (typeof content === "string") {
    // a lone surrogate has no UTF-8 form: such text is read whole, as it always was
    if (!(content as unknown as { isWellFormed(): boolean }).isWellFormed()) return undefined;
    const b = Buffer.from(content.charCodeAt(0) === 0xfeff ? content.slice(1) : content, "utf8");
    return b.byteLength > maxBytes ? undefined : { b, start: 0 };
  }
  if (content.byteLength > maxBytes) return undefined;
  const b = Buffer.isBuffer(content)
    ? content
    : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  if (!isUtf8(b)) return undefined;
  return { b, start: b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0 };
}

/** What `splitReport` read: the parts, and which patterns found split arrays. */
export interface SplitResult extends SplitReport {
  /** Indexes (into the `patterns` given) of the patterns that found at least one array. */
  readonly patternsFound: ReadonlySet<number>;
}

/**
 * Reads `content` in parts: the arrays matching `patterns` are split into entries parsed one at a
 * time. Returns `undefined` whenever the report should be read whole by `parseReport` (which then
 * reports any problem exactly as it always did): invalid or truncated JSON, too deep, not UTF-8,
 * over the size cap, empty, a duplicate key on a split path, a large root value on no split path.
 * Pure: no I/O.
 */
export function splitReport(
  source: string,
  content: string | Uint8Array,
  patterns: readonly EntryArrayPattern[],
  limits: ParseLimits = {},
): SplitResult | undefined {
  const bytes = bytesOf(content, limits.maxBytes ?? DEFAULT_MAX_REPORT_BYTES);
  if (bytes === undefined) return undefined;
  const { b, start } = bytes;
  const maxDepth = limits.maxDepth ?? DEFAULT_MAX_DEPTH;
  const s = new Scanner(b, b.byteLength, maxDepth);
  const splits = new Map<string, SplitArray>();
  const order: SplitArray[] = [];
  try {
    const first = s.ws(start);
    if (first >= b.byteLength) return undefined;
    const all = patterns.map((_, index) => index);
    const after = walk(s, first, 0, patterns, all, 0, [], splits, order);
    if (s.ws(after) !== b.byteLength) return undefined;
  } catch (error) {
    if (error === WHOLE) return undefined;
    throw error;
  }
  // The envelope: the bytes outside every split array's brackets.
  const pieces: Buffer[] = [];
  let from = start;
  for (const split of order) {
    pieces.push(b.subarray(from, split.open + 1));
    from = split.close;
  }
  pieces.push(b.subarray(from));
  let document: unknown;
  try {
    const envelope = pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces);
    document = JSON.parse(envelope.toString("utf8"));
  } catch {
    return undefined;
  }
  inspectDocument(source, document, maxDepth);
  return {
    document,
    entries(path) {
      const split = splits.get(JSON.stringify(path));
      return split === undefined
        ? undefined
        : entriesOf(b, split, () => parseReport(source, content, limits));
    },
    patternsFound: new Set(order.map((split) => split.pattern)),
  };
}

/**
 * The last object entries read whose strings hold no control character (no `MAY_CONTROL` flag), in
 * a ring: a parser asks about an entry right after reading it, so a short memory is enough, and
 * remembering costs a store (a `WeakSet` of every clean entry cost ~0.8 µs per entry, a tenth of a
 * Trivy entry's own mapping, and weak references make every garbage collection longer).
 */
const CLEAN_RING = 16;
const cleanRing: (object | undefined)[] = new Array(CLEAN_RING).fill(undefined);
let cleanNext = 0;

/**
 * True when `entry` was read by `splitReport` from an entry whose strings (keys and values) hold no
 * control character — no ANSI escape either, which starts with one: the scan saw every byte of it.
 * Known for the last 16 clean entries read (any other is `false`, which only costs a search).
 * A parser that builds a draft only from such strings (and its own clean ones) may say so to the
 * finalizer (`markControlFree`), which then does not search them again.
 */
export function isControlFreeEntry(entry: unknown): boolean {
  if (typeof entry !== "object" || entry === null) return false;
  for (let k = 1; k <= CLEAN_RING; k++) {
    if (cleanRing[(cleanNext - k) & (CLEAN_RING - 1)] === entry) return true;
  }
  return false;
}

/**
 * The entries of one split array, each parsed when the iteration reaches it. The scan accepted the
 * whole document, so an entry always parses; if one did not (a difference between the scan and
 * `JSON.parse`), `whole` reads the report whole and throws `parseReport`'s own error.
 */
function* entriesOf(b: Buffer, split: SplitArray, whole: () => unknown): Generator<unknown> {
  const { starts, ends, flags } = split;
  for (let k = 0; k < starts.length; k++) {
    const flag = flags[k] as number;
    const text = b.toString(flag & NON_ASCII ? "utf8" : "latin1", starts[k], ends[k]);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      whole();
      throw error;
    }
    // depth was checked by the scan; this only removes `__proto__` keys, as parseReport does
    if (flag & PROTO_KEY) inspectDocument("entry", value, Number.MAX_SAFE_INTEGER);
    if ((flag & MAY_CONTROL) === 0 && typeof value === "object" && value !== null) {
      cleanRing[cleanNext] = value;
      cleanNext = (cleanNext + 1) & (CLEAN_RING - 1);
    }
    yield value;
  }
}
