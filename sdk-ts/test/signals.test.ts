// Signal stops and sweeps (test/signals.ts) through the TypeScript API on the native addon.

import { readFileSync } from "node:fs";
import { test } from "node:test";
import assert from "node:assert/strict";

import * as vt from "@vectrade/sdk";
import { signalTests } from "./signals.js";

signalTests(vt, "node");

test("the README's sweep example runs as written", () => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const code = /<!-- START sweep -->\n```ts\n([\s\S]*?)```\n<!-- END sweep -->/.exec(readme)?.[1];
  assert.ok(code?.startsWith('import * as vt from "@vectrade/sdk";'), "the example imports the package");
  const lines: string[] = [];
  const log = (...args: unknown[]): void => void lines.push(args.map(String).join(" "));
  new Function("vt", "console", code!.replace(/^import .*\n/, ""))(vt, { log });
  assert.match(lines[0] ?? "", /^Sweep\(6 combinations, best by sharpe\)\n {2}fast=\d+, slow=\d+, returnPct=/);
  assert.match(lines[1] ?? "", /^\d+$/);
});
