/**
 * The explicit loop: `new Simulator(scenario).start({agent})`, then observe, submit and step until
 * the run is done, and read the grade.
 */

import { type NativeRun, engineBuild } from "./backend.js";
import { engine, invalid, vecTradeError } from "./errors.js";
import {
  type Bar,
  type EquityColumns,
  type EquityPoint,
  type Fill,
  type Metrics,
  type OrderRequest,
  type PlacedOrder,
  type Portfolio,
  type Results,
  type RiskProfile,
  type StepReport,
  type Trade,
  orderWire,
  riskWire,
} from "./models.js";
import { Scenario } from "./scenarios.js";
import { type Timestamp, count, describe, flag, fromEngine, optCount, optText, options as checked, text, toEngine } from "./wire.js";

/** Which trigger fills first when several fall inside one bar. */
export type IntrabarPath = "nearest_extreme_first" | "pessimistic";

/** Options of a simulator. */
export interface SimulatorOptions {
  intrabarPath?: IntrabarPath;
  /**
   * Close every position at the end, as backtesting.py's `finalize_trades`: before the last bar
   * each agent's working orders are cancelled and market orders closing its positions are queued
   * (the path of `liquidateAndFinish`), filling at the last bar's open. Default `false`.
   */
  closeAtEnd?: boolean;
}

/** Starts runs on a scenario. */
export class Simulator {
  readonly scenario: Scenario;
  readonly intrabarPath: IntrabarPath;
  readonly closeAtEnd: boolean;

  constructor(scenario: Scenario, options: SimulatorOptions = {}) {
    if (!(scenario instanceof Scenario)) throw invalid(`\`scenario\` must be a Scenario (vt.scenarios.get(...)), got ${describe(scenario)}`);
    const o = checked(options, "new Simulator", ["intrabarPath", "closeAtEnd"]);
    if (o.closeAtEnd !== undefined && typeof o.closeAtEnd !== "boolean") {
      throw invalid(`\`closeAtEnd\` must be true or false, got ${describe(o.closeAtEnd)}`);
    }
    this.scenario = scenario;
    this.intrabarPath = (optText(o.intrabarPath, "intrabarPath") ?? "nearest_extreme_first") as IntrabarPath;
    this.closeAtEnd = o.closeAtEnd ?? false;
  }

  /** A run with one agent. */
  start(options: { agent?: string; risk?: RiskProfile } = {}): Run {
    const o = checked(options, "simulator.start", ["agent", "risk"]);
    const name = optText(o.agent, "agent") ?? "agent";
    return this.tournament([{ name, risk: o.risk ?? {} }]).asAgent(name);
  }

  /** A run with several agents side by side, each with an isolated account. */
  tournament(agents: Array<string | { name: string; risk?: RiskProfile }>): Run {
    if (!Array.isArray(agents) || agents.length === 0) throw invalid("a run needs at least one agent");
    const inner = engine(() => new (engineBuild().Run)(this.scenario.native, toEngine({ intrabarPath: this.intrabarPath, closeAtEnd: this.closeAtEnd })));
    const run = new Run(inner, this.scenario);
    for (const a of agents) {
      if (typeof a === "string") run.addAgent(a);
      else if (a !== null && typeof a === "object") run.addAgent(checked(a, "simulator.tournament", ["name", "risk"]).name, a.risk ?? {});
      else throw invalid(`each agent is a name or {name, risk}, got ${describe(a)}`);
    }
    return run;
  }
}

/** Selects the agent a call acts for (the view's own when left out). */
export interface AgentOption {
  agent?: string;
}

/** A run. Methods act for the view's agent (the first, or the one chosen with {@link Run.asAgent}). */
export class Run {
  /** @internal */
  readonly native: NativeRun;
  readonly scenario: Scenario;
  /** @internal */
  readonly agentId: number;

  /** @internal Start runs with a {@link Simulator}. */
  constructor(inner: NativeRun, scenario: Scenario, agentId = 0) {
    this.native = inner;
    this.scenario = scenario;
    this.agentId = agentId;
  }

  /** Adds an agent with its own account; returns its id. */
  addAgent(name: string, risk: RiskProfile = {}): number {
    if (typeof name !== "string" || name === "") throw invalid(`an agent's name must be a non-empty string, got ${describe(name)}`);
    return engine(() => this.native.addAgent(name, toEngine(riskWire(risk))));
  }

