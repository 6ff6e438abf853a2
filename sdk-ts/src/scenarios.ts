/**
 * Scenarios: the built-in catalog, synthetic markets, and your own bars (CSV text, rows, or float
 * columns such as `Float64Array`s).
 */

import { type NativeScenario, engineBuild } from "./backend.js";
import { engine, invalid } from "./errors.js";
import { type Bar } from "./models.js";
import { type DecimalInput, type Timestamp, count, decimal, describe, fromEngine, optText, options as checked, text, toEngine } from "./wire.js";

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
    const index = engine(() => this.native.seriesIndex(text(symbol, "symbol")));
    const col = (field: string): Float64Array => engine(() => this.native.column(index, field));
    return { ts: col("ts"), open: col("open"), high: col("high"), low: col("low"), close: col("close"), volume: col("volume") };
  }

  /**
   * The same bars under other rules: each rule given replaces the scenario's and the others are
   * kept (a `commission` replaces the whole commission model); every symbol but the benchmark is
   * tradable. `scenarios.get("crash-and-rebound").withRules({ slippageBps: 0 })`.
   */
  withRules(rules: Rules): Scenario {
    return new Scenario(engine(() => this.native.withRules(rulesJson(rules, "scenario.withRules"))));
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
  const o = checked(options, "scenarios.synthetic", ["symbols", "bars", "seed", "resolution", "slug"]);
  const spec = {
    slug: optText(o.slug, "slug") ?? "synthetic",
    symbols: count(o.symbols ?? 1, "symbols"),
    bars: count(o.bars ?? 1000, "bars"),
    seed: seed(o.seed),
    resolution: optText(o.resolution, "resolution") ?? "1Hour",
  };
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

/** The keys of {@link Rules}. */
const RULES = [
  "slug",
  "name",
  "startingCash",
  "leverageCap",
  "shortEnabled",
  "barResolution",
  "benchmarkSymbol",
  "marketHours",
  "slippageBps",
  "commission",
  "maxVolumeParticipation",
  "maintenanceMargin",
] as const;

/** A seed: an integer from 0 to 2^53 - 1 (the engine's u64 beyond that is not reachable exactly from a number). */
function seed(value: unknown): number {
  if (value === undefined) return 1;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(`\`seed\` must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}, got ${describe(value)}`);
  }
  return value;
}

function rulesJson(rules: Rules, call = "rules", extra: readonly string[] = []): string {
  checked(rules, call, [...RULES, ...extra]);
  const out: Record<string, unknown> = { ...rules };
  for (const key of extra) delete out[key];
  for (const key of ["startingCash", "leverageCap", "slippageBps", "maxVolumeParticipation", "maintenanceMargin"] as const) {
    const v = rules[key];
    if (v !== undefined) out[key] = decimal(v, key);
  }
  if (rules.commission !== undefined) {
    if (rules.commission === null || typeof rules.commission !== "object") {
      throw invalid(`\`commission\` must be an object of perUnit, bps, minimum, got ${describe(rules.commission)}`);
    }
    checked(rules.commission, "the commission", ["perUnit", "bps", "minimum"]);
    out.commission = Object.fromEntries(Object.entries(rules.commission).map(([k, v]) => [k, decimal(v as DecimalInput, `commission.${k}`)]));
  }
  return toEngine(out);
}

function config(rules: Rules, symbols: string[], times: Float64Array, call: string, extra: readonly string[] = []): string {
  const json = rulesJson(rules, call, extra);
  return engine(() => engineBuild().configFromRules(json, symbols, times));
}

/** One row of bars: time (UTC ms or RFC 3339 text), open, high, low, close, volume. */
export type BarRow = [ts: Timestamp | string, open: DecimalInput, high: DecimalInput, low: DecimalInput, close: DecimalInput, volume: DecimalInput];

function millis(ts: Timestamp | string, where: string): number {
  if (typeof ts === "string") return engine(() => engineBuild().parseTimestamp(ts));
  if (typeof ts === "number" && Number.isSafeInteger(ts)) return ts;
  throw invalid(`${where}: the time must be UTC milliseconds or RFC 3339 text, got ${describe(ts)}`, "invalid_bar");
}

function seriesOf(rows: Record<string, BarRow[]>): Array<{ symbol: string; bars: Array<Record<string, unknown>> }> {
  if (rows === null || typeof rows !== "object" || Array.isArray(rows)) throw invalid(`bars must be an object of rows per symbol, got ${describe(rows)}`);
  const names = ["open", "high", "low", "close", "volume"] as const;
  return Object.entries(rows).map(([symbol, bars]) => {
    if (!Array.isArray(bars)) throw invalid(`${symbol}: rows must be an array of [ts, open, high, low, close, volume], got ${describe(bars)}`, "invalid_bar");
    return {
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
  };
  });
}

