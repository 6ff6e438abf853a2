// The cross-runtime conformance suite (tests/conformance/*.json, format in its README.md) through
// the TypeScript API: `conformanceTests(vt, runtime)` registers one test per case for an engine
// build (the native addon in conformance.test.ts, WebAssembly in conformance.wasm.test.ts). The
// Python runner is sdk-py/tests/test_conformance.py; both read the same cases.

import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";

import type * as VT from "@vectrade/sdk";

const DIR = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "..", "..", "tests", "conformance");

type Json = Record<string, unknown>;

interface Case {
  name: string;
  call: string;
  args?: unknown[];
  options?: Json;
  raw_options?: Json;
  runtimes?: string[];
  expect: {
    error?: string;
    code?: string;
    mentions?: string[];
    mentions_verbatim?: string[];
    value?: unknown;
    rethrown?: boolean;
  };
}

interface Suite {
  file: string;
  fixture: { csv: string; symbol: string };
  cases: Case[];
}

/** Every suite of tests/conformance, in file order. */
export function suites(): Suite[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((file) => ({ file, ...(JSON.parse(readFileSync(join(DIR, file), "utf8")) as Omit<Suite, "file">) }));
}

const camel = (k: string): string => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** A case's value as JavaScript: tagged numbers, nested values, errors with codes; keys camelCased when `rekey`. */
function decode(v: unknown, rekey: boolean): unknown {
  if (Array.isArray(v)) return v.map((x) => decode(x, rekey));
  if (v === null || typeof v !== "object") return v;
  const o = v as Json;
  if ("$number" in o) return Number(o.$number);
  if ("$raw" in o) return decode(o.$raw, false);
  if ("$error_with_code" in o) return Object.assign(new Error("the strategy's own error"), { code: o.$error_with_code });
  if ("$nested" in o) {
    let deep: unknown[] = [];
    for (let i = 0; i < (o.$nested as number); i++) deep = [deep];
    return deep;
  }
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [rekey ? camel(k) : k, decode(x, rekey)]));
}

/** Registers a test per conformance case for the engine build behind `vt` (`runtime`: "node" or "wasm"). */
export function conformanceTests(vt: typeof VT, runtime: string): void {
  for (const suite of suites()) {
    const scenario = (): VT.Scenario => vt.scenarios.fromCsv(suite.fixture.csv, { symbol: suite.fixture.symbol });
    for (const c of suite.cases) {
      const skip = c.runtimes !== undefined && !c.runtimes.includes(runtime);
      test(`conformance (${runtime}) ${suite.file}: ${c.name}`, { skip }, () => check(vt, scenario, c));
    }
  }
}

function check(vt: typeof VT, scenario: () => VT.Scenario, c: Case): void {
  const args = decode(c.args ?? [], true) as unknown[];
  const options = { ...(decode(c.options ?? {}, true) as Json), ...(decode(c.raw_options ?? {}, false) as Json) };
  const given = c.options !== undefined || c.raw_options !== undefined;
  if (c.expect.rethrown) {
    const thrown = args[0];
    assert.throws(
      () => vt.backtest(() => { throw thrown; }, scenario()),
      (e: unknown) => e === thrown || (Number.isNaN(e) && Number.isNaN(thrown)),
    );
    return;
  }
  let outcome: { value: unknown } | { error: unknown };
  try {
    outcome = { value: call(vt, scenario(), c.call, args, options, given) };
  } catch (e) {
    outcome = { error: e };
  }
  if (c.expect.error !== undefined) {
    assert.ok("error" in outcome, `expected ${c.expect.error} (${c.expect.code}), got the value ${JSON.stringify((outcome as { value: unknown }).value)}`);
    const e = outcome.error;
    const cls = (vt as unknown as Record<string, new (...a: never[]) => Error>)[c.expect.error];
    assert.ok(cls !== undefined, `no error class ${c.expect.error}`);
    assert.ok(e instanceof cls, `expected ${c.expect.error}, got ${describeError(e)}`);
    assert.equal((e as VT.VecTradeError).code, c.expect.code, `code of ${describeError(e)}`);
    const message = (e as Error).message;
    for (const m of c.expect.mentions ?? []) assert.ok(message.includes(camel(m)), `the message names ${camel(m)}: ${message}`);
    for (const m of c.expect.mentions_verbatim ?? []) assert.ok(message.includes(m), `the message says ${m}: ${message}`);
  } else {
    if ("error" in outcome) throw outcome.error;
    assert.deepEqual(outcome.value, c.expect.value);
  }
}

