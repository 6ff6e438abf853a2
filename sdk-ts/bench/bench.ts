// Per-step and per-callback cost of the Node API against the engine's own speed, in one process:
// `npm run bench [bars]` (default 1M bars of one synthetic symbol plus its index).
//
// - "engine alone": one `run.advance(n)` call, the whole loop in Rust (the Rust figure, measured
//   through the same addon);
// - "advance(1) per bar from JS": the cost of crossing into the engine once per bar;
// - "backtest, empty onBar": the callback loop's own cost per bar (target ≥ 5M bars/s);
// - an SMA 10/30 cross on precomputed indicators, called every bar and only at crosses;
// - then the same runs on the WebAssembly build (`@vectrade/sdk/browser`, loaded in Node), with
//   its time as a multiple of the native one (issue 5's target: at most 2x).

import { readFileSync } from "node:fs";

import * as vt from "@vectrade/sdk";
import * as browser from "@vectrade/sdk/browser";
import { sma } from "../examples/quickstart.js";

const bars = Number(process.argv[2] ?? 1_000_000);
let scenario = vt.scenarios.synthetic({ symbols: 1, bars, seed: 7 });

function time(label: string, body: () => unknown): number {
  // Runs hold their history in Rust until the garbage collector drops them: collect first, so
  // no row pays for the memory of the one before (node --expose-gc, as `npm run bench` does).
  (globalThis as { gc?: () => void }).gc?.();
  const start = performance.now();
  body();
  const seconds = (performance.now() - start) / 1000;
  console.log(`  ${label.padEnd(40)} ${seconds.toFixed(3).padStart(7)} s  ${(bars / seconds / 1e6).toFixed(2).padStart(6)} M bars/s`);
  return seconds;
}

class Cross implements vt.Strategy {
  fast!: vt.Indicator;
  slow!: vt.Indicator;
  long = false;
  constructor(readonly woken: boolean) {}
  init(ctx: vt.Context): void {
    this.fast = ctx.indicator((c) => sma(c, 10), "SYM000");
    this.slow = ctx.indicator((c) => sma(c, 30), "SYM000");
    if (this.woken) ctx.wakeOn(vt.crossings(this.fast, this.slow));
  }
  onBar(ctx: vt.Context): void {
    if (vt.crossover(this.fast, this.slow)) {
      if (!this.long) {
        ctx.buy("SYM000", 10);
        this.long = true;
      }
    } else if (vt.crossover(this.slow, this.fast) && this.long) {
      ctx.sell("SYM000", 10);
      this.long = false;
    }
  }
}

/** The rows both engine builds run: label → seconds. */
function rows(): Map<string, number> {
  const out = new Map<string, number>();
  out.set("engine alone (one advance call)", time("engine alone (one advance call)", () => {
    const run = new vt.Simulator(scenario).start();
    run.native.advance(bars);
  }));
  out.set("backtest, empty onBar", time("backtest, empty onBar", () => vt.backtest(() => {}, scenario)));
  out.set("backtest, SMA cross every bar", time("backtest, SMA cross every bar", () => vt.backtest(new Cross(false), scenario)));
  out.set("backtest, SMA cross at crosses", time("backtest, SMA cross at crosses (wakeOn)", () => vt.backtest(new Cross(true), scenario)));
  out.set("signal backtest", time("signal backtest (SMA cross flags)", () => {
    const close = scenario.columns("SYM000").close;
    const [f, s] = [sma(close, 10), sma(close, 30)];
    const entries = Array.from(close, (_, i) => i > 0 && f[i]! > s[i]! && f[i - 1]! <= s[i - 1]!);
    const exits = Array.from(close, (_, i) => i > 0 && f[i]! < s[i]! && f[i - 1]! >= s[i - 1]!);
    vt.backtestSignals(scenario, entries, exits, { symbol: "SYM000", size: 10 });
  }));
  return out;
}

console.log(`${bars.toLocaleString("en-US")} bars, Node ${process.version}`);
console.log("native addon:");
const native = rows();
const perStep = time("advance(1) per bar from JS", () => {
  const run = new vt.Simulator(scenario).start();
  const inner = run.native;
  while (!inner.done) inner.advance(1);
});
const rust = native.get("engine alone (one advance call)") ?? 0;
console.log(`  JS → engine crossing per bar: ${(((perStep - rust) / bars) * 1e9).toFixed(0)} ns; callback loop per bar: ${((((native.get("backtest, empty onBar") ?? 0) - rust) / bars) * 1e9).toFixed(0)} ns over the engine's own step (grading included)`);

// The same API on the WebAssembly build (the scenario is made again by it).
await browser.load(readFileSync(new URL("../../wasm/vectrade_bg.wasm", import.meta.url)));
scenario = vt.scenarios.synthetic({ symbols: 1, bars, seed: 7 });
console.log("WebAssembly:");
const wasm = rows();
console.log("WebAssembly time / native time:");
for (const [label, seconds] of wasm) {
  console.log(`  ${label.padEnd(40)} ${(seconds / (native.get(label) ?? seconds)).toFixed(2)}x`);
}
