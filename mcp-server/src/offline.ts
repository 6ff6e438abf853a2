/**
 * The `offline` backend: benchmark runs on the embedded engine (the SDK's Node addon), no key and
 * no network. Runs live in memory and, with a store file, are saved as engine snapshots after every
 * change and restored at start; the bot tools trade an in-process paper account (offline-bot.ts). The shapes are the REST API's, so an agent cannot tell the
 * difference but for the ids; the same core as the server gives the same fills and grades.
 */

import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";

import * as vt from "@vectrade/sdk";

import {
  type AuthW,
  type Backend,
  type FillW,
  type MarketW,
  type OrderW,
  type ResultsW,
  type RunDetailW,
  type RunW,
  type ScenarioW,
  type StepW,
  type TradeW,
  ToolError,
  dec,
  optDec,
  rfc3339,
} from "./backend.js";
import { OfflineBot, type OfflineBotOptions } from "./offline-bot.js";

interface OfflineRun {
  id: string;
  slug: string;
  botName: string | null;
  run: vt.Run;
  published: boolean;
}

/** Options of the offline backend. */
export interface OfflineBackendOptions {
  /** A JSON file the runs are saved to after every change and read from at start. */
  storePath?: string;
  /** Scenarios offered besides the built-in catalog (a 50-symbol `vt.scenarios.synthetic(...)`, a CSV market). */
  scenarios?: vt.Scenario[];
  /** The bot account's replayed market and its clock (seed 000's tools). */
  bot?: OfflineBotOptions;
}

function roleName(role: vt.PlacedOrder["role"]): string {
  const r = role as { kind: string; level?: number };
  return r.kind === "trim" ? `trim_${r.level}` : r.kind;
}

function orderW(o: vt.PlacedOrder): OrderW {
  const out: OrderW = {
    id: String(o.id),
    symbol: o.symbol,
    side: o.side,
    quantity: dec(o.quantity),
    order_type: o.orderType,
    time_in_force: o.timeInForce,
    status: o.status,
    filled_quantity: dec(o.filledQuantity),
    role: roleName(o.role),
    created_at: rfc3339(o.createdAt),
  };
  const limit = optDec(o.limitPrice);
  const stop = optDec(o.stopPrice);
  const avg = optDec(o.avgFillPrice);
  if (limit !== undefined) out.limit_price = limit;
  if (stop !== undefined) out.stop_price = stop;
  if (avg !== undefined) out.avg_fill_price = avg;
  if (o.endReason) {
    out.rejection_reason = o.endReason.detail;
    out.end_reason = o.endReason.code;
  }
  if (o.parentId !== null) out.parent_id = String(o.parentId);
  if (o.reasoning !== null) out.reasoning = o.reasoning;
  return out;
}

function fillW(f: vt.Fill): FillW {
  const out: FillW = {
    order_id: String(f.orderId),
    symbol: f.symbol,
    side: f.side,
    quantity: dec(f.quantity),
    fill_price: dec(f.fillPrice),
    slippage_bps: dec(f.slippageBps),
    commission: dec(f.commission),
    total_value: dec(f.totalValue),
    ts: rfc3339(f.ts),
    bar_index: f.barIndex,
    role: roleName(f.role),
  };
  if (f.reasoning !== null) out.reasoning = f.reasoning;
  return out;
}

const finite = (v: number | null | undefined): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/** The embedded engine. */
export class OfflineBackend implements Backend {
  readonly kind = "offline" as const;
  readonly bot: OfflineBot;
  private readonly runs = new Map<string, OfflineRun>();
  private readonly extra = new Map<string, vt.Scenario>();
  private readonly storePath: string | undefined;

  constructor(options: OfflineBackendOptions = {}) {
    for (const s of options.scenarios ?? []) this.extra.set(s.slug, s);
    this.storePath = options.storePath;
    if (this.storePath !== undefined && existsSync(this.storePath)) this.load(this.storePath);
    this.bot = new OfflineBot(options.bot);
  }

  auth(): AuthW {
    return { backend: "offline", status: "connected", api_key: false, bot_key: false, detail: "offline: runs on the embedded engine in this process, no key needed" + (this.storePath ? `; saved to ${this.storePath}` : "") };
  }

  private scenario(idOrSlug: string): vt.Scenario {
    const extra = this.extra.get(idOrSlug);
    if (extra) return extra;
    if (!vt.scenarios.list().some((e) => e.slug === idOrSlug)) {
      const slugs = [...vt.scenarios.list().map((e) => e.slug), ...this.extra.keys()].map((s) => `'${s}'`).join(", ");
      throw new ToolError("unknown_scenario", `no scenario '${idOrSlug}'; scenarios are: ${slugs}`, 404);
    }
    return vt.scenarios.get(idOrSlug);
  }

