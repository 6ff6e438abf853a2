"""Parameter sweeps: ``vt.sweep(strategy, data, grid={"fast": [...], "slow": [...]})`` runs every
combination and ranks them by a metric — on all cores, or on a Ray cluster.

Signal strategies (a function returning entry and exit flags) are swept as vectorbt does it: the
flags of all combinations form 2-D arrays (bars × combinations) and the whole sweep is one call
into Rust, each column an ordinary signal backtest (:func:`vectrade.backtest_signals`) on a pool
of threads. Callback strategies (:class:`vectrade.Strategy` subclasses) run one process per core.
``executor="ray"`` spreads either kind over Ray workers instead. Every grade is exactly the one the
combination gets alone, whatever the threads, processes or machines.
"""

from __future__ import annotations

import itertools
import json
import os
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union, cast

from . import _native
from ._convert import DecimalLike, OrderNumber, count, dumps, invalid
from .models import Results
from .scenarios import Scenario

# Metrics where smaller is better: a sweep sorted by them puts the smallest first.
_SMALLER_IS_BETTER = {"max_drawdown", "max_drawdown_pct", "max_drawdown_duration_bars", "max_drawdown_duration_ms",
                      "volatility_pct", "fees", "turnover"}

Progress = Optional[Callable[[int, int], None]]
Executor = Union[None, str, Any]


class Sweep:
    """The outcome of :func:`sweep`: one row per combination — its parameters, then its grade
    (``return_pct``, ``sharpe``, ``max_drawdown``, ``trade_count``, and every metric of
    :class:`vectrade.Metrics`) — best first by ``metric``.

    ``rows`` is a list of dicts; :meth:`frame` a pandas DataFrame; :meth:`best` re-runs the best
    combination alone for its fills, orders and equity curve."""

    def __init__(self, metric: str, names: List[str], rows: List[Dict[str, Any]], rerun: Callable[[Dict[str, Any]], Any]) -> None:
        self.metric = metric
        self.parameters = names
        self.rows = rows
        self._rerun = rerun

    def __len__(self) -> int:
        return len(self.rows)

    def __repr__(self) -> str:
        shown = self.rows[:5]
        cols = [*self.parameters, "return_pct", "sharpe", "max_drawdown", "trade_count"]
        if self.metric not in cols:
            cols.append(self.metric)
        lines = [f"Sweep({len(self.rows)} combinations, best by {self.metric})"]
        for row in shown:
            lines.append("  " + ", ".join(f"{c}={_short(row.get(c))}" for c in cols))
        if len(self.rows) > len(shown):
            lines.append(f"  ... {len(self.rows) - len(shown)} more")
        return "\n".join(lines)

    @property
    def best_params(self) -> Dict[str, Any]:
        """The parameters of the best combination."""
        return {k: self.rows[0][k] for k in self.parameters}

    def best(self) -> Any:
        """The best combination run again on its own, as a :class:`vectrade.backtest.Backtest`
        (its grade equals the first row's)."""
        return self._rerun(self.best_params)

    def frame(self) -> Any:
        """The rows as a pandas DataFrame (parameters first, best first)."""
        import pandas as pd

        return pd.DataFrame(self.rows)


