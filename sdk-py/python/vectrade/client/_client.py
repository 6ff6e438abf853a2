"""`vt.Client` and `vt.AsyncClient`: the sending loop with its retries, over the shared transport,
and the run handles `RemoteRun` / `AsyncRemoteRun` the benchmark group gives."""

from __future__ import annotations

import asyncio
import time
from typing import Any, AsyncIterator, Dict, Iterator, Mapping, Optional, Union

import httpx

from . import _errors
from ._groups import Agents, Auth, Benchmark, Bot, Journal, Meta
from ._transport import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_AFTER,
    TimeoutArg,
    Transform,
    _Base,
    log,
)

_SAFE_METHODS = ("GET", "DELETE")


class _Groups:
    """The operation groups of one client view."""

    meta: Meta
    auth: Auth
    bot: Bot
    benchmark: Benchmark
    agents: Agents
    journal: Journal

    def _make_groups(self) -> None:
        caller: Any = self
        self.meta = Meta(caller)
        self.auth = Auth(caller)
        self.bot = Bot(caller)
        self.benchmark = Benchmark(caller)
        self.agents = Agents(caller)
        self.journal = Journal(caller)


class Client(_Base, _Groups):
    """The VecTrade API, synchronously.

    `base_url` defaults to `VECTRADE_BASE_URL`, then the hosted API; `api_key` to `VECTRADE_API_KEY`
    (benchmark and journal routes), `bot_key` to `VECTRADE_BOT_KEY` (bot routes); `client.auth.login()`
    keeps a JWT for the agent and bot key routes. `timeout` is the read timeout in seconds (or an
    `httpx.Timeout`), `connect_timeout` the connect one; `max_retries` retries of the requests that
    are safe to repeat. `with_options(...)` gives a view with other timeouts or retries."""

    def __init__(
        self,
        base_url: Optional[str] = None,
        *,
        api_key: Optional[str] = None,
        bot_key: Optional[str] = None,
        token: Optional[str] = None,
        operator_token: Optional[str] = None,
        timeout: TimeoutArg = None,
        connect_timeout: Optional[float] = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_retry_after: float = DEFAULT_MAX_RETRY_AFTER,
        headers: Optional[Mapping[str, str]] = None,
        http_client: Optional[httpx.Client] = None,
    ) -> None:
        self._configure(
            base_url,
            api_key,
            bot_key,
            token,
            operator_token,
            timeout,
            connect_timeout,
            max_retries,
            max_retry_after,
            headers,
        )
        self._http = http_client or httpx.Client(timeout=self._timeout, follow_redirects=False)
        self._make_groups()

    def with_options(
        self,
        *,
        timeout: TimeoutArg = None,
        connect_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        agent_id: Optional[str] = None,
    ) -> "Client":
        """This client (same connections, credentials and `last_response`) with other timeouts or retries
        for the calls made through it: `client.with_options(max_retries=0).bot.place_order(...)`. With
        `agent_id`, the benchmark and bot calls act as that agent of the logged-in account (its JWT with
        `X-Agent-Id`, seed 004) instead of sending a key: `client.with_options(agent_id=a).bot.portfolio()`."""
        other = object.__new__(Client)
        self._copy_options(other, timeout, connect_timeout, max_retries, agent_id)
        other._http = self._http
        other._make_groups()
        return other

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, max_retries={self.max_retries})"

    def set_credentials(
        self, *, api_key: Optional[str] = None, bot_key: Optional[str] = None, token: Optional[str] = None
    ) -> None:
        """Replace the keys (or the JWT) this client and its views send."""
        if api_key is not None:
            self._state.api_key = api_key
        if bot_key is not None:
            self._state.bot_key = bot_key
        if token is not None:
            self._state.token = token

    def close(self) -> None:
        """Close the connections (`with vt.Client() as client:` does it)."""
        self._http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _call(
        self,
        name: str,
        *,
        path: Optional[Mapping[str, Any]] = None,
        params: Optional[Mapping[str, Any]] = None,
        body: Any = None,
        idempotent: bool = False,
        transform: Transform = None,
    ) -> Any:
        op, request = self._build(name, path, params, body)
        retryable = op.method in _SAFE_METHODS or idempotent
        started = time.monotonic()
        attempt = 0
        relogged = False
        while True:
            try:
                response = self._http.send(request)
            except httpx.TransportError as exc:
                error = self._transport_error(exc, op, request)
                if not (retryable and attempt < self.max_retries):
                    raise error from exc
                delay = self._retry_delay(attempt, None)
                log.debug(
                    "%s %s -> %s, retry %d in %.2f s", op.method, request.url.path, error.code, attempt + 1, delay
                )
            else:
                if self._should_log_in_again(op, response, relogged):
                    self._record(op, request, response, started, attempt + 1)
                    relogged = True
                    self.auth.login(*(self._state.login or ()))
                    op, request = self._build(name, path, params, body)
                    continue
                if not (retryable and attempt < self.max_retries and self._retryable_response(response)):
                    self._record(op, request, response, started, attempt + 1)
                    result = self._result(op, response)
                    return transform(result) if transform else result
                self._record(op, request, response, started, attempt + 1)
                delay = self._retry_delay(attempt, self._give_up_on_retry_after(response))
                log.debug(
                    "%s %s -> %d, retry %d in %.2f s",
                    op.method,
                    request.url.path,
                    response.status_code,
                    attempt + 1,
                    delay,
                )
            time.sleep(delay)
            attempt += 1

    def _pages(
        self, name: str, params: Dict[str, Any], key: str, page_size: int, path: Optional[Mapping[str, Any]]
    ) -> Iterator[Any]:
        offset = 0
        while True:
            page = self._call(name, path=path, params={**params, "limit": page_size, "offset": offset})
            items = page[key]
            yield from items
            offset += len(items)
            if not items or offset >= page["total"]:
                return

    def _keep_token(self, result: Any) -> Any:
        self._state.token = result["token"]
        return result

    def _remote_run(self, result: Any) -> "RemoteRun":
        return RemoteRun(self, result["run"])