  private scenarioW(s: vt.Scenario): ScenarioW {
    const i = s.info;
    return {
      id: i.slug,
      slug: i.slug,
      name: i.name,
      description: i.description,
      status: i.status,
      universe: i.universe,
      starting_cash: dec(i.startingCash),
      leverage_cap: dec(i.leverageCap),
      short_enabled: i.shortEnabled,
      bar_resolution: i.barResolution,
      start_ts: i.startTs,
      end_ts: i.endTs,
      benchmark_symbol: i.benchmarkSymbol,
      bar_count: i.barCount,
    };
  }

  private get(runId: string): OfflineRun {
    const r = this.runs.get(runId);
    if (r === undefined) throw new ToolError("run_not_found", `no run '${runId}'`, 404);
    return r;
  }

  private runW(r: OfflineRun): RunW {
    const p = r.run.portfolio();
    const status = r.run.status() === "liquidated" ? "liquidated" : r.run.done ? "completed" : "active";
    return {
      id: r.id,
      status,
      scenario_slug: r.slug,
      bot_name: r.botName,
      cash: dec(p.cash),
      starting_cash: dec(r.run.scenario.info.startingCash),
      equity: dec(p.equity),
      sim_time: rfc3339(r.run.simTime),
      done: r.run.done,
    };
  }

  private stepW(report: vt.StepReport): StepW {
    const a = report.agents[0]!;
    return {
      bars_advanced: report.barsAdvanced,
      new_sim_time: rfc3339(report.newSimTime),
      fills: a.fills.map(fillW),
      equity: dec(a.equity),
      cash: dec(a.cash),
      positions_value: dec(a.positionsValue),
      done: report.done || a.liquidated,
      liquidated: a.liquidated,
    };
  }

  /** Runs an engine call on a run, mapping its refusal, and saves the store after a change. */
  private act<T>(runId: string, call: (r: OfflineRun) => T, changes = true): T {
    const r = this.get(runId);
    let out: T;
    try {
      out = call(r);
    } catch (e) {
      if (e instanceof vt.VecTradeError) throw new ToolError(e.code, e.detail, httpStatus(e));
      throw e;
    }
    if (changes) this.save();
    return out;
  }

