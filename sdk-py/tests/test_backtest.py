"""The callback API: a strategy class or function called once per bar, graded like any run."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Dict, List

import pytest

import vectrade as vt


class SmaCross(vt.Strategy):
    """backtesting.py's classic: buy when the 10-bar SMA crosses above the 30-bar one, sell below."""

    fast, slow = 10, 30

    def init(self, ctx: vt.Context) -> None:
        self.decisions = 0

    def on_bar(self, ctx: vt.Context) -> None:
        closes = ctx.closes("NVDA", self.slow)
        if len(closes) < self.slow:
            return
        fast = sum(closes[-self.fast :]) / self.fast
        slow = sum(closes) / self.slow
        held = ctx.position("NVDA")
        if fast > slow and held == 0:
            ctx.buy("NVDA", 100)
            self.decisions += 1
        elif fast < slow and held > 0:
            ctx.sell("NVDA", held)
            self.decisions += 1


def test_callback_backtest_equals_the_explicit_loop() -> None:
    scenario = vt.scenarios.get("tech-2024-q2")
    bt = vt.backtest(SmaCross, scenario)
    assert bt.strategy.decisions > 4
    assert bt.results.trade_count == len(bt.run.fills()) > 4

    # The same decisions through the explicit loop give the very same fills and grade.
    run = vt.Simulator(scenario).start(agent="strategy")
    while not run.done:
        closes = [float(b.close) for b in run.market(["NVDA"], lookback=30, as_="bars")["NVDA"]]
        if len(closes) == 30:
            fast, slow = sum(closes[-10:]) / 10, sum(closes) / 30
            held = run.portfolio().positions[0].quantity if run.portfolio().positions else Decimal(0)
            if fast > slow and held == 0:
                run.submit(vt.Order.market("NVDA", "buy", 100))
            elif fast < slow and held > 0:
                run.submit(vt.Order.market("NVDA", "sell", held))
        run.step()
    assert run.fills() == bt.run.fills()
    assert run.results() == bt.results


def test_context_gives_exact_account_values_and_float_prices() -> None:
    seen: Dict[str, Any] = {}

    def on_bar(ctx: vt.Context) -> None:
        if ctx.bar_index == 0:
            ctx.buy("AAPL", 10, limit="1000")
        if ctx.bar_index == 1:
            bar = ctx.bar("AAPL")
            seen.update(close=ctx.close("AAPL"), bar=bar, cash=ctx.cash, position=ctx.position("AAPL"), time=ctx.time)

    bt = vt.backtest(on_bar, vt.scenarios.get("tech-2024-q2"))
    assert seen["position"] == Decimal(10)
    assert isinstance(seen["cash"], Decimal) and seen["cash"] < Decimal(100_000)
    assert seen["close"] == float(seen["bar"].close)
    assert seen["time"] == seen["bar"].ts
    assert bt.results.trade_count == 1


def test_strategy_errors_propagate_and_bad_strategies_are_refused() -> None:
    def broken(ctx: vt.Context) -> None:
        ctx.buy("AAPL", 10**9)

    with pytest.raises(vt.OrderRejected) as e:
        vt.backtest(broken, vt.scenarios.get("tech-2024-q2"))
    assert e.value.code == "insufficient_buying_power"
    with pytest.raises(vt.InvalidInput):
        vt.backtest(42, vt.scenarios.get("tech-2024-q2"))  # type: ignore[arg-type]


def _sma(values: Any, n: int) -> Any:
    import numpy as np

    out = np.full(len(values), np.nan)
    csum = np.cumsum(values)
    out[n - 1 :] = (csum[n - 1 :] - np.concatenate(([0.0], csum[:-n]))) / n
    return out


def test_indicators_are_revealed_bar_by_bar() -> None:
    pytest.importorskip("numpy")
    seen: List[Any] = []

    class Probe(vt.Strategy):
        def init(self, ctx: vt.Context) -> None:
            self.sma = ctx.indicator(_sma, "AAPL", 3)

        def on_bar(self, ctx: vt.Context) -> None:
            closes = ctx.closes("AAPL", 3)
            if len(self.sma) >= 3:
                seen.append((self.sma[-1], sum(closes) / 3))
            with pytest.raises(IndexError):
                self.sma[0]  # only relative to the current bar: no way to the future
            with pytest.raises(IndexError):
                self.sma[-(len(self.sma) + 1)]

    vt.backtest(Probe, vt.scenarios.get("tech-2024-q2"))
    assert len(seen) > 400
    assert all(abs(a - b) < 1e-9 for a, b in seen), "the revealed value is the one computed from past bars"


def _centred(values: Any) -> Any:
    import numpy as np

    return np.convolve(values, np.ones(5) / 5, mode="same")  # uses the next two bars


def _back_filled(values: Any) -> Any:
    import pandas as pd

    return pd.Series(values).rolling(20).mean().bfill().to_numpy()  # warm-up filled from later bars


@pytest.mark.parametrize("fn", [_centred, _back_filled], ids=["centred", "back-filled"])
def test_indicators_that_peek_at_later_bars_are_refused(fn: Any) -> None:
    pytest.importorskip("pandas")

    class Peeking(vt.Strategy):
        def init(self, ctx: vt.Context) -> None:
            ctx.indicator(fn, "AAPL")

        def on_bar(self, ctx: vt.Context) -> None:
            pass

    with pytest.raises(vt.InvalidInput, match="not causal"):
        vt.backtest(Peeking, vt.scenarios.get("tech-2024-q2"))
