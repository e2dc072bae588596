/** Shared by parsers that implement `parse` on top of their streaming `parseItems`. */
import type { ConversionFailure, FindingDraft, ParseItem } from "./contracts.ts";

/** The drafts and failures of a streamed parse, collected in order (the `parse` form). */
export function collectParseItems(items: Iterable<ParseItem>): {
  drafts: FindingDraft[];
  failures: ConversionFailure[];
} {
  const drafts: FindingDraft[] = [];
  const failures: ConversionFailure[] = [];
  for (const item of items) {
    if (item.failure !== undefined) failures.push(item.failure);
    else drafts.push(item.draft);
  }
  return { drafts, failures };
}
