"""Callback backtests: ``vt.backtest(strategy, scenario)`` calls ``strategy.on_bar(ctx)`` once per bar.

In the spirit of backtesting.py's ``Strategy``: subclass :class:`Strategy`, keep your indicators as
attributes, decide in ``on_bar``. Orders placed in ``on_bar`` meet the *next* bar, as everywhere
in VecTrade. Prices for indicators are floats (``ctx.close``, ``ctx.closes``), and orders take
floats back (read as the digits of their shortest representation); money, positions and account
values stay exact ``Decimal``.
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple, Union, overload

from . import _native
from ._convert import DecimalLike, OrderNumber, invalid, order_decimal, to_datetime, to_decimal
from .models import Bar, Order, PlacedOrder, Results, RiskProfile, Side, order_keywords
from .scenarios import Scenario
from .simulator import Run, Simulator

if TYPE_CHECKING:
    from ._remote import RemoteBacktest
    from .client import Client


class Strategy:
    """Base class of a callback strategy. Override :meth:`on_bar`; :meth:`init` runs once first.

    Class attributes are the strategy's parameters: ``SmaCross(fast=5, slow=20)`` runs it with
    other values, for a parameter sweep or a command line."""

    def __init__(self, **params: Any) -> None:
        """Overrides parameters (class attributes) by name; an unknown name is refused."""
        known = self.parameters()
        for name, value in params.items():
            if name not in known:
                from ._convert import invalid

                raise invalid(
                    "invalid_argument",
                    f"{type(self).__name__} has no parameter {name!r}; its parameters are {sorted(known)}",
                )
            setattr(self, name, value)

    @classmethod
    def parameters(cls) -> Dict[str, Any]:
        """The parameters and their defaults: public class attributes that are plain values."""
        out: Dict[str, Any] = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if name.startswith("_") or callable(value) or isinstance(value, (classmethod, staticmethod, property)):
                    continue
                out[name] = value
        return out

    def __repr__(self) -> str:
        values = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.parameters())
        return f"{type(self).__name__}({values})"

    def init(self, ctx: "Context") -> None:
        """Called once before the first bar is decided on."""

    def on_bar(self, ctx: "Context") -> None:
        """Called once per bar with the clock at that bar; place orders through ``ctx``."""
        raise NotImplementedError("a Strategy must implement on_bar(ctx)")


Indicator = _native.Indicator
crossover = _native.crossover


def crossings(a: Any, b: Any) -> Any:
    """An indicator set (1.0) at the bars where ``a`` crosses ``b`` either way and 0.0 elsewhere,
    for :meth:`Context.wake_on`; both revealed at the same bars (one symbol, or symbols sharing
    their bar times)."""
    from ._remote import RemoteIndicator, crossings as remote_crossings

    if isinstance(a, RemoteIndicator) and isinstance(b, RemoteIndicator):
        return remote_crossings(a, b)
    return _native.crossings(a, b)


class _OrderVerbs:
    """The order verbs of a strategy's context, written once for the local and the remote one:
    each ends in the context's own ``_place``."""

    __slots__ = ()

    def position(self, symbol: str) -> Decimal:  # each context reads its account its own way
        raise NotImplementedError

    def _place(self, symbol: str, side: Side, quantity: Any, limit: Any, kw: Dict[str, Any]) -> int:
        raise NotImplementedError

    def buy(self, symbol: str, quantity: OrderNumber, *, limit: Optional[OrderNumber] = None, **kw: Any) -> int:
        """A market buy, or a limit buy with ``limit=``; returns the order id. Other keywords
        (``stop_loss=``, ``time_in_force=``, ...) go to :class:`Order`. Quantities and prices may be
        floats (``limit=ctx.close(s) * 0.99``), read as the digits of their shortest representation
        as :class:`Order` reads them."""
        return self._place(symbol, "buy", quantity, limit, kw)

    def sell(self, symbol: str, quantity: OrderNumber, *, limit: Optional[OrderNumber] = None, **kw: Any) -> int:
        """A market (or ``limit=``) sell closing part or all of a long; returns the order id."""
        return self._place(symbol, "sell", quantity, limit, kw)

    def short(self, symbol: str, quantity: OrderNumber, *, limit: Optional[OrderNumber] = None, **kw: Any) -> int:
        """A market (or ``limit=``) short, when shorting is enabled; returns the order id."""
        return self._place(symbol, "short", quantity, limit, kw)

    def cover(self, symbol: str, quantity: OrderNumber, *, limit: Optional[OrderNumber] = None, **kw: Any) -> int:
        """A market (or ``limit=``) cover of part or all of a short; returns the order id."""
        return self._place(symbol, "cover", quantity, limit, kw)

    def close_position(self, symbol: str) -> Optional[int]:
        """A market order closing the whole position in ``symbol``; its id, or None when flat."""
        held = self.position(symbol)
        if held == 0:
            return None
        return self._place(symbol, "sell" if held > 0 else "cover", abs(held), None, {})


