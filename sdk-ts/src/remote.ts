/**
 * Remote backtests: `backtest(strategy, "tech-2024-q2", { remote: client })` runs the callback
 * strategy of a local {@link backtest} against a benchmark run on a server (issue 12, "one
 * strategy, two places"), on the same core with the same default risk profile and options, so the
 * fills and the grade are the local run's.
 *
 * A strategy reads synchronously, so {@link RemoteContext} answers reads from a cache refreshed
 * before each `onBar` (bars from `GET .../market`, orders from `GET .../orders`, cash and equity
 * from each step's answer, positions as the sum of the fills). Writes cannot wait for HTTP, so each
 * returns a `Promise`: they are queued in call order and sent one after the other as soon as
 * `onBar` yields (after it returns, for a synchronous one), and the run steps only once all are
 * answered. A refusal rejects that write's promise and the whole backtest with the engine's typed
 * error (`OrderRejected` with the same `code` as locally): the one difference from a local run,
 * where the call itself throws.
 */

import { engineBuild } from "./backend.js";
import type { Context } from "./backtest.js";
import { Client, type RemoteRun } from "./client/client.js";
import type * as M from "./client/models.js";
import { engine, invalid, vecTradeError } from "./errors.js";
import { Indicator, type IndicatorOwner, type IndicatorSource, isSet, toFloats } from "./indicator.js";
import { type OrderOptions, type OrderRequest, type Side, Order, orderOptions, orderWire } from "./models.js";
import { type Decimal, type DecimalInput, type Timestamp, count, describe, isZero, options as checked, sumDecimals, text } from "./wire.js";

/** An order of a remote run: the server's order (`GET /api/v1/runs/{id}/orders`) with its id as the engine's integer. */
export type RemoteOrder = Omit<M.OrderOut, "id"> & { id: number };

/** A strategy for a remote backtest: a local {@link Strategy} whose `init` and `onBar` may also be async. */
export interface RemoteStrategy {
  init?(ctx: RemoteContext): void | Promise<void>;
  onBar(ctx: RemoteContext): void | Promise<void>;
}

/** Options of a remote {@link backtest}. */
export interface RemoteBacktestOptions {
  /** The server to run on: `new vt.Client({ baseUrl, apiKey })`. */
  remote: Client;
  /** The run's bot name (shown on the leaderboard once published). */
  botName?: string;
  agentInfo?: Record<string, unknown>;
  /** Called as `progress(barsDone, barsTotal)` about a hundred times. */
  progress?: (done: number, total: number) => void;
}

/** The outcome of a remote {@link backtest}: the server's grade and fills, and the run. */
export interface RemoteBacktest<S> {
  /** The server's grade of the finished run (`GET /api/v1/runs/{id}/results`). */
  results: M.ResultsOut;
  /** Every fill of the run, oldest first (`GET /api/v1/runs/{id}/trades`). */
  fills: M.FillOut[];
  runId: string;
  run: RemoteRun;
  strategy: S;
}

type Field = "open" | "high" | "low" | "close" | "volume";
const FIELDS: readonly Field[] = ["open", "high", "low", "close", "volume"];