class AsyncClient(_Base, _Groups):
    """The VecTrade API on asyncio: the same groups and options as `vt.Client`, every call awaited
    (`await client.bot.place_order(...)`); `async with vt.AsyncClient() as client:` closes it."""

    def __init__(
        self,
        base_url: Optional[str] = None,
        *,
        api_key: Optional[str] = None,
        bot_key: Optional[str] = None,
        token: Optional[str] = None,
        operator_token: Optional[str] = None,
        timeout: TimeoutArg = None,
        connect_timeout: Optional[float] = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_retry_after: float = DEFAULT_MAX_RETRY_AFTER,
        headers: Optional[Mapping[str, str]] = None,
        http_client: Optional[httpx.AsyncClient] = None,
    ) -> None:
        self._configure(
            base_url,
            api_key,
            bot_key,
            token,
            operator_token,
            timeout,
            connect_timeout,
            max_retries,
            max_retry_after,
            headers,
        )
        self._http = http_client or httpx.AsyncClient(timeout=self._timeout, follow_redirects=False)
        self._make_groups()

    def with_options(
        self,
        *,
        timeout: TimeoutArg = None,
        connect_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        agent_id: Optional[str] = None,
    ) -> "AsyncClient":
        """As `Client.with_options`."""
        other = object.__new__(AsyncClient)
        self._copy_options(other, timeout, connect_timeout, max_retries, agent_id)
        other._http = self._http
        other._make_groups()
        return other

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, max_retries={self.max_retries})"

    def set_credentials(
        self, *, api_key: Optional[str] = None, bot_key: Optional[str] = None, token: Optional[str] = None
    ) -> None:
        """Replace the keys (or the JWT) this client and its views send."""
        if api_key is not None:
            self._state.api_key = api_key
        if bot_key is not None:
            self._state.bot_key = bot_key
        if token is not None:
            self._state.token = token

    async def aclose(self) -> None:
        """Close the connections (`async with vt.AsyncClient() as client:` does it)."""
        await self._http.aclose()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def _call(
        self,
        name: str,
        *,
        path: Optional[Mapping[str, Any]] = None,
        params: Optional[Mapping[str, Any]] = None,
        body: Any = None,
        idempotent: bool = False,
        transform: Transform = None,
    ) -> Any:
        op, request = self._build(name, path, params, body)
        retryable = op.method in _SAFE_METHODS or idempotent
        started = time.monotonic()
        attempt = 0
        relogged = False
        while True:
            try:
                response = await self._http.send(request)
            except httpx.TransportError as exc:
                error = self._transport_error(exc, op, request)
                if not (retryable and attempt < self.max_retries):
                    raise error from exc
                delay = self._retry_delay(attempt, None)
                log.debug(
                    "%s %s -> %s, retry %d in %.2f s", op.method, request.url.path, error.code, attempt + 1, delay
                )
            else:
                if self._should_log_in_again(op, response, relogged):
                    self._record(op, request, response, started, attempt + 1)
                    relogged = True
                    await self.auth.login(*(self._state.login or ()))
                    op, request = self._build(name, path, params, body)
                    continue
                if not (retryable and attempt < self.max_retries and self._retryable_response(response)):
                    self._record(op, request, response, started, attempt + 1)
                    result = self._result(op, response)
                    return transform(result) if transform else result
                self._record(op, request, response, started, attempt + 1)
                delay = self._retry_delay(attempt, self._give_up_on_retry_after(response))
                log.debug(
                    "%s %s -> %d, retry %d in %.2f s",
                    op.method,
                    request.url.path,
                    response.status_code,
                    attempt + 1,
                    delay,
                )
            await asyncio.sleep(delay)
            attempt += 1

    async def _pages(
        self, name: str, params: Dict[str, Any], key: str, page_size: int, path: Optional[Mapping[str, Any]]
    ) -> AsyncIterator[Any]:
        offset = 0
        while True:
            page = await self._call(name, path=path, params={**params, "limit": page_size, "offset": offset})
            items = page[key]
            for item in items:
                yield item
            offset += len(items)
            if not items or offset >= page["total"]:
                return

    def _keep_token(self, result: Any) -> Any:
        self._state.token = result["token"]
        return result

    def _remote_run(self, result: Any) -> "AsyncRemoteRun":
        return AsyncRemoteRun(self, result["run"])


