// The Node addon's boundary (issue 10): a panic of the core is a typed InternalError and the
// process goes on; napi's own conversion errors are InvalidInput; the strategy's exceptions and the
// engine's errors come out of the callback loop as they are. The cases every runtime shares are in
// tests/conformance (conformance.test.ts); these are the ones only the addon has.

import { test } from "node:test";
import assert from "node:assert/strict";

import * as vt from "@vectrade/sdk";

// The package's own modules, from the compiled tests (build-test/test/) back to sdk-ts/.
const at = (path: string): string => new URL(`../../${path}`, import.meta.url).href;
const native: typeof import("../native/index.js") = await import(at("native/index.js"));
// An addon built with the `test-hooks` feature (npm run build:native-hooks): it exports
// `panicForTests`, which panics inside the boundary's guard. The published addon has no such export.
const hooks: typeof import("../native-hooks/index.js") = await import(at("native-hooks/index.js"));
const { useBackend }: typeof import("../src/backend.js") = await import(at("dist/backend.js"));
const { engine }: typeof import("../src/errors.js") = await import(at("dist/errors.js"));

const CSV = "date,open,high,low,close,volume\n2024-01-02,100,101,99,100.5,1000\n2024-01-03,100.5,102,100,101.5,1000\n2024-01-04,101.5,103,101,102.5,1000\n";

test("a panic in the addon is an InternalError with code internal_error, and the process goes on", () => {
  useBackend(hooks);
  try {
    assert.throws(
      () => engine(() => hooks.panicForTests("multiplication overflowed")),
      (e: unknown) =>
        e instanceof vt.InternalError &&
        e instanceof vt.VecTradeError &&
        e.code === "internal_error" &&
        e.family === "internal" &&
        /panicked \(multiplication overflowed\)/.test(e.message),
    );
    // Twice: the guard holds after a panic, and the same addon keeps working.
    assert.throws(() => engine(() => hooks.panicForTests("again")), vt.InternalError);
    const bt = vt.backtest((ctx) => void (ctx.barIndex === 0 && ctx.buy("JPM", 1)), vt.scenarios.fromCsv(CSV, { symbol: "JPM" }));
    assert.equal(bt.run.fills().length, 1);
  } finally {
    useBackend(native);
  }
  assert.equal("panicForTests" in native, false, "the published addon has no panic hook");
});

test("the addon refuses a value of the wrong type naming the argument, and never wraps a count (findings 8, 15)", () => {
  const sc = vt.scenarios.fromCsv(CSV, { symbol: "JPM" });
  const raw = new vt.Simulator(sc).start().native;
  // Straight on the addon, as the TypeScript layer's own checks would otherwise hide it: napi threw
  // StringExpected (no argument, no engine code) and read -1 as 4294967295 and 2.7 as 2.
  const calls: Array<[string, () => unknown]> = [
    ["text", () => native.parseTimestamp(5 as never)],
    ["csvText", () => native.parseCsv(null as never)],
    ["defaultSymbol", () => native.parseCsv(CSV, 5 as never)],
    ["slug", () => native.Scenario.builtin({} as never)],
    ["idempotencyKey", () => raw.step(1, 5 as never)],
    ["rationale", () => raw.liquidateAndFinish(0, 5 as never)],
    ["symbols", () => raw.marketJson(0, "JPM" as never, 5)],
    ["symbols[0]", () => raw.marketJson(0, [5] as never, 5)],
    ["count", () => raw.step(-1)],
    ["count", () => raw.advance(2.7)],
    ["maxBars", () => raw.holdUntilEnd(Number.NaN)],
    ["maxBars", () => raw.advanceUntilNextSession(2 ** 32)],
    ["lookback", () => raw.marketJson(0, null, -1)],
    ["n", () => raw.closesF64(0, Number.POSITIVE_INFINITY)],
  ];
  for (const [name, call] of calls) {
    assert.throws(
      () => engine(call),
      (e: unknown) => e instanceof vt.InvalidInput && e.code === "invalid_argument" && e.message.includes(`\`${name}\``),
      name,
    );
  }
  assert.equal(raw.stepIndex, 0, "no refused count moved the run");
  // Napi's own conversion errors (an object field, a typed array) still become InvalidInput.
  assert.throws(() => engine(() => native.crossings("a" as never, new Float64Array())), (e: unknown) => e instanceof vt.InvalidInput && /wrong type of argument/.test(e.message));
});

test("the addon's callback loop throws an engine error with the engine's code (finding 14)", () => {
  const sc = vt.scenarios.fromCsv(CSV, { symbol: "JPM" });
  const run = new vt.Simulator(sc).start();
  const plan = native.wakePlan(sc.native, [], [], 4096);
  // Straight on the addon, without the TypeScript layer: the strategy finishes the run, the loop's
  // next step is refused with code run_finished (it was GenericFailure with the code in the text).
  assert.throws(
    () => native.drive(run.native, () => run.liquidateAndFinish(), plan.calls, plan.jumps, null, 0),
    (e: unknown) => e instanceof Error && (e as { code?: string }).code === "run_finished" && !(e instanceof vt.VecTradeError),
  );
});

test("the strategy's own exceptions, from onBar and from progress, come out unchanged (finding 13)", () => {
  const sc = vt.scenarios.fromCsv(CSV, { symbol: "JPM" });
  const mine = Object.assign(new TypeError("mine"), { code: "run_finished" });
  for (const thrown of ["str", 42, null, undefined, mine, Symbol("s")]) {
    assert.throws(() => vt.backtest(() => { throw thrown; }, sc), (e: unknown) => e === thrown);
    assert.throws(() => vt.backtest(() => {}, sc, { progress: () => { throw thrown; } }), (e: unknown) => e === thrown);
  }
});

test("values the engine cannot take are InvalidInput: cycles, deep nesting, columns that are not arrays (finding 15)", () => {
  const sc = vt.scenarios.fromCsv(CSV, { symbol: "JPM" });
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => new vt.Simulator(sc).start({ risk: { universe: [cyclic] as never } }), (e: unknown) => e instanceof vt.InvalidInput && /cycle/.test(e.message));
  let deep: unknown[] = [];
  for (let i = 0; i < 100_000; i++) deep = [deep];
  assert.throws(() => new vt.Simulator(sc).start({ risk: { universe: deep as never } }), (e: unknown) => e instanceof vt.InvalidInput && /nested too deeply/.test(e.message));
  const ts = [Date.UTC(2024, 0, 2), Date.UTC(2024, 0, 3)];
  assert.throws(() => vt.scenarios.fromArrays({ X: { ts, open: "abc" as never, high: [1, 1], low: [1, 1], close: [1, 1] } }), (e: unknown) => e instanceof vt.InvalidInput && /X\.open/.test(e.message));
  assert.throws(() => vt.scenarios.fromArrays({ X: { ts, open: [1, "2"] as never, high: [1, 1], low: [1, 1], close: [1, 1] } }), (e: unknown) => e instanceof vt.InvalidInput && /X\.open\[1\]/.test(e.message));
  assert.throws(() => vt.parseTimestamp(5 as never), (e: unknown) => e instanceof vt.InvalidInput && /`text`/.test(e.message));
  assert.throws(() => vt.formatTimestamp("x" as never), (e: unknown) => e instanceof vt.InvalidInput && /`ms`/.test(e.message));
});
