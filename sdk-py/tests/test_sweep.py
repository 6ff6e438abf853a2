"""Parameter sweeps in the engine: every combination graded exactly as when run alone, the same
table whatever the number of threads, ranked by the chosen metric."""

from __future__ import annotations

from typing import Any, Tuple

import numpy as np
import pytest

import vectrade as vt

SCENARIO = vt.scenarios.get("tech-2024-q2")


def sma(values: np.ndarray, n: int) -> np.ndarray:
    out = np.full(len(values), np.nan)
    if len(values) >= n:
        out[n - 1 :] = np.convolve(values, np.ones(n) / n, mode="valid")
    return out


def sma_cross(close: np.ndarray, fast: int, slow: int) -> Tuple[np.ndarray, np.ndarray]:
    f, s = sma(close, fast), sma(close, slow)
    above = f > s
    before = np.concatenate([[False], above[:-1]])
    valid = ~np.isnan(s) & ~np.isnan(np.concatenate([[np.nan], s[:-1]]))
    return above & ~before & valid, ~above & before & valid


GRID = {"fast": [3, 5, 8, 13], "slow": [10, 21, 34]}


def test_every_combination_is_graded_as_when_run_alone() -> None:
    swept = vt.sweep(sma_cross, SCENARIO, GRID, symbol="NVDA", size=10, where=lambda fast, slow: fast < slow)
    assert len(swept) == 11 and swept.parameters == ["fast", "slow"]  # (13, 10) is left out
    close = _closes("NVDA")
    for row in swept.rows:
        entries, exits = sma_cross(close, row["fast"], row["slow"])
        alone = vt.backtest_signals(SCENARIO, entries, exits, symbol="NVDA", size=10).results
        assert (row["final_equity"], row["sharpe"], row["max_drawdown"], row["trade_count"]) == (
            alone.final_equity, alone.sharpe, alone.max_drawdown, alone.trade_count
        ) or (row["sharpe"] != row["sharpe"] and alone.sharpe != alone.sharpe)
        assert row["round_trips"] == alone.metrics.round_trips and row["fees"] == alone.metrics.fees
    assert any(row["trade_count"] > 0 for row in swept.rows)
    best = swept.best()
    assert best.results.sharpe == swept.rows[0]["sharpe"] and best.results.final_equity == swept.rows[0]["final_equity"]


def test_the_table_is_the_same_with_one_thread_or_many() -> None:
    tables = [vt.sweep(sma_cross, SCENARIO, GRID, symbol="AAPL", threads=t).rows for t in (1, 2, 3)]
    tables.append(vt.sweep(sma_cross, SCENARIO, GRID, symbol="AAPL").rows)  # one per core
    assert all(_plain(t) == _plain(tables[0]) for t in tables[1:])


def test_rows_are_ranked_by_the_metric_best_first() -> None:
    by_return = vt.sweep(sma_cross, SCENARIO, GRID, symbol="MSFT", metric="return_pct")
    returns = [r["return_pct"] for r in by_return.rows]
    assert returns == sorted(returns, reverse=True)
    by_drawdown = vt.sweep(sma_cross, SCENARIO, GRID, symbol="MSFT", metric="max_drawdown")
    drawdowns = [r["max_drawdown"] for r in by_drawdown.rows]
    assert drawdowns == sorted(drawdowns)  # the smallest drawdown is the best
    frame = by_return.frame()
    assert list(frame.columns[:2]) == ["fast", "slow"] and frame["return_pct"].iloc[0] == returns[0]
    assert "Sweep(12 combinations, best by return_pct)" in repr(by_return)


def test_two_dimensional_flags_run_as_vectorbt_broadcasts_them() -> None:
    close = _closes("GOOGL")
    combos = [{"fast": f, "slow": s} for f, s in [(3, 10), (5, 21), (8, 34)]]
    pairs = [sma_cross(close, **c) for c in combos]
    entries = np.column_stack([p[0] for p in pairs])
    exits = np.column_stack([p[1] for p in pairs])
    swept = vt.sweep_signals(SCENARIO, entries, exits, combos, symbol="GOOGL", metric="final_equity")
    assert sorted((r["fast"], r["slow"]) for r in swept.rows) == [(3, 10), (5, 21), (8, 34)]
    unnamed = vt.sweep_signals(SCENARIO, entries, exits, symbol="GOOGL")
    assert sorted(r["column"] for r in unnamed.rows) == [0, 1, 2]


