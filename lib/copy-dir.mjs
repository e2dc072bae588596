#!/usr/bin/env node
// Copies a directory tree into another (created when missing): `node lib/copy-dir.mjs FROM TO`.
// The Lambda bundling hooks run it instead of `mkdir -p` + `cp -R`, which exist only on
// Linux/macOS shells; Node's fs works wherever `cdk synth` does. Plain .mjs (no TypeScript) so
// the hook needs nothing but the node running the synth.
import { cpSync, statSync } from "node:fs";

const [from, to] = process.argv.slice(2);
if (from === undefined || to === undefined || process.argv.length !== 4) {
  process.stderr.write("usage: node lib/copy-dir.mjs FROM TO\n");
  process.exit(2);
}
// A missing source is a broken build, not an empty copy: fail with its name.
if (!statSync(from, { throwIfNoEntry: false })?.isDirectory()) {
  process.stderr.write(`copy-dir: ${from} is not a directory\n`);
  process.exit(1);
}
cpSync(from, to, { recursive: true });
