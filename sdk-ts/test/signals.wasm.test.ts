// Signal stops and sweeps (test/signals.ts) through the TypeScript API on the WebAssembly build,
// run in Node; and one sweep graded alike, byte for byte, by the addon and the WebAssembly build.

import { readFileSync } from "node:fs";
import { test } from "node:test";
import assert from "node:assert/strict";

import * as vt from "@vectrade/sdk/browser";
import { GRID, cross, signalTests } from "./signals.js";

await vt.load(readFileSync(new URL("../../wasm/vectrade_bg.wasm", import.meta.url)));
signalTests(vt, "wasm");

test("[wasm] a sweep's table is the addon's, byte for byte", async () => {
  type Engine = typeof import("../native/index.js");
  // The raw builds (the same WebAssembly instance the SDK loaded above, and the addon beside it).
  const wasm = (await import(new URL("../../wasm/vectrade.js", import.meta.url).href)) as Engine;
  const addon = (await import(new URL("../../native/index.js", import.meta.url).href)) as Engine;
  const scenario = vt.scenarios.get("tech-2024-q2");
  const close = scenario.columns("NVDA").close;
  const combos = vt.combinations(GRID);
  const pack = (k: 0 | 1) => {
    const out = new Uint8Array(combos.length * close.length);
    combos.forEach((p, j) => out.set(Uint8Array.from(cross(close, p)[k], Number), j * close.length));
    return out;
  };
  const args = ["NVDA", JSON.stringify({ kind: "units", value: "10" }), combos.length, pack(0), pack(1), null, null, JSON.stringify({ intrabar_path: "nearest_extreme_first" }), JSON.stringify({ sl_stop: 0.03, tp_stop: "0.05", sl_trail: true })] as const;
  const inWasm = wasm.sweepSignals(wasm.Scenario.builtin("tech-2024-q2"), ...args, 0);
  const inAddon = addon.sweepSignals(addon.Scenario.builtin("tech-2024-q2"), ...args, 2);
  assert.equal(inWasm, inAddon);
  // And the SDK's table on WebAssembly is made of those grades.
  const table = vt.sweep(cross, scenario, GRID, { symbol: "NVDA", size: 10, slStop: 0.03, tpStop: "0.05", slTrail: true, metric: "returnPct" });
  const graded = JSON.parse(inAddon) as Array<{ return_pct: number }>;
  assert.deepEqual(table.rows.map((r) => r.returnPct).sort(), graded.map((g) => g.return_pct).sort());
});
