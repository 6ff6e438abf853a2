"""The `vectrade` command: scenarios, running a strategy file, the HTML report, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vectrade.cli import main

STRATEGY = '''
import vectrade as vt

class Momentum(vt.Strategy):
    def on_bar(self, ctx):
        for s in ctx.symbols:
            closes = ctx.closes(s, 5)
            if len(closes) == 5 and closes[-1] > closes[0] and ctx.position(s) == 0:
                ctx.buy(s, 10)
            elif len(closes) == 5 and closes[-1] < closes[0] and ctx.position(s) > 0:
                ctx.sell(s, ctx.position(s))
'''


def test_scenarios_lists_the_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    assert "tech-2024-q2" in out and "crash-and-rebound" in out and "bars of 1Hour" in out


def test_run_writes_results_and_a_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "momentum.py"
    path.write_text(STRATEGY)
    report = tmp_path / "report.html"
    assert main(["run", str(path), "--scenario", "sideways-etfs", "--json", "--report", str(report)]) == 0
    results = json.loads(capsys.readouterr().out)
    assert results["agent"] == "strategy" and results["trade_count"] > 10
    page = report.read_text()
    assert page.startswith("<!doctype html>") and page.count("<svg") == 2
    assert "SPY buy &amp; hold" in page and "<td>XLU</td>" in page


def test_demo_prints_the_results_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--report", str(tmp_path / "r.html")]) == 0
    out = capsys.readouterr().out
    assert "Results(" in out and "sma-crossover" in out and "report: " in out


def test_errors_are_reported_with_their_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "greedy.py"
    path.write_text("def on_bar(ctx):\n    ctx.buy('AAPL', 10**9)\n")
    assert main(["run", str(path)]) == 1
    assert "error [insufficient_buying_power]: insufficient buying power" in capsys.readouterr().err
    assert main(["run", str(path), "--scenario", "nope"]) == 1
    assert "error [unknown_scenario]" in capsys.readouterr().err


SWEEPABLE = '''
import vectrade as vt

class Breakout(vt.Strategy):
    lookback = 5
    qty = 10

    def on_bar(self, ctx):
        closes = ctx.closes("AAPL", self.lookback)
        if len(closes) == self.lookback and closes[-1] >= max(closes) and ctx.position("AAPL") == 0:
            ctx.buy("AAPL", self.qty)
        elif len(closes) == self.lookback and closes[-1] <= min(closes) and ctx.position("AAPL") > 0:
            ctx.close_position("AAPL")
'''

SIGNALS = '''
import numpy as np

def signals(close, n, k):
    mean = np.convolve(close, np.ones(n) / n)[: len(close)]
    return close > mean * (1 + k), close < mean
'''


def test_sweep_ranks_a_strategy_files_combinations_and_reports_the_best(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "breakout.py"
    path.write_text(SWEEPABLE)
    report = tmp_path / "best.html"
    assert main(["sweep", str(path), "--grid", "lookback=3:9:3", "qty=5,10", "--metric", "return_pct", "--report", str(report)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("6 combinations on tech-2024-q2") and "lookback" in lines[1] and len(lines) == 2 + 6 + 1
    returns = [float(line.split()[2]) for line in lines[2:8]]
    assert returns == sorted(returns, reverse=True)
    assert report.read_text().startswith("<!doctype html>")

    signals = tmp_path / "meanrev.py"
    signals.write_text(SIGNALS)
    assert main(["sweep", str(signals), "--symbol", "MSFT", "--grid", "n=10,20", "k=0.0,0.01", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sorted((r["n"], r["k"]) for r in rows) == [(10, 0.0), (10, 0.01), (20, 0.0), (20, 0.01)]


def test_sweep_grid_mistakes_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "breakout.py"
    path.write_text(SWEEPABLE)
    for bad in (["lookback"], ["lookback=5:1:1"], ["lookback=a,b"], ["lookback=1:5"]):
        with pytest.raises(SystemExit, match="--grid"):
            main(["sweep", str(path), "--grid", *bad])
