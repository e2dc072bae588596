import { MemoryShadowStore } from "../../lambdas/adapters/memory/memory-shadow-store.ts";
import { lateReportsContract } from "./late-reports.contract.ts";
import { shadowStoreContract } from "./shadow-store.contract.ts";

shadowStoreContract("in-memory", async () => new MemoryShadowStore());
lateReportsContract("in-memory", async () => new MemoryShadowStore());
