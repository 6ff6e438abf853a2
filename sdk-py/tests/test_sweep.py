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
    with pytest.raises(vt.InvalidInput, match="threads"):
        vt.sweep_signals(SCENARIO, flags, flags, symbol="NVDA", threads=0)


def _closes(symbol: str) -> Any:
    run = vt.Simulator(SCENARIO).start()._native
    return np.frombuffer(run.column_f64(run.symbol_index(symbol), "close"), dtype="<f8")


def _plain(rows: Any) -> Any:
    """Rows with NaN made comparable."""
    return [{k: ("nan" if isinstance(v, float) and v != v else v) for k, v in r.items()} for r in rows]

