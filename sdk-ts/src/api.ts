/**
 * VecTrade: a deterministic trading simulator for AI agents and trading bots. Orders are validated
 * against per-agent risk profiles, filled against bars with documented rules, booked into isolated
 * accounts, and runs over frozen scenarios are graded. The engine is Rust (a native addon); this
 * package is its TypeScript face:
 *
 * ```ts
 * import * as vt from "@vectrade/sdk";
 * const run = new vt.Simulator(vt.scenarios.get("tech-2024-q2")).start({ agent: "my-bot" });
 * while (!run.done) {
 *   run.submit(vt.Order.market("AAPL", "buy", 10));
 *   run.step();
 * }
 * console.log(run.results());
 * ```
 */

import { engineBuild } from "./backend.js";
import { engine, invalid } from "./errors.js";
import { describe, text } from "./wire.js";

export * as scenarios from "./scenarios.js";
export { Scenario, type ScenarioEntry, type ScenarioInfo, type Rules, type ColumnData, type BarRow } from "./scenarios.js";
export { Simulator, Run, type SimulatorOptions, type IntrabarPath, type AgentOption } from "./simulator.js";
export { Indicator, crossover, crossings } from "./indicator.js";
export { RemoteContext, type AnyContext, type RemoteOrder, type RemoteStrategy, type RemoteBacktest, type RemoteBacktestOptions } from "./remote.js";
export {
  backtest,
  backtestSignals,
  Context,
  type Strategy,
  type Backtest,
  type BacktestOptions,
  type SignalOptions,
} from "./backtest.js";
export { sweep, sweepSignals, combinations, Sweep, type SweepRow, type SweepGrade, type SweepOptions, type SweepSignalsOptions, type Params, type FlagColumns, type SignalFlags } from "./sweep.js";
export * from "./models.js";
export {
  VecTradeError,
  InvalidInput,
  OrderRejected,
  RiskLimitExceeded,
  RateLimited,
  Conflict,
  IdempotencyConflict,
  NotFound,
  InvalidState,
  RunFinished,
  InternalError,
  errorCodes,
  type ErrorFamily,
} from "./errors.js";
export { type Decimal, type DecimalInput, type Timestamp } from "./wire.js";
export * from "./client/index.js";

/** The engine's version. */
export function engineVersion(): string {
  return engineBuild().engineVersion();
}

/** RFC 3339 text of a time in UTC milliseconds, as the engine writes it: `2024-04-01T13:30:00Z`. */
export function formatTimestamp(ms: number): string {
  if (typeof ms !== "number") throw invalid(`\`ms\` must be a number of UTC milliseconds, got ${describe(ms)}`);
  return engine(() => engineBuild().formatTimestamp(ms));
}

/** UTC milliseconds of RFC 3339 text or a date (`2024-04-01`, `2024-04-01T09:30:00-04:00`). */
export function parseTimestamp(value: string): number {
  return engine(() => engineBuild().parseTimestamp(text(value, "text")));
}
