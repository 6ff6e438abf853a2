// The playground's example strategy (the editor starts with this text; the end-to-end test runs
// the same file natively and in the browser and compares the results).
//
// A strategy module exports a strategy: an object (or class instance) with onBar(ctx) and an
// optional init(ctx). `vt` is the VecTrade API. Orders placed at a bar fill at the next bar's open.

import * as vt from "@vectrade/sdk";

function sma(values, n) {
  const out = new Float64Array(values.length).fill(NaN);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    if (i >= n) sum -= values[i - n];
    if (i >= n - 1) out[i] = sum / n;
  }
  return out;
}

export default {
  init(ctx) {
    this.symbol = ctx.symbols[0]; // the scenario's first tradable symbol
    this.fast = ctx.indicator((c) => sma(c, 10), this.symbol);
    this.slow = ctx.indicator((c) => sma(c, 30), this.symbol);
  },

  onBar(ctx) {
    if (vt.crossover(this.fast, this.slow) && ctx.isFlat(this.symbol)) {
      const price = ctx.close(this.symbol);
      const quantity = Math.floor((Number(ctx.equity) * 0.5) / price); // half the equity
      if (quantity > 0) ctx.buy(this.symbol, quantity);
    } else if (vt.crossover(this.slow, this.fast) && !ctx.isFlat(this.symbol)) {
      ctx.closePosition(this.symbol);
    }
  },
};
