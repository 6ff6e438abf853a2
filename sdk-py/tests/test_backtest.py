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
        vt.backtest(42, vt.scenarios.get("tech-2024-q2"))  # type: ignore[call-overload]


def test_fast_path_quantities_are_read_exactly() -> None:
    """Issue 10, findings 5 and 15: ``ctx.buy`` rounded a Decimal with 29 places to 1 and raised a
    bare ValueError for ``10**40``; both are the engine's ``invalid_quantity`` now."""

    def buying(quantity: Any) -> Any:
        def strategy(ctx: vt.Context) -> None:
            ctx.buy("AAPL", quantity)

        return strategy

    for quantity in (Decimal("0.99999999999999999999999999999"), 10**40):
        with pytest.raises(vt.InvalidInput) as e:
            vt.backtest(buying(quantity), vt.scenarios.get("tech-2024-q2"))
        assert e.value.code == "invalid_quantity"


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


def _crosses(values: Any) -> Any:
    """Bars where the 3-bar SMA crosses the 8-bar one, either way."""
    import numpy as np

    fast, slow = _sma(values, 3), _sma(values, 8)
    above, below = fast > slow, fast < slow
    out = np.zeros(len(values), dtype=bool)
    out[1:] = (below[:-1] & above[1:]) | (above[:-1] & below[1:])
    return out


class IndicatorCross(vt.Strategy):
    """Buys on a 3/8 SMA cross up, sells on a cross down; counts its calls."""

    woken = False

    def init(self, ctx: vt.Context) -> None:
        self.fast = ctx.indicator(_sma, "AAPL", 3)
        self.slow = ctx.indicator(_sma, "AAPL", 8)
        self.calls = 0
        if self.woken:
            ctx.wake_on(ctx.indicator(_crosses, "AAPL"))

    def on_bar(self, ctx: vt.Context) -> None:
        self.calls += 1
        if vt.crossover(self.fast, self.slow) and ctx.position("AAPL") == 0:
            ctx.buy("AAPL", 10)
        elif vt.crossover(self.slow, self.fast) and ctx.position("AAPL") > 0:
            ctx.sell("AAPL", 10)


class WokenCross(IndicatorCross):
    woken = True


class WokenByCrossings(IndicatorCross):
    def init(self, ctx: vt.Context) -> None:
        super().init(ctx)
        ctx.wake_on(vt.crossings(self.fast, self.slow))  # computed in the engine, no Python function


def test_a_strategy_woken_at_its_events_trades_exactly_as_one_called_every_bar() -> None:
    pytest.importorskip("numpy")
    scenario = vt.scenarios.get("tech-2024-q2")
    every, woken = vt.backtest(IndicatorCross, scenario), vt.backtest(WokenCross, scenario)
    assert every.strategy.calls == scenario.info["bar_count"] - 1
    assert 10 < woken.strategy.calls < every.strategy.calls / 3
    assert woken.run.fills() == every.run.fills() and len(every.run.fills()) > 10
    assert woken.results == every.results
    native = vt.backtest(WokenByCrossings, scenario)
    assert native.strategy.calls == woken.strategy.calls
    assert native.run.fills() == every.run.fills()
    with pytest.raises(vt.InvalidInput, match="indicators of one backtest"):

        class Mixed(IndicatorCross):
            def init(self, ctx: vt.Context) -> None:
                super().init(ctx)
                ctx.wake_on(vt.crossings(self.fast, native.strategy.slow))  # from another backtest

        vt.backtest(Mixed, scenario)


def test_crossover_compares_indicators_and_levels() -> None:
    pytest.importorskip("numpy")
    seen: List[Any] = []

    class Probe(vt.Strategy):
        def init(self, ctx: vt.Context) -> None:
            self.close = ctx.indicator(lambda v: v, "AAPL")

        def on_bar(self, ctx: vt.Context) -> None:
            if len(self.close) >= 2:
                level = (self.close[-1] + self.close[-2]) / 2
                up = self.close[-2] < level < self.close[-1]
                seen.append(vt.crossover(self.close, level) == up)
            else:
                seen.append(vt.crossover(self.close, 0.0) is False)  # one bar cannot cross

    vt.backtest(Probe, vt.scenarios.get("tech-2024-q2"))
    assert len(seen) > 100 and all(seen)
    with pytest.raises(vt.InvalidInput, match="numbers or numbers, got str"):
        vt.crossover("AAPL", 1.0)
    # Issue 10, "also fix": numpy arrays (and lists) cross like indicators, by their last two values.
    import numpy as np

    assert vt.crossover(np.array([1.0, 2.0, 3.0]), 2.5) and not vt.crossover(np.array([3.0, 1.0]), [2.0, 2.0])
    assert vt.crossover([1.0, 3.0], np.array([2.0, 2.0])) and not vt.crossover(np.array([5.0]), 1.0)


