"""One strategy, two places: ``vt.backtest(strategy, "tech-2024-q2", remote=client)`` plays a
:class:`~vectrade.Strategy` against a benchmark run on a VecTrade server instead of the local
engine, through the seeds' loop (market → trades → step) — with the same ``ctx`` API.

The server runs the same core on the same scenario, so the fills and the grade are those of the
local ``vt.backtest(strategy, vt.scenarios.get(slug))``. What a remote run cannot do is read the
future: ``ctx.indicator(fn, ...)`` computes ``fn`` on the bars revealed so far, once per bar (the
local run computes it once on the whole series and checks it is causal — for a causal ``fn`` the
values are the same). Each bar costs about three requests (market, step, plus one per order).
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Mapping, Optional, Union, cast

from . import _native
from ._convert import count, invalid, to_datetime
from .backtest import _order, _OrderVerbs
from .models import Bar, Order, PlacedOrder, Side, order_keywords

if TYPE_CHECKING:
    from .backtest import Strategy
    from .client import Client, RemoteRun

_FIELDS = ("open", "high", "low", "close", "volume")
_MAX_LOOKBACK = 1000  # the engine's limit on ctx.closes, as locally
_INTO_POSITION = {"buy": 1, "cover": 1, "sell": -1, "short": -1}


def _time(text: str) -> _dt.datetime:
    return to_datetime(_native.parse_timestamp(text))


def placed_order(o: Mapping[str, Any]) -> PlacedOrder:
    """A run's order as the server shows it, as the :class:`PlacedOrder` a local run gives."""

    def opt(name: str) -> Optional[Decimal]:
        v = o.get(name)
        return None if v is None else Decimal(v)

    return PlacedOrder(
        int(o["id"]), o["symbol"], o["side"], Decimal(o["quantity"]), o["order_type"], opt("limit_price"),
        opt("stop_price"), o["time_in_force"], o["status"], Decimal(o["filled_quantity"]), opt("avg_fill_price"),
        o["role"], None if o.get("parent_id") is None else int(o["parent_id"]), _time(o["created_at"]),
        o.get("end_reason"), o.get("rejection_reason"), None,
    )


class RemoteIndicator:
    """An indicator of a remote run: ``fn`` over the bars of one symbol revealed so far, one value
    per bar. Read as the local one: ``ind[-1]`` now, ``ind[-k:]`` the last k values, ``len(ind)``."""

    __slots__ = ("_symbol", "_update", "_values", "_registry")

    def __init__(
        self, symbol: str, update: Callable[[List[float]], float], values: List[float], registry: List["RemoteIndicator"]
    ) -> None:
        self._symbol = symbol
        self._update = update
        self._values = values
        self._registry = registry  # the context's indicators, brought along bar by bar in this order
        registry.append(self)

    def _next(self) -> None:
        self._values.append(self._update(self._values))

    def __len__(self) -> int:
        return len(self._values)

    def __getitem__(self, index: Union[int, slice]) -> Any:
        if isinstance(index, slice):
            return self._values[index]
        n = len(self._values)
        if not isinstance(index, int) or index >= 0 or -index > n:
            raise IndexError(f"indicator index must be -1 (this bar) down to -{n}, got {index!r}")
        return self._values[index]

    def __iter__(self) -> Iterator[float]:
        return iter(self._values)

    def __repr__(self) -> str:
        return f"RemoteIndicator({self._symbol!r}, {len(self._values)} values, now {self._values[-1] if self._values else None})"


def _is_set(v: float) -> bool:
    return v == v and v != 0.0  # neither NaN nor zero


def crossings(a: RemoteIndicator, b: RemoteIndicator) -> RemoteIndicator:
    """:func:`vectrade.crossings` of two remote indicators: 1.0 at the bars where one crosses the other."""
    if a._symbol != b._symbol:
        raise invalid("invalid_argument", "crossings compares two indicators revealed at the same bars (one symbol)")

    def crossed(a_now: List[float], b_now: List[float]) -> float:
        if len(a_now) < 2 or len(b_now) < 2:
            return 0.0
        (a0, a1), (b0, b1) = a_now[-2:], b_now[-2:]
        return 1.0 if (a0 < b0 and a1 > b1) or (a0 > b0 and a1 < b1) else 0.0

    values = [crossed(a._values[: i + 1], b._values[: i + 1]) for i in range(len(a._values))]
    return RemoteIndicator(a._symbol, lambda _own: crossed(a._values, b._values), values, a._registry)


