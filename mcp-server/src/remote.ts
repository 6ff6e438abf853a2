/**
 * The `http` backend: the hosted API or the local server (`vectrade-server`) through the SDK's HTTP
 * client, configured as seed 000's Claude Desktop config does (`VECTRADE_API_KEY` for the benchmark
 * routes, `VECTRADE_BOT_KEY` for the bot routes, `VECTRADE_BASE_URL` for the server). Thin: it maps
 * the client's models onto the backend shapes and nothing else.
 */

import * as vt from "@vectrade/sdk";

import {
  type AuthW,
  type Backend,
  type BotBackend,
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
} from "./backend.js";

// The client's models, by what its calls answer (the package exports them only as types of its calls).
type B = vt.Client["benchmark"];
type ScenarioOut = Awaited<ReturnType<B["getScenario"]>>["scenario"];
type RunOut = Awaited<ReturnType<B["createRun"]>>["run"];
type OrderOut = Awaited<ReturnType<B["trade"]>>["order"];
type StepOut = Awaited<ReturnType<B["step"]>>;
type FillOut = StepOut["fills"][number];
type ResultsOut = Awaited<ReturnType<B["results"]>>["results"];

/** The optional fields of `from` that are set, as decimals or texts, onto `to`. */
function optional<T extends object>(to: T, from: Record<string, unknown>, decimals: readonly string[], texts: readonly string[]): T {
  const out = to as Record<string, unknown>;
  for (const k of decimals) if (from[k] !== undefined && from[k] !== null) out[k] = dec(from[k] as string);
  for (const k of texts) if (from[k] !== undefined && from[k] !== null) out[k] = String(from[k]);
  return to;
}

function scenarioW(o: ScenarioOut): ScenarioW {
  return {
    id: o.id,
    slug: o.slug,
    name: o.name,
    description: o.description,
    status: o.status,
    universe: o.universe,
    starting_cash: dec(o.starting_cash),
    leverage_cap: dec(o.leverage_cap),
    short_enabled: o.short_enabled,
    bar_resolution: o.bar_resolution,
    start_ts: o.start_ts ?? null,
    end_ts: o.end_ts ?? null,
    benchmark_symbol: o.benchmark_symbol ?? null,
    bar_count: o.bar_count,
  };
}

function runW(o: RunOut): RunW {
  return {
    id: o.id,
    status: o.status,
    scenario_slug: o.scenario_slug,
    bot_name: o.bot_name ?? null,
    cash: dec(o.cash),
    starting_cash: dec(o.starting_cash),
    equity: dec(o.equity),
    sim_time: o.sim_time,
    done: o.done,
  };
}

function orderW(o: OrderOut): OrderW {
  const out: OrderW = {
    id: o.id,
    symbol: o.symbol,
    side: o.side,
    quantity: dec(o.quantity),
    order_type: o.order_type,
    time_in_force: o.time_in_force,
    status: o.status,
    filled_quantity: dec(o.filled_quantity),
    role: o.role,
    created_at: o.created_at,
  };
  return optional(out, o as unknown as Record<string, unknown>, ["limit_price", "stop_price", "avg_fill_price"], ["rejection_reason", "end_reason", "parent_id", "reasoning"]);
}

function fillW(o: FillOut): FillW {
  const out: FillW = {
    order_id: o.order_id,
    symbol: o.symbol,
    side: o.side,
    quantity: dec(o.quantity),
    fill_price: dec(o.fill_price),
    slippage_bps: dec(o.slippage_bps),
    commission: dec(o.commission),
    total_value: dec(o.total_value),
    ts: o.ts,
    bar_index: o.bar_index,
    role: o.role,
  };
  return optional(out, o as unknown as Record<string, unknown>, [], ["reasoning"]);
}

function stepW(o: StepOut): StepW {
  return {
    bars_advanced: o.bars_advanced,
    new_sim_time: o.new_sim_time,
    fills: o.fills.map(fillW),
    equity: dec(o.equity),
    cash: dec(o.cash),
    positions_value: dec(o.positions_value),
    done: o.done,
    liquidated: o.liquidated,
  };
}

/** The grade: the ratios, decimal strings in the client's models, as the numbers they are on the wire. */
function resultsW(o: ResultsOut): ResultsW {
  const out: ResultsW = {
    final_equity: dec(o.final_equity),
    return_pct: Number(o.return_pct),
    max_drawdown: Number(o.max_drawdown),
    trade_count: o.trade_count,
    liquidated: o.liquidated,
    per_symbol: o.per_symbol.map((p) => ({ symbol: p.symbol, realized_pnl: dec(p.realized_pnl), unrealized_pnl: dec(p.unrealized_pnl), fees: dec(p.fees), net_pnl: dec(p.net_pnl) })),
  };
  if (o.sharpe !== undefined && o.sharpe !== null) out.sharpe = Number(o.sharpe);
  if (o.sortino !== undefined && o.sortino !== null) out.sortino = Number(o.sortino);
  if (o.benchmark_return_pct !== undefined && o.benchmark_return_pct !== null) out.benchmark_return_pct = Number(o.benchmark_return_pct);
  return out;
}

/** Connection settings: the client's own (`VECTRADE_BASE_URL`, `VECTRADE_API_KEY`, `VECTRADE_BOT_KEY`) unless given. */
export interface HttpBackendOptions {
  baseUrl?: string;
  apiKey?: string;
  botKey?: string;
  fetch?: typeof fetch;
}

/** The hosted API or a local server. */
export class HttpBackend implements Backend {
  readonly kind = "http" as const;
  readonly bot: BotBackend;
  private readonly client: vt.Client;
  private readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly botKey: string | undefined;