def test_order_shortcuts_return_ids_and_orders_can_be_looked_up() -> None:
    seen: Dict[str, Any] = {}

    def on_bar(ctx: vt.Context) -> None:
        if ctx.bar_index == 0:
            seen["market"] = ctx.buy("AAPL", 5)
            seen["limit"] = ctx.buy("AAPL", Decimal("2.5"), limit="1.00")  # far below the market: rests
            seen["bracket"] = ctx.buy("MSFT", "1", stop_loss="1.00")
        if ctx.bar_index == 2:
            seen.update(market_order=ctx.order(seen["market"]), limit_order=ctx.order(seen["limit"]))
            with pytest.raises(vt.NotFound):
                ctx.order(999)

    bt = vt.backtest(on_bar, vt.scenarios.get("tech-2024-q2"))
    assert all(isinstance(seen[k], int) for k in ("market", "limit", "bracket"))
    assert seen["market_order"].status == "FILLED" and seen["market_order"].filled_quantity == 5
    assert seen["limit_order"].status == "OPEN" and seen["limit_order"].limit_price == Decimal("1.00")
    assert bt.run.order(seen["bracket"]).status == "FILLED"
    children = [o for o in bt.run.orders() if o.parent_id == seen["bracket"]]
    assert [(o.role, o.stop_price) for o in children] == [("stop_loss", Decimal("1.00"))]


def test_wake_on_is_set_up_in_init_with_an_indicator() -> None:
    class Late(vt.Strategy):
        def init(self, ctx: vt.Context) -> None:
            self.ind = ctx.indicator(lambda v: v > 0, "AAPL")

        def on_bar(self, ctx: vt.Context) -> None:
            ctx.wake_on(self.ind)

    with pytest.raises(vt.InvalidInput, match="set up in init"):
        vt.backtest(Late, vt.scenarios.get("tech-2024-q2"))

    class NotAnIndicator(vt.Strategy):
        def init(self, ctx: vt.Context) -> None:
            ctx.wake_on([True, False])  # type: ignore[arg-type]

        def on_bar(self, ctx: vt.Context) -> None:
            pass

    with pytest.raises(vt.InvalidInput, match="takes an Indicator"):
        vt.backtest(NotAnIndicator, vt.scenarios.get("tech-2024-q2"))

    class BadField(vt.Strategy):
        def init(self, ctx: vt.Context) -> None:
            ctx.indicator(lambda v: v, "AAPL", field="adj_close")

        def on_bar(self, ctx: vt.Context) -> None:
            pass

    with pytest.raises(vt.InvalidInput, match="must be one of ts, open, high, low, close, volume") as e:
        vt.backtest(BadField, vt.scenarios.get("tech-2024-q2"))
    assert e.value.code == "invalid_enum_value"


def test_a_long_centred_window_is_caught_on_a_long_series() -> None:
    """Look-ahead that only shows once a prefix is long (a centred 4001-bar window) is refused too,
    while the check stays cheap on a long series."""
    pd = pytest.importorskip("pandas")

    class Centred(vt.Strategy):
        def init(self, ctx: vt.Context) -> None:
            ctx.indicator(lambda v: pd.Series(v).rolling(4001, center=True).mean().to_numpy(), "SYM000")

        def on_bar(self, ctx: vt.Context) -> None:
            pass

    with pytest.raises(vt.InvalidInput, match="not causal"):
        vt.backtest(Centred, vt.scenarios.synthetic(1, 20_000, seed=3))


def test_close_at_end_closes_open_positions_through_the_engine() -> None:
    # Issue 10, "also fix": backtesting.py's finalize_trades. Without it the trade stays open.
    scenario = vt.scenarios.get("tech-2024-q2")

    def buy_and_hold(ctx: vt.Context) -> None:
        if ctx.bar_index == 0:
            ctx.buy("AAPL", 10)
        if ctx.bar_index == 5:
            ctx.buy("MSFT", 1, limit="1.00")  # far below the market: still working at the end

    kept = vt.backtest(buy_and_hold, scenario)
    assert [t.status for t in kept.run.trades()] == ["open"]

    bt = vt.backtest(buy_and_hold, scenario, close_at_end=True)
    first, last = bt.run.fills()
    last_bar = bt.run.scan()["AAPL"]
    assert (last.side, last.quantity, last.ts) == ("sell", first.quantity, last_bar.ts), "sold at the last bar"
    assert last.reference_price == last_bar.open, "a market order at the last bar's open, costs as usual"
    assert [t.status for t in bt.run.trades()] == ["closed"]
    assert bt.run.portfolio().positions == [] and bt.results.final_equity == bt.run.portfolio().cash
    assert [o.status for o in bt.run.orders() if o.symbol == "MSFT"] == ["CANCELLED"]
    assert "close_at_end=True" in repr(vt.Simulator(scenario, close_at_end=True))
    with pytest.raises(vt.InvalidInput, match="`close_at_end` must be True or False"):
        vt.Simulator(scenario, close_at_end="yes")  # type: ignore[arg-type]