class RemoteContext(_OrderVerbs):
    """What a strategy sees and does at one bar of a remote run: the same API as
    :class:`vectrade.backtest.Context`, answered from the bars and fills the server sent (reads
    make no request) and with orders sent to the server as they are placed."""

    def __init__(self, run: "RemoteRun", symbols: List[str], benchmark: Optional[str]) -> None:
        self._run = run
        self.symbols: List[str] = symbols
        self._known = set(symbols) | ({benchmark} if benchmark else set())
        self._bars: Dict[str, List[Bar]] = {s: [] for s in self._known}
        self._columns: Dict[tuple, List[float]] = {}  # (symbol, field) → floats of the revealed bars
        self._indicators: List[RemoteIndicator] = []  # in creation order: crossings after their inputs
        self._wake: List[RemoteIndicator] = []
        self._fresh: set = set()  # symbols that got a bar at this step
        self._positions: Dict[str, Decimal] = {}
        self._cash = Decimal(run.data["cash"])
        self._equity = Decimal(run.data["equity"])
        self._time = _time(run.data["sim_time"])
        self._step = 0
        self._started = False

    def __repr__(self) -> str:
        return f"RemoteContext(run={self._run.id!r}, bar_index={self.bar_index}, time={self.time.isoformat()})"

    # -- kept up to date by the loop ------------------------------------------------------------
    def _reveal(self) -> None:
        """Reads the bars of the current step (one request) and brings the indicators along."""
        market = self._run.market(lookback=1)
        self._time = _time(market["sim_time"])
        self._fresh = set()
        for symbol, bars in market["bars"].items():
            if not bars:
                continue
            b = bars[-1]
            seen = self._bars.setdefault(symbol, [])
            ts = _time(b["ts"])
            if seen and seen[-1].ts == ts:
                continue  # no bar for this symbol at this step
            bar = Bar(ts, *(Decimal(b[f]) for f in _FIELDS))
            seen.append(bar)
            for (s, field), column in self._columns.items():
                if s == symbol:
                    column.append(float(getattr(bar, field)))
            self._fresh.add(symbol)
        for ind in self._indicators:
            if ind._symbol in self._fresh:
                ind._next()

    def _stepped(self, out: Mapping[str, Any]) -> None:
        for f in out["fills"]:
            signed = _INTO_POSITION[f["side"]] * Decimal(f["quantity"])
            self._positions[f["symbol"]] = self._positions.get(f["symbol"], Decimal(0)) + signed
        self._cash = Decimal(out["cash"])
        self._equity = Decimal(out["equity"])
        self._step += 1

    def _wakes(self) -> bool:
        return not self._wake or any(w._symbol in self._fresh and _is_set(w._values[-1]) for w in self._wake)

    def _symbol(self, symbol: Any) -> str:
        if symbol in self._known:
            return symbol
        if not isinstance(symbol, str):
            raise invalid("invalid_argument", f"`symbol` must be a str, got {type(symbol).__name__}")
        raise invalid("unknown_symbol", f"'{symbol}' is not in the scenario; symbols are {sorted(self._known)}")

    # -- the clock and the market ---------------------------------------------------------------
    @property
    def time(self) -> _dt.datetime:
        """The clock: time of the bar being decided on (UTC)."""
        return self._time

    @property
    def bar_index(self) -> int:
        """0 for the first bar of the scenario, then 1, 2, ..."""
        return self._step

    def close(self, symbol: str) -> Optional[float]:
        """Latest close as a float (None before the symbol's first bar)."""
        bars = self._bars[self._symbol(symbol)]
        return float(bars[-1].close) if bars else None

    def closes(self, symbol: str, n: int) -> List[float]:
        """The last ``n`` closes (at most 1000), oldest first, as floats."""
        bars = self._bars[self._symbol(symbol)]
        n = count(n, "n")
        if n > _MAX_LOOKBACK:
            raise invalid("invalid_lookback", f"lookback must be at most {_MAX_LOOKBACK}, got {n}")
        return [float(b.close) for b in bars[-n:]] if n else []

    def bar(self, symbol: str) -> Optional[Bar]:
        """The latest bar, exact."""
        bars = self._bars[self._symbol(symbol)]
        return bars[-1] if bars else None

    def indicator(self, fn: Callable[..., Any], symbol: str, *args: Any, field: str = "close", **kw: Any) -> RemoteIndicator:
        """``fn(values, *args, **kw)`` over the symbol's ``field`` series revealed so far,
        recomputed at each new bar (its last value is the bar's). Needs numpy."""
        import numpy as np

        symbol = self._symbol(symbol)
        if field not in _FIELDS:
            raise invalid("invalid_argument", f"`field` must be one of {list(_FIELDS)}, got {field!r}")
        column = self._columns.setdefault((symbol, field), [float(getattr(b, field)) for b in self._bars[symbol]])

        def evaluate() -> Any:
            values = np.asarray(column, dtype="f8")
            out = np.asarray(fn(values.copy(), *args, **kw), dtype="f8")
            if out.shape != values.shape:
                raise invalid("invalid_argument", f"indicator must return one value per bar ({values.shape[0]}), got shape {out.shape}")
            return out

        first = [float(v) for v in evaluate()] if column else []
        return RemoteIndicator(symbol, lambda _own: float(evaluate()[-1]), first, self._indicators)

    def wake_on(self, indicator: RemoteIndicator) -> None:
        """Calls ``on_bar`` only at the bars where ``indicator`` is set (neither 0 nor NaN); the
        run still steps every bar in between. Call it from ``init``."""
        if self._started:
            raise invalid("invalid_argument", "wake_on is set up in init, before the first bar")
        if not isinstance(indicator, RemoteIndicator):
            raise invalid("invalid_argument", f"wake_on takes an indicator from ctx.indicator, got {type(indicator).__name__}")
        self._wake.append(indicator)

    # -- the account ----------------------------------------------------------------------------
    def position(self, symbol: str) -> Decimal:
        """Signed units held (negative when short)."""
        return self._positions.get(self._symbol(symbol), Decimal(0))

    @property
    def cash(self) -> Decimal:
        """Cash now (exact)."""
        return self._cash

    @property
    def equity(self) -> Decimal:
        """Cash plus positions at the latest closes."""
        return self._equity

    # -- orders ---------------------------------------------------------------------------------
    def submit(self, order: Order) -> PlacedOrder:
        """Queues any order on the server (one request); refusals raise the engine's errors."""
        if not isinstance(order, Order):
            raise invalid("invalid_argument", f"submit takes a vt.Order, got {type(order).__name__}")
        if order.trims:
            raise invalid("invalid_argument", "trims are not part of the benchmark API's orders: place the exits as their own orders")
        return placed_order(self._run.trade(order)["order"])

    def order(self, order_id: int) -> PlacedOrder:
        """The order with this id as it stands now (one request)."""
        for o in self._run.orders()["orders"]:
            if o["id"] == str(order_id):
                return placed_order(o)
        err = _native.NotFound(f"no order {order_id} in this run")
        err.code, err.detail, err.family = "order_not_found", f"no order {order_id} in this run", "not_found"  # type: ignore[attr-defined]
        raise err

    def cancel(self, order_id: int) -> PlacedOrder:
        """Cancels a working order (one request)."""
        return placed_order(self._run.cancel(order_id)["order"])

    def open_orders(self) -> List[PlacedOrder]:
        """The working orders, oldest first (one request)."""
        return [placed_order(o) for o in self._run.orders("open")["orders"]]

    def _place(self, symbol: str, side: Side, quantity: Any, limit: Any, kw: Dict[str, Any]) -> int:
        if kw:
            order_keywords(f"ctx.{side}", kw)
        return self.submit(_order(self._symbol(symbol), side, quantity, limit, kw)).id