  /** A view of the same run acting for another agent. */
  asAgent(name: string): Run {
    return new Run(this.native, this.scenario, this.id(text(name, "agent")));
  }

  /** Names of the agents, in joining order. */
  get agents(): string[] {
    return this.native.agentNames();
  }

  /** The agent this view acts for. */
  get agent(): string {
    return this.agents[this.agentId] ?? "";
  }

  /** @internal */
  id(agent?: string): number {
    if (agent === undefined) return this.agentId;
    text(agent, "agent");
    const i = this.agents.indexOf(agent);
    if (i < 0) throw vecTradeError("unknown_agent", `no agent named '${agent}'; agents are ${this.agents.join(", ")}`);
    return i;
  }

  /** A copy of an agent (account, orders, history) under a new name. */
  cloneAgent(name: string, options: AgentOption = {}): void {
    const o = checked(options, "run.cloneAgent", ["agent"]);
    text(name, "name");
    engine(() => this.native.cloneAgent(this.id(o.agent), name));
  }

  /** Resets an agent to its starting cash; its track record starts again. */
  reset(options: AgentOption = {}): void {
    engine(() => this.native.resetAgent(this.id(checked(options, "run.reset", ["agent"]).agent)));
  }

  /** Replaces an agent's risk profile. */
  setRisk(risk: RiskProfile, options: AgentOption = {}): void {
    const id = this.id(checked(options, "run.setRisk", ["agent"]).agent);
    const wire = toEngine(riskWire(risk));
    engine(() => this.native.setRiskProfile(id, wire));
  }

  /** True once the scenario is exhausted (or every agent was liquidated). */
  get done(): boolean {
    return this.native.done;
  }

  /** The clock: time of the latest bar. */
  get simTime(): Timestamp {
    return this.native.simTime;
  }

  /**
   * Bars up to the clock, per symbol (all symbols when left out; one symbol may be given as a
   * string, as in Python), at most `lookback` each.
   */
  market(options: { symbols?: string[] | string; lookback?: number } & AgentOption = {}): Record<string, Bar[]> {
    const o = checked(options, "run.market", ["symbols", "lookback", "agent"]);
    const lookback = count(o.lookback ?? 50, "lookback", 1);
    const symbols = symbolList(o.symbols);
    const id = this.id(o.agent);
    const json = engine(() => this.native.marketJson(id, symbols, lookback));
    const view = fromEngine<{ bars: Array<{ symbol: string; bars: Bar[] }> }>(json);
    return Object.fromEntries(view.bars.map((s) => [s.symbol, s.bars]));
  }

  /** Queues an order; it first meets the next bar. Refusals throw `OrderRejected`, `RiskLimitExceeded`, ... */
  submit(order: OrderRequest, options: { idempotencyKey?: string } & AgentOption = {}): PlacedOrder {
    const o = checked(options, "run.submit", ["idempotencyKey", "agent"]);
    const wire = toEngine(orderWire(order));
    const key = optText(o.idempotencyKey, "idempotencyKey");
    const id = this.id(o.agent);
    return fromEngine(engine(() => this.native.submit(id, wire, key)));
  }

  /** Cancels a working order. */
  cancel(orderId: number, options: { idempotencyKey?: string } & AgentOption = {}): PlacedOrder {
    const o = checked(options, "run.cancel", ["idempotencyKey", "agent"]);
    const orderNo = count(orderId, "orderId", 1);
    const key = optText(o.idempotencyKey, "idempotencyKey");
    const id = this.id(o.agent);
    return fromEngine(engine(() => this.native.cancel(id, orderNo, key)));
  }

  /** Advances up to `count` bars and reports every agent's fills and balances. */
  step(bars = 1, options: { idempotencyKey?: string } = {}): StepReport {
    const o = checked(options, "run.step", ["idempotencyKey"]);
    const n = count(bars, "count");
    const key = optText(o.idempotencyKey, "idempotencyKey");
    return fromEngine(engine(() => this.native.step(n, key)));
  }

  /** Steps to the end (or `maxBars`) without new orders; `requireFlat` refuses while this agent holds positions. */
  holdUntilEnd(options: { maxBars?: number; requireFlat?: boolean } = {}): StepReport {
    const o = checked(options, "run.holdUntilEnd", ["maxBars", "requireFlat"]);
    const maxBars = optCount(o.maxBars, "maxBars");
    const flat = flag(o.requireFlat, "requireFlat") ? this.agentId : null;
    return fromEngine(engine(() => this.native.holdUntilEnd(maxBars, flat)));
  }