/** A growing float column: the bars or indicator values revealed so far. */
class Column implements IndicatorSource {
  #buf = new Float64Array(64);
  n = 0;
  push(v: number): void {
    if (this.n === this.#buf.length) {
      const bigger = new Float64Array(this.#buf.length * 2);
      bigger.set(this.#buf);
      this.#buf = bigger;
    }
    this.#buf[this.n++] = v;
  }
  values(): Float64Array {
    return this.#buf.subarray(0, this.n);
  }
  revealed(): number {
    return this.n;
  }
}

/** One symbol's bars revealed so far, and how many there were at the step before. */
interface Series {
  index: number;
  lastTs: Timestamp;
  before: number;
  columns: Record<Field, Column>;
}

/** How a remote indicator gets its next values when its symbol gets new bars. */
interface Derivation {
  series: number;
  out: Column;
  /** The values for bars `from` to `to` (exclusive) of the series. */
  next(from: number, to: number): ArrayLike<number>;
}

/** A position's signed change from a fill's side. */
const SIGN: Record<string, 1 | -1> = { buy: 1, cover: 1, sell: -1, short: -1 };

/**
 * What a strategy sees and does at one bar of a remote backtest: the reads of a local
 * {@link Context}, answered from the cache of the bar, and its writes, each returning a `Promise`
 * of what the local call returns (order ids are the engine's integers, as locally). A strategy
 * meant for both places types its argument as {@link AnyContext}.
 */
export class RemoteContext implements IndicatorOwner {
  readonly #run: RemoteRun;
  readonly #series = new Map<string, Series>();
  readonly #bySeries: Series[] = [];
  readonly #derived: Derivation[] = [];
  readonly #positions = new Map<string, Decimal>();
  readonly #orders = new Map<number, RemoteOrder>();
  #ordersStale = false;
  #cash: Decimal;
  #equity: Decimal;
  #time: Timestamp = 0;
  #chain: Promise<void> = Promise.resolve();
  #refused: { error: unknown } | undefined;
  /** @internal */
  readonly wake: Indicator[] = [];
  /** @internal */
  started = false;
  /** The step being decided on: 0 at the scenario's first bar time, as locally. */
  barIndex = 0;
  /** Tradable symbols. */
  readonly symbols: string[];

  /** @internal Made by {@link backtestRemote}. */
  constructor(run: RemoteRun, universe: string[]) {
    this.#run = run;
    this.symbols = universe;
    this.#cash = run.data.cash;
    this.#equity = run.data.equity;
  }

  /** The run on the server. */
  get run(): RemoteRun {
    return this.#run;
  }

  /** The clock: time of the bar being decided on (UTC milliseconds). */
  get time(): Timestamp {
    return this.#time;
  }

  /** Latest close as a number (`undefined` before the symbol's first bar). */
  close(symbol: string): number | undefined {
    const c = this.#of(symbol).columns.close;
    return c.n === 0 ? undefined : c.values()[c.n - 1];
  }

  /** The last `n` closes (at most 1000), oldest first. */
  closes(symbol: string, n: number): Float64Array {
    const want = count(n, "n");
    if (want > 1000) throw vecTradeError("invalid_lookback", `\`n\` is at most 1000, got ${want}`);
    return this.#of(symbol).columns.close.values().slice(-want || Infinity);
  }

  /**
   * `fn(values)` over the symbol's `field` series, as locally; remotely the later bars are
   * unknown, so `fn` runs on the bars revealed so far each time the symbol gets a bar, and its last
   * value is the indicator's value there. A local backtest refuses an `fn` that is not causal, so
   * the values agree. Call it from `init`.
   */
  indicator(fn: (values: Float64Array) => ArrayLike<number | boolean>, symbol: string, field: Field = "close"): Indicator {
    if (typeof fn !== "function") throw invalid(`\`fn\` must be a function of the values, got ${describe(fn)}`);
    const series = this.#of(symbol);
    if (!FIELDS.includes(text(field, "field") as Field)) throw invalid(`\`field\` must be one of ${FIELDS.join(", ")}, got '${field}'`);
    const column = series.columns[field];
    return this.#derive(series.index, (from, to) => toFloats(fn(column.values().slice(0, to)), to, "indicator").subarray(from, to));
  }

  /** @internal {@link crossings} remotely: whether the two crossed between each new bar and the one before. */
  crossingsOf(a: Indicator, b: Indicator): Indicator {
    return this.#derive(a.series, (from, to) => {
      const start = Math.max(from - 1, 0);
      const flags = engine(() => engineBuild().crossings(a.all().slice(start, to), b.all().slice(start, to)));
      return flags.subarray(from - start);
    });
  }

