// The README's TypeScript quickstart: the explicit loop, then the same strategy as a callback.
// Run it with `npm run build && npx tsc -p tsconfig.test.json && node build-test/examples/quickstart.js`.

import * as vt from "@vectrade/sdk";

export function explicitLoop(): vt.Results {
  console.log(vt.scenarios.list().map((s) => s.slug)); // the built-in catalog
  const run = new vt.Simulator(vt.scenarios.get("tech-2024-q2")).start({
    agent: "my-bot",
    risk: { maxPositionSizePct: 20 },
  });
  while (!run.done) {
    const bars = run.market({ symbols: ["AAPL"], lookback: 50 }); // { AAPL: Bar[] }, decimals as strings
    if (bars.AAPL !== undefined && run.portfolio().positions.length === 0 && run.openOrders().length === 0) {
      try {
        run.submit(vt.Order.market("AAPL", "buy", 10, { stopLoss: "160", takeProfit: "200" }));
      } catch (e) {
        if (!(e instanceof vt.OrderRejected)) throw e;
        console.log(e.code, e.detail); // "insufficient_buying_power", ...
      }
    }
    run.step(); // fills at the next bar's open
  }
  return run.results();
}

/** A moving average over a Float64Array (NaN until `n` values). */
export function sma(values: Float64Array, n: number): Float64Array {
  const out = new Float64Array(values.length).fill(NaN);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i]!;
    if (i >= n) sum -= values[i - n]!;
    if (i >= n - 1) out[i] = sum / n;
  }
  return out;
}

export class SmaCross implements vt.Strategy {
  fast!: vt.Indicator;
  slow!: vt.Indicator;

  constructor(readonly fastBars = 10, readonly slowBars = 30) {}

  init(ctx: vt.Context): void {
    this.fast = ctx.indicator((c) => sma(c, this.fastBars), "NVDA"); // revealed bar by bar
    this.slow = ctx.indicator((c) => sma(c, this.slowBars), "NVDA");
    ctx.wakeOn(vt.crossings(this.fast, this.slow)); // optional: onBar only where they cross
  }

  onBar(ctx: vt.Context): void {
    if (vt.crossover(this.fast, this.slow) && ctx.isFlat("NVDA")) ctx.buy("NVDA", 100); // fills at the next open
    else if (vt.crossover(this.slow, this.fast) && !ctx.isFlat("NVDA")) ctx.sell("NVDA", 100);
  }
}

export function callback(): vt.Backtest<SmaCross> {
  return vt.backtest(new SmaCross(5, 20), vt.scenarios.get("tech-2024-q2"));
}

if (process.argv[1]?.endsWith("quickstart.js")) {
  const results = explicitLoop();
  console.log(`return ${results.returnPct.toFixed(2)} %, Sharpe ${results.sharpe.toFixed(2)}, final equity ${results.finalEquity}`);
  const bt = callback();
  console.log(`SMA cross: ${bt.results.tradeCount} fills, return ${bt.results.returnPct.toFixed(2)} %`);
}