  constructor(options: HttpBackendOptions = {}) {
    const env = process.env;
    this.apiKey = options.apiKey ?? (env["VECTRADE_API_KEY"] || undefined);
    this.botKey = options.botKey ?? (env["VECTRADE_BOT_KEY"] || undefined);
    this.client = new vt.Client({
      ...(options.baseUrl ?? env["VECTRADE_BASE_URL"] ? { baseUrl: options.baseUrl ?? env["VECTRADE_BASE_URL"] } : {}),
      ...(this.apiKey ? { apiKey: this.apiKey } : {}),
      ...(this.botKey ? { botKey: this.botKey } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    this.baseUrl = this.client.baseUrl;
    const bot = (): vt.Client => {
      if (!this.botKey) throw new ToolError("missing_bot_key", "the bot trading tools need a bot key: set VECTRADE_BOT_KEY (create one with POST /api/trade/v1/bot/keys)", 401);
      return this.client;
    };
    const plain = <T>(v: T): Record<string, unknown> => v as unknown as Record<string, unknown>;
    this.bot = {
      placeOrder: async (order) => plain(await bot().bot.placeOrder(order)),
      cancelOrder: async (orderId) => {
        await bot().bot.cancelOrder(orderId);
        return plain(await this.client.bot.getOrder(orderId));
      },
      listOrders: async (filter) => (await bot().bot.listOrders(filter)).map(plain),
      portfolio: async () => plain(await bot().bot.portfolio()),
      kpi: async () => plain(await bot().bot.kpi()),
      account: async () => plain(await bot().bot.account()),
    };
  }

  auth(): AuthW {
    const ok = Boolean(this.apiKey);
    return {
      backend: "http",
      status: ok ? "connected" : "auth_required",
      base_url: this.baseUrl,
      api_key: ok,
      bot_key: Boolean(this.botKey),
      detail: ok
        ? `benchmark runs on ${this.baseUrl} with VECTRADE_API_KEY`
        : `no API key: set VECTRADE_API_KEY in the MCP server's environment (the local server prints one at its first start), or start the server with --offline`,
    };
  }

  private get b(): vt.Client["benchmark"] {
    if (!this.apiKey) throw new ToolError("missing_api_key", "this tool needs an API key: set VECTRADE_API_KEY in the MCP server's environment, or run it with --offline (no key needed)", 401);
    return this.client.benchmark;
  }

  async listScenarios(): Promise<ScenarioW[]> {
    return (await this.client.benchmark.listScenarios()).scenarios.map(scenarioW);
  }
  async getScenario(idOrSlug: string): Promise<ScenarioW> {
    return scenarioW((await this.client.benchmark.getScenario(idOrSlug)).scenario);
  }
  async createRun(scenarioSlug: string, botName?: string): Promise<RunW> {
    return runW((await this.b.createRun(scenarioSlug, botName === undefined ? {} : { botName })).run);
  }
  async getRun(runId: string): Promise<RunDetailW> {
    const d = await this.b.getRun(runId);
    return {
      run: runW(d.run),
      positions: d.positions.map((p) => ({ symbol: p.symbol, quantity: dec(p.quantity), avg_cost: dec(p.avg_cost), current_price: dec(p.current_price), market_value: dec(p.market_value), unrealized_pnl: dec(p.unrealized_pnl) })),
      queued_orders: d.queued_orders.map(orderW),
      last_equity: dec(d.last_equity),
    };
  }
  async market(runId: string, symbols: string[] | undefined, lookback: number): Promise<MarketW> {
    const m = await this.b.market(runId, symbols === undefined ? { lookback } : { symbols, lookback });
    const bars: MarketW["bars"] = {};
    for (const [sym, list] of Object.entries(m.bars)) {
      bars[sym] = list.map((b) => ({ ts: b.ts, open: dec(b.open), high: dec(b.high), low: dec(b.low), close: dec(b.close), volume: dec(b.volume) }));
    }
    return { sim_time: m.sim_time, bars };
  }
  async trade(runId: string, order: TradeW): Promise<OrderW> {
    return orderW((await this.b.trade(runId, { ...order })).order);
  }
  async step(runId: string, count: number): Promise<StepW> {
    return stepW(await this.b.step(runId, count));
  }
  async holdUntilEnd(runId: string, maxBars: number | undefined, requireFlat: boolean): Promise<StepW> {
    return stepW(await this.b.holdUntilEnd(runId, { ...(maxBars === undefined ? {} : { maxBars }), requireFlat }));
  }
  async liquidateAndFinish(runId: string, rationale: string, maxBars: number | undefined): Promise<StepW> {
    return stepW(await this.b.liquidateAndFinish(runId, rationale, maxBars === undefined ? {} : { maxBars }));
  }
  async advanceUntilNextSession(runId: string, maxBars: number | undefined): Promise<StepW> {
    return stepW(await this.b.advanceUntilNextSession(runId, maxBars === undefined ? {} : { maxBars }));
  }
  async results(runId: string): Promise<ResultsW> {
    return resultsW((await this.b.results(runId)).results);
  }
  async trades(runId: string): Promise<FillW[]> {
    return (await this.b.listTrades(runId)).trades.map(fillW);
  }
  async publish(runId: string): Promise<{ published: boolean; results: ResultsW; leaderboard: string }> {
    const p = await this.b.publish(runId);
    return { published: p.published, results: resultsW(p.results), leaderboard: `${this.baseUrl}/api/v1/leaderboard` };
  }
}