def test_bad_sweeps_are_refused_with_the_reason() -> None:
    with pytest.raises(vt.InvalidInput, match="non-empty dict"):
        vt.sweep(sma_cross, SCENARIO, {}, symbol="NVDA")
    with pytest.raises(vt.InvalidInput, match="has no values"):
        vt.sweep(sma_cross, SCENARIO, {"fast": [], "slow": [10]}, symbol="NVDA")
    with pytest.raises(vt.InvalidInput, match="keeps no combination"):
        vt.sweep(sma_cross, SCENARIO, GRID, symbol="NVDA", where=lambda fast, slow: fast > 100)
    with pytest.raises(vt.InvalidInput, match="no metric 'shrape'"):
        vt.sweep(sma_cross, SCENARIO, GRID, symbol="NVDA", metric="shrape")
    with pytest.raises(vt.InvalidInput, match=r"must return \(entries, exits\)"):
        vt.sweep(lambda close, fast, slow: close > 0, SCENARIO, GRID, symbol="NVDA")  # type: ignore[arg-type, return-value]
    bars = len(_closes("NVDA"))
    flags = np.zeros((bars, 2), dtype=bool)
    with pytest.raises(vt.InvalidInput, match="3 parameter sets for 2 columns"):
        vt.sweep_signals(SCENARIO, flags, flags, [{"a": 1}, {"a": 2}, {"a": 3}], symbol="NVDA")
    with pytest.raises(vt.InvalidInput, match="`exits` has 3 columns"):
        vt.sweep_signals(SCENARIO, flags, np.zeros((bars, 3), dtype=bool), symbol="NVDA")
    with pytest.raises(vt.InvalidInput, match="flags for"):
        vt.sweep_signals(SCENARIO, flags[:-1], flags[:-1], symbol="NVDA")
    empty = np.zeros((0, 2), dtype=bool)  # no bars at all: refused, never a crash
    with pytest.raises(vt.InvalidInput, match="0 flags for"):
        vt.sweep_signals(SCENARIO, empty, empty, symbol="NVDA")
    with pytest.raises(vt.InvalidInput, match="threads"):
        vt.sweep_signals(SCENARIO, flags, flags, symbol="NVDA", threads=0)


class SmaCross(vt.Strategy):
    """A callback strategy with two parameters, at module level so that worker processes import it."""

    fast = 5
    slow = 20

    def init(self, ctx: vt.Context) -> None:
        self.f = ctx.indicator(sma, "AMZN", self.fast)
        self.s = ctx.indicator(sma, "AMZN", self.slow)

    def on_bar(self, ctx: vt.Context) -> None:
        if vt.crossover(self.f, self.s) and ctx.position("AMZN") == 0:
            ctx.buy("AMZN", 5)
        elif vt.crossover(self.s, self.f) and ctx.position("AMZN") > 0:
            ctx.close_position("AMZN")


def test_a_strategy_class_is_swept_one_process_per_core_as_each_runs_alone() -> None:
    seen: list = []
    grid = {"fast": [3, 5, 8], "slow": [13, 21]}
    swept = vt.sweep(SmaCross, "tech-2024-q2", grid, metric="return_pct", progress=lambda d, t: seen.append((d, t)))
    assert len(swept) == 6 and seen[-1] == (6, 6) and len(seen) == 6
    for row in swept.rows:
        alone = vt.backtest(SmaCross(fast=row["fast"], slow=row["slow"]), SCENARIO).results
        assert (row["final_equity"], row["return_pct"], row["trade_count"]) == (alone.final_equity, alone.return_pct, alone.trade_count)
    assert swept.best().results.final_equity == swept.rows[0]["final_equity"]
    one = vt.sweep(SmaCross, SCENARIO, grid, metric="return_pct", threads=1)
    assert _plain(one.rows) == _plain(swept.rows)
    with pytest.raises(vt.InvalidInput, match="has no parameter 'fats'"):
        vt.sweep(SmaCross, SCENARIO, {"fats": [1]})
    with pytest.raises(vt.InvalidInput, match="not an instance"):
        vt.sweep(SmaCross(), SCENARIO, grid)
    with pytest.raises(vt.InvalidInput, match="apply to signal sweeps"):
        vt.sweep(SmaCross, SCENARIO, grid, size=3)


def test_any_executor_gives_the_same_table() -> None:
    from concurrent.futures import ThreadPoolExecutor

    local = vt.sweep(sma_cross, SCENARIO, GRID, symbol="AAPL")
    with ThreadPoolExecutor(max_workers=3) as pool:
        parted = vt.sweep(sma_cross, SCENARIO, GRID, symbol="AAPL", executor=pool)
    assert _plain(parted.rows) == _plain(local.rows)
    with pytest.raises(vt.InvalidInput, match="executor must be 'ray'"):
        vt.sweep(sma_cross, SCENARIO, GRID, symbol="AAPL", executor="dask")


def test_a_ray_cluster_gives_the_table_of_the_local_run_bit_for_bit() -> None:
    ray = pytest.importorskip("ray")
    # The workers import the Strategy class from this file, as a user's cluster would from its
    # runtime_env (working_dir / py_modules).
    here = str(__import__("pathlib").Path(__file__).parent)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, runtime_env={"env_vars": {"PYTHONPATH": here}})
    try:
        local = vt.sweep(sma_cross, SCENARIO, GRID, symbol="NVDA")
        on_ray = vt.sweep(sma_cross, SCENARIO, GRID, symbol="NVDA", executor="ray")
        assert _plain(on_ray.rows) == _plain(local.rows)
        grid = {"fast": [3, 8], "slow": [21]}
        strategies = vt.sweep(SmaCross, SCENARIO, grid, executor="ray", metric="final_equity")
        assert _plain(strategies.rows) == _plain(vt.sweep(SmaCross, SCENARIO, grid, metric="final_equity").rows)
    finally:
        ray.shutdown()


def _closes(symbol: str) -> Any:
    run = vt.Simulator(SCENARIO).start()._native
    return np.frombuffer(run.column_f64(run.symbol_index(symbol), "close"), dtype="<f8")


def _plain(rows: Any) -> Any:
    """Rows with NaN made comparable."""
    return [{k: ("nan" if isinstance(v, float) and v != v else v) for k, v in r.items()} for r in rows]

