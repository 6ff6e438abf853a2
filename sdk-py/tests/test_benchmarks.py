"""The benchmark scripts run, and the engines they compare take the same trades to the same final
equity (on a few thousand bars: the figures themselves are for BENCHMARKS.md, not for tests)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
ROW = re.compile(r"^  (?P<name>.+?)\s+[\d.]+ s .* round trips\s+(?P<trips>\d+)\s+final equity\s+(?P<final>[\d,.]+)")


def run(script: str, bars: int) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), str(bars)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_callback_benchmark_runs() -> None:
    lines = run("bench_callback.py", 3000).splitlines()
    assert len(lines) == 3 and all("M bars/s" in line for line in lines), lines


def test_peer_benchmark_engines_agree() -> None:
    out = run("bench_vs_peers.py", 3000)
    groups: list[dict[str, tuple[int, str]]] = []
    for text in out.split("SMA 10/30 cross")[1:]:
        rows = (ROW.match(line) for line in text.splitlines())
        groups.append({m["name"]: (int(m["trips"]), m["final"]) for m in rows if m})
    callback, signals = groups
    assert {"vectrade on_bar every bar", "vectrade on_bar at crosses"} <= callback.keys()
    assert "vectrade signal API" in signals
    # Every engine present takes the same round trips to the same final equity.
    for group in (callback, signals):
        assert len(set(group.values())) == 1, group
    if "backtesting.py" in out:
        assert "backtesting.py" in callback


def test_sweep_benchmark_matches_vectorbt_pair_for_pair() -> None:
    out = run("bench_sweep.py", 3000)
    assert "64 SMA pairs" in out and "vectrade sweep" in out, out
    if "vectorbt from_signals" in out:
        assert "same final equity in 64 of 64 pairs" in out, out
