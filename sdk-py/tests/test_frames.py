"""pandas and numpy in and out (the optional `pandas` extra)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Dict

import pytest

import vectrade as vt

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")


def frame(n: int = 40, start: float = 100.0) -> Any:
    idx = pd.date_range("2024-01-01", periods=n, freq="D")
    close = start + np.arange(n) * 0.5
    return pd.DataFrame(
        {"Open": close - 0.25, "High": close + 1.0, "Low": close - 1.0, "Close": close, "Volume": np.full(n, 1e6)},
        index=idx,
    )


def test_dataframes_become_exact_bars() -> None:
    df = frame()
    df.loc[df.index[3], "Open"] = 101.3  # a float without an exact binary form
    sc = vt.scenarios.from_dataframe({"ABC": df, "IDX": frame(start=50)}, benchmark_symbol="IDX", slug="frames")
    assert sc.universe == ["ABC"] and sc.benchmark_symbol == "IDX"
    run = vt.Simulator(sc).start()
    run.step(3)
    bars = run.market(["ABC"], lookback=10, as_="bars")["ABC"]
    assert bars[-1].open == Decimal("101.3"), "the decimal a person reads, not the float's binary expansion"
    assert bars[0].ts.isoformat() == "2024-01-01T00:00:00+00:00"
    view = run.market(["ABC"], lookback=10, as_="pandas")["ABC"]
    assert list(view.columns) == ["open", "high", "low", "close", "volume"] and len(view) == 4


def test_arrays_and_dataframes_agree() -> None:
    df = frame()
    from_df = vt.scenarios.from_dataframe(df, symbol="ABC")
    cols = {c.lower(): df[c].to_numpy() for c in df.columns}
    from_np = vt.scenarios.from_arrays({"ABC": {"ts": df.index.values, **cols}})
    assert from_df.fingerprint == from_np.fingerprint


def test_bad_frames_name_the_problem() -> None:
    df = frame()
    df.loc[df.index[5], "Close"] = float("nan")
    with pytest.raises(vt.InvalidInput) as e:
        vt.scenarios.from_dataframe(df, symbol="ABC")
    assert e.value.code == "invalid_bar" and "ABC row 5: close is NaN" in e.value.detail
    with pytest.raises(vt.InvalidInput, match="needs `symbol=`"):
        vt.scenarios.from_dataframe(frame())
    no_time = frame().reset_index(drop=True)
    with pytest.raises(vt.InvalidInput, match="no DatetimeIndex"):
        vt.scenarios.from_dataframe(no_time, symbol="ABC")


def test_equity_and_fills_come_out_as_frames() -> None:
    run = vt.Simulator(vt.scenarios.from_dataframe(frame(), symbol="ABC")).start()
    run.submit(vt.Order.market("ABC", "buy", 100))
    run.hold_until_end()
    eq = run.equity_frame()
    assert len(eq) == 40 and eq.index.tz is not None
    assert eq["equity"].iloc[-1] == pytest.approx(float(run.results().final_equity))
    assert (eq["drawdown"] >= 0).all()
    fills = run.fills_frame()
    assert list(fills["symbol"]) == ["ABC"] and fills["fill_price"].iloc[0] == Decimal("100.27005"), "open 100.25 plus 2 bps"


def test_fills_and_trades_carry_their_bar_index() -> None:
    # Issue 10, "also fix": beside each time, the index of its bar (the strategy's ctx.bar_index).
    decided: Dict[str, int] = {}

    def on_bar(ctx: vt.Context) -> None:
        if ctx.bar_index == 3:
            decided["buy"] = ctx.bar_index
            ctx.buy("AAPL", 5)
        elif ctx.bar_index == 40:
            decided["sell"] = ctx.bar_index
            ctx.sell("AAPL", 5)

    run = vt.backtest(on_bar, vt.scenarios.get("tech-2024-q2")).run
    buy, sell = run.fills()
    assert (buy.bar_index, sell.bar_index) == (decided["buy"] + 1, decided["sell"] + 1), "they fill at the next bar"
    frame = run.fills_frame()
    assert list(frame["bar_index"]) == [buy.bar_index, sell.bar_index]
    assert list(frame.columns).index("bar_index") == list(frame.columns).index("ts") + 1
    (trade,) = run.trades()
    assert (trade.opened_bar_index, trade.closed_bar_index) == (buy.bar_index, sell.bar_index)
    assert [leg.bar_index for leg in trade.entries + trade.exits] == [buy.bar_index, sell.bar_index]
    times = run.equity_frame().index  # one equity point per bar of the run
    assert (times[buy.bar_index], times[sell.bar_index]) == (buy.ts, sell.ts)
