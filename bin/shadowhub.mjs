#!/usr/bin/env node
// Entry point of the `shadowhub` command. The CLI is written in TypeScript; tsx loads it
// directly so a fresh `npm ci` needs no build step before `npx shadowhub` works.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../lambdas/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
