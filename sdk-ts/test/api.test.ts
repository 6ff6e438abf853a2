// The explicit loop, errors, decimals, agents, idempotency, snapshots and data in/out, against the
// built addon.

import { test } from "node:test";
import assert from "node:assert/strict";

import * as vt from "@vectrade/sdk";
import { callback, explicitLoop } from "../examples/quickstart.js";

test("the README quickstart runs and trades", () => {
  const results = explicitLoop();
  assert.equal(results.agent, "my-bot");
  assert.ok(results.tradeCount >= 2, `trades: ${results.tradeCount}`);
  assert.match(results.finalEquity, /^\d+(\.\d+)?$/, "money is an exact decimal string");
  const bt = callback();
  assert.ok(bt.results.tradeCount > 4);
  assert.equal(bt.run.fills().length, bt.results.tradeCount);
});

test("the catalog and scenario info", () => {
  const slugs = vt.scenarios.list().map((s) => s.slug);
  assert.deepEqual(slugs, ["tech-2024-q2", "crypto-majors-2024-q3", "crash-and-rebound", "sideways-etfs"]);
  const sc = vt.scenarios.get("tech-2024-q2");
  assert.equal(sc.info.barCount, 441);
  assert.equal(sc.info.benchmarkSymbol, "SPY");
  assert.deepEqual(sc.universe, ["AAPL", "MSFT", "GOOGL", "AMZN", "NVDA", "META"]);
  assert.equal(sc.fingerprint, vt.scenarios.get("tech-2024-q2").fingerprint);
  assert.throws(() => vt.scenarios.get("nope"), (e: unknown) => e instanceof vt.NotFound && e.code === "unknown_scenario" && /tech-2024-q2/.test(e.detail));
});

test("errors are typed, coded and name what was wrong", () => {
  const run = new vt.Simulator(vt.scenarios.get("tech-2024-q2")).start({ agent: "a" });
  assert.throws(
    () => run.submit(vt.Order.market("AAPL", "buy", 1_000_000_000)),
    (e: unknown) => e instanceof vt.OrderRejected && e instanceof vt.VecTradeError && e.code === "insufficient_buying_power" && e.family === "order_rejected",
  );
  assert.throws(() => run.submit(vt.Order.market("AAPL", "hold" as vt.Side, 1)), (e: unknown) => e instanceof vt.InvalidInput && e.code === "invalid_enum_value" && /order\.side: `side` must be one of/.test(e.message));
  assert.throws(() => run.submit(vt.Order.market("ZZZZ", "buy", 1)), (e: unknown) => e instanceof vt.VecTradeError && e.code === "unknown_symbol");
  assert.throws(() => run.submit(vt.Order.market("AAPL", "buy", 0.5)), (e: unknown) => e instanceof vt.InvalidInput && /floats are inexact: pass "0.5" as a string/.test(e.message));
  assert.throws(() => run.submit(vt.Order.market("AAPL", "buy", "-3")), (e: unknown) => e instanceof vt.InvalidInput && e.code === "invalid_quantity");
  assert.throws(() => run.step(-1), (e: unknown) => e instanceof vt.InvalidInput && /`count` must be an integer/.test(e.message));
  assert.throws(() => run.results(), (e: unknown) => e instanceof vt.InvalidState && e.code === "run_not_finished");
  run.holdUntilEnd();
  assert.throws(() => run.step(), (e: unknown) => e instanceof vt.RunFinished && e instanceof vt.InvalidState);
  assert.throws(() => run.portfolio({ agent: "b" }), (e: unknown) => e instanceof vt.NotFound && e.code === "unknown_agent");
  const codes = vt.errorCodes();
  assert.ok(codes.length > 30 && codes.some(([c, f]) => c === "insufficient_buying_power" && f === "order_rejected"));
});

