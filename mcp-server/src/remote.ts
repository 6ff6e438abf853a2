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
  optDec,
} from "./backend.js";

type M = {
  [K in "ScenarioOut" | "RunOut" | "OrderOut" | "FillOut" | "StepOut" | "ResultsOut" | "PositionOut"]: Record<string, unknown>;
};

const s = (v: unknown): string => (v === null || v === undefined ? "" : String(v));
const num = (v: unknown): number | undefined => (v === null || v === undefined || v === "" ? undefined : Number(v));

function scenarioW(o: M["ScenarioOut"]): ScenarioW {
  return {
    id: s(o["id"]),
    slug: s(o["slug"]),
    name: s(o["name"]),
    description: s(o["description"]),
    status: s(o["status"]),
    universe: (o["universe"] as string[]) ?? [],
    starting_cash: dec(o["starting_cash"] as string),
    leverage_cap: dec(o["leverage_cap"] as string),
    short_enabled: Boolean(o["short_enabled"]),
    bar_resolution: s(o["bar_resolution"]),
    start_ts: (o["start_ts"] as string | null) ?? null,
    end_ts: (o["end_ts"] as string | null) ?? null,
    benchmark_symbol: (o["benchmark_symbol"] as string | null) ?? null,
    bar_count: Number(o["bar_count"] ?? 0),
  };
}

function runW(o: M["RunOut"]): RunW {
  return {
    id: s(o["id"]),
    status: s(o["status"]),
    scenario_slug: s(o["scenario_slug"]),
    bot_name: (o["bot_name"] as string | null) ?? null,
    cash: dec(o["cash"] as string),
    starting_cash: dec(o["starting_cash"] as string),
    equity: dec(o["equity"] as string),
    sim_time: s(o["sim_time"]),
    done: Boolean(o["done"]),
  };
}

function orderW(o: M["OrderOut"]): OrderW {
  const out: OrderW = {
    id: s(o["id"]),
    symbol: s(o["symbol"]),
    side: s(o["side"]),
    quantity: dec(o["quantity"] as string),
    order_type: s(o["order_type"]),
    time_in_force: s(o["time_in_force"]),
    status: s(o["status"]),
    filled_quantity: dec(o["filled_quantity"] as string),
    role: s(o["role"]),
    created_at: s(o["created_at"]),
  };
  const opt = { limit_price: optDec(o["limit_price"] as string), stop_price: optDec(o["stop_price"] as string), avg_fill_price: optDec(o["avg_fill_price"] as string) };
  for (const [k, v] of Object.entries(opt)) if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  for (const k of ["rejection_reason", "end_reason", "parent_id", "reasoning"] as const) if (o[k] !== undefined && o[k] !== null) out[k] = s(o[k]);
  return out;
}

function fillW(o: M["FillOut"]): FillW {
  const out: FillW = {
    order_id: s(o["order_id"]),
    symbol: s(o["symbol"]),
    side: s(o["side"]),
    quantity: dec(o["quantity"] as string),
    fill_price: dec(o["fill_price"] as string),
    slippage_bps: dec(o["slippage_bps"] as string),
    commission: dec(o["commission"] as string),
    total_value: dec(o["total_value"] as string),
    ts: s(o["ts"]),
    bar_index: Number(o["bar_index"]),
    role: s(o["role"]),
  };
  if (o["reasoning"] !== undefined && o["reasoning"] !== null) out.reasoning = s(o["reasoning"]);
  return out;
}

function stepW(o: M["StepOut"]): StepW {
  return {
    bars_advanced: Number(o["bars_advanced"]),
    new_sim_time: s(o["new_sim_time"]),
    fills: ((o["fills"] as M["FillOut"][]) ?? []).map(fillW),
    equity: dec(o["equity"] as string),
    cash: dec(o["cash"] as string),
    positions_value: dec(o["positions_value"] as string),
    done: Boolean(o["done"]),
    liquidated: Boolean(o["liquidated"]),
  };
}

