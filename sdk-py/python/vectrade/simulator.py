"""Runs: one or more agents trading a scenario bar by bar, as in the hosted benchmark's loop."""

from __future__ import annotations

import dataclasses
import datetime as _dt
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from . import _native
from ._convert import count as int_arg, dumps, invalid, loads, require, to_datetime
from .models import Bar, Fill, Metrics, Order, Portfolio, PlacedOrder, Results, RiskProfile, StepResult, Trade
from .scenarios import Scenario

#: Bars per symbol a market observation returns unless told otherwise (the hosted default).
DEFAULT_LOOKBACK = 50


class Simulator:
    """Starts runs on a scenario: ``Simulator(scenario).start(agent="my-bot")``.

    ``intrabar_path`` decides which trigger fills first when several fall inside one bar:
    ``"nearest_extreme_first"`` (default), ``"pessimistic"``, ``"high_first"`` or ``"low_first"``.
    ``close_at_end=True`` closes every position at the end, as backtesting.py's ``finalize_trades``:
    before the last bar each agent's working orders are cancelled and market orders closing its
    positions are queued (the path of :meth:`Run.liquidate_and_finish`), filling at the last bar's
    open. By default positions stay open and are valued at the last close.
    """

    def __init__(
        self, scenario: Scenario, *, intrabar_path: str = "nearest_extreme_first", close_at_end: bool = False
    ) -> None:
        if not isinstance(scenario, Scenario):
            raise invalid("invalid_argument", "`scenario` must be a vectrade Scenario (vt.scenarios.get(...))")
        if not isinstance(close_at_end, bool):
            raise invalid("invalid_argument", f"`close_at_end` must be True or False, got {close_at_end!r}")
        self.scenario = scenario
        self.intrabar_path = intrabar_path
        self.close_at_end = close_at_end

    def __repr__(self) -> str:
        closing = ", close_at_end=True" if self.close_at_end else ""
        return f"Simulator({self.scenario.slug!r}, intrabar_path={self.intrabar_path!r}{closing})"

    def start(self, agent: str = "agent", risk: Optional[RiskProfile] = None) -> "Run":
        """A run with one agent."""
        return self.tournament([(agent, risk)]).as_agent(agent)

    def tournament(self, agents: Sequence[Union[str, Tuple[str, Optional[RiskProfile]]]]) -> "Run":
        """A run with several agents side by side, each with an isolated account."""
        options = {"intrabar_path": self.intrabar_path, "close_at_end": self.close_at_end}
        native = _native.Run(self.scenario._native, dumps(options))
        run = Run(native, self.scenario)
        if not agents:
            raise invalid("invalid_argument", "a run needs at least one agent")
        for entry in agents:
            if isinstance(entry, str):
                name, risk = entry, None
            elif isinstance(entry, tuple) and len(entry) == 2:
                name, risk = entry
            else:
                raise invalid("invalid_argument", f"each agent is a name or (name, RiskProfile), got {entry!r}")
            run.add_agent(name, risk)
        return run


class _Shared:
    """The native run and its scenario, shared by every agent view of one run; pickles through a
    snapshot, so views pickled together come back sharing one run."""

    def __init__(self, native: _native.Run, scenario: Scenario) -> None:
        self.native = native
        self.scenario = scenario

    def __reduce__(self) -> Tuple[Any, ...]:
        return (_Shared._restore, (self.scenario, self.native.snapshot_json()))

    @staticmethod
    def _restore(scenario: Scenario, snapshot: str) -> "_Shared":
        return _Shared(_native.Run.restore(scenario._native, snapshot), scenario)


