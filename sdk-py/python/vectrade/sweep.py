"""Parameter sweeps: ``vt.sweep(signal_fn, data, grid={"fast": [...], "slow": [...]})`` runs every
combination of a signal strategy in the engine, on all cores, and ranks them by a metric.

As vectorbt does it, the flags of all combinations form 2-D arrays (bars × combinations) and the
whole sweep is one call into Rust: each column is an ordinary signal backtest
(:func:`vectrade.backtest_signals`), run on a pool of threads, and graded. Each grade is exactly
the one the combination gets alone, whatever the number of threads.
"""

from __future__ import annotations

import itertools
import json
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from . import _native
from ._convert import DecimalLike, count, dumps, invalid
from .models import Results
from .scenarios import Scenario

# Metrics where smaller is better: a sweep sorted by them puts the smallest first.
_SMALLER_IS_BETTER = {"max_drawdown", "max_drawdown_pct", "max_drawdown_duration_bars", "max_drawdown_duration_ms",
                      "volatility_pct", "fees", "turnover"}


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
    signals: Callable[..., Any],
    data: Any,
    grid: Mapping[str, Iterable[Any]],
    *,
    metric: str = "sharpe",
    where: Optional[Callable[..., bool]] = None,
    symbol: Optional[str] = None,
    size: Optional[DecimalLike] = None,
    size_pct: Optional[DecimalLike] = None,
    threads: Optional[int] = None,
    intrabar_path: str = "nearest_extreme_first",
    **rules: Any,
) -> Sweep:
    """Runs the signal strategy ``signals`` for every combination of ``grid`` and ranks them.

    ``signals(close, **params)`` gets the symbol's closes (a float numpy array, one per bar) and
    one combination's parameters, and returns ``(entries, exits)`` — or ``(entries, exits,
    short_entries, short_exits)`` — boolean arrays, one flag per bar, as
    :func:`vectrade.backtest_signals` takes them. ``data``, ``symbol``, ``size`` / ``size_pct`` and
    ``rules`` are those of :func:`~vectrade.backtest_signals`. ``where(**params)`` drops
    combinations (``where=lambda fast, slow: fast < slow``). ``metric`` is any field of the rows
    (default ``sharpe``); the best comes first (the smallest for drawdowns, volatility and fees;
    undefined values last). ``threads``: the engine's threads (default one per core).

    The flags of all combinations are computed first (in Python, vectorised by you), then the
    whole sweep runs in the engine: see :func:`sweep_signals` to hand it 2-D flags directly."""
    import numpy as np

    from .backtest import _signal_inputs

    scenario, symbol, _ = _signal_inputs(data, symbol, rules)
    close = np.frombuffer(_close_column(scenario, symbol), dtype="<f8")
    combos = combinations(grid, where)
    columns: List[Tuple[Any, ...]] = []
    for params in combos:
        out = signals(close.copy(), **params)
        if not isinstance(out, tuple) or len(out) not in (2, 4):
            raise invalid("invalid_argument", f"the signal function must return (entries, exits) or four flag arrays; for {params} it returned {type(out).__name__}")
        columns.append(out)
    stacked = [np.column_stack([np.asarray(c[k]) for c in columns]) if len(columns[0]) > k else None for k in range(4)]
    if any(len(c) != len(columns[0]) for c in columns):
        raise invalid("invalid_argument", "the signal function must return the same number of flag arrays for every combination")
    return sweep_signals(
        scenario, stacked[0], stacked[1], combos, short_entries=stacked[2], short_exits=stacked[3], metric=metric,
        symbol=symbol, size=size, size_pct=size_pct, threads=threads, intrabar_path=intrabar_path,
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
    threads: Optional[int] = None,
    intrabar_path: str = "nearest_extreme_first",
    **rules: Any,
) -> Sweep:
    """A sweep of 2-D flags, vectorbt's way: ``entries`` and ``exits`` are (bars × combinations)
    boolean arrays (numpy or pandas), column ``j`` one combination; ``params[j]`` names it (default
    ``{"column": j}``). Everything runs in the engine, on ``threads`` threads (default one per core).
    Other arguments as in :func:`sweep`."""
    import numpy as np

    from .backtest import Backtest, _flag_bytes, _signal_inputs, _size_wire, backtest_signals

    scenario, symbol, _ = _signal_inputs(data, symbol, rules)
    grids = {"entries": entries, "exits": exits, "short_entries": short_entries, "short_exits": short_exits}
    arrays: Dict[str, Optional[Any]] = {}
    columns = None
    for name, value in grids.items():
        if value is None:
            arrays[name] = None
            continue
        arr = np.asarray(value)
        if arr.ndim == 1:
            arr = arr.reshape(-1, 1)
        if arr.ndim != 2:
            raise invalid("invalid_argument", f"`{name}` must be 2-D (bars × combinations), got {arr.ndim} dimensions")
        if columns is None:
            columns = arr.shape[1]
        elif arr.shape[1] != columns:
            raise invalid("invalid_argument", f"`{name}` has {arr.shape[1]} columns, `entries` {columns}")
        arrays[name] = arr
    assert columns is not None  # entries is required
    if params is None:
        params = [{"column": j} for j in range(columns)]
    params = [dict(p) for p in params]
    if len(params) != columns:
        raise invalid("invalid_argument", f"{len(params)} parameter sets for {columns} columns of flags")
    names = list(params[0]) if params else []
    wire_size = _size_wire(size, size_pct)
    options = dumps({"intrabar_path": intrabar_path})

    def column_bytes(name: str) -> Optional[bytes]:
        arr = arrays[name]
        if arr is None:
            return None
        # Each column checked as one flag series (the single-run rules), then stored column after column.
        parts = [_flag_bytes(name, arr[:, j], None) for j in range(columns)]  # type: ignore[index]
        return b"".join(p or b"" for p in parts)

    thread_count = 0 if threads is None else count(threads, "threads", minimum=1)
    graded = json.loads(
        _native.sweep_signals(
            scenario._native, symbol, dumps(wire_size), columns, column_bytes("entries") or b"",
            column_bytes("exits") or b"", column_bytes("short_entries"), column_bytes("short_exits"), options,
            thread_count,
        )
    )
    rows = []
    for p, g in zip(params, graded):
        r = Results.from_wire(g)
        row: Dict[str, Any] = dict(p)
        row.update(final_equity=r.final_equity, return_pct=r.return_pct, sharpe=r.sharpe, sortino=r.sortino,
                   max_drawdown=r.max_drawdown, trade_count=r.trade_count, liquidated=r.liquidated)
        for k, v in r.metrics.to_dict().items():
            row.setdefault(k, v)
        rows.append(row)
    if metric not in rows[0]:
        raise invalid("invalid_argument", f"no metric {metric!r}; metrics are {sorted(k for k in rows[0] if k not in names)}")
    rows = _ranked(rows, metric)

    def rerun(best: Dict[str, Any]) -> Backtest:
        j = params.index(best)
        pick = {k: (None if arrays[k] is None else arrays[k][:, j]) for k in arrays}  # type: ignore[index]
        return backtest_signals(
            scenario, pick["entries"], pick["exits"], short_entries=pick["short_entries"],
            short_exits=pick["short_exits"], symbol=symbol, size=size, size_pct=size_pct, intrabar_path=intrabar_path,
        )

    return Sweep(metric, names, rows, rerun)


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
