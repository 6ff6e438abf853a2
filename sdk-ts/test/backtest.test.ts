// The callback API and the signal API against the built addon.

import { test } from "node:test";
import assert from "node:assert/strict";

import * as vt from "@vectrade/sdk";
import { sma } from "../examples/quickstart.js";

class Cross implements vt.Strategy {
  calls = 0;
  fast!: vt.Indicator;
  slow!: vt.Indicator;
  constructor(readonly woken: boolean) {}

  init(ctx: vt.Context): void {
    this.fast = ctx.indicator((c) => sma(c, 3), "AAPL");
    this.slow = ctx.indicator((c) => sma(c, 8), "AAPL");
    if (this.woken) ctx.wakeOn(vt.crossings(this.fast, this.slow));
  }

  onBar(ctx: vt.Context): void {
    this.calls++;
    if (vt.crossover(this.fast, this.slow) && ctx.isFlat("AAPL")) ctx.buy("AAPL", 10);
    else if (vt.crossover(this.slow, this.fast) && !ctx.isFlat("AAPL")) ctx.sell("AAPL", 10);
  }
}

test("a callback backtest equals the same decisions in the explicit loop", () => {
  const scenario = vt.scenarios.get("tech-2024-q2");
  const bt = vt.backtest((ctx: vt.Context) => {
    const closes = ctx.closes("NVDA", 30);
    if (closes.length < 30) return;
    const mean = (xs: Float64Array) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const [fast, slow] = [mean(closes.subarray(20)), mean(closes)];
    if (fast > slow && ctx.isFlat("NVDA")) ctx.buy("NVDA", 100);
    else if (fast < slow && !ctx.isFlat("NVDA")) ctx.sell("NVDA", ctx.position("NVDA"));
  }, scenario);
  assert.ok(bt.results.tradeCount > 4);

  const run = new vt.Simulator(scenario).start({ agent: "strategy" });
  while (!run.done) {
    const closes = (run.market({ symbols: ["NVDA"], lookback: 30 }).NVDA ?? []).map((b) => Number(b.close));
    if (closes.length === 30) {
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const [fast, slow] = [mean(closes.slice(20)), mean(closes)];
      const held = run.portfolio().positions[0]?.quantity ?? "0";
      if (fast > slow && held === "0") run.submit(vt.Order.market("NVDA", "buy", 100));
      else if (fast < slow && held !== "0") run.submit(vt.Order.market("NVDA", "sell", held));
    }
    run.step();
  }
  assert.deepEqual(run.fills(), bt.run.fills());
  assert.deepEqual(run.results(), bt.results);
});

test("a strategy woken at its events trades exactly as one called every bar", () => {
  const scenario = vt.scenarios.get("tech-2024-q2");
  const every = vt.backtest(new Cross(false), scenario);
  const woken = vt.backtest(new Cross(true), scenario);
  assert.equal(every.strategy.calls, scenario.info.barCount - 1);
  assert.ok(woken.strategy.calls > 10 && woken.strategy.calls < every.strategy.calls / 3, `${woken.strategy.calls}`);
  assert.ok(every.run.fills().length > 10);
  assert.deepEqual(woken.run.fills(), every.run.fills());
  assert.deepEqual(woken.results, every.results);
});

test("indicators reveal only the bars up to the clock", () => {
  const seen: Array<[number | undefined, number]> = [];
  class Probe implements vt.Strategy {
    sma3!: vt.Indicator;
    init(ctx: vt.Context): void {
      this.sma3 = ctx.indicator((c) => sma(c, 3), "AAPL");
    }
    onBar(ctx: vt.Context): void {
      const closes = ctx.closes("AAPL", 3);
      if (this.sma3.length >= 3) seen.push([this.sma3.at(-1), closes.reduce((a, b) => a + b, 0) / 3]);
      assert.equal(this.sma3.at(this.sma3.length), undefined, "no value past the current bar");
      assert.equal(this.sma3.values().length, this.sma3.length);
    }
  }
  vt.backtest(new Probe(), vt.scenarios.get("tech-2024-q2"));
  assert.ok(seen.length > 400);
  assert.ok(seen.every(([a, b]) => a !== undefined && Math.abs(a - b) < 1e-9));
});