test("decimals stay exact: bigint, integer and string inputs, string outputs", () => {
  const sc = vt.scenarios.fromRows(
    { X: [["2024-01-02", "10.1", "10.1", "10.1", "10.1", 0], ["2024-01-03", "10.2", "10.3", "10.0", "10.2", 0], ["2024-01-04", "10.3", "10.3", "10.3", "10.3", 0]] },
    { startingCash: "1000.10", slippageBps: 0 },
  );
  const run = new vt.Simulator(sc).start();
  run.submit(vt.Order.market("X", "buy", 3n));
  const step = run.step();
  const fill = step.agents[0]?.fills[0];
  assert.equal(fill?.fillPrice, "10.2");
  assert.equal(run.portfolio().cash, "969.50"); // 1000.10 − 3 × 10.2, exactly
  assert.equal(sc.info.barResolution, "1Day");
});

test("agents are isolated; views act for their agent", () => {
  const run = new vt.Simulator(vt.scenarios.get("crypto-majors-2024-q3")).tournament(["a", { name: "b", risk: { maxOpenOrders: 1 } }]);
  const b = run.asAgent("b");
  run.submit(vt.Order.market("BTC/USD", "buy", 1));
  b.submit(vt.Order.limit("ETH/USD", "buy", 1, "1"));
  assert.throws(() => b.submit(vt.Order.limit("ETH/USD", "buy", 1, "1")), (e: unknown) => e instanceof vt.RiskLimitExceeded && e.code === "max_open_orders_exceeded");
  run.step();
  assert.equal(run.portfolio().positions.length, 1);
  assert.equal(b.portfolio().positions.length, 0);
  assert.equal(b.openOrders().length, 1);
  assert.deepEqual(run.agents, ["a", "b"]);
});

test("idempotency keys replay answers and refuse reuse for something else", () => {
  const run = new vt.Simulator(vt.scenarios.get("tech-2024-q2")).start();
  const first = run.submit(vt.Order.market("AAPL", "buy", 1), { idempotencyKey: "k1" });
  const again = run.submit(vt.Order.market("AAPL", "buy", 1), { idempotencyKey: "k1" });
  assert.equal(again.id, first.id);
  assert.equal(run.orders().length, 1);
  assert.throws(() => run.submit(vt.Order.market("AAPL", "buy", 2), { idempotencyKey: "k1" }), (e: unknown) => e instanceof vt.IdempotencyConflict && e instanceof vt.Conflict);
});

test("a snapshot continues identically", () => {
  const sc = vt.scenarios.get("crash-and-rebound");
  const run = new vt.Simulator(sc).start();
  run.submit(vt.Order.market(sc.universe[0]!, "buy", 5, { stopLoss: "1", takeProfit: "100000" }));
  run.step(20);
  const copy = vt.Run.restore(sc, run.snapshot());
  for (const r of [run, copy]) {
    r.submit(vt.Order.market(sc.universe[1]!, "buy", 3));
    r.holdUntilEnd();
  }
  assert.deepEqual(copy.fills(), run.fills());
  assert.deepEqual(copy.results(), run.results());
});

test("bulk data crosses as typed arrays", () => {
  const n = 500;
  const ts = Float64Array.from({ length: n }, (_, i) => Date.UTC(2024, 0, 1) + i * 3_600_000);
  const close = Float64Array.from({ length: n }, (_, i) => 100 + Math.sin(i / 10) * 5 + i * 0.01);
  const sc = vt.scenarios.fromArrays({ X: { ts, open: close, high: close.map((c) => c + 0.5), low: close.map((c) => c - 0.5), close } });
  assert.equal(sc.info.barResolution, "1Hour");
  assert.equal(sc.bars().X?.[1]?.close, String(close[1])); // each float reads as it prints
  const cols = sc.columns("X");
  assert.deepEqual([cols.ts, cols.close].map((c) => c instanceof Float64Array), [true, true]);
  assert.deepEqual([...cols.close], [...close]);
  assert.deepEqual([...cols.ts], [...ts]);
  assert.throws(() => sc.columns("Y"), (e: unknown) => e instanceof vt.VecTradeError && e.code === "unknown_symbol" && /observable symbols: X/.test(e.message));
  const run = new vt.Simulator(sc).start();
  run.submit(vt.Order.market("X", "buy", 10));
  run.holdUntilEnd();
  const curve = run.equityColumns();
  assert.ok(curve.equity instanceof Float64Array && curve.ts instanceof Float64Array);
  assert.equal(curve.equity.length, run.equityCurve().length);
  assert.equal(curve.equity[curve.equity.length - 1], Number(run.results().finalEquity));
  assert.ok(Math.abs(Math.max(...curve.drawdown) - run.results().maxDrawdown) < 1e-15);
  assert.throws(() => vt.scenarios.fromArrays({ X: { ts, open: close, high: close, low: close, close: close.map(() => NaN) } }), (e: unknown) => e instanceof vt.InvalidInput && e.code === "invalid_bar" && /row 0: close is NaN/.test(e.message));
  assert.throws(() => vt.scenarios.fromArrays({ X: { ts, open: close, high: close, low: close, close } }, { cash: 5 } as vt.Rules), (e: unknown) => e instanceof vt.InvalidInput && /scenarios.fromArrays\(\) takes no `cash`; valid options: .*startingCash/.test(e.message));
});

