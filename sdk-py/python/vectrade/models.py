"""Typed values of the Python API: orders, risk profiles, bars, fills, step reports and results."""

from __future__ import annotations

import dataclasses
import datetime as _dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Dict, List, Literal, Optional

from ._convert import (
    DecimalLike,
    OrderNumber,
    dec,
    invalid,
    opt_dec,
    opt_decimal,
    opt_order_decimal,
    order_decimal,
    to_datetime,
)

#: Sides (the bot API's ``BUY``/``SELL`` are accepted too).
Side = Literal["buy", "sell", "short", "cover", "BUY", "SELL"]
OrderType = Literal["MARKET", "LIMIT", "STOP", "STOP_LIMIT"]
TimeInForce = Literal["GTC", "DAY", "IOC", "FOK"]
OrderStatus = Literal["OPEN", "PARTIALLY_FILLED", "FILLED", "CANCELLED", "REJECTED"]


class _Record:
    """Shared behaviour of result records: ``to_dict()`` and a readable repr."""

    def to_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload, no-any-return]


@dataclass(frozen=True)
class RiskProfile(_Record):
    """Per-agent limits checked before each order is accepted. ``None`` means no limit.

    Percentages are percents (``20`` = 20 %). Rate limits count per minute of *simulated* time.
    """

    max_position_size_pct: Optional[DecimalLike] = None
    daily_loss_limit_pct: Optional[DecimalLike] = None
    max_open_orders: Optional[int] = None
    max_leverage: Optional[DecimalLike] = None
    allow_short: bool = True
    universe: Optional[List[str]] = None
    max_orders_per_minute: Optional[int] = None
    max_requests_per_minute: Optional[int] = None

    @classmethod
    def hosted(cls) -> "RiskProfile":
        """The hosted API's rate limits: 20 orders and 120 requests per minute."""
        return cls(max_orders_per_minute=20, max_requests_per_minute=120)

    def to_wire(self) -> Dict[str, Any]:
        """The engine's JSON form (used inside the package); validates the numbers."""
        return {
            "max_position_size_pct": opt_decimal(self.max_position_size_pct, "max_position_size_pct"),
            "daily_loss_limit_pct": opt_decimal(self.daily_loss_limit_pct, "daily_loss_limit_pct"),
            "max_open_orders": self.max_open_orders,
            "max_leverage": opt_decimal(self.max_leverage, "max_leverage"),
            "allow_short": self.allow_short,
            "universe": self.universe,
            "max_orders_per_minute": self.max_orders_per_minute,
            "max_requests_per_minute": self.max_requests_per_minute,
        }


@dataclass(frozen=True)
class Trim:
    """A partial exit of a bracket: sell ``quantity`` at ``price`` (level 1, 2, ...)."""

    level: int
    price: OrderNumber
    quantity: OrderNumber


#: The keywords an order takes besides its symbol, side, quantity and prices.
ORDER_KEYWORDS = ("time_in_force", "stop_loss", "take_profit", "trims", "client_order_id", "reasoning", "asset_type")


def order_keywords(call: str, kw: Dict[str, Any]) -> Dict[str, Any]:
    """``kw`` when every key is an order keyword; else InvalidInput naming ``call`` and listing the
    valid ones (``sl=`` from backtesting.py is a raw TypeError otherwise)."""
    unknown = [k for k in kw if k not in ORDER_KEYWORDS]
    if unknown:
        names = ", ".join(f"`{k}`" for k in unknown)
        raise invalid("invalid_argument", f"{call}() takes no {names}; valid keywords: {', '.join(ORDER_KEYWORDS)}")
    return kw