test("indicators that peek at later bars are refused", () => {
  const centred = (c: Float64Array) => c.map((_, i) => ((c[i - 1] ?? c[i]!) + c[i]! + (c[i + 1] ?? c[i]!)) / 3);
  assert.throws(
    () => vt.backtest({ init: (ctx: vt.Context) => void ctx.indicator(centred, "AAPL"), onBar: () => {} }, vt.scenarios.get("tech-2024-q2")),
    (e: unknown) => e instanceof vt.InvalidInput && /not causal/.test(e.message),
  );
  assert.throws(
    () => vt.backtest({ init: (ctx: vt.Context) => void ctx.indicator((c) => c.slice(1), "AAPL"), onBar: () => {} }, vt.scenarios.get("tech-2024-q2")),
    (e: unknown) => e instanceof vt.InvalidInput && /one value per bar \(441\), got 440/.test(e.message),
  );
});

test("strategy errors propagate and bad strategies are refused", () => {
  const boom = new Error("strategy bug");
  assert.throws(() => vt.backtest(() => { throw boom; }, vt.scenarios.get("tech-2024-q2")), (e: unknown) => e === boom);
  assert.throws(() => vt.backtest((ctx: vt.Context) => void ctx.buy("AAPL", 10 ** 9), vt.scenarios.get("tech-2024-q2")), (e: unknown) => e instanceof vt.OrderRejected);
  assert.throws(() => vt.backtest(42 as unknown as vt.Strategy, vt.scenarios.get("tech-2024-q2")), (e: unknown) => e instanceof vt.InvalidInput);
  assert.throws(
    () => vt.backtest({ onBar: (ctx: vt.Context) => ctx.wakeOn({} as vt.Indicator) }, vt.scenarios.get("tech-2024-q2")),
    (e: unknown) => e instanceof vt.InvalidInput && /set up in init/.test(e.message),
  );
});

test("order shortcuts return ids; limits and brackets go through", () => {
  const ids: Record<string, number> = {};
  const bt = vt.backtest((ctx: vt.Context) => {
    if (ctx.barIndex === 0) {
      ids.market = ctx.buy("AAPL", 5);
      ids.limit = ctx.buy("AAPL", "2.5", { limit: "1.00" });
      ids.bracket = ctx.buy("MSFT", 1, { stopLoss: "1.00" });
    }
  }, vt.scenarios.get("tech-2024-q2"));
  assert.equal(bt.run.order(ids.market!).status, "FILLED");
  assert.equal(bt.run.order(ids.limit!).endReason?.code, "run_finished");
  const children = bt.run.orders().filter((o) => o.parentId === ids.bracket);
  assert.deepEqual(children.map((o) => [o.role.kind, o.stopPrice]), [["stop_loss", "1.00"]]);
});

test("progress is reported about a hundred times and ends at the total", () => {
  const seen: number[] = [];
  vt.backtest(() => {}, vt.scenarios.get("tech-2024-q2"), { progress: (done, total) => { seen.push(done); assert.equal(total, 440); } });
  assert.ok(seen.length > 50 && seen.length <= 111, `${seen.length}`);
  assert.equal(seen[seen.length - 1], 440);
  assert.deepEqual([...seen].sort((a, b) => a - b), seen);
});

