"""The client's transport on httpx: configuration from arguments or the environment, the credentials
each route family takes, timeouts, retries of the requests that are safe to repeat, decoding (money
as `Decimal`) and the error of an unsuccessful response. `Client` and `AsyncClient` share all of it
but the sending loop."""

from __future__ import annotations

import json
import logging
import os
import random
import re
import time
import uuid
from urllib.parse import quote
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Dict, Mapping, Optional, Tuple, Union

import httpx

from . import _errors
from ._operations import BOT, JOURNAL, JWT, KEY, OPERATIONS, OPERATOR, Operation
from .models import DECODE, REQUESTS, RESPONSES

log = logging.getLogger("vectrade.http")

#: The hosted API (seed 000's host); `base_url="http://127.0.0.1:8080"` (or `VECTRADE_BASE_URL`) for `vectrade serve`.
DEFAULT_BASE_URL = "https://vectrade.io"
DEFAULT_TIMEOUT = 30.0
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_MAX_RETRIES = 2
#: Longest `Retry-After` the client waits for; a longer one raises at once.
DEFAULT_MAX_RETRY_AFTER = 60.0
_INITIAL_BACKOFF = 0.5
_MAX_BACKOFF = 8.0

TimeoutArg = Union[float, httpx.Timeout, None]


class Record(dict):  # type: ignore[type-arg]
    """A decoded JSON object: a dict whose keys are also attributes (`step.done`, `step["done"]`)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass
class ResponseInfo:
    """What the client keeps of the latest response (`client.last_response`)."""

    method: str
    path: str
    status: int
    headers: httpx.Headers
    request_id: Optional[str]
    elapsed_ms: float
    attempts: int


@dataclass
class _State:
    """What every view of one client (`with_options`) shares: credentials and the latest response."""

    base_url: str
    api_key: Optional[str] = field(repr=False)  # never printed, as never logged
    bot_key: Optional[str] = field(repr=False)
    token: Optional[str] = field(repr=False)
    operator_token: Optional[str] = field(repr=False)
    # The key and secret of the last successful login: a JWT the server refuses (expired) is
    # replaced by logging in again with them, once per call.
    login: Optional[Tuple[str, str]] = field(default=None, repr=False)
    last_response: Optional[ResponseInfo] = None
    extra_headers: Dict[str, str] = field(default_factory=dict)


def _timeout(timeout: TimeoutArg, connect_timeout: Optional[float]) -> httpx.Timeout:
    if isinstance(timeout, httpx.Timeout):
        return timeout
    read = DEFAULT_TIMEOUT if timeout is None else float(timeout)
    connect = DEFAULT_CONNECT_TIMEOUT if connect_timeout is None else float(connect_timeout)
    return httpx.Timeout(read, connect=min(connect, read))


_NUMBER = "\x00vectrade-number:"


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a finite number")
        return _NUMBER + format(value, "f") + "\x00"  # written as a bare JSON number below: its exact digits
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _encode_value(value: Any, kind: str) -> Any:
    """A request value as its schema wants it: a decimal string where the field is a string."""
    if isinstance(value, Decimal) and kind == "decimal_string":
        return str(value)
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool) and kind == "decimal_string":
        return str(value)
    head, _, rest = kind.partition(":")
    if head == "ref":
        return _encode_schema(value, rest)
    if head == "list" and isinstance(value, list):
        return [_encode_value(v, "ref:" + rest if rest and rest != "decimal" else "") for v in value]
    return value


def _encode_schema(value: Any, schema: str) -> Any:
    if not isinstance(value, dict):
        return value
    fields = DECODE.get(schema, {})
    return {k: _encode_value(v, fields.get(k, "")) for k, v in value.items()}


def encode_body(body: Any, schema: Optional[str]) -> bytes:
    """JSON of a request body. A `Decimal` is a JSON number with its exact digits (never through a
    float), or a decimal string where the operation's schema has a string."""
    text = json.dumps(_encode_schema(body, schema) if schema else body, default=_json_default)
    return re.sub(r'"\\u0000vectrade-number:(-?[0-9]+(?:\.[0-9]+)?)\\u0000"', r"\1", text).encode()