@dataclass(frozen=True)
class Order:
    """An order to submit. Build one with :meth:`market`, :meth:`limit`, :meth:`stop` or
    :meth:`stop_limit`. Prices and quantities are ``int``, ``str`` or ``Decimal``, or a ``float``
    read as the digits of its shortest representation (``repr``), as ``from_arrays`` reads bars:
    ``stop_loss=ctx.close(s) * 0.95`` works when that product has at most 8 decimal places (round it,
    ``round(x, 2)``, when it has more); NaN and infinities are refused. What the engine returns
    (fills, cash, equity) is always an exact ``Decimal``."""

    symbol: str
    side: Side
    quantity: OrderNumber
    order_type: OrderType = "MARKET"
    limit_price: Optional[OrderNumber] = None
    stop_price: Optional[OrderNumber] = None
    time_in_force: TimeInForce = "GTC"
    stop_loss: Optional[OrderNumber] = None
    take_profit: Optional[OrderNumber] = None
    trims: List[Trim] = field(default_factory=list)
    client_order_id: Optional[str] = None
    reasoning: Optional[str] = None
    asset_type: Optional[str] = None

    @classmethod
    def market(cls, symbol: str, side: Side, quantity: OrderNumber, **kw: Any) -> "Order":
        """Fills at the next bar's open (plus slippage)."""
        return cls(symbol, side, quantity, "MARKET", **order_keywords("Order.market", kw))

    @classmethod
    def limit(cls, symbol: str, side: Side, quantity: OrderNumber, price: OrderNumber, **kw: Any) -> "Order":
        """Fills at ``price`` or better."""
        return cls(symbol, side, quantity, "LIMIT", limit_price=price, **order_keywords("Order.limit", kw))

    @classmethod
    def stop(cls, symbol: str, side: Side, quantity: OrderNumber, stop: OrderNumber, **kw: Any) -> "Order":
        """Becomes a market order once the price touches ``stop`` (a gap fills at the open)."""
        return cls(symbol, side, quantity, "STOP", stop_price=stop, **order_keywords("Order.stop", kw))

    @classmethod
    def stop_limit(
        cls, symbol: str, side: Side, quantity: OrderNumber, stop: OrderNumber, limit: OrderNumber, **kw: Any
    ) -> "Order":
        """Becomes a limit order at ``limit`` once the price touches ``stop``."""
        kw = order_keywords("Order.stop_limit", kw)
        return cls(symbol, side, quantity, "STOP_LIMIT", limit_price=limit, stop_price=stop, **kw)

    def to_wire(self) -> Dict[str, Any]:
        """The engine's JSON form (used inside the package); validates the numbers."""
        if not isinstance(self.symbol, str):
            from ._convert import invalid

            raise invalid("invalid_argument", f"`symbol` must be a str, got {type(self.symbol).__name__}")
        return {
            "symbol": self.symbol,
            "side": self.side,
            "quantity": order_decimal(self.quantity, "quantity"),
            "order_type": self.order_type,
            "limit_price": opt_order_decimal(self.limit_price, "limit_price"),
            "stop_price": opt_order_decimal(self.stop_price, "stop_price"),
            "time_in_force": self.time_in_force,
            "stop_loss": opt_order_decimal(self.stop_loss, "stop_loss"),
            "take_profit": opt_order_decimal(self.take_profit, "take_profit"),
            "trims": [_trim_wire(t) for t in (self.trims or [])],
            "client_order_id": self.client_order_id,
            "reasoning": self.reasoning,
            "asset_type": self.asset_type,
        }


def _trim_wire(t: Any) -> Dict[str, Any]:
    if not isinstance(t, Trim):
        from ._convert import invalid

        raise invalid("invalid_argument", f"`trims` must hold vt.Trim(level, price, quantity), got {t!r}")
    return {
        "level": t.level,
        "price": order_decimal(t.price, "trims.price"),
        "quantity": order_decimal(t.quantity, "trims.quantity"),
    }


@dataclass(frozen=True)
class Bar(_Record):
    """One OHLCV bar; ``ts`` is its opening time (UTC)."""

    ts: _dt.datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal

    @classmethod
    def from_wire(cls, b: Dict[str, Any]) -> "Bar":
        """Built from the engine's JSON (used inside the package)."""
        return cls(to_datetime(b["ts"]), dec(b["open"]), dec(b["high"]), dec(b["low"]), dec(b["close"]), dec(b["volume"]))


def _role(r: Dict[str, Any]) -> str:
    return f"trim_{r['level']}" if r["kind"] == "trim" else str(r["kind"])


@dataclass(frozen=True)
class PlacedOrder(_Record):
    """An order as the engine keeps it: status, fills so far, and why it ended."""

    id: int
    symbol: str
    side: str
    quantity: Decimal
    order_type: str
    limit_price: Optional[Decimal]
    stop_price: Optional[Decimal]
    time_in_force: str
    status: str
    filled_quantity: Decimal
    avg_fill_price: Optional[Decimal]
    role: str
    parent_id: Optional[int]
    created_at: _dt.datetime
    end_reason: Optional[str]
    end_detail: Optional[str]
    client_order_id: Optional[str]

    @classmethod
    def from_wire(cls, o: Dict[str, Any]) -> "PlacedOrder":
        """Built from the engine's JSON (used inside the package)."""
        reason = o.get("end_reason") or {}
        return cls(
            o["id"], o["symbol"], o["side"], dec(o["quantity"]), o["order_type"], opt_dec(o.get("limit_price")),
            opt_dec(o.get("stop_price")), o["time_in_force"], o["status"], dec(o["filled_quantity"]),
            opt_dec(o.get("avg_fill_price")), _role(o["role"]), o.get("parent_id"), to_datetime(o["created_at"]),
            reason.get("code"), reason.get("detail"), o.get("client_order_id"),
        )


