/**
 * Scenarios: the built-in catalog, synthetic markets, and your own bars (CSV text, rows, or float
 * columns such as `Float64Array`s).
 */

import { type NativeScenario, engineBuild } from "./backend.js";
import { engine, invalid } from "./errors.js";
import { type Bar } from "./models.js";
import { type DecimalInput, type Timestamp, decimal, describe, fromEngine, toEngine } from "./wire.js";

/** A catalog entry. */
export interface ScenarioEntry {
  slug: string;
  name: string;
  description: string;
}

/** The hosted API's scenario object plus the engine's rules. */
export interface ScenarioInfo {
  slug: string;
  name: string;
  description: string;
  status: string;
  universe: string[];
  startingCash: string;
  leverageCap: string;
  shortEnabled: boolean;
  barResolution: string;
  benchmarkSymbol: string | null;
  costs: Record<string, unknown>;
  maintenanceMargin: string;
  marketHours: Record<string, unknown>;
  sessionUtcOffsetMinutes: number;
  startTs: string | null;
  endTs: string | null;
  barCount: number;
}

/** An immutable market: a config and bars on one timeline. Runs share it. */
export class Scenario {
  /** @internal */
  readonly native: NativeScenario;
  /** The scenario object (slug, universe, rules, first and last bar time, bar count). */
  readonly info: ScenarioInfo;

  /** @internal Use the functions of `scenarios` to make one. */
  constructor(inner: NativeScenario) {
    this.native = inner;
    this.info = fromEngine<ScenarioInfo>(inner.infoJson());
  }

  get slug(): string {
    return this.info.slug;
  }

  /** Tradable symbols. */
  get universe(): string[] {
    return this.info.universe;
  }

  /** Digest of the config and every bar: equal fingerprints, equal markets. */
  get fingerprint(): string {
    return this.native.fingerprint();
  }

  /** Every bar of every series (the benchmark's included), exact. */
  bars(): Record<string, Bar[]> {
    const out: Record<string, Bar[]> = {};
    for (const s of fromEngine<Array<{ symbol: string; bars: Bar[] }>>(this.native.seriesJson())) out[s.symbol] = s.bars;
    return out;
  }

  /** Every bar of one symbol as `Float64Array` columns (times in UTC ms; prices as floats), no object per bar. */
  columns(symbol: string): { ts: Float64Array; open: Float64Array; high: Float64Array; low: Float64Array; close: Float64Array; volume: Float64Array } {
    const index = engine(() => this.native.seriesIndex(symbol));
    const col = (field: string): Float64Array => engine(() => this.native.column(index, field));
    return { ts: col("ts"), open: col("open"), high: col("high"), low: col("low"), close: col("close"), volume: col("volume") };
  }

  /**
   * The same bars under other rules: each rule given replaces the scenario's and the others are
   * kept (a `commission` replaces the whole commission model); every symbol but the benchmark is
   * tradable. `scenarios.get("crash-and-rebound").withRules({ slippageBps: 0 })`.
   */
  withRules(rules: Rules): Scenario {
    return new Scenario(engine(() => this.native.withRules(rulesJson(rules))));
  }

  toString(): string {
    return `Scenario(${this.slug}, ${this.info.universe.length} symbols, ${this.info.barCount} bars)`;
  }
}

/** The built-in catalog. */
export function list(): ScenarioEntry[] {
  return engineBuild().catalogEntries();
}

/** A built-in scenario by slug (throws `NotFound` listing the slugs). */
export function get(slug: string): Scenario {
  if (typeof slug !== "string") throw invalid(`\`slug\` must be a string, got ${describe(slug)}`);
  return new Scenario(engine(() => engineBuild().Scenario.builtin(slug)));
}

/** A synthetic market: `symbols` correlated random walks of `bars` bars each, plus an index. */
export function synthetic(options: { symbols?: number; bars?: number; seed?: number; resolution?: string; slug?: string } = {}): Scenario {
  const spec = { slug: "synthetic", symbols: 1, bars: 1000, seed: 1, resolution: "1Hour", ...options };
  return new Scenario(engine(() => engineBuild().Scenario.synthetic(toEngine(spec))));
}

/**
 * The trading rules of a scenario made from your own bars (or given to `Scenario.withRules`). Every symbol but `benchmarkSymbol` is
 * tradable; a rule left out takes the engine's default (100 000 of cash, leverage 1, no shorting,
 * 2 bps slippage, no commission, 25 % maintenance margin, US equity hours); `barResolution` left
 * out is read off the bar times.
 */
export interface Rules {
  slug?: string;
  name?: string;
  startingCash?: DecimalInput;
  leverageCap?: DecimalInput;
  shortEnabled?: boolean;
  barResolution?: string;
  benchmarkSymbol?: string;
  marketHours?: Record<string, unknown>;
  slippageBps?: DecimalInput;
  commission?: { perUnit?: DecimalInput; bps?: DecimalInput; minimum?: DecimalInput };
  maxVolumeParticipation?: DecimalInput;
  maintenanceMargin?: DecimalInput;
}

function rulesJson(rules: Rules): string {
  const out: Record<string, unknown> = { ...rules };
  for (const key of ["startingCash", "leverageCap", "slippageBps", "maxVolumeParticipation", "maintenanceMargin"] as const) {
    const v = rules[key];
    if (v !== undefined) out[key] = decimal(v, key);
  }
  if (rules.commission !== undefined) {
    out.commission = Object.fromEntries(Object.entries(rules.commission).map(([k, v]) => [k, decimal(v as DecimalInput, `commission.${k}`)]));
  }
  return toEngine(out);
}

