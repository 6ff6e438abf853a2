/**
 * `vt.Client`: the hosted API (server/openapi.json) in groups as the seeds group them — `auth`,
 * `bot`, `benchmark`, `agents`, `journal`, `meta` — the same groups and names as the Python
 * client's, in camelCase, every call awaited and taking `{ signal, timeoutMs, maxRetries }` last.
 */

import { invalid } from "../errors.js";
import type { OrderRequest } from "../models.js";
import type * as M from "./models.js";
import type { OperationName } from "./operations.js";
import { Transport, environment, newKey, type CallOptions, type ClientOptions, type Request, type ResponseInfo, type ViewOptions } from "./transport.js";

/** Money or a quantity as the client takes it: a decimal string (exact) or a number. */
export type Amount = string | number;

/** The fields of an order: a `vt.Order.limit(...)` (camelCase) or the route's own snake_case fields. */
export type OrderInput = OrderRequest | Record<string, unknown>;

const CAMEL_TO_WIRE: Record<string, string> = {
  orderType: "order_type",
  limitPrice: "limit_price",
  stopPrice: "stop_price",
  timeInForce: "time_in_force",
  takeProfit: "take_profit",
  stopLoss: "stop_loss",
  clientOrderId: "client_order_id",
  assetType: "asset_type",
  idempotencyKey: "idempotency_key",
};

/** An order as the fields of a request body (snake_case, undefined dropped). */
function orderFields(order: OrderInput | undefined): Record<string, unknown> {
  if (order === undefined) return {};
  if (order === null || typeof order !== "object" || Array.isArray(order)) throw invalid("an order must be an object (vt.Order.limit(...) or its fields)");
  const trims = (order as { trims?: unknown[] }).trims;
  if (Array.isArray(trims) && trims.length > 0) throw invalid("trims are not part of the HTTP order: place the exits as their own orders");
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(order)) {
    if (v === undefined || v === null || k === "trims") continue;
    out[CAMEL_TO_WIRE[k] ?? k] = v;
  }
  return out;
}

function defined<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== null)) as Partial<T>;
}

abstract class Group {
  constructor(protected readonly t: Transport) {}
  protected call<T>(name: OperationName, req: Request = {}): Promise<T> {
    return this.t.call(name, req) as Promise<T>;
  }
}

/** Health, the OpenAPI document, the documentation pages, and the local server's operator route. */
export class Meta extends Group {
  /** `GET /api/health`. */
  health(o?: CallOptions): Promise<M.Health> {
    return this.call("meta.health", { options: o });
  }
  /** `GET /api/v1/health`. */
  healthV1(o?: CallOptions): Promise<M.Health> {
    return this.call("meta.healthV1", { options: o });
  }
  /** `GET /api/openapi.json`. */
  openapi(o?: CallOptions): Promise<Record<string, any>> {
    return this.call("meta.openapi", { options: o });
  }
  /** The API reference page (HTML text). */
  docs(o?: CallOptions): Promise<string> {
    return this.call("meta.docs", { options: o });
  }
  /** `GET /api/llms.txt`. */
  llmsTxt(o?: CallOptions): Promise<string> {
    return this.call("meta.llmsTxt", { options: o });
  }
  /** `GET /api/agent-skills.md`. */
  agentSkills(o?: CallOptions): Promise<string> {
    return this.call("meta.agentSkills", { options: o });
  }
  /**
   * Local server with `--bar-interval manual`: reveal the next `bars` bars of the bot market (needs
   * the operator token the server prints: `operatorToken` or `VECTRADE_OPERATOR_TOKEN`).
   */
  advanceMarket(bars = 1, o?: CallOptions): Promise<Record<string, any>> {
    return this.call("meta.advanceMarket", { body: { bars }, options: o });
  }
}

