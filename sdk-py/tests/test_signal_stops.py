"""The signal API's stops (vectorbt's sl_stop, tp_stop, sl_trail) and fees: brackets the engine
fills by its own rules, equal to placing the same bracket orders by hand."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Dict, List, Tuple

import numpy as np
import pytest

import vectrade as vt

SCENARIO = vt.scenarios.get("tech-2024-q2").with_rules(slippage_bps=0)
SYMBOL = "NVDA"
EIGHT = Decimal("1e-8")


def _bars() -> List[Dict[str, Decimal]]:
    series = json.loads(SCENARIO._native.series_json())
    bars = next(s["bars"] for s in series if s["symbol"] == SYMBOL)
    return [{k: Decimal(str(b[k])) for k in ("open", "high", "low", "close")} for b in bars]


BARS = _bars()
ENTRIES = np.zeros(len(BARS), dtype=bool)
ENTRIES[::15] = True  # an entry every 15 bars when flat; the stops close the positions
EXITS = np.zeros(len(BARS), dtype=bool)


def _level(price: Decimal, fraction: str, below: bool) -> Decimal:
    f = Decimal(fraction)
    return (price * (1 - f if below else 1 + f)).quantize(EIGHT, rounding=ROUND_HALF_EVEN)


def _key(fills: Any) -> List[Tuple[int, str, Decimal, Decimal, str]]:
    return [(f.bar_index, f.side, f.quantity, f.fill_price, f.role) for f in fills]


def test_stops_fill_as_the_same_bracket_orders_placed_by_hand() -> None:
    bt = vt.backtest_signals(SCENARIO, ENTRIES, EXITS, symbol=SYMBOL, size=10, sl_stop=0.02, tp_stop=0.03)
    fills = bt.run.fills()
    roles = {f.role for f in fills}
    assert {"stop_loss", "take_profit"} <= roles, roles

    # The same entries by hand, each with the bracket levelled from its fill price (the next open:
    # no slippage), one order per decision bar as the signal loop places them.
    run = vt.Simulator(SCENARIO).start(agent="by-hand")
    for i in range(len(BARS) - 1):
        if ENTRIES[i] and run.portfolio().positions == []:
            p = BARS[i + 1]["open"]
            run.submit(vt.Order.market(SYMBOL, "buy", 10, stop_loss=_level(p, "0.02", True), take_profit=_level(p, "0.03", False)))
        run.step()
    assert _key(fills) == _key(run.fills())
    # Each entry carries the levels it got from its fill.
    entries = [o for o in bt.run.orders() if o.role == "manual"]
    assert all(o.avg_fill_price is None or _level(o.avg_fill_price, "0.02", True) == _stop_of(bt, o.id) for o in entries)


def _stop_of(bt: Any, entry: int) -> Decimal:
    return next(o.stop_price for o in bt.run.orders() if o.parent_id == entry and o.role == "stop_loss")


def test_a_trailing_stop_follows_each_bars_high_and_fills_by_the_gap_rule() -> None:
    bt = vt.backtest_signals(SCENARIO, ENTRIES, EXITS, symbol=SYMBOL, size=10, sl_stop=0.015, sl_trail=True)
    fills = bt.run.fills()
    by_order = {f.order_id: f for f in fills}
    checked = 0
    for stop in (o for o in bt.run.orders() if o.role == "stop_loss" and o.status == "FILLED"):
        assert stop.parent_id is not None
        entry_fill = by_order[stop.parent_id]
        exit_fill = by_order[stop.id]
        f, k = entry_fill.bar_index, exit_fill.bar_index
        best = max([entry_fill.fill_price, *(BARS[j]["high"] for j in range(f, k))])
        level = _level(best, "0.015", True)
        assert stop.stop_price == level, (f, k)
        opened = BARS[k]["open"]
        assert exit_fill.fill_price == (opened if opened < level else level)  # a gap fills at the open
        checked += 1
    assert checked >= 3
    fixed = vt.backtest_signals(SCENARIO, ENTRIES, EXITS, symbol=SYMBOL, size=10, sl_stop=0.015)
    assert _key(fixed.run.fills()) != _key(fills), "trailing changes the exits"


def test_fees_are_the_commission_and_bad_stops_are_refused() -> None:
    free = vt.backtest_signals(SCENARIO, ENTRIES, EXITS, symbol=SYMBOL, size=10, sl_stop=0.02, tp_stop=0.03)
    paid = vt.backtest_signals(SCENARIO, ENTRIES, EXITS, symbol=SYMBOL, size=10, sl_stop=0.02, tp_stop=0.03, fees=0.001)
    assert [f.fill_price for f in paid.run.fills()] == [f.fill_price for f in free.run.fills()]
    for f in paid.run.fills():
        assert f.commission == (f.total_value * Decimal("0.001")).quantize(f.commission) or f.commission > 0
    assert paid.results.metrics.fees > 0 and paid.results.final_equity < free.results.final_equity
    for bad, match in (
        ({"sl_stop": 1.5}, "sl_stop must be a fraction between 0 and 1"),
        ({"sl_stop": 0}, "sl_stop must be a fraction"),
        ({"tp_stop": -0.1}, "tp_stop must be a positive fraction"),
        ({"sl_trail": True}, "sl_trail needs sl_stop"),
        ({"sl_stop": 0.123456789}, "8 decimal places"),
        ({"fees": 0.001, "commission": {"bps": 1}}, "not both"),
    ):
        with pytest.raises(vt.InvalidInput, match=match):
            vt.backtest_signals(SCENARIO if "commission" not in bad else BARS_AS_PRICES, ENTRIES, EXITS,
                                symbol=SYMBOL, size=10, **bad)


BARS_AS_PRICES = np.array([float(b["close"]) for b in BARS])


def test_a_sweep_takes_the_stops_and_grades_as_each_run_alone() -> None:
    flags = np.column_stack([ENTRIES, np.roll(ENTRIES, 5)])
    swept = vt.sweep_signals(SCENARIO, flags, np.zeros_like(flags), [{"shift": 0}, {"shift": 5}], symbol=SYMBOL,
                             size=10, sl_stop=0.02, tp_stop=0.03, metric="final_equity")
    for row in swept.rows:
        alone = vt.backtest_signals(SCENARIO, flags[:, row["shift"] // 5], EXITS, symbol=SYMBOL, size=10,
                                    sl_stop=0.02, tp_stop=0.03)
        assert row["final_equity"] == alone.results.final_equity and row["trade_count"] == alone.results.trade_count
