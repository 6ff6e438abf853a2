/**
 * What goes in and comes out of the engine, as TypeScript types. Money, prices and quantities are
 * exact decimal strings ({@link Decimal}); times are UTC milliseconds ({@link Timestamp}).
 */

import { invalid } from "./errors.js";
import { type Decimal, type DecimalInput, type Timestamp, count, decimal, describe, optCount, optDecimal, optText, options as checked, text } from "./wire.js";

/** Side of an order: `buy`/`sell` a long, `short`/`cover` a short. */
export type Side = "buy" | "sell" | "short" | "cover";
/** Type of an order. */
export type OrderType = "MARKET" | "LIMIT" | "STOP" | "STOP_LIMIT";
/** How long an order works: until cancelled, the session, immediate-or-cancel, fill-or-kill. */
export type TimeInForce = "GTC" | "DAY" | "IOC" | "FOK";
/** Status of an order. */
export type OrderStatus = "OPEN" | "PARTIALLY_FILLED" | "FILLED" | "CANCELLED" | "REJECTED";
/** Why an order exists: placed by the agent, a bracket exit, a trim level, or a liquidation. */
export type OrderRole =
  | { kind: "manual" }
  | { kind: "stop_loss" }
  | { kind: "take_profit" }
  | { kind: "trim"; level: number }
  | { kind: "liquidation" }
  | { kind: "reset" };

/** A partial exit of a bracket: sell `quantity` at `price` (level 1, 2, ...). */
export interface Trim {
  level: number;
  price: DecimalInput;
  quantity: DecimalInput;
}

/** Optional fields of an order. */
export interface OrderOptions {
  timeInForce?: TimeInForce;
  /** Bracket: a stop-loss exit placed once the entry fills. */
  stopLoss?: DecimalInput;
  /** Bracket: a take-profit exit placed once the entry fills (one cancels the other). */
  takeProfit?: DecimalInput;
  /** Bracket: partial exits by level. */
  trims?: Trim[];
  /** Your own id, unique per agent. */
  clientOrderId?: string;
  /** Why the agent placed it (kept with the order and its fills). */
  reasoning?: string;
  assetType?: string;
}

/** An order to submit; build one with {@link Order}. */
export interface OrderRequest extends OrderOptions {
  symbol: string;
  side: Side;
  quantity: DecimalInput;
  orderType: OrderType;
  limitPrice?: DecimalInput;
  stopPrice?: DecimalInput;
}

/** The keys of {@link OrderOptions}: an order's options besides its symbol, side, quantity and prices. */
export const ORDER_OPTIONS = ["timeInForce", "stopLoss", "takeProfit", "trims", "clientOrderId", "reasoning", "assetType"] as const;

/** Every key of an {@link OrderRequest}. */
const ORDER_FIELDS = ["symbol", "side", "quantity", "orderType", "limitPrice", "stopPrice", ...ORDER_OPTIONS] as const;

/** `options` of an order builder or strategy call, refusing unknown keys (issue 10, finding 7). */
export function orderOptions<T extends object>(options: T | undefined, call: string, extra: readonly string[] = []): T {
  return checked(options, call, [...ORDER_OPTIONS, ...extra]);
}

/** Builders of {@link OrderRequest}s. */
export const Order = {
  /** Fills at the next bar's open (plus slippage). */
  market(symbol: string, side: Side, quantity: DecimalInput, options: OrderOptions = {}): OrderRequest {
    return { ...orderOptions(options, "Order.market"), symbol, side, quantity, orderType: "MARKET" };
  },
  /** Fills at `price` or better. */
  limit(symbol: string, side: Side, quantity: DecimalInput, price: DecimalInput, options: OrderOptions = {}): OrderRequest {
    return { ...orderOptions(options, "Order.limit"), symbol, side, quantity, orderType: "LIMIT", limitPrice: price };
  },
  /** Becomes a market order once the price touches `stop` (a gap fills at the open). */
  stop(symbol: string, side: Side, quantity: DecimalInput, stop: DecimalInput, options: OrderOptions = {}): OrderRequest {
    return { ...orderOptions(options, "Order.stop"), symbol, side, quantity, orderType: "STOP", stopPrice: stop };
  },
  /** Becomes a limit order at `limit` once the price touches `stop`. */
  stopLimit(
    symbol: string,
    side: Side,
    quantity: DecimalInput,
    stop: DecimalInput,
    limit: DecimalInput,
    options: OrderOptions = {},
  ): OrderRequest {
    return { ...orderOptions(options, "Order.stopLimit"), symbol, side, quantity, orderType: "STOP_LIMIT", stopPrice: stop, limitPrice: limit };
  },
};

