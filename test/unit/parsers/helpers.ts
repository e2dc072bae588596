/** Shared setup for the parser tests: one fixed context and clock, so outputs are reproducible. */
import { buildConversionContext } from "../../../lambdas/core/parsers/context.ts";
import type { ConversionContext } from "../../../lambdas/core/parsers/contracts.ts";

/** 2024-01-01T00:00:00Z: the clock every parser test uses. */
export const FIXED_NOW_MS = Date.UTC(2024, 0, 1);

/** The context golden files are pinned with. */
export function fixedContext(
  overrides: Partial<Parameters<typeof buildConversionContext>[0]> = {},
): ConversionContext {
  return buildConversionContext({
    accountId: "123456789012",
    region: "us-east-1",
    nowMs: FIXED_NOW_MS,
    ...overrides,
  });
}