def _decode_value(value: Any, kind: str) -> Any:
    if value is None or not kind:
        return value
    if kind in ("decimal", "decimal_string"):
        if isinstance(value, bool):
            return value
        if isinstance(value, (str, int)):
            try:
                return Decimal(value)
            except ArithmeticError:
                return value
        return value
    head, _, rest = kind.partition(":")
    if head == "ref":
        return _decode_schema(value, rest)
    if head == "list" and isinstance(value, list):
        inner = "decimal" if rest == "decimal" else ("ref:" + rest if rest else "")
        return [_decode_value(v, inner) for v in value]
    if head == "map" and isinstance(value, dict):
        return Record({k: _decode_value(v, rest) for k, v in value.items()})
    return value


def _decode_schema(value: Any, schema: str) -> Any:
    if not isinstance(value, dict):
        return value
    fields = DECODE.get(schema, {})
    return Record({k: _decode_value(v, fields.get(k, fields.get("*", ""))) for k, v in value.items()})


def _as_records(value: Any) -> Any:
    if isinstance(value, dict):
        return Record({k: _as_records(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_as_records(v) for v in value]
    return value


class _Base:
    """Configuration, request building, retry decisions and decoding, for both clients."""

    _state: _State
    _timeout: httpx.Timeout
    _agent_id: Optional[str] = None  # set on a `with_options(agent_id=...)` view
    max_retries: int
    max_retry_after: float

    def _configure(
        self,
        base_url: Optional[str],
        api_key: Optional[str],
        bot_key: Optional[str],
        token: Optional[str],
        operator_token: Optional[str],
        timeout: TimeoutArg,
        connect_timeout: Optional[float],
        max_retries: int,
        max_retry_after: float,
        headers: Optional[Mapping[str, str]],
    ) -> None:
        env = os.environ
        url = base_url or env.get("VECTRADE_BASE_URL") or DEFAULT_BASE_URL
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"the base URL must start with http:// or https://, got {url!r}")
        self._state = _State(
            base_url=url.rstrip("/"),
            api_key=api_key if api_key is not None else env.get("VECTRADE_API_KEY"),
            bot_key=bot_key if bot_key is not None else env.get("VECTRADE_BOT_KEY"),
            token=token,
            operator_token=operator_token if operator_token is not None else env.get("VECTRADE_OPERATOR_TOKEN"),
            extra_headers=dict(headers or {}),
        )
        self._timeout = _timeout(timeout, connect_timeout)
        if max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, got {max_retries}")
        self.max_retries = max_retries
        self.max_retry_after = max_retry_after

    @property
    def base_url(self) -> str:
        return self._state.base_url

    @property
    def token(self) -> Optional[str]:
        """The JWT of `auth.login`, sent on the agent and bot key routes."""
        return self._state.token

    @property
    def last_response(self) -> Optional[ResponseInfo]:
        """Status, headers (`X-Request-Id`, `Retry-After`, ...), time and attempts of the latest
        response this client (or a `with_options` view of it) received."""
        return self._state.last_response

    def _copy_options(
        self,
        other: "_Base",
        timeout: TimeoutArg,
        connect_timeout: Optional[float],
        max_retries: Optional[int],
        agent_id: Optional[str] = None,
    ) -> None:
        other._state = self._state
        other._agent_id = agent_id if agent_id is not None else self._agent_id
        if timeout is None and connect_timeout is None:
            other._timeout = self._timeout
        elif isinstance(timeout, httpx.Timeout):
            other._timeout = timeout
        else:
            read = float(timeout) if timeout is not None else self._timeout.read
            connect = float(connect_timeout) if connect_timeout is not None else self._timeout.connect
            other._timeout = httpx.Timeout(read, connect=connect)
        other.max_retries = self.max_retries if max_retries is None else max_retries
        other.max_retry_after = self.max_retry_after

    def _should_log_in_again(self, op: Operation, response: httpx.Response, relogged: bool) -> bool:
        """A 401 to a request that sent the login JWT, with the credentials to get a new one."""
        uses_token = (
            op.auth == JWT
            or (op.auth == KEY and not self._state.api_key)
            or (self._agent_id is not None and op.auth in (KEY, BOT))
        )
        return response.status_code == 401 and uses_token and not relogged and self._state.login is not None

    def _auth_headers(self, auth: str) -> Dict[str, str]:
        s = self._state
        if self._agent_id is not None and auth in (KEY, BOT):
            # The account's JWT acting as one of its agents (seed 004's X-Agent-Id).
            return {"Authorization": f"Bearer {s.token}", "X-Agent-Id": self._agent_id} if s.token else {}
        if auth == KEY:
            if s.api_key:
                return {"X-API-Key": s.api_key}
            return {"Authorization": f"Bearer {s.token}"} if s.token else {}
        if auth == BOT:
            if s.bot_key:
                return {"X-Bot-Key": s.bot_key}
            return {"X-API-Key": s.api_key} if s.api_key else {}
        if auth == JWT:
            return {"Authorization": f"Bearer {s.token}"} if s.token else {}
        if auth == JOURNAL:
            key = s.api_key or s.bot_key
            return {"x-api-key": key} if key else {}
        if auth == OPERATOR:
            return {"X-Operator-Token": s.operator_token} if s.operator_token else {}
        return {}

    def _build(
        self, name: str, path_params: Optional[Mapping[str, Any]], params: Optional[Mapping[str, Any]], body: Any
    ) -> Tuple[Operation, httpx.Request]:
        op = OPERATIONS[name]
        path = op.path
        for key, value in (path_params or {}).items():
            path = path.replace("{" + key + "}", quote(str(value), safe=""))
        headers = {"Accept": "application/json", "User-Agent": f"vectrade-python/{_version()}"}
        headers.update(self._state.extra_headers)
        headers.update(self._auth_headers(op.auth))
        query = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}
        content = None
        if body is not None:
            content = encode_body(body, REQUESTS.get((op.method, op.path)))
            headers["Content-Type"] = "application/json"
        request = httpx.Request(op.method, self._state.base_url + path, params=query, content=content, headers=headers)
        request.extensions["timeout"] = self._timeout.as_dict()
        return op, request

    def _retry_delay(self, attempt: int, retry_after: Optional[float]) -> float:
        if retry_after is not None:
            return retry_after
        backoff = min(_INITIAL_BACKOFF * (2**attempt), _MAX_BACKOFF)
        return backoff * (1 - 0.25 * random.random())  # jitter: never two clients in lockstep

    def _retryable_response(self, response: httpx.Response) -> bool:
        status = response.status_code
        return status in (408, 429) or status >= 500

    def _record(
        self, op: Operation, request: httpx.Request, response: httpx.Response, started: float, attempts: int
    ) -> None:
        elapsed = (time.monotonic() - started) * 1000
        request_id = response.headers.get("x-request-id")
        self._state.last_response = ResponseInfo(
            op.method, request.url.path, response.status_code, response.headers, request_id, elapsed, attempts
        )
        # Method, path, status, time and request id only: never a header, a body or a query.
        log.debug(
            "%s %s -> %d in %.1f ms (request id %s, attempt %d)",
            op.method,
            request.url.path,
            response.status_code,
            elapsed,
            request_id,
            attempts,
        )

    def _result(self, op: Operation, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            raise _errors.error_from_response(response)
        kind = RESPONSES.get((op.method, op.path), "json")
        if kind == "empty" or not response.content:
            return None
        if kind == "text":
            return response.text
        data = json.loads(response.text, parse_float=Decimal)
        head, _, schema = kind.partition(":")
        if head == "ref":
            return _decode_schema(data, schema)
        if head == "list":
            return [_decode_schema(v, schema) for v in data]
        return _as_records(data)

    @staticmethod
    def _transport_error(exc: Exception, op: Operation, request: httpx.Request) -> _errors.APIError:
        where = f"{op.method} {request.url.path}"
        if isinstance(exc, httpx.TimeoutException):
            return _errors.Timeout(f"{where}: no answer in time ({type(exc).__name__})", code="timeout")
        return _errors.ConnectionError(f"{where}: {type(exc).__name__}: {exc}", code="connection_error")

    def _give_up_on_retry_after(self, response: httpx.Response) -> Optional[float]:
        """The `Retry-After` to wait, or raise when it is longer than the cap."""
        retry_after = _errors.retry_after_seconds(response.headers)
        if retry_after is not None and retry_after > self.max_retry_after:
            raise _errors.error_from_response(response)
        return retry_after


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value) if isinstance(value, Decimal) else value


def _version() -> str:
    from .._native import __version__

    return str(__version__)


def new_key() -> str:
    """A fresh idempotency key (a UUID4)."""
    return str(uuid.uuid4())


Transform = Optional[Callable[[Any], Any]]
