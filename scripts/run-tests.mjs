#!/usr/bin/env node
// Runs the test suite with Node's built-in test runner (through tsx for TypeScript).
// Usage: node scripts/run-tests.mjs [DIR_OR_FILE ...]   (default: test/)
// Node 20's --test does not expand globs, so the test files are collected here.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function collect(path, out) {
  const stat = statSync(path);
  if (stat.isFile()) {
    if (path.endsWith(".test.ts")) out.push(path);
    return out;
  }
  for (const entry of readdirSync(path).sort()) {
    if (entry === "node_modules" || entry === "fixtures") continue;
    collect(join(path, entry), out);
  }
  return out;
}

const roots = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const passThrough = process.argv.slice(2).filter((a) => a.startsWith("--"));
const files = (roots.length > 0 ? roots : ["test"]).flatMap((root) => collect(root, []));
if (files.length === 0) {
  console.error("run-tests: no *.test.ts files found");
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-reporter=spec", "--test-concurrency=2", ...passThrough, ...files],
  { stdio: "inherit", env: { ...process.env, SHADOWHUB_TEST: "1" } },
);
process.exit(result.status ?? 1);