class Context(_OrderVerbs):
    """What a strategy sees and does at one bar. Cheap to use on every bar: the price getters
    return floats straight from the engine without building objects."""

    __slots__ = ("_run", "_native", "_agent", "_index", "_clock", "_wake", "_started", "_columns", "symbols")

    def __init__(self, run: Run, clock: Optional[_native.Clock] = None) -> None:
        self._run = run
        self._native = run._native
        self._agent = run._agent
        self._clock = clock or _native.Clock()
        self._wake: List[Indicator] = []
        self._started = False
        self._columns: Dict[Tuple[int, str], Any] = {}  # (series, field) → read-only float array
        self.symbols: List[str] = run.scenario.universe
        self._index: Dict[str, int] = {s: self._native.symbol_index(s) for s in run.scenario.universe}
        if run.scenario.benchmark_symbol:
            self._index[run.scenario.benchmark_symbol] = self._native.symbol_index(run.scenario.benchmark_symbol)

    def __repr__(self) -> str:
        return f"Context(agent={self._run.agent!r}, bar_index={self.bar_index}, time={self.time.isoformat()})"

    def _i(self, symbol: str) -> int:
        try:
            return self._index[symbol]
        except (KeyError, TypeError):  # TypeError: an unhashable symbol
            if not isinstance(symbol, str):
                raise invalid("invalid_argument", f"`symbol` must be a str, got {type(symbol).__name__}") from None
            return self._native.symbol_index(symbol)  # raises NotFound-style InvalidInput with the list

    # -- the clock and the market ---------------------------------------------------------------
    @property
    def time(self) -> _dt.datetime:
        """The clock: time of the bar being decided on (UTC)."""
        return to_datetime(self._native.sim_time)

    @property
    def bar_index(self) -> int:
        """0 for the first bar of the scenario, then 1, 2, ..."""
        return self._clock.step

    def close(self, symbol: str) -> Optional[float]:
        """Latest close as a float (None before the symbol's first bar)."""
        return self._native.close_f64(self._i(symbol))

    def closes(self, symbol: str, n: int) -> List[float]:
        """The last ``n`` closes (at most 1000), oldest first, as floats."""
        from ._convert import count

        n = count(n, "n")
        return self._native.closes_f64(self._i(symbol), n) if n else []

    def bar(self, symbol: str) -> Optional[Bar]:
        """The latest bar, exact."""
        b = self._native.last_bar(self._i(symbol))
        return None if b is None else Bar(to_datetime(b[0]), *b[1:])

    def indicator(self, fn: Callable[..., Any], symbol: str, *args: Any, field: str = "close", **kw: Any) -> Indicator:
        """``fn(values, *args, **kw)`` over the symbol's whole ``field`` series (a numpy float array),
        revealed bar by bar. ``fn`` must be causal — its value at a bar may only use that bar and
        earlier ones (a moving average is; a centred one is not): it is checked by computing it
        again on prefixes of the series, which must give the same values. A boolean result
        (``fast > slow``) gives 1.0 / 0.0, usable with :meth:`wake_on`. Needs numpy; call it from
        ``init``."""
        import numpy as np

        if not isinstance(field, str):
            from ._convert import invalid

            raise invalid("invalid_argument", f"`field` must be a str, got {type(field).__name__}")
        key = (self._i(symbol), field)
        if key not in self._columns:  # several indicators of one column read it once
            self._columns[key] = np.frombuffer(self._native.column_f64(*key), dtype="<f8")
        values = self._columns[key]
        full = np.asarray(fn(values, *args, **kw), dtype="f8")
        if full.shape != values.shape:
            from ._convert import invalid

            raise invalid("invalid_argument", f"indicator must return one value per bar ({values.shape[0]}), got shape {full.shape}")
        # Causal means a prefix of the data gives a prefix of the result: recompute on the
        # engine's prefix lengths (short and long ones, a fixed price for a long series).
        n = len(values)
        for cut in _native.causality_cuts(n):
            part = np.asarray(fn(values[:cut].copy(), *args, **kw), dtype="f8")
            same = part.shape == (cut,) and (
                np.array_equal(part, full[:cut], equal_nan=True)  # the usual case, and cheap
                or np.allclose(part, full[:cut], equal_nan=True, rtol=1e-9, atol=0.0)
            )
            if not same:
                from ._convert import invalid

                raise invalid(
                    "invalid_argument",
                    f"indicator is not causal: its first {cut} values change when later bars are removed (look-ahead)",
                )
        return Indicator(self._native, self._i(symbol), full.astype("<f8").tobytes(), self._clock)

    def wake_on(self, indicator: Indicator) -> None:
        """Calls ``on_bar`` only at the bars where ``indicator`` is set (neither 0 nor NaN — a
        boolean indicator is set where it is True) instead of at every bar. Several calls wake
        on any of them. The engine still steps every bar in between: resting orders, stops and
        brackets fill as usual; only the Python call is skipped, which is what makes an
        event-driven strategy cheap. Call it from ``init``."""
        from ._convert import invalid

        if self._started:
            raise invalid("invalid_argument", "wake_on is set up in init, before the first bar")
        if not isinstance(indicator, Indicator):
            raise invalid("invalid_argument", f"wake_on takes an Indicator from ctx.indicator, got {type(indicator).__name__}")
        self._wake.append(indicator)

    # -- the account ----------------------------------------------------------------------------
    def position(self, symbol: str) -> Decimal:
        """Signed units held (negative when short)."""
        return self._native.position(self._agent, self._i(symbol))

    @property
    def cash(self) -> Decimal:
        """Cash now (exact)."""
        return self._native.cash(self._agent)

    @property
    def equity(self) -> Decimal:
        """Cash plus positions at the latest closes."""
        return self._native.equity(self._agent)

    # -- orders ---------------------------------------------------------------------------------
    def submit(self, order: Order) -> PlacedOrder:
        """Queues any order; refusals raise the engine's errors (``OrderRejected``, ...)."""
        return self._run.submit(order)

    def order(self, order_id: int) -> PlacedOrder:
        """The order with this id as it stands now (status, fills, ...)."""
        return self._run.order(order_id)

    def _place(self, symbol: str, side: Side, quantity: Any, limit: Any, kw: Dict[str, Any]) -> int:
        if kw:  # brackets, time in force, ...: the full order
            order_keywords(f"ctx.{side}", kw)
            return self.submit(_order(symbol, side, quantity, limit, kw)).id
        # Hot path: one call into the engine, no order object, no JSON.
        if type(quantity) is not int:
            quantity = order_decimal(quantity, "quantity")
        if limit is not None and type(limit) is not int:
            limit = order_decimal(limit, "limit")
        return self._native.submit_simple(self._agent, self._i(symbol), side, quantity, limit)

    def cancel(self, order_id: int) -> PlacedOrder:
        """Cancels a working order."""
        return self._run.cancel(order_id)

    def open_orders(self) -> List[PlacedOrder]:
        """The agent's working orders, oldest first."""
        return self._run.open_orders()