/** The engine's form of an order (validated numbers, snake_case keys applied later). */
export function orderWire(o: OrderRequest): Record<string, unknown> {
  if (o === null || typeof o !== "object" || Array.isArray(o)) throw invalid(`an order must be an object (vt.Order.market(...)), got ${describe(o)}`);
  checked(o, "an order", ORDER_FIELDS);
  const trims = o.trims ?? [];
  if (!Array.isArray(trims)) throw invalid(`\`trims\` must be an array of {level, price, quantity}, got ${describe(trims)}`);
  return {
    symbol: text(o.symbol, "symbol"),
    side: text(o.side, "side"),
    quantity: decimal(o.quantity, "quantity"),
    orderType: optText(o.orderType, "orderType") ?? "MARKET",
    limitPrice: optDecimal(o.limitPrice, "limitPrice"),
    stopPrice: optDecimal(o.stopPrice, "stopPrice"),
    timeInForce: optText(o.timeInForce, "timeInForce") ?? "GTC",
    stopLoss: optDecimal(o.stopLoss, "stopLoss"),
    takeProfit: optDecimal(o.takeProfit, "takeProfit"),
    trims: trims.map((t: unknown, i) => {
      if (t === null || typeof t !== "object") throw invalid(`\`trims[${i}]\` must be {level, price, quantity}, got ${describe(t)}`);
      const trim = checked(t as Trim, `a trim (trims[${i}])`, ["level", "price", "quantity"]);
      return {
        level: count(trim.level, `trims[${i}].level`),
        price: decimal(trim.price, `trims[${i}].price`),
        quantity: decimal(trim.quantity, `trims[${i}].quantity`),
      };
    }),
    clientOrderId: optText(o.clientOrderId, "clientOrderId"),
    reasoning: optText(o.reasoning, "reasoning"),
    assetType: optText(o.assetType, "assetType"),
  };
}

/** An agent's risk profile: every check is off unless set. */
export interface RiskProfile {
  /** Largest position in one symbol, percent of equity. */
  maxPositionSizePct?: DecimalInput | null;
  /** Orders are refused once the day's loss reaches this percent of the day's starting equity. */
  dailyLossLimitPct?: DecimalInput | null;
  maxOpenOrders?: number | null;
  /** Largest gross exposure as a multiple of equity. */
  maxLeverage?: DecimalInput | null;
  allowShort?: boolean;
  /** Symbols the agent may trade (all when left out). */
  universe?: string[] | null;
  maxOrdersPerMinute?: number | null;
  maxRequestsPerMinute?: number | null;
}

const RISK_KEYS = [
  "maxPositionSizePct",
  "dailyLossLimitPct",
  "maxOpenOrders",
  "maxLeverage",
  "allowShort",
  "universe",
  "maxOrdersPerMinute",
  "maxRequestsPerMinute",
] as const;

/** The engine's form of a risk profile. */
export function riskWire(r: RiskProfile = {}): Record<string, unknown> {
  if (r === null || typeof r !== "object" || Array.isArray(r)) throw invalid(`a risk profile must be an object, got ${describe(r)}`);
  checked(r, "a risk profile", RISK_KEYS);
  const out: Record<string, unknown> = { ...r };
  for (const key of ["maxPositionSizePct", "dailyLossLimitPct", "maxLeverage"] as const) {
    out[key] = optDecimal(r[key], key);
  }
  for (const key of ["maxOpenOrders", "maxOrdersPerMinute", "maxRequestsPerMinute"] as const) {
    out[key] = optCount(r[key], key);
  }
  return out;
}

/** One OHLCV bar; `ts` is its opening time. */
export interface Bar {
  ts: Timestamp;
  open: Decimal;
  high: Decimal;
  low: Decimal;
  close: Decimal;
  volume: Decimal;
}

/** Why an order ended. */
export interface EndReason {
  code: string;
  detail: string;
}

/** An order as the engine keeps it: status, fills so far, and why it ended. */
export interface PlacedOrder {
  id: number;
  symbol: string;
  side: Side;
  quantity: Decimal;
  orderType: OrderType;
  limitPrice: Decimal | null;
  stopPrice: Decimal | null;
  timeInForce: TimeInForce;
  assetType: string | null;
  clientOrderId: string | null;
  stopLoss: Decimal | null;
  takeProfit: Decimal | null;
  trims: Array<{ level: number; price: Decimal; quantity: Decimal }>;
  reasoning: string | null;
  role: OrderRole;
  parentId: number | null;
  status: OrderStatus;
  filledQuantity: Decimal;
  avgFillPrice: Decimal | null;
  createdAt: Timestamp;
  updatedAt: Timestamp;
  endReason: EndReason | null;
  /** A stop or stop-limit whose stop price was touched. */
  triggered: boolean;
}

