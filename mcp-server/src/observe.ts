//! The market views the agent reads each turn, computed from the REST API's bars, so both backends give the same numbers.

import type { BarW, MarketW, RunDetailW } from "./backend.js";

/** Bars a scan looks back over (the change and range columns). */
export const SCAN_WINDOW = 20;
/** Rows a scan lists in full; a larger universe lists the movers and the held symbols only. */
export const SCAN_MAX_ROWS = 60;
/** Symbols and bars of `inspect_symbols`. */
export const INSPECT_MAX_SYMBOLS = 8;
export const INSPECT_MAX_BARS = 120;
/** The most bars (symbols × lookback) `get_market` answers. */
export const MARKET_MAX_BARS = 1000;

const round = (v: number, places: number): number => {
  const f = 10 ** places;
  const r = Math.round(v * f) / f;
  return Object.is(r, -0) ? 0 : r;
};
const pct = (from: number, to: number): number | null => (from > 0 ? round(((to - from) / from) * 100, 2) : null);

/** One row of a scan: `[symbol, close, chg_1_pct, chg_20_pct, range_pos_pct, vol_ratio]`. */
export type ScanRow = [string, string, number | null, number | null, number | null, number | null];
export const SCAN_COLUMNS = ["symbol", "close", "chg_1_pct", `chg_${SCAN_WINDOW}_pct`, "range_pos_pct", "vol_ratio"] as const;

function scanRow(symbol: string, bars: BarW[]): ScanRow | null {
  const last = bars.at(-1);
  if (last === undefined) return null;
  const close = Number(last.close);
  const prev = bars.length >= 2 ? Number(bars.at(-2)!.close) : NaN;
  const first = Number(bars[0]!.close);
  const highs = bars.map((b) => Number(b.high));
  const lows = bars.map((b) => Number(b.low));
  const hi = Math.max(...highs);
  const lo = Math.min(...lows);
  const vols = bars.slice(0, -1).map((b) => Number(b.volume));
  const meanVol = vols.length ? vols.reduce((a, b) => a + b, 0) / vols.length : NaN;
  return [
    symbol,
    last.close,
    Number.isFinite(prev) ? pct(prev, close) : null,
    bars.length >= 2 ? pct(first, close) : null,
    hi > lo ? round(((close - lo) / (hi - lo)) * 100, 0) : null,
    meanVol > 0 ? round(Number(last.volume) / meanVol, 2) : null,
  ];
}

/** The compact whole-universe view of `scan_market`: bounded in size whatever the universe. */
export interface Scan {
  run_id: string;
  sim_time: string;
  done: boolean;
  cash: string;
  equity: string;
  positions: Array<[symbol: string, quantity: string, avg_cost: string, unrealized_pnl: string]>;
  open_orders: number;
  universe_size: number;
  columns: readonly string[];
  rows: ScanRow[];
  omitted: number;
  benchmark?: ScanRow;
  top_gainers: string[];
  top_losers: string[];
}

export function scan(runId: string, market: MarketW, detail: RunDetailW, universe: readonly string[], benchmark: string | null): Scan {
  const all = universe.map((s) => scanRow(s, market.bars[s] ?? [])).filter((r): r is ScanRow => r !== null);
  const byChange = [...all].filter((r) => r[2] !== null).sort((a, b) => b[2]! - a[2]! || a[0].localeCompare(b[0]));
  const held = new Set(detail.positions.map((p) => p.symbol));
  let rows = all;
  if (all.length > SCAN_MAX_ROWS) {
    // the held symbols, then the biggest movers up and down in turn, up to the bound
    const keep = new Set(held);
    for (let i = 0, j = byChange.length - 1; keep.size < SCAN_MAX_ROWS && i <= j; ) {
      keep.add(byChange[i++]![0]);
      if (keep.size < SCAN_MAX_ROWS && i <= j) keep.add(byChange[j--]![0]);
    }
    rows = all.filter((r) => keep.has(r[0]));
  }
  const bench = benchmark !== null && market.bars[benchmark] ? scanRow(benchmark, market.bars[benchmark]!) : null;
  return {
    run_id: runId,
    sim_time: market.sim_time,
    done: detail.run.done,
    cash: detail.run.cash,
    equity: detail.run.equity,
    positions: detail.positions.map((p) => [p.symbol, p.quantity, p.avg_cost, p.unrealized_pnl]),
    open_orders: detail.queued_orders.length,
    universe_size: universe.length,
    columns: SCAN_COLUMNS,
    rows,
    omitted: all.length - rows.length,
    ...(bench ? { benchmark: bench } : {}),
    top_gainers: byChange.slice(0, 3).filter((r) => r[2]! > 0).map((r) => `${r[0]} ${r[2]! > 0 ? "+" : ""}${r[2]}%`),
    top_losers: byChange.slice(-3).reverse().filter((r) => r[2]! < 0).map((r) => `${r[0]} ${r[2]}%`),
  };
}

/** Bars as columns (one array per field), the compact form of `inspect_symbols`. */
export function columns(bars: BarW[]): { ts: string[]; open: string[]; high: string[]; low: string[]; close: string[]; volume: string[] } {
  return {
    ts: bars.map((b) => b.ts),
    open: bars.map((b) => b.open),
    high: bars.map((b) => b.high),
    low: bars.map((b) => b.low),
    close: bars.map((b) => b.close),
    volume: bars.map((b) => b.volume),
  };
}

/** A few numbers about a symbol's bars for `inspect_symbols`. */
export function stats(bars: BarW[]): Record<string, number | string | null> {
  const closes = bars.map((b) => Number(b.close));
  const n = closes.length;
  const sma = (k: number): number | null => (n >= k ? round(closes.slice(-k).reduce((a, b) => a + b, 0) / k, 4) : null);
  const rets = closes.slice(1).map((c, i) => Math.log(c / closes[i]!));
  const mean = rets.length ? rets.reduce((a, b) => a + b, 0) / rets.length : 0;
  const vol = rets.length > 1 ? Math.sqrt(rets.reduce((a, r) => a + (r - mean) ** 2, 0) / (rets.length - 1)) : null;
  return {
    bars: n,
    last_close: bars.at(-1)?.close ?? null,
    change_pct: n >= 2 ? pct(closes[0]!, closes[n - 1]!) : null,
    high: n ? String(Math.max(...bars.map((b) => Number(b.high)))) : null,
    low: n ? String(Math.min(...bars.map((b) => Number(b.low)))) : null,
    sma_5: sma(5),
    sma_20: sma(20),
    bar_volatility_pct: vol === null ? null : round(vol * 100, 3),
  };
}
