"""Per-bar cost of the Python callback API: `python sdk-py/benchmarks/bench_callback.py [bars]`.

Prints bars per second for an empty strategy (the API's own overhead: one Python call and one
engine step per bar), an SMA crossover that keeps its own list of closes, and the same strategy
on precomputed indicators (`ctx.indicator` + `vt.crossover`). `bench_vs_peers.py` compares with
backtesting.py and vectorbt.
"""

from __future__ import annotations

import sys
import time
from typing import Any, List, Tuple

import vectrade as vt

from bench_vs_peers import VtSma  # the SMA cross on precomputed indicators, shared with the peer comparison


class SmaCross(vt.Strategy):
    def init(self, ctx: vt.Context) -> None:
        self.closes: list = []
        self.long = False

    def on_bar(self, ctx: vt.Context) -> None:
        c = self.closes
        c.append(ctx.close("SYM000"))
        if len(c) < 30:
            return
        fast, slow = sum(c[-10:]) / 10, sum(c[-30:]) / 30
        if fast > slow and not self.long:
            ctx.buy("SYM000", 10)
            self.long = True
        elif fast < slow and self.long:
            ctx.sell("SYM000", 10)
            self.long = False


def main() -> None:
    bars = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    scenario = vt.scenarios.synthetic(1, bars, seed=7)
    strategies: List[Tuple[str, Any]] = [
        ("empty on_bar", lambda ctx: None),
        ("SMA 10/30, own lists", SmaCross),
        ("SMA 10/30, indicators", VtSma),
    ]
    for name, strategy in strategies:
        start = time.perf_counter()
        bt = vt.backtest(strategy, scenario)
        seconds = time.perf_counter() - start
        print(f"{name:<24} {bars:>9} bars  {seconds:7.3f} s  {bars / seconds / 1e6:6.2f} M bars/s  fills {bt.results.metrics.fill_count}")


if __name__ == "__main__":
    main()
