"""Every operation of server/openapi.json through `vt.Client` and `vt.AsyncClient`, against the real
local server started as a user would: what each answers, money as `Decimal`, pagination, the
credentials of each family, and every JSON answer checked against the document's schema."""

from __future__ import annotations

import asyncio
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, Iterator, List, Set, Tuple

import httpx
import pytest

import vectrade as vt
from vectrade.client import OPERATIONS
from local_server import LocalServer, serve

DOCUMENT = json.loads((Path(__file__).resolve().parents[2] / "server" / "openapi.json").read_text())


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[LocalServer]:
    yield from serve(tmp_path / "vectrade.db")


def _templates() -> List[Tuple[str, "re.Pattern[str]", str]]:
    rows = []
    for name, op in OPERATIONS.items():
        pattern = re.compile(
            "^" + re.sub(r"\{[^}]+\}", "[^/]+", re.escape(op.path).replace(r"\{", "{").replace(r"\}", "}")) + "$"
        )
        rows.append((op.method, pattern, name))
    # a literal path (`/agents/overview`) before a template that also matches it (`/agents/{agent_id}`)
    return sorted(rows, key=lambda r: r[1].pattern.count("[^/]+"))


TEMPLATES = _templates()


def operation_of(method: str, path: str) -> str:
    for m, pattern, name in TEMPLATES:
        if m == method and pattern.match(path):
            return name
    raise AssertionError(f"{method} {path} is no operation of the table")


class Recorder:
    """Every exchange the client makes (through httpx's event hooks): which operation, status, body."""

    def __init__(self) -> None:
        self.seen: List[Tuple[str, int, str]] = []

    def hook(self, response: httpx.Response) -> None:
        response.read()
        self.seen.append(
            (operation_of(response.request.method, response.request.url.path), response.status_code, response.text)
        )

    async def ahook(self, response: httpx.Response) -> None:
        await response.aread()
        self.seen.append(
            (operation_of(response.request.method, response.request.url.path), response.status_code, response.text)
        )

    def names(self) -> Set[str]:
        return {name for name, _, _ in self.seen}


def _schema_errors(value: Any, schema: Dict[str, Any], where: str) -> List[str]:
    """Where `value` breaks `schema` (types, required fields, undocumented fields) in the document."""
    if "$ref" in schema:
        return _schema_errors(value, DOCUMENT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]], where)
    if "oneOf" in schema:
        options = [_schema_errors(value, s, where) for s in schema["oneOf"]]
        return [] if any(not o for o in options) else options[0]
    if "allOf" in schema:
        merged: Dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        for part in schema["allOf"]:
            merged["properties"].update(part.get("properties", {}))
            merged["required"] += part.get("required", [])
        # the parts describe the same object under two names: the union of their fields is allowed
        merged["additionalProperties"] = True
        return _schema_errors(value, merged, where)
    types = schema.get("type")
    allowed = [types] if isinstance(types, str) else list(types or [])
    if value is None:
        return [] if not allowed or "null" in allowed else [f"{where}: null"]
    kind = {bool: "boolean", int: "integer", Decimal: "number", str: "string", list: "array"}.get(type(value), "object")
    if allowed and kind not in allowed and not (kind == "integer" and "number" in allowed):
        return [f"{where}: {kind}, the document says {allowed}"]
    errors: List[str] = []
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value[:3]):
            errors += _schema_errors(item, schema["items"], f"{where}[{i}]")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        errors += [f"{where}.{k}: missing" for k in schema.get("required", []) if k not in value]
        extra = schema.get("additionalProperties")
        for k, v in value.items():
            if k in props:
                errors += _schema_errors(v, props[k], f"{where}.{k}")
            elif isinstance(extra, dict):
                errors += _schema_errors(v, extra, f"{where}.{k}")
            elif props and extra is False:
                errors.append(f"{where}.{k}: not in the document")
    return errors


def check_against_document(recorder: Recorder) -> None:
    errors: List[str] = []
    for name, status, text in recorder.seen:
        op = OPERATIONS[name]
        response = DOCUMENT["paths"][op.path][op.method.lower()]["responses"].get(str(status))
        assert response is not None, f"{name} answered {status}, which the document does not list"
        content = response.get("content", {})
        for ctype in ("application/json", "application/problem+json"):
            if ctype in content and content[ctype].get("schema") and text:
                errors += _schema_errors(
                    json.loads(text, parse_float=Decimal), content[ctype]["schema"], f"{name} {status}"
                )
    assert not errors, "\n".join(errors)