class RemoteBacktest:
    """The outcome of a remote :func:`vectrade.backtest`: ``results`` (the server's grade),
    ``fills`` (every fill, as the server lists them), ``orders`` and ``run`` (the
    :class:`~vectrade.client.RemoteRun`, to publish it)."""

    def __init__(self, run: "RemoteRun", strategy: Any) -> None:
        self.run = run
        self.strategy = strategy
        self.results: Dict[str, Any] = run.results()["results"]
        self.fills: List[Dict[str, Any]] = run.trades()["trades"]
        self.orders: List[PlacedOrder] = [placed_order(o) for o in run.orders()["orders"]]

    def __repr__(self) -> str:
        r = self.results
        return (
            f"RemoteBacktest(run={self.run.id!r}, final_equity={r['final_equity']}, "
            f"return_pct={r['return_pct']:.2f}, fills={r['trade_count']})"
        )


def backtest(
    on_bar: Callable[[Any], None],
    strategy: Optional["Strategy"],
    scenario: Any,
    client: "Client",
    bot_name: Optional[str],
    progress: Optional[Callable[[int, int], None]],
) -> RemoteBacktest:
    """The remote loop of :func:`vectrade.backtest` (see there)."""
    if not isinstance(scenario, str):
        raise invalid("invalid_argument", f"a remote backtest takes the scenario's slug, got {type(scenario).__name__}")
    info = client.benchmark.get_scenario(scenario)["scenario"]
    name = type(strategy).__name__ if strategy is not None else getattr(on_bar, "__name__", "strategy")
    run = client.benchmark.start_run(scenario, bot_name=bot_name or name)
    ctx = RemoteContext(run, list(info["universe"]), info.get("benchmark_symbol"))
    ctx._reveal()
    if strategy is not None:
        # Strategies are typed against the local Context; this one answers the same calls.
        strategy.init(cast(Any, ctx))
    ctx._started = True
    total = int(info["bar_count"]) - 1
    every = max(total // 100, 1)
    while True:
        if ctx._wakes():
            on_bar(ctx)
        ctx._stepped(run.step())
        if run.done:
            break
        if progress is not None and ctx._step % every == 0:
            progress(ctx._step, total)
        ctx._reveal()
    if progress is not None:
        progress(total, total)
    return RemoteBacktest(run, strategy)
