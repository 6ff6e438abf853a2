/**
 * The 25 tools of the seeds on any backend: VecTrade's bot trading tools (seed 000) and BotTrade's
 * benchmark tools (seed 001), with their names, arguments and constraints. Each answers structured
 * content and a short text summary; a refusal is a tool error carrying the engine's `code` and
 * `detail`, never a protocol error.
 */

import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";

import { type Backend, type OrderW, type StepW, type TradeW, ToolError, toolError } from "./backend.js";
import { INSPECT_MAX_BARS, INSPECT_MAX_SYMBOLS, MARKET_MAX_BARS, columns, scan, stats } from "./observe.js";

/** The default scenario of the smoke test and the prompt. */
export const DEFAULT_SCENARIO = "tech-2024-q2";

const runId = z.string().min(1).describe("The run's id (from start_run)");
const quantity = z.union([z.number().positive(), z.string().regex(/^\d+(\.\d+)?$/)]).describe("Units, positive; fractional allowed (0.25 for crypto pairs)");
const price = z.union([z.number().positive(), z.string().regex(/^\d+(\.\d+)?$/)]);
const ONLY_0_OR_1 = "accepts only 0 or 1 (higher values are rejected to prevent accidental bar-skipping; use advance_until_next_session or hold_until_end to move further)";
const stepCount = z
  .union([z.literal(0), z.literal(1)], { error: `step_count ${ONLY_0_OR_1}` })
  .default(1)
  .describe("Bars to advance after queueing: 1 (default) or 0 to queue only. Higher values are rejected to prevent accidental bar-skipping.");
const maxBars = z.number().int().positive().optional().describe("Stop after this many bars at most");

const trade = z
  .object({
    symbol: z.string().min(1).describe("A symbol of the scenario's universe"),
    side: z.enum(["buy", "sell", "short", "cover"]).describe("buy/sell a long position; short/cover a short one (only when short_enabled)"),
    quantity,
    order_type: z.enum(["MARKET", "LIMIT", "STOP", "STOP_LIMIT"]).optional().describe("MARKET (default) fills at the next bar's open"),
    limit_price: price.optional(),
    stop_price: price.optional(),
    time_in_force: z.enum(["GTC", "DAY", "IOC", "FOK"]).optional(),
    stop_loss: price.optional().describe("Bracket exit below (long) or above (short) the entry"),
    take_profit: price.optional(),
    reasoning: z.string().max(2000).optional().describe("Recorded with the fill"),
  })
  .strict();
type TradeArg = z.infer<typeof trade>;

const text = (v: string | number | undefined): string | undefined => (v === undefined ? undefined : String(v));

function tradeW(t: TradeArg, rationale?: string): TradeW {
  const out: TradeW = { symbol: t.symbol, side: t.side, quantity: String(t.quantity) };
  const opt: Partial<TradeW> = {
    order_type: t.order_type,
    limit_price: text(t.limit_price),
    stop_price: text(t.stop_price),
    time_in_force: t.time_in_force,
    stop_loss: text(t.stop_loss),
    take_profit: text(t.take_profit),
    reasoning: t.reasoning ?? rationale,
  };
  for (const [k, v] of Object.entries(opt)) if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  return out;
}

/** A tool's answer: structured content and its one-line summary. */
function ok(structured: Record<string, unknown>, summary: string): CallToolResult {
  return { structuredContent: structured, content: [{ type: "text", text: summary }] };
}

/** A refusal as a tool error: `code: detail` for the model, and `{error}` structured. */
export function failed(e: unknown): CallToolResult {
  const err = toolError(e);
  const error: Record<string, unknown> = { code: err.code, detail: err.detail, ...(err.status === undefined ? {} : { status: err.status }), ...err.data };
  return { isError: true, structuredContent: { error }, content: [{ type: "text", text: `${err.code}: ${err.detail}` }] };
}

