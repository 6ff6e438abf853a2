/**
 * Seed 000's bot account offline: one paper account on a replayed market, as the local server's
 * live market (`--market`, `--bar-interval`) but in this process. The market starts at the
 * scenario's first bar when the MCP server starts and reveals one bar per interval of wall-clock
 * time (`VECTRADE_OFFLINE_BAR_INTERVAL`, default 1 minute, as the server's); orders fill on the bars
 * revealed after them. Bodies are the Bot API's (decimals at the seed's scale), so the tools are the
 * same as against a server.
 */

import * as vt from "@vectrade/sdk";

import { type BotBackend, ToolError, rfc3339 } from "./backend.js";

/** `d` rounded half away from zero to `dp` places, always written with them (`"50000.00"`), exact. */
export function fixed(d: string, dp: number): string {
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(d.trim());
  if (m === null) return d;
  const negative = m[1] === "-";
  const frac = (m[3] ?? "").padEnd(dp + 1, "0");
  let units = BigInt((m[2] || "0") + frac.slice(0, dp));
  if (Number(frac[dp]) >= 5) units += 1n;
  const s = units.toString().padStart(dp + 1, "0");
  const text = dp === 0 ? s : `${s.slice(0, -dp)}.${s.slice(-dp)}`;
  return negative && units !== 0n ? `-${text}` : text;
}