function config(rules: Rules, symbols: string[], times: Float64Array): string {
  return engine(() => engineBuild().configFromRules(rulesJson(rules), symbols, times));
}

/** One row of bars: time (UTC ms or RFC 3339 text), open, high, low, close, volume. */
export type BarRow = [ts: Timestamp | string, open: DecimalInput, high: DecimalInput, low: DecimalInput, close: DecimalInput, volume: DecimalInput];

function millis(ts: Timestamp | string, where: string): number {
  if (typeof ts === "string") return engine(() => engineBuild().parseTimestamp(ts));
  if (typeof ts === "number" && Number.isSafeInteger(ts)) return ts;
  throw invalid(`${where}: the time must be UTC milliseconds or RFC 3339 text, got ${describe(ts)}`, "invalid_bar");
}

function seriesOf(rows: Record<string, BarRow[]>): Array<{ symbol: string; bars: Array<Record<string, unknown>> }> {
  if (rows === null || typeof rows !== "object") throw invalid(`bars must be an object of rows per symbol, got ${describe(rows)}`);
  const names = ["open", "high", "low", "close", "volume"] as const;
  return Object.entries(rows).map(([symbol, bars]) => ({
    symbol,
    bars: bars.map((row, i) => {
      if (!Array.isArray(row) || row.length !== 6) {
        throw invalid(`${symbol} row ${i}: expected [ts, open, high, low, close, volume]`, "invalid_bar");
      }
      const [ts, ...values] = row;
      const bar: Record<string, unknown> = { ts: millis(ts, `${symbol} row ${i}`) };
      names.forEach((n, k) => (bar[n] = decimal(values[k] as DecimalInput, `${symbol}[${i}].${n}`)));
      return bar;
    }),
  }));
}

/** A scenario from exact rows per symbol (`{AAPL: [[ts, open, high, low, close, volume], ...]}`) and {@link Rules}. */
export function fromRows(rows: Record<string, BarRow[]>, rules: Rules = {}): Scenario {
  const series = seriesOf(rows);
  const first = Float64Array.from(series[0]?.bars.map((b) => b.ts as number) ?? []);
  const cfg = config(rules, Object.keys(rows), first);
  return new Scenario(engine(() => engineBuild().Scenario.fromSeries(cfg, JSON.stringify(series))));
}

/**
 * A scenario from the engine's full config (the fields of {@link ScenarioInfo}: `slug`, `name`,
 * `universe`, `startingCash`, `barResolution`, `costs`, `marketHours`, ...) and exact rows per symbol.
 */
export function build(configFields: Record<string, unknown>, rows: Record<string, BarRow[]>): Scenario {
  const series = seriesOf(rows);
  return new Scenario(engine(() => engineBuild().Scenario.fromSeries(toEngine(configFields), JSON.stringify(series))));
}

/**
 * A scenario from OHLCV CSV text. Common layouts are recognised (Yahoo, pandas `to_csv`,
 * MetaTrader, epoch timestamps); text without a symbol column needs `symbol`.
 */
export function fromCsv(text: string, options: Rules & { symbol?: string } = {}): Scenario {
  const { symbol, ...rules } = options;
  const seriesJson = engine(() => engineBuild().parseCsv(text, symbol ?? null));
  const series = JSON.parse(seriesJson) as Array<{ symbol: string; bars: Array<{ ts: number }> }>;
  const times = Float64Array.from(series[0]?.bars.map((b) => b.ts) ?? []);
  const cfg = config(rules, series.map((s) => s.symbol), times);
  return new Scenario(engine(() => engineBuild().Scenario.fromSeries(cfg, seriesJson)));
}

/** Float columns of one symbol: `ts` in UTC milliseconds, prices and volumes as numbers. */
export interface ColumnData {
  ts: ArrayLike<number>;
  open: ArrayLike<number>;
  high: ArrayLike<number>;
  low: ArrayLike<number>;
  close: ArrayLike<number>;
  volume?: ArrayLike<number>;
}

const f64 = (values: ArrayLike<number>): Float64Array => (values instanceof Float64Array ? values : Float64Array.from(values));

/**
 * A scenario from float columns per symbol (`Float64Array`s or number arrays), without an object
 * per bar. Each float becomes the decimal of its shortest representation (`101.3` stays `101.3`).
 */
export function fromArrays(columns: Record<string, ColumnData>, rules: Rules = {}): Scenario {
  const input = Object.entries(columns).map(([symbol, c]) => {
    for (const field of ["ts", "open", "high", "low", "close"] as const) {
      if (c[field] === undefined) throw invalid(`${symbol}: missing column ${field}`, "invalid_bar");
    }
    return {
      symbol,
      ts: f64(c.ts),
      open: f64(c.open),
      high: f64(c.high),
      low: f64(c.low),
      close: f64(c.close),
      volume: c.volume === undefined ? new Float64Array(c.ts.length) : f64(c.volume),
    };
  });
  const cfg = config(rules, Object.keys(columns), input[0]?.ts ?? new Float64Array());
  return new Scenario(engine(() => engineBuild().Scenario.fromColumns(cfg, input)));
}
