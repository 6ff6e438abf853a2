/**
 * Parameter sweeps of signal strategies: `sweep(signalFn, scenario, grid)` computes the flags of
 * every combination of the grid in JavaScript, then runs them all in one call into the engine (on
 * a pool of threads in Node, one after the other in WebAssembly), each column an ordinary
 * {@link backtestSignals} run graded alone, and ranks them by a metric.
 */

import { engineBuild } from "./backend.js";
import { engine, invalid } from "./errors.js";
import { type Backtest, type SignalOptions, SIGNAL_RUN_OPTIONS, backtestSignals, flags, signalInputs } from "./backtest.js";
import type { Metrics, Results } from "./models.js";
import { Scenario, type ColumnData } from "./scenarios.js";
import { count, describe, fromEngine, options as checked, text } from "./wire.js";

/** One combination's parameters: name → value. */
export type Params = Record<string, unknown>;

/** The flags of a sweep: one column (a flag per bar) per combination, in the order of the params. */
export type FlagColumns = readonly ArrayLike<boolean | number>[];

/** What a signal function returns for one combination: `[entries, exits]` or `[entries, exits, shortEntries, shortExits]`. */
export type SignalFlags =
  | readonly [ArrayLike<boolean | number>, ArrayLike<boolean | number>]
  | readonly [ArrayLike<boolean | number>, ArrayLike<boolean | number>, ArrayLike<boolean | number>, ArrayLike<boolean | number>];

/** The grade of one combination: the headline results, then every metric of {@link Metrics}. */
export type SweepGrade = Pick<Results, "finalEquity" | "returnPct" | "sharpe" | "sortino" | "maxDrawdown" | "tradeCount" | "liquidated"> & Metrics;

/** A row of a {@link Sweep}: the combination's parameters, then its grade. */
export type SweepRow<P extends Params = Params> = P & SweepGrade;

/** Options of {@link sweepSignals}: those of {@link backtestSignals} for every column, and the ranking. */
export interface SweepSignalsOptions extends Omit<SignalOptions, "shortEntries" | "shortExits"> {
  /** The field of the rows to rank by (default `"sharpe"`): any grade or metric, camelCase. */
  metric?: string;
  /** Threads to run the columns on (default one per core; WebAssembly runs one after the other). */
  threads?: number;
  /** Short entry flags, one column per combination like `entries`. */
  shortEntries?: FlagColumns;
  /** Short exit flags, one column per combination. */
  shortExits?: FlagColumns;
}

/** Options of {@link sweep}: those of {@link sweepSignals}, and `where` to drop combinations. */
export interface SweepOptions<P extends Params = Params> extends Omit<SweepSignalsOptions, "shortEntries" | "shortExits"> {
  /** Keeps only the combinations it returns true for (`where: ({ fast, slow }) => fast < slow`). */
  where?: (params: P) => boolean;
}

/** Metrics where smaller is better: a sweep ranked by them puts the smallest first. */
const SMALLER_IS_BETTER = new Set(["maxDrawdown", "maxDrawdownPct", "maxDrawdownDurationBars", "maxDrawdownDurationMs", "volatilityPct", "fees", "turnover"]);

const SWEEP_OPTIONS = [...SIGNAL_RUN_OPTIONS, "metric", "threads"] as const;

/**
 * The outcome of {@link sweep} and {@link sweepSignals}: one row per combination, best first by
 * `metric` (the smallest first for drawdowns, volatility, fees and turnover; null or NaN last;
 * ties in grid order). Each row's grade is the one the combination gets run alone.
 */
export class Sweep<P extends Params = Params> {
  /** The field the rows are ranked by. */
  readonly metric: string;
  /** The parameter names, in grid order. */
  readonly parameters: string[];
  /** The rows, best first. */
  readonly rows: SweepRow<P>[];
  readonly #column: number;
  readonly #rerun: (column: number) => Backtest<null>;

  /** @internal Made by {@link sweep} and {@link sweepSignals}: `column` is the best row's column of flags. */
  constructor(metric: string, parameters: string[], rows: SweepRow<P>[], column: number, rerun: (column: number) => Backtest<null>) {
    this.metric = metric;
    this.parameters = parameters;
    this.rows = rows;
    this.#column = column;
    this.#rerun = rerun;
  }

  /** The number of combinations. */
  get length(): number {
    return this.rows.length;
  }

  /** The parameters of the best combination. */
  get bestParams(): P {
    const best = this.rows[0] as SweepRow<P>;
    return Object.fromEntries(this.parameters.map((k) => [k, best[k]])) as P;
  }

  /** The best combination run again on its own, fills and all (its grade equals the first row's). */
  best(): Backtest<null> {
    return this.#rerun(this.#column);
  }