/** A scenario from exact rows per symbol (`{AAPL: [[ts, open, high, low, close, volume], ...]}`) and {@link Rules}. */
export function fromRows(rows: Record<string, BarRow[]>, rules: Rules = {}): Scenario {
  const series = seriesOf(rows);
  const first = Float64Array.from(series[0]?.bars.map((b) => b.ts as number) ?? []);
  const cfg = config(rules, Object.keys(rows), first, "scenarios.fromRows");
  return new Scenario(engine(() => engineBuild().Scenario.fromSeries(cfg, JSON.stringify(series))));
}

/**
 * A scenario from the engine's full config (the fields of {@link ScenarioInfo}: `slug`, `name`,
 * `universe`, `startingCash`, `barResolution`, `costs`, `marketHours`, ...) and exact rows per symbol.
 */
export function build(configFields: Record<string, unknown>, rows: Record<string, BarRow[]>): Scenario {
  if (configFields === null || typeof configFields !== "object") throw invalid(`\`config\` must be an object, got ${describe(configFields)}`);
  const series = seriesOf(rows);
  return new Scenario(engine(() => engineBuild().Scenario.fromSeries(toEngine(configFields), JSON.stringify(series))));
}

/**
 * A scenario from OHLCV CSV text. Common layouts are recognised (Yahoo, pandas `to_csv`,
 * MetaTrader, epoch timestamps); text without a symbol column needs `symbol`.
 */
export function fromCsv(csv: string, options: Rules & { symbol?: string } = {}): Scenario {
  const { symbol, ...rules } = checked(options, "scenarios.fromCsv", [...RULES, "symbol"]);
  text(csv, "text");
  const defaultSymbol = optText(symbol, "symbol");
  const seriesJson = engine(() => engineBuild().parseCsv(csv, defaultSymbol));
  const series = JSON.parse(seriesJson) as Array<{ symbol: string; bars: Array<{ ts: number }> }>;
  const times = Float64Array.from(series[0]?.bars.map((b) => b.ts) ?? []);
  const cfg = config(rules, series.map((s) => s.symbol), times, "scenarios.fromCsv");
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

/** A column as floats: a `Float64Array` as it is, an array or typed array of numbers copied; anything else refused. */
function f64(values: unknown, where: string): Float64Array {
  if (values instanceof Float64Array) return values;
  if (Array.isArray(values)) {
    values.forEach((v: unknown, i) => {
      if (typeof v !== "number") throw invalid(`${where}[${i}] must be a number, got ${describe(v)}`, "invalid_bar");
    });
    return Float64Array.from(values as number[]);
  }
  if (ArrayBuffer.isView(values) && !(values instanceof DataView) && !(values instanceof BigInt64Array) && !(values instanceof BigUint64Array)) {
    return Float64Array.from(values as unknown as ArrayLike<number>);
  }
  throw invalid(`${where} must be an array of numbers, got ${describe(values)}`, "invalid_bar");
}

/**
 * A scenario from float columns per symbol (`Float64Array`s or number arrays), without an object
 * per bar. Each float becomes the decimal of its shortest representation (`101.3` stays `101.3`).
 */
export function fromArrays(columns: Record<string, ColumnData>, rules: Rules = {}): Scenario {
  if (columns === null || typeof columns !== "object" || Array.isArray(columns)) {
    throw invalid(`\`columns\` must be an object of columns per symbol ({AAPL: {ts, open, high, low, close, volume}}), got ${describe(columns)}`);
  }
  const input = Object.entries(columns).map(([symbol, c]) => {
    if (c === null || typeof c !== "object") throw invalid(`${symbol}: columns must be an object of ts, open, high, low, close, volume, got ${describe(c)}`, "invalid_bar");
    checked(c, `the columns of ${symbol}`, ["ts", "open", "high", "low", "close", "volume"]);
    for (const field of ["ts", "open", "high", "low", "close"] as const) {
      if (c[field] === undefined) throw invalid(`${symbol}: missing column ${field}`, "invalid_bar");
    }
    const ts = f64(c.ts, `${symbol}.ts`);
    return {
      symbol,
      ts,
      open: f64(c.open, `${symbol}.open`),
      high: f64(c.high, `${symbol}.high`),
      low: f64(c.low, `${symbol}.low`),
      close: f64(c.close, `${symbol}.close`),
      volume: c.volume === undefined ? new Float64Array(ts.length) : f64(c.volume, `${symbol}.volume`),
    };
  });
  const cfg = config(rules, Object.keys(columns), input[0]?.ts ?? new Float64Array(), "scenarios.fromArrays");
  return new Scenario(engine(() => engineBuild().Scenario.fromColumns(cfg, input)));
}