/** `"1m"`, `"500ms"`, `"2s"` in milliseconds; `"manual"` → null (the market does not move by itself). */
export function interval(text: string): number | null {
  if (text === "manual") return null;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (m === null) throw new Error(`VECTRADE_OFFLINE_BAR_INTERVAL must be like 500ms, 1s, 1m or manual, got '${text}'`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"];
}

/** Options of the offline bot account. */
export interface OfflineBotOptions {
  /** The replayed market (default `tech-2024-q2`, the server's default). */
  market?: string;
  /** Milliseconds between two bars, or null for a market that moves only by `advance()`. */
  barIntervalMs?: number | null;
  /** The clock (tests). */
  now?: () => number;
}

export class OfflineBot implements BotBackend {
  private readonly run: vt.Run;
  private readonly started: number;
  private readonly barMs: number | null;
  private readonly now: () => number;
  private revealed = 0;
  private readonly createdAt: string;

  constructor(options: OfflineBotOptions = {}) {
    this.run = new vt.Simulator(vt.scenarios.get(options.market ?? "tech-2024-q2")).start({ agent: "offline-bot" });
    this.now = options.now ?? Date.now;
    this.started = this.now();
    this.barMs = options.barIntervalMs === undefined ? 60_000 : options.barIntervalMs;
    this.createdAt = rfc3339(this.started - (this.started % 1000));
  }

  /** Reveals the bars due by the clock (or `bars` more), as the server's market does. */
  advance(bars?: number): void {
    const due = bars !== undefined ? this.revealed + bars : this.barMs === null ? this.revealed : Math.floor((this.now() - this.started) / this.barMs);
    const n = Math.max(0, due - this.revealed);
    if (n > 0 && !this.run.done) this.run.step(n);
    this.revealed = Math.max(this.revealed, due);
  }

  private order(o: vt.PlacedOrder): Record<string, unknown> {
    return {
      id: String(o.id),
      symbol: o.symbol,
      side: o.side.toUpperCase(),
      order_type: o.orderType,
      time_in_force: o.timeInForce,
      quantity: fixed(o.quantity, 8),
      limit_price: o.limitPrice === null ? null : fixed(o.limitPrice, 8),
      stop_price: o.stopPrice === null ? null : fixed(o.stopPrice, 8),
      status: o.status,
      filled_quantity: fixed(o.filledQuantity, 8),
      filled_price: o.avgFillPrice === null ? null : fixed(o.avgFillPrice, 8),
      created_at: rfc3339(o.createdAt),
      rejection_reason: o.endReason?.detail ?? null,
      rejection_code: o.endReason?.code ?? null,
      client_order_id: o.clientOrderId,
    };
  }

  private engine<T>(call: () => T): T {
    try {
      return call();
    } catch (e) {
      if (e instanceof vt.VecTradeError) throw new ToolError(e.code, e.detail, e.family === "not_found" ? 404 : 422);
      throw e;
    }
  }

  async placeOrder(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    this.advance();
    const text = (k: string): string | undefined => (body[k] === undefined ? undefined : String(body[k]));
    const request: vt.OrderRequest = {
      symbol: String(body["symbol"]),
      side: String(body["side"]).toLowerCase() as vt.Side,
      quantity: String(body["quantity"]),
      orderType: (text("order_type") ?? "MARKET") as vt.OrderRequest["orderType"],
      ...(text("limit_price") === undefined ? {} : { limitPrice: text("limit_price")! }),
      ...(text("stop_price") === undefined ? {} : { stopPrice: text("stop_price")! }),
      ...(text("time_in_force") === undefined ? {} : { timeInForce: text("time_in_force") as vt.TimeInForce }),
      ...(text("client_order_id") === undefined ? {} : { clientOrderId: text("client_order_id")! }),
      ...(text("asset_type") === undefined ? {} : { assetType: text("asset_type")! }),
    };
    try {
      return this.order(this.run.submit(request));
    } catch (e) {
      // a refusal the engine keeps as a REJECTED order is answered with it, as the Bot API does
      if (e instanceof vt.OrderRejected || e instanceof vt.RiskLimitExceeded) {
        const kept = this.run.orders().at(-1);
        if (kept !== undefined && kept.status === "REJECTED" && kept.symbol === request.symbol) return this.order(kept);
      }
      return this.engine(() => {
        throw e;
      });
    }
  }

  async cancelOrder(orderId: string): Promise<Record<string, unknown>> {
    this.advance();
    const id = Number(orderId);
    if (!Number.isSafeInteger(id) || id < 1) throw new ToolError("order_not_found", `no order '${orderId}'`, 404);
    return this.order(this.engine(() => this.run.cancel(id)));
  }

  async listOrders(filter: { status?: string; limit?: number }): Promise<Array<Record<string, unknown>>> {
    this.advance();
    const all = this.run.orders().reverse();
    const kept = filter.status === undefined ? all : all.filter((o) => o.status === filter.status);
    return kept.slice(0, filter.limit ?? 100).map((o) => this.order(o));
  }

  async portfolio(): Promise<Record<string, unknown>> {
    this.advance();
    const p = this.run.portfolio();
    const kind = this.run.scenario.info.marketHours["kind"] === "continuous" ? "CRYPTO" : "STOCK";
    return {
      balance: fixed(p.cash, 2),
      total_equity: fixed(p.equity, 2),
      positions: p.positions.map((x) => {
        const cost = Math.abs(Number(x.avgCost) * Number(x.quantity));
        return {
          symbol: x.symbol,
          asset_type: kind,
          quantity: fixed(x.quantity, 8),
          avg_cost: fixed(x.avgCost, 8),
          current_price: fixed(x.currentPrice, 8),
          market_value: fixed(x.marketValue, 8),
          unrealized_pnl: fixed(x.unrealizedPnl, 2),
          unrealized_pnl_pct: cost === 0 ? "0.00" : ((Number(x.unrealizedPnl) / cost) * 100).toFixed(2),
        };
      }),
      total_unrealized_pnl: fixed(p.totalUnrealizedPnl, 2),
    };
  }

  async kpi(): Promise<Record<string, unknown>> {
    this.advance();
    const m = this.run.metrics();
    const finite = (v: number | null): number | undefined => (v !== null && Number.isFinite(v) ? v : undefined);
    const out: Record<string, unknown> = {
      total_return_pct: m.totalReturnPct,
      win_rate: m.winRatePct,
      max_drawdown: m.maxDrawdownPct,
      total_trades: m.roundTrips,
      expectancy: Number(m.expectancy),
      consecutive_wins: m.maxConsecutiveWins,
      consecutive_losses: m.maxConsecutiveLosses,
      rank: 1,
      rank_total: 1,
    };
    for (const [k, v] of [["sharpe_ratio", finite(m.sharpe)], ["profit_factor", finite(m.profitFactor)], ["sortino_ratio", finite(m.sortino)]] as const) if (v !== undefined) out[k] = v;
    return out;
  }

  async account(): Promise<Record<string, unknown>> {
    this.advance();
    return {
      bot_user_id: "offline",
      display_name: "Offline bot",
      balance: fixed(this.run.portfolio().cash, 2),
      user_type: "HUMAN",
      status: "ACTIVE",
      created_at: this.createdAt,
      api_calls_used: 0,
      api_calls_limit: 120,
      plan: "Offline",
      bot_keys_used: 0,
      bot_keys_limit: 0,
      market: this.run.scenario.slug,
      sim_time: rfc3339(this.run.simTime),
      market_closed: this.run.done,
    };
  }
}
