"""Floats in orders (issue 10, "also fix"): ``ctx.close`` hands out floats, so a strategy's orders take
them back — prices and quantities read as the digits of the float's shortest representation, as
``from_arrays`` reads bars; NaN and infinities are refused with a typed error, and so is a float
with more than the engine's 8 decimal places (with the fix to apply); money, fills and account
values stay exact, and the account's own rules still refuse floats."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Dict, List

import pytest

import vectrade as vt

np = pytest.importorskip("numpy")


def _as_from_arrays_reads(x: float) -> Decimal:
    """The close ``from_arrays`` makes of the float ``x``: the engine's own reading of floats."""
    sc = vt.scenarios.from_arrays({"X": {"ts": np.array([0], dtype=np.int64), "open": [x], "high": [x], "low": [x], "close": [x]}})
    bar = vt.Simulator(sc).start().scan()["X"]
    return bar.close


def test_strategy_orders_take_floats_as_from_arrays_reads_them() -> None:
    seen: Dict[str, Any] = {}

    def on_bar(ctx: vt.Context) -> None:
        if ctx.bar_index != 1:
            return
        c, m = ctx.close("AAPL"), ctx.close("MSFT")
        assert isinstance(c, float) and isinstance(m, float)
        seen.update(stop=round(c * 0.95, 2), limit_price=round(m * 0.9, 4))
        seen["bracket"] = ctx.buy("AAPL", 2.5, stop_loss=seen["stop"], take_profit=round(c * 1.2, 2))
        seen["limit"] = ctx.buy("MSFT", np.float64(1.25), limit=seen["limit_price"])  # the fast path, numpy's float too

    run = vt.backtest(on_bar, vt.scenarios.get("tech-2024-q2")).run
    bracket, resting = run.order(seen["bracket"]), run.order(seen["limit"])
    assert (bracket.quantity, resting.quantity) == (Decimal("2.5"), Decimal("1.25"))
    children = {o.role: o for o in run.orders() if o.parent_id == seen["bracket"]}
    assert children["stop_loss"].stop_price == _as_from_arrays_reads(seen["stop"]) == Decimal(repr(seen["stop"]))
    assert resting.limit_price == _as_from_arrays_reads(seen["limit_price"]) == Decimal(repr(seen["limit_price"]))
    assert bracket.status == "FILLED"
    fill = next(f for f in run.fills() if f.order_id == seen["bracket"])
    assert isinstance(fill.fill_price, Decimal) and fill.quantity == Decimal("2.5")
    assert isinstance(run.portfolio().cash, Decimal), "account values stay exact"


def test_a_float_order_outside_a_strategy_reads_the_same() -> None:
    run = vt.Simulator(vt.scenarios.get("tech-2024-q2")).start()
    placed = run.submit(vt.Order.limit("AAPL", "buy", 0.3, 100.1, trims=[vt.Trim(1, 200.5, 0.1)]))
    assert (placed.quantity, placed.limit_price) == (Decimal("0.3"), Decimal("100.1"))


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), np.float64("nan")])
def test_nan_and_infinities_are_refused(bad: float) -> None:
    refused: List[str] = []

    def on_bar(ctx: vt.Context) -> None:
        if ctx.bar_index == 0:
            for call in (
                lambda: ctx.buy("AAPL", bad),
                lambda: ctx.buy("AAPL", 1, limit=bad),
                lambda: ctx.buy("AAPL", 1, stop_loss=bad),
                lambda: ctx.submit(vt.Order.stop("AAPL", "buy", 1, bad)),
            ):
                with pytest.raises(vt.InvalidInput, match="must be a finite number") as e:
                    call()
                refused.append(e.value.code)

    vt.backtest(on_bar, vt.scenarios.get("tech-2024-q2"))
    assert refused == ["invalid_argument"] * 4


def test_a_float_past_eight_places_is_refused_with_the_fix() -> None:
    c = 143.95
    run = vt.Simulator(vt.scenarios.get("tech-2024-q2")).start()
    with pytest.raises(vt.InvalidInput, match=r"`stop_loss` has more than 8 decimal places.*round it first") as e:
        run.submit(vt.Order.market("AAPL", "buy", 1, stop_loss=c * 0.95))
    assert e.value.code == "invalid_price"
    with pytest.raises(vt.InvalidInput) as e:
        run.submit(vt.Order.market("AAPL", "buy", 0.1 + 0.2))  # 0.30000000000000004
    assert e.value.code == "invalid_quantity"
    assert run.orders() == [], "nothing was placed, nothing rounded"


def test_account_rules_still_refuse_floats() -> None:
    with pytest.raises(vt.InvalidInput, match="floats are inexact"):
        vt.scenarios.get("tech-2024-q2").with_rules(starting_cash=1000.5)
    with pytest.raises(vt.InvalidInput, match="floats are inexact"):
        vt.Simulator(vt.scenarios.get("tech-2024-q2")).start(risk=vt.RiskProfile(max_leverage=1.5))  # type: ignore[arg-type]
