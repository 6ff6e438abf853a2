"""Fidelity on real data no one here wrote: backtesting.py's GOOG daily bars and its SmaCross
example, run in both engines with the same sizing (10 shares) and costs (0.2 % commission, no
spread). Trades (entry and exit bars and prices) and final equity must agree.

Documented differences: VecTrade rounds each commission to the cent (backtesting.py keeps floats),
so equity may differ by at most half a cent per fill; backtesting.py's ``exclusive_orders`` closes
and reopens in one order, VecTrade uses a ``cover``/``sell`` then a ``buy``/``short`` on the same
bar, which fill at the same open in that order.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

import vectrade as vt

bt_mod = pytest.importorskip("backtesting")
from backtesting import Backtest, Strategy  # noqa: E402
from backtesting.lib import crossover  # noqa: E402
from backtesting.test import GOOG, SMA  # noqa: E402

SIZE = 10

# backtesting.py warns about trades left open at the end and about pandas deprecations; both are
# about its own internals, not about what is compared here.
pytestmark = pytest.mark.filterwarnings("ignore")


class BtSmaCross(Strategy):
    """backtesting.py's own example (README), with a fixed size."""

    def init(self) -> None:
        price = self.data.Close
        self.ma1 = self.I(SMA, price, 10)
        self.ma2 = self.I(SMA, price, 20)

    def next(self) -> None:
        if crossover(self.ma1, self.ma2):
            self.buy(size=SIZE)
        elif crossover(self.ma2, self.ma1):
            self.sell(size=SIZE)


class VtSmaCross(vt.Strategy):
    """The same logic on VecTrade's callback API."""

    def on_bar(self, ctx: vt.Context) -> None:
        closes = ctx.closes("GOOG", 21)
        if len(closes) < 21:
            return
        fast_now, fast_before = sum(closes[-10:]) / 10, sum(closes[-11:-1]) / 10
        slow_now, slow_before = sum(closes[-20:]) / 20, sum(closes[-21:-1]) / 20
        held = ctx.position("GOOG")
        if fast_before < slow_before and fast_now > slow_now:
            if held < 0:
                ctx.cover("GOOG", -held)
            ctx.buy("GOOG", SIZE)
        elif slow_before < fast_before and slow_now > fast_now:
            if held > 0:
                ctx.sell("GOOG", held)
            ctx.short("GOOG", SIZE)


def test_sma_cross_on_goog_agrees_with_backtesting_py() -> None:
    stats = Backtest(GOOG, BtSmaCross, cash=10_000, commission=0.002, exclusive_orders=True).run()
    theirs = stats["_trades"]

    scenario = vt.scenarios.from_dataframe(
        GOOG, symbol="GOOG", slug="goog", starting_cash=10_000, short_enabled=True,
        slippage_bps=0, commission={"bps": 20}, bar_resolution="1Day",
    )
    ours = vt.backtest(VtSmaCross, scenario)
    days = {ts: i for i, ts in enumerate(GOOG.index.tz_localize("UTC"))}
    closed = [t for t in ours.run.trades() if t.status == "closed"]

    assert len(closed) == len(theirs) > 50
    for mine, row in zip(closed, theirs.itertuples()):
        assert mine.closed_at is not None
        assert days[mine.opened_at] == row.EntryBar and days[mine.closed_at] == row.ExitBar
        assert mine.avg_entry_price == Decimal(repr(row.EntryPrice))
        assert mine.avg_exit_price == Decimal(repr(row.ExitPrice))
        assert (mine.trade_type == "long") == (row.Size > 0)

    fills = ours.results.trade_count
    assert abs(float(ours.results.final_equity) - stats["Equity Final [$]"]) <= 0.005 * fills
