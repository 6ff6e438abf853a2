// The WebAssembly build's boundary (issue 10, findings 4 and 8): text arguments of the wrong type are
// refused by the module itself with code invalid_argument, never a trap ("memory access out of
// bounds") that left the module unusable — whether or not the TypeScript layer checked them first.

import { readFileSync } from "node:fs";
import { test } from "node:test";
import assert from "node:assert/strict";

import * as vt from "@vectrade/sdk/browser";

await vt.load(readFileSync(new URL("../../wasm/vectrade_bg.wasm", import.meta.url)));
const wasm: typeof import("../wasm/vectrade.js") = await import(new URL("../../wasm/vectrade.js", import.meta.url).href);

const CSV = "date,open,high,low,close,volume\n2024-01-02,100,101,99,100.5,1000\n2024-01-03,100.5,102,100,101.5,1000\n2024-01-04,101.5,103,101,102.5,1000\n";

const refused = (name: string) => (e: unknown): boolean =>
  e instanceof Error && (e as { code?: string }).code === "invalid_argument" && e.message.includes(`\`${name}\``) && !(e instanceof WebAssembly.RuntimeError);

test("the module refuses a number, null or an object where text is due, and a count that is no integer in range, and keeps working", () => {
  const sc = vt.scenarios.fromCsv(CSV, { symbol: "JPM" });
  const run = new vt.Simulator(sc).start();
  const raw = run.native as unknown as InstanceType<typeof wasm.Run>;
  const calls: Array<[string, () => unknown]> = [
    ["csvText", () => wasm.parseCsv(5 as never, null as never)],
    ["defaultSymbol", () => wasm.parseCsv(CSV as never, 5 as never)],
    ["text", () => wasm.parseTimestamp({} as never)],
    ["slug", () => wasm.Scenario.builtin(null as never)],
    ["snapshotJson", () => wasm.Run.restore(sc.native as never, 5 as never)],
    ["idempotencyKey", () => raw.step(1, 5 as never)],
    ["rationale", () => raw.liquidateAndFinish(0, 5 as never, undefined)],
    ["symbol", () => raw.symbolIndex(5 as never)],
    ["symbols", () => raw.marketJson(0, "JPM" as never, 5)],
    ["symbols[0]", () => raw.marketJson(0, [5] as never, 5)],
    ["orderJson", () => raw.submit(0, 5 as never, undefined)],
    // Counts are not wrapped or truncated either (wasm-bindgen's u32 read -1 as 4294967295).
    ["count", () => raw.step(-1, undefined)],
    ["count", () => raw.advance(2.7)],
    ["maxBars", () => raw.holdUntilEnd(Number.NaN, undefined)],
    ["lookback", () => raw.marketJson(0, undefined, 2 ** 32)],
    ["n", () => raw.closesF64(0, -1)],
  ];
  for (const [name, call] of calls) assert.throws(call, refused(name), name);
  // The module is intact: the same run trades and finishes.
  run.submit(vt.Order.market("JPM", "buy", 1));
  assert.equal(run.holdUntilEnd().done, true);
  assert.equal(run.fills().length, 1);
});