class RemoteRun:
    """A benchmark run on a server, driven as the seeds' loop: `market()`, `trade()`, `step()` until
    `step().done`, then `results()` and `publish()`. `data` is the run as last seen."""

    def __init__(self, client: Client, data: Mapping[str, Any]) -> None:
        self._client = client
        self.id: str = str(data["id"])
        self.data: Mapping[str, Any] = data
        self.done: bool = bool(data.get("done", False))

    def __repr__(self) -> str:
        return f"RemoteRun(id={self.id!r}, done={self.done})"

    def get(self) -> Any:
        """`GET /api/v1/runs/{id}`: the run, its positions and queued orders; refreshes `data` and `done`."""
        run = self._client.benchmark.get_run(self.id)
        self.data = run["run"]
        self.done = bool(self.data.get("done", False))
        return run

    def market(self, symbols: Optional[Any] = None, lookback: Optional[int] = None) -> Any:
        """`GET /api/v1/runs/{id}/market`: bars up to the run's clock per symbol (`lookback` bars each)."""
        return self._client.benchmark.market(self.id, symbols, lookback)

    def trade(self, order: Any = None, *, idempotency_key: Optional[str] = None, **fields: Any) -> Any:
        """Queue an order (a `vt.Order`, a mapping or keywords) for the next bar; retried with one idempotency key."""
        return self._client.benchmark.trade(self.id, order, idempotency_key=idempotency_key, **fields)

    def trades(self) -> Any:
        """`GET /api/v1/runs/{id}/trades`: the run's fills so far."""
        return self._client.benchmark.list_trades(self.id)

    def orders(self, status: Optional[str] = None) -> Any:
        """`GET /api/v1/runs/{id}/orders`: the run's orders (`status="open"`: the working ones)."""
        return self._client.benchmark.list_orders(self.id, status)

    def cancel(self, order_id: Any) -> Any:
        """Cancels a working order of the run."""
        return self._client.benchmark.cancel_order(self.id, order_id)

    def step(self, count: Optional[int] = None) -> Any:
        """Advance `count` bars (1 by default); `.done` (or `.liquidated`) says the run is over."""
        out = self._client.benchmark.step(self.id, count)
        self.done = bool(out["done"] or out["liquidated"])
        return out

    def hold_until_end(self, max_bars: Optional[int] = None, *, require_flat: bool = False) -> Any:
        """Step to the end (or `max_bars`) placing nothing new; `require_flat` refuses while positions are open."""
        out = self._client.benchmark.hold_until_end(self.id, max_bars, require_flat=require_flat)
        self.done = bool(out["done"] or out["liquidated"])
        return out

    def liquidate_and_finish(self, rationale: str, max_bars: Optional[int] = None) -> Any:
        """Cancel the working orders, close every position at the next open, step to the end."""
        out = self._client.benchmark.liquidate_and_finish(self.id, rationale, max_bars)
        self.done = bool(out["done"] or out["liquidated"])
        return out

    def advance_until_next_session(self, max_bars: Optional[int] = None) -> Any:
        """Step into the next trading session (across closed-market gaps)."""
        out = self._client.benchmark.advance_until_next_session(self.id, max_bars)
        self.done = bool(out["done"] or out["liquidated"])
        return out

    def results(self) -> Any:
        """`GET /api/v1/runs/{id}/results`: the grade of a finished run."""
        return self._client.benchmark.results(self.id)

    def publish(self) -> Any:
        """Publish the finished run to the leaderboard."""
        return self._client.benchmark.publish(self.id)


