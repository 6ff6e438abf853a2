// Signal stops (slStop, tpStop, slTrail, fees) and sweeps (vt.sweep, vt.sweepSignals) through the
// TypeScript API: `signalTests(vt, runtime)` registers them for an engine build (the native addon
// in signals.test.ts, WebAssembly in signals.wasm.test.ts). The Python twins are
// sdk-py/tests/test_signal_stops.py and test_sweep.py.

import { test } from "node:test";
import assert from "node:assert/strict";

import type * as VT from "@vectrade/sdk";

const SYMBOL = "NVDA";

/** A decimal text as BigInt units of 10^-scale. */
function units(s: string, scale: number): bigint {
  const negative = s.startsWith("-");
  const [whole, frac = ""] = (negative ? s.slice(1) : s).split(".");
  const v = BigInt((whole ?? "0") + frac.padEnd(scale, "0").slice(0, scale));
  return negative ? -v : v;
}

/** `price × (1 ∓ fraction)` rounded half-even to 8 decimal places, as the engine levels a bracket. */
export function level(price: string, fraction: string, below: boolean): string {
  const fs = fraction.split(".")[1]?.length ?? 0;
  const ps = price.split(".")[1]?.length ?? 0;
  const f = units(fraction, fs);
  const one = 10n ** BigInt(fs);
  let v = units(price, ps) * (below ? one - f : one + f);
  let scale = ps + fs;
  if (scale > 8) {
    const d = 10n ** BigInt(scale - 8);
    let q = v / d;
    const r = v % d;
    if (2n * r > d || (2n * r === d && q % 2n === 1n)) q += 1n;
    v = q;
    scale = 8;
  }
  const digits = v.toString().padStart(scale + 1, "0");
  return norm(`${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`);
}

/** A decimal text without trailing zeros (`"101.50"` → `"101.5"`). */
function norm(s: string): string {
  return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
}

/** Decimal texts compared exactly (at 12 places, more than any price has). */
function less(a: string, b: string): boolean {
  return units(a, 12) < units(b, 12);
}

function sma(x: Float64Array, n: number): Float64Array {
  const out = new Float64Array(x.length).fill(NaN);
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    sum += x[i] as number;
    if (i >= n) sum -= x[i - n] as number;
    if (i >= n - 1) out[i] = sum / n;
  }
  return out;
}

/** The signal function of the sweeps: a long while the fast average is above the slow one. */
export function cross(close: Float64Array, { fast, slow }: { fast: number; slow: number }): [boolean[], boolean[]] {
  const f = sma(close, fast), s = sma(close, slow);
  const above = (i: number): boolean => (f[i] as number) > (s[i] as number);
  const entries = Array.from(close, (_, i) => i > 0 && above(i) && !above(i - 1) && !Number.isNaN(s[i - 1] as number));
  const exits = Array.from(close, (_, i) => i > 0 && !above(i) && above(i - 1));
  return [entries, exits];
}

export const GRID = { fast: [3, 5, 8], slow: [13, 21, 34] };

type Fill = VT.Fill;
const key = (fills: Fill[]) => fills.map((f) => [f.barIndex, f.side, norm(f.quantity), norm(f.fillPrice), f.role.kind]);

function grade(r: VT.Results): Record<string, unknown> {
  return { ...r.metrics, finalEquity: r.finalEquity, returnPct: r.returnPct, sharpe: r.sharpe, sortino: r.sortino, maxDrawdown: r.maxDrawdown, tradeCount: r.tradeCount, liquidated: r.liquidated };
}

function rowGrade(row: object, params: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).filter(([k]) => !params.includes(k)));
}

const invalid = (pattern: RegExp, code = "invalid_argument") => (e: unknown) => {
  assert.ok(e instanceof Error, String(e));
  assert.match(e.message, pattern);
  assert.equal((e as VT.VecTradeError).code, code, e.message);
  return true;
};