function stepSummary(s: StepW): string {
  const fills = s.fills.map((f) => `${f.side} ${f.quantity} ${f.symbol} @ ${f.fill_price}`).join(", ");
  const end = s.liquidated ? " LIQUIDATED: the run is over." : s.done ? " done: the run is over, call get_results." : "";
  return `advanced ${s.bars_advanced} bar(s) to ${s.new_sim_time}; equity ${s.equity}, cash ${s.cash}${fills ? `; fills: ${fills}` : "; no fills"}.${end}`;
}

const orderSummary = (o: OrderW): string => `order ${o.id} ${o.side} ${o.quantity} ${o.symbol} ${o.order_type} ${o.status}`;

/** Registers every tool on `server`, answering from `backend`. */
export function registerTools(server: McpServer, backend: Backend): void {
  const tool = <S extends z.ZodRawShape>(
    name: string,
    description: string,
    shape: S,
    run: (args: z.infer<z.ZodObject<S>>) => Promise<CallToolResult>,
    annotations: { readOnlyHint?: boolean; destructiveHint?: boolean; idempotentHint?: boolean } = {},
  ): void => {
    server.registerTool(name, { description, inputSchema: shape, annotations: { openWorldHint: backend.kind === "http", ...annotations } }, (async (args: z.infer<z.ZodObject<S>>) => {
      try {
        return await run(args);
      } catch (e) {
        return failed(e);
      }
    }) as never);
  };
  const ro = { readOnlyHint: true };

  /** Queues the orders one by one; a refusal stops there, and says which are queued already. */
  async function queue(id: string, orders: TradeArg[], rationale?: string): Promise<OrderW[]> {
    const queued: OrderW[] = [];
    for (const [i, t] of orders.entries()) {
      try {
        queued.push(await backend.trade(id, tradeW(t, rationale)));
      } catch (e) {
        const err = toolError(e);
        const note = queued.length ? ` (orders ${queued.map((o) => o.id).join(", ")} before it are queued; no bar was advanced)` : " (no bar was advanced)";
        throw new ToolError(err.code, `order ${i + 1} (${t.side} ${t.quantity} ${t.symbol}) refused: ${err.detail}${note}`, err.status, { order_index: i, queued: queued.map((o) => o.id) });
      }
    }
    return queued;
  }

  // ---- VecTrade bot trading (seed 000) ----
  tool(
    "place_order",
    "Place an order on your VecTrade bot account (X-Bot-Key): buy or sell a supported asset. A refused order is a tool error with the engine's code.",
    {
      symbol: z.string().min(1).describe("Ticker symbol"),
      side: z.enum(["BUY", "SELL"]),
      quantity,
      asset_type: z.enum(["STOCK", "CRYPTO", "FOREX", "ETF", "OPTION", "COMMODITY"]).optional(),
      order_type: z.enum(["MARKET", "LIMIT", "STOP", "STOP_LIMIT"]).optional(),
      limit_price: price.optional().describe("Required for LIMIT / STOP_LIMIT"),
      stop_price: price.optional().describe("Required for STOP / STOP_LIMIT"),
      time_in_force: z.enum(["GTC", "DAY", "IOC", "FOK"]).optional(),
      client_order_id: z.string().min(1).max(128).optional().describe("Idempotency key"),
    },
    async (a) => {
      const body: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(a)) if (v !== undefined) body[k] = typeof v === "number" ? String(v) : v;
      const order = await backend.bot.placeOrder(body);
      if (order["status"] === "REJECTED") {
        throw new ToolError(String(order["rejection_code"] ?? "order_rejected"), String(order["rejection_reason"] ?? "the order was rejected"), 201, { order });
      }
      return ok({ order }, `order ${order["id"]} ${a.side} ${order["quantity"]} ${a.symbol}: ${order["status"]}`);
    },
  );
  tool("cancel_order", "Cancel an open order of your bot account.", { order_id: z.string().min(1) }, async (a) => {
    const order = await backend.bot.cancelOrder(a.order_id);
    return ok({ order }, `order ${a.order_id}: ${order["status"]}`);
  });
  tool(
    "get_orders",
    "Your bot account's orders, newest first.",
    { status: z.enum(["OPEN", "FILLED", "PARTIALLY_FILLED", "CANCELLED", "REJECTED"]).optional(), limit: z.number().int().min(1).max(500).optional() },
    async (a) => {
      const orders = await backend.bot.listOrders({ ...(a.status ? { status: a.status } : {}), ...(a.limit ? { limit: a.limit } : {}) });
      return ok({ orders }, `${orders.length} order(s)`);
    },
    ro,
  );
  tool("get_portfolio", "Your bot account's positions and balance.", {}, async () => {
    const p = await backend.bot.portfolio();
    return ok({ portfolio: p }, `balance ${p["balance"]}, equity ${p["total_equity"]}, ${(p["positions"] as unknown[]).length} position(s)`);
  }, ro);
  tool("get_trading_kpi", "Performance metrics of your bot account (return, Sharpe, win rate, drawdown, rank).", {}, async () => {
    const k = await backend.bot.kpi();
    return ok({ kpi: k }, `return ${k["total_return_pct"]}%, Sharpe ${k["sharpe_ratio"]}, ${k["total_trades"]} trade(s), rank ${k["rank"]}/${k["rank_total"]}`);
  }, ro);
  tool("get_bot_account", "Your bot account's status and API quota.", {}, async () => {
    const acc = await backend.bot.account();
    return ok({ account: acc }, `${acc["display_name"]}: ${acc["status"]}, balance ${acc["balance"]}, API calls ${acc["api_calls_used"]}/${acc["api_calls_limit"]}`);
  }, ro);

  // ---- BotTrade benchmark (seed 001): discovery and auth ----
  tool("list_scenarios", "List every benchmark scenario (public, no auth). Only run scenarios whose status is ready.", {}, async () => {
    const scenarios = await backend.listScenarios();
    return ok({ scenarios }, scenarios.map((s) => `${s.slug} (${s.universe.length} symbols, ${s.bar_resolution}, ${s.status})`).join("; "));
  }, ro);
  tool("get_scenario", "Full metadata of one scenario: universe, starting cash, leverage cap, shorting, bar resolution, dates.", { id_or_slug: z.string().min(1) }, async (a) => {
    const scenario = await backend.getScenario(a.id_or_slug);
    return ok({ scenario }, `${scenario.slug}: ${scenario.universe.join(", ")}; cash ${scenario.starting_cash}, leverage ${scenario.leverage_cap}, shorting ${scenario.short_enabled ? "on" : "off"}, ${scenario.bar_count} ${scenario.bar_resolution} bars`);
  }, ro);
  tool("auth_status", "Whether this server can start runs: connected / auth_required, and on which backend.", {}, async () => {
    const auth = backend.auth();
    return ok({ ...auth }, `${auth.status} (${auth.backend}): ${auth.detail}`);
  }, ro);
  tool(
    "connect_bottrade",
    "Start connecting an account. This server authenticates with VECTRADE_API_KEY from its environment (or runs offline with no key): it answers the current state and what to set.",
    { wait_seconds: z.number().int().min(0).max(120).optional() },
    async () => {
      const auth = backend.auth();
      const how = auth.status === "connected" ? "already connected" : "set VECTRADE_API_KEY in the MCP server's env block (see the README), or start it with --offline; then restart the MCP server";
      return ok({ ...auth, login_url: null, next: how }, `${auth.status}: ${how}`);
    },
    ro,
  );

  // ---- run lifecycle ----
  tool(
    "start_run",
    "Start a run on a scenario; save the returned run id for every later call.",
    { scenario_slug: z.string().min(1), bot_name: z.string().min(1).max(100).optional().describe("Name shown on the leaderboard") },
    async (a) => {
      const run = await backend.createRun(a.scenario_slug, a.bot_name);
      return ok({ run }, `run ${run.id} on ${run.scenario_slug} at ${run.sim_time}, cash ${run.cash}`);
    },
  );
  tool("get_run", "Full snapshot of a run: status, cash, equity, positions and queued orders.", { run_id: runId }, async (a) => {
    const d = await backend.getRun(a.run_id);
    return ok({ ...d }, `run ${d.run.id} ${d.run.status} at ${d.run.sim_time}: equity ${d.run.equity}, cash ${d.run.cash}, ${d.positions.length} position(s), ${d.queued_orders.length} queued order(s)`);
  }, ro);
  tool("get_results", "Final metrics of a finished run: final equity, return, Sharpe, Sortino, drawdown, per-symbol PnL, benchmark.", { run_id: runId }, async (a) => {
    const r = await backend.results(a.run_id);
    return ok({ run_id: a.run_id, results: r }, `final equity ${r.final_equity}, return ${r.return_pct.toFixed(2)}%, Sharpe ${r.sharpe?.toFixed(2) ?? "n/a"}, max drawdown ${(r.max_drawdown * 100).toFixed(2)}%, ${r.trade_count} trade(s)${r.liquidated ? ", liquidated" : ""}${r.benchmark_return_pct === undefined ? "" : `, benchmark ${r.benchmark_return_pct.toFixed(2)}%`}`);
  }, ro);
  tool("get_trades", "Every filled trade of a run, oldest first.", { run_id: runId }, async (a) => {
    const trades = await backend.trades(a.run_id);
    return ok({ run_id: a.run_id, trades }, `${trades.length} fill(s)`);
  }, ro);
  tool(
    "publish_run",
    "Post a finished run to the public leaderboard. Only when the user explicitly asks: needs confirm: true.",
    { run_id: runId, confirm: z.boolean().describe("Must be true: publishing is public") },
    async (a) => {
      if (a.confirm !== true) throw new ToolError("confirmation_required", "publishing is public: call publish_run with confirm: true only when the user asked for it");
      const p = await backend.publish(a.run_id);
      return ok({ run_id: a.run_id, ...p }, `published run ${a.run_id}: final equity ${p.results.final_equity} (${p.leaderboard})`);
    },
    { destructiveHint: false },
  );

  // ---- observing the market ----
  tool(
    "scan_market",
    "Default observation tool: a compact, token-bounded summary of the whole universe (close, 1-bar and 20-bar change, range position, volume ratio), your cash, equity and positions. Use every loop iteration.",
    { run_id: runId },
    async (a) => {
      const detail = await backend.getRun(a.run_id);
      const scenario = await backend.getScenario(detail.run.scenario_slug);
      const market = await backend.market(a.run_id, undefined, 21);
      const s = scan(a.run_id, market, detail, scenario.universe, scenario.benchmark_symbol);
      const held = s.positions.map((p) => `${p[0]} ${p[1]}`).join(", ") || "flat";
      return ok({ ...s }, `${s.sim_time}: equity ${s.equity}, cash ${s.cash}, ${held}; ${s.universe_size} symbols; up: ${s.top_gainers.join(", ") || "none"}; down: ${s.top_losers.join(", ") || "none"}${s.done ? "; the run is over" : ""}`);
    },
    ro,
  );
  tool(
    "inspect_symbols",
    `Detailed bars (as columns) and a few statistics for 1–${INSPECT_MAX_SYMBOLS} symbols, at most ${INSPECT_MAX_BARS} bars each.`,
    {
      run_id: runId,
      symbols: z.array(z.string().min(1)).min(1).max(INSPECT_MAX_SYMBOLS),
      lookback: z.number().int().min(1).max(INSPECT_MAX_BARS).default(30),
    },
    async (a) => {
      const m = await backend.market(a.run_id, a.symbols, a.lookback);
      const symbols = Object.fromEntries(Object.entries(m.bars).map(([sym, bars]) => [sym, { stats: stats(bars), bars: columns(bars) }]));
      const line = Object.entries(symbols).map(([sym, v]) => `${sym} ${v.stats["last_close"]} (${v.stats["change_pct"]}% over ${v.stats["bars"]} bars)`).join("; ");
      return ok({ run_id: a.run_id, sim_time: m.sim_time, symbols }, `${m.sim_time}: ${line}`);
    },
    ro,
  );
  tool(
    "get_market",
    `Raw OHLCV bars. Refuses requests of more than ${MARKET_MAX_BARS} bars in all (symbols × lookback): prefer scan_market and inspect_symbols.`,
    {
      run_id: runId,
      symbols: z.array(z.string().min(1)).min(1).optional().describe("Subset of the universe; all when omitted"),
      lookback: z.number().int().min(1).max(1000).default(50),
    },
    async (a) => {
      let n = a.symbols?.length;
      if (n === undefined) {
        const d = await backend.getRun(a.run_id);
        const sc = await backend.getScenario(d.run.scenario_slug);
        n = sc.universe.length + (sc.benchmark_symbol ? 1 : 0);
      }
      if (n * a.lookback > MARKET_MAX_BARS) {
        throw new ToolError("market_request_too_large", `${n} symbols × ${a.lookback} bars = ${n * a.lookback} bars, more than ${MARKET_MAX_BARS}: use scan_market for the universe and inspect_symbols for up to ${INSPECT_MAX_SYMBOLS} symbols`, 400);
      }
      const m = await backend.market(a.run_id, a.symbols, a.lookback);
      return ok({ run_id: a.run_id, ...m }, `${m.sim_time}: ${Object.keys(m.bars).length} symbol(s), up to ${a.lookback} bar(s) each`);
    },
    ro,
  );

  // ---- acting and advancing ----
  tool(
    "submit_decision",
    "Preferred loop primitive: record a decision (hold or trade) with its rationale, queue its orders and advance one bar. step_count accepts only 0 or 1.",
    {
      run_id: runId,
      action: z.enum(["hold", "trade"]),
      rationale: z.string().min(1).max(2000).describe("Why: recorded with each order"),
      orders: z.array(trade).max(50).default([]).describe("The orders of a trade decision (none for hold)"),
      step_count: stepCount,
    },
    async (a) => {
      if (a.action === "hold" && a.orders.length > 0) throw new ToolError("invalid_decision", "a hold decision places no orders: use action 'trade' or leave orders empty", 400);
      if (a.action === "trade" && a.orders.length === 0) throw new ToolError("invalid_decision", "a trade decision needs at least one order", 400);
      const queued = await queue(a.run_id, a.orders, a.rationale);
      const step = a.step_count === 1 ? await backend.step(a.run_id, 1) : null;
      const head = queued.length ? `${queued.map(orderSummary).join("; ")}. ` : "hold. ";
      return ok({ run_id: a.run_id, action: a.action, queued, step, done: step?.done ?? false, liquidated: step?.liquidated ?? false }, head + (step ? stepSummary(step) : "queued only (step_count 0)."));
    },
  );
  tool(
    "submit_turn",
    "Lower-level: queue trades and advance one bar. step_count accepts only 0 or 1.",
    { run_id: runId, trades: z.array(trade).max(50).default([]), step_count: stepCount },
    async (a) => {
      const queued = await queue(a.run_id, a.trades);
      const step = a.step_count === 1 ? await backend.step(a.run_id, 1) : null;
      return ok({ run_id: a.run_id, queued, step, done: step?.done ?? false, liquidated: step?.liquidated ?? false }, `${queued.length} order(s) queued. ` + (step ? stepSummary(step) : "queued only (step_count 0)."));
    },
  );
  tool(
    "step_run",
    "Advance with no new trades (queued orders still fill). count accepts only 0 or 1.",
    { run_id: runId, count: z.union([z.literal(0), z.literal(1)], { error: `count ${ONLY_0_OR_1}` }).default(1).describe("1 (default), or 0 to read the state without advancing") },
    async (a) => {
      if (a.count === 0) {
        const d = await backend.getRun(a.run_id);
        return ok({ run_id: a.run_id, step: null, done: d.run.done, run: d.run }, `no bar advanced; ${d.run.sim_time}, equity ${d.run.equity}`);
      }
      const step = await backend.step(a.run_id, 1);
      return ok({ run_id: a.run_id, step, done: step.done, liquidated: step.liquidated }, stepSummary(step));
    },
  );
  tool(
    "advance_until_next_session",
    "Fast-forward across a closed-market gap to the first bar of the next trading session.",
    { run_id: runId, max_bars: maxBars },
    async (a) => {
      const step = await backend.advanceUntilNextSession(a.run_id, a.max_bars);
      return ok({ run_id: a.run_id, step, done: step.done, liquidated: step.liquidated }, stepSummary(step));
    },
  );
  tool(
    "hold_until_end",
    "Hold to the end of the scenario (or max_bars) placing nothing new; with require_flat, refused while positions are open.",
    { run_id: runId, max_bars: maxBars, require_flat: z.boolean().default(false) },
    async (a) => {
      const step = await backend.holdUntilEnd(a.run_id, a.max_bars, a.require_flat);
      return ok({ run_id: a.run_id, step, done: step.done, liquidated: step.liquidated }, stepSummary(step));
    },
  );
  tool(
    "liquidate_and_finish",
    "Close every position at the next open, cancel working orders, and hold cash to the end (or max_bars).",
    { run_id: runId, rationale: z.string().min(1).max(2000), max_bars: maxBars },
    async (a) => {
      const step = await backend.liquidateAndFinish(a.run_id, a.rationale, a.max_bars);
      return ok({ run_id: a.run_id, step, done: step.done, liquidated: step.liquidated }, stepSummary(step));
    },
    { destructiveHint: true },
  );

  // ---- verification ----
  tool(
    "run_sandbox_smoke_test",
    "One-call self-test: auth + run + scan + hold + step. Use this first to confirm wiring.",
    { scenario_slug: z.string().min(1).optional(), bot_name: z.string().min(1).max(100).optional() },
    async (a) => {
      const checks: Array<{ check: string; ok: boolean; detail: string }> = [];
      const auth = backend.auth();
      checks.push({ check: "auth", ok: auth.status === "connected", detail: auth.detail });
      if (auth.status !== "connected") throw new ToolError(auth.backend === "http" ? "missing_api_key" : "auth_required", auth.detail, 401, { checks });
      const run = await backend.createRun(a.scenario_slug ?? DEFAULT_SCENARIO, a.bot_name ?? "smoke-test");
      checks.push({ check: "start_run", ok: true, detail: `run ${run.id} at ${run.sim_time}` });
      const detail = await backend.getRun(run.id);
      const scenario = await backend.getScenario(run.scenario_slug);
      const s = scan(run.id, await backend.market(run.id, undefined, 21), detail, scenario.universe, scenario.benchmark_symbol);
      checks.push({ check: "scan_market", ok: s.rows.length === scenario.universe.length, detail: `${s.rows.length} of ${scenario.universe.length} symbols at ${s.sim_time}` });
      const hold = await backend.step(run.id, 1);
      checks.push({ check: "submit_decision(hold)", ok: hold.bars_advanced === 1 && hold.fills.length === 0, detail: stepSummary(hold) });
      const step = await backend.step(run.id, 1);
      checks.push({ check: "step_run", ok: step.bars_advanced === 1, detail: stepSummary(step) });
      const passed = checks.every((c) => c.ok);
      return ok({ ok: passed, backend: backend.kind, run_id: run.id, checks }, `${passed ? "smoke test passed" : "smoke test FAILED"} on the ${backend.kind} backend: ${checks.map((c) => `${c.check} ${c.ok ? "ok" : "FAILED"}`).join(", ")}`);
    },
  );
}
