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
    """The moving average backtesting.py's example uses (pandas' rolling mean), so that every
    engine sees the very same indicator values and takes the same trades."""
    import pandas as pd

    return pd.Series(values).rolling(n).mean().to_numpy()


class VtSma(vt.Strategy):
    """backtesting.py's SmaCross, line for line: indicators precomputed once and revealed bar by
    bar (``self.I`` there, ``ctx.indicator`` here), ``on_bar`` called at every bar."""

    def init(self, ctx: vt.Context) -> None:
        self.fast = ctx.indicator(sma, "SYM000", 10)
        self.slow = ctx.indicator(sma, "SYM000", 30)
        self.long = False

    def on_bar(self, ctx: vt.Context) -> None:
        if vt.crossover(self.fast, self.slow):
            if not self.long:
                ctx.buy("SYM000", 10)
                self.long = True
        elif vt.crossover(self.slow, self.fast) and self.long:
            ctx.sell("SYM000", 10)
            self.long = False


class VtSmaWoken(VtSma):
    """The same strategy, called only at the bars where the averages cross (``ctx.wake_on``)."""

    def init(self, ctx: vt.Context) -> None:
        super().init(ctx)
        ctx.wake_on(vt.crossings(self.fast, self.slow))


def frame(scenario: vt.Scenario) -> Any:
    import pandas as pd

    bars = json.loads(scenario._native.series_json())[0]["bars"]
    cols = {name.title(): [float(b[name]) for b in bars] for name in ("open", "high", "low", "close", "volume")}
    return pd.DataFrame(cols, index=pd.to_datetime([b["ts"] for b in bars], unit="ms"))


def main() -> None:
    bars = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    import pandas  # noqa: F401  (imported before any clock starts: every engine here uses it)

    # The peers fill at the next open without costs, and so must VecTrade (its default slippage
    # is 2 bps; the synthetic scenario charges no commission).
    scenario = vt.scenarios.synthetic(1, bars, seed=7).with_rules(slippage_bps=0)
    rows = []
    for name, strategy in (("vectrade on_bar every bar", VtSma), ("vectrade on_bar at crosses", VtSmaWoken)):
        start = time.perf_counter()
        ours = vt.backtest(strategy, scenario)
        rows.append((name, time.perf_counter() - start, ours.results.metrics.round_trips, ours.results.final_equity))
        del ours  # released before the next run starts, as every peer's run is
    try:
        from backtesting import Backtest, Strategy
        from backtesting.lib import crossover
    except ImportError:
        print("backtesting.py is not installed (pip install backtesting): comparison skipped")
    else:

        class BtSma(Strategy):
            def init(self) -> None:
                self.fast = self.I(sma, self.data.Close, 10)
                self.slow = self.I(sma, self.data.Close, 30)

            def next(self) -> None:
                if crossover(self.fast, self.slow):
                    if not self.position:
                        self.buy(size=10)
                elif crossover(self.slow, self.fast) and self.position:
                    self.position.close()

        df = frame(scenario)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            stats = Backtest(df, BtSma, cash=100_000).run()
            rows.append(("backtesting.py", time.perf_counter() - start, len(stats["_trades"]), stats["Equity Final [$]"]))
    report(bars, rows)
    signals(scenario, bars)


def report(bars: int, rows: Any) -> None:
    """One line per engine (time, throughput, round trips, final equity); VecTrade's rows say how
    many times faster than the peer (last row)."""
    print(f"{bars:,} bars, SMA 10/30 cross")
    peer_name, peer_seconds = (rows[-1][0], rows[-1][1]) if not rows[-1][0].startswith("vectrade") else (None, None)
    for name, seconds, trips, final in rows:
        ratio = f"{peer_seconds / seconds:6.2f}x faster than {peer_name}" if peer_name and name != peer_name else ""
        print(
            f"  {name:<28} {seconds:8.3f} s  {bars / seconds:>12,.0f} bars/s  round trips {trips:>6}"
            f"  final equity {float(final):>12,.2f}  {ratio}"
        )


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
        trips, final = bt.results.metrics.round_trips, bt.results.final_equity
        del bt  # released before the next run starts
    rows.append(("vectrade signal API", best, trips, final))
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
            rows.append(("vectorbt from_signals", best, int(pf.trades.closed.count()), pf.final_value()))
    report(bars, rows)


if __name__ == "__main__":
    main()