class AsyncRemoteRun:
    """`RemoteRun` on `AsyncClient`: the same methods, awaited."""

    def __init__(self, client: AsyncClient, data: Mapping[str, Any]) -> None:
        self._client = client
        self.id: str = str(data["id"])
        self.data: Mapping[str, Any] = data
        self.done: bool = bool(data.get("done", False))

    def __repr__(self) -> str:
        return f"AsyncRemoteRun(id={self.id!r}, done={self.done})"

    async def get(self) -> Any:
        """`GET /api/v1/runs/{id}`: the run, its positions and queued orders; refreshes `data` and `done`."""
        run = await self._client.benchmark.get_run(self.id)
        self.data = run["run"]
        self.done = bool(self.data.get("done", False))
        return run

    async def market(self, symbols: Optional[Any] = None, lookback: Optional[int] = None) -> Any:
        """`GET /api/v1/runs/{id}/market`: bars up to the run's clock per symbol (`lookback` bars each)."""
        return await self._client.benchmark.market(self.id, symbols, lookback)

    async def trade(self, order: Any = None, *, idempotency_key: Optional[str] = None, **fields: Any) -> Any:
        """Queue an order (a `vt.Order`, a mapping or keywords) for the next bar; retried with one idempotency key."""
        return await self._client.benchmark.trade(self.id, order, idempotency_key=idempotency_key, **fields)

    async def trades(self) -> Any:
        """`GET /api/v1/runs/{id}/trades`: the run's fills so far."""
        return await self._client.benchmark.list_trades(self.id)

    async def orders(self, status: Optional[str] = None) -> Any:
        """`GET /api/v1/runs/{id}/orders`: the run's orders (`status="open"`: the working ones)."""
        return await self._client.benchmark.list_orders(self.id, status)

    async def cancel(self, order_id: Any) -> Any:
        """Cancels a working order of the run."""
        return await self._client.benchmark.cancel_order(self.id, order_id)

    async def step(self, count: Optional[int] = None) -> Any:
        """Advance `count` bars (1 by default); `.done` (or `.liquidated`) says the run is over."""
        out = await self._client.benchmark.step(self.id, count)
        self.done = bool(out["done"] or out["liquidated"])
        return out

    async def hold_until_end(self, max_bars: Optional[int] = None, *, require_flat: bool = False) -> Any:
        """Step to the end (or `max_bars`) placing nothing new; `require_flat` refuses while positions are open."""
        out = await self._client.benchmark.hold_until_end(self.id, max_bars, require_flat=require_flat)
        self.done = bool(out["done"] or out["liquidated"])
        return out

    async def liquidate_and_finish(self, rationale: str, max_bars: Optional[int] = None) -> Any:
        """Cancel the working orders, close every position at the next open, step to the end."""
        out = await self._client.benchmark.liquidate_and_finish(self.id, rationale, max_bars)
        self.done = bool(out["done"] or out["liquidated"])
        return out

    async def advance_until_next_session(self, max_bars: Optional[int] = None) -> Any:
        """Step into the next trading session (across closed-market gaps)."""
        out = await self._client.benchmark.advance_until_next_session(self.id, max_bars)
        self.done = bool(out["done"] or out["liquidated"])
        return out

    async def results(self) -> Any:
        """`GET /api/v1/runs/{id}/results`: the grade of a finished run."""
        return await self._client.benchmark.results(self.id)

    async def publish(self) -> Any:
        """Publish the finished run to the leaderboard."""
        return await self._client.benchmark.publish(self.id)


_Caller = Union[Client, AsyncClient]

__all__ = ["AsyncClient", "AsyncRemoteRun", "Client", "RemoteRun", "_errors"]
