// One strategy, two places (issue 12, point 5): the same strategy object run by the local engine
// and against a benchmark run on the real server (started from VECTRADE_SERVER_BIN) gives the same
// fills, the same grade, and the same view of the account at every bar it is called at.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import * as vt from "@vectrade/sdk";
import { sma } from "../examples/quickstart.js";
import { startServer, type LocalServer } from "./client-server.js";

let server: LocalServer;
let client: vt.Client;
before(async () => {
  server = await startServer();
  client = new vt.Client({ baseUrl: server.baseUrl, apiKey: server.apiKey });
});
after(async () => {
  await server?.stop();
});

const SLUG = "tech-2024-q2";

/** A decimal string without trailing zeros: the value, whatever scale either side writes. */
const dec = (s: string | null | undefined): string => (s ?? "").includes(".") ? (s ?? "").replace(/\.?0+$/, "") : (s ?? "");

/**
 * Every order type over the scenario, written once for both places (`vt.AnyContext`): a market
 * buy, a limit buy resting far below the market and cancelled later, a bracket with stop-loss and
 * take-profit, a stop entry, an SMA crossover on indicators, and closing a position. It records
 * what it sees at each call, to compare the two places bar by bar.
 */
class EveryOrderType implements vt.Strategy {
  seen: string[] = [];
  fast!: vt.Indicator;
  slow!: vt.Indicator;
  constructor(readonly woken = false) {}

  init(ctx: vt.AnyContext): void {
    this.fast = ctx.indicator((c) => sma(c, 5), "NVDA");
    this.slow = ctx.indicator((c) => sma(c, 20), "NVDA");
    if (this.woken) ctx.wakeOn(vt.crossings(this.fast, this.slow));
  }

  onBar(ctx: vt.AnyContext): void {
    const t = ctx.barIndex;
    const open = ctx.openOrders().map((o) => `${o.id}:${o.symbol}:${o.side}:${o.status}`);
    this.seen.push([t, ctx.time, dec(ctx.cash), dec(ctx.equity), dec(ctx.position("AAPL")), dec(ctx.position("GOOGL")), ctx.close("NVDA"), ctx.closes("MSFT", 3).join(","), this.fast.at(-1), open.join(" ")].join("|"));
    if (vt.crossover(this.fast, this.slow) && ctx.isFlat("NVDA")) ctx.buy("NVDA", 10);
    else if (vt.crossover(this.slow, this.fast) && !ctx.isFlat("NVDA")) ctx.closePosition("NVDA");
    if (this.woken) return;
    const price = (symbol: string, factor: number): string => (ctx.close(symbol)! * factor).toFixed(2);
    if (t === 0) ctx.buy("AAPL", 10); // market
    if (t === 2) ctx.buy("MSFT", 5, { limit: price("MSFT", 0.8) }); // rests far below the market
    if (t === 3) ctx.submit(vt.Order.stop("AMZN", "buy", 7, price("AMZN", 1.01))); // a stop entry
    if (t === 5) ctx.buy("GOOGL", 20, { stopLoss: price("GOOGL", 0.98), takeProfit: price("GOOGL", 1.02), reasoning: "bracket" });
    if (t === 12) {
      const resting = ctx.openOrders().find((o) => o.symbol === "MSFT");
      assert.ok(resting !== undefined, "the MSFT limit still rests");
      ctx.cancel(resting.id);
    }
    if (t === 120) ctx.sell("AAPL", 4);
    if (t === 200) ctx.closePosition("AAPL");
  }
}

/** The fields of a local fill as the server writes them. */
function wireFill(f: vt.Fill): Record<string, string> {
  return { order_id: String(f.orderId), symbol: f.symbol, side: f.side, quantity: dec(f.quantity), fill_price: dec(f.fillPrice), commission: dec(f.commission), ts: vt.formatTimestamp(f.ts) };
}

function remoteFill(f: vt.models.FillOut): Record<string, string> {
  return { order_id: f.order_id, symbol: f.symbol, side: f.side, quantity: dec(f.quantity), fill_price: dec(f.fill_price), commission: dec(f.commission), ts: f.ts };
}

test("one strategy, two places: the same fills, metrics and bar-by-bar view locally and on the server", async () => {
  const local = vt.backtest(new EveryOrderType(), vt.scenarios.get(SLUG));
  const remote = await vt.backtest(new EveryOrderType(), SLUG, { remote: client, botName: "ts-remote" });

  const fills = local.run.fills();
  assert.ok(fills.length >= 8, `the strategy trades (${fills.length} fills)`);
  assert.ok(remote.fills.some((f) => f.role === "stop_loss" || f.role === "take_profit"), "a bracket exit filled");
  assert.ok(fills.some((f) => f.symbol === "AMZN"), "the stop entry filled");
  assert.ok(fills.some((f) => f.symbol === "GOOGL" && f.side === "sell"), "the bracket exited");
  assert.ok(!fills.some((f) => f.symbol === "MSFT"), "the limit never filled and was cancelled");
  assert.deepEqual(remote.fills.map(remoteFill), fills.map(wireFill));
  // bar indices: the server's fill times are the local fills' bars
  const times = local.run.equityCurve().map((p) => p.ts);
  assert.deepEqual(remote.fills.map((f) => times.indexOf(vt.parseTimestamp(f.ts))), fills.map((f) => f.barIndex));

  // the grade
  const [l, r] = [local.results, remote.results];
  assert.equal(dec(r.final_equity), dec(l.finalEquity));
  assert.equal(Number(r.return_pct), l.returnPct);
  assert.equal(Number(r.sharpe), l.sharpe);
  assert.equal(Number(r.max_drawdown), l.maxDrawdown);
  assert.equal(r.trade_count, l.tradeCount);
  assert.ok(l.tradeCount >= 4);

  // what the strategy saw at each call: clock, cash, equity, positions, prices, indicators, open orders
  assert.equal(remote.strategy.seen.length, vt.scenarios.get(SLUG).info.barCount - 1);
  assert.deepEqual(remote.strategy.seen, local.strategy.seen);
  const run = await client.benchmark.getRun(remote.runId);
  assert.equal(run.run.done, true);
  assert.equal(run.run.bot_name, "ts-remote");
});