function describeError(e: unknown): string {
  return e instanceof Error ? `${e.constructor.name} ${(e as { code?: unknown }).code}: ${e.message}` : String(e);
}

/** A placed order, as the cases compare it. */
function orderValue(o: VT.PlacedOrder): Json {
  return { status: o.status, order_type: o.orderType, time_in_force: o.timeInForce };
}

/** Calls `name` of the API (the case's call name) and returns its result as the cases compare it. */
function call(vt: typeof VT, sc: VT.Scenario, name: string, args: unknown[], options: Json, given: boolean): unknown {
  const a = args as never[];
  const arg = (i: number): never => args[i] as never;
  const opts = (given ? options : undefined) as never;
  const run = (): VT.Run => new vt.Simulator(sc).start();
  const stepValue = (r: VT.StepReport): Json => ({ bars_advanced: r.barsAdvanced, done: r.done });
  const scenarioValue = (s: VT.Scenario): Json => ({ symbols: s.universe, bars: s.info.barCount });
  // A strategy that makes the call at its first bar; the backtest runs to the end.
  const inStrategy = (f: (ctx: VT.Context) => unknown): unknown => {
    let out: unknown;
    const bt = vt.backtest((ctx) => {
      if (ctx.barIndex === 0) out = f(ctx);
    }, sc);
    return [out, bt] as const;
  };
  const orders: Record<string, (...x: never[]) => VT.OrderRequest> = {
    "order.market": vt.Order.market,
    "order.limit": vt.Order.limit,
    "order.stop": vt.Order.stop,
    "order.stop_limit": vt.Order.stopLimit,
  };
  if (name in orders) {
    const order = (orders[name] as (...x: unknown[]) => VT.OrderRequest)(...a, ...(given ? [opts] : []));
    return orderValue(run().submit(order));
  }
  if (name.startsWith("ctx.") && name !== "ctx.run.liquidate_and_finish") {
    const method = camel(name.slice(4));
    const [out, bt] = inStrategy((ctx) => (ctx as unknown as Record<string, (...x: unknown[]) => unknown>)[method]!(...a, ...(given ? [opts] : []))) as [unknown, VT.Backtest];
    if (method === "closes") return { count: (out as Float64Array).length };
    return orderValue(bt.run.order(out as number));
  }
  switch (name) {
    case "ctx.run.liquidate_and_finish":
      return inStrategy((ctx) => ctx.run.liquidateAndFinish());
    case "scenario.from_csv":
      return scenarioValue(vt.scenarios.fromCsv(arg(0), opts));
    case "scenario.from_arrays":
      return scenarioValue(vt.scenarios.fromArrays(arg(0), opts));
    case "scenario.get":
      return scenarioValue(vt.scenarios.get(arg(0)));
    case "scenario.synthetic":
      return scenarioValue(vt.scenarios.synthetic(opts));
    case "scenario.with_rules":
      return scenarioValue(sc.withRules(opts));
    case "simulator.start":
      return new vt.Simulator(sc).start(opts).agent;
    case "run.submit":
      return orderValue(run().submit(arg(0), opts));
    case "run.step":
      return stepValue(run().step(arg(0), opts));
    case "run.hold_until_end":
      return stepValue(run().holdUntilEnd(opts));
    case "run.liquidate_and_finish":
      return stepValue(run().liquidateAndFinish(arg(0), opts));
    case "run.advance_until_next_session":
      return stepValue(run().advanceUntilNextSession(opts));
    case "run.market":
      return Object.fromEntries(Object.entries(run().market(opts)).map(([s, bars]) => [s, bars.length]));
    case "run.cancel":
      return orderValue(run().cancel(arg(0), opts));
    case "run.order":
      return orderValue(run().order(arg(0)));
    case "run.results":
      return run().results().finalEquity;
    case "run.restore":
      return vt.Run.restore(sc, arg(0)).agent;
    default:
      throw new Error(`the conformance runner has no call ${name}`);
  }
}