/** Accounts (seed 004): register, and log in for the JWT the management routes take. */
export class Auth extends Group {
  /** A new account; its `api_key` and `api_secret` are shown once. */
  register(displayName?: string, o?: CallOptions): Promise<M.RegisterOut> {
    return this.call("auth.register", { body: defined({ display_name: displayName }), options: o });
  }
  /**
   * A JWT for the agent and bot key routes, kept by this client for them. The key and secret are
   * kept too (in memory, never logged): when the server refuses the JWT (it expired), the client
   * logs in again once and repeats the request.
   */
  async login(apiKey?: string, apiSecret?: string, o?: CallOptions): Promise<M.TokenOut> {
    const env = environment();
    const key = apiKey ?? this.t.apiKey;
    const secret = apiSecret ?? env["VECTRADE_API_SECRET"];
    const out = await this.call<M.TokenOut>("auth.login", { body: { api_key: key, api_secret: secret }, options: o });
    this.t.token = out.token;
    if (key && secret) this.t.rememberLogin(key, secret);
    return out;
  }
}

/** Bot trading (seed 000): keys (with the login JWT), account, orders, portfolio and KPIs. */
export class Bot extends Group {
  /** `GET /api/trade/v1/bot/keys`. */
  listKeys(o?: CallOptions): Promise<M.KeyOut[]> {
    return this.call("bot.listKeys", { options: o });
  }
  /** A new bot key (`key` is shown once): `client.setCredentials({ botKey })` to use it. */
  createKey(label?: string, o?: CallOptions): Promise<M.KeyCreated> {
    return this.call("bot.createKey", { body: defined({ label }), options: o });
  }
  /** `DELETE /api/trade/v1/bot/keys/{id}`. */
  revokeKey(keyId: string, o?: CallOptions): Promise<void> {
    return this.call("bot.revokeKey", { path: { id: keyId }, options: o });
  }
  /** `GET /api/trade/v1/bot/account`. */
  account(o?: CallOptions): Promise<M.AccountOut> {
    return this.call("bot.account", { options: o });
  }
  /**
   * Places an order (`vt.Order.limit("AAPL", "buy", 10, "185")` or the route's fields). The client
   * gives it a `client_order_id` (or uses yours) and sends that same id on every retry: the order
   * exists once.
   */
  placeOrder(order: OrderInput, o?: CallOptions): Promise<M.BotOrder> {
    const body = orderFields(order);
    body["client_order_id"] ??= newKey();
    return this.call("bot.placeOrder", { body, idempotent: true, options: o });
  }
  /** `GET /api/trade/v1/bot/orders`. */
  listOrders(filter: { status?: string; limit?: number } = {}, o?: CallOptions): Promise<M.BotOrder[]> {
    return this.call("bot.listOrders", { query: filter, options: o });
  }
  /** `GET /api/trade/v1/bot/orders/{id}`. */
  getOrder(orderId: string, o?: CallOptions): Promise<M.BotOrder> {
    return this.call("bot.getOrder", { path: { id: orderId }, options: o });
  }
  /** `DELETE /api/trade/v1/bot/orders/{id}`. */
  cancelOrder(orderId: string, o?: CallOptions): Promise<void> {
    return this.call("bot.cancelOrder", { path: { id: orderId }, options: o });
  }
  /** `GET /api/trade/v1/bot/portfolio`. */
  portfolio(o?: CallOptions): Promise<M.PortfolioOut> {
    return this.call("bot.portfolio", { options: o });
  }
  /** `GET /api/trade/v1/bot/kpi`. */
  kpi(o?: CallOptions): Promise<M.KpiOut> {
    return this.call("bot.kpi", { options: o });
  }
}

/** Options of a new benchmark run. */
export interface RunOptions {
  botName?: string;
  agentInfo?: Record<string, unknown>;
}