def _short(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def combinations(grid: Mapping[str, Iterable[Any]], where: Optional[Callable[..., bool]] = None) -> List[Dict[str, Any]]:
    """Every combination of ``grid`` (keys in order, the last varying fastest), kept when
    ``where(**params)`` is true."""
    if not isinstance(grid, Mapping) or not grid:
        raise invalid("invalid_argument", "`grid` must be a non-empty dict of parameter name → list of values")
    names = list(grid)
    values = []
    for name in names:
        if not isinstance(name, str):
            raise invalid("invalid_argument", f"grid keys are parameter names (str), got {name!r}")
        v = grid[name]
        if isinstance(v, (str, bytes)) or not isinstance(v, Iterable):
            raise invalid("invalid_argument", f"grid[{name!r}] must be a list of values, got {type(v).__name__}")
        v = list(v)
        if not v:
            raise invalid("invalid_argument", f"grid[{name!r}] has no values")
        values.append(v)
    combos = [dict(zip(names, c)) for c in itertools.product(*values)]
    if where is not None:
        combos = [c for c in combos if where(**c)]
        if not combos:
            raise invalid("invalid_argument", "`where` keeps no combination of the grid")
    return combos


def sweep(
    strategy: Any,
    data: Any,
    grid: Mapping[str, Iterable[Any]],
    *,
    metric: str = "sharpe",
    where: Optional[Callable[..., bool]] = None,
    symbol: Optional[str] = None,
    size: Optional[DecimalLike] = None,
    size_pct: Optional[DecimalLike] = None,
    sl_stop: Optional[OrderNumber] = None,
    tp_stop: Optional[OrderNumber] = None,
    sl_trail: bool = False,
    fees: Optional[OrderNumber] = None,
    threads: Optional[int] = None,
    executor: Executor = None,
    progress: Progress = None,
    intrabar_path: str = "nearest_extreme_first",
    **rules: Any,
) -> Sweep:
    """Runs ``strategy`` for every combination of ``grid`` and ranks them.

    ``strategy`` is either

    - a signal function ``signals(close, **params)`` that gets the symbol's closes (a float numpy
      array, one per bar) and one combination's parameters and returns ``(entries, exits)`` — or
      ``(entries, exits, short_entries, short_exits)`` — flag arrays as
      :func:`vectrade.backtest_signals` takes them: all flags are computed first, then the whole
      sweep runs in the engine on ``threads`` threads (default one per core); ``symbol``,
      ``size`` / ``size_pct``, the stops ``sl_stop`` / ``tp_stop`` / ``sl_trail``, ``fees`` and
      ``rules`` are those of :func:`~vectrade.backtest_signals`; or
    - a :class:`vectrade.Strategy` subclass whose parameters (class attributes) the grid sets:
      each combination is ``vt.backtest(strategy(**params), data)``, one process per core (or
      ``threads`` processes). ``data`` is a :class:`Scenario` or a built-in slug. The class must be
      importable by the worker processes (defined at a module's top level).

    ``where(**params)`` drops combinations (``where=lambda fast, slow: fast < slow``). ``metric`` is
    any field of the rows (default ``sharpe``); the best comes first (the smallest for drawdowns,
    volatility and fees; undefined values last). ``executor="ray"`` runs the combinations on Ray
    (``pip install vectrade[ray]``; the cluster of ``RAY_ADDRESS`` or ``ray.init()``'s, else a
    local Ray started here; a Strategy class must be importable on the workers, e.g. through the
    cluster's ``runtime_env``); any ``concurrent.futures.Executor`` (or object with ``map(fn,
    iterable)``, such as Ray's ``ray.util.multiprocessing.Pool``) works too. The table is the same,
    bit for bit, wherever it runs. ``progress(done, total)`` is called as parts finish."""
    from .backtest import Strategy

    combos = combinations(grid, where)
    if isinstance(strategy, type) and issubclass(strategy, Strategy):
        signal_only = {"symbol": symbol, "size": size, "size_pct": size_pct, "sl_stop": sl_stop, "tp_stop": tp_stop,
                       "sl_trail": sl_trail or None, "fees": fees, **rules}
        return _sweep_strategies(strategy, data, combos, metric, threads, executor, progress, intrabar_path, signal_only)
    if isinstance(strategy, Strategy):
        raise invalid("invalid_argument", f"sweep takes the Strategy class ({type(strategy).__name__}), not an instance: the grid sets its parameters")
    if not callable(strategy):
        raise invalid("invalid_argument", f"`strategy` must be a signal function or a Strategy subclass, got {type(strategy).__name__}")
    import numpy as np

    from .backtest import _signal_inputs, _with_fees

    scenario, symbol, _ = _signal_inputs(_with_fees(data, fees, rules), symbol, rules)
    close = np.frombuffer(_close_column(scenario, symbol), dtype="<f8")
    columns: List[Tuple[Any, ...]] = []
    for params in combos:
        out = strategy(close.copy(), **params)
        if not isinstance(out, tuple) or len(out) not in (2, 4):
            raise invalid("invalid_argument", f"the signal function must return (entries, exits) or four flag arrays; for {params} it returned {type(out).__name__}")
        if columns and len(out) != len(columns[0]):
            raise invalid("invalid_argument", "the signal function must return the same number of flag arrays for every combination")
        columns.append(out)
    stacked = [np.column_stack([np.asarray(c[k]) for c in columns]) if len(columns[0]) > k else None for k in range(4)]
    return sweep_signals(
        scenario, stacked[0], stacked[1], combos, short_entries=stacked[2], short_exits=stacked[3], metric=metric,
        symbol=symbol, size=size, size_pct=size_pct, sl_stop=sl_stop, tp_stop=tp_stop, sl_trail=sl_trail,
        threads=threads, executor=executor, progress=progress, intrabar_path=intrabar_path,
    )


def sweep_signals(
    data: Any,
    entries: Any,
    exits: Any,
    params: Optional[Sequence[Mapping[str, Any]]] = None,
    *,
    short_entries: Any = None,
    short_exits: Any = None,
    metric: str = "sharpe",
    symbol: Optional[str] = None,
    size: Optional[DecimalLike] = None,
    size_pct: Optional[DecimalLike] = None,
    sl_stop: Optional[OrderNumber] = None,
    tp_stop: Optional[OrderNumber] = None,
    sl_trail: bool = False,
    fees: Optional[OrderNumber] = None,
    threads: Optional[int] = None,
    executor: Executor = None,
    progress: Progress = None,
    intrabar_path: str = "nearest_extreme_first",
    **rules: Any,
) -> Sweep:
    """A sweep of 2-D flags, vectorbt's way: ``entries`` and ``exits`` are (bars × combinations)
    boolean arrays (numpy or pandas), column ``j`` one combination; ``params[j]`` names it (default
    ``{"column": j}``). Everything runs in the engine, on ``threads`` threads (default one per
    core), or split into parts over ``executor`` (see :func:`sweep`). Other arguments as in
    :func:`sweep`."""
    import numpy as np

    from .backtest import Backtest, _flag_bytes, _signal_inputs, _size_wire, _stops_wire, _with_fees, backtest_signals

    scenario, symbol, _ = _signal_inputs(_with_fees(data, fees, rules), symbol, rules)
    stops_json = _stops_wire(sl_stop, tp_stop, sl_trail)
    grids = {"entries": entries, "exits": exits, "short_entries": short_entries, "short_exits": short_exits}
    arrays: Dict[str, Optional[Any]] = {}
    columns = 0
    for name, value in grids.items():
        if value is None:
            arrays[name] = None
            continue
        arr = np.asarray(value)
        if arr.ndim == 1:
            arr = arr.reshape(-1, 1)
        if arr.ndim != 2:
            raise invalid("invalid_argument", f"`{name}` must be 2-D (bars × combinations), got {arr.ndim} dimensions")
        if not columns:
            columns = arr.shape[1]
        elif arr.shape[1] != columns:
            raise invalid("invalid_argument", f"`{name}` has {arr.shape[1]} columns, `entries` {columns}")
        arrays[name] = arr
    if not columns:
        raise invalid("invalid_argument", "`entries` has no columns")
    named: List[Dict[str, Any]] = [{"column": j} for j in range(columns)] if params is None else [dict(p) for p in params]
    if len(named) != columns:
        raise invalid("invalid_argument", f"{len(named)} parameter sets for {columns} columns of flags")
    names = list(named[0])
    size_json = dumps(_size_wire(size, size_pct))
    options = dumps({"intrabar_path": intrabar_path})
    thread_count = 0 if threads is None else count(threads, "threads", minimum=1)

    def part(lo: int, hi: int) -> Tuple[Any, ...]:
        """The arguments of `_grade_signals` for columns lo..hi: each column checked as one flag
        series (the single-run rules), stored column after column."""

        def block(name: str) -> Optional[bytes]:
            arr = arrays[name]
            if arr is None:
                return None
            return b"".join(_flag_bytes(name, arr[:, j], None) or b"" for j in range(lo, hi))

        return (scenario, symbol, size_json, hi - lo, block("entries") or b"", block("exits") or b"",
                block("short_entries"), block("short_exits"), options, thread_count, stops_json)

    if executor is None:
        graded = _grade_signals(*part(0, columns))
        if progress is not None:
            progress(columns, columns)
    else:
        k = min(columns, _workers(executor))
        bounds = [(columns * i // k, columns * (i + 1) // k) for i in range(k)]
        graded = [g for chunk in _map(executor, _grade_signals, [part(lo, hi) for lo, hi in bounds], progress, columns,
                                      [hi - lo for lo, hi in bounds]) for g in chunk]
    rows = _rows(named, [Results.from_wire(g) for g in graded], metric)

    def rerun(best: Dict[str, Any]) -> Backtest:
        j = named.index(best)
        pick = {k: (None if v is None else v[:, j]) for k, v in arrays.items()}
        return backtest_signals(
            scenario, pick["entries"], pick["exits"], short_entries=pick["short_entries"],
            short_exits=pick["short_exits"], symbol=symbol, size=size, size_pct=size_pct, sl_stop=sl_stop,
            tp_stop=tp_stop, sl_trail=sl_trail, intrabar_path=intrabar_path,
        )

    return Sweep(metric, names, rows, rerun)


def _grade_signals(scenario: Scenario, symbol: str, size_json: str, columns: int, entries: bytes, exits: bytes,
                   short_entries: Optional[bytes], short_exits: Optional[bytes], options: str, threads: int,
                   stops_json: Optional[str]) -> List[Any]:
    """One part of a signal sweep, in the engine (here, or on a worker): the grades as JSON values."""
    graded: List[Any] = json.loads(_native.sweep_signals(
        scenario._native, symbol, size_json, columns, entries, exits, short_entries, short_exits, options, threads,
        stops_json,
    ))
    return graded


def _sweep_strategies(
    strategy: type, data: Any, combos: List[Dict[str, Any]], metric: str, processes: Optional[int],
    executor: Executor, progress: Progress, intrabar_path: str, signal_only: Dict[str, Any],
) -> Sweep:
    from . import scenarios
    from .backtest import backtest

    given = sorted(k for k, v in signal_only.items() if v is not None)
    if given:
        raise invalid("invalid_argument", f"{given} apply to signal sweeps; a Strategy decides its own orders")
    scenario = scenarios.get(data) if isinstance(data, str) else data
    if not isinstance(scenario, Scenario):
        raise invalid("invalid_argument", f"a Strategy sweep runs on a Scenario or a built-in slug, got {type(data).__name__}")
    for params in combos:
        strategy(**params)  # an unknown parameter is refused here, before any worker starts
    tasks = [(strategy, params, scenario, intrabar_path) for params in combos]
    if executor is None:
        from concurrent.futures import ProcessPoolExecutor

        workers = (os.cpu_count() or 1) if processes is None else count(processes, "threads", minimum=1)
        with ProcessPoolExecutor(max_workers=min(workers, len(tasks))) as pool:
            graded = _map(pool, _grade_strategy, tasks, progress, len(tasks), [1] * len(tasks))
    else:
        graded = _map(executor, _grade_strategy, tasks, progress, len(tasks), [1] * len(tasks))
    rows = _rows(combos, graded, metric)
    return Sweep(metric, list(combos[0]), rows,
                 lambda best: backtest(strategy(**best), scenario, intrabar_path=intrabar_path))


def _grade_strategy(strategy: type, params: Dict[str, Any], scenario: Scenario, intrabar_path: str) -> Results:
    """One combination of a Strategy sweep (here, in a worker process or on a Ray worker)."""
    from .backtest import backtest

    return backtest(strategy(**params), scenario, intrabar_path=intrabar_path).results


def _star(task: Tuple[Callable[..., Any], Tuple[Any, ...]]) -> Any:
    fn, args = task
    return fn(*args)


def _workers(executor: Executor) -> int:
    """How many parts to split a signal sweep into for ``executor``."""
    if executor == "ray":
        ray = _ray()
        return max(int(ray.cluster_resources().get("CPU", 1)), 1)
    return max(int(getattr(executor, "_max_workers", 0) or os.cpu_count() or 1), 1)


def _map(executor: Executor, fn: Callable[..., Any], tasks: List[Tuple[Any, ...]], progress: Progress, total: int,
         weights: List[int]) -> List[Any]:
    """``fn(*task)`` for every task on ``executor``, results in task order."""
    if executor == "ray":
        ray = _ray()
        remote = ray.remote(fn)
        pending = [remote.remote(*t) for t in tasks]
        if progress is not None:
            done, waiting, weight = 0, list(pending), dict(zip(pending, weights))
            while waiting:
                ready, waiting = ray.wait(waiting, num_returns=1)
                done += weight[ready[0]]
                progress(done, total)
        return list(ray.get(pending))
    if isinstance(executor, str) or not hasattr(executor, "map"):
        raise invalid("invalid_argument", f"executor must be 'ray' or an executor object with map(), got {executor!r}")
    mapped = cast(Any, executor).map(_star, [(fn, t) for t in tasks])
    out = []
    done = 0
    for result, w in zip(mapped, weights):  # in task order, as each finishes
        out.append(result)
        done += w
        if progress is not None:
            progress(done, total)
    return out


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise invalid("invalid_argument", "executor='ray' needs Ray: pip install 'vectrade[ray]'") from None
    if not ray.is_initialized():
        ray.init(address=os.environ.get("RAY_ADDRESS"), log_to_driver=False)
    return ray


def _rows(params: Sequence[Dict[str, Any]], graded: Sequence[Results], metric: str) -> List[Dict[str, Any]]:
    rows = []
    for p, r in zip(params, graded):
        row: Dict[str, Any] = dict(p)
        row.update(final_equity=r.final_equity, return_pct=r.return_pct, sharpe=r.sharpe, sortino=r.sortino,
                   max_drawdown=r.max_drawdown, trade_count=r.trade_count, liquidated=r.liquidated)
        for k, v in r.metrics.to_dict().items():
            row.setdefault(k, v)
        rows.append(row)
    if metric not in rows[0]:
        raise invalid("invalid_argument", f"no metric {metric!r}; metrics are {sorted(k for k in rows[0] if k not in params[0])}")
    return _ranked(rows, metric)


def _ranked(rows: List[Dict[str, Any]], metric: str) -> List[Dict[str, Any]]:
    """Best first by ``metric``; undefined values (None, NaN) last; ties keep the grid's order."""
    smaller = metric in _SMALLER_IS_BETTER

    def key(row: Dict[str, Any]) -> Tuple[int, float]:
        v = row[metric]
        if v is None or v != v:
            return (1, 0.0)
        f = float(v)
        return (0, f if smaller else -f)

    return sorted(rows, key=key)


def _close_column(scenario: Scenario, symbol: str) -> bytes:
    """The closes of ``symbol`` (every bar) as little-endian float bytes."""
    from .simulator import Simulator

    run = Simulator(scenario).start()._native
    return bytes(run.column_f64(run.symbol_index(symbol), "close"))
