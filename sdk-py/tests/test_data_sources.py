"""Data in from the shapes people hold it in (yfinance frames, Arrow tables, Parquet files, float
flags), strategy parameters, and the reprs a notebook shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import vectrade as vt


def _ohlcv(n: int, start: float, freq: str = "D", origin: str = "2024-01-01") -> pd.DataFrame:
    close = start + np.cumsum(np.sin(np.arange(n) / 3.0))
    idx = pd.date_range(origin, periods=n, freq=freq, name="Date")
    return pd.DataFrame(
        {"Open": close - 0.5, "High": close + 1, "Low": close - 1, "Close": close, "Adj Close": close * 0.99, "Volume": 1e6},
        index=idx,
    )


def test_yfinance_two_level_columns_give_one_symbol_per_ticker() -> None:
    aapl, btc = _ohlcv(40, 180.0), _ohlcv(45, 40_000.0, origin="2023-12-30")
    # yf.download(["AAPL", "BTC-USD"]) shape: (Price, Ticker) columns, rows where a ticker has no
    # bar are NaN for it.
    frame = pd.concat({"AAPL": aapl, "BTC-USD": btc}, axis=1, sort=True).swaplevel(axis=1).sort_index(axis=1)
    sc = vt.scenarios.from_dataframe(frame)
    assert sorted(sc.universe) == ["AAPL", "BTC-USD"]
    expected = vt.scenarios.from_dataframe({"AAPL": aapl, "BTC-USD": btc})
    assert sc.fingerprint == expected.fingerprint
    # Ticker level first works too; a single ticker can be renamed.
    assert vt.scenarios.from_dataframe(frame.swaplevel(axis=1)).fingerprint == expected.fingerprint
    one = pd.concat({"AAPL": aapl}, axis=1).swaplevel(axis=1)
    assert vt.scenarios.from_dataframe(one, symbol="APPLE").universe == ["APPLE"]
    with pytest.raises(vt.InvalidInput, match="renames a single ticker"):
        vt.scenarios.from_dataframe(frame, symbol="X")
    with pytest.raises(vt.InvalidInput, match="neither column level holds open/high/low/close"):
        vt.scenarios.from_dataframe(pd.concat({"a": aapl[["Close"]]}, axis=1))


def test_arrow_tables_and_parquet_files_read_as_the_same_market(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    aapl, msft = _ohlcv(30, 180.0, "h"), _ohlcv(30, 400.0, "h")
    expected = vt.scenarios.from_dataframe({"AAPL": aapl, "MSFT": msft})

    # A long table, as datasets are stored: one row per symbol and bar, zoned timestamps.
    long = pd.concat([f.assign(ticker=s) for s, f in (("MSFT", msft), ("AAPL", aapl))]).reset_index()
    long["Date"] = long["Date"].dt.tz_localize("UTC").dt.tz_convert("America/New_York")
    table = pa.Table.from_pandas(long, preserve_index=False)
    assert vt.scenarios.from_arrow(table).fingerprint == expected.fingerprint
    pq.write_table(table, tmp_path / "bars.parquet")
    assert vt.scenarios.from_parquet(tmp_path / "bars.parquet").fingerprint == expected.fingerprint

    # One series needs its name; integer milliseconds are times too.
    single = pa.table({"ts": aapl.index.values.astype("datetime64[ms]").astype("int64"), **{c.lower(): aapl[c].to_numpy() for c in ("Open", "High", "Low", "Close", "Volume")}})
    assert vt.scenarios.from_arrow(single, symbol="AAPL").fingerprint == vt.scenarios.from_dataframe(aapl, symbol="AAPL").fingerprint
    with pytest.raises(vt.InvalidInput, match="needs `symbol=`"):
        vt.scenarios.from_arrow(single)
    with pytest.raises(vt.InvalidInput, match="'close' has 1 missing values"):
        vt.scenarios.from_arrow(single.set_column(4, "close", pa.array([None] + [1.0] * 29)), symbol="A")
    with pytest.raises(vt.InvalidInput, match="finer than a millisecond"):
        ns = pa.array(aapl.index.values.astype("datetime64[ns]") + np.timedelta64(1, "ns"))
        vt.scenarios.from_arrow(single.set_column(0, "ts", ns), symbol="A")
    with pytest.raises(vt.InvalidInput, match="no such file"):
        vt.scenarios.from_parquet(tmp_path / "missing.parquet", symbol="A")


def test_float_flags_are_read_as_booleans_and_other_numbers_refused() -> None:
    prices = pd.Series(100 + np.sin(np.arange(120) / 4) * 5, index=pd.date_range("2024-01-01", periods=120))
    entries = (prices.diff() > 0) & (prices.diff().shift() <= 0)
    exits = (prices.diff() < 0) & (prices.diff().shift() >= 0)
    as_bools = vt.backtest_signals(prices, entries, exits)
    as_floats = vt.backtest_signals(prices, entries.astype(float), exits.astype("float32"))
    assert as_floats.run.fills() == as_bools.run.fills() and len(as_bools.run.fills()) > 4
    with pytest.raises(vt.InvalidInput, match=r"`entries` must be booleans or 0/1, got .*nan.* at position 0"):
        vt.backtest_signals(prices, entries.astype(float).shift(), exits)
    with pytest.raises(vt.InvalidInput, match="got 2 at position"):
        vt.backtest_signals(prices, entries.astype(int) * 2, exits)


def test_strategy_parameters_override_class_attributes() -> None:
    sc = vt.scenarios.get("tech-2024-q2")
    default = vt.backtest(vt.strategies.SmaCross, sc)
    quick = vt.backtest(vt.strategies.SmaCross(fast=3, slow=8), sc)
    assert quick.results.trade_count > default.results.trade_count > 0
    assert vt.strategies.SmaCross.parameters() == {"fast": 10, "slow": 30, "weight": vt.strategies.SmaCross.weight}
    assert repr(quick.strategy).startswith("SmaCross(fast=3, slow=8, weight=")
    with pytest.raises(vt.InvalidInput, match=r"SmaCross has no parameter 'fats'; its parameters are \['fast', 'slow', 'weight'\]"):
        vt.strategies.SmaCross(fats=3)


def test_reprs_say_what_an_object_is() -> None:
    sc = vt.scenarios.get("tech-2024-q2")
    assert repr(vt.Simulator(sc)) == "Simulator('tech-2024-q2', intrabar_path='nearest_extreme_first')"
    seen: list[Any] = []

    def on_bar(ctx: vt.Context) -> None:
        if ctx.bar_index == 2:
            seen.append(repr(ctx))

    vt.backtest(on_bar, sc)
    assert seen[0].startswith("Context(agent='strategy', bar_index=2, time=2024-")


def test_a_scenario_takes_other_rules_over_the_same_bars() -> None:
    import pickle

    base = vt.scenarios.get("crash-and-rebound")
    free = base.with_rules(slippage_bps=0, commission={"per_unit": 0}, starting_cash="25000")
    assert free.info["costs"]["slippage"] == {"model": "fixed_bps", "bps": "0"}
    assert free.info["starting_cash"] == "25000"
    assert (free.universe, free.benchmark_symbol, free.slug) == (base.universe, base.benchmark_symbol, base.slug)
    assert free.fingerprint != base.fingerprint
    # Fills land on the touched price: no slippage, no commission.
    run = vt.Simulator(free).start(agent="a")
    run.submit(vt.Order.market(free.universe[0], "buy", 3))
    run.step()
    fill = run.fills()[0]
    assert (fill.fill_price, fill.slippage_bps, fill.commission) == (fill.reference_price, 0, 0)
    # Pickled scenarios rebuild through their rules.
    again = pickle.loads(pickle.dumps(free))
    assert again.fingerprint == free.fingerprint
    with pytest.raises(vt.InvalidInput, match="unknown rules"):
        base.with_rules(slipage_bps=0)
    with pytest.raises(vt.InvalidInput, match="not a symbol of this scenario"):
        base.with_rules(benchmark_symbol="NOPE")
    with pytest.raises(vt.InvalidInput, match="`commission` is a dict"):
        base.with_rules(commission=5)
