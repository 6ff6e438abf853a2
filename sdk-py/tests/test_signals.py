"""The signal API: flags in, an ordinary graded run out, with no Python call per bar."""

from __future__ import annotations

from decimal import Decimal

import pytest

import vectrade as vt

np = pytest.importorskip("numpy")


def test_signals_trade_like_the_callback_api() -> None:
    scenario = vt.scenarios.get("tech-2024-q2")
    n = int(scenario.info["bar_count"])
    entries = np.zeros(n, dtype=bool)
    exits = np.zeros(n, dtype=bool)
    entries[[5, 60, 200]] = True
    exits[[40, 150, 300]] = True
    bt = vt.backtest_signals(scenario, entries, exits, symbol="MSFT", size=7)

    def on_bar(ctx: vt.Context) -> None:
        i, held = ctx.bar_index, ctx.position("MSFT")
        if held > 0 and exits[i]:
            ctx.sell("MSFT", held)
        elif held == 0 and entries[i]:
            ctx.buy("MSFT", 7)

    by_hand = vt.backtest(on_bar, scenario, agent="signals")
    assert [(f.ts, f.side, f.quantity, f.fill_price) for f in bt.run.fills()] == [
        (f.ts, f.side, f.quantity, f.fill_price) for f in by_hand.run.fills()
    ]
    assert len(bt.run.fills()) == 6
    assert bt.results.final_equity == by_hand.results.final_equity


def test_signals_on_a_price_series_and_percent_sizing() -> None:
    prices = np.array([100, 101, 102, 101, 99, 98, 100, 103, 104, 102], dtype=float)
    entries = np.array([0, 1, 0, 0, 0, 0, 1, 0, 0, 0], dtype=bool)
    exits = np.array([0, 0, 0, 1, 0, 0, 0, 0, 1, 0], dtype=bool)
    bt = vt.backtest_signals(prices, entries, exits, size_pct=50, starting_cash=10_000, slippage_bps=0)
    fills = bt.run.fills()
    assert [(f.side, f.fill_price) for f in fills] == [
        ("buy", Decimal(102)), ("sell", Decimal(99)), ("buy", Decimal(103)), ("sell", Decimal(102))
    ]
    assert fills[0].quantity == Decimal(49), "half of 10000 at the decision close 101, whole units"


def test_bad_signals_are_named() -> None:
    scenario = vt.scenarios.get("tech-2024-q2")
    with pytest.raises(vt.InvalidInput, match="`entries` has 3 flags for 441 bars of AAPL"):
        vt.backtest_signals(scenario, [True, False, True], [False] * 3, symbol="AAPL")
    with pytest.raises(vt.InvalidInput, match="`symbol` is needed"):
        vt.backtest_signals(scenario, [True] * 441, [False] * 441)
    with pytest.raises(vt.InvalidInput, match="must be booleans"):
        vt.backtest_signals(scenario, np.full(441, 0.5), np.zeros(441, dtype=bool), symbol="AAPL")