/** Benchmark runs (seeds 001 and 003): scenarios, runs, market, trades, steps, results, publishing, leaderboard, billing. */
export class Benchmark extends Group {
  /** `GET /api/v1/scenarios`. */
  listScenarios(o?: CallOptions): Promise<M.ScenarioList> {
    return this.call("benchmark.listScenarios", { options: o });
  }
  /** `GET /api/v1/scenarios/{id}`. */
  getScenario(scenario: string, o?: CallOptions): Promise<M.ScenarioOne> {
    return this.call("benchmark.getScenario", { path: { id: scenario }, options: o });
  }
  /** `POST /api/v1/runs`; never retried (each call would start, and count, another run). */
  createRun(scenario: string, run: RunOptions = {}, o?: CallOptions): Promise<M.RunOne> {
    const body = defined({ scenario_slug: scenario, bot_name: run.botName, agent_info: run.agentInfo });
    return this.call("benchmark.createRun", { body, options: o });
  }
  /** A new run as a {@link RemoteRun}: `market()`, `trade()`, `step()`, `results()`, `publish()`, `get()`. */
  async startRun(scenario: string, run: RunOptions = {}, o?: CallOptions): Promise<RemoteRun> {
    const created = await this.createRun(scenario, run, o);
    return new RemoteRun(this, created.run);
  }
  /** A {@link RemoteRun} for an existing run id (no request). */
  run(runId: string): RemoteRun {
    return new RemoteRun(this, { id: runId } as M.RunOut);
  }
  /** `GET /api/v1/runs/{id}`. */
  getRun(runId: string, o?: CallOptions): Promise<M.RunDetail> {
    return this.call("benchmark.getRun", { path: { id: runId }, options: o });
  }
  /** `GET /api/v1/runs/{id}/market`: bars up to the run's clock per symbol. */
  market(runId: string, view: { symbols?: readonly string[]; lookback?: number } = {}, o?: CallOptions): Promise<M.MarketOut> {
    return this.call("benchmark.market", { path: { id: runId }, query: { symbols: view.symbols, lookback: view.lookback }, options: o });
  }
  /**
   * Queues an order for the next bar. The client gives it an `idempotency_key` (or uses yours), the
   * same on every retry: the order is queued once.
   */
  trade(runId: string, order: OrderInput, o?: CallOptions): Promise<M.OrderOne> {
    const body = orderFields(order);
    body["idempotency_key"] ??= newKey();
    return this.call("benchmark.trade", { path: { id: runId }, body, idempotent: true, options: o });
  }
  /** `GET /api/v1/runs/{id}/trades`: the run's fills so far. */
  listTrades(runId: string, o?: CallOptions): Promise<M.TradesOut> {
    return this.call("benchmark.listTrades", { path: { id: runId }, options: o });
  }
  /** `GET /api/v1/runs/{id}/orders`: every order of the run, oldest first; `{ status: "open" }` the working ones only. */
  listOrders(runId: string, filter: { status?: "open" } = {}, o?: CallOptions): Promise<M.OrdersOut> {
    return this.call("benchmark.listOrders", { path: { id: runId }, query: { status: filter.status }, options: o });
  }
  /**
   * `DELETE /api/v1/runs/{id}/orders/{order_id}`: cancels a working order; one no longer working is
   * refused with `order_not_cancellable`.
   */
  cancelOrder(runId: string, orderId: string, o?: CallOptions): Promise<M.OrderOne> {
    return this.call("benchmark.cancelOrder", { path: { id: runId, order_id: orderId }, options: o });
  }
  /** Advances the run `count` bars (1 by default); retried with one key, so a step is taken once. */
  step(runId: string, count?: number, o?: CallOptions & { idempotencyKey?: string }): Promise<M.StepOut> {
    const body = defined({ count, idempotency_key: o?.idempotencyKey ?? newKey() });
    return this.call("benchmark.step", { path: { id: runId }, body, idempotent: true, options: o });
  }
  /**
   * `POST /api/v1/runs/{id}/hold-until-end`: steps to the end (or `maxBars`) placing nothing new;
   * with `requireFlat`, refused (`positions_open`) while the run holds positions. Retried with one
   * idempotency key, as a step.
   */
  holdUntilEnd(runId: string, hold: { maxBars?: number; requireFlat?: boolean } = {}, o?: CallOptions & { idempotencyKey?: string }): Promise<M.StepOut> {
    const body = defined({ max_bars: hold.maxBars, require_flat: hold.requireFlat, idempotency_key: o?.idempotencyKey ?? newKey() });
    return this.call("benchmark.holdUntilEnd", { path: { id: runId }, body, idempotent: true, options: o });
  }
  /**
   * `POST /api/v1/runs/{id}/liquidate-and-finish`: cancels the working orders, closes every position
   * at the next open and steps to the end (or `maxBars`). Retried with one idempotency key.
   */
  liquidateAndFinish(runId: string, rationale: string, finish: { maxBars?: number } = {}, o?: CallOptions & { idempotencyKey?: string }): Promise<M.StepOut> {
    const body = defined({ rationale, max_bars: finish.maxBars, idempotency_key: o?.idempotencyKey ?? newKey() });
    return this.call("benchmark.liquidateAndFinish", { path: { id: runId }, body, idempotent: true, options: o });
  }
  /**
   * `POST /api/v1/runs/{id}/advance-until-next-session`: steps until the clock enters the next
   * trading session (at most `maxBars`). Retried with one idempotency key.
   */
  advanceUntilNextSession(runId: string, advance: { maxBars?: number } = {}, o?: CallOptions & { idempotencyKey?: string }): Promise<M.StepOut> {
    const body = defined({ max_bars: advance.maxBars, idempotency_key: o?.idempotencyKey ?? newKey() });
    return this.call("benchmark.advanceUntilNextSession", { path: { id: runId }, body, idempotent: true, options: o });
  }
  /** `GET /api/v1/runs/{id}/results`: the grade of a finished run. */
  results(runId: string, o?: CallOptions): Promise<M.ResultsOne> {
    return this.call("benchmark.results", { path: { id: runId }, options: o });
  }
  /** `POST /api/v1/runs/{id}/publish`. */
  publish(runId: string, o?: CallOptions): Promise<M.Published> {
    return this.call("benchmark.publish", { path: { id: runId }, options: o });
  }
  /** `GET /api/v1/runs/{id}/public`. */
  publicRun(runId: string, o?: CallOptions): Promise<M.PublicRun> {
    return this.call("benchmark.publicRun", { path: { id: runId }, options: o });
  }
  /** `GET /api/v1/leaderboard`. */
  leaderboard(filter: { scenario?: string; sortBy?: string; limit?: number } = {}, o?: CallOptions): Promise<M.Leaderboard> {
    return this.call("benchmark.leaderboard", { query: { scenario: filter.scenario, sort_by: filter.sortBy, limit: filter.limit }, options: o });
  }
  /** `GET /api/v1/leaderboard/scenarios`. */
  leaderboardScenarios(o?: CallOptions): Promise<M.LeaderboardScenarios> {
    return this.call("benchmark.leaderboardScenarios", { options: o });
  }
  /** `GET /api/v1/billing/account`. */
  billingAccount(o?: CallOptions): Promise<M.BillingAccount> {
    return this.call("benchmark.billingAccount", { options: o });
  }
  /** `PATCH /api/v1/billing/account`: the leaderboard handle (Pro). */
  setHandle(handle: string, o?: CallOptions): Promise<M.BillingAccount> {
    return this.call("benchmark.setHandle", { body: { handle }, options: o });
  }
  /** `POST /api/v1/billing/checkout`. */
  checkout(o?: CallOptions): Promise<M.BillingLink> {
    return this.call("benchmark.checkout", { options: o });
  }
  /** `POST /api/v1/billing/portal`. */
  portal(o?: CallOptions): Promise<M.BillingLink> {
    return this.call("benchmark.portal", { options: o });
  }
  /** The local server's page in place of a payment provider (text). */
  billingLocal(o?: CallOptions): Promise<string> {
    return this.call("benchmark.billingLocal", { options: o });
  }
}