  toString(): string {
    const cols = [...this.parameters, "returnPct", "sharpe", "maxDrawdown", "tradeCount"];
    if (!cols.includes(this.metric)) cols.push(this.metric);
    const short = (v: unknown): string => (typeof v === "number" && !Number.isInteger(v) ? v.toPrecision(4) : String(v));
    const lines = [`Sweep(${this.rows.length} combinations, best by ${this.metric})`];
    for (const row of this.rows.slice(0, 5)) lines.push("  " + cols.map((c) => `${c}=${short((row as Params)[c])}`).join(", "));
    if (this.rows.length > 5) lines.push(`  ... ${this.rows.length - 5} more`);
    return lines.join("\n");
  }
}

/**
 * Every combination of `grid` (parameter name → its values; keys in order, the last varying
 * fastest), kept when `where(params)` is true.
 */
export function combinations<P extends Params>(grid: { [K in keyof P]: readonly P[K][] }, where?: (params: P) => boolean): P[] {
  if (grid === null || typeof grid !== "object" || Array.isArray(grid) || Object.keys(grid).length === 0) {
    throw invalid(`\`grid\` must be a non-empty object of parameter name → array of values, got ${describe(grid)}`);
  }
  if (where !== undefined && typeof where !== "function") throw invalid(`\`where\` must be a function of the parameters, got ${describe(where)}`);
  let combos: Params[] = [{}];
  for (const [name, values] of Object.entries(grid as Record<string, unknown>)) {
    if (!Array.isArray(values)) throw invalid(`grid.${name} must be an array of values, got ${describe(values)}`);
    if (values.length === 0) throw invalid(`grid.${name} has no values`);
    combos = combos.flatMap((c) => values.map((v: unknown) => ({ ...c, [name]: v })));
  }
  const kept = (where === undefined ? combos : combos.filter((c) => where(c as P))) as P[];
  if (kept.length === 0) throw invalid("`where` keeps no combination of the grid");
  return kept;
}

/**
 * Runs the signal strategy `signalFn` for every combination of `grid` and ranks them.
 * `signalFn(close, params)` gets the symbol's closes (a fresh `Float64Array`, one per bar) and one
 * combination's parameters, and returns `[entries, exits]` (or `[entries, exits, shortEntries,
 * shortExits]`) as {@link backtestSignals} takes them. All flags are computed first, then the whole
 * sweep runs in the engine: on `threads` threads in Node (default one per core), one column after
 * the other in WebAssembly. `symbol`, `size` / `sizePct`, `slStop` / `tpStop` / `slTrail`, `fees`,
 * `intrabarPath` and `rules` are those of {@link backtestSignals}; `metric` ranks the rows (default
 * `"sharpe"`); `where(params)` drops combinations. The table is the same whatever the threads.
 *
 * ```ts
 * const table = vt.sweep(cross, vt.scenarios.get("tech-2024-q2"), { fast: [3, 5, 8], slow: [13, 21, 34] },
 *   { symbol: "NVDA", size: 10, metric: "sharpe" });
 * table.rows[0];        // the best: { fast, slow, finalEquity, returnPct, sharpe, ... }
 * table.best().run;     // the winner run again, fills and all
 * ```
 */
export function sweep<P extends Params>(
  signalFn: (close: Float64Array, params: P) => SignalFlags,
  data: Scenario | ColumnData,
  grid: { [K in keyof P]: readonly P[K][] },
  options: SweepOptions<P> = {},
): Sweep<P> {
  if (typeof signalFn !== "function") throw invalid(`\`signalFn\` must be a function (close, params) => [entries, exits], got ${describe(signalFn)}`);
  const { where, ...rest } = checked(options, "sweep", [...SWEEP_OPTIONS, "where"]);
  const combos = combinations(grid, where);
  // The scenario is made once (with `fees` and `rules`); the columns then run on it as given.
  const { scenario, symbol } = signalInputs(data, rest);
  const native = scenario.native;
  const close = engine(() => native.column(native.seriesIndex(symbol), "close"));
  const columns: SignalFlags[] = combos.map((params) => {
    const out: unknown = signalFn(close.slice(), params);
    if (!Array.isArray(out) || (out.length !== 2 && out.length !== 4)) {
      throw invalid(`the signal function must return [entries, exits] or four flag arrays; for ${JSON.stringify(params)} it returned ${describe(out)}`);
    }
    return out as unknown as SignalFlags;
  });
  const arity = columns[0]?.length;
  if (columns.some((c) => c.length !== arity)) throw invalid("the signal function must return the same number of flag arrays for every combination");
  const pick = (k: number): FlagColumns => columns.map((c) => c[k] as ArrayLike<boolean | number>);
  return sweepSignals(scenario, pick(0), pick(1), combos, {
    ...rest,
    symbol,
    fees: undefined,
    rules: undefined,
    ...(arity === 4 ? { shortEntries: pick(2), shortExits: pick(3) } : {}),
  });
}

/**
 * A sweep of given flags, vectorbt's way: `entries` and `exits` hold one column of flags per
 * combination (an array of `Uint8Array`, `boolean[]` or 0/1 `number[]`, each one flag per bar of
 * the symbol), `params[j]` names column `j` (default `{ column: j }`). Everything runs in the
 * engine in one call; other options as in {@link sweep}.
 */
