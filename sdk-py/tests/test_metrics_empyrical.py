"""Our metrics against an independent implementation (empyrical-reloaded) on the same returns.

Annualisation: both sides use the scenario's bars per year (1764 for hourly US equities), passed to
empyrical as ``annualization``. Documented differences, not compared: CAGR (we compound over the
elapsed calendar time; empyrical counts bars) and alpha (we annualise linearly, empyrical
compounds)."""

from __future__ import annotations

import json
from typing import Any

import pytest

import vectrade as vt
from vectrade.strategies import SmaCross

empyrical = pytest.importorskip("empyrical")
np = pytest.importorskip("numpy")


@pytest.mark.parametrize("slug", ["tech-2024-q2", "crypto-majors-2024-q3", "sideways-etfs"])
def test_metrics_agree_with_empyrical(slug: str) -> None:
    bt = vt.backtest(SmaCross, vt.scenarios.get(slug))
    m = bt.results.metrics
    equity = bt.run.equity_frame()["equity"].to_numpy()
    returns = equity[1:] / equity[:-1] - 1.0
    ann = m.periods_per_year

    assert m.sharpe == pytest.approx(empyrical.sharpe_ratio(returns, annualization=ann), rel=1e-9)
    assert m.sortino == pytest.approx(empyrical.sortino_ratio(returns, annualization=ann), rel=1e-9)
    assert m.volatility_pct == pytest.approx(100 * empyrical.annual_volatility(returns, annualization=ann), rel=1e-9)
    assert m.max_drawdown == pytest.approx(-empyrical.max_drawdown(returns), rel=1e-9)

    assert bt.run.scenario.benchmark_symbol is not None
    bench_curve = _benchmark_curve(bt)
    bench_returns = bench_curve[1:] / bench_curve[:-1] - 1.0
    _, beta = empyrical.alpha_beta(returns, bench_returns, annualization=ann)
    assert m.beta == pytest.approx(beta, rel=1e-9)


def _benchmark_curve(bt: vt.Backtest) -> Any:
    """The benchmark's close at each equity point, from the run's own market view."""
    run = bt.run
    bench = run.scenario.benchmark_symbol
    series = json.loads(run.scenario._native.series_json())
    bars = next(s["bars"] for s in series if s["symbol"] == bench)
    times = [int(t.timestamp() * 1000) for t, _ in run.equity_curve()]
    out, j = [], 0
    for t in times:
        while j + 1 < len(bars) and bars[j + 1]["ts"] <= t:
            j += 1
        out.append(float(bars[j]["close"]))
    return np.array(out)
