"""Example strategies: small, readable, and run by the tests and the ``vectrade demo`` command."""

from __future__ import annotations

from decimal import Decimal
from typing import Dict, List

from .backtest import Context, Strategy


class SmaCross(Strategy):
    """Moving-average crossover on every universe symbol: buy about ``weight`` of equity when the
    fast average crosses above the slow one, sell the position when it crosses below."""

    fast = 10
    slow = 30
    weight = Decimal("0.15")

    def init(self, ctx: Context) -> None:
        self.history: Dict[str, List[float]] = {s: [] for s in ctx.symbols}

    def on_bar(self, ctx: Context) -> None:
        equity = ctx.equity
        for symbol in ctx.symbols:
            price = ctx.close(symbol)
            if price is None:
                continue
            closes = self.history[symbol]
            closes.append(price)
            if len(closes) < self.slow:
                continue
            fast = sum(closes[-self.fast :]) / self.fast
            slow = sum(closes[-self.slow :]) / self.slow
            held = ctx.position(symbol)
            if fast > slow and held == 0:
                quantity = int(equity * self.weight / Decimal(repr(price)))
                if quantity > 0:
                    ctx.buy(symbol, quantity)
            elif fast < slow and held > 0:
                ctx.sell(symbol, held)


class BuyAndHold(Strategy):
    """Spends about equal parts of the cash on every universe symbol at the first bar."""

    def on_bar(self, ctx: Context) -> None:
        if ctx.bar_index != 0:
            return
        budget = ctx.cash * Decimal("0.98") / len(ctx.symbols)
        for symbol in ctx.symbols:
            price = ctx.close(symbol)
            if price:
                quantity = int(budget / Decimal(repr(price)))
                if quantity > 0:
                    ctx.buy(symbol, quantity)