@dataclass(frozen=True)
class Fill(_Record):
    """One execution: the price touched (``reference_price``), the price paid after slippage, the
    slippage actually applied, commission; ``ts`` is the bar it filled on and ``bar_index`` that
    bar's index in the run (the strategy's ``ctx.bar_index`` there, backtesting.py's ``EntryBar``)."""

    id: int
    order_id: int
    symbol: str
    side: str
    quantity: Decimal
    fill_price: Decimal
    reference_price: Decimal
    slippage_bps: Decimal
    commission: Decimal
    total_value: Decimal
    realized_pnl: Decimal
    ts: _dt.datetime
    bar_index: int
    role: str
    reasoning: Optional[str]

    @classmethod
    def from_wire(cls, f: Dict[str, Any]) -> "Fill":
        """Built from the engine's JSON (used inside the package)."""
        return cls(
            f["id"], f["order_id"], f["symbol"], f["side"], dec(f["quantity"]), dec(f["fill_price"]),
            dec(f["reference_price"]), dec(f["slippage_bps"]), dec(f["commission"]), dec(f["total_value"]), dec(f["realized_pnl"]),
            to_datetime(f["ts"]), f["bar_index"], _role(f["role"]), f.get("reasoning"),
        )


@dataclass(frozen=True)
class StepResult(_Record):
    """What one step did for the agent (the hosted benchmark's step response)."""

    bars_advanced: int
    new_sim_time: _dt.datetime
    fills: List[Fill]
    equity: Decimal
    cash: Decimal
    positions_value: Decimal
    done: bool
    liquidated: bool


@dataclass(frozen=True)
class Position(_Record):
    symbol: str
    quantity: Decimal
    avg_cost: Decimal
    current_price: Decimal
    market_value: Decimal
    unrealized_pnl: Decimal
    realized_pnl: Decimal


@dataclass(frozen=True)
class Portfolio(_Record):
    """Cash, equity, buying power (counting queued orders) and positions at the latest closes."""

    cash: Decimal
    equity: Decimal
    positions_value: Decimal
    gross_exposure: Decimal
    buying_power: Decimal
    positions: List[Position]
    total_unrealized_pnl: Decimal
    realized_pnl: Decimal
    fees_paid: Decimal

    @classmethod
    def from_wire(cls, p: Dict[str, Any]) -> "Portfolio":
        """Built from the engine's JSON (used inside the package)."""
        positions = [Position(x["symbol"], *(dec(x[k]) for k in ("quantity", "avg_cost", "current_price", "market_value", "unrealized_pnl", "realized_pnl"))) for x in p["positions"]]
        return cls(
            dec(p["cash"]), dec(p["equity"]), dec(p["positions_value"]), dec(p["gross_exposure"]),
            dec(p["buying_power"]), positions, dec(p["total_unrealized_pnl"]), dec(p["realized_pnl"]), dec(p["fees_paid"]),
        )


@dataclass(frozen=True)
class TradeLeg(_Record):
    """One fill inside a round trip; exits say how (``stop``, ``take_profit``, ``trim``, ``manual``,
    ``liquidation``, ``reset``)."""

    fill_id: int
    order_id: int
    ts: _dt.datetime
    bar_index: int
    quantity: Decimal
    price: Decimal
    commission: Decimal
    exit_type: Optional[str]
    trim_level: Optional[int]

    @classmethod
    def from_wire(cls, x: Dict[str, Any]) -> "TradeLeg":
        """Built from the engine's JSON (used inside the package)."""
        return cls(
            x["fill_id"], x["order_id"], to_datetime(x["ts"]), x["bar_index"], dec(x["quantity"]), dec(x["price"]),
            dec(x["commission"]), x.get("exit_type"), x.get("trim_level"),
        )


@dataclass(frozen=True)
class Trade(_Record):
    """A round trip in one symbol, as the bot trade journal groups fills: long or short, open or
    closed, its entries and typed exits, PnL net of commissions; opening and closing bars by time
    and by index (``opened_bar_index``, ``closed_bar_index``: backtesting.py's ``EntryBar`` and
    ``ExitBar``)."""

    id: int
    symbol: str
    trade_type: str
    status: str
    opened_at: _dt.datetime
    opened_bar_index: int
    closed_at: Optional[_dt.datetime]
    closed_bar_index: Optional[int]
    entries: List[TradeLeg]
    exits: List[TradeLeg]
    quantity: Decimal
    open_quantity: Decimal
    avg_entry_price: Decimal
    avg_exit_price: Optional[Decimal]
    realized_pnl: Decimal
    fees: Decimal
    net_pnl: Decimal
    return_pct: float

    @classmethod
    def from_wire(cls, t: Dict[str, Any]) -> "Trade":
        """Built from the engine's JSON (used inside the package)."""
        return cls(
            t["id"], t["symbol"], t["trade_type"], t["status"], to_datetime(t["opened_at"]), t["opened_bar_index"],
            None if t.get("closed_at") is None else to_datetime(t["closed_at"]), t.get("closed_bar_index"),
            [TradeLeg.from_wire(x) for x in t["entries"]], [TradeLeg.from_wire(x) for x in t["exits"]],
            dec(t["quantity"]), dec(t["open_quantity"]), dec(t["avg_entry_price"]), opt_dec(t.get("avg_exit_price")),
            dec(t["realized_pnl"]), dec(t["fees"]), dec(t["net_pnl"]), t["return_pct"],
        )