class Run:
    """A run. Methods act for the current agent (the only one, or the one chosen with
    :meth:`as_agent`); pass ``agent=`` to act for another."""

    def __init__(self, native: Union[_native.Run, _Shared], scenario: Scenario, agent: int = 0) -> None:
        self._shared = native if isinstance(native, _Shared) else _Shared(native, scenario)
        self._native = self._shared.native
        self.scenario = scenario
        self._agent = agent

    # -- agents --------------------------------------------------------------------------------
    def add_agent(self, name: str, risk: Optional[RiskProfile] = None) -> int:
        """Adds an agent (before the first step only); returns its id."""
        if not isinstance(name, str):
            raise invalid("invalid_argument", f"`agent` must be a str, got {type(name).__name__}")
        if risk is not None and not isinstance(risk, RiskProfile):
            raise invalid("invalid_argument", f"`risk` must be a vt.RiskProfile, got {type(risk).__name__}")
        return self._native.add_agent(name, dumps((risk or RiskProfile()).to_wire()))

    def as_agent(self, name: str) -> "Run":
        """A view of this run acting for agent ``name`` (the same run, not a copy)."""
        return Run(self._shared, self.scenario, self._id(name))

    @property
    def agents(self) -> List[str]:
        """Names of the run's agents, in the order they joined."""
        return self._native.agent_names()

    @property
    def agent(self) -> str:
        """Name of the agent this view acts for."""
        return self.agents[self._agent]

    def _id(self, agent: Optional[str]) -> int:
        if agent is None:
            return self._agent
        names = self.agents
        if agent not in names:
            err = _native.NotFound(f"no agent named {agent!r}; agents are {names}")
            err.code, err.detail, err.family = "unknown_agent", str(err), "not_found"  # type: ignore[attr-defined]
            raise err
        return names.index(agent)

    def clone_agent(self, name: str, *, agent: Optional[str] = None) -> None:
        """Adds an agent with the same risk profile and a fresh account."""
        self._native.clone_agent(self._id(agent), name)

    def reset(self, *, agent: Optional[str] = None) -> None:
        """Cancels orders, closes positions at their marks, restores cash; results count from here."""
        self._native.reset_agent(self._id(agent))

    def set_risk(self, risk: RiskProfile, *, agent: Optional[str] = None) -> None:
        """Replaces the agent's risk profile; it applies from its next order on."""
        if not isinstance(risk, RiskProfile):
            raise invalid("invalid_argument", f"`risk` must be a vt.RiskProfile, got {type(risk).__name__}")
        self._native.set_risk_profile(self._id(agent), dumps(risk.to_wire()))

    # -- clock ---------------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        """True once the scenario is exhausted or every agent was liquidated."""
        return self._native.done

    @property
    def sim_time(self) -> _dt.datetime:
        """Time of the latest bar observed (UTC)."""
        return to_datetime(self._native.sim_time)

    # -- observing -----------------------------------------------------------------------------
    def market(
        self, symbols: Optional[Sequence[str]] = None, lookback: int = DEFAULT_LOOKBACK, *, as_: str = "auto"
    ) -> Dict[str, Any]:
        """Bars up to ``sim_time`` per symbol (all universe symbols and the benchmark by default).

        ``as_="bars"`` gives lists of :class:`Bar`; ``"pandas"`` gives DataFrames indexed by time
        with Decimal columns; ``"auto"`` (default) is pandas when it is installed.
        """
        if isinstance(symbols, str):
            symbols = [symbols]
        elif symbols is not None:
            try:
                symbols = list(symbols)
            except TypeError:
                raise invalid("invalid_argument", f"`symbols` must be a symbol or a list of symbols, got {symbols!r}") from None
            if not all(isinstance(s, str) for s in symbols):
                raise invalid("invalid_argument", f"`symbols` must hold symbols (str), got {symbols!r}")
        lookback = int_arg(lookback, "lookback", 1)
        # Counted against the agent's requests-per-minute limit, as the hosted API counts them.
        view = loads(self._native.market_for_json(self._agent, list(symbols) if symbols is not None else None, lookback))
        want = _resolve_format(as_)
        out: Dict[str, Any] = {}
        for entry in view["bars"]:
            bars = [Bar.from_wire(b) for b in entry["bars"]]
            out[entry["symbol"]] = _frame(bars) if want == "pandas" else bars
        return out

    def scan(self) -> Dict[str, Bar]:
        """The latest bar of every symbol (a whole-universe scan, lookback 1)."""
        return {s: bars[-1] for s, bars in self.market(lookback=1, as_="bars").items() if bars}

    # -- acting --------------------------------------------------------------------------------
    def submit(self, order: Order, *, idempotency_key: Optional[str] = None, agent: Optional[str] = None) -> PlacedOrder:
        """Queues an order; it first meets the next bar. Raises :class:`OrderRejected`,
        :class:`RiskLimitExceeded`, ... with the engine's ``code`` when it is refused."""
        if not isinstance(order, Order):
            raise invalid("invalid_argument", f"`order` must be a vt.Order (vt.Order.market(...)), got {type(order).__name__}")
        if idempotency_key is not None and not isinstance(idempotency_key, str):
            raise invalid("invalid_argument", "`idempotency_key` must be a str")
        wire = dumps(order.to_wire())
        return PlacedOrder.from_wire(loads(self._native.submit(self._id(agent), wire, idempotency_key)))

    def cancel(self, order_id: int, *, idempotency_key: Optional[str] = None, agent: Optional[str] = None) -> PlacedOrder:
        """Cancels a working order (raises ``InvalidState`` once it has ended)."""
        order_id = int_arg(order_id, "order_id", 1)
        _key(idempotency_key)
        return PlacedOrder.from_wire(loads(self._native.cancel(self._id(agent), order_id, idempotency_key)))

    def step(self, count: int = 1, *, idempotency_key: Optional[str] = None) -> StepResult:
        """Advances up to ``count`` bars and reports this agent's fills and balances.

        Ctrl-C stops a long step between bars with ``KeyboardInterrupt`` (here and in the other
        stepping methods); the run then stands at the last bar it reached and can go on."""
        n = int_arg(count, "count")
        return self._step_result(loads(self._native.step(n, _key(idempotency_key))))

    def hold_until_end(self, max_bars: Optional[int] = None, *, require_flat: bool = False) -> StepResult:
        """Steps to the end (or ``max_bars``) without new orders; ``require_flat`` refuses while positions are open."""
        max_bars = None if max_bars is None else int_arg(max_bars, "max_bars")
        flat = self._agent if require_flat else None
        return self._step_result(loads(self._native.hold_until_end(max_bars, flat)))

    def liquidate_and_finish(self, rationale: str = "", max_bars: Optional[int] = None) -> StepResult:
        """Cancels this agent's orders, closes every position at the next open and steps to the end."""
        if not isinstance(rationale, str):
            raise invalid("invalid_argument", f"`rationale` must be a str, got {type(rationale).__name__}")
        max_bars = None if max_bars is None else int_arg(max_bars, "max_bars")
        return self._step_result(loads(self._native.liquidate_and_finish(self._agent, rationale, max_bars)))

    def advance_until_next_session(self, max_bars: Optional[int] = None) -> StepResult:
        """Steps until the clock enters the next session (skipping closed-market gaps)."""
        max_bars = None if max_bars is None else int_arg(max_bars, "max_bars")
        return self._step_result(loads(self._native.advance_until_next_session(max_bars)))

    def _step_result(self, report: Dict[str, Any]) -> StepResult:
        mine = report["agents"][self._agent]
        return StepResult(
            report["bars_advanced"], to_datetime(report["new_sim_time"]), [Fill.from_wire(f) for f in mine["fills"]],
            _d(mine["equity"]), _d(mine["cash"]), _d(mine["positions_value"]), report["done"], mine["liquidated"],
        )

    # -- reading -------------------------------------------------------------------------------
    def portfolio(self, *, agent: Optional[str] = None) -> Portfolio:
        """Cash, equity, buying power and positions at the latest closes."""
        return Portfolio.from_wire(loads(self._native.portfolio_json(self._id(agent))))

    def orders(self, *, agent: Optional[str] = None) -> List[PlacedOrder]:
        """Every order, rejected and ended ones included, oldest first."""
        return [PlacedOrder.from_wire(o) for o in loads(self._native.orders_json(self._id(agent)))]

    def order(self, order_id: int, *, agent: Optional[str] = None) -> PlacedOrder:
        """The order with this id as it stands now (raises ``NotFound`` for an unknown id)."""
        order_id = int_arg(order_id, "order_id", 1)
        return PlacedOrder.from_wire(loads(self._native.order_json(self._id(agent), order_id)))

    def open_orders(self, *, agent: Optional[str] = None) -> List[PlacedOrder]:
        """Working orders, oldest first."""
        return [PlacedOrder.from_wire(o) for o in loads(self._native.open_orders_json(self._id(agent)))]

    def fills(self, *, agent: Optional[str] = None) -> List[Fill]:
        """Every fill, in execution order."""
        return [Fill.from_wire(f) for f in loads(self._native.fills_json(self._id(agent)))]

    def equity_curve(self, *, agent: Optional[str] = None) -> List[Tuple[_dt.datetime, Any]]:
        """(time, equity) at the start and after every bar."""
        return [(to_datetime(p["ts"]), _d(p["equity"])) for p in loads(self._native.equity_curve_json(self._id(agent)))]

    def equity_frame(self, *, agent: Optional[str] = None) -> Any:
        """The equity curve as a pandas DataFrame (float ``equity`` and ``gross_exposure``, UTC time
        index, plus ``drawdown`` as a fraction below the running peak, as the metrics define it),
        built from arrays without a Python object per row."""
        np = require("numpy")
        pd = require("pandas")

        ts, equity, gross, drawdown = self._native.equity_columns(self._id(agent))
        index = pd.DatetimeIndex(np.frombuffer(ts, dtype="<i8").astype("datetime64[ms]"), name="ts").tz_localize("UTC")
        columns = {"equity": equity, "gross_exposure": gross, "drawdown": drawdown}
        return pd.DataFrame({k: np.frombuffer(v, dtype="<f8") for k, v in columns.items()}, index=index)

    def fills_frame(self, *, agent: Optional[str] = None) -> Any:
        """Fills as a pandas DataFrame (Decimal columns kept exact)."""
        pd = require("pandas")

        rows = [f.to_dict() for f in self.fills(agent=agent)]
        columns = [f.name for f in dataclasses.fields(Fill)]
        return pd.DataFrame(rows, columns=columns)

    def trades(self, *, agent: Optional[str] = None) -> List[Trade]:
        """Round-trip trades with their entries and typed exits (stop, take_profit, trim, manual)."""
        return [Trade.from_wire(t) for t in loads(self._native.trades_json(self._id(agent)))]

    def metrics(self, *, agent: Optional[str] = None) -> Metrics:
        """Metrics so far (available during the run)."""
        return Metrics.from_wire(loads(self._native.metrics_json(self._id(agent))))

    def results(self, *, agent: Optional[str] = None) -> Results:
        """The grade, once the run is over (raises :class:`InvalidState` before)."""
        return Results.from_wire(loads(self._native.results_json(self._id(agent))))

    # -- persistence ---------------------------------------------------------------------------
    def snapshot(self) -> str:
        """The run's complete state as JSON; :meth:`restore` continues it byte-identically."""
        return self._native.snapshot_json()

    @classmethod
    def restore(cls, scenario: Scenario, snapshot: str, agent: Union[int, str] = 0) -> "Run":
        """Continues a run from :meth:`snapshot` on the same scenario (refused on any other),
        acting for ``agent`` (a name, or an index in joining order)."""
        if not isinstance(snapshot, str):
            raise invalid("invalid_argument", f"`snapshot` must be the str of Run.snapshot(), got {type(snapshot).__name__}")
        run = cls(_native.Run.restore(scenario._native, snapshot), scenario)
        if isinstance(agent, str):
            return run.as_agent(agent)
        index, names = int_arg(agent, "agent"), run.agents
        return run.as_agent(names[index] if index < len(names) else f"#{index}")  # NotFound when out of range

    def __reduce__(self) -> Tuple[Any, ...]:
        # Through the shared state: views of one run pickled together stay one run.
        return (Run, (self._shared, self.scenario, self._agent))

    def __repr__(self) -> str:
        state = "done" if self.done else f"at {self.sim_time.isoformat()}"
        return f"Run({self.scenario.slug!r}, agents={self.agents}, {state})"


def _key(idempotency_key: Any) -> Optional[str]:
    if idempotency_key is not None and not isinstance(idempotency_key, str):
        raise invalid("invalid_argument", f"`idempotency_key` must be a str, got {type(idempotency_key).__name__}")
    return idempotency_key  # type: ignore[no-any-return]


def _d(v: Any) -> Any:
    from decimal import Decimal

    return Decimal(v)


def _resolve_format(as_: str) -> str:
    if as_ not in ("auto", "bars", "pandas"):
        raise invalid("invalid_enum_value", f"`as_` must be one of {{'auto', 'bars', 'pandas'}}, got {as_!r}")
    if as_ == "auto":
        try:
            import pandas  # noqa: F401
        except ImportError:
            return "bars"
        return "pandas"
    return as_


def _frame(bars: List[Bar]) -> Any:
    pd = require("pandas")

    return pd.DataFrame(
        {
            "open": [b.open for b in bars],
            "high": [b.high for b in bars],
            "low": [b.low for b in bars],
            "close": [b.close for b in bars],
            "volume": [b.volume for b in bars],
        },
        index=pd.DatetimeIndex([b.ts for b in bars], name="ts"),
    )