/**
 * A benchmark run on a server, driven as the seeds' loop: `market()`, `trade()`, `step()` until
 * `step().done`, then `results()` and `publish()`. `data` is the run as last seen.
 */
export class RemoteRun {
  readonly id: string;
  data: M.RunOut;
  done: boolean;

  constructor(
    private readonly benchmark: Benchmark,
    data: M.RunOut,
  ) {
    this.id = String(data.id);
    this.data = data;
    this.done = Boolean((data as { done?: boolean }).done);
  }
  /** `GET /api/v1/runs/{id}`: the run, its positions and queued orders; refreshes `data` and `done`. */
  async get(o?: CallOptions): Promise<M.RunDetail> {
    const run = await this.benchmark.getRun(this.id, o);
    this.data = run.run;
    this.done = Boolean((run.run as { done?: boolean }).done);
    return run;
  }
  /** Bars up to the run's clock per symbol (`lookback` bars each). */
  market(view: { symbols?: readonly string[]; lookback?: number } = {}, o?: CallOptions): Promise<M.MarketOut> {
    return this.benchmark.market(this.id, view, o);
  }
  /** Queues an order for the next bar; retried with one idempotency key. */
  trade(order: OrderInput, o?: CallOptions): Promise<M.OrderOne> {
    return this.benchmark.trade(this.id, order, o);
  }
  /** The run's fills so far. */
  trades(o?: CallOptions): Promise<M.TradesOut> {
    return this.benchmark.listTrades(this.id, o);
  }
  /** The run's orders, oldest first (`{ status: "open" }`: the working ones). */
  orders(filter: { status?: "open" } = {}, o?: CallOptions): Promise<M.OrdersOut> {
    return this.benchmark.listOrders(this.id, filter, o);
  }
  /** Cancels a working order of the run. */
  cancel(orderId: string, o?: CallOptions): Promise<M.OrderOne> {
    return this.benchmark.cancelOrder(this.id, orderId, o);
  }
  /** Advances `count` bars (1 by default); `.done` (or `.liquidated`) says the run is over. */
  async step(count?: number, o?: CallOptions): Promise<M.StepOut> {
    const out = await this.benchmark.step(this.id, count, o);
    this.done = Boolean(out.done || out.liquidated);
    return out;
  }
  /** Steps to the end (or `maxBars`) placing nothing new; `requireFlat` refuses while positions are open. */
  async holdUntilEnd(hold: { maxBars?: number; requireFlat?: boolean } = {}, o?: CallOptions): Promise<M.StepOut> {
    return this.track(await this.benchmark.holdUntilEnd(this.id, hold, o));
  }
  /** Closes every position at the next open and steps to the end (or `maxBars`). */
  async liquidateAndFinish(rationale: string, finish: { maxBars?: number } = {}, o?: CallOptions): Promise<M.StepOut> {
    return this.track(await this.benchmark.liquidateAndFinish(this.id, rationale, finish, o));
  }
  /** Steps until the clock enters the next trading session (at most `maxBars`). */
  async advanceUntilNextSession(advance: { maxBars?: number } = {}, o?: CallOptions): Promise<M.StepOut> {
    return this.track(await this.benchmark.advanceUntilNextSession(this.id, advance, o));
  }
  private track(out: M.StepOut): M.StepOut {
    this.done = Boolean(out.done || out.liquidated);
    return out;
  }
  /** The grade of a finished run. */
  results(o?: CallOptions): Promise<M.ResultsOne> {
    return this.benchmark.results(this.id, o);
  }
  /** Publishes the finished run to the leaderboard. */
  publish(o?: CallOptions): Promise<M.Published> {
    return this.benchmark.publish(this.id, o);
  }
}

