"""Rough edges found in review: shared views pickle as one run, look-ahead in indicators, data
resolution, misspelt settings, and bad arguments that must be VecTradeErrors naming themselves."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest

import vectrade as vt

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")


def test_views_of_one_tournament_pickle_as_one_run() -> None:
    t = vt.Simulator(vt.scenarios.get("tech-2024-q2")).tournament(["a", "b"])
    views = pickle.loads(pickle.dumps({"a": t.as_agent("a"), "b": t.as_agent("b")}))
    views["a"].step(5)
    assert views["b"].sim_time == views["a"].sim_time


def test_indicators_iterate_and_slice_over_the_revealed_bars() -> None:
    seen = []

    class Reader(vt.Strategy):
        def init(self, ctx: vt.Context) -> None:
            self.ind = ctx.indicator(lambda v: v * 2, "AAPL")

        def on_bar(self, ctx: vt.Context) -> None:
            if ctx.bar_index == 3:
                seen.extend([list(self.ind), self.ind[-2:], self.ind[np.int64(-1)]])

    vt.backtest(Reader, vt.scenarios.get("tech-2024-q2"))
    assert len(seen[0]) == 4 and seen[1] == seen[0][-2:] and seen[2] == seen[0][-1]


def test_hourly_data_is_annualised_as_hourly() -> None:
    idx = pd.date_range("2024-01-01", periods=200, freq="h")
    prices = pd.Series(np.linspace(100, 120, 200), index=idx)
    flags = pd.Series(False, index=idx)
    bt = vt.backtest_signals(prices, flags, flags)
    assert bt.run.scenario.info["bar_resolution"] == "1Hour"
    assert bt.results.metrics.periods_per_year == 252 * 7
    with pytest.raises(vt.InvalidInput, match="indexed differently"):
        vt.backtest_signals(prices, flags.iloc[::-1], flags)


def test_misspelt_settings_are_refused() -> None:
    with pytest.raises(vt.InvalidInput, match="unknown rules"):
        vt.scenarios.from_csv("Date,Open,High,Low,Close\n2024-01-02,1,1,1,1\n2024-01-03,1,1,1,1\n", symbol="X", cash=5)
    with pytest.raises(vt.InvalidInput, match="unknown field `percent`"):
        vt.scenarios.from_csv(
            "Date,Open,High,Low,Close\n2024-01-02,1,1,1,1\n2024-01-03,1,1,1,1\n", symbol="X", commission={"percent": 1}
        )


def test_bad_arguments_are_vectrade_errors_naming_the_argument() -> None:
    run = vt.Simulator(vt.scenarios.get("tech-2024-q2")).start(agent="me", risk=vt.RiskProfile(max_open_orders=np.int64(3)))
    with pytest.raises(vt.InvalidInput, match=r"order\.side: invalid type: integer `5`"):
        run.submit(vt.Order.market("AAPL", 5, 1))  # type: ignore[arg-type]
    with pytest.raises(vt.InvalidInput, match="`lookback` must be an integer from 1"):
        run.market(lookback=-1)
    with pytest.raises(vt.InvalidInput, match="`count` must be an integer"):
        run.step("2")  # type: ignore[arg-type]
    with pytest.raises(vt.NotFound) as nf:
        run.portfolio(agent="nobody")
    assert nf.value.code == "unknown_agent"
    with pytest.raises(vt.InvalidInput, match="`order` must be a vt.Order"):
        run.submit({"symbol": "AAPL"})  # type: ignore[arg-type]
    assert list(run.market("AAPL", lookback=1, as_="bars")) == ["AAPL"], "a single symbol as a str"

    # Issue 10, finding 15: bad types and shapes are InvalidInput, not TypeError or a file lookup.
    with pytest.raises(vt.InvalidInput, match="`symbol` must be a str, got NoneType"):
        vt.backtest(lambda ctx: ctx.buy(None, 1), vt.scenarios.get("tech-2024-q2"))  # type: ignore[arg-type]
    cr_only = vt.scenarios.from_csv("Date,Open,High,Low,Close\r2024-01-02,1,1,1,1\r2024-01-03,1,1,1,1\r", symbol="X")
    assert cr_only.info["bar_count"] == 2
    deep: Any = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(vt.InvalidInput, match="nested too deeply"):
        vt.scenarios.from_csv("Date,Open,High,Low,Close\n2024-01-02,1,1,1,1\n", symbol="X", market_hours=deep)

    # Issue 10, "also fix": backtesting.py's `sl=` named the dataclass in a raw TypeError.
    with pytest.raises(vt.InvalidInput, match=r"ctx.buy\(\) takes no `sl`; valid keywords: time_in_force, stop_loss"):
        vt.backtest(lambda ctx: ctx.buy("AAPL", 1, sl="100"), vt.scenarios.get("tech-2024-q2"))  # type: ignore[arg-type]
    with pytest.raises(vt.InvalidInput, match=r"Order.limit\(\) takes no `tp`, `sl`"):
        vt.Order.limit("AAPL", "buy", 1, "100", tp="110", sl="90")

    # Issue 10, finding 12: Arabic-Indic digits were 10 in Python and refused in Node/WebAssembly.
    with pytest.raises(vt.InvalidInput, match="digits 0-9 only") as digits:
        run.submit(vt.Order.market("AAPL", "buy", "١٠"))
    assert digits.value.code == "invalid_argument"

    closes: Any = []
    vt.backtest(lambda ctx: closes.append(ctx.closes("AAPL", 0)), vt.scenarios.get("tech-2024-q2"))
    assert closes[0] == []


def test_market_requests_count_against_the_rate_limit() -> None:
    run = vt.Simulator(vt.scenarios.get("tech-2024-q2")).start(risk=vt.RiskProfile(max_requests_per_minute=3))
    for _ in range(3):
        run.market("AAPL", lookback=1, as_="bars")
    with pytest.raises(vt.RateLimited) as e:
        run.market("AAPL", lookback=1, as_="bars")
    assert e.value.code == "request_rate_limited"


def test_cli_runs_the_most_derived_strategy_and_reports_missing_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from vectrade.cli import main

    path = tmp_path / "two.py"
    path.write_text(
        "import vectrade as vt\n"
        "class Base(vt.Strategy):\n    def on_bar(self, ctx):\n        pass\n"
        "class Real(Base):\n    def on_bar(self, ctx):\n        if ctx.bar_index == 1:\n            ctx.buy('AAPL', 1)\n"
    )
    assert main(["run", str(path), "--json"]) == 0
    assert '"trade_count": 1' in capsys.readouterr().out
    with pytest.raises(SystemExit, match="no strategy file"):
        main(["run", str(tmp_path / "missing.py")])


def test_dataframe_times_are_milliseconds_and_never_truncated() -> None:
    """Issue 10, finding 9: an integer ``ts`` column was read as nanoseconds (bars in 1970), and
    sub-millisecond times were truncated where Node and ``from_arrow`` refuse them."""
    pd = pytest.importorskip("pandas")
    ms = [1_704_153_600_000, 1_704_157_200_000]
    frame = pd.DataFrame({"ts": ms, "open": [1.0, 2.0], "high": [1.0, 2.0], "low": [1.0, 2.0], "close": [1.0, 2.0]})
    sc = vt.scenarios.from_dataframe(frame, symbol="X")
    assert sc.info["start_ts"] == "2024-01-02T00:00:00Z"
    fine = frame.assign(ts=pd.to_datetime(ms, unit="ms") + pd.Timedelta(microseconds=5))
    with pytest.raises(vt.InvalidInput, match="finer than a millisecond"):
        vt.scenarios.from_dataframe(fine, symbol="X")
