"""Every error class of the client, raised by the real local server (or, for what the server never
does by itself, a 5xx, a dropped connection and a timeout, by the test's fault proxy): one hierarchy
with the engine's, each error with status, the server's stable code, detail, request id, body and
headers, whatever the family's error body looks like."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path
from typing import Iterator

import pytest

import vectrade as vt
from fault_proxy import FaultProxy, SilentServer, closed_port_url
from local_server import LocalServer, serve


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    yield from serve(tmp_path_factory.mktemp("errors") / "vectrade.db")


@pytest.fixture()
def client(server: LocalServer) -> Iterator[vt.Client]:
    with vt.Client(server.base_url, api_key=server.api_key, bot_key=server.bot_key, max_retries=0) as c:
        yield c


def _check(err: vt.VecTradeError, status: int, code: str) -> None:
    assert isinstance(err, vt.APIError)
    assert err.status == status and err.code == code, (err.status, err.code, err.body)
    assert err.detail and err.detail in str(err)
    assert err.request_id and err.request_id == err.headers["x-request-id"]
    assert json.loads(err.body)  # the raw body as the server sent it


def test_401_authentication_error_in_every_family(server: LocalServer) -> None:
    bad = vt.Client(server.base_url, api_key="ak_live_nope", bot_key="tvt_nope")
    cases = [
        lambda: bad.benchmark.billing_account(),  # RFC 9457 problem
        lambda: bad.bot.account(),  # {"detail", "code"}
        lambda: bad.agents.list(),  # {"error": {code, message, details}}
        lambda: bad.auth.login("ak_live_nope", "sk_live_nope"),
    ]
    for call in cases:
        with pytest.raises(vt.AuthenticationError) as e:
            call()
        _check(e.value, 401, "unauthorized")
    with pytest.raises(vt.PermissionDenied) as j:  # the journal answers an unknown key with 403
        bad.journal.list_trades("someone-elses-bot")
    _check(j.value, 403, "forbidden")
    assert json.loads(j.value.body)["message"] == j.value.detail  # the journal's 403 body
    bad.close()


def test_403_permission_denied(server: LocalServer, client: vt.Client) -> None:
    run = client.benchmark.start_run("tech-2024-q2")
    other = client.auth.register("intruder")
    with vt.Client(server.base_url, api_key=other["api_key"], max_retries=0) as intruder:
        with pytest.raises(vt.PermissionDenied) as e:
            intruder.benchmark.get_run(run.id)
    _check(e.value, 403, "forbidden")


def test_404_is_the_engines_not_found_too(client: vt.Client) -> None:
    with pytest.raises(vt.NotFound) as local:
        vt.scenarios.get("atlantis-2099")  # the engine, no HTTP
    assert local.value.code == "unknown_scenario" and local.value.status is None and local.value.request_id is None
    with pytest.raises(vt.NotFound) as remote:
        client.benchmark.get_scenario("atlantis-2099")
    _check(remote.value, 404, "unknown_scenario")
    with pytest.raises(vt.NotFound) as order:
        client.bot.get_order("00000000-0000-0000-0000-000000000000")
    _check(order.value, 404, "order_not_found")
    with pytest.raises(vt.NotFound) as journal:
        client.journal.get_trade("no-such-bot", "x")
    _check(journal.value, 404, "bot_not_found")
    assert (
        json.loads(journal.value.body)["code"] == "NOT_FOUND"
    )  # the journal's status name; the stable code is error_code


def test_409_idempotency_conflict(client: vt.Client) -> None:
    run = client.benchmark.start_run("tech-2024-q2")
    first = run.trade(symbol="AAPL", side="buy", quantity=1, idempotency_key="key-1")
    assert run.trade(symbol="AAPL", side="buy", quantity=1, idempotency_key="key-1") == first  # the same request again
    with pytest.raises(vt.IdempotencyConflict) as e:
        run.trade(symbol="AAPL", side="buy", quantity=2, idempotency_key="key-1")
    _check(e.value, 409, "idempotency_conflict")
    assert isinstance(e.value, vt.Conflict)


def test_400_and_422_invalid_input_and_the_engines_refusals(client: vt.Client) -> None:
    run = client.benchmark.start_run("tech-2024-q2")
    with pytest.raises(vt.InvalidInput) as bad_quantity:
        run.trade(symbol="AAPL", side="buy", quantity="-1")
    _check(bad_quantity.value, 400, "invalid_quantity")
    with pytest.raises(vt.InvalidInput) as bad_side:
        client.bot.place_order(symbol="AAPL", side="sideways", quantity=1)
    _check(bad_side.value, 422, "invalid_enum_value")
    with pytest.raises(vt.InvalidInput) as journal:
        client.journal.create_trade("bot-x", [])
    _check(journal.value, 400, "invalid_request")
    # a refusal of the engine raises the engine's class, as it would locally
    with pytest.raises(vt.OrderRejected) as rejected:
        run.trade(symbol="AAPL", side="buy", quantity=10_000_000)
    _check(rejected.value, 400, "insufficient_buying_power")
    with pytest.raises(vt.InvalidState) as early:
        run.results()
    _check(early.value, 400, "run_not_finished")
    while not run.step(500).done:
        pass
    with pytest.raises(vt.RunFinished) as finished:
        run.step()
    _check(finished.value, 400, "run_finished")


def test_402_quota_exceeded_with_checkout_url_and_429_rate_limited_with_retry_after(client: vt.Client) -> None:
    with vt.Client(client.base_url, api_key=client.auth.register()["api_key"], max_retries=0) as fresh:
        for _ in range(25):
            fresh.benchmark.create_run("crash-and-rebound")
        with pytest.raises(vt.QuotaExceeded) as quota:
            fresh.benchmark.create_run("crash-and-rebound")
    _check(quota.value, 402, "quota_exceeded")
    assert quota.value.checkout_url and quota.value.checkout_url.endswith("/api/v1/billing/local")

    with pytest.raises(vt.RateLimited) as limited:
        for _ in range(25):
            client.bot.place_order(symbol="AAPL", side="buy", quantity=1)
    _check(limited.value, 429, "order_rate_limited")
    assert isinstance(limited.value, vt.client.RateLimitedError)
    assert limited.value.retry_after is not None and 0 < limited.value.retry_after <= 60
    # a client retries after a Retry-After within its cap; past the cap it raises at once, unretried
    with vt.Client(client.base_url, bot_key=server_bot_key(client), max_retries=2, max_retry_after=1) as capped:
        with pytest.raises(vt.RateLimited):
            capped.bot.place_order(symbol="AAPL", side="buy", quantity=1)
        assert capped.last_response is not None and capped.last_response.attempts == 1


def server_bot_key(client: vt.Client) -> str:
    key = client._state.bot_key
    assert key
    return key


def test_5xx_server_error_connection_error_and_timeout(server: LocalServer) -> None:
    proxy = FaultProxy(server.base_url)
    try:
        proxy.fail("GET", "/api/health", ("status", 503))
        with pytest.raises(vt.ServerError) as e:
            vt.Client(proxy.url, max_retries=0).meta.health()
        assert e.value.status == 503 and e.value.code == "injected_503" and isinstance(e.value, vt.VecTradeError)
    finally:
        proxy.close()
    with pytest.raises(vt.ConnectionError) as refused:
        vt.Client(closed_port_url(), max_retries=0).meta.health()
    assert refused.value.status is None and refused.value.code == "connection_error"
    assert isinstance(refused.value, vt.VecTradeError) and not isinstance(refused.value, ConnectionRefusedError)
    silent = SilentServer()
    try:
        with pytest.raises(vt.Timeout) as slow:
            vt.Client(silent.url, timeout=0.3, max_retries=0).meta.health()
        assert slow.value.code == "timeout" and isinstance(slow.value, vt.VecTradeError)

        async def call() -> None:
            async with vt.AsyncClient(silent.url, timeout=0.3, max_retries=0) as c:
                await c.meta.health()

        with pytest.raises(vt.Timeout):
            asyncio.run(call())
    finally:
        silent.close()


def test_async_client_raises_the_same_classes(server: LocalServer) -> None:
    async def main() -> None:
        async with vt.AsyncClient(server.base_url, api_key="ak_live_nope", max_retries=0) as bad:
            with pytest.raises(vt.AuthenticationError):
                await bad.benchmark.billing_account()
            with pytest.raises(vt.NotFound) as e:
                await bad.benchmark.get_scenario("atlantis-2099")
            _check(e.value, 404, "unknown_scenario")

    asyncio.run(main())


def test_the_error_table_of_the_readme_matches_the_classes() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for name in (
        "AuthenticationError",
        "PermissionDenied",
        "NotFound",
        "IdempotencyConflict",
        "InvalidInput",
        "QuotaExceeded",
        "RateLimited",
        "ServerError",
        "ConnectionError",
        "Timeout",
    ):
        assert f"`vt.{name}`" in readme, name
        assert issubclass(getattr(vt, name), vt.VecTradeError)


def test_a_refused_jwt_is_replaced_by_logging_in_again_once(server: LocalServer) -> None:
    with vt.Client(server.base_url) as c:
        c.auth.login(server.api_key, server.api_secret)
        assert isinstance(c.agents.list()["agents"], list)
        c.set_credentials(token="eyJhbGciOiJIUzI1NiJ9.expired.token")  # as a JWT past its expiry
        listed = c.agents.list()  # 401, a new login, the same request again
        assert isinstance(listed["agents"], list) and c.token != "eyJhbGciOiJIUzI1NiJ9.expired.token"
    # A client that was handed a token, without the secret to renew it, raises the 401.
    with vt.Client(server.base_url, token="eyJhbGciOiJIUzI1NiJ9.expired.token") as bare:
        with pytest.raises(vt.AuthenticationError) as err:
            bare.agents.list()
        _check(err.value, 401, err.value.code)


def test_the_async_client_logs_in_again_too(server: LocalServer) -> None:
    async def go() -> None:
        async with vt.AsyncClient(server.base_url) as c:
            await c.auth.login(server.api_key, server.api_secret)
            c.set_credentials(token="eyJhbGciOiJIUzI1NiJ9.expired.token")
            assert isinstance((await c.agents.list())["agents"], list)

    asyncio.run(go())


def test_an_agent_id_view_trades_as_that_agent_with_the_accounts_jwt(server: LocalServer) -> None:
    with vt.Client(server.base_url) as c:
        c.auth.login(server.api_key, server.api_secret)
        agent = c.agents.create("jwt-agent", starting_balance=Decimal("2500"))
        as_agent = c.with_options(agent_id=agent["agent_id"])
        # Bot routes: the agent's own portfolio, not the account's.
        assert as_agent.bot.portfolio()["balance"] == Decimal("2500")
        # Benchmark routes: the run is the agent's (another agent cannot read it).
        run = as_agent.benchmark.start_run("tech-2024-q2", bot_name="as-agent")
        assert as_agent.benchmark.get_run(run.id)["run"]["id"] == run.id
        other = c.agents.create("jwt-agent-2")
        with pytest.raises(vt.PermissionDenied):
            c.with_options(agent_id=other["agent_id"]).benchmark.get_run(run.id)
        with pytest.raises(vt.PermissionDenied) as unknown:
            c.with_options(agent_id="no-such-agent").bot.portfolio()
        assert "no-such-agent" in unknown.value.detail
    # Without a login there is no JWT to send: the server's 401 says what to do.
    with vt.Client(server.base_url, api_key=None) as bare:
        with pytest.raises(vt.AuthenticationError):
            bare.with_options(agent_id=agent["agent_id"]).bot.portfolio()