/** Walks every page of a list (`limit`/`offset`, `total`). */
async function* pages<T>(fetchPage: (limit: number, offset: number) => Promise<{ total: number } & Record<string, unknown>>, key: string, pageSize: number): AsyncGenerator<T> {
  let offset = 0;
  for (;;) {
    const page = await fetchPage(pageSize, offset);
    const items = (page[key] ?? []) as T[];
    yield* items;
    offset += items.length;
    if (items.length === 0 || offset >= page.total) return;
  }
}

/** Fields of a new agent besides its name. */
export interface AgentFields {
  starting_balance?: Amount;
  risk_profile?: Record<string, unknown>;
  color?: string;
  framework?: string;
  llm_model?: string;
  strategy_tags?: string[];
}

/** Agents (seed 004), with the JWT of `client.auth.login`. */
export class Agents extends Group {
  /** A new agent; its `api_key` is in the answer. */
  create(displayName: string, fields: AgentFields = {}, o?: CallOptions): Promise<M.AgentCredentialsResponse> {
    const body: Record<string, unknown> = defined({ display_name: displayName, ...fields });
    if (typeof body["starting_balance"] === "number") body["starting_balance"] = String(body["starting_balance"]);
    return this.call("agents.create", { body, options: o });
  }
  /** One page: `{ agents, total }`. {@link iter} walks every page. */
  list(filter: { includeArchived?: boolean; limit?: number; offset?: number } = {}, o?: CallOptions): Promise<M.AgentList> {
    return this.call("agents.list", { query: { include_archived: filter.includeArchived, limit: filter.limit, offset: filter.offset }, options: o });
  }
  /** Every agent, page after page: `for await (const a of client.agents.iter())`. */
  iter(filter: { includeArchived?: boolean; pageSize?: number } = {}, o?: CallOptions): AsyncGenerator<M.AgentResponse> {
    return pages((limit, offset) => this.list({ includeArchived: filter.includeArchived, limit, offset }, o) as never, "agents", filter.pageSize ?? 50);
  }
  /** `GET /api/v1/agents/overview`. */
  overview(o?: CallOptions): Promise<M.AgentList> {
    return this.call("agents.overview", { options: o });
  }
  /** `GET /api/v1/agents/{agent_id}`. */
  get(agentId: string, o?: CallOptions): Promise<M.AgentResponse> {
    return this.call("agents.get", { path: { agent_id: agentId }, options: o });
  }
  /** Changes `display_name`, `color`, `framework`, `llm_model` or `strategy_tags`. */
  update(agentId: string, fields: Record<string, unknown>, o?: CallOptions): Promise<M.AgentResponse> {
    return this.call("agents.update", { path: { agent_id: agentId }, body: fields, options: o });
  }
  /** `DELETE /api/v1/agents/{agent_id}`. */
  delete(agentId: string, o?: CallOptions): Promise<void> {
    return this.call("agents.delete", { path: { agent_id: agentId }, options: o });
  }
  /** `GET /api/v1/agents/{agent_id}/api-key`. */
  apiKey(agentId: string, o?: CallOptions): Promise<M.AgentKeyResponse> {
    return this.call("agents.apiKey", { path: { agent_id: agentId }, options: o });
  }
  /** `POST /api/v1/agents/{agent_id}/archive`. */
  archive(agentId: string, o?: CallOptions): Promise<M.AgentResponse> {
    return this.call("agents.archive", { path: { agent_id: agentId }, options: o });
  }
  /** `POST /api/v1/agents/{agent_id}/clone`. */
  clone(agentId: string, newName?: string, o?: CallOptions): Promise<M.AgentCredentialsResponse> {
    return this.call("agents.clone", { path: { agent_id: agentId }, query: { new_name: newName }, options: o });
  }
  /** `POST /api/v1/agents/{agent_id}/regenerate-key`. */
  regenerateKey(agentId: string, o?: CallOptions): Promise<M.AgentKeyResponse> {
    return this.call("agents.regenerateKey", { path: { agent_id: agentId }, options: o });
  }
  /** `POST /api/v1/agents/{agent_id}/reset`. */
  reset(agentId: string, o?: CallOptions): Promise<M.AgentResponse> {
    return this.call("agents.reset", { path: { agent_id: agentId }, options: o });
  }
  /** `GET /api/v1/agents/{agent_id}/risk-profile`. */
  riskProfile(agentId: string, o?: CallOptions): Promise<M.RiskProfileInfo> {
    return this.call("agents.riskProfile", { path: { agent_id: agentId }, options: o });
  }
  /** Replaces the limits: `max_position_size_pct`, `daily_loss_limit_pct`, `max_open_orders`. */
  setRiskProfile(agentId: string, profile: Record<string, unknown>, o?: CallOptions): Promise<M.RiskProfileInfo> {
    return this.call("agents.setRiskProfile", { path: { agent_id: agentId }, body: profile, options: o });
  }
  /** `GET /api/v1/agents/{agent_id}/skill.md`. */
  skillMd(agentId: string, o?: CallOptions): Promise<string> {
    return this.call("agents.skillMd", { path: { agent_id: agentId }, options: o });
  }
}

