/**
 * Security Hub's documented limits, each defined exactly once (spec §2.3, §5.4).
 * Everything that enforces or plans around a limit imports it from here.
 */
export const ASFF_SCHEMA_VERSION = "2018-10-08";
/** Findings per BatchImportFindings call. */
export const MAX_FINDINGS_PER_IMPORT = 100;
/** Bytes of request body per BatchImportFindings call (6 MB). */
export const MAX_IMPORT_REQUEST_BYTES = 6 * 1024 * 1024;
/** UTF-8 bytes of one finding's JSON (240 KB). */
export const MAX_FINDING_BYTES = 240 * 1024;
/** Finding identifiers per BatchUpdateFindings call. */
export const MAX_FINDINGS_PER_UPDATE = 100;
/** Entries per EventBridge PutEvents call. */
export const MAX_EVENTS_PER_PUT = 10;
/** Bytes of one EventBridge entry (the long-standing 256 KB limit; conservative since 2026's 1 MB). */
export const MAX_EVENT_ENTRY_BYTES = 256 * 1024;
/** Findings are deleted this many days after their last provider update. */
export const RETENTION_DAYS = 90;
export const DAY_MS = 24 * 60 * 60 * 1000;
export const RETENTION_MS = RETENTION_DAYS * DAY_MS;
/** BatchImportFindings quota per account and Region: sustained calls per second. */
export const IMPORT_RATE_PER_SECOND = 10;
/** BatchImportFindings quota per account and Region: burst. */
export const IMPORT_BURST = 30;
/** GetFindings MaxResults range. */
export const MAX_GET_FINDINGS_RESULTS = 100;