TX = {
    "transactionGroup": "entry",
    "symbol": "AAPL",
    "assetType": "stock",
    "side": "buy",
    "type": "market",
    "quantity": Decimal("10"),  # a JSON number on the wire, as the document's schema says
    "transactionDate": "2024-04-01T14:30:00",
    "filledPrice": Decimal("170.5"),  # a decimal string on the wire
    "filledQuantity": "10",
    "status": "filled",
}
EXIT = dict(
    TX,
    transactionGroup="exit",
    side="sell",
    exitType="take_profit",
    transactionDate="2024-04-02T14:30:00",
    filledPrice="175.25",
)


def test_every_operation_through_the_sync_client(server: LocalServer) -> None:
    rec = Recorder()
    http = httpx.Client(event_hooks={"response": [rec.hook]})
    c = vt.Client(
        server.base_url,
        api_key=server.api_key,
        bot_key=server.bot_key,
        operator_token=server.operator_token,
        http_client=http,
    )

    # meta
    assert c.meta.health()["status"] == "ok" and c.meta.health_v1().status == "ok"
    assert len([m for ops in c.meta.openapi()["paths"].values() for m in ops]) == 61
    assert (
        "<html" in c.meta.docs().lower()
        and "VecTrade" in c.meta.llms_txt()
        and "agent" in c.meta.agent_skills().lower()
    )
    assert c.meta.advance_market(2)["advanced"] == 2

    # accounts: register, and login keeps the JWT for the management routes
    other = c.auth.register("second")
    assert other["api_key"].startswith("ak_") and other["api_secret"].startswith("sk_")
    assert c.token is None
    token = c.auth.login(server.api_key, server.api_secret)
    assert token["token_type"] == "Bearer" and c.token == token["token"]

    # bot keys (JWT): the Free plan has one, so a second is refused until the first is revoked
    keys = c.bot.list_keys()
    assert [k["revoked"] for k in keys] == [False]
    with pytest.raises(vt.PermissionDenied) as denied:
        c.bot.create_key("second")
    assert denied.value.status == 403 and denied.value.code == "bot_key_limit"
    assert c.bot.revoke_key(keys[0]["id"]) is None
    with pytest.raises(vt.AuthenticationError):
        c.bot.account()  # the revoked key
    created = c.bot.create_key("client")
    c.set_credentials(bot_key=created["key"])

    # bot trading: account, orders, portfolio, KPIs; money as Decimal
    account = c.bot.account()
    assert account["balance"] == Decimal("100000") and isinstance(account["balance"], Decimal)
    limit = c.bot.place_order(vt.Order.limit("AAPL", "buy", 10, "150"))
    assert limit["status"] == "OPEN" and limit["limit_price"] == Decimal("150") and limit["client_order_id"]
    market = c.bot.place_order(symbol="AAPL", side="BUY", quantity=Decimal("5"))
    server.advance(1)
    filled = c.bot.get_order(market["id"])
    assert (
        filled["status"] == "FILLED" and filled["filled_quantity"] == 5 and isinstance(filled["filled_price"], Decimal)
    )
    assert {o["id"] for o in c.bot.list_orders()} == {limit["id"], market["id"]}
    assert [o["id"] for o in c.bot.list_orders(status="FILLED", limit=10)] == [market["id"]]
    assert c.bot.cancel_order(limit["id"]) is None
    assert c.bot.get_order(limit["id"])["status"] == "CANCELLED"
    portfolio = c.bot.portfolio()
    assert [p["symbol"] for p in portfolio["positions"]] == ["AAPL"] and portfolio["positions"][0]["quantity"] == 5
    assert (
        portfolio["balance"] == account["balance"] - filled["filled_price"] * 5
        or portfolio["balance"] < account["balance"]
    )
    assert c.bot.kpi()["rank_total"] >= 1

    # benchmark: scenarios, a run driven to its end, results, publish, leaderboard, billing
    slugs = [s["slug"] for s in c.benchmark.list_scenarios()["scenarios"]]
    assert "tech-2024-q2" in slugs
    assert c.benchmark.get_scenario("tech-2024-q2")["scenario"]["slug"] == "tech-2024-q2"
    run = c.benchmark.start_run("tech-2024-q2", bot_name="sync-client")
    assert isinstance(run, vt.RemoteRun) and run.data["cash"] == Decimal(100000) and not run.done
    bars = run.market(["AAPL"], 2)["bars"]
    assert (
        list(bars) == ["AAPL"]
        and isinstance(bars["AAPL"][-1]["close"], Decimal)
        and isinstance(bars["AAPL"][-1]["volume"], Decimal)
    )
    queued = run.trade(vt.Order.market("AAPL", "buy", 10))["order"]
    assert queued["status"] == "OPEN" and queued["quantity"] == 10
    step = run.step()
    assert step.bars_advanced == 1 and [f["order_id"] for f in step.fills] == [queued["id"]]
    assert [t["order_id"] for t in run.trades()["trades"]] == [queued["id"]]
    assert run.get()["run"]["cash"] == step.cash
    assert c.benchmark.get_run(run.id)["positions"][0]["symbol"] == "AAPL"
    resting = run.trade(vt.Order.limit("AAPL", "buy", 1, "1"))["order"]
    assert [o["id"] for o in run.orders("open")["orders"]] == [resting["id"]]
    assert run.cancel(resting["id"])["order"]["status"] == "CANCELLED"
    assert [o["status"] for o in c.benchmark.list_orders(run.id)["orders"]] == ["FILLED", "CANCELLED"]
    assert c.benchmark.cancel_order(run.id, resting["id"])["order"]["status"] == "CANCELLED"  # idempotent
    with pytest.raises(vt.InvalidState) as not_working:
        c.benchmark.cancel_order(run.id, queued["id"])  # filled
    assert not_working.value.code == "order_not_cancellable"
    assert run.advance_until_next_session()["bars_advanced"] >= 1
    assert run.hold_until_end(3)["bars_advanced"] == 3
    with pytest.raises(vt.InvalidState) as still_open:
        run.hold_until_end(require_flat=True)
    assert still_open.value.code == "positions_open"
    assert run.liquidate_and_finish("done testing", max_bars=1)["fills"][0]["reasoning"] == "done testing"
    while not (step := run.step(200)).done:
        pass
    assert run.done
    results = run.results()["results"]
    assert results["trade_count"] == 2 and isinstance(results["final_equity"], Decimal)
    assert run.publish()["published"] is True
    assert c.benchmark.public_run(run.id)["run"]["bot_name"] == "sync-client"
    assert [
        r["run_id"] for r in c.benchmark.leaderboard("tech-2024-q2", sort_by="return_pct", limit=5)["leaderboard"]
    ] == [run.id]
    assert any(s["published_runs"] == 1 for s in c.benchmark.leaderboard_scenarios()["scenarios"])
    billing = c.benchmark.billing_account()
    assert billing["plan"] == "free" and billing["runs_used"] == 1
    with pytest.raises(vt.PermissionDenied):
        c.benchmark.set_handle("sync_handle")  # handles are for Pro accounts
    assert c.benchmark.checkout()["checkout_url"].endswith("/api/v1/billing/local")
    assert c.benchmark.portal()["portal_url"].endswith("/api/v1/billing/local")
    assert "no payments" in c.benchmark.billing_local()

    # agents (JWT): every route of seed 004, and the paging iterator
    first = c.agents.create("agent-1", starting_balance=Decimal("5000"), framework="pytest")
    assert first["starting_balance"] == Decimal("5000") and first["api_key"].startswith("ak_")
    aid = first["agent_id"]
    second = c.agents.clone(aid, "agent-2")
    page = c.agents.list(limit=1)
    assert page["total"] == 2 and len(page["agents"]) == 1
    assert [a["display_name"] for a in c.agents.iter(page_size=1)] == ["agent-1", "agent-2"]
    assert len(c.agents.overview()["agents"]) == 2
    assert c.agents.get(aid)["framework"] == "pytest"
    assert c.agents.update(aid, color="#112233")["color"] == "#112233"
    assert c.agents.api_key(aid)["api_key"] == first["api_key"]
    new_key = c.agents.regenerate_key(aid)["api_key"]
    assert new_key != first["api_key"]
    assert c.agents.reset(aid)["id"] == aid
    assert c.agents.risk_profile(aid)["max_open_orders"] == 50
    profile = {"max_position_size_pct": 10, "daily_loss_limit_pct": 5, "max_open_orders": 3}
    assert c.agents.set_risk_profile(aid, profile) == profile
    assert aid in c.agents.skill_md(aid)
    assert c.agents.archive(aid)["status"] == "archived"
    assert [a["id"] for a in c.agents.iter()] == [second["agent_id"]]
    assert c.agents.delete(second["agent_id"]) is None
    with pytest.raises(vt.NotFound):
        c.agents.get(second["agent_id"])

    # journal (account key as x-api-key)
    trade = c.journal.create_trade("sync-bot", [TX], notes="first")["trade"]
    assert trade["status"] == "open" and trade["transactions"][0]["filledPrice"] == Decimal("170.5")
    assert c.journal.get_trade("sync-bot", trade["id"])["trade"]["notes"] == "first"
    assert c.journal.update_trade("sync-bot", trade["id"], notes="second")["trade"]["notes"] == "second"
    closed = c.journal.add_transactions("sync-bot", trade["id"], [EXIT])
    assert closed["transactionsAdded"] == 1 and closed["trade"]["status"] == "closed"
    other_trade = c.journal.create_trade("sync-bot", [dict(TX, symbol="MSFT")])["trade"]
    listed = c.journal.list_trades("sync-bot", limit=1)
    assert listed["total"] == 2 and len(listed["trades"]) == 1
    assert {t["id"] for t in c.journal.iter_trades("sync-bot", page_size=1)} == {trade["id"], other_trade["id"]}
    assert [t["id"] for t in c.journal.iter_trades("sync-bot", symbol="MSFT")] == [other_trade["id"]]

    # the latest response's headers are reachable
    last = c.last_response
    assert last is not None and last.status == 200 and last.request_id == last.headers["x-request-id"]
    c.close()

    assert rec.names() == set(OPERATIONS), sorted(set(OPERATIONS) - rec.names())
    check_against_document(rec)


