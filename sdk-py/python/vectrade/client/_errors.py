"""HTTP errors of the client in the engine's hierarchy: every one is a `vt.VecTradeError`, and a
refusal the engine also raises locally (`vt.NotFound`, `vt.OrderRejected`, `vt.RateLimited`, ...)
is an instance of that same class, whether it came from the local engine or over HTTP."""

from __future__ import annotations

import json
from typing import Any, Dict, Mapping, Optional, Type

import httpx

from .._native import (
    Conflict,
    IdempotencyConflict,
    InvalidInput,
    InvalidState,
    NotFound,
    OrderRejected,
    RateLimited,
    RiskLimitExceeded,
    RunFinished,
    VecTradeError,
)


# Every VecTrade error has the attributes of an HTTP one: empty on the engine's own errors, so
# `except vt.VecTradeError as e: e.status` works for both.
for _name, _default in (("status", None), ("request_id", None), ("body", ""), ("headers", {})):
    if not hasattr(VecTradeError, _name):
        setattr(VecTradeError, _name, _default)
if not hasattr(RateLimited, "retry_after"):
    RateLimited.retry_after = None


class APIError(VecTradeError):
    """An error of a request to a VecTrade server. `status` is the HTTP status (None when no response
    came), `code` the server's stable code (the engine's where the engine refused), `detail` the
    message, `request_id` the `X-Request-Id` header, `body` the raw text, `headers` the response's."""

    status: Optional[int]
    code: str
    detail: str
    family: str
    request_id: Optional[str]
    body: str
    headers: Mapping[str, str]

    def __init__(
        self,
        detail: str,
        *,
        status: Optional[int] = None,
        code: str = "",
        request_id: Optional[str] = None,
        body: str = "",
        headers: Optional[Mapping[str, str]] = None,
    ) -> None:
        super().__init__(f"{detail} ({code}, HTTP {status})" if status else detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.family = "http"
        self.request_id = request_id
        self.body = body
        self.headers = dict(headers or {})


class AuthenticationError(APIError):
    """401: the key, secret or token is missing, unknown or expired."""


class PermissionDenied(APIError):
    """403: the credentials are valid but do not reach this resource."""


class QuotaExceeded(APIError):
    """402: the plan's quota is used up; `checkout_url` is where to upgrade."""

    checkout_url: Optional[str]


class ServerError(APIError):
    """5xx: the server failed; retried by default."""


class ConnectionError(APIError):
    """No response: the connection could not be made or was dropped."""


class Timeout(APIError):
    """No response within the connect or read timeout."""


class NotFoundError(APIError, NotFound):
    """404 over HTTP; also a `vt.NotFound`."""


class InvalidInputError(APIError, InvalidInput):
    """400 or 422 over HTTP; also a `vt.InvalidInput`."""


class OrderRejectedError(APIError, OrderRejected):
    """An order the engine refused on the server; also a `vt.OrderRejected`."""


class RiskLimitError(APIError, RiskLimitExceeded):
    """A risk check refused on the server; also a `vt.RiskLimitExceeded`."""


class InvalidStateError(APIError, InvalidState):
    """Not valid now on the server; also a `vt.InvalidState`."""


class RunFinishedError(APIError, RunFinished):
    """The remote run is over; also a `vt.RunFinished`."""


class ConflictError(APIError, Conflict):
    """409 over HTTP (a handle taken, ...); also a `vt.Conflict`."""


class IdempotencyConflictError(APIError, IdempotencyConflict):
    """409: an idempotency key reused with another request; also a `vt.IdempotencyConflict`."""


class RateLimitedError(APIError, RateLimited):
    """429; also a `vt.RateLimited`. `retry_after` is the server's `Retry-After` in seconds."""

    retry_after: Optional[float]


# The engine's families (vt.error_codes()) to the class a 4xx carrying one of its codes raises, so
# `except vt.OrderRejected` catches the same refusal locally and remotely.
_BY_FAMILY: Dict[str, Type[APIError]] = {
    "invalid_input": InvalidInputError,
    "order_rejected": OrderRejectedError,
    "risk_limit_exceeded": RiskLimitError,
    "rate_limited": RateLimitedError,
    "conflict": ConflictError,
    "not_found": NotFoundError,
    "invalid_state": InvalidStateError,
}

_engine_families: Optional[Dict[str, str]] = None


def _family_of(code: str) -> Optional[str]:
    global _engine_families
    if _engine_families is None:
        from .._native import error_codes

        _engine_families = dict(error_codes())
    return _engine_families.get(code)


def _by_status(status: int, code: str) -> Type[APIError]:
    if status == 401:
        return AuthenticationError
    if status == 402:
        return QuotaExceeded
    if status == 403:
        return PermissionDenied
    if status == 404:
        return NotFoundError
    if status == 409:
        return IdempotencyConflictError if "idempotency" in code else ConflictError
    if status == 429:
        return RateLimitedError
    if status >= 500:
        return ServerError
    return InvalidInputError


def _code_and_detail(payload: Any) -> tuple[str, str]:
    """The stable code and message of any family's error body (see server/src/problem.rs)."""
    if not isinstance(payload, dict):
        return "", ""
    nested = payload.get("error")
    if isinstance(nested, dict):  # accounts and agents: {"error": {code, message, details}}
        return str(nested.get("code", "")), str(nested.get("message", ""))
    if "error_code" in payload:  # journal: {"error" | "message", "code": "BAD_REQUEST", "error_code"}
        return str(payload["error_code"]), str(payload.get("error", payload.get("message", "")))
    # benchmark problems {status, title, detail, code} and bot routes {"detail", "code"}
    return str(payload.get("code", "")), str(payload.get("detail", payload.get("title", "")))


def retry_after_seconds(headers: Mapping[str, str]) -> Optional[float]:
    """`Retry-After` as seconds (a number of seconds or an HTTP date), None when absent or unreadable."""
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime
    import datetime as _dt

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - _dt.datetime.now(_dt.timezone.utc)).total_seconds())


def error_from_response(response: httpx.Response) -> APIError:
    """The error an unsuccessful response raises."""
    text = response.text
    try:
        payload = json.loads(text) if text else None
    except ValueError:
        payload = None
    code, detail = _code_and_detail(payload)
    status = response.status_code
    cls = _by_status(status, code)
    family = _family_of(code) if 400 <= status < 500 and status not in (401, 402, 403) else None
    if family in _BY_FAMILY:
        cls = _BY_FAMILY[family]
    if issubclass(cls, ConflictError) and "idempotency" in code:
        cls = IdempotencyConflictError
    if code == "run_finished" and issubclass(cls, InvalidStateError):
        cls = RunFinishedError
    err = cls(
        detail or response.reason_phrase or f"HTTP {status}",
        status=status,
        code=code or f"http_{status}",
        request_id=response.headers.get("x-request-id"),
        body=text,
        headers=response.headers,
    )
    if isinstance(err, QuotaExceeded):
        err.checkout_url = payload.get("checkout_url") if isinstance(payload, dict) else None
    if isinstance(err, RateLimitedError):
        err.retry_after = retry_after_seconds(response.headers)
    return err


__all__ = [
    "APIError",
    "AuthenticationError",
    "ConflictError",
    "ConnectionError",
    "IdempotencyConflictError",
    "InvalidInputError",
    "InvalidStateError",
    "NotFoundError",
    "OrderRejectedError",
    "PermissionDenied",
    "QuotaExceeded",
    "RateLimitedError",
    "RiskLimitError",
    "RunFinishedError",
    "ServerError",
    "Timeout",
]
