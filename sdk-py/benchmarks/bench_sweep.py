"""A parameter sweep against vectorbt in one process: `python sdk-py/benchmarks/bench_sweep.py
[bars] [threads]` (default 200,000 bars, one thread per core).

64 SMA pairs (fast 5..40 by 5 × slow 50..225 by 25) on the same bars: vectorbt broadcasts all
pairs in one `Portfolio.from_signals` call (its JIT warm-up is not timed); VecTrade runs the same
2-D flags with `vt.sweep_signals`, one engine run per pair on a pool of threads. Both trade 10
units at the next open without costs; the final equities of every pair are compared. vectorbt is
skipped when not installed (pip install vectorbt).
"""

from __future__ import annotations

import sys
import time
import warnings
from typing import Any, List, Tuple

import numpy as np

import vectrade as vt

PAIRS: List[Tuple[int, int]] = [(f, s) for f in range(5, 41, 5) for s in range(50, 226, 25)]


def flags(close: Any) -> Tuple[Any, Any]:
    """Entries and exits of every pair as (bars × pairs) boolean arrays: a cross of the two
    rolling means (pandas', as every engine here sees them)."""
    import pandas as pd

    c = pd.Series(close)
    entries, exits = [], []
    for fast, slow in PAIRS:
        f, s = c.rolling(fast).mean(), c.rolling(slow).mean()
        entries.append(((f > s) & (f.shift(1) <= s.shift(1))).to_numpy())
        exits.append(((f < s) & (f.shift(1) >= s.shift(1))).to_numpy())
    return np.column_stack(entries), np.column_stack(exits)


def best_of(n: int, f: Any) -> Tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(n):
        start = time.perf_counter()
        out = f()
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    bars = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else None
    scenario = vt.scenarios.synthetic(1, bars, seed=7).with_rules(slippage_bps=0)
    run = vt.Simulator(scenario).start()._native
    column = lambda field: np.frombuffer(run.column_f64(run.symbol_index("SYM000"), field), dtype="<f8")  # noqa: E731
    close, open_ = column("close"), column("open")
    entries, exits = flags(close)
    params = [{"fast": f, "slow": s} for f, s in PAIRS]
    print(f"{len(PAIRS)} SMA pairs × {bars:,} bars ({len(PAIRS) * bars:,} bar-runs)")

    seconds, swept = best_of(3, lambda: vt.sweep_signals(scenario, entries, exits, params, size=10, threads=threads))
    ours = {(r["fast"], r["slow"]): float(r["final_equity"]) for r in swept.rows}
    label = f"vectrade sweep ({threads or 'all'} threads)"
    print(f"  {label:<34} {seconds:8.3f} s  {len(PAIRS) * bars / seconds:>14,.0f} bar-runs/s")
    try:
        import pandas as pd
        import vectorbt as vbt
    except ImportError:
        print("vectorbt is not installed (pip install vectorbt): comparison skipped")
        return
    columns = pd.MultiIndex.from_tuples(PAIRS, names=["fast", "slow"])
    price = pd.Series(open_).shift(-1)  # the next bar's open, as VecTrade fills
    e, x = pd.DataFrame(entries, columns=columns), pd.DataFrame(exits, columns=columns)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")

        def vbt_run(n: int) -> Any:
            pf = vbt.Portfolio.from_signals(
                pd.Series(close[:n]), e.iloc[:n], x.iloc[:n], price=price[:n], size=10, init_cash=100_000, freq="1h"
            )
            return pf.final_value()

        vbt_run(1000)  # JIT warm-up, not timed
        vbt_seconds, finals = best_of(3, lambda: vbt_run(bars))
    print(f"  {'vectorbt from_signals (broadcast)':<34} {vbt_seconds:8.3f} s  {len(PAIRS) * bars / vbt_seconds:>14,.0f} bar-runs/s")
    theirs = {tuple(k): float(v) for k, v in finals.items()}
    same = sum(abs(ours[k] - theirs[k]) <= 1e-6 * max(1.0, abs(theirs[k])) for k in ours)
    print(f"  same final equity in {same} of {len(PAIRS)} pairs; vectrade is {vbt_seconds / seconds:.2f}x vectorbt")


if __name__ == "__main__":
    main()
