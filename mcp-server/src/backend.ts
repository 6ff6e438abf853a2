/**
 * What a backend answers, in the benchmark REST API's own shapes (seed 001, server/openapi.json):
 * snake_case fields, money and quantities as exact decimal strings without trailing zeros,
 * timestamps in RFC 3339 UTC. Both backends (`http`: the hosted API or the local server through
 * `vt.Client`; `offline`: the embedded engine) answer these shapes, so every tool is written once.
 */

/** A scenario (`GET /api/v1/scenarios`). */
export interface ScenarioW {
  id: string;
  slug: string;
  name: string;
  description: string;
  status: string;
  universe: string[];
  starting_cash: string;
  leverage_cap: string;
  short_enabled: boolean;
  bar_resolution: string;
  start_ts: string | null;
  end_ts: string | null;
  benchmark_symbol: string | null;
  bar_count: number;
}

export interface RunW {
  id: string;
  status: string;
  scenario_slug: string;
  bot_name: string | null;
  cash: string;
  starting_cash: string;
  equity: string;
  sim_time: string;
  done: boolean;
}

export interface PositionW {
  symbol: string;
  quantity: string;
  avg_cost: string;
  current_price: string;
  market_value: string;
  unrealized_pnl: string;
}

export interface OrderW {
  id: string;
  symbol: string;
  side: string;
  quantity: string;
  order_type: string;
  limit_price?: string;
  stop_price?: string;
  time_in_force: string;
  status: string;
  filled_quantity: string;
  avg_fill_price?: string;
  role: string;
  created_at: string;
  rejection_reason?: string;
  end_reason?: string;
  parent_id?: string;
  reasoning?: string;
}

export interface RunDetailW {
  run: RunW;
  positions: PositionW[];
  queued_orders: OrderW[];
  last_equity: string;
}

export interface BarW {
  ts: string;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
}

export interface MarketW {
  sim_time: string;
  bars: Record<string, BarW[]>;
}

export interface FillW {
  order_id: string;
  symbol: string;
  side: string;
  quantity: string;
  fill_price: string;
  slippage_bps: string;
  commission: string;
  total_value: string;
  ts: string;
  bar_index: number;
  role: string;
  reasoning?: string;
}

export interface StepW {
  bars_advanced: number;
  new_sim_time: string;
  fills: FillW[];
  equity: string;
  cash: string;
  positions_value: string;
  done: boolean;
  liquidated: boolean;
}

export interface SymbolPnlW {
  symbol: string;
  realized_pnl: string;
  unrealized_pnl: string;
  fees: string;
  net_pnl: string;
}

/** The grade: `final_equity` as the shortest decimal of its double (as the REST API sends it), ratios as numbers. */
export interface ResultsW {
  final_equity: string;
  return_pct: number;
  sharpe?: number;
  sortino?: number;
  max_drawdown: number;
  trade_count: number;
  liquidated: boolean;
  benchmark_return_pct?: number;
  per_symbol: SymbolPnlW[];
}

/** An order as queued by `POST /api/v1/runs/{id}/trades`. */
export interface TradeW {
  symbol: string;
  side: string;
  quantity: string;
  order_type?: string;
  limit_price?: string;
  stop_price?: string;
  time_in_force?: string;
  stop_loss?: string;
  take_profit?: string;
  reasoning?: string;
}

/** How the server is connected. */
export interface AuthW {
  backend: "http" | "offline";
  status: "connected" | "auth_required";
  base_url?: string;
  api_key: boolean;
  bot_key: boolean;
  detail: string;
}

/** The benchmark and bot operations the tools need. */
export interface Backend {
  readonly kind: "http" | "offline";
  auth(): AuthW;
  listScenarios(): Promise<ScenarioW[]>;
  getScenario(idOrSlug: string): Promise<ScenarioW>;
  createRun(scenarioSlug: string, botName?: string): Promise<RunW>;
  getRun(runId: string): Promise<RunDetailW>;
  market(runId: string, symbols: string[] | undefined, lookback: number): Promise<MarketW>;
  trade(runId: string, order: TradeW): Promise<OrderW>;
  step(runId: string, count: number): Promise<StepW>;
  holdUntilEnd(runId: string, maxBars: number | undefined, requireFlat: boolean): Promise<StepW>;
  liquidateAndFinish(runId: string, rationale: string, maxBars: number | undefined): Promise<StepW>;
  advanceUntilNextSession(runId: string, maxBars: number | undefined): Promise<StepW>;
  results(runId: string): Promise<ResultsW>;
  trades(runId: string): Promise<FillW[]>;
  publish(runId: string): Promise<{ published: boolean; results: ResultsW; leaderboard: string }>;
  bot: BotBackend;
}

/** Seed 000's bot trading routes (`X-Bot-Key`); bodies as the Bot API sends them. */
export interface BotBackend {
  placeOrder(order: Record<string, unknown>): Promise<Record<string, unknown>>;
  cancelOrder(orderId: string): Promise<Record<string, unknown>>;
  listOrders(filter: { status?: string; limit?: number }): Promise<Array<Record<string, unknown>>>;
  portfolio(): Promise<Record<string, unknown>>;
  kpi(): Promise<Record<string, unknown>>;
  account(): Promise<Record<string, unknown>>;
}

/**
 * A refusal answered to the agent as a tool error (`isError: true`), never a protocol error: the
 * engine's or the server's stable `code`, its `detail`, and the HTTP status when one came.
 */
export class ToolError extends Error {
  constructor(
    readonly code: string,
    readonly detail: string,
    readonly status?: number,
    readonly data: Record<string, unknown> = {},
  ) {
    super(detail);
  }
}

/** Any thrown value as a {@link ToolError} (a `vt.VecTradeError` keeps its code, detail and status). */
export function toolError(e: unknown): ToolError {
  if (e instanceof ToolError) return e;
  if (e !== null && typeof e === "object" && typeof (e as { code?: unknown }).code === "string" && typeof (e as { detail?: unknown }).detail === "string") {
    const v = e as { code: string; detail: string; status?: number };
    return new ToolError(v.code, v.detail, v.status);
  }
  return new ToolError("internal_error", e instanceof Error ? e.message : String(e));
}

/** A decimal text without trailing zeros (`"100000.00"` → `"100000"`, `"-0.0"` → `"0"`). */
export function dec(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return "";
  let s = String(value).trim();
  if (s.includes(".") && !/e/i.test(s)) s = s.replace(/0+$/, "").replace(/\.$/, "");
  return s === "-0" ? "0" : s;
}

/** An optional decimal: left out when absent. */
export function optDec(value: string | number | null | undefined): string | undefined {
  return value === null || value === undefined ? undefined : dec(value);
}

/** UTC milliseconds as RFC 3339 (`2024-04-15T16:00:00Z`), as the REST API writes time. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, "Z");
}
