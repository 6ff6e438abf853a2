"""The cross-runtime conformance cases (tests/conformance/*.json, format in its README.md) through
the Python API; sdk-ts/test/conformance.ts runs the same cases in Node and WebAssembly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import pytest

import vectrade as vt

DIR = Path(__file__).resolve().parents[2] / "tests" / "conformance"
RUNTIME = "python"


def _cases() -> List[Any]:
    out = []
    for path in sorted(DIR.glob("*.json")):
        suite = json.loads(path.read_text(encoding="utf-8"))
        for case in suite["cases"]:
            marks = [] if RUNTIME in case.get("runtimes", [RUNTIME]) else [pytest.mark.skip(reason=case.get("why", "not this runtime"))]
            out.append(pytest.param(suite["fixture"], case, id=f"{path.name}: {case['name']}", marks=marks))
    return out


class StrategyError(Exception):
    """An exception of the strategy's own, carrying a ``code`` like the engine's errors."""

    def __init__(self, code: str) -> None:
        super().__init__("the strategy's own error")
        self.code = code


def _decode(v: Any) -> Any:
    """A case's value as Python: tagged numbers, nested values, errors with codes."""
    if isinstance(v, list):
        return [_decode(x) for x in v]
    if not isinstance(v, dict):
        return v
    if "$number" in v:
        return float(v["$number"])
    if "$raw" in v:
        return _decode(v["$raw"])
    if "$error_with_code" in v:
        return StrategyError(v["$error_with_code"])
    if "$nested" in v:
        deep: List[Any] = []
        for _ in range(v["$nested"]):
            deep = [deep]
        return deep
    return {k: _decode(x) for k, x in v.items()}


def _order_value(o: vt.PlacedOrder) -> Dict[str, Any]:
    return {"status": o.status, "order_type": o.order_type, "time_in_force": o.time_in_force}


def _step_value(r: vt.StepResult) -> Dict[str, Any]:
    return {"bars_advanced": r.bars_advanced, "done": r.done}


def _scenario_value(s: vt.Scenario) -> Dict[str, Any]:
    return {"symbols": s.universe, "bars": s.info["bar_count"]}


def _call(sc: vt.Scenario, name: str, args: List[Any], kw: Dict[str, Any]) -> Any:
    """Calls ``name`` of the API (the case's call name); returns its result as the cases compare it."""
    if "risk" in kw and isinstance(kw["risk"], dict):
        kw["risk"] = vt.RiskProfile(**kw["risk"])

    def run() -> vt.Run:
        return vt.Simulator(sc).start()

    def in_strategy(f: Callable[[vt.Context], Any]) -> Tuple[Any, vt.Backtest]:
        out: List[Any] = [None]

        def on_bar(ctx: vt.Context) -> None:
            if ctx.bar_index == 0:
                out[0] = f(ctx)

        bt = vt.backtest(on_bar, sc)
        return out[0], bt

    builders: Dict[str, Callable[..., vt.Order]] = {"order.market": vt.Order.market, "order.limit": vt.Order.limit, "order.stop": vt.Order.stop, "order.stop_limit": vt.Order.stop_limit}
    if name in builders:
        return _order_value(run().submit(builders[name](*args, **kw)))
    if name == "ctx.run.liquidate_and_finish":
        return in_strategy(lambda ctx: ctx._run.liquidate_and_finish())[0]
    if name.startswith("ctx."):
        out, bt = in_strategy(lambda ctx: getattr(ctx, name[4:])(*args, **kw))
        return {"count": len(out)} if name == "ctx.closes" else _order_value(bt.run.order(out))
    if name == "run.submit":
        order = args[0]
        return _order_value(run().submit(vt.Order(**order) if isinstance(order, dict) else order, **kw))
    simple: Dict[str, Callable[[], Any]] = {
        "scenario.from_csv": lambda: _scenario_value(vt.scenarios.from_csv(*args, **kw)),
        "scenario.from_arrays": lambda: _scenario_value(vt.scenarios.from_arrays(*args, **kw)),
        "scenario.get": lambda: _scenario_value(vt.scenarios.get(*args)),
        "scenario.synthetic": lambda: _scenario_value(vt.scenarios.synthetic(**kw)),
        "scenario.with_rules": lambda: _scenario_value(sc.with_rules(**kw)),
        "simulator.start": lambda: vt.Simulator(sc).start(**kw).agent,
        "run.step": lambda: _step_value(run().step(*args, **kw)),
        "run.hold_until_end": lambda: _step_value(run().hold_until_end(**kw)),
        "run.liquidate_and_finish": lambda: _step_value(run().liquidate_and_finish(*args, **kw)),
        "run.advance_until_next_session": lambda: _step_value(run().advance_until_next_session(**kw)),
        "run.market": lambda: {s: len(bars) for s, bars in run().market(**kw, as_="bars").items()},
        "run.cancel": lambda: _order_value(run().cancel(*args, **kw)),
        "run.order": lambda: _order_value(run().order(*args)),
        "run.results": lambda: str(run().results().final_equity),
        "run.restore": lambda: vt.Run.restore(sc, *args).agent,
    }
    if name not in simple:
        raise AssertionError(f"the conformance runner has no call {name}")
    return simple[name]()


@pytest.mark.parametrize(("fixture", "case"), _cases())
def test_conformance(fixture: Dict[str, str], case: Dict[str, Any]) -> None:
    sc = vt.scenarios.from_csv(fixture["csv"], symbol=fixture["symbol"])
    args = _decode(case.get("args", []))
    kw = {**_decode(case.get("options", {})), **_decode(case.get("raw_options", {}))}
    expect = case["expect"]
    if expect.get("rethrown"):
        thrown = args[0]

        def on_bar(ctx: vt.Context) -> None:
            raise thrown

        with pytest.raises(BaseException) as caught:
            vt.backtest(on_bar, sc)
        assert caught.value is thrown
        return
    if "error" not in expect:
        assert _call(sc, case["call"], args, kw) == expect["value"]
        return
    cls = getattr(vt, expect["error"])
    with pytest.raises(Exception) as caught:
        value = _call(sc, case["call"], args, kw)
        pytest.fail(f"expected {expect['error']} ({expect['code']}), got the value {value!r}")
    err = caught.value
    assert isinstance(err, cls), f"expected {expect['error']}, got {type(err).__name__}: {err}"
    assert getattr(err, "code", None) == expect["code"], f"code of {type(err).__name__}: {err}"
    message = str(err)
    for m in expect.get("mentions", []) + expect.get("mentions_verbatim", []):
        assert m in message, f"the message names {m}: {message}"
