"""Ctrl-C stops the engine's long native loops (issue 10, finding 16): `run.step`, `hold_until_end`,
`liquidate_and_finish`, `backtest_signals` and `scenarios.synthetic` raise KeyboardInterrupt within
a few milliseconds, and an interrupted run stands at a bar boundary and goes on correctly."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from types import FrameType
from typing import Any, Callable, Iterator, List, Optional

import pytest

import vectrade as vt

np = pytest.importorskip("numpy")

pytestmark = pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs POSIX interval timers")

BARS = 500_000  # a step over them takes some 20 ms, a thousand times the timer's delay below


@pytest.fixture(scope="module")
def long_market() -> vt.Scenario:
    return vt.scenarios.synthetic(1, BARS)


@pytest.fixture
def ctrl_c_in() -> Iterator[Callable[[float], List[float]]]:
    """Arms a timer whose signal raises KeyboardInterrupt, as Ctrl-C does; returns the list that
    receives the time at which Python's handler ran."""
    ran: List[float] = []

    def handler(signum: int, frame: Optional[FrameType]) -> Any:
        ran.append(time.perf_counter())
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, handler)

    def arm(seconds: float) -> List[float]:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        return ran

    yield arm
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


def _trading_run(scenario: vt.Scenario) -> vt.Run:
    run = vt.Simulator(scenario).start(agent="a")
    run.submit(vt.Order.market("SYM000", "buy", 10))
    return run


@pytest.mark.parametrize("call", ["step", "hold_until_end", "liquidate_and_finish"])
def test_an_interrupted_step_leaves_the_run_at_a_bar_boundary_and_it_goes_on(
    long_market: vt.Scenario, ctrl_c_in: Callable[[float], List[float]], call: str
) -> None:
    straight = _trading_run(long_market)
    straight.step()
    getattr(straight, call)(*([2**32 - 1] if call == "step" else []))
    assert straight.done

    run = _trading_run(long_market)
    run.step()
    ctrl_c_in(0.001)
    with pytest.raises(KeyboardInterrupt):
        getattr(run, call)(*([2**32 - 1] if call == "step" else []))
    assert not run.done and run.sim_time < straight.sim_time, "stopped part-way, not after the last bar"
    bar, held = run.scan()["SYM000"], run.portfolio().positions
    assert bar.ts == run.sim_time and all(p.current_price == bar.close for p in held), "at a bar boundary"
    assert [p.quantity for p in held] == ([] if call == "liquidate_and_finish" else [10])

    getattr(run, call)(*([2**32 - 1] if call == "step" else []))
    assert run.done
    assert run.fills() == straight.fills()
    assert run.results() == straight.results()


def _time_to_handler(ctrl_c_in: Callable[[float], List[float]], work: Callable[[], Any], whole: float) -> float:
    """Seconds from the start of `work` to the moment Python's signal handler ran, the timer
    firing a tenth of the way through (inside the native loop, past the Python around it)."""
    start = time.perf_counter()
    ran = ctrl_c_in(whole / 10)
    with pytest.raises(KeyboardInterrupt):
        work()
    return ran[0] - start


def test_a_signal_backtest_stops_at_once(long_market: vt.Scenario, ctrl_c_in: Callable[[float], List[float]]) -> None:
    entries = np.zeros(BARS, dtype=bool)
    exits = np.zeros(BARS, dtype=bool)
    entries[::10], exits[5::10] = True, True

    def work() -> vt.Backtest:
        return vt.backtest_signals(long_market, entries, exits, symbol="SYM000")

    start = time.perf_counter()
    work()
    whole = time.perf_counter() - start
    assert _time_to_handler(ctrl_c_in, work, whole) < whole / 4, "the handler ran in the loop, not after it"


def test_a_synthetic_market_stops_at_once(ctrl_c_in: Callable[[float], List[float]]) -> None:
    start = time.perf_counter()
    vt.scenarios.synthetic(1, BARS)
    whole = time.perf_counter() - start
    assert _time_to_handler(ctrl_c_in, lambda: vt.scenarios.synthetic(1, BARS), whole) < whole / 4


def test_ctrl_c_stops_a_long_call_of_a_script() -> None:
    # Three million bars take seconds to make; the script must stop within a fraction of that.
    # Python leaves SIGINT ignored when its parent ignored it (a command started with `&` by a
    # non-interactive shell): the script restores Python's own handler, as a terminal gives it.
    script = (
        "import signal\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "import vectrade as vt\n"
        "print('ready', flush=True)\n"
        "vt.scenarios.synthetic(1, 3_000_000)\n"
        "print('finished', flush=True)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    time.sleep(0.2)
    sent = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    took = time.perf_counter() - sent
    assert "KeyboardInterrupt" in err and proc.returncode != 0, err
    assert "finished" not in out
    assert took < 1.0, f"the script went on for {took:.2f} s after Ctrl-C"