test("a scenario takes other rules over the same bars", () => {
  const base = vt.scenarios.get("crash-and-rebound");
  const free = base.withRules({ slippageBps: 0, commission: { perUnit: 0 }, startingCash: "25000" });
  assert.deepEqual(free.info.costs.slippage, { model: "fixed_bps", bps: "0" });
  assert.equal(free.info.startingCash, "25000");
  assert.deepEqual([free.universe, free.info.benchmarkSymbol, free.slug], [base.universe, base.info.benchmarkSymbol, base.slug]);
  assert.notEqual(free.fingerprint, base.fingerprint);
  const symbol = free.universe[0]!;
  const run = new vt.Simulator(free).start();
  run.submit(vt.Order.market(symbol, "buy", 3));
  run.step();
  const fill = run.fills()[0]!;
  assert.deepEqual([fill.fillPrice, fill.slippageBps, fill.commission], [fill.referencePrice, "0", "0"]);
  assert.throws(() => base.withRules({ benchmarkSymbol: "NOPE" }), (e: unknown) => e instanceof vt.VecTradeError && /not a symbol of this scenario/.test(e.message));
  assert.throws(() => base.withRules({ cash: 5 } as vt.Rules), (e: unknown) => e instanceof vt.InvalidInput && /scenario.withRules\(\) takes no `cash`; valid options: .*startingCash/.test(e.message));
});

test("CSV text becomes a scenario", () => {
  const csv = "Date,Open,High,Low,Close,Volume\n2024-01-02,10,11,9,10.5,100\n2024-01-03,10.5,12,10,11.5,100\n";
  const sc = vt.scenarios.fromCsv(csv, { symbol: "ABC", startingCash: 5000 });
  assert.deepEqual(sc.universe, ["ABC"]);
  assert.equal(sc.info.startingCash, "5000");
  assert.throws(() => vt.scenarios.fromCsv("nonsense"), (e: unknown) => e instanceof vt.InvalidInput);
});

test("the README's TypeScript quickstart is the example the tests run", async () => {
  const { readFileSync } = await import("node:fs");
  const root = new URL("../../../", import.meta.url);
  const readme = readFileSync(new URL("README.md", root), "utf8");
  const example = readFileSync(new URL("sdk-ts/examples/quickstart.ts", root), "utf8");
  const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, "the README has a TypeScript example");
  const lines = block.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("import") && l !== "console.log(run.results());");
  for (const line of lines) assert.ok(example.includes(line), `README line not in examples/quickstart.ts: ${line}`);
});

test("the package README's example runs", async () => {
  const { readFileSync } = await import("node:fs");
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
  assert.ok(block.startsWith('import * as vt from "@vectrade/sdk";'), "the example imports the package");
  const logged: unknown[] = [];
  const body = block.replace(/^import .*\n/, "").replace(/console\.log\(/g, "log(");
  new Function("vt", "log", body)(vt, (x: unknown) => logged.push(x));
  assert.equal(logged.length, 1);
  assert.equal(typeof logged[0], "number", "it prints the Sharpe ratio");
});
