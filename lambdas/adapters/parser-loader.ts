/**
 * Loading custom report parsers from JavaScript or TypeScript modules (`--parser FILE` in the CLI,
 * the parser list in the Lambda configuration). An adapter because it does I/O (module import);
 * the parsers it returns are checked with the same rules as every registered parser.
 *
 * A module may export its parser(s) as the default export, as `parser`, or as `parsers` (an
 * array). TypeScript modules load when the process runs under tsx (the `shadowhub` CLI does).
 */
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigurationError, describeError } from "../core/errors.ts";
import type { ReportParser } from "../core/parsers/contracts.ts";
import { assertReportParser } from "../core/parsers/registry.ts";

/**
 * Imports the module at `path` (relative to `cwd`) and returns the parsers it exports. Throws a
 * `ConfigurationError` naming the file when it cannot be loaded or exports no valid parser.
 */
export async function loadParserModule(path: string, cwd: string = process.cwd()): Promise<ReportParser[]> {
  const absolute = isAbsolute(path) ? path : resolve(cwd, path);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigurationError(`custom parser ${path}: cannot load the module: ${describeError(error)}`, {
      cause: error,
    });
  }
  const candidates: unknown[] = [];
  for (const key of ["default", "parser", "parsers"]) {
    const value = mod[key];
    if (value === undefined) continue;
    if (Array.isArray(value)) candidates.push(...value);
    else candidates.push(value);
  }
  if (candidates.length === 0) {
    throw new ConfigurationError(
      `custom parser ${path}: the module exports no parser; export a ReportParser as the default export, as \`parser\` or as \`parsers\` (an array)`,
    );
  }
  const parsers: ReportParser[] = [];
  const seen = new Set<unknown>();
  for (const candidate of candidates) {
    if (seen.has(candidate)) continue; // `export default parser; export { parser }`
    seen.add(candidate);
    assertReportParser(candidate, `custom parser ${path}`);
    parsers.push(candidate);
  }
  return parsers;
}

/** Loads every module in `paths` (in order) and returns all their parsers. */
export async function loadParserModules(
  paths: readonly string[],
  cwd: string = process.cwd(),
): Promise<ReportParser[]> {
  const parsers: ReportParser[] = [];
  for (const path of paths) parsers.push(...(await loadParserModule(path, cwd)));
  return parsers;
}