def _order(symbol: str, side: Side, quantity: OrderNumber, limit: Optional[OrderNumber], kw: Dict[str, Any]) -> Order:
    if limit is not None:
        return Order.limit(symbol, side, quantity, limit, **kw)
    return Order.market(symbol, side, quantity, **kw)


class Backtest:
    """The outcome of :func:`backtest`: ``results`` (the grade) and ``run`` (fills, orders, curve)."""

    def __init__(self, run: Run, strategy: Any) -> None:
        self.run = run
        self.strategy = strategy
        self.results: Results = run.results()

    def __repr__(self) -> str:
        return repr(self.results)


OnBar = Callable[[Context], None]


@overload
def backtest(
    strategy: Union[Strategy, type, OnBar],
    scenario: Union[Scenario, str],
    *,
    agent: str = ...,
    risk: Optional[RiskProfile] = ...,
    intrabar_path: str = ...,
    progress: Optional[Callable[[int, int], None]] = ...,
    close_at_end: bool = ...,
    remote: None = ...,
    bot_name: None = ...,
) -> Backtest: ...


@overload
def backtest(
    strategy: Union[Strategy, type, OnBar],
    scenario: str,
    *,
    progress: Optional[Callable[[int, int], None]] = ...,
    remote: "Client",
    bot_name: Optional[str] = ...,
) -> "RemoteBacktest": ...