test("signal backtests run inside the engine, from a scenario or columns", () => {
  const scenario = vt.scenarios.get("tech-2024-q2");
  const closes = Object.values(scenario.bars())[0]!.map((b) => Number(b.close));
  const f = sma(Float64Array.from(closes), 5), s = sma(Float64Array.from(closes), 15);
  const entries = closes.map((_, i) => i > 0 && f[i]! > s[i]! && f[i - 1]! <= s[i - 1]!);
  const exits = closes.map((_, i) => i > 0 && f[i]! < s[i]! && f[i - 1]! >= s[i - 1]!);
  const bt = vt.backtestSignals(scenario, entries, exits, { symbol: "AAPL", size: 7 });
  assert.ok(bt.results.tradeCount > 4);
  assert.ok(bt.run.fills().every((x) => x.quantity === "7"));
  // 0/1 numbers are flags too; other values are refused.
  const again = vt.backtestSignals(scenario, entries.map(Number), exits.map(Number), { symbol: "AAPL", size: 7 });
  assert.deepEqual(again.run.fills(), bt.run.fills());
  assert.throws(() => vt.backtestSignals(scenario, entries.map(() => 2), exits, { symbol: "AAPL" }), (e: unknown) => e instanceof vt.InvalidInput && /booleans or 0\/1, got number 2 at position 0/.test(e.message));
  assert.throws(() => vt.backtestSignals(scenario, entries, exits), (e: unknown) => e instanceof vt.InvalidInput && /`symbol` is needed/.test(e.message));
  assert.throws(() => vt.backtestSignals(scenario, entries.slice(1), exits.slice(1), { symbol: "AAPL" }), (e: unknown) => e instanceof vt.InvalidInput && /440 flags for 441 bars/.test(e.message));
  const ts = Float64Array.from(closes, (_, i) => Date.UTC(2024, 0, 1) + i * 86_400_000);
  const c = Float64Array.from(closes);
  const fromColumns = vt.backtestSignals({ ts, open: c, high: c, low: c, close: c }, entries, exits, { rules: { slippageBps: 0 } });
  assert.equal(fromColumns.run.scenario.info.barResolution, "1Day");
  assert.ok(fromColumns.results.tradeCount > 4);
});

test("closeAtEnd closes the positions still open at the end through the engine (finalize_trades)", () => {
  const scenario = vt.scenarios.get("tech-2024-q2");
  const buyAndHold = (ctx: vt.Context): void => {
    if (ctx.barIndex === 0) ctx.buy("AAPL", 10);
  };
  const open = vt.backtest(buyAndHold, scenario);
  assert.deepEqual(open.run.trades().map((t) => t.status), ["open"]);

  const closed = vt.backtest(buyAndHold, scenario, { closeAtEnd: true });
  const fills = closed.run.fills();
  const last = fills[fills.length - 1];
  assert.equal(fills.length, 2);
  assert.equal(last?.side, "sell");
  assert.equal(last?.quantity, "10");
  assert.equal(last?.ts, closed.run.simTime, "filled at the last bar");
  assert.deepEqual(closed.run.trades().map((t) => t.status), ["closed"]);
  assert.ok(closed.run.portfolio().positions.every((p) => p.quantity === "0"));
  assert.equal(closed.results.finalEquity, closed.run.portfolio().cash);
  assert.throws(() => new vt.Simulator(scenario, { closeAtEnd: "yes" as unknown as boolean }), vt.InvalidInput);
});

test("fills and trades carry their bar index beside their time", () => {
  const bt = vt.backtest((ctx: vt.Context) => {
    if (ctx.barIndex === 3) ctx.buy("AAPL", 5);
    if (ctx.barIndex === 40) ctx.sell("AAPL", 5);
  }, vt.scenarios.get("tech-2024-q2"));
  assert.deepEqual(bt.run.fills().map((f) => f.barIndex), [4, 41], "filled at the bar after the decision");
  const [trade] = bt.run.trades();
  assert.deepEqual([trade?.openedBarIndex, trade?.closedBarIndex], [4, 41]);
  assert.deepEqual([...(trade?.entries ?? []), ...(trade?.exits ?? [])].map((l) => l.barIndex), [4, 41]);
});