def test_every_operation_through_the_async_client(server: LocalServer) -> None:
    rec = Recorder()

    async def main() -> None:
        http = httpx.AsyncClient(event_hooks={"response": [rec.ahook]})
        async with vt.AsyncClient(
            server.base_url,
            api_key=server.api_key,
            bot_key=server.bot_key,
            operator_token=server.operator_token,
            http_client=http,
        ) as c:
            assert (await c.meta.health())["status"] == "ok" and (await c.meta.health_v1())["status"] == "ok"
            assert "paths" in await c.meta.openapi()
            assert "<html" in (await c.meta.docs()).lower()
            assert await c.meta.llms_txt() and await c.meta.agent_skills()
            assert (await c.meta.advance_market(1))["advanced"] == 1
            assert (await c.auth.register())["display_name"] == "local"
            await c.auth.login(server.api_key, server.api_secret)
            keys = await c.bot.list_keys()
            await c.bot.revoke_key(keys[0]["id"])
            c.set_credentials(bot_key=(await c.bot.create_key("async"))["key"])
            assert (await c.bot.account())["plan"] == "Free"
            order = await c.bot.place_order(vt.Order.market("MSFT", "buy", 3))
            server.advance(1)
            assert (await c.bot.get_order(order["id"]))["status"] == "FILLED"
            resting = await c.bot.place_order(vt.Order.limit("MSFT", "buy", 1, "1"))
            assert len(await c.bot.list_orders()) == 2
            await c.bot.cancel_order(resting["id"])
            assert (await c.bot.portfolio())["positions"][0]["quantity"] == 3
            assert "win_rate" in await c.bot.kpi()

            assert (await c.benchmark.list_scenarios())["scenarios"]
            assert (await c.benchmark.get_scenario("crash-and-rebound"))["scenario"]["slug"] == "crash-and-rebound"
            run = await c.benchmark.start_run("tech-2024-q2", bot_name="async-client")
            assert isinstance(run, vt.AsyncRemoteRun)
            assert "AAPL" in (await run.market())["bars"]
            await run.trade(symbol="NVDA", side="buy", quantity=2)
            step = await run.step()
            assert step.fills[0]["symbol"] == "NVDA"
            assert len((await run.trades())["trades"]) == 1
            resting = (await run.trade(symbol="NVDA", side="buy", quantity=1, order_type="LIMIT", limit_price=1))["order"]
            assert (await run.cancel(resting["id"]))["order"]["status"] == "CANCELLED"
            assert len((await c.benchmark.list_orders(run.id, "open"))["orders"]) == 0
            assert len((await run.orders())["orders"]) == 2
            assert (await run.get())["run"]["bot_name"] == "async-client"
            assert (await c.benchmark.get_run(run.id))["run"]["id"] == run.id
            assert (await run.advance_until_next_session(50))["done"] is False
            assert (await run.hold_until_end(2))["bars_advanced"] == 2
            closing = await run.liquidate_and_finish("end of the test")
            assert closing["done"] and run.done and closing["fills"][0]["side"] == "sell"
            assert (await run.results())["results"]["trade_count"] == 2
            assert (await run.publish())["published"]
            assert (await c.benchmark.public_run(run.id))["run"]["id"] == run.id
            assert (await c.benchmark.leaderboard())["leaderboard"]
            assert (await c.benchmark.leaderboard_scenarios())["scenarios"]
            assert (await c.benchmark.billing_account())["runs_used"] == 1
            with pytest.raises(vt.PermissionDenied):
                await c.benchmark.set_handle("async_handle")
            assert (await c.benchmark.checkout())["url"] and (await c.benchmark.portal())["url"]
            assert await c.benchmark.billing_local()

            agent = await c.agents.create("async-agent", strategy_tags=["momentum"])
            aid = agent["agent_id"]
            clone = await c.agents.clone(aid)
            assert (await c.agents.list(include_archived=True, limit=10, offset=0))["total"] == 2
            assert [a["id"] async for a in c.agents.iter(page_size=1)] == [aid, clone["agent_id"]]
            assert len((await c.agents.overview())["agents"]) == 2
            assert (await c.agents.get(aid))["strategy_tags"] == ["momentum"]
            assert (await c.agents.update(aid, display_name="renamed"))["display_name"] == "renamed"
            assert (await c.agents.api_key(aid))["api_key"] == agent["api_key"]
            assert (await c.agents.regenerate_key(aid))["api_key"] != agent["api_key"]
            assert (await c.agents.reset(aid))["status"] == "active"
            assert (await c.agents.risk_profile(aid))["daily_loss_limit_pct"] == 20
            assert (
                await c.agents.set_risk_profile(
                    aid, {"max_position_size_pct": 50, "daily_loss_limit_pct": 10, "max_open_orders": 5}
                )
            )["max_open_orders"] == 5
            assert "renamed" in await c.agents.skill_md(aid)
            assert (await c.agents.archive(clone["agent_id"]))["status"] == "archived"
            await c.agents.delete(clone["agent_id"])

            trade = (await c.journal.create_trade("async-bot", [TX]))["trade"]
            assert (await c.journal.get_trade("async-bot", trade["id"]))["trade"]["symbol"] == "AAPL"
            await c.journal.update_trade("async-bot", trade["id"], metadata={"why": "test"})
            assert (await c.journal.add_transactions("async-bot", trade["id"], [EXIT]))["trade"]["status"] == "closed"
            assert (await c.journal.list_trades("async-bot", status="closed"))["total"] == 1
            assert [t["id"] async for t in c.journal.iter_trades("async-bot")] == [trade["id"]]

    asyncio.run(main())
    assert rec.names() == set(OPERATIONS), sorted(set(OPERATIONS) - rec.names())
    check_against_document(rec)