def backtest(
    strategy: Union[Strategy, type, OnBar],
    scenario: Union[Scenario, str],
    *,
    agent: str = "strategy",
    risk: Optional[RiskProfile] = None,
    intrabar_path: str = "nearest_extreme_first",
    progress: Optional[Callable[[int, int], None]] = None,
    close_at_end: bool = False,
    remote: Optional["Client"] = None,
    bot_name: Optional[str] = None,
) -> Union[Backtest, "RemoteBacktest"]:
    """Runs ``strategy`` over ``scenario`` bar by bar and grades it.

    ``scenario`` is a :class:`Scenario` or the slug of a built-in one (``"tech-2024-q2"``). With
    ``remote=client`` (a :class:`vectrade.Client`) the same strategy plays a benchmark run of that
    slug on the client's server instead — the seeds' loop of market, trades and step, with the same
    ``ctx`` API — and the result is a :class:`~vectrade._remote.RemoteBacktest` (the server's
    ``results``, ``fills``, ``orders`` and the ``run`` to publish, named ``bot_name``). The server runs
    the same engine, so both give the same fills and grade; ``agent``, ``risk``, ``intrabar_path``
    and ``close_at_end`` are the server's to decide there (its run's defaults), so they must be left
    at theirs.

    ``strategy`` is a :class:`Strategy` instance or subclass, or a plain function ``on_bar(ctx)``.
    The bar loop runs inside the engine: a bar costs one Python call plus what ``on_bar`` does, and
    none at all at bars skipped by :meth:`Context.wake_on`. Exceptions from the strategy propagate
    (with the run left at the failing bar); Ctrl-C stops the loop. ``progress``, if given, is
    called as ``progress(bars_done, bars_total)`` about a hundred times. ``close_at_end=True``
    closes the positions still open at the end through the engine, as backtesting.py's
    ``finalize_trades``: market orders queued after the last ``on_bar`` fill at the last bar's open
    (orders still working then are cancelled), so every trade is closed in the results.
    """
    if isinstance(strategy, type):
        strategy = strategy()
    on_bar: OnBar
    if isinstance(strategy, Strategy):
        on_bar = strategy.on_bar
    elif callable(strategy):
        on_bar = strategy
    else:
        raise invalid("invalid_argument", "`strategy` must be a Strategy, a Strategy subclass or a function on_bar(ctx)")
    if remote is not None:
        from . import _remote

        local_only = {"agent": agent != "strategy", "risk": risk is not None, "close_at_end": close_at_end,
                      "intrabar_path": intrabar_path != "nearest_extreme_first"}
        if any(local_only.values()):
            given = sorted(k for k, v in local_only.items() if v)
            raise invalid("invalid_argument", f"{given} apply to local runs only; a remote run uses the server's settings")
        return _remote.backtest(on_bar, strategy if isinstance(strategy, Strategy) else None, scenario, remote, bot_name, progress)
    if bot_name is not None:
        raise invalid("invalid_argument", "`bot_name` names a remote run: give `remote=client` too")
    if isinstance(scenario, str):
        from . import scenarios

        scenario = scenarios.get(scenario)
    run = Simulator(scenario, intrabar_path=intrabar_path, close_at_end=close_at_end).start(agent=agent, risk=risk)
    ctx = Context(run)
    if isinstance(strategy, Strategy):
        strategy.init(ctx)
    ctx._started = True
    total = int(scenario.info["bar_count"]) - 1
    every = max(total // 100, 1) if progress is not None else 0
    # The bar loop runs in the engine and calls on_bar (see bindings-python/src/strategy.rs).
    _native.drive(run._native, on_bar, ctx, ctx._clock, ctx._wake, progress, every)
    if progress is not None:
        progress(total, total)
    return Backtest(run, strategy)


def backtest_signals(
    data: Any,
    entries: Any,
    exits: Any,
    *,
    short_entries: Any = None,
    short_exits: Any = None,
    symbol: Optional[str] = None,
    size: Optional[DecimalLike] = None,
    size_pct: Optional[DecimalLike] = None,
    sl_stop: Optional[OrderNumber] = None,
    tp_stop: Optional[OrderNumber] = None,
    sl_trail: bool = False,
    fees: Optional[OrderNumber] = None,
    intrabar_path: str = "nearest_extreme_first",
    **rules: Any,
) -> Backtest:
    """A vectorised backtest: entry and exit flags per bar, run entirely inside the engine (no
    Python call per bar), for parameter sweeps.

    Stops, as vectorbt names them: ``sl_stop`` and ``tp_stop`` are fractions of the entry price
    (``sl_stop=0.05``: a stop 5 % below a long's entry, above a short's), ``sl_trail=True`` makes the
    stop trail the best price since the entry. They are the engine's bracket orders (stop-loss and
    take-profit, one cancelling the other), levelled from the entry's fill and filling by the
    engine's gap and intrabar rules (ARCHITECTURE.md); a trailing stop moves after each bar to
    that bar's high × (1 − ``sl_stop``) for a long when higher. ``fees`` is a commission as a
    fraction of each fill's value (``fees=0.001``: 10 bps), replacing the scenario's.

    ``data`` is a :class:`Scenario` (with ``symbol`` when its universe has several), a pandas
    DataFrame of OHLC(V) bars, or a Series / array of prices (each price becomes a flat bar). Flags
    are booleans, one per bar of the symbol; a flag decided at a bar's close acts at the next open,
    like any order (0/1 numbers are read as flags; anything else is refused). Sizing: ``size`` units per entry (default 1), or ``size_pct`` percent of equity
    at the decision close. ``rules`` (starting_cash, commission, short_enabled, ...) apply when the
    scenario is built from ``data``; see :class:`vectrade.scenarios.Rules`. Ctrl-C stops it with
    ``KeyboardInterrupt``.
    """
    from ._convert import dumps

    scenario, symbol, index = _signal_inputs(_with_fees(data, fees, rules), symbol, rules)
    wire_size = _size_wire(size, size_pct)
    native = _native.backtest_signals(
        scenario._native,
        symbol,
        dumps(wire_size),
        _flag_bytes("entries", entries, index) or b"",
        _flag_bytes("exits", exits, index) or b"",
        _flag_bytes("short_entries", short_entries, index),
        _flag_bytes("short_exits", short_exits, index),
        dumps({"intrabar_path": intrabar_path}),
        _stops_wire(sl_stop, tp_stop, sl_trail),
    )
    return Backtest(Run(native, scenario), None)


def _signal_inputs(data: Any, symbol: Optional[str], rules: Dict[str, Any]) -> Tuple[Scenario, str, Any]:
    """The scenario, the traded symbol and the data's index (for aligning flags) of a signal run."""
    if isinstance(data, Scenario):
        scenario = data
        if rules:
            raise invalid("invalid_argument", f"rules {sorted(rules)} only apply when the scenario is built from data")
    else:
        try:
            scenario = _scenario_from_prices(data, symbol or "ASSET", rules)
        except TypeError as e:  # an unknown rule
            raise invalid("invalid_argument", f"{e}; rules are the fields of vt.scenarios.Rules") from None
        symbol = symbol or scenario.universe[0]
    if symbol is None:
        if len(scenario.universe) != 1:
            raise invalid("invalid_argument", f"`symbol` is needed: the universe is {scenario.universe}")
        symbol = scenario.universe[0]
    return scenario, symbol, getattr(data, "index", None)


def _stops_wire(sl_stop: Optional[OrderNumber], tp_stop: Optional[OrderNumber], sl_trail: bool) -> Optional[str]:
    """The engine's signal stops as JSON, or None without any."""
    from ._convert import dumps

    if not isinstance(sl_trail, bool):
        raise invalid("invalid_argument", f"`sl_trail` must be True or False, got {sl_trail!r}")
    if sl_stop is None and tp_stop is None and not sl_trail:
        return None
    stops: Dict[str, Any] = {"sl_trail": sl_trail}
    if sl_stop is not None:
        stops["sl_stop"] = order_decimal(sl_stop, "sl_stop")
    if tp_stop is not None:
        stops["tp_stop"] = order_decimal(tp_stop, "tp_stop")
    return dumps(stops)


def _with_fees(data: Any, fees: Optional[OrderNumber], rules: Dict[str, Any]) -> Any:
    """``fees`` (a fraction of each fill's value) as the commission rule: on a scenario's bars, or
    among ``rules`` for a scenario built from data."""
    if fees is None:
        return data
    bps = order_decimal(fees, "fees") * 10_000
    if bps < 0:
        raise invalid("invalid_argument", f"`fees` must be 0 or more, got {fees!r}")
    if "commission" in rules:
        raise invalid("invalid_argument", "give `fees` or a `commission` rule, not both")
    if isinstance(data, Scenario):
        return data.with_rules(commission={"bps": bps})
    rules["commission"] = {"bps": bps}
    return data


def _size_wire(size: Optional[DecimalLike], size_pct: Optional[DecimalLike]) -> Dict[str, Any]:
    """The engine's signal size: ``size`` units (default 1) or ``size_pct`` percent of equity."""
    if size is not None and size_pct is not None:
        raise invalid("invalid_argument", "give `size` or `size_pct`, not both")
    if size_pct is not None:
        return {"kind": "equity_pct", "value": to_decimal(size_pct, "size_pct")}
    return {"kind": "units", "value": to_decimal(1 if size is None else size, "size")}


def _flag_bytes(name: str, values: Any, index: Any) -> Optional[bytes]:
    """One flag series as bytes (0/1 per bar): booleans, or numbers that are all 0 or 1; a pandas
    series must share the data's index."""
    import numpy as np

    if values is None:
        return None
    own = getattr(values, "index", None)
    if own is not None and index is not None and hasattr(own, "equals") and not own.equals(index):
        raise invalid("invalid_argument", f"`{name}` is indexed differently from the data: align it first")
    arr = np.asarray(values)
    if arr.dtype == object:  # pandas' nullable booleans and lists of bools
        if not all(isinstance(v, (bool, np.bool_)) for v in arr.ravel()):
            raise invalid("invalid_argument", f"`{name}` must be booleans; it holds other values (missing ones?)")
        arr = arr.astype(bool)
    if arr.dtype != np.bool_:
        if arr.dtype.kind not in "biuf":
            raise invalid("invalid_argument", f"`{name}` must be booleans, got dtype {arr.dtype}")
        other = ~((arr == 0) | (arr == 1))
        if other.any():
            i = int(np.argmax(other))
            raise invalid(
                "invalid_argument",
                f"`{name}` must be booleans or 0/1, got {arr[i].item()!r} at position {i} ({int(other.sum())} such values)",
            )
        arr = arr != 0
    return bytes(np.ascontiguousarray(arr, dtype=np.bool_).tobytes())


def _scenario_from_prices(data: Any, symbol: str, rules: Dict[str, Any]) -> Scenario:
    import numpy as np

    from . import scenarios

    try:
        import pandas as pd
    except ImportError:  # arrays work without pandas
        pd = None
    if pd is not None and isinstance(data, pd.DataFrame):
        return scenarios.from_dataframe(data, symbol=symbol, **rules)
    values = np.asarray(data, dtype="f8")
    if pd is not None and isinstance(data, pd.Series) and isinstance(data.index, pd.DatetimeIndex):
        ts = data.index.values
    else:
        ts = (np.arange(len(values), dtype="i8") * 86_400_000).astype("datetime64[ms]")
    cols = {"ts": ts, "open": values, "high": values, "low": values, "close": values, "volume": np.zeros(len(values))}
    return scenarios.from_arrays({symbol: cols}, **rules)
