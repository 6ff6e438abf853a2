/**
 * Callback backtests: `backtest(strategy, scenario)` calls `strategy.onBar(ctx)` once per bar (or
 * only at the bars its wake indicators fire), and `backtestSignals(...)` runs entry/exit flags
 * entirely inside the engine. Orders placed in `onBar` meet the next bar, as everywhere in
 * VecTrade. Indicator values and prices are numbers; money, positions and quantities stay exact
 * decimal strings.
 */

import { type NativeRun, engineBuild } from "./backend.js";
import { engine, invalid, typed } from "./errors.js";
import { Indicator, type IndicatorOwner, toFloats } from "./indicator.js";
import { type OrderOptions, type OrderRequest, type PlacedOrder, type Results, type RiskProfile, type Side, Order, orderOptions } from "./models.js";
import { type RemoteBacktest, type RemoteBacktestOptions, type RemoteContext, type RemoteStrategy, backtestRemote } from "./remote.js";
import { Scenario, fromArrays, type ColumnData, type Rules } from "./scenarios.js";
import { type IntrabarPath, Run, Simulator } from "./simulator.js";
import { type Decimal, type DecimalInput, type Timestamp, count, decimal, describe, isZero, options as checked, optText, text, toEngine } from "./wire.js";

/** A strategy: `onBar` decides at each bar; `init` runs once before the first. */
export interface Strategy {
  init?(ctx: Context): void;
  onBar(ctx: Context): void;
}

/** What a strategy sees and does at one bar. */
export class Context implements IndicatorOwner {
  readonly #run: Run;
  readonly #native: NativeRun;
  readonly #agent: number;
  readonly #index = new Map<string, number>();
  /** @internal */
  readonly wake: Indicator[] = [];
  /** @internal */
  started = false;
  /** The step being decided on: 0 at the scenario's first bar time. */
  barIndex = 0;
  /** Tradable symbols. */
  readonly symbols: string[];

  /** @internal Made by {@link backtest}. */
  constructor(run: Run) {
    this.#run = run;
    this.#native = run.native;
    this.#agent = run.agentId;
    this.symbols = run.scenario.universe;
  }