function resultsW(o: M["ResultsOut"]): ResultsW {
  const out: ResultsW = {
    final_equity: dec(o["final_equity"] as string),
    return_pct: Number(o["return_pct"]),
    max_drawdown: Number(o["max_drawdown"]),
    trade_count: Number(o["trade_count"]),
    liquidated: Boolean(o["liquidated"]),
    per_symbol: ((o["per_symbol"] as Array<Record<string, unknown>>) ?? []).map((p) => ({
      symbol: s(p["symbol"]),
      realized_pnl: dec(p["realized_pnl"] as string),
      unrealized_pnl: dec(p["unrealized_pnl"] as string),
      fees: dec(p["fees"] as string),
      net_pnl: dec(p["net_pnl"] as string),
    })),
  };
  const sharpe = num(o["sharpe"]);
  const sortino = num(o["sortino"]);
  const bench = num(o["benchmark_return_pct"]);
  if (sharpe !== undefined) out.sharpe = sharpe;
  if (sortino !== undefined) out.sortino = sortino;
  if (bench !== undefined) out.benchmark_return_pct = bench;
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
    return (await this.client.benchmark.listScenarios()).scenarios.map((o) => scenarioW(o as unknown as M["ScenarioOut"]));
  }
  async getScenario(idOrSlug: string): Promise<ScenarioW> {
    return scenarioW((await this.client.benchmark.getScenario(idOrSlug)).scenario as unknown as M["ScenarioOut"]);
  }
  async createRun(scenarioSlug: string, botName?: string): Promise<RunW> {
    return runW((await this.b.createRun(scenarioSlug, botName === undefined ? {} : { botName })).run as unknown as M["RunOut"]);
  }
  async getRun(runId: string): Promise<RunDetailW> {
    const d = await this.b.getRun(runId);
    return {
      run: runW(d.run as unknown as M["RunOut"]),
      positions: d.positions.map((p) => {
        const o = p as unknown as Record<string, unknown>;
        return { symbol: s(o["symbol"]), quantity: dec(o["quantity"] as string), avg_cost: dec(o["avg_cost"] as string), current_price: dec(o["current_price"] as string), market_value: dec(o["market_value"] as string), unrealized_pnl: dec(o["unrealized_pnl"] as string) };
      }),
      queued_orders: d.queued_orders.map((o) => orderW(o as unknown as M["OrderOut"])),
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
    return orderW((await this.b.trade(runId, { ...order })).order as unknown as M["OrderOut"]);
  }
  async step(runId: string, count: number): Promise<StepW> {
    return stepW((await this.b.step(runId, count)) as unknown as M["StepOut"]);
  }
  async holdUntilEnd(runId: string, maxBars: number | undefined, requireFlat: boolean): Promise<StepW> {
    return stepW((await this.b.holdUntilEnd(runId, { ...(maxBars === undefined ? {} : { maxBars }), requireFlat })) as unknown as M["StepOut"]);
  }
  async liquidateAndFinish(runId: string, rationale: string, maxBars: number | undefined): Promise<StepW> {
    return stepW((await this.b.liquidateAndFinish(runId, rationale, maxBars === undefined ? {} : { maxBars })) as unknown as M["StepOut"]);
  }
  async advanceUntilNextSession(runId: string, maxBars: number | undefined): Promise<StepW> {
    return stepW((await this.b.advanceUntilNextSession(runId, maxBars === undefined ? {} : { maxBars })) as unknown as M["StepOut"]);
  }
  async results(runId: string): Promise<ResultsW> {
    return resultsW((await this.b.results(runId)).results as unknown as M["ResultsOut"]);
  }
  async trades(runId: string): Promise<FillW[]> {
    return (await this.b.listTrades(runId)).trades.map((f) => fillW(f as unknown as M["FillOut"]));
  }
  async publish(runId: string): Promise<{ published: boolean; results: ResultsW; leaderboard: string }> {
    const p = await this.b.publish(runId);
    return { published: p.published, results: resultsW(p.results as unknown as M["ResultsOut"]), leaderboard: `${this.baseUrl}/api/v1/leaderboard` };
  }
}
