"""Hypothesis properties through the Python API: money conserved exactly, runs deterministic, a
restored snapshot continues identically."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, List, Tuple

import pytest

import vectrade as vt

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SCENARIO = vt.scenarios.synthetic(2, 60, seed=3)
SYMBOLS = SCENARIO.universe
Action = Tuple[Any, int, str, int, int]

actions = st.lists(
    st.tuples(
        st.sampled_from(["buy", "sell", "short", "cover", "step"]),
        st.integers(0, len(SYMBOLS) - 1),
        st.sampled_from(["MARKET", "LIMIT", "STOP"]),
        st.integers(1, 300),
        st.integers(-300, 300),
    ),
    max_size=40,
)


def play(run: vt.Run, acts: List[Action]) -> None:
    for side, sym, kind, qty, offset in acts:
        if run.done:
            return
        if side == "step":
            run.step(1 + qty % 3)
            continue
        symbol = SYMBOLS[sym]
        last = run.market([symbol], lookback=1, as_="bars")[symbol][-1].close
        price = max(last + Decimal(offset) / 100, Decimal("0.01"))
        order = {
            "MARKET": vt.Order.market(symbol, side, qty),
            "LIMIT": vt.Order.limit(symbol, side, qty, price),
            "STOP": vt.Order.stop(symbol, side, qty, price),
        }[kind]
        try:
            run.submit(order)
        except vt.VecTradeError:
            pass  # refusals are part of trading; the properties hold either way


def fresh() -> vt.Run:
    return vt.Simulator(SCENARIO).start()


@settings(max_examples=60, deadline=None)
@given(actions)
def test_cash_moves_exactly_by_fills_and_commissions(acts: List[Action]) -> None:
    run = fresh()
    play(run, acts)
    fills = run.fills()
    sign = {"buy": 1, "cover": 1, "sell": -1, "short": -1}
    expected = Decimal(100_000) - sum((sign[f.side] * f.total_value + f.commission for f in fills), Decimal(0))
    assert run.portfolio().cash == expected
    for symbol in SYMBOLS:
        held = sum((sign[f.side] * f.quantity for f in fills if f.symbol == symbol), Decimal(0))
        position = next((p.quantity for p in run.portfolio().positions if p.symbol == symbol), Decimal(0))
        assert held == position


@settings(max_examples=40, deadline=None)
@given(actions, st.integers(0, 40))
def test_runs_are_deterministic_and_snapshots_continue(acts: List[Action], split: int) -> None:
    a, b = fresh(), fresh()
    play(a, acts)
    play(b, acts)
    assert a.snapshot() == b.snapshot()
    half = fresh()
    play(half, acts[:split])
    restored = vt.Run.restore(SCENARIO, half.snapshot())
    play(restored, acts[split:])
    assert restored.snapshot() == a.snapshot()