_MONEY_METRICS = {"starting_equity", "final_equity", "expectancy", "best_trade", "worst_trade", "fees"}


@dataclass(frozen=True)
class Metrics(_Record):
    """Every metric of a run; units in the names: ``_pct`` = percent, ``max_drawdown`` = positive
    fraction, money as Decimal. Definitions: docs/METRICS.md."""

    starting_equity: Decimal
    final_equity: Decimal
    total_return_pct: float
    cagr_pct: float
    volatility_pct: float
    sharpe: float
    sortino: float
    max_drawdown: float
    max_drawdown_pct: float
    max_drawdown_duration_bars: int
    max_drawdown_duration_ms: int
    calmar: float
    round_trips: int
    fill_count: int
    win_rate_pct: float
    profit_factor: Optional[float]
    expectancy: Decimal
    best_trade: Optional[Decimal]
    worst_trade: Optional[Decimal]
    best_trade_pct: Optional[float]
    worst_trade_pct: Optional[float]
    max_consecutive_wins: int
    max_consecutive_losses: int
    exposure_pct: float
    turnover: float
    fees: Decimal
    benchmark_return_pct: Optional[float]
    alpha_annual_pct: Optional[float]
    beta: Optional[float]
    periods_per_year: float
    bars: int

    @classmethod
    def from_wire(cls, m: Dict[str, Any]) -> "Metrics":
        """Built from the engine's JSON (used inside the package)."""
        values: Dict[str, Any] = {
            k: (opt_dec(m[k]) if k in _MONEY_METRICS else m[k]) for k in (f.name for f in dataclasses.fields(cls))
        }
        return cls(**values)


@dataclass(frozen=True)
class SymbolPnl(_Record):
    symbol: str
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    fees: Decimal
    net_pnl: Decimal


@dataclass(frozen=True)
class Results(_Record):
    """A finished run's grade for one agent. ``return_pct`` is in percent, ``max_drawdown`` a
    positive fraction (0.087 = 8.7 %); ``metrics`` has everything else."""

    agent: str
    final_equity: Decimal
    return_pct: float
    sharpe: float
    sortino: float
    max_drawdown: float
    trade_count: int
    liquidated: bool
    benchmark_return_pct: Optional[float]
    per_symbol: List[SymbolPnl]
    metrics: Metrics

    @classmethod
    def from_wire(cls, r: Dict[str, Any]) -> "Results":
        """Built from the engine's JSON (used inside the package)."""
        per = [SymbolPnl(x["symbol"], dec(x["realized_pnl"]), dec(x["unrealized_pnl"]), dec(x["fees"]), dec(x["net_pnl"])) for x in r["per_symbol"]]
        return cls(
            r["agent"], dec(r["final_equity"]), r["return_pct"], r["sharpe"], r["sortino"], r["max_drawdown"],
            r["trade_count"], r["liquidated"], r.get("benchmark_return_pct"), per, Metrics.from_wire(r["metrics"]),
        )

    def __repr__(self) -> str:
        bench = "n/a" if self.benchmark_return_pct is None else f"{self.benchmark_return_pct:.2f} %"
        rows = [
            ("agent", self.agent),
            ("final equity", f"{self.final_equity:.2f}"),
            ("return", f"{self.return_pct:.2f} %"),
            ("benchmark return", bench),
            ("Sharpe", f"{self.sharpe:.2f}"),
            ("Sortino", f"{self.sortino:.2f}"),
            ("max drawdown", f"{self.max_drawdown * 100:.2f} %"),
            ("fills / round trips", f"{self.trade_count} / {self.metrics.round_trips}"),
            ("win rate", f"{self.metrics.win_rate_pct:.1f} %"),
            ("liquidated", str(self.liquidated)),
        ]
        width = max(len(k) for k, _ in rows)
        return "Results(\n" + "\n".join(f"  {k:<{width}}  {v}" for k, v in rows) + "\n)"
