"""Retries against the real local server behind a fault-injecting proxy: a connection dropped after
the server took the order, a 503, a 429 with `Retry-After`, an answer slower than the read timeout.
Only requests safe to repeat are retried, and an order placed through a flaky connection exists
exactly once on the server."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Iterator

import pytest

import vectrade as vt
from fault_proxy import FaultProxy
from local_server import LocalServer, serve

ORDERS = "/api/trade/v1/bot/orders"


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[LocalServer]:
    yield from serve(tmp_path / "vectrade.db")


@pytest.fixture()
def proxy(server: LocalServer) -> Iterator[FaultProxy]:
    p = FaultProxy(server.base_url)
    yield p
    p.close()


def test_an_order_through_a_flaky_connection_exists_once(server: LocalServer, proxy: FaultProxy) -> None:
    # the first attempt reaches the server and the answer is lost; the second meets a 503; the third goes through
    proxy.fail("POST", ORDERS, ("drop",), ("status", 503))
    with vt.Client(proxy.url, bot_key=server.bot_key) as flaky:
        order = flaky.bot.place_order(vt.Order.market("AAPL", "buy", 7))
        assert flaky.last_response is not None and flaky.last_response.attempts == 3
    assert proxy.count("POST", ORDERS) == 3
    with vt.Client(server.base_url, bot_key=server.bot_key) as direct:
        orders = direct.bot.list_orders()
    assert [(o["id"], o["client_order_id"]) for o in orders] == [(order["id"], order["client_order_id"])]
    server.advance(1)
    with vt.Client(server.base_url, bot_key=server.bot_key) as direct:
        assert direct.bot.portfolio()["positions"][0]["quantity"] == 7


def test_benchmark_trades_and_steps_are_retried_with_the_same_key(server: LocalServer, proxy: FaultProxy) -> None:
    with vt.Client(proxy.url, api_key=server.api_key) as c:
        run = c.benchmark.start_run("tech-2024-q2")
        before = run.get()["run"]["sim_time"]
        proxy.fail("POST", f"/api/v1/runs/{run.id}/trades", ("drop",), ("drop",))
        run.trade(symbol="AAPL", side="buy", quantity=3)
        proxy.fail("POST", f"/api/v1/runs/{run.id}/step", ("drop",))
        step = run.step()
        assert step.bars_advanced == 1 and len(step.fills) == 1 and step.fills[0]["quantity"] == 3
        detail = run.get()
    assert proxy.count("POST", f"/api/v1/runs/{run.id}/trades") == 3
    assert proxy.count("POST", f"/api/v1/runs/{run.id}/step") == 2
    # one order, one bar: the clock moved once although the server took the step twice
    with vt.Client(server.base_url, api_key=server.api_key) as direct:
        assert len(direct.benchmark.list_trades(run.id)["trades"]) == 1
        assert direct.benchmark.get_run(run.id)["run"]["sim_time"] == detail["run"]["sim_time"] != before


def test_run_creation_and_unkeyed_posts_are_not_retried(server: LocalServer, proxy: FaultProxy) -> None:
    with vt.Client(proxy.url, api_key=server.api_key) as c:
        proxy.fail("POST", "/api/v1/runs", ("drop",))
        with pytest.raises(vt.ConnectionError):
            c.benchmark.create_run("tech-2024-q2")
        assert proxy.count("POST", "/api/v1/runs") == 1
        # the server did start that run: a blind retry would have started (and counted) a second one
        assert c.benchmark.billing_account()["runs_used"] == 1
        proxy.fail("POST", "/api/v1/auth/register", ("status", 503))
        with pytest.raises(vt.ServerError):
            c.auth.register()
        assert proxy.count("POST", "/api/v1/auth/register") == 1


def test_gets_are_retried_on_503_and_timeouts_with_backoff(server: LocalServer, proxy: FaultProxy) -> None:
    proxy.fail("GET", "/api/v1/scenarios", ("status", 503), ("status", 502))
    with vt.Client(proxy.url) as c:
        started = time.monotonic()
        assert c.benchmark.list_scenarios()["scenarios"]
        waited = time.monotonic() - started
        assert c.last_response is not None and c.last_response.attempts == 3
        assert 0.3 < waited < 5  # two backoffs: ~0.5 s then ~1 s, each less up to a quarter of jitter
        # a read slower than the timeout, then a fast one
        proxy.fail("GET", "/api/health", ("delay", 1.0))
        assert c.with_options(timeout=0.3).meta.health()["status"] == "ok"
        assert c.last_response is not None and c.last_response.attempts == 2
        # retries are configurable per call: none here, so the 503 is raised
        proxy.fail("GET", "/api/health", ("status", 503))
        with pytest.raises(vt.ServerError):
            c.with_options(max_retries=0).meta.health()
        # and per client: the third 503 is raised by a client allowed two retries
        proxy.fail("GET", "/api/health", ("status", 503), ("status", 503), ("status", 503))
        with pytest.raises(vt.ServerError):
            c.meta.health()


def test_retry_after_is_honoured_up_to_the_cap(server: LocalServer, proxy: FaultProxy) -> None:
    proxy.fail("GET", "/api/v1/leaderboard", ("status", 429, 1))
    with vt.Client(proxy.url) as c:
        started = time.monotonic()
        assert "leaderboard" in c.benchmark.leaderboard()
        assert time.monotonic() - started >= 0.95  # waited the server's second, not the shorter backoff
        proxy.fail("GET", "/api/v1/leaderboard", ("status", 429, 3600))
        started = time.monotonic()
        with pytest.raises(vt.RateLimited) as e:
            c.benchmark.leaderboard()
        assert time.monotonic() - started < 1 and e.value.retry_after == 3600


def test_the_async_client_retries_an_order_once(server: LocalServer, proxy: FaultProxy) -> None:
    proxy.fail("POST", ORDERS, ("drop",), ("delay", 1.0))

    async def main() -> str:
        async with vt.AsyncClient(proxy.url, bot_key=server.bot_key, timeout=0.5) as c:
            order = await c.bot.place_order(symbol="MSFT", side="buy", quantity=2)
            assert c.last_response is not None and c.last_response.attempts == 3
            return str(order["id"])

    order_id = asyncio.run(main())
    # wait for the delayed attempt the client gave up on to reach the server too
    time.sleep(1.0)
    with vt.Client(server.base_url, bot_key=server.bot_key) as direct:
        assert [o["id"] for o in direct.bot.list_orders()] == [order_id]


def test_the_debug_log_names_requests_without_secrets(
    server: LocalServer, proxy: FaultProxy, caplog: pytest.LogCaptureFixture
) -> None:
    proxy.fail("GET", "/api/trade/v1/bot/account", ("status", 503))
    with caplog.at_level(logging.DEBUG, logger="vectrade.http"):
        with vt.Client(proxy.url, api_key=server.api_key, bot_key=server.bot_key) as c:
            token = c.auth.login(server.api_key, server.api_secret)["token"]
            c.bot.account()
            c.agents.list()
            request_id = c.last_response.request_id if c.last_response else None
            shown = repr(c) + repr(c._state)
    text = "\n".join(r.getMessage() for r in caplog.records if r.name == "vectrade.http")
    assert "GET /api/trade/v1/bot/account -> 503" in text and "GET /api/trade/v1/bot/account -> 200" in text
    assert "POST /api/v1/auth/login -> 200" in text and request_id and request_id in text
    for secret in (server.api_key, server.api_secret, server.bot_key, token):
        assert secret not in text and secret not in shown


def test_retry_after_reads_seconds_and_http_dates_and_backoff_grows_with_jitter() -> None:
    import email.utils

    from vectrade.client._errors import retry_after_seconds

    assert retry_after_seconds({"retry-after": "7"}) == 7.0
    assert retry_after_seconds({}) is None and retry_after_seconds({"retry-after": "soon"}) is None
    in_a_minute = email.utils.formatdate(time.time() + 60, usegmt=True)
    waited = retry_after_seconds({"retry-after": in_a_minute})
    assert waited is not None and 55 < waited <= 60
    client = vt.Client("http://127.0.0.1:9")
    delays = [[client._retry_delay(attempt, None) for attempt in range(6)] for _ in range(50)]
    for attempt, cap in enumerate([0.5, 1, 2, 4, 8, 8]):
        seen = [d[attempt] for d in delays]
        assert all(0.75 * cap <= d <= cap for d in seen) and len(set(seen)) > 1  # jittered below the step
    assert client._retry_delay(0, 3.0) == 3.0  # a Retry-After is waited as given
