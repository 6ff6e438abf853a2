/**
 * Indicators of callback strategies, revealed bar by bar: the {@link Indicator} a strategy reads,
 * and `crossover` / `crossings` over them. The same class serves a local backtest (every value
 * computed once, revealed by the engine's counts) and a remote one (values appended as the server
 * reveals bars), so one strategy reads them the same way in both places.
 */

import { invalid } from "./errors.js";
import { describe } from "./wire.js";

/**
 * @internal Where an indicator's values come from: `values` holds at least the revealed ones (a
 * local backtest holds every value, future ones included; a remote one only those revealed so far)
 * and `revealed()` says how many are visible at the current bar.
 */
export interface IndicatorSource {
  values(): Float64Array;
  revealed(): number;
}

/** @internal What an indicator belongs to: a local {@link Context} or a `RemoteContext`. */
export interface IndicatorOwner {
  /** The indicator set at the bars where `a` crosses `b` (both of this owner and one symbol). */
  crossingsOf(a: Indicator, b: Indicator): Indicator;
}

/** A series of values over one symbol's bars, revealed bar by bar. */
export class Indicator {
  /** @internal every value it may hold: reachable only through the methods below */
  readonly #source: IndicatorSource;
  readonly #owner: IndicatorOwner;
  /** @internal */
  readonly series: number;

  /** @internal Made by `ctx.indicator`. */
  constructor(source: IndicatorSource, series: number, owner: IndicatorOwner) {
    this.#source = source;
    this.series = series;
    this.#owner = owner;
  }

  /** Bars revealed so far. */
  get length(): number {
    return this.#source.revealed();
  }

  /**
   * A revealed value, as `Array.prototype.at` reads an array of the values so far: `at(-1)` is
   * the value at the current bar, `at(-2)` the bar before, `at(0)` the first; `undefined`
   * outside them — a later bar cannot be reached.
   */
  at(index: number): number | undefined {
    const n = this.#source.revealed();
    const i = index < 0 ? n + index : index;
    return i >= 0 && i < n && Number.isInteger(i) ? this.#source.values()[i] : undefined;
  }

  /** The values revealed so far, oldest first (a copy). */
  values(): Float64Array {
    return this.#source.values().slice(0, this.length);
  }

  /** @internal every value held (in a local backtest, future ones too), for the engine's wake plan and crossings. */
  all(): Float64Array {
    return this.#source.values();
  }

  /** @internal the backtest this indicator belongs to. */
  context(): IndicatorOwner {
    return this.#owner;
  }

  toString(): string {
    return `Indicator(${this.length} bars revealed, now ${this.at(-1)})`;
  }
}

/**
 * True when `a` has just crossed above `b` (an indicator or a number): below it at the previous
 * bar, above it at this one — backtesting.py's `crossover`, the core's `reveal::crossover`.
 */
export function crossover(a: Indicator | number, b: Indicator | number): boolean {
  // Written out without temporaries: strategies call it on every bar.
  let a0: number | undefined, a1: number | undefined, b0: number | undefined, b1: number | undefined;
  if (typeof a === "number") a0 = a1 = a;
  else {
    a0 = a.at(-1);
    a1 = a.at(-2);
  }
  if (typeof b === "number") b0 = b1 = b;
  else {
    b0 = b.at(-1);
    b1 = b.at(-2);
  }
  if (typeof a === "number" && typeof b === "number") return false;
  return a1 !== undefined && a0 !== undefined && b1 !== undefined && b0 !== undefined && a1 < b1 && a0 > b0;
}

/**
 * An indicator set (1) at the bars where `a` crosses `b` either way, 0 elsewhere — computed in
 * the engine from the two indicators, for `ctx.wakeOn`. Both of the same symbol.
 */
export function crossings(a: Indicator, b: Indicator): Indicator {
  if (!(a instanceof Indicator) || !(b instanceof Indicator)) throw invalid("crossings compares two Indicators from ctx.indicator");
  if (a.context() !== b.context()) throw invalid("crossings compares indicators of one backtest");
  if (a.series !== b.series) throw invalid("crossings compares two indicators of the same symbol");
  return a.context().crossingsOf(a, b);
}

/** @internal An indicator function's result as floats, one per bar (booleans read as 1/0). */
export function toFloats(values: ArrayLike<number | boolean>, n: number, what: string): Float64Array {
  if (values === null || typeof values !== "object" || typeof values.length !== "number") {
    throw invalid(`${what} must return one number per bar, got ${describe(values)}`);
  }
  if (values.length !== n) throw invalid(`${what} must return one value per bar (${n}), got ${values.length}`);
  if (values instanceof Float64Array) return values;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Number(values[i]);
  return out;
}

/** @internal True for a value that raises a wake flag: neither 0 nor NaN (the core's `is_set`). */
export function isSet(v: number | undefined): boolean {
  return v !== undefined && v !== 0 && !Number.isNaN(v);
}