  /** Calls `onBar` only at the bars where `indicator` is set, as locally; the run still steps every bar. Call it from `init`. */
  wakeOn(indicator: Indicator): void {
    if (this.started) throw invalid("wakeOn is set up in init, before the first bar");
    if (!(indicator instanceof Indicator)) throw invalid(`wakeOn takes an Indicator from ctx.indicator, got ${describe(indicator)}`);
    this.wake.push(indicator);
  }

  /** Signed units held (negative when short), exact: the sum of the run's fills. */
  position(symbol: string): Decimal {
    this.#of(symbol);
    return this.#positions.get(symbol) ?? "0";
  }

  /** True when no position is held in `symbol`. */
  isFlat(symbol: string): boolean {
    return isZero(this.position(symbol));
  }

  /** Cash after the latest step, exact. */
  get cash(): Decimal {
    return this.#cash;
  }

  /** Equity after the latest step, exact. */
  get equity(): Decimal {
    return this.#equity;
  }

  /** Queues any order; resolves to it as the server placed it, rejects with the engine's error. */
  submit(order: OrderRequest): Promise<RemoteOrder> {
    const fields = orderWire(order);
    this.#of(fields["symbol"] as string);
    if ((fields["trims"] as unknown[]).length > 0) throw invalid("trims are not part of a benchmark run's order: place the exits as their own orders");
    return this.#enqueue(async () => this.#keep((await this.#run.trade(fields)).order));
  }

  /** A market buy, or a limit buy with `limit`; resolves to the order id once sent. */
  buy(symbol: string, quantity: DecimalInput, options: OrderOptions & { limit?: DecimalInput } = {}): Promise<number> {
    return this.#place(symbol, "buy", quantity, options);
  }

  /** A market (or `limit`) sell closing part or all of a long; resolves to the order id once sent. */
  sell(symbol: string, quantity: DecimalInput, options: OrderOptions & { limit?: DecimalInput } = {}): Promise<number> {
    return this.#place(symbol, "sell", quantity, options);
  }

  /** A market (or `limit`) short; resolves to the order id once sent. */
  short(symbol: string, quantity: DecimalInput, options: OrderOptions & { limit?: DecimalInput } = {}): Promise<number> {
    return this.#place(symbol, "short", quantity, options);
  }

  /** A market (or `limit`) cover; resolves to the order id once sent. */
  cover(symbol: string, quantity: DecimalInput, options: OrderOptions & { limit?: DecimalInput } = {}): Promise<number> {
    return this.#place(symbol, "cover", quantity, options);
  }

  /** A market order closing the whole position in `symbol`: its id, or `undefined` when flat. */
  closePosition(symbol: string): Promise<number | undefined> {
    const held = this.position(symbol);
    if (isZero(held)) return Promise.resolve(undefined);
    return held.startsWith("-") ? this.cover(symbol, held.slice(1)) : this.sell(symbol, held);
  }

  /** Cancels a working order; resolves to it cancelled. */
  cancel(orderId: number): Promise<RemoteOrder> {
    if (!Number.isSafeInteger(orderId) || orderId <= 0) throw invalid(`\`orderId\` must be a positive integer, got ${describe(orderId)}`);
    return this.#enqueue(async () => this.#keep((await this.#run.cancel(String(orderId))).order));
  }

  /** The order with this id as it stood at the start of the bar (or as a write of this bar answered). */
  order(orderId: number): RemoteOrder {
    const found = this.#orders.get(orderId);
    if (found === undefined) throw vecTradeError("order_not_found", `no order ${describe(orderId)} in run ${this.#run.id}`);
    return found;
  }

