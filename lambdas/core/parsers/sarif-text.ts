/**
 * Text helpers shared by the SARIF and ZAP parsers, on top of the framework's `text.ts` and
 * `redact.ts`: SARIF `{0}` message templates, markdown, a bound on how much of a huge message is
 * looked at, and redaction of well-known credential shapes. Pure functions, no I/O.
 */
import { REDACTED, redactValues } from "./redact.ts";
import { stripControl, stripHtml } from "./text.ts";

export { truncate } from "./text.ts";

/**
 * Longest input any cleaner looks at. Findings hold at most 1,024 characters of description, so a
 * 10 MB message is cut here first: the regular expressions below then run on a bounded string and a
 * hostile report cannot make cleaning slow.
 */
export const MAX_CLEANED_INPUT = 16 * 1024;

const MD_IMAGE_RE = /!\[([^\]\n]{0,500})\]\([^)\n]{0,2000}\)/g;
const MD_EMPHASIS_RE = /(\*\*|__)(?=\S)([^*_\n]{1,500}?)\1/g;
const MD_CODE_FENCE_RE = /```[a-zA-Z0-9_-]{0,30}\n?/g;
const MD_HEADING_RE = /^#{1,6}\s+/gm;
const MD_SPECIAL_RE = /[`[*_#]/;

/**
 * Turns the common markdown constructs into text. Links keep their label and, when the target is a
 * real URL, the URL in parentheses; SARIF's relative links such as `[user-provided value](1)` (which
 * point to `relatedLocations`) keep only the label.
 */
export function stripMarkdown(text: string): string {
  // every construct below needs one of these characters: most messages have none
  if (!MD_SPECIAL_RE.test(text)) return text;
  // Each construct is replaced only when its marker is in the text as it stands (an earlier step
  // can join characters into a marker): the same result as running every replacement.
  let out = text;
  if (out.includes("```")) out = out.replace(MD_CODE_FENCE_RE, "");
  if (out.includes("![")) out = out.replace(MD_IMAGE_RE, "$1");
  if (out.includes("](")) out = replaceLinks(out);
  if (out.includes("**") || out.includes("__")) out = out.replace(MD_EMPHASIS_RE, "$2");
  if (out.includes("#")) out = out.replace(MD_HEADING_RE, "");
  return out;
}

/**
 * `text.replace(MD_LINK_RE, …)` as one scan: `[label](target)` with a label of at most 500
 * characters other than `]` and line breaks and a target of at most 2,000 characters other than `)`
 * and white space becomes the label, plus ` (target)` for an http(s) target that differs from it.
 * Neither part can hold the character that ends it, so the first `]` (and `)`) decides, as in the
 * regular expression; after a failed `[` the scan goes on from the next character.
 */
function replaceLinks(text: string): string {
  let out = "";
  let last = 0;
  let open = text.indexOf("[");
  while (open !== -1) {
    const close = linkEnd(text, open);
    if (close === -1) {
      open = text.indexOf("[", open + 1);
      continue;
    }
    const labelEnd = text.indexOf("]", open + 1);
    const label = text.slice(open + 1, labelEnd);
    const target = text.slice(labelEnd + 2, close);
    out +=
      text.slice(last, open) +
      (/^https?:\/\//i.test(target) && target !== label ? `${label} (${target})` : label);
    last = close + 1;
    open = text.indexOf("[", last);
  }
  return last === 0 ? text : out + text.slice(last);
}

/** Index of the `)` closing a link that starts with the `[` at `open`, else -1. */
function linkEnd(text: string, open: number): number {
  const n = text.length;
  let i = open + 1;
  for (; i < n && i - open - 1 <= 500; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5d /* ] */) break;
    if (c === 0x0a /* \n */) return -1;
  }
  if (i - open - 1 > 500 || text.charCodeAt(i) !== 0x5d || text.charCodeAt(i + 1) !== 0x28 /* ( */) return -1;
  const start = i + 2;
  for (i = start; i < n && i - start <= 2000; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x29 /* ) */) return i;
    if (isRegExpSpace(c)) return -1;
  }
  return -1;
}