export function sweepSignals<P extends Params = { column: number }>(
  data: Scenario | ColumnData,
  entries: FlagColumns,
  exits: FlagColumns,
  params?: readonly P[],
  options: SweepSignalsOptions = {},
): Sweep<P> {
  checked(options, "sweepSignals", [...SWEEP_OPTIONS, "shortEntries", "shortExits"]);
  const metric = text(options.metric ?? "sharpe", "metric");
  const threads = options.threads === undefined ? 0 : count(options.threads, "threads", 1);
  const { metric: _m, threads: _t, shortEntries, shortExits, ...runOptions } = options;
  const inputs = signalInputs(data, runOptions);
  const grids = { entries, exits, shortEntries, shortExits };
  for (const [name, value] of Object.entries(grids)) {
    if (value !== undefined && !Array.isArray(value)) throw invalid(`\`${name}\` must be an array of flag columns (one per combination), got ${describe(value)}`);
  }
  const n = entries.length;
  if (n === 0) throw invalid("`entries` has no columns");
  const bars = (entries[0] as ArrayLike<unknown> | undefined)?.length ?? 0;
  if (params !== undefined && !Array.isArray(params)) throw invalid(`\`params\` must be an array of parameter sets (one per column), got ${describe(params)}`);
  const named = (params === undefined ? Array.from({ length: n }, (_, j) => ({ column: j })) : [...params]) as P[];
  if (named.length !== n) throw invalid(`${named.length} parameter sets for ${n} columns of flags`);
  if (named.some((p) => p === null || typeof p !== "object")) throw invalid("each parameter set must be an object of name → value");
  const block = (name: string, value: FlagColumns | undefined): Uint8Array | null => {
    if (value === undefined) return null;
    if (value.length !== n) throw invalid(`\`${name}\` has ${value.length} columns, \`entries\` ${n}`);
    const out = new Uint8Array(n * bars);
    value.forEach((column, j) => out.set(flags(`${name}[${j}]`, column, bars) as Uint8Array, j * bars));
    return out;
  };
  const json = engine(() =>
    engineBuild().sweepSignals(
      inputs.scenario.native,
      inputs.symbol,
      inputs.sizeJson,
      n,
      block("entries", entries) as Uint8Array,
      block("exits", exits) as Uint8Array,
      block("shortEntries", shortEntries),
      block("shortExits", shortExits),
      inputs.optionsJson,
      inputs.stopsJson,
      threads,
    ),
  );
  const graded = fromEngine<Results[]>(json);
  const order = rank(named, graded, metric);
  const rerun = (j: number): Backtest<null> => {
    return backtestSignals(inputs.scenario, entries[j] as ArrayLike<boolean | number>, exits[j] as ArrayLike<boolean | number>, {
      ...runOptions,
      symbol: inputs.symbol,
      fees: undefined,
      rules: undefined,
      ...(shortEntries === undefined ? {} : { shortEntries: shortEntries[j] as ArrayLike<boolean | number> }),
      ...(shortExits === undefined ? {} : { shortExits: shortExits[j] as ArrayLike<boolean | number> }),
    });
  };
  return new Sweep(metric, Object.keys(named[0] as object), order.map((o) => o.row), order[0]?.column ?? 0, rerun);
}

/** The rows (parameters, then the grade) with their columns, ranked best first by `metric`. */
function rank<P extends Params>(params: readonly P[], graded: readonly Results[], metric: string): Array<{ row: SweepRow<P>; column: number }> {
  const rows = params.map((p, j) => {
    const r = graded[j] as Results;
    const row: Params = {
      ...p,
      finalEquity: r.finalEquity,
      returnPct: r.returnPct,
      sharpe: r.sharpe,
      sortino: r.sortino,
      maxDrawdown: r.maxDrawdown,
      tradeCount: r.tradeCount,
      liquidated: r.liquidated,
    };
    for (const [k, v] of Object.entries(r.metrics)) if (!(k in row)) row[k] = v;
    return row as SweepRow<P>;
  });
  const first = rows[0] as Params;
  if (!(metric in first)) {
    const names = new Set(Object.keys(params[0] as object));
    throw invalid(`no metric "${metric}"; metrics are ${Object.keys(first).filter((k) => !names.has(k)).sort().join(", ")}`);
  }
  const smaller = SMALLER_IS_BETTER.has(metric);
  const key = (row: Params): number | null => {
    const v = row[metric];
    const f = v === null || v === undefined ? NaN : Number(v);
    return Number.isNaN(f) ? null : smaller ? f : -f;
  };
  // Array.prototype.sort is stable: ties keep grid order.
  return rows
    .map((row, column) => ({ row, column, k: key(row) }))
    .sort((a, b) => (a.k === null || b.k === null ? Number(a.k === null) - Number(b.k === null) : a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
    .map(({ row, column }) => ({ row, column }));
}
