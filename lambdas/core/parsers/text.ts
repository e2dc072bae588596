/**
 * Text hygiene for finding fields: scanner messages carry ANSI colour codes, HTML and control
 * characters, and are often longer than ASFF allows. Pure string functions, no I/O.
 *
 * Lengths are counted the way Security Hub's validator counts them: in Unicode code points of the
 * decoded JSON string (ajv's `maxLength`), so JSON escaping (`\n`, `\u00e9`, `\"`) costs nothing and
 * an emoji counts once. The visible ellipsis is part of the limit.
 */

/** The ellipsis that marks a truncated value (one code point). */
export const ELLIPSIS = "…";

// CSI (`ESC [ … final`), OSC (`ESC ] … BEL|ST`) and two-character escapes.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const ANSI_RE = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[@-Z\\-_])/g;
// C0 controls except TAB, LF, CR; DEL; C1 controls. Invisible in the console and rejected by some tools.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_RE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const HAS_CONTROL_RE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
// Only real HTML element names, so `List<String>` or `<placeholder>` in a message survive.
const HTML_TAG_RE =
  /<\/?(?:a|abbr|b|blockquote|br|code|dd|del|details|div|dl|dt|em|font|h[1-6]|hr|i|img|ins|kbd|li|ol|p|pre|s|small|span|strike|strong|sub|summary|sup|table|tbody|td|th|thead|tr|tt|u|ul)(?:\s[^<>]*)?\/?>/gi;
const HTML_COMMENT_RE = /<!--[\s\S]*?-->/g;
const SCRIPT_STYLE_RE = /<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi;
const ENTITY_RE = /&(?:#(\d{1,7})|#x([0-9a-f]{1,6})|(amp|lt|gt|quot|apos|nbsp|#39));/gi;
const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
};

/**
 * True when `text` holds a character `stripControl` removes (a control character other than TAB,
 * LF and CR; every ANSI escape starts with one). `false` means `stripControl(text) === text`.
 */
export function hasControl(text: string): boolean {
  return HAS_CONTROL_RE.test(text);
}

/** Removes ANSI escape sequences and control characters (keeps TAB, LF and CR). */
export function stripControl(text: string): string {
  if (!HAS_CONTROL_RE.test(text)) return text;
  return text.replace(ANSI_RE, "").replace(CONTROL_RE, "");
}

/** Removes HTML markup (known element names, comments, script/style bodies) and decodes the common entities. */
export function stripHtml(text: string): string {
  if (text.indexOf("<") === -1 && text.indexOf("&") === -1) return text;
  const withoutTags = text
    .replace(SCRIPT_STYLE_RE, "")
    .replace(HTML_COMMENT_RE, "")
    .replace(/<br\s*\/?>|<\/p>|<\/li>/gi, "\n")
    .replace(HTML_TAG_RE, "");
  return withoutTags.replace(
    ENTITY_RE,
    (whole, dec: string | undefined, hex: string | undefined, name: string | undefined) => {
      if (name !== undefined) return NAMED_ENTITIES[name.toLowerCase()] ?? (name === "#39" ? "'" : whole);
      const code = dec !== undefined ? Number(dec) : Number.parseInt(hex ?? "", 16);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)
        ? String.fromCodePoint(code)
        : whole;
    },
  );
}

/**
 * Cleans free text for a human-facing field (Title, Description, Remediation text): ANSI codes,
 * HTML and control characters removed, runs of blank lines collapsed, ends trimmed.
 */
export function cleanText(text: string): string {
  return cleanControlFreeText(stripControl(text));
}

/**
 * `cleanText` for text that has no control characters left (a value `stripControl` already
 * cleaned, such as every string of a sanitized finding): spares the scan for them. Entity decoding
 * can bring one back (`&#27;`), so the text is stripped again only when HTML changed it.
 */
export function cleanControlFreeText(text: string): string {
  const unmarked = stripHtml(text);
  const stripped = unmarked === text ? text : stripControl(unmarked);
  // both line rules need a line break: most titles and descriptions have none
  if (stripped.indexOf("\n") === -1) return stripped.trim();
  return stripped
    .replace(/[ \t]+\n/g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/** Number of Unicode code points in `text` (what `maxLength` counts). */
export function codePointLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // a high surrogate followed by a low one is one code point
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/**
 * Truncates `text` to at most `max` code points; a cut value ends with `…` (included in `max`).
 * Never splits a surrogate pair.
 */
export function truncate(text: string, max: number): string {
  // UTF-16 length ≥ code points: the common short case needs no counting.
  if (text.length <= max) return text;
  // a code point is at most two units: a text of more than 2 × max units is over the limit without
  // counting (a 10 MB value is not scanned to learn that)
  if (text.length <= 2 * max && codePointLength(text) <= max) return text;
  const keep = Math.max(0, max - 1);
  let units = 0;
  for (let n = 0; n < keep; n++) {
    const c = text.charCodeAt(units);
    units += c >= 0xd800 && c <= 0xdbff && units + 1 < text.length ? 2 : 1;
  }
  return `${text.slice(0, units).trimEnd()}${ELLIPSIS}`;
}

/** `cleanText` then `truncate`: the one call for a limited human-facing field. */
export function fitText(text: string, max: number): string {
  return truncate(cleanText(text), max);
}

/** True when `value` is a string with at least one non-blank character (ASFF's `.*\S.*`). */
export function isNonBlank(value: unknown): value is string {
  return typeof value === "string" && /\S/.test(value);
}