/** A filter of the journal's list. */
export interface JournalFilter {
  status?: string;
  symbol?: string;
}

/** The bot trade journal (seed 002) under a bot's slug, with the account's key or a bot key. */
export class Journal extends Group {
  /** One page: `{ success, trades, total }`. {@link iterTrades} walks every page. */
  listTrades(slug: string, filter: JournalFilter & { limit?: number; offset?: number } = {}, o?: CallOptions): Promise<M.TradeList> {
    return this.call("journal.listTrades", { path: { slug }, query: { ...filter }, options: o });
  }
  /** Every trade, page after page: `for await (const t of client.journal.iterTrades(slug))`. */
  iterTrades(slug: string, filter: JournalFilter & { pageSize?: number } = {}, o?: CallOptions): AsyncGenerator<M.TradeOut> {
    const { pageSize, ...rest } = filter;
    return pages((limit, offset) => this.listTrades(slug, { ...rest, limit, offset }, o) as never, "trades", pageSize ?? 50);
  }
  /** A trade from its first transactions; other fields: `symbol`, `tradeType`, `signalAt`, `notes`, `metadata`. */
  createTrade(slug: string, transactions: Array<Record<string, unknown>>, fields: Record<string, unknown> = {}, o?: CallOptions): Promise<M.TradeReply> {
    return this.call("journal.createTrade", { path: { slug }, body: { transactions, ...fields }, options: o });
  }
  /** `GET /api/bots/{slug}/trades/{tradeId}`. */
  getTrade(slug: string, tradeId: string, o?: CallOptions): Promise<M.TradeOne> {
    return this.call("journal.getTrade", { path: { slug, tradeId }, options: o });
  }
  /** Changes `notes`, `metadata` or `signalAt`. */
  updateTrade(slug: string, tradeId: string, fields: Record<string, unknown>, o?: CallOptions): Promise<M.TradeReply> {
    return this.call("journal.updateTrade", { path: { slug, tradeId }, body: fields, options: o });
  }
  /** `POST /api/bots/{slug}/trades/{tradeId}/transactions`. */
  addTransactions(slug: string, tradeId: string, transactions: Array<Record<string, unknown>>, o?: CallOptions): Promise<M.TradeReply & { transactionsAdded: number }> {
    return this.call("journal.addTransactions", { path: { slug, tradeId }, body: { transactions }, options: o });
  }
}

