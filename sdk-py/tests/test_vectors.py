"""Every golden vector in tests/vectors/ through the Python API, with the Rust suite's expectations."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import pytest

import vectrade as vt

VECTORS = sorted((Path(__file__).resolve().parents[2] / "tests" / "vectors").glob("*.json"))


def canon(d: Decimal) -> str:
    """Plain notation without trailing fractional zeros, as the vectors spell decimals."""
    text = format(d.normalize(), "f")
    return text


def role_json(role: str) -> Dict[str, Any]:
    if role.startswith("trim_"):
        return {"kind": "trim", "level": int(role[5:])}
    return {"kind": role}


def rfc3339(dt: Any) -> str:
    ms = round(dt.timestamp() * 1000)
    return vt._native.format_timestamp(ms)


def order_of(spec: Dict[str, Any]) -> vt.Order:
    fields = dict(spec)
    fields["trims"] = [vt.Trim(t["level"], t["price"], t["quantity"]) for t in fields.get("trims", [])]
    return vt.Order(**fields)


def scenario_of(spec: Dict[str, Any]) -> vt.Scenario:
    if "builtin" in spec:
        return vt.scenarios.get(spec["builtin"])
    return vt.scenarios.build(spec["config"], spec["bars"])


def apply(run: vt.Run, action: Dict[str, Any]) -> Tuple[Optional[str], vt.Run]:
    """Applies one action; returns the error code (if any) and the run (a new one after a restore)."""
    (name, body), = ((k, v) for k, v in action.items() if k != "expect_error")
    try:
        if name == "submit":
            run.submit(order_of(body["order"]), idempotency_key=body.get("idempotency_key"), agent=body["agent"])
        elif name == "cancel":
            run.cancel(body["order_id"], idempotency_key=body.get("idempotency_key"), agent=body["agent"])
        elif name == "step":
            run.step(body.get("count", 1), idempotency_key=body.get("idempotency_key"))
        elif name == "hold_until_end":
            run.hold_until_end(body.get("max_bars"))
        elif name == "liquidate_and_finish":
            run.as_agent(body["agent"]).liquidate_and_finish(body.get("rationale", ""), body.get("max_bars"))
        elif name == "advance_until_next_session":
            run.advance_until_next_session(body.get("max_bars"))
        elif name == "reset_agent":
            run.reset(agent=body["agent"])
        elif name == "snapshot_restore":
            run = vt.Run.restore(run.scenario, run.snapshot())
        else:
            raise AssertionError(f"unknown action {name}")
    except vt.VecTradeError as e:
        return e.code, run  # type: ignore[attr-defined]
    return None, run


def observed(run: vt.Run) -> Dict[str, Any]:
    agents: Dict[str, Any] = {}
    for name in run.agents:
        fills = [
            {
                "ts": rfc3339(f.ts), "order_id": f.order_id, "symbol": f.symbol, "side": f.side,
                "quantity": canon(f.quantity), "fill_price": canon(f.fill_price),
                "slippage_bps": canon(f.slippage_bps), "commission": canon(f.commission), "role": role_json(f.role),
            }
            for f in run.fills(agent=name)
        ]
        orders = [
            {"id": o.id, "status": o.status, "filled_quantity": canon(o.filled_quantity), "end_reason": o.end_reason}
            for o in run.orders(agent=name)
        ]
        curve = run.equity_curve(agent=name)
        digest = hashlib.sha256("".join(f"{round(t.timestamp() * 1000)},{canon(e)}\n" for t, e in curve).encode()).hexdigest()
        entry: Dict[str, Any] = {
            "fills": fills, "orders": orders, "final_equity": canon(curve[-1][1]), "equity_points": len(curve),
            "equity_curve_sha256": digest, "status": run._native.status(run._id(name)),
        }
        try:
            metrics = run.results(agent=name).metrics.to_dict()
        except vt.InvalidState:
            pass
        else:
            entry["results"] = {k: (canon(v) if isinstance(v, Decimal) else v) for k, v in metrics.items()}
        agents[name] = entry
    return {"sim_time": rfc3339(run.sim_time), "done": run.done, "agents": agents}


@pytest.mark.parametrize("path", VECTORS, ids=[p.stem for p in VECTORS])
def test_golden_vector(path: Path) -> None:
    vector = json.loads(path.read_text())
    sim = vt.Simulator(scenario_of(vector["scenario"]), **vector.get("options", {}))
    run = sim.tournament([(a["name"], vt.RiskProfile(**a.get("risk", {}))) for a in vector["agents"]])
    for i, action in enumerate(vector["actions"]):
        code, run = apply(run, action)
        assert code == action.get("expect_error"), f"action {i}: {action}"
    assert observed(run) == vector["expected"]


def test_there_are_vectors() -> None:
    assert len(VECTORS) >= 11
