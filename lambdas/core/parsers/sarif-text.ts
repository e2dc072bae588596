/**
 * Text helpers shared by the SARIF and ZAP parsers: turning scanner prose (SARIF `{0}` message
 * templates, markdown, ANSI colour codes, HTML) into plain text that fits an ASFF field, and
 * removing secret values before they can reach a finding. Pure functions, no I/O.
 */

/**
 * Longest input any cleaner looks at. Findings hold at most 1,024 characters of description, so a
 * 10 MB message is cut here first: the regular expressions below then run on a bounded string and a
 * hostile report cannot make cleaning slow.
 */
export const MAX_CLEANED_INPUT = 16 * 1024;

/** What replaces a secret value. Visible on purpose: the reader sees that something was removed. */
export const REDACTED = "[REDACTED]";

/** The ellipsis appended when a text is cut to fit a limit. */
export const ELLIPSIS = "…";

// CSI sequences (colours, cursor moves) and OSC sequences (hyperlinks, titles) from terminal output.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ESC is the point.
const ANSI_RE = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters other than tab/newline are noise.
const CONTROL_RE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;
const HTML_BREAK_RE = /<\s*(?:br|\/p|\/li|\/div|\/h[1-6]|\/tr)\s*\/?>/gi;
const HTML_LIST_ITEM_RE = /<\s*li[^>]*>/gi;
const HTML_TAG_RE = /<\/?[a-zA-Z][^<>]{0,2000}>/g;
const ENTITY_RE = /&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|amp|lt|gt|quot|apos|nbsp);/g;
const MD_IMAGE_RE = /!\[([^\]\n]{0,500})\]\([^)\n]{0,2000}\)/g;
const MD_LINK_RE = /\[([^\]\n]{0,500})\]\(([^)\s]{0,2000})\)/g;
const MD_EMPHASIS_RE = /(\*\*|__)(?=\S)([^*_\n]{1,500}?)\1/g;
const MD_CODE_FENCE_RE = /```[a-zA-Z0-9_-]{0,30}\n?/g;
const MD_HEADING_RE = /^#{1,6}\s+/gm;

const NAMED_ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
};

function decodeEntity(_match: string, body: string): string {
  if (body.startsWith("#x")) return safeCodePoint(Number.parseInt(body.slice(2), 16));
  if (body.startsWith("#")) return safeCodePoint(Number.parseInt(body.slice(1), 10));
  return NAMED_ENTITIES[body] ?? "";
}

function safeCodePoint(code: number): string {
  return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : "";
}

/** Removes ANSI escape sequences and control characters (keeps tab and newline). */
export function stripAnsi(text: string): string {
  return text.replace(ANSI_RE, "").replace(CONTROL_RE, "");
}

/** Turns HTML into text: block ends become newlines, tags are dropped, entities decoded. */
export function stripHtml(text: string): string {
  if (!text.includes("<") && !text.includes("&")) return text;
  return text
    .replace(HTML_BREAK_RE, "\n")
    .replace(HTML_LIST_ITEM_RE, "\n- ")
    .replace(HTML_TAG_RE, "")
    .replace(ENTITY_RE, decodeEntity);
}

/**
 * Turns the common markdown constructs into text. Links keep their label and, when the target is a
 * real URL, the URL in parentheses; SARIF's relative links such as `[user-provided value](1)` (which
 * point to `relatedLocations`) keep only the label.
 */
export function stripMarkdown(text: string): string {
  return text
    .replace(MD_CODE_FENCE_RE, "")
    .replace(MD_IMAGE_RE, "$1")
    .replace(MD_LINK_RE, (_m, label: string, target: string) =>
      /^https?:\/\//i.test(target) && target !== label ? `${label} (${target})` : label,
    )
    .replace(MD_EMPHASIS_RE, "$2")
    .replace(MD_HEADING_RE, "");
}

/** Collapses runs of spaces and blank lines and trims; keeps single line breaks. */
export function normalizeWhitespace(text: string): string {
  return text
    .replace(/\r\n?/g, "\n")
    .replace(/[ \t\u00a0]+/g, " ")
    .replace(/ *\n */g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/** Options of `cleanText`. */
export interface CleanTextOptions {
  /** Also strip markdown (SARIF `markdown` members, help texts). @default false */
  readonly markdown?: boolean;
}

/**
 * Plain text from scanner prose: bounded to `MAX_CLEANED_INPUT`, ANSI codes, HTML and (optionally)
 * markdown removed, whitespace normalised. Returns `""` for anything that is not a string.
 */
export function cleanText(value: unknown, options: CleanTextOptions = {}): string {
  if (typeof value !== "string" || value.length === 0) return "";
  let text = value.length > MAX_CLEANED_INPUT ? value.slice(0, MAX_CLEANED_INPUT) : value;
  text = stripAnsi(text);
  text = stripHtml(text);
  if (options.markdown) text = stripMarkdown(text);
  return normalizeWhitespace(text);
}

/**
 * Cuts `text` to at most `max` characters (UTF-16 code units, as Security Hub counts), ending in a
 * visible ellipsis when something was removed, never splitting a surrogate pair.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - ELLIPSIS.length);
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end).trimEnd()}${ELLIPSIS}`;
}

/**
 * Fills SARIF message placeholders `{0}`, `{1}`, ... from `args`; `{{` and `}}` are literal braces.
 * A placeholder without an argument is left as written so nothing silently disappears.
 */
export function formatSarifMessage(template: string, args: readonly unknown[] | undefined): string {
  if (!template.includes("{")) return template;
  return template.replace(/\{\{|\}\}|\{(\d{1,3})\}/g, (match, index: string | undefined) => {
    if (match === "{{") return "{";
    if (match === "}}") return "}";
    const arg = args?.[Number(index)];
    return typeof arg === "string" || typeof arg === "number" ? String(arg) : match;
  });
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

/**
 * Removes secrets from `text`: first every occurrence of the given values (the scanner's matched
 * secret, snippets, `offender`-style properties; values shorter than 4 characters are ignored
 * because they would erase ordinary words), then well-known credential shapes.
 */
export function redactSecrets(text: string, values: readonly string[] = []): string {
  let out = text;
  const sorted = [...new Set(values)].filter((v) => v.trim().length >= 4).sort((a, b) => b.length - a.length);
  for (const value of sorted) {
    if (out.includes(value)) out = out.split(value).join(REDACTED);
    const trimmed = value.trim();
    if (trimmed !== value && trimmed.length >= 4 && out.includes(trimmed))
      out = out.split(trimmed).join(REDACTED);
  }
  for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, REDACTED);
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
