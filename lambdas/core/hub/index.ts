/** Public API of the Security Hub semantics engine (re-exports only). */
export * from "./contracts.ts";
export * from "./events.ts";
export * from "./filter-fields.ts";
export * from "./filters.ts";
export * from "./get-findings.ts";
export * from "./import.ts";
export * from "./ip.ts";
export * from "./product.ts";
export * from "./retention.ts";
export * from "./severity.ts";
export * from "./timestamps.ts";
export * from "./update.ts";
