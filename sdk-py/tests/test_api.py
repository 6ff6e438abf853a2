"""The Python face of the engine: quickstart loop, typed values, errors with stable codes, pickling."""

from __future__ import annotations

import pickle
from decimal import Decimal

import pytest

import vectrade as vt


def test_quickstart_loop_runs_to_results() -> None:
    assert "tech-2024-q2" in [s.slug for s in vt.scenarios.list()]
    run = vt.Simulator(vt.scenarios.get("tech-2024-q2")).start(
        agent="my-bot", risk=vt.RiskProfile(max_position_size_pct=20)
    )
    with pytest.raises(vt.InvalidState) as not_yet:
        run.results()
    assert not_yet.value.code == "run_not_finished"
    bought = False
    while not run.done:
        bars = run.market(["AAPL"], lookback=50, as_="bars")
        assert bars["AAPL"][-1].ts == run.sim_time, "the last bar is the one at sim_time"
        if not bought:
            placed = run.submit(vt.Order.market("AAPL", "buy", 10))
            assert placed.status == "OPEN"
            bought = True
        step = run.step()
    assert step.done
    results = run.results()
    assert results.trade_count == 1
    assert isinstance(results.final_equity, Decimal)
    assert results.final_equity == run.equity_curve()[-1][1]
    assert "return" in repr(results) and results.to_dict()["agent"] == "my-bot"


def test_fills_are_exact_and_at_the_next_open() -> None:
    run = vt.Simulator(vt.scenarios.get("tech-2024-q2")).start()
    run.submit(vt.Order.limit("MSFT", "buy", "3", Decimal("500")))
    step = run.step()
    fill = step.fills[0]
    next_open = run.market(["MSFT"], lookback=1, as_="bars")["MSFT"][0].open
    assert fill.reference_price == next_open, "a limit above the open fills at the open"
    assert fill.fill_price == next_open * Decimal("1.0002") and fill.slippage_bps == Decimal(2), "2 bps against the buyer"
    assert step.cash == Decimal(100_000) - fill.total_value - fill.commission


def test_errors_carry_stable_codes_and_name_the_argument() -> None:
    run = vt.Simulator(vt.scenarios.get("tech-2024-q2")).start()
    with pytest.raises(vt.InvalidInput) as e:
        run.submit(vt.Order.market("AAPL", "hold", 1))  # type: ignore[arg-type]
    assert e.value.code == "invalid_enum_value"
    assert "`side` must be one of {'buy', 'sell', 'short', 'cover'}, got 'hold'" in e.value.detail
    with pytest.raises(vt.InvalidInput, match="`quantity` must be an int, float, str or Decimal, got list"):
        run.submit(vt.Order.market("AAPL", "buy", [1]))  # type: ignore[arg-type]
    with pytest.raises(vt.OrderRejected) as rejected:
        run.submit(vt.Order.market("AAPL", "buy", 10_000))
    assert rejected.value.code == "insufficient_buying_power"
    assert rejected.value.detail.startswith("insufficient buying power: need $")
    with pytest.raises(vt.OrderRejected) as short:
        run.submit(vt.Order.market("AAPL", "short", 1))
    assert short.value.code == "shorting_disabled"
    assert isinstance(short.value, vt.VecTradeError)
    strict = vt.Simulator(vt.scenarios.get("tech-2024-q2")).start(risk=vt.RiskProfile(max_open_orders=1))
    strict.submit(vt.Order.limit("AAPL", "buy", 1, 1))
    with pytest.raises(vt.RiskLimitExceeded) as limit:
        strict.submit(vt.Order.limit("AAPL", "buy", 1, 1))
    assert limit.value.code == "max_open_orders_exceeded"
    codes = dict(vt.error_codes())
    assert codes["idempotency_conflict"] == "conflict" and len(codes) > 30


def test_idempotency_keys_replay_and_conflict() -> None:
    run = vt.Simulator(vt.scenarios.get("tech-2024-q2")).start()
    first = run.submit(vt.Order.market("AAPL", "buy", 1), idempotency_key="k")
    assert run.submit(vt.Order.market("AAPL", "buy", 1), idempotency_key="k") == first
    with pytest.raises(vt.IdempotencyConflict):
        run.submit(vt.Order.market("AAPL", "buy", 2), idempotency_key="k")
    assert len(run.orders()) == 1


def test_runs_pickle_and_continue_identically() -> None:
    run = vt.Simulator(vt.scenarios.get("crypto-majors-2024-q3")).start()
    run.submit(vt.Order.market("BTC/USD", "buy", "0.25"))
    run.step(10)
    copy = pickle.loads(pickle.dumps(run))
    assert copy.step(100) == run.step(100)
    assert copy.snapshot() == run.snapshot()


def test_tournament_agents_are_isolated() -> None:
    run = vt.Simulator(vt.scenarios.get("tech-2024-q2")).tournament(["a", ("b", vt.RiskProfile.hosted())])
    a, b = run.as_agent("a"), run.as_agent("b")
    a.submit(vt.Order.market("NVDA", "buy", 100))
    run.step(5)
    assert len(a.fills()) == 1 and b.fills() == []
    assert b.portfolio().equity == Decimal(100_000)


def test_scenarios_from_csv_text() -> None:
    text = "Date,Open,High,Low,Close,Adj Close,Volume\n" + "\n".join(
        f"2024-01-{d:02d},{100 + d},{102 + d},{99 + d},{101 + d},{101 + d},1000" for d in range(2, 12)
    )
    sc = vt.scenarios.from_csv(text, symbol="ABC", slug="my-data")
    assert sc.universe == ["ABC"]
    run = vt.Simulator(sc).start()
    run.submit(vt.Order.market("ABC", "buy", 1))
    assert run.step().fills[0].fill_price == Decimal("103.0206"), "open 103 plus 2 bps"
    with pytest.raises(vt.InvalidInput) as bad:
        vt.scenarios.from_csv("Date,Open\n2024-01-02,abc\n", symbol="X")
    assert bad.value.code == "csv_parse_error"


def test_synthetic_scenarios_are_reproducible() -> None:
    a = vt.scenarios.synthetic(3, 500, seed=11)
    assert a.fingerprint == vt.scenarios.synthetic(3, 500, seed=11).fingerprint
    assert a.fingerprint != vt.scenarios.synthetic(3, 500, seed=12).fingerprint
    assert a.universe == ["SYM000", "SYM001", "SYM002"]
    assert pickle.loads(pickle.dumps(a)).fingerprint == a.fingerprint


def test_trades_are_typed_round_trips() -> None:
    run = vt.Simulator(vt.scenarios.get("tech-2024-q2")).start()
    run.submit(vt.Order.market("AAPL", "buy", 10, trims=[vt.Trim(1, "400", 4)]))
    run.step(3)
    run.submit(vt.Order.market("AAPL", "sell", 10))
    run.step(2)
    (trade,) = run.trades()
    assert trade.status == "closed" and trade.trade_type == "long"
    assert isinstance(trade.net_pnl, Decimal) and trade.closed_at is not None and trade.closed_at > trade.opened_at
    assert [leg.exit_type for leg in trade.exits] == ["manual"]
    assert trade.net_pnl == trade.realized_pnl - trade.fees