def test_configuration_comes_from_the_environment(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VECTRADE_BASE_URL", server.base_url + "/")
    monkeypatch.setenv("VECTRADE_API_KEY", server.api_key)
    monkeypatch.setenv("VECTRADE_BOT_KEY", server.bot_key)
    with vt.Client() as c:
        assert c.base_url == server.base_url
        assert c.benchmark.billing_account()["runs_used"] == 0  # X-API-Key from VECTRADE_API_KEY
        assert c.bot.account()["plan"] == "Free"  # X-Bot-Key from VECTRADE_BOT_KEY
    monkeypatch.delenv("VECTRADE_BASE_URL")
    assert vt.Client().base_url == vt.client.DEFAULT_BASE_URL
    with pytest.raises(ValueError, match="must start with http"):
        vt.Client("127.0.0.1:8080")
    # an agent's key works on the bot routes as X-API-Key when no bot key is given
    monkeypatch.delenv("VECTRADE_BOT_KEY")
    with vt.Client(server.base_url, api_key=server.api_key) as c:
        c.auth.login(server.api_key, server.api_secret)
        agent = c.agents.create("env-agent")
    with vt.Client(server.base_url, api_key=agent["api_key"]) as as_agent:
        assert as_agent.bot.account()["balance"] == Decimal("10000")
