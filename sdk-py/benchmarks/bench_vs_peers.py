"""The same SMA-cross strategy on the same bars, side by side in one process:
`python sdk-py/benchmarks/bench_vs_peers.py [bars]` (default 1M).

- VecTrade's callback API against backtesting.py (both call Python once per bar);
- VecTrade's signal API against vectorbt's `Portfolio.from_signals` (flags in, portfolio out),
  end to end including the final value and Sharpe ratio; vectorbt's JIT warm-up runs first and is
  not timed.

Every engine trades 10 units on each 10/30 SMA cross, filling at the next open, without costs.
Peers that are not installed are skipped (pip install backtesting vectorbt).
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from typing import Any

import vectrade as vt


def sma(values: Any, n: int) -> Any:
    import numpy as np

    out = np.full(len(values), np.nan)
    csum = np.cumsum(values)
    out[n - 1 :] = (csum[n - 1 :] - np.concatenate(([0.0], csum[:-n]))) / n
    return out


class VtSma(vt.Strategy):
    """Indicators precomputed once and revealed bar by bar, as backtesting.py's ``self.I`` does."""

    def init(self, ctx: vt.Context) -> None:
        self.fast = ctx.indicator(sma, "SYM000", 10)
        self.slow = ctx.indicator(sma, "SYM000", 30)
        self.long = False

    def on_bar(self, ctx: vt.Context) -> None:
        fast, slow = self.fast, self.slow
        if len(fast) < 31:
            return
        if fast[-2] < slow[-2] and fast[-1] > slow[-1] and not self.long:
            ctx.buy("SYM000", 10)
            self.long = True
        elif slow[-2] < fast[-2] and slow[-1] > fast[-1] and self.long:
            ctx.sell("SYM000", 10)
            self.long = False


def frame(scenario: vt.Scenario) -> Any:
    import pandas as pd

    bars = json.loads(scenario._native.series_json())[0]["bars"]
    cols = {name.title(): [float(b[name]) for b in bars] for name in ("open", "high", "low", "close", "volume")}
    return pd.DataFrame(cols, index=pd.to_datetime([b["ts"] for b in bars], unit="ms"))


def main() -> None:
    bars = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    scenario = vt.scenarios.synthetic(1, bars, seed=7)
    rows = []
    start = time.perf_counter()
    ours = vt.backtest(VtSma, scenario)
    rows.append(("vectrade callback API", time.perf_counter() - start, ours.results.trade_count))
    try:
        from backtesting import Backtest, Strategy
        from backtesting.lib import crossover
        from backtesting.test import SMA
    except ImportError:
        print("backtesting.py is not installed (pip install backtesting): comparison skipped")
    else:

        class BtSma(Strategy):
            def init(self) -> None:
                self.fast = self.I(SMA, self.data.Close, 10)
                self.slow = self.I(SMA, self.data.Close, 30)

            def next(self) -> None:
                if crossover(self.fast, self.slow) and not self.position:
                    self.buy(size=10)
                elif crossover(self.slow, self.fast) and self.position:
                    self.position.close()

        df = frame(scenario)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            stats = Backtest(df, BtSma, cash=100_000).run()
            rows.append(("backtesting.py", time.perf_counter() - start, 2 * len(stats["_trades"])))
    report(bars, rows)
    signals(scenario, bars)


def report(bars: int, rows: Any) -> None:
    base = rows[0][1]
    print(f"{bars:,} bars, SMA 10/30 cross")
    for name, seconds, fills in rows:
        print(f"  {name:<26} {seconds:8.3f} s  {bars / seconds:>12,.0f} bars/s  fills {fills:>7}  {seconds / base:6.2f}x the first row's time")


def signals(scenario: vt.Scenario, bars: int) -> None:
    df = frame(scenario)
    close = df["Close"]
    fast, slow = close.rolling(10).mean(), close.rolling(30).mean()
    entries = ((fast > slow) & (fast.shift(1) <= slow.shift(1))).to_numpy()
    exits = ((fast < slow) & (fast.shift(1) >= slow.shift(1))).to_numpy()
    rows = []
    best = float("inf")
    for _ in range(3):  # best of three, as for vectorbt below
        start = time.perf_counter()
        bt = vt.backtest_signals(scenario, entries, exits, size=10)
        bt.results.sharpe
        best = min(best, time.perf_counter() - start)
    rows.append(("vectrade signal API", best, bt.results.trade_count))
    try:
        import vectorbt as vbt
    except ImportError:
        print("vectorbt is not installed (pip install vectorbt): comparison skipped")
    else:
        price = df["Open"].shift(-1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            def run(n: int) -> Any:
                pf = vbt.Portfolio.from_signals(
                    close[:n], entries[:n], exits[:n], price=price[:n], size=10, init_cash=100_000, freq="1h"
                )
                pf.final_value(), pf.sharpe_ratio()
                return pf

            run(1000)  # JIT warm-up, not timed
            best = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                pf = run(len(close))
                best = min(best, time.perf_counter() - start)
            rows.append(("vectorbt from_signals", best, int(2 * pf.trades.count())))
    report(bars, rows)


if __name__ == "__main__":
    main()