  async listScenarios(): Promise<ScenarioW[]> {
    return [...vt.scenarios.list().map((e) => vt.scenarios.get(e.slug)), ...this.extra.values()].map((s) => this.scenarioW(s));
  }
  async getScenario(idOrSlug: string): Promise<ScenarioW> {
    return this.scenarioW(this.scenario(idOrSlug));
  }
  async createRun(scenarioSlug: string, botName?: string): Promise<RunW> {
    if (botName !== undefined && [...botName].length > 100) throw new ToolError("invalid_argument", "bot_name must be at most 100 characters", 400);
    const scenario = this.scenario(scenarioSlug);
    const r: OfflineRun = { id: randomUUID(), slug: scenario.slug, botName: botName ?? null, run: new vt.Simulator(scenario).start(), published: false };
    this.runs.set(r.id, r);
    this.save();
    return this.runW(r);
  }
  async getRun(runId: string): Promise<RunDetailW> {
    return this.act(runId, (r) => {
      const p = r.run.portfolio();
      return {
        run: this.runW(r),
        positions: p.positions.map((x) => ({ symbol: x.symbol, quantity: dec(x.quantity), avg_cost: dec(x.avgCost), current_price: dec(x.currentPrice), market_value: dec(x.marketValue), unrealized_pnl: dec(x.unrealizedPnl) })),
        queued_orders: r.run.openOrders().map(orderW),
        last_equity: dec(p.equity),
      };
    }, false);
  }
  async market(runId: string, symbols: string[] | undefined, lookback: number): Promise<MarketW> {
    return this.act(runId, (r) => {
      const view = r.run.market(symbols === undefined ? { lookback } : { symbols: [...new Set(symbols)], lookback });
      const bars: MarketW["bars"] = {};
      for (const [sym, list] of Object.entries(view)) {
        bars[sym] = list.map((b) => ({ ts: rfc3339(b.ts), open: dec(b.open), high: dec(b.high), low: dec(b.low), close: dec(b.close), volume: dec(b.volume) }));
      }
      return { sim_time: rfc3339(r.run.simTime), bars };
    }, false);
  }
  async trade(runId: string, order: TradeW): Promise<OrderW> {
    return this.act(runId, (r) =>
      orderW(
        r.run.submit({
          symbol: order.symbol,
          side: order.side as vt.Side,
          quantity: order.quantity,
          orderType: (order.order_type ?? "MARKET") as vt.OrderRequest["orderType"],
          ...(order.limit_price === undefined ? {} : { limitPrice: order.limit_price }),
          ...(order.stop_price === undefined ? {} : { stopPrice: order.stop_price }),
          ...(order.time_in_force === undefined ? {} : { timeInForce: order.time_in_force as vt.TimeInForce }),
          ...(order.stop_loss === undefined ? {} : { stopLoss: order.stop_loss }),
          ...(order.take_profit === undefined ? {} : { takeProfit: order.take_profit }),
          ...(order.reasoning === undefined ? {} : { reasoning: order.reasoning }),
        }),
      ),
    );
  }
  async step(runId: string, count: number): Promise<StepW> {
    return this.act(runId, (r) => this.stepW(r.run.step(count)));
  }
  async holdUntilEnd(runId: string, maxBars: number | undefined, requireFlat: boolean): Promise<StepW> {
    return this.act(runId, (r) => this.stepW(r.run.holdUntilEnd({ ...(maxBars === undefined ? {} : { maxBars }), requireFlat })));
  }
  async liquidateAndFinish(runId: string, rationale: string, maxBars: number | undefined): Promise<StepW> {
    return this.act(runId, (r) => this.stepW(r.run.liquidateAndFinish(rationale, maxBars === undefined ? {} : { maxBars })));
  }
  async advanceUntilNextSession(runId: string, maxBars: number | undefined): Promise<StepW> {
    return this.act(runId, (r) => this.stepW(r.run.advanceUntilNextSession(maxBars === undefined ? {} : { maxBars })));
  }
  async results(runId: string): Promise<ResultsW> {
    return this.act(runId, (r) => {
      const x = r.run.results();
      const out: ResultsW = {
        // the REST API sends the final equity as a JSON number: the shortest decimal of its double
        final_equity: String(Number(x.finalEquity)),
        return_pct: x.returnPct,
        max_drawdown: x.maxDrawdown,
        trade_count: x.tradeCount,
        liquidated: x.liquidated,
        per_symbol: x.perSymbol.map((p) => ({ symbol: p.symbol, realized_pnl: dec(p.realizedPnl), unrealized_pnl: dec(p.unrealizedPnl), fees: dec(p.fees), net_pnl: dec(p.netPnl) })),
      };
      const sharpe = finite(x.sharpe);
      const sortino = finite(x.sortino);
      const bench = finite(x.benchmarkReturnPct);
      if (sharpe !== undefined) out.sharpe = sharpe;
      if (sortino !== undefined) out.sortino = sortino;
      if (bench !== undefined) out.benchmark_return_pct = bench;
      return out;
    }, false);
  }
  async trades(runId: string): Promise<FillW[]> {
    return this.act(runId, (r) => r.run.fills().map(fillW), false);
  }
  async publish(runId: string): Promise<{ published: boolean; results: ResultsW; leaderboard: string }> {
    const results = await this.results(runId);
    this.get(runId).published = true;
    this.save();
    return { published: true, results, leaderboard: "offline: kept in this process (and its store file); no public leaderboard" };
  }

  private save(): void {
    if (this.storePath === undefined) return;
    const runs = [...this.runs.values()].map((r) => ({ id: r.id, slug: r.slug, bot_name: r.botName, published: r.published, snapshot: r.run.snapshot() }));
    const tmp = `${this.storePath}.tmp`;
    writeFileSync(tmp, JSON.stringify({ version: 1, runs }));
    renameSync(tmp, this.storePath);
  }

  private load(path: string): void {
    const doc = JSON.parse(readFileSync(path, "utf8")) as { runs: Array<{ id: string; slug: string; bot_name: string | null; published: boolean; snapshot: string }> };
    for (const saved of doc.runs) {
      const scenario = this.scenario(saved.slug);
      const run = vt.Run.restore(scenario, saved.snapshot, "agent");
      this.runs.set(saved.id, { id: saved.id, slug: saved.slug, botName: saved.bot_name, run, published: saved.published });
    }
  }
}

/** The status the REST API answers an engine refusal with (server/src/problem.rs). */
function httpStatus(e: vt.VecTradeError): number {
  switch (e.family) {
    case "not_found":
      return 404;
    case "conflict":
      return 409;
    case "rate_limited":
      return 429;
    default:
      return 400;
  }
}