  /** @internal Series index of a symbol (throws `NotFound`-style `unknown_symbol` listing them). */
  series(symbol: string): number {
    let i = this.#index.get(symbol);
    if (i === undefined) {
      text(symbol, "symbol");
      i = engine(() => this.#native.symbolIndex(symbol));
      this.#index.set(symbol, i);
    }
    return i;
  }

  /** The run behind this context. */
  get run(): Run {
    return this.#run;
  }

  /** The clock: time of the bar being decided on. */
  get time(): Timestamp {
    return this.#native.simTime;
  }

  /** Latest close as a number (`undefined` before the symbol's first bar). */
  close(symbol: string): number | undefined {
    return this.#native.closeF64(this.series(symbol)) ?? undefined;
  }

  /** The last `n` closes (at most 1000), oldest first. */
  closes(symbol: string, n: number): Float64Array {
    const want = count(n, "n");
    const series = this.series(symbol);
    if (want === 0) return new Float64Array();
    return engine(() => this.#native.closesF64(series, want));
  }

  /**
   * `fn(values)` over the symbol's whole `field` series (a `Float64Array`), revealed bar by bar.
   * `fn` must be causal — its value at a bar may only use that bar and earlier ones: it is
   * recomputed on prefixes of the series, which must give the same values. A boolean result
   * reads as 1/0, usable with {@link Context.wakeOn}. Call it from `init`.
   */
  indicator(fn: (values: Float64Array) => ArrayLike<number | boolean>, symbol: string, field: "open" | "high" | "low" | "close" | "volume" = "close"): Indicator {
    if (typeof fn !== "function") throw invalid(`\`fn\` must be a function of the values, got ${describe(fn)}`);
    const series = this.series(symbol);
    text(field, "field");
    const values = engine(() => this.#run.scenario.native.column(series, field));
    const full = toFloats(fn(values), values.length, "indicator");
    const n = values.length;
    // Causal means a prefix of the data gives a prefix of the result: recompute on the engine's
    // prefix lengths (short and long ones, a fixed price for a long series).
    for (const cut of engineBuild().causalityCuts(n)) {
      const part = toFloats(fn(values.slice(0, cut)), cut, "indicator");
      for (let i = 0; i < cut; i++) {
        const [p, f] = [part[i] as number, full[i] as number];
        const same = p === f || (Number.isNaN(p) && Number.isNaN(f)) || Math.abs(p - f) <= 1e-9 * Math.abs(f);
        if (!same) {
          throw invalid(`indicator is not causal: its first ${cut} values change when later bars are removed (look-ahead)`);
        }
      }
    }
    return this.indicatorOf(full, series);
  }

  /** @internal */
  indicatorOf(values: Float64Array, series: number): Indicator {
    const counts = engine(() => this.#run.scenario.native.visibleCounts(series));
    return new Indicator({ values: () => values, revealed: () => counts[this.barIndex] ?? 0 }, series, this);
  }

  /** @internal {@link crossings} in a local backtest: computed in the engine over the whole series. */
  crossingsOf(a: Indicator, b: Indicator): Indicator {
    return this.indicatorOf(engine(() => engineBuild().crossings(a.all(), b.all())), a.series);
  }

  /**
   * Calls `onBar` only at the bars where `indicator` is set (neither 0 nor NaN) instead of at
   * every bar; several calls wake on any of them. The engine still steps every bar in between, so
   * resting orders, stops and brackets fill as usual. Call it from `init`.
   */
  wakeOn(indicator: Indicator): void {
    if (this.started) throw invalid("wakeOn is set up in init, before the first bar");
    if (!(indicator instanceof Indicator)) throw invalid(`wakeOn takes an Indicator from ctx.indicator, got ${describe(indicator)}`);
    this.wake.push(indicator);
  }

  /** Signed units held (negative when short), exact. */
  position(symbol: string): Decimal {
    return engine(() => this.#native.position(this.#agent, this.series(symbol)));
  }

  /** True when no position is held in `symbol`. */
  isFlat(symbol: string): boolean {
    return isZero(this.position(symbol));
  }

  /** Cash now, exact. */
  get cash(): Decimal {
    return this.#native.cash(this.#agent);
  }

  /** Cash plus positions at the latest closes, exact. */
  get equity(): Decimal {
    return this.#native.equity(this.#agent);
  }

  /** Queues any order; refusals throw the engine's errors (`OrderRejected`, ...). */
  submit(order: OrderRequest): PlacedOrder {
    return this.#run.submit(order);
  }

  /** A market buy, or a limit buy with `limit`; returns the order id. Other options make a full {@link Order}. */
  buy(symbol: string, quantity: DecimalInput, options: OrderOptions & { limit?: DecimalInput } = {}): number {
    return this.#place(symbol, "buy", quantity, options);
  }

  /** A market (or `limit`) sell closing part or all of a long; returns the order id. */
  sell(symbol: string, quantity: DecimalInput, options: OrderOptions & { limit?: DecimalInput } = {}): number {
    return this.#place(symbol, "sell", quantity, options);
  }

  /** A market (or `limit`) short, when shorting is enabled; returns the order id. */
  short(symbol: string, quantity: DecimalInput, options: OrderOptions & { limit?: DecimalInput } = {}): number {
    return this.#place(symbol, "short", quantity, options);
  }

  /** A market (or `limit`) cover of part or all of a short; returns the order id. */
  cover(symbol: string, quantity: DecimalInput, options: OrderOptions & { limit?: DecimalInput } = {}): number {
    return this.#place(symbol, "cover", quantity, options);
  }

  /** A market order closing the whole position in `symbol`; its id, or `undefined` when flat. */
  closePosition(symbol: string): number | undefined {
    const held = this.position(symbol);
    if (isZero(held)) return undefined;
    return held.startsWith("-") ? this.cover(symbol, held.slice(1)) : this.sell(symbol, held);
  }

  /** Cancels a working order. */
  cancel(orderId: number): PlacedOrder {
    return this.#run.cancel(orderId);
  }

  /** The order with this id as it stands now. */
  order(orderId: number): PlacedOrder {
    return this.#run.order(orderId);
  }

  /** Working orders, oldest first. */
  openOrders(): PlacedOrder[] {
    return this.#run.openOrders();
  }

  #place(symbol: string, side: Side, quantity: DecimalInput, options: OrderOptions & { limit?: DecimalInput }): number {
    const { limit, ...rest } = orderOptions(options, `ctx.${side}`, ["limit"]);
    const series = this.series(symbol);
    if (Object.keys(rest).length > 0) {
      const order = limit === undefined ? Order.market(symbol, side, quantity, rest) : Order.limit(symbol, side, quantity, limit, rest);
      return this.#run.submit(order).id;
    }
    // Hot path: one call into the engine, no order object, no JSON.
    const q = decimal(quantity, "quantity");
    const l = limit === undefined ? null : decimal(limit, "limit");
    return engine(() => this.#native.submitSimple(this.#agent, series, side, q, l));
  }

  toString(): string {
    return `Context(agent=${this.#run.agent}, barIndex=${this.barIndex}, time=${new Date(this.time).toISOString()})`;
  }
}



/** The outcome of {@link backtest} and {@link backtestSignals}: the grade and the run. */
export interface Backtest<S = Strategy | null> {
  results: Results;
  run: Run;
  strategy: S;
}

/** Thrown through the engine's bar loop to stop it; the strategy's own exception is rethrown after. */
const STOP = new Error("the strategy threw; its exception is rethrown by backtest");

/** Options of {@link backtest}. */
export interface BacktestOptions {
  agent?: string;
  risk?: RiskProfile;
  intrabarPath?: IntrabarPath;
  /** Called as `progress(barsDone, barsTotal)` about a hundred times. */
  progress?: (done: number, total: number) => void;
  /** Close the positions still open at the end through the engine (see {@link SimulatorOptions}). */
  closeAtEnd?: boolean;
}

/**
 * Runs `strategy` (an object with `onBar`, or a function `onBar(ctx)`) over `scenario` bar by bar
 * and grades it. Bars between wake-ups run in the engine alone. An exception from the strategy
 * propagates, with the run left at the failing bar.
 */
export function backtest<S extends Strategy | ((ctx: Context) => void)>(strategy: S, scenario: Scenario, options?: BacktestOptions): Backtest<S>;
/**
 * Runs `strategy` against a benchmark run of the catalog scenario `scenario` (a slug such as
 * `"tech-2024-q2"`) on the server of `options.remote` (a `vt.Client`), bar by bar over HTTP: the
 * same fills and grade as the local run of that scenario. Reads in `onBar` are answered from a
 * cache of the bar; writes return promises and are sent in call order once `onBar` yields, and a
 * refusal rejects the returned promise with the engine's error (see {@link RemoteContext}). A
 * strategy for both places types its argument as {@link AnyContext}.
 */
export function backtest<S extends RemoteStrategy | ((ctx: RemoteContext) => void | Promise<void>)>(
  strategy: S,
  scenario: string,
  options: RemoteBacktestOptions,
): Promise<RemoteBacktest<S>>;
export function backtest(
  strategy: unknown, // checked at run time by either form
  scenario: Scenario | string,
  options: BacktestOptions | RemoteBacktestOptions = {},
): Backtest<unknown> | Promise<RemoteBacktest<unknown>> {
  if (options !== null && typeof options === "object" && "remote" in options) {
    if (typeof scenario !== "string") return Promise.reject(invalid(`a remote backtest takes the scenario's slug ("tech-2024-q2"), got ${describe(scenario)}`));
    return backtestRemote(strategy as RemoteStrategy, scenario, options);
  }
  if (!(scenario instanceof Scenario)) {
    throw invalid(`\`scenario\` must be a Scenario (vt.scenarios.get("${String(scenario)}")), or a slug with { remote: client } to run on a server; got ${describe(scenario)}`);
  }
  return backtestLocal(strategy as Strategy, scenario, options as BacktestOptions);
}

function backtestLocal<S extends Strategy | ((ctx: Context) => void)>(strategy: S, scenario: Scenario, options: BacktestOptions): Backtest<S> {
  let onBar: (ctx: Context) => void;
  if (typeof strategy === "function") onBar = strategy as (ctx: Context) => void;
  else if (strategy !== null && typeof strategy === "object" && typeof strategy.onBar === "function") onBar = strategy.onBar.bind(strategy);
  else throw invalid(`\`strategy\` must have an onBar(ctx) method or be a function, got ${describe(strategy)}`);
  checked(options, "backtest", ["agent", "risk", "intrabarPath", "closeAtEnd", "progress"]);
  if (options.progress !== undefined && options.progress !== null && typeof options.progress !== "function") {
    throw invalid(`\`progress\` must be a function, got ${describe(options.progress)}`);
  }
  const run = new Simulator(scenario, {
    ...(options.intrabarPath === undefined ? {} : { intrabarPath: options.intrabarPath }),
    ...(options.closeAtEnd === undefined ? {} : { closeAtEnd: options.closeAtEnd }),
  }).start({
    agent: optText(options.agent, "agent") ?? "strategy",
    ...(options.risk === undefined ? {} : { risk: options.risk }),
  });
  const ctx = new Context(run);
  if (typeof strategy !== "function") (strategy as Strategy).init?.(ctx);
  ctx.started = true;
  const total = scenario.info.barCount - 1;
  const every = options.progress ? Math.max(Math.floor(total / 100), 1) : 0;
  const plan = engine(() => engineBuild().wakePlan(scenario.native, ctx.wake.map((w) => w.series), ctx.wake.map((w) => w.all()), 4096));
  // The bar loop runs in the engine, which calls back at the planned steps (bindings-node `drive`).
  // Whatever the strategy throws is kept here and rethrown as it was: the addon cannot carry a
  // thrown string, number or null (napi-rs made it "Create Error reference failed"), and an
  // Error whose `code` happens to be an engine code must not be taken for the engine's own.
  let thrown: { value: unknown } | undefined;
  const guarded = <A extends unknown[]>(f: (...args: A) => void) => (...args: A): void => {
    try {
      f(...args);
    } catch (e) {
      thrown = { value: e };
      throw STOP;
    }
  };
  const step = guarded((at: number): void => {
    ctx.barIndex = at;
    onBar(ctx);
  });
  const progress = options.progress ? guarded(options.progress) : null;
  try {
    engineBuild().drive(run.native, step, plan.calls, plan.jumps, progress, every);
  } catch (e) {
    if (thrown !== undefined) throw thrown.value;
    throw typed(e);
  }
  options.progress?.(total, total);
  return { results: run.results(), run, strategy };
}

/** Options of {@link backtestSignals}. */
export interface SignalOptions {
  /** The symbol the flags are for (needed when the scenario has several). */
  symbol?: string;
  /** Units per entry (default 1). */
  size?: DecimalInput;
  /** Or a percent of equity at the decision close. */
  sizePct?: DecimalInput;
  shortEntries?: ArrayLike<boolean | number>;
  shortExits?: ArrayLike<boolean | number>;
  /**
   * A stop-loss on every entry, as a fraction of the entry's fill price in (0, 1): `0.02` sells a
   * long 2 % below its fill (covers a short 2 % above). A number is read exactly as written (its
   * shortest decimal form), as is a decimal string; at most 8 decimal places.
   */
  slStop?: number | string;
  /** A take-profit on every entry, a positive fraction of the entry's fill price (below 1 for shorts). */
  tpStop?: number | string;
  /** The stop-loss trails the best price since the entry (raised after each bar to its high for a long); needs `slStop`. */
  slTrail?: boolean;
  /** A commission as a fraction of each fill's value (`0.001` is 10 bps): the scenario's `commission` rule. */
  fees?: number | string;
  intrabarPath?: IntrabarPath;
  /** Rules when the scenario is built from columns. */
  rules?: Rules;
}

/** @internal The checked inputs of a signal run, shared by {@link backtestSignals} and the sweeps. */
export interface SignalInputs {
  scenario: Scenario;
  symbol: string;
  sizeJson: string;
  stopsJson: string | null;
  optionsJson: string;
}

/** @internal The option names every signal run takes. */
export const SIGNAL_RUN_OPTIONS = ["symbol", "size", "sizePct", "slStop", "tpStop", "slTrail", "fees", "intrabarPath", "rules"] as const;

/** @internal Checks the options of a signal run: its scenario (with `fees`), symbol, size, stops and run options. */
export function signalInputs(data: Scenario | ColumnData, options: SignalOptions): SignalInputs {
  if (data === null || typeof data !== "object") throw invalid(`\`data\` must be a Scenario or float columns, got ${describe(data)}`);
  optText(options.symbol, "symbol");
  if (data instanceof Scenario && options.rules !== undefined) throw invalid("`rules` only apply when the scenario is built from columns");
  const bps = options.fees === undefined ? undefined : feesBps(options.fees);
  if (bps !== undefined && options.rules?.commission !== undefined) throw invalid("give `fees` or a `commission` rule, not both");
  let scenario: Scenario;
  if (data instanceof Scenario) scenario = bps === undefined ? data : data.withRules({ commission: { bps } });
  else scenario = fromArrays({ [options.symbol ?? "ASSET"]: data }, bps === undefined ? (options.rules ?? {}) : { ...options.rules, commission: { bps } });
  const symbol = options.symbol ?? (scenario.universe.length === 1 ? scenario.universe[0] : undefined);
  if (symbol === undefined) throw invalid(`\`symbol\` is needed: the universe is ${scenario.universe.join(", ")}`);
  if (options.size !== undefined && options.sizePct !== undefined) throw invalid("give `size` or `sizePct`, not both");
  const size = options.sizePct !== undefined ? { kind: "equity_pct", value: decimal(options.sizePct, "sizePct") } : { kind: "units", value: decimal(options.size ?? 1, "size") };
  return {
    scenario,
    symbol,
    sizeJson: JSON.stringify(size),
    stopsJson: stopsJson(options),
    optionsJson: toEngine({ intrabarPath: options.intrabarPath ?? "nearest_extreme_first" }),
  };
}

/** The engine's signal stops as JSON (`{"sl_stop": 0.02, "tp_stop": "0.03", "sl_trail": false}`), or null without any. */
function stopsJson(options: SignalOptions): string | null {
  const { slStop, tpStop, slTrail } = options;
  if (slTrail !== undefined && typeof slTrail !== "boolean") throw invalid(`\`slTrail\` must be true or false, got ${describe(slTrail)}`);
  if (slStop === undefined && tpStop === undefined && !slTrail) return null;
  // A number goes to the engine as JSON writes it (its shortest decimal form), which the engine reads exactly.
  const stops: Record<string, unknown> = { sl_trail: slTrail ?? false };
  if (slStop !== undefined) stops.sl_stop = fraction(slStop, "slStop");
  if (tpStop !== undefined) stops.tp_stop = fraction(tpStop, "tpStop");
  return JSON.stringify(stops);
}

/** A fraction given as a number or a decimal string. */
function fraction(value: unknown, name: string): number | string {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw invalid(`\`${name}\` must be a finite number or a decimal string, got ${value}`);
    return value;
  }
  if (typeof value === "string") return decimal(value, name);
  throw invalid(`\`${name}\` must be a number or a decimal string, got ${describe(value)}`);
}

/** `fees` (a fraction of each fill's value) in basis points, exactly: the decimal point moved four places. */
function feesBps(value: unknown): string {
  const text = fraction(value, "fees");
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i.exec(typeof text === "number" ? String(text) : text);
  if (m === null || ((m[2] ?? "") === "" && (m[3] ?? "") === "")) throw invalid(`\`fees\` must be a decimal, got ${describe(value)}`);
  const whole = m[2] ?? "", frac = m[3] ?? "";
  const point = whole.length + 4 + Number(m[4] ?? 0); // where the decimal point goes in whole + frac
  let digits = whole + frac;
  let at = point;
  if (at < 0) {
    digits = "0".repeat(-at) + digits;
    at = 0;
  }
  digits = digits.padEnd(at, "0");
  const intPart = digits.slice(0, at).replace(/^0+(?=\d)/, "") || "0";
  const fracPart = digits.slice(at).replace(/0+$/, "");
  const bps = `${intPart}${fracPart === "" ? "" : `.${fracPart}`}`;
  if (m[1] === "-" && !/^0(\.0*)?$/.test(bps)) throw invalid(`\`fees\` must be 0 or more, got ${describe(value)}`);
  return bps;
}

/** @internal Flags as bytes (1 = set), checked: booleans or 0/1, one per bar. */
export function flags(name: string, values: ArrayLike<boolean | number> | undefined, n: number): Uint8Array | null {
  if (values === undefined) return null;
  if (values === null || typeof values.length !== "number") throw invalid(`\`${name}\` must be an array of booleans, got ${describe(values)}`);
  if (values.length !== n) throw invalid(`\`${name}\` has ${values.length} flags for ${n} bars`);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === true || v === 1) out[i] = 1;
    else if (v !== false && v !== 0) throw invalid(`\`${name}\` must be booleans or 0/1, got ${describe(v)} at position ${i}`);
  }
  return out;
}

/**
 * A vectorised backtest: entry and exit flags per bar, run entirely inside the engine (no
 * JavaScript call per bar), for parameter sweeps. `data` is a {@link Scenario} or the float
 * columns of one symbol. A flag decided at a bar's close acts at the next open. `slStop`,
 * `tpStop` and `slTrail` put the engine's bracket orders on every entry, levelled from its fill
 * price (the same fills as placing those brackets by hand); `fees` is the commission.
 */
export function backtestSignals(
  data: Scenario | ColumnData,
  entries: ArrayLike<boolean | number>,
  exits: ArrayLike<boolean | number>,
  options: SignalOptions = {},
): Backtest<null> {
  checked(options, "backtestSignals", [...SIGNAL_RUN_OPTIONS, "shortEntries", "shortExits"]);
  const { scenario, symbol, sizeJson, stopsJson, optionsJson } = signalInputs(data, options);
  const n = entries?.length ?? 0;
  const inner = engine(() =>
    engineBuild().backtestSignals(
      scenario.native,
      symbol,
      sizeJson,
      flags("entries", entries, n) ?? new Uint8Array(),
      flags("exits", exits, n) ?? new Uint8Array(),
      flags("shortEntries", options.shortEntries, n),
      flags("shortExits", options.shortExits, n),
      optionsJson,
      stopsJson,
    ),
  );
  const run = new Run(inner, scenario);
  return { results: run.results(), run, strategy: null };
}