/** `\s` of a regular expression without the `u` flag. */
function isRegExpSpace(c: number): boolean {
  return (
    (c >= 0x09 && c <= 0x0d) ||
    c === 0x20 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

const WHITESPACE_WORK_RE = /[\r\n\t\u00a0]| {2}/;

/** Collapses runs of spaces and blank lines and trims; keeps single line breaks. */
export function normalizeWhitespace(text: string): string {
  // without line breaks, tabs, no-break spaces or double spaces only the trim changes anything
  if (!WHITESPACE_WORK_RE.test(text)) return text.trim();
  return text
    .replace(/\r\n?/g, "\n")
    .replace(/[ \t\u00a0]+/g, " ")
    .replace(/ *\n */g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/** Options of `cleanProse`. */
export interface CleanProseOptions {
  /** Also strip markdown (SARIF `markdown` members, help texts). @default false */
  readonly markdown?: boolean;
}

/**
 * Plain text from scanner prose (any value; non-strings give `""`): bounded to
 * `MAX_CLEANED_INPUT`, ANSI codes, control characters, HTML and (optionally) markdown removed,
 * whitespace normalised.
 */
export function cleanProse(value: unknown, options: CleanProseOptions = {}): string {
  if (typeof value !== "string" || value.length === 0) return "";
  let text = value.length > MAX_CLEANED_INPUT ? value.slice(0, MAX_CLEANED_INPUT) : value;
  text = stripControl(text);
  // HTML entities can decode to a control character: strip again only when HTML changed the text
  const unmarked = stripHtml(text);
  if (unmarked !== text) text = stripControl(unmarked);
  if (options.markdown) text = stripMarkdown(text);
  return normalizeWhitespace(text);
}

/**
 * Fills SARIF message placeholders `{0}`, `{1}`, ... from `args`; `{{` and `}}` are literal braces.
 * A placeholder without an argument is left as written so nothing silently disappears.
 */
export function formatSarifMessage(template: string, args: readonly unknown[] | undefined): string {
  // One left-to-right scan with the semantics of /\{\{|\}\}|\{(\d{1,3})\}/g: at each position `{{`,
  // then `}}`, then `{` + 1–3 ASCII digits + `}`; anything else is copied.
  // (a template without any `{` is returned as written, `}}` included)
  let i = template.indexOf("{");
  if (i === -1) return template;
  const close = template.indexOf("}}");
  if (close !== -1 && close < i) i = close;
  const n = template.length;
  let out = "";
  let last = 0;
  while (i < n) {
    const c = template.charCodeAt(i);
    if (c === OPEN) {
      if (template.charCodeAt(i + 1) === OPEN) {
        out += `${template.slice(last, i)}{`;
        i += 2;
        last = i;
        continue;
      }
      let j = i + 1;
      let index = 0;
      for (let d = template.charCodeAt(j); j - i <= 3 && isDigit(d); d = template.charCodeAt(++j)) {
        index = index * 10 + (d - 0x30);
      }
      if (j > i + 1 && template.charCodeAt(j) === CLOSE) {
        const arg = args?.[index];
        if (typeof arg === "string" || typeof arg === "number") {
          out += template.slice(last, i) + String(arg);
          last = j + 1;
        }
        i = j + 1;
        continue;
      }
    } else if (c === CLOSE && template.charCodeAt(i + 1) === CLOSE) {
      out += `${template.slice(last, i)}}`;
      i += 2;
      last = i;
      continue;
    }
    i++;
  }
  return last === 0 ? template : out + template.slice(last);
}

const OPEN = 0x7b; // {
const CLOSE = 0x7d; // }

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

// Well-known credential shapes, redacted wherever they appear in text that reaches a finding
// (the secret scanners' own matched values are redacted separately, by value).
const SECRET_PATTERNS: readonly RegExp[] = [
  /-----BEGIN[A-Z ]{0,40}PRIVATE KEY(?: BLOCK)?-----[\s\S]{0,8000}?(?:-----END[A-Z ]{0,40}PRIVATE KEY(?: BLOCK)?-----|$)/g,
  /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z0-9]{16}\b/g,
  /\bgh[pousr]_[A-Za-z0-9]{36,255}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{22,255}\b/g,
  /\bxox[abposr]-[A-Za-z0-9-]{10,250}\b/g,
  /\bglpat-[A-Za-z0-9_-]{20,}\b/g,
  /\bsk_live_[A-Za-z0-9]{16,}\b/g,
  /\bAIza[0-9A-Za-z_-]{35}\b/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g,
];

const ANY_SECRET_RE =
  /-----BEGIN|AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|gh[pousr]_|github_pat_|xox[abposr]-|glpat-|sk_live_|AIza|eyJ/;

/**
 * Removes secrets from `text`: first every occurrence of the given values (the scanner's matched
 * secret, snippets, `offender`-style properties; values shorter than 4 characters are ignored
 * because they would erase ordinary words), then well-known credential shapes.
 */
export function redactSecrets(text: string, values: readonly string[] = []): string {
  let out = text;
  if (values.length > 0) {
    // longest first, so a secret that contains another is removed whole
    const sorted = [...new Set(values.flatMap((v) => [v, v.trim()]))].sort((a, b) => b.length - a.length);
    out = redactValues(text, sorted);
  }
  // one cheap scan first: most texts hold no credential shape at all
  if (ANY_SECRET_RE.test(out)) for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, REDACTED);
  return out;
}

/** First line of `text`, for titles built from messages. */
export function firstLine(text: string): string {
  const index = text.indexOf("\n");
  return index === -1 ? text : text.slice(0, index);
}

/** Every `http(s)://` URL in `text`, in order, without duplicates; trailing punctuation dropped. */
export function extractUrls(text: string): string[] {
  const found = text.match(/https?:\/\/[^\s<>"')\]]+/g) ?? [];
  const out: string[] = [];
  for (const raw of found) {
    const url = raw.replace(/[.,;:]+$/, "");
    if (!out.includes(url)) out.push(url);
  }
  return out;
}