test("wakeOn: the strategy is called at the same bars, and trades the same, in both places", async () => {
  const local = vt.backtest(new EveryOrderType(true), vt.scenarios.get(SLUG));
  const reports: Array<[number, number]> = [];
  const remote = await vt.backtest(new EveryOrderType(true), SLUG, { remote: client, progress: (done, total) => void reports.push([done, total]) });
  const total = vt.scenarios.get(SLUG).info.barCount - 1;
  assert.deepEqual(reports.at(-1), [total, total]);
  assert.ok(reports.length > 50 && reports.length <= 120, `${reports.length} progress reports`);
  assert.ok(local.strategy.seen.length > 2 && local.strategy.seen.length < 100, `woken ${local.strategy.seen.length} times`);
  assert.deepEqual(remote.strategy.seen, local.strategy.seen);
  assert.deepEqual(remote.fills.map(remoteFill), local.run.fills().map(wireFill));
  assert.equal(dec(remote.results.final_equity), dec(local.results.finalEquity));
});

test("writes resolve to what the local calls return; an async onBar may await them", async () => {
  const ids: number[] = [];
  const remote = await vt.backtest(
    async (ctx: vt.RemoteContext) => {
      if (ctx.barIndex === 0) {
        const id = await ctx.buy("AAPL", 1, { limit: "1" });
        assert.deepEqual(ctx.openOrders().map((o) => o.id), [id]); // the answer is in the cache
        assert.equal(ctx.order(id).status, "OPEN");
        ids.push(id);
        assert.equal((await ctx.cancel(id)).status, "CANCELLED");
        ids.push((await ctx.submit(vt.Order.market("AAPL", "buy", 2))).id);
        assert.equal(await ctx.closePosition("MSFT"), undefined); // flat
      }
      if (ctx.barIndex === 1) ids.push((await ctx.closePosition("AAPL"))!);
    },
    SLUG,
    { remote: client },
  );
  assert.deepEqual(ids, [1, 2, 3]);
  assert.deepEqual(remote.fills.map((f) => [f.order_id, f.side, dec(f.quantity)]), [["2", "buy", "2"], ["3", "sell", "2"]]);
});

test("a refused order rejects the remote backtest with the engine's error, as the local call throws it", async () => {
  const greedy = (ctx: vt.AnyContext): void => {
    if (ctx.barIndex === 1) ctx.buy("AAPL", 1_000_000);
  };
  let thrown: unknown;
  try {
    vt.backtest(greedy, vt.scenarios.get(SLUG));
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown instanceof vt.OrderRejected || thrown instanceof vt.RiskLimitExceeded, String(thrown));
  const code = (thrown as vt.VecTradeError).code;
  await assert.rejects(vt.backtest(greedy, SLUG, { remote: client }), (e: unknown) => {
    assert.ok(e instanceof (thrown as object).constructor, String(e));
    assert.equal((e as vt.VecTradeError).code, code);
    return true;
  });
  // an unknown symbol is refused at the call, as locally
  const unknown = (ctx: vt.AnyContext): void => void ctx.buy("NOPE", 1);
  await assert.rejects(vt.backtest(unknown, SLUG, { remote: client }), (e: unknown) => e instanceof vt.OrderRejected && e.code === "unknown_symbol");
  assert.throws(() => vt.backtest(unknown, vt.scenarios.get(SLUG)), (e: unknown) => e instanceof vt.OrderRejected && e.code === "unknown_symbol");
});

test("an unknown scenario is NotFound; local-only options and a missing client are refused", async () => {
  await assert.rejects(vt.backtest(() => {}, "no-such-scenario", { remote: client }), vt.NotFound);
  await assert.rejects(vt.backtest(() => {}, SLUG, { remote: client, risk: {} } as never), vt.InvalidInput);
  await assert.rejects(vt.backtest(() => {}, SLUG, { remote: {} } as never), vt.InvalidInput);
  assert.throws(() => vt.backtest(() => {}, SLUG as never), vt.InvalidInput);
  await assert.rejects(
    vt.backtest((ctx: vt.RemoteContext) => void ctx.submit({ ...vt.Order.market("AAPL", "buy", 10), trims: [{ level: 1, price: "200", quantity: "5" }] }), SLUG, { remote: client }),
    vt.InvalidInput,
  );
  // A strategy typed for the local Context only does not compile against a server: its writes would not return numbers there.
  // @ts-expect-error (ctx: vt.Context) => void is no remote strategy
  void (() => vt.backtest((ctx: vt.Context) => void ctx.buy("AAPL", 1), SLUG, { remote: client }));
});