/**
 * The VecTrade HTTP API on `fetch` (Node 18+ and browsers). Configuration from the options, else
 * `VECTRADE_BASE_URL`, `VECTRADE_API_KEY`, `VECTRADE_BOT_KEY` where there is a `process.env`.
 * Requests that are safe to repeat are retried (2 times by default, exponential backoff with
 * jitter, `Retry-After` honoured): GET, DELETE, and the POSTs that carry a key the client made.
 */
export class Client {
  readonly meta: Meta;
  readonly auth: Auth;
  readonly bot: Bot;
  readonly benchmark: Benchmark;
  readonly agents: Agents;
  readonly journal: Journal;
  private readonly transport: Transport;

  constructor(options: ClientOptions = {}, transport?: Transport) {
    this.transport = transport ?? new Transport(options);
    this.meta = new Meta(this.transport);
    this.auth = new Auth(this.transport);
    this.bot = new Bot(this.transport);
    this.benchmark = new Benchmark(this.transport);
    this.agents = new Agents(this.transport);
    this.journal = new Journal(this.transport);
  }

  /** The server's base URL, without a trailing slash. */
  get baseUrl(): string {
    return this.transport.baseUrl;
  }
  /** The JWT of `auth.login`, sent on the agent and bot key routes. */
  get token(): string | undefined {
    return this.transport.token;
  }
  /** Status, headers (`x-request-id`, `x-ratelimit-remaining`, ...), time and attempts of the latest answer. */
  get lastResponse(): ResponseInfo | undefined {
    return this.transport.lastResponse;
  }
  /** Changes the credentials of later calls (a new bot key, an agent's key, a token). */
  setCredentials(credentials: { apiKey?: string; botKey?: string; token?: string; operatorToken?: string }): void {
    if (credentials.apiKey !== undefined) this.transport.apiKey = credentials.apiKey;
    if (credentials.botKey !== undefined) this.transport.botKey = credentials.botKey;
    if (credentials.token !== undefined) this.transport.token = credentials.token;
    if (credentials.operatorToken !== undefined) this.transport.operatorToken = credentials.operatorToken;
  }
  /**
   * This client (same credentials and `lastResponse`) with other options for the calls made
   * through the view it returns: `client.withOptions({ maxRetries: 0 }).bot.placeOrder(...)`, or
   * `client.withOptions({ agentId })` to act as one of the logged-in account's agents on the
   * benchmark and bot routes (its JWT with `X-Agent-Id`, seed 004) without handling the agent's key.
   */
  withOptions(options: ViewOptions): Client {
    return new Client({}, this.transport.view(options));
  }
  /** No secret in the printout. */
  toString(): string {
    return `Client(${this.baseUrl})`;
  }
}