/** One execution: the price touched (`referencePrice`) and the price paid after slippage. */
export interface Fill {
  id: number;
  orderId: number;
  symbol: string;
  side: Side;
  quantity: Decimal;
  fillPrice: Decimal;
  referencePrice: Decimal;
  slippageBps: Decimal;
  commission: Decimal;
  totalValue: Decimal;
  realizedPnl: Decimal;
  ts: Timestamp;
  /** Index of the bar it filled on in the run (the strategy's `ctx.barIndex` there). */
  barIndex: number;
  role: OrderRole;
  reasoning: string | null;
}

/** What one agent got from a step. */
export interface AgentStep {
  agent: number;
  fills: Fill[];
  equity: Decimal;
  cash: Decimal;
  positionsValue: Decimal;
  liquidated: boolean;
}

/** The report of a step. */
export interface StepReport {
  barsAdvanced: number;
  newSimTime: Timestamp;
  done: boolean;
  agents: AgentStep[];
}

/** A position at the latest close. */
export interface Position {
  symbol: string;
  quantity: Decimal;
  avgCost: Decimal;
  currentPrice: Decimal;
  marketValue: Decimal;
  unrealizedPnl: Decimal;
  realizedPnl: Decimal;
}

/** Cash, equity, buying power and positions at the latest closes. */
export interface Portfolio {
  cash: Decimal;
  equity: Decimal;
  positionsValue: Decimal;
  grossExposure: Decimal;
  buyingPower: Decimal;
  positions: Position[];
  totalUnrealizedPnl: Decimal;
  realizedPnl: Decimal;
  feesPaid: Decimal;
}

/** One fill of a round trip. */
export interface TradeLeg {
  fillId: number;
  orderId: number;
  ts: Timestamp;
  /** The fill's bar index. */
  barIndex: number;
  quantity: Decimal;
  price: Decimal;
  commission: Decimal;
  exitType: string | null;
  trimLevel: number | null;
}

/** A round trip: entries and exits of one position, with its PnL. */
export interface Trade {
  id: number;
  symbol: string;
  tradeType: "long" | "short";
  status: "open" | "closed";
  openedAt: Timestamp;
  /** Bar index of the first entry. */
  openedBarIndex: number;
  closedAt: Timestamp | null;
  /** Bar index of the exit that closed it. */
  closedBarIndex: number | null;
  entries: TradeLeg[];
  exits: TradeLeg[];
  quantity: Decimal;
  openQuantity: Decimal;
  avgEntryPrice: Decimal;
  avgExitPrice: Decimal | null;
  realizedPnl: Decimal;
  fees: Decimal;
  netPnl: Decimal;
  returnPct: number;
}

/** The metrics of a run; units in docs/METRICS.md (`Pct` fields are percents). */
export interface Metrics {
  startingEquity: Decimal;
  finalEquity: Decimal;
  totalReturnPct: number;
  cagrPct: number;
  volatilityPct: number;
  sharpe: number;
  sortino: number;
  maxDrawdown: number;
  maxDrawdownPct: number;
  maxDrawdownDurationBars: number;
  maxDrawdownDurationMs: number;
  calmar: number;
  roundTrips: number;
  fillCount: number;
  winRatePct: number;
  profitFactor: number | null;
  expectancy: Decimal;
  bestTrade: Decimal | null;
  worstTrade: Decimal | null;
  bestTradePct: number | null;
  worstTradePct: number | null;
  maxConsecutiveWins: number;
  maxConsecutiveLosses: number;
  exposurePct: number;
  turnover: number;
  fees: Decimal;
  benchmarkReturnPct: number | null;
  alphaAnnualPct: number | null;
  beta: number | null;
  periodsPerYear: number;
  bars: number;
}

/** PnL of one symbol. */
export interface SymbolPnl {
  symbol: string;
  realizedPnl: Decimal;
  unrealizedPnl: Decimal;
  fees: Decimal;
  netPnl: Decimal;
}

/** The grade of an agent once its run is over. */
export interface Results {
  agent: string;
  finalEquity: Decimal;
  returnPct: number;
  sharpe: number;
  sortino: number;
  maxDrawdown: number;
  tradeCount: number;
  liquidated: boolean;
  benchmarkReturnPct: number | null;
  perSymbol: SymbolPnl[];
  metrics: Metrics;
}

/** One point of an equity curve. */
export interface EquityPoint {
  ts: Timestamp;
  equity: Decimal;
  grossExposure: Decimal;
}

/** The equity curve as columns, for charts and analysis (floats; the exact curve is {@link EquityPoint}s). */
export interface EquityColumns {
  ts: Float64Array;
  equity: Float64Array;
  grossExposure: Float64Array;
  /** Drawdown at each point as a fraction, as the metrics define it. */
  drawdown: Float64Array;
}