export function signalTests(vt: typeof VT, runtime: string): void {
  const scenario = vt.scenarios.get("tech-2024-q2").withRules({ slippageBps: 0 });
  const bars = scenario.bars()[SYMBOL] as VT.Bar[];
  const entries = bars.map((_, i) => i % 15 === 0); // an entry every 15 bars when flat; the stops close the positions
  const exits = bars.map(() => false);

  test(`[${runtime}] stops fill as the same bracket orders placed by hand`, () => {
    const bt = vt.backtestSignals(scenario, entries, exits, { symbol: SYMBOL, size: 10, slStop: 0.02, tpStop: "0.03" });
    const fills = bt.run.fills();
    const roles = new Set(fills.map((f) => f.role.kind));
    assert.ok(roles.has("stop_loss") && roles.has("take_profit"), [...roles].join());

    // The same entries by hand, each with the bracket levelled from its fill price (the next open:
    // no slippage), one order per decision bar as the signal loop places them.
    const run = new vt.Simulator(scenario).start({ agent: "by-hand" });
    for (let i = 0; i < bars.length - 1; i++) {
      const flat = run.portfolio().positions.every((p) => /^-?0*(\.0*)?$/.test(p.quantity));
      if (entries[i] && flat) {
        const p = (bars[i + 1] as VT.Bar).open;
        run.submit(vt.Order.market(SYMBOL, "buy", 10, { stopLoss: level(p, "0.02", true), takeProfit: level(p, "0.03", false) }));
      }
      run.step();
    }
    assert.deepEqual(key(fills), key(run.fills()));
    // Each entry carries the levels it got from its fill.
    const orders = bt.run.orders();
    for (const o of orders.filter((o) => o.role.kind === "manual" && o.avgFillPrice !== null)) {
      const stop = orders.find((s) => s.parentId === o.id && s.role.kind === "stop_loss");
      assert.equal(norm(stop?.stopPrice ?? ""), level(o.avgFillPrice as string, "0.02", true));
    }
  });

  test(`[${runtime}] a trailing stop follows each bar's high and fills by the gap rule`, () => {
    const bt = vt.backtestSignals(scenario, entries, exits, { symbol: SYMBOL, size: 10, slStop: 0.015, slTrail: true });
    const fills = bt.run.fills();
    const byOrder = new Map(fills.map((f) => [f.orderId, f]));
    let checked = 0;
    for (const stop of bt.run.orders().filter((o) => o.role.kind === "stop_loss" && o.status === "FILLED")) {
      assert.notEqual(stop.parentId, null);
      const entry = byOrder.get(stop.parentId as number) as Fill;
      const exit = byOrder.get(stop.id) as Fill;
      let best = entry.fillPrice;
      for (let j = entry.barIndex; j < exit.barIndex; j++) {
        const high = (bars[j] as VT.Bar).high;
        if (less(best, high)) best = high;
      }
      const at = level(best, "0.015", true);
      assert.equal(norm(stop.stopPrice ?? ""), at, `entry bar ${entry.barIndex}, exit bar ${exit.barIndex}`);
      const opened = (bars[exit.barIndex] as VT.Bar).open;
      assert.equal(norm(exit.fillPrice), less(opened, at) ? norm(opened) : at, "a gap fills at the open");
      checked++;
    }
    assert.ok(checked >= 3, `${checked} trailing stops filled`);
    const fixed = vt.backtestSignals(scenario, entries, exits, { symbol: SYMBOL, size: 10, slStop: 0.015 });
    assert.notDeepEqual(key(fixed.run.fills()), key(fills), "trailing changes the exits");
  });

  test(`[${runtime}] fees are the commission and bad stops are refused with the engine's codes`, () => {
    const free = vt.backtestSignals(scenario, entries, exits, { symbol: SYMBOL, size: 10, slStop: 0.02, tpStop: 0.03 });
    const paid = vt.backtestSignals(scenario, entries, exits, { symbol: SYMBOL, size: 10, slStop: 0.02, tpStop: 0.03, fees: 0.001 });
    assert.deepEqual(paid.run.fills().map((f) => f.fillPrice), free.run.fills().map((f) => f.fillPrice));
    for (const f of paid.run.fills()) assert.ok(Number(f.commission) > 0);
    assert.ok(Number(paid.results.metrics.fees) > 0 && Number(paid.results.finalEquity) < Number(free.results.finalEquity));
    // 10 bps exactly: the same run as the commission rule given by hand.
    const byRule = vt.backtestSignals(scenario.withRules({ commission: { bps: "10" } }), entries, exits, { symbol: SYMBOL, size: 10, slStop: 0.02, tpStop: 0.03 });
    assert.deepEqual(paid.results, byRule.results);
    const columns = scenario.columns(SYMBOL);
    const cases: Array<[Record<string, unknown>, RegExp, string?]> = [
      [{ slStop: 1.5 }, /sl_stop must be a fraction between 0 and 1/],
      [{ slStop: 0 }, /sl_stop must be a fraction/],
      [{ tpStop: -0.1 }, /tp_stop must be a positive fraction/],
      [{ slTrail: true }, /sl_trail needs sl_stop/],
      [{ slStop: 0.123456789 }, /at most 8 decimals, got 0.123456789/, "invalid_bracket"],
      [{ slStop: Infinity }, /`slStop` must be a finite number/],
      [{ slStop: [0.1] }, /`slStop` must be a number or a decimal string/],
      [{ slTrail: "yes" }, /`slTrail` must be true or false/],
      [{ fees: -0.001 }, /`fees` must be 0 or more/],
      [{ slStop: 0.02, stopLoss: 0.02 }, /takes no `stopLoss`; valid options: .*slStop, tpStop, slTrail, fees/],
    ];
    for (const [bad, pattern, code] of cases) {
      assert.throws(() => vt.backtestSignals(scenario, entries, exits, { symbol: SYMBOL, size: 10, ...bad } as VT.SignalOptions), invalid(pattern, code), JSON.stringify(bad));
    }
    assert.throws(() => vt.backtestSignals(columns, entries, exits, { symbol: SYMBOL, fees: 0.001, rules: { commission: { bps: 1 } } }), invalid(/not both/));
  });

  test(`[${runtime}] a sweep's rows are each combination's own backtestSignals grade, best first`, () => {
    const nvda = vt.scenarios.get("tech-2024-q2");
    const table = vt.sweep(cross, nvda, GRID, { symbol: SYMBOL, size: 10, metric: "sharpe", where: ({ fast, slow }) => fast < slow });
    assert.equal(table.length, 9);
    assert.deepEqual(table.parameters, ["fast", "slow"]);
    const close = nvda.columns(SYMBOL).close;
    for (const row of table.rows) {
      const [e, x] = cross(close, row);
      const alone = vt.backtestSignals(nvda, e, x, { symbol: SYMBOL, size: 10 });
      assert.deepEqual(rowGrade(row, ["fast", "slow"]), grade(alone.results), `fast=${row.fast} slow=${row.slow}`);
    }
    assert.ok(table.rows.some((r) => r.tradeCount > 0));
    for (let i = 1; i < table.rows.length; i++) assert.ok(table.rows[i - 1]!.sharpe >= table.rows[i]!.sharpe);
    assert.deepEqual(table.bestParams, { fast: table.rows[0]?.fast, slow: table.rows[0]?.slow });
    assert.deepEqual(grade(table.best().results), rowGrade(table.rows[0]!, ["fast", "slow"]));
    assert.match(String(table), /^Sweep\(9 combinations, best by sharpe\)/);

    // The same table whatever the threads (WebAssembly runs the columns one after the other).
    for (const threads of [1, 2]) assert.deepEqual(vt.sweep(cross, nvda, GRID, { symbol: SYMBOL, size: 10, threads }).rows, table.rows, `${threads} threads`);

    // Smaller is better for drawdowns; ties keep grid order.
    const byDrawdown = vt.sweep(cross, nvda, GRID, { symbol: SYMBOL, size: 10, metric: "maxDrawdown" });
    for (let i = 1; i < byDrawdown.rows.length; i++) assert.ok(byDrawdown.rows[i - 1]!.maxDrawdown <= byDrawdown.rows[i]!.maxDrawdown);
    const byTrades = vt.sweep(cross, nvda, { fast: [3, 3], slow: [13] }, { symbol: SYMBOL, metric: "tradeCount" });
    assert.deepEqual(byTrades.rows.map((r) => r.fast), [3, 3]);
    // A decimal metric (finalEquity) ranks by its value.
    const byEquity = vt.sweep(cross, nvda, GRID, { symbol: SYMBOL, size: 10, metric: "finalEquity" });
    for (let i = 1; i < byEquity.rows.length; i++) assert.ok(Number(byEquity.rows[i - 1]?.finalEquity) >= Number(byEquity.rows[i]?.finalEquity));
  });

  test(`[${runtime}] sweepSignals takes columns of flags with the stops and fees, each graded as its run alone`, () => {
    const shifted = entries.map((_, i) => entries[(i - 5 + entries.length) % entries.length] as boolean);
    const swept = vt.sweepSignals(scenario, [entries, Uint8Array.from(shifted, Number)], [exits, exits], [{ shift: 0 }, { shift: 5 }], {
      symbol: SYMBOL, size: 10, slStop: 0.02, tpStop: 0.03, fees: 0.001, metric: "finalEquity",
    });
    assert.equal(swept.length, 2);
    for (const row of swept.rows) {
      const alone = vt.backtestSignals(scenario, row.shift === 0 ? entries : shifted, exits, { symbol: SYMBOL, size: 10, slStop: 0.02, tpStop: 0.03, fees: 0.001 });
      assert.deepEqual(rowGrade(row, ["shift"]), grade(alone.results));
    }
    assert.deepEqual(grade(swept.best().results), rowGrade(swept.rows[0]!, ["shift"]));
    // best() reruns the best row's own column, even when two columns share their parameters.
    const twins = vt.sweepSignals(scenario, [exits, entries], [exits, exits], [{ k: 1 }, { k: 1 }], { symbol: SYMBOL, size: 10, slStop: 0.02, metric: "tradeCount" });
    assert.ok(twins.rows[0]!.tradeCount > 0);
    assert.deepEqual(grade(twins.best().results), rowGrade(twins.rows[0]!, ["k"]));
    // Undefined values (no trade, no best trade) rank last.
    const idle = vt.sweepSignals(scenario, [exits, entries], [exits, exits], undefined, { symbol: SYMBOL, size: 10, slStop: 0.02, tpStop: 0.03, metric: "bestTradePct" });
    assert.deepEqual(idle.rows.map((r) => [r.column, r.bestTradePct === null]), [[1, false], [0, true]]);
    // Without params the columns are named by their position.
    const plain = vt.sweepSignals(scenario, [entries], [exits], undefined, { symbol: SYMBOL, slStop: 0.05, slTrail: true });
    assert.deepEqual(plain.parameters, ["column"]);
    assert.equal(plain.rows[0]?.column, 0);
  });

  test(`[${runtime}] bad sweeps are refused with the engine's codes`, () => {
    const nvda = vt.scenarios.get("tech-2024-q2");
    const opts = { symbol: SYMBOL };
    assert.throws(() => vt.sweep(cross, nvda, GRID, { ...opts, metrc: "sharpe" } as VT.SweepOptions), invalid(/sweep\(\) takes no `metrc`; valid options: .*metric, threads, where/));
    assert.throws(() => vt.sweep(cross, nvda, GRID, { ...opts, metric: "nope" }), invalid(/no metric "nope"; metrics are .*sharpe/));
    assert.throws(() => vt.sweep(cross, nvda, GRID, { ...opts, threads: 0 }), invalid(/`threads` must be an integer from 1/));
    assert.throws(() => vt.sweep(cross, nvda, GRID, { ...opts, threads: 1.5 }), invalid(/`threads` must be an integer/));
    assert.throws(() => vt.sweep(cross, nvda, {} as typeof GRID, opts), invalid(/`grid` must be a non-empty object/));
    assert.throws(() => vt.sweep(cross, nvda, { fast: [], slow: [1] }, opts), invalid(/grid.fast has no values/));
    assert.throws(() => vt.sweep(cross, nvda, GRID, { ...opts, where: () => false }), invalid(/`where` keeps no combination/));
    assert.throws(() => vt.sweep((() => [[]]) as unknown as typeof cross, nvda, GRID, opts), invalid(/must return \[entries, exits\] or four flag arrays/));
    assert.throws(() => vt.sweep((c) => [Array.from(c, () => 2), Array.from(c, () => 0)], nvda, GRID, opts), invalid(/`entries\[0\]` must be booleans or 0\/1, got number 2 at position 0/));
    assert.throws(() => vt.sweep((c) => [Array.from(c.slice(1), () => false), Array.from(c.slice(1), () => false)], nvda, GRID, opts), invalid(/flags/));
    assert.throws(() => vt.sweep(cross, nvda, GRID, { ...opts, slStop: 2 }), invalid(/sl_stop must be a fraction between 0 and 1/));
    const n = nvda.bars()[SYMBOL]?.length ?? 0;
    const none = new Uint8Array(n);
    assert.throws(() => vt.sweepSignals(nvda, [none, none], [none], undefined, opts), invalid(/`exits` has 1 columns, `entries` 2/));
    assert.throws(() => vt.sweepSignals(nvda, [none], [none], [{ a: 1 }, { a: 2 }], opts), invalid(/2 parameter sets for 1 columns/));
    assert.throws(() => vt.sweepSignals(nvda, [], [], undefined, opts), invalid(/`entries` has no columns/));
    assert.throws(() => vt.sweepSignals(nvda, [none], [none], { a: 1 } as unknown as VT.Params[], opts), invalid(/`params` must be an array of parameter sets/));
    assert.throws(() => vt.sweepSignals(nvda, [none, none.slice(1)], [none, none], undefined, opts), invalid(/`entries\[1\]` has \d+ flags for \d+ bars/));
    assert.throws(() => vt.sweepSignals(nvda, none as unknown as VT.FlagColumns, [none], undefined, opts), invalid(/`entries` must be an array of flag columns/));
    assert.throws(() => vt.sweepSignals(nvda, [none], [none], undefined, { ...opts, shortEntries: [none, none] }), invalid(/`shortEntries` has 2 columns, `entries` 1/));
  });
}
