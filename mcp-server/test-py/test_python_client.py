"""The MCP server driven by the official Python MCP SDK's client (PyPI `mcp`), over stdio and Streamable HTTP,
offline and on the real local server: the 25 tools and their schemas, the smoke test, a whole scenario to
done with submit_decision, and the error paths (unknown run, refused order, step_count 2, missing key)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from mcp import Client, StdioServerParameters

PKG = Path(__file__).resolve().parent.parent
CLI = PKG / "dist" / "src" / "cli.js"
NODE = shutil.which("node") or "node"
TOOLS = {
    "place_order", "cancel_order", "get_orders", "get_portfolio", "get_trading_kpi", "get_bot_account",
    "list_scenarios", "get_scenario", "auth_status", "connect_bottrade", "start_run", "get_run", "get_results",
    "get_trades", "publish_run", "scan_market", "inspect_symbols", "get_market", "submit_decision", "submit_turn",
    "step_run", "advance_until_next_session", "hold_until_end", "liquidate_and_finish", "run_sandbox_smoke_test",
}


def server_binary() -> str:
    candidates = [os.environ.get("VECTRADE_SERVER_BIN", "")]
    if os.environ.get("CARGO_TARGET_DIR"):
        candidates.append(str(PKG.parent / os.environ["CARGO_TARGET_DIR"] / "debug" / "vectrade-server"))
    candidates.append(str(PKG.parent / "target" / "debug" / "vectrade-server"))
    for c in candidates:
        if c and Path(c).exists():
            return c
    raise RuntimeError(f"no vectrade-server binary (tried {candidates})")


def wait_line(proc: subprocess.Popen[str], marker: str) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + 30
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("process exited:\n" + "".join(lines))
        lines.append(line.rstrip("\n"))
        if line.startswith(marker):
            return lines
    raise RuntimeError("did not start:\n" + "\n".join(lines))


@pytest.fixture(scope="module")
def local_server() -> Iterator[dict[str, str]]:
    tmp = tempfile.mkdtemp(prefix="vectrade-mcp-py-")
    proc = subprocess.Popen(
        [server_binary(), "--db", f"{tmp}/vectrade.db", "--port", "0", "--bar-interval", "manual"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        lines = wait_line(proc, "VecTrade server listening on ")

        def printed(label: str) -> str:
            return next(line.split(label)[1].split()[0] for line in lines if label in line)

        yield {"base_url": lines[-1].split(" ")[4], "api_key": printed("API key:"), "bot_key": printed("bot key:")}
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def env_for(backend: str, server: dict[str, str] | None = None, keys: bool = True) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "")}
    if backend == "offline":
        env["VECTRADE_BACKEND"] = "offline"
    else:
        assert server is not None
        env["VECTRADE_BASE_URL"] = server["base_url"]
        if keys:
            env["VECTRADE_API_KEY"] = server["api_key"]
            env["VECTRADE_BOT_KEY"] = server["bot_key"]
    return env


class McpProcess:
    """The package's CLI over stdio (the client starts it) or over HTTP (started here)."""

    def __init__(self, wire: str, env: dict[str, str]) -> None:
        self.wire = wire
        self.env = env
        self.proc: subprocess.Popen[str] | None = None

    def target(self) -> Any:
        if self.wire == "stdio":
            return StdioServerParameters(command=NODE, args=[str(CLI)], env=self.env)
        self.proc = subprocess.Popen(
            [NODE, str(CLI), "--http", "--port", "0"], env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        line = wait_line(self.proc, "VecTrade MCP server")[-1]
        return line.split(" listening on ")[1].strip()

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait()


async def structured(client: Client, name: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    r = await client.call_tool(name, args or {})
    assert not r.is_error, f"{name}: {r.content}"
    assert r.content and r.content[0].type == "text"
    assert r.structured_content is not None
    return r.structured_content


async def refused(client: Client, name: str, args: dict[str, Any] | None = None) -> tuple[str | None, str]:
    r = await client.call_tool(name, args or {})
    assert r.is_error, f"{name} succeeded: {r.structured_content}"
    text = "\n".join(getattr(c, "text", "") for c in r.content)
    code = (r.structured_content or {}).get("error", {}).get("code")
    return code, text


async def session_checks(client: Client, backend: str) -> None:
    tools = (await client.list_tools()).tools
    assert {t.name for t in tools} == TOOLS
    for t in tools:
        assert t.input_schema["type"] == "object", t.name
        # a valid JSON Schema (draft 2020-12 unless it says otherwise), by the jsonschema package mcp uses
        jsonschema.validators.validator_for(t.input_schema, default=jsonschema.Draft202012Validator).check_schema(t.input_schema)
    decision = next(t for t in tools if t.name == "submit_decision").input_schema
    step_count = decision["properties"]["step_count"]
    assert step_count.get("enum", [a.get("const") for a in step_count.get("anyOf", [])]) == [0, 1]

    smoke = await structured(client, "run_sandbox_smoke_test")
    assert smoke["ok"] is True
    assert smoke["backend"] == ("offline" if backend == "offline" else "http")

    run = (await structured(client, "start_run", {"scenario_slug": "sideways-etfs", "bot_name": "python-mcp"}))["run"]
    first = await structured(client, "submit_decision", {
        "run_id": run["id"], "action": "trade", "rationale": "buy gold", "step_count": 1,
        "orders": [{"symbol": "GLD", "side": "buy", "quantity": 4}],
    })
    assert [f["symbol"] for f in first["step"]["fills"]] == ["GLD"]
    done, steps = first["done"], 1
    while not done:
        done = (await structured(client, "submit_decision", {"run_id": run["id"], "action": "hold", "rationale": "wait"}))["done"]
        steps += 1
    bars = (await structured(client, "get_scenario", {"id_or_slug": "sideways-etfs"}))["scenario"]["bar_count"]
    assert steps == bars - 1
    results = (await structured(client, "get_results", {"run_id": run["id"]}))["results"]
    assert results["trade_count"] == 1 and float(results["final_equity"]) > 0

    code, text = await refused(client, "get_run", {"run_id": "no-such-run"})
    assert code == "run_not_found" and text.startswith("run_not_found: ")
    live = (await structured(client, "start_run", {"scenario_slug": "tech-2024-q2"}))["run"]
    code, text = await refused(client, "submit_decision", {
        "run_id": live["id"], "action": "trade", "rationale": "all in", "orders": [{"symbol": "AAPL", "side": "buy", "quantity": 1000000}],
    })
    assert code == "insufficient_buying_power", text
    _, text = await refused(client, "submit_decision", {"run_id": live["id"], "action": "hold", "rationale": "skip", "step_count": 2})
    assert re.search("step_count", text)


@pytest.mark.parametrize("wire", ["stdio", "http"])
@pytest.mark.parametrize("backend", ["offline", "server"])
def test_official_python_client(wire: str, backend: str, local_server: dict[str, str]) -> None:
    mcp = McpProcess(wire, env_for(backend, local_server))

    async def main() -> None:
        async with Client(mcp.target()) as client:
            await session_checks(client, backend)

    try:
        asyncio.run(main())
    finally:
        mcp.stop()


@pytest.mark.parametrize("wire", ["stdio", "http"])
def test_missing_key_is_a_tool_error(wire: str, local_server: dict[str, str]) -> None:
    mcp = McpProcess(wire, env_for("server", local_server, keys=False))

    async def main() -> None:
        async with Client(mcp.target()) as client:
            assert (await refused(client, "start_run", {"scenario_slug": "tech-2024-q2"}))[0] == "missing_api_key"
            assert (await refused(client, "get_bot_account"))[0] == "missing_bot_key"
            assert (await structured(client, "auth_status"))["status"] == "auth_required"

    try:
        asyncio.run(main())
    finally:
        mcp.stop()


async def scripted_loop(client: Client) -> dict[str, Any]:
    """Buys the bar's best mover when flat, sells after ten bars or a drop: deterministic."""
    run = (await structured(client, "start_run", {"scenario_slug": "tech-2024-q2", "bot_name": "python-loop"}))["run"]
    fills: list[list[str]] = []
    held_for = 0
    while True:
        scan = await structured(client, "scan_market", {"run_id": run["id"]})
        if scan["done"]:
            break
        rows = [r for r in scan["rows"] if r[2] is not None]
        args: dict[str, Any] = {"action": "hold", "rationale": "wait"}
        if scan["positions"]:
            symbol, quantity = scan["positions"][0][0], scan["positions"][0][1]
            held_for += 1
            change = next((r[2] for r in rows if r[0] == symbol), 0) or 0
            if change < -0.3 or held_for >= 10:
                args = {"action": "trade", "rationale": "exit", "orders": [{"symbol": symbol, "side": "sell", "quantity": quantity}]}
        elif rows:
            best = sorted(rows, key=lambda r: (-r[2], r[0]))[0]
            held_for = 0
            if best[2] > 0.3:
                args = {"action": "trade", "rationale": "momentum", "orders": [{"symbol": best[0], "side": "buy", "quantity": 25}]}
        out = await structured(client, "submit_decision", {"run_id": run["id"], "step_count": 1, **args})
        fills += [[f["symbol"], f["side"], f["quantity"], f["fill_price"]] for f in out["step"]["fills"]]
        if out["done"]:
            break
    results = (await structured(client, "get_results", {"run_id": run["id"]}))["results"]
    trades = (await structured(client, "get_trades", {"run_id": run["id"]}))["trades"]
    return {"fills": fills, "results": results, "trades": trades}


def test_same_loop_offline_and_on_the_local_server(local_server: dict[str, str]) -> None:
    outcomes = []
    for wire, backend in (("stdio", "offline"), ("http", "server")):
        mcp = McpProcess(wire, env_for(backend, local_server))

        async def main() -> dict[str, Any]:
            async with Client(mcp.target()) as client:
                return await scripted_loop(client)

        try:
            outcomes.append(asyncio.run(main()))
        finally:
            mcp.stop()
    offline, server = outcomes
    assert len(offline["fills"]) >= 4
    assert offline == server