  /** Working orders, oldest first. */
  openOrders(): RemoteOrder[] {
    return [...this.#orders.values()].filter(working).sort((a, b) => a.id - b.id);
  }

  toString(): string {
    return `RemoteContext(run=${this.#run.id}, barIndex=${this.barIndex}, time=${new Date(this.time).toISOString()})`;
  }

  #of(symbol: string): Series {
    const s = this.#series.get(symbol);
    if (s !== undefined) return s;
    text(symbol, "symbol");
    throw vecTradeError("unknown_symbol", `unknown symbol '${symbol}': the scenario has ${[...this.#series.keys()].join(", ")}`);
  }

  #place(symbol: string, side: Side, quantity: DecimalInput, options: OrderOptions & { limit?: DecimalInput }): Promise<number> {
    const { limit, ...rest } = orderOptions(options, `ctx.${side}`, ["limit"]);
    const order = limit === undefined ? Order.market(symbol, side, quantity, rest) : Order.limit(symbol, side, quantity, limit, rest);
    return quiet(this.submit(order).then((o) => o.id));
  }

  /** Sends after every earlier write; after a refusal, nothing more is sent and each later write rejects with it. */
  #enqueue<T>(send: () => Promise<T>): Promise<T> {
    const sent = this.#chain.then(() => {
      if (this.#refused !== undefined) throw this.#refused.error;
      return send();
    });
    this.#chain = sent.then(
      () => undefined,
      (e: unknown) => {
        this.#refused ??= { error: e };
      },
    );
    return quiet(sent);
  }

  #keep(wire: M.OrderOut): RemoteOrder {
    const order = { ...wire, id: Number(wire.id) };
    this.#orders.set(order.id, order);
    return order;
  }

  #derive(series: number, next: Derivation["next"]): Indicator {
    const d: Derivation = { series, out: new Column(), next };
    const have = this.#bySeries[series]?.columns.close.n ?? 0;
    for (const v of Array.from(have > 0 ? next(0, have) : [])) d.out.push(v);
    this.#derived.push(d);
    return new Indicator(d.out, series, this);
  }

  /** @internal Waits for the writes of the bar; throws the first refusal. */
  async flush(): Promise<void> {
    await this.#chain;
    if (this.#refused !== undefined) throw this.#refused.error;
  }

  /** @internal Brings the cache to the run's clock: new bars (all of them the first time), indicators, and the orders if they may have changed. */
  async refresh(first: boolean): Promise<void> {
    const market = await this.#run.market({ lookback: first ? 1000 : 2 });
    this.#time = timestamp(market.sim_time);
    for (const [symbol, bars] of Object.entries(market.bars)) {
      let s = this.#series.get(symbol);
      if (s === undefined) {
        const columns = { open: new Column(), high: new Column(), low: new Column(), close: new Column(), volume: new Column() };
        s = { index: this.#bySeries.length, lastTs: -Infinity, before: 0, columns };
        this.#series.set(symbol, s);
        this.#bySeries.push(s);
      }
      s.before = s.columns.close.n;
      for (const bar of bars) {
        const ts = timestamp(bar.ts);
        if (ts <= s.lastTs) continue; // a symbol without a bar now repeats its latest one
        s.lastTs = ts;
        for (const f of FIELDS) s.columns[f].push(Number(bar[f]));
      }
    }
    for (const d of this.#derived) {
      const have = this.#bySeries[d.series]?.columns.close.n ?? 0;
      if (have > d.out.n) for (const v of Array.from(d.next(d.out.n, have))) d.out.push(v);
    }
    if (this.#ordersStale) {
      this.#orders.clear();
      for (const o of (await this.#run.orders()).orders) this.#keep(o);
      this.#ordersStale = false;
    }
  }

  /** @internal True when `onBar` runs at this bar: always without wake indicators, else when one fires with its symbol's new bar. */
  wakes(): boolean {
    if (this.wake.length === 0) return true;
    return this.wake.some((w) => {
      const s = this.#bySeries[w.series];
      return s !== undefined && s.columns.close.n > s.before && isSet(w.at(-1));
    });
  }

  /** @internal Books a step's answer: positions from its fills, cash, equity, the clock. */
  applyStep(out: M.StepOut): void {
    for (const f of out.fills) {
      const sign = SIGN[f.side.toLowerCase()];
      if (sign === undefined) throw invalid(`a fill of unknown side '${f.side}'`);
      this.#positions.set(f.symbol, sumDecimals([this.#positions.get(f.symbol) ?? "0", sign < 0 ? `-${f.quantity}` : f.quantity]));
    }
    this.#cash = out.cash;
    this.#equity = out.equity;
    this.#time = timestamp(out.new_sim_time);
    this.barIndex += out.bars_advanced;
    // Fills may have created bracket exits; working orders may have filled or expired.
    this.#ordersStale = out.fills.length > 0 || [...this.#orders.values()].some(working);
  }
}

/** A local or a remote context: the argument of a strategy meant for both places. */
export type AnyContext = Context | RemoteContext;

function working(o: RemoteOrder): boolean {
  return o.status === "OPEN" || o.status === "PARTIALLY_FILLED";
}

function timestamp(text: string): Timestamp {
  return engine(() => engineBuild().parseTimestamp(text));
}

/** `p`, marked as handled: a strategy may ignore what a write returns, and a refusal reaches the backtest anyway. */
function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/**
 * The remote form of {@link backtest}: a run of `scenario` (a catalog slug) on the server of
 * `options.remote`, driven bar by bar — refresh the cache, `onBar`, send its writes in call order,
 * step one bar — until the run is done; then its results and fills.
 */
export async function backtestRemote<S extends RemoteStrategy | ((ctx: RemoteContext) => void | Promise<void>)>(
  strategy: S,
  scenario: string,
  options: RemoteBacktestOptions,
): Promise<RemoteBacktest<S>> {
  let onBar: (ctx: RemoteContext) => void | Promise<void>;
  if (typeof strategy === "function") onBar = strategy as (ctx: RemoteContext) => void | Promise<void>;
  else if (strategy !== null && typeof strategy === "object" && typeof strategy.onBar === "function") onBar = strategy.onBar.bind(strategy);
  else throw invalid(`\`strategy\` must have an onBar(ctx) method or be a function, got ${describe(strategy)}`);
  checked(options, "backtest (remote)", ["remote", "botName", "agentInfo", "progress"]);
  if (!(options.remote instanceof Client)) throw invalid(`\`remote\` must be a vt.Client, got ${describe(options.remote)}`);
  if (options.progress !== undefined && options.progress !== null && typeof options.progress !== "function") {
    throw invalid(`\`progress\` must be a function, got ${describe(options.progress)}`);
  }
  const benchmark = options.remote.benchmark;
  const run = await benchmark.startRun(text(scenario, "scenario"), {
    ...(options.botName === undefined ? {} : { botName: options.botName }),
    ...(options.agentInfo === undefined ? {} : { agentInfo: options.agentInfo }),
  });
  const info = (await benchmark.getScenario(scenario)).scenario;
  const ctx = new RemoteContext(run, info.universe);
  await ctx.refresh(true);
  if (typeof strategy !== "function") await (strategy as RemoteStrategy).init?.(ctx);
  ctx.started = true;
  const total = Math.max(info.bar_count - 1, 0);
  const every = Math.max(Math.floor(total / 100), 1);
  while (!run.done) {
    if (ctx.wakes()) {
      try {
        await onBar(ctx);
      } catch (e) {
        await ctx.flush().catch(() => undefined); // the writes already made are sent, as locally
        throw e;
      }
    }
    await ctx.flush();
    const out = await run.step(1);
    ctx.applyStep(out);
    if (options.progress && ctx.barIndex % every === 0 && ctx.barIndex < total) options.progress(ctx.barIndex, total);
    if (!run.done) await ctx.refresh(false);
  }
  options.progress?.(total, total);
  const [results, fills] = await Promise.all([run.results(), run.trades()]);
  return { results: results.results, fills: fills.trades, runId: run.id, run, strategy };
}
