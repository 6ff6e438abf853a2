"""HTTP clients of the VecTrade API (a hosted service, or `vectrade serve` locally): `Client` and
`AsyncClient` on httpx, their operation groups, and the HTTP errors in the engine's hierarchy."""

from ._client import AsyncClient, AsyncRemoteRun, Client, RemoteRun
from ._errors import (
    APIError,
    AuthenticationError,
    ConflictError,
    ConnectionError,
    IdempotencyConflictError,
    InvalidInputError,
    InvalidStateError,
    NotFoundError,
    OrderRejectedError,
    PermissionDenied,
    QuotaExceeded,
    RateLimitedError,
    RiskLimitError,
    RunFinishedError,
    ServerError,
    Timeout,
)
from ._operations import OPERATIONS, Operation
from ._transport import DEFAULT_BASE_URL, Record, ResponseInfo

__all__ = [
    "APIError",
    "AsyncClient",
    "AsyncRemoteRun",
    "AuthenticationError",
    "Client",
    "ConflictError",
    "ConnectionError",
    "DEFAULT_BASE_URL",
    "IdempotencyConflictError",
    "InvalidInputError",
    "InvalidStateError",
    "NotFoundError",
    "OPERATIONS",
    "Operation",
    "OrderRejectedError",
    "PermissionDenied",
    "QuotaExceeded",
    "RateLimitedError",
    "Record",
    "RemoteRun",
    "ResponseInfo",
    "RiskLimitError",
    "RunFinishedError",
    "ServerError",
    "Timeout",
]