  /** Closes this agent's positions at the next open and steps to the end. */
  liquidateAndFinish(rationale = "", options: { maxBars?: number } = {}): StepReport {
    text(rationale, "rationale");
    const maxBars = optCount(checked(options, "run.liquidateAndFinish", ["maxBars"]).maxBars, "maxBars");
    return fromEngine(engine(() => this.native.liquidateAndFinish(this.agentId, rationale, maxBars)));
  }

  /** Steps to the first bar of the next session. */
  advanceUntilNextSession(options: { maxBars?: number } = {}): StepReport {
    const maxBars = optCount(checked(options, "run.advanceUntilNextSession", ["maxBars"]).maxBars, "maxBars");
    return fromEngine(engine(() => this.native.advanceUntilNextSession(maxBars)));
  }

  portfolio(options: AgentOption = {}): Portfolio {
    return fromEngine(engine(() => this.native.portfolioJson(this.id(options.agent))));
  }

  /** Every order, rejected and ended ones included, oldest first. */
  orders(options: AgentOption = {}): PlacedOrder[] {
    return fromEngine(engine(() => this.native.ordersJson(this.id(options.agent))));
  }

  /** The order with this id as it stands now (throws `NotFound` for an unknown id). */
  order(orderId: number, options: AgentOption = {}): PlacedOrder {
    const id = count(orderId, "orderId", 1);
    return fromEngine(engine(() => this.native.orderJson(this.id(options.agent), id)));
  }

  /** Working orders, oldest first. */
  openOrders(options: AgentOption = {}): PlacedOrder[] {
    return fromEngine(engine(() => this.native.openOrdersJson(this.id(options.agent))));
  }

  fills(options: AgentOption = {}): Fill[] {
    return fromEngine(engine(() => this.native.fillsJson(this.id(options.agent))));
  }

  /** The equity curve, exact: one point at the start, then one per bar close. */
  equityCurve(options: AgentOption = {}): EquityPoint[] {
    return fromEngine(engine(() => this.native.equityCurveJson(this.id(options.agent))));
  }

  /** The equity curve as `Float64Array` columns (ts, equity, gross exposure, drawdown): no object per point. */
  equityColumns(options: AgentOption = {}): EquityColumns {
    return engine(() => this.native.equityColumns(this.id(options.agent)));
  }

  /** `active`, `margin_call` or `liquidated`. */
  status(options: AgentOption = {}): string {
    return engine(() => this.native.status(this.id(options.agent)));
  }

  /** Round trips, open ones included. */
  trades(options: AgentOption = {}): Trade[] {
    return fromEngine(engine(() => this.native.tradesJson(this.id(options.agent))));
  }

  /** Metrics so far. */
  metrics(options: AgentOption = {}): Metrics {
    return fromEngine(engine(() => this.native.metricsJson(this.id(options.agent))));
  }

  /** The grade, once the run is over (throws `InvalidState` before). */
  results(options: AgentOption = {}): Results {
    return fromEngine(engine(() => this.native.resultsJson(this.id(options.agent))));
  }

  /** The whole run as JSON text; {@link Run.restore} continues it identically. */
  snapshot(): string {
    return this.native.snapshotJson();
  }

  /** Continues a run from a snapshot, on its own scenario. */
  static restore(scenario: Scenario, snapshot: string, agent?: string): Run {
    if (!(scenario instanceof Scenario)) throw invalid(`\`scenario\` must be a Scenario, got ${describe(scenario)}`);
    text(snapshot, "snapshot");
    const run = new Run(engine(() => engineBuild().Run.restore(scenario.native, snapshot)), scenario);
    return agent === undefined ? run : run.asAgent(agent);
  }

  toString(): string {
    return `Run(${this.scenario.slug}, agents=[${this.agents.join(", ")}], ${this.done ? "done" : `at ${new Date(this.simTime).toISOString()}`})`;
  }
}

/** The `symbols` of a market view: all (`null`), one symbol given as a string, or a list of strings. */
function symbolList(symbols: unknown): string[] | null {
  if (symbols === undefined || symbols === null) return null;
  if (typeof symbols === "string") return [symbols];
  if (!Array.isArray(symbols)) throw invalid(`\`symbols\` must be a symbol or a list of symbols, got ${describe(symbols)}`);
  symbols.forEach((s, i) => text(s, `symbols[${i}]`));
  return symbols as string[];
}
