"""VecTrade: a deterministic trading simulator for AI agents and trading bots.

Orders are validated against per-agent risk profiles, filled against bars with documented rules,
booked into isolated accounts, and runs over frozen scenarios are graded. The engine is Rust
(``vectrade._native``); this package is its Python face::

    import vectrade as vt
    run = vt.Simulator(vt.scenarios.get("tech-2024-q2")).start(agent="my-bot")
    while not run.done:
        run.submit(vt.Order.market("AAPL", "buy", 10))
        run.step()
    print(run.results())
"""

from . import scenarios, strategies
from .client import (
    APIError,
    AsyncClient,
    AsyncRemoteRun,
    AuthenticationError,
    Client,
    ConnectionError,
    PermissionDenied,
    QuotaExceeded,
    RemoteRun,
    ServerError,
    Timeout,
)
from ._remote import RemoteBacktest, RemoteContext, RemoteIndicator
from .backtest import Backtest, Context, Indicator, Strategy, backtest, backtest_signals, crossings, crossover
from .sweep import Sweep, sweep, sweep_signals
from ._native import (
    Conflict,
    IdempotencyConflict,
    InternalError,
    InvalidInput,
    InvalidState,
    NotFound,
    OrderRejected,
    RateLimited,
    RiskLimitExceeded,
    RunFinished,
    VecTradeError,
)
from ._native import __version__ as _engine_version
from .models import (
    Bar,
    Fill,
    Metrics,
    Order,
    PlacedOrder,
    Portfolio,
    Position,
    Results,
    RiskProfile,
    StepResult,
    SymbolPnl,
    Trade,
    TradeLeg,
    Trim,
)
from .scenarios import Scenario, ScenarioInfo
from .simulator import Run, Simulator

__version__ = _engine_version

__all__ = [
    "APIError",
    "AsyncClient",
    "AsyncRemoteRun",
    "AuthenticationError",
    "Client",
    "ConnectionError",
    "PermissionDenied",
    "QuotaExceeded",
    "RemoteRun",
    "ServerError",
    "Timeout",
    "Backtest",
    "Bar",
    "Context",
    "Strategy",
    "Indicator",
    "RemoteBacktest",
    "RemoteContext",
    "RemoteIndicator",
    "backtest",
    "backtest_signals",
    "Sweep",
    "sweep",
    "sweep_signals",
    "crossings",
    "crossover",
    "Conflict",
    "Fill",
    "IdempotencyConflict",
    "InternalError",
    "InvalidInput",
    "InvalidState",
    "Metrics",
    "NotFound",
    "Order",
    "OrderRejected",
    "PlacedOrder",
    "Portfolio",
    "Position",
    "RateLimited",
    "Results",
    "RiskLimitExceeded",
    "RiskProfile",
    "Run",
    "RunFinished",
    "Scenario",
    "ScenarioInfo",
    "Simulator",
    "StepResult",
    "SymbolPnl",
    "Trade",
    "TradeLeg",
    "Trim",
    "VecTradeError",
    "error_codes",
    "scenarios",
    "strategies",
]


def error_codes() -> list[tuple[str, str]]:
    """Every stable error code with its family, e.g. ``("insufficient_buying_power", "order_rejected")``."""
    from ._native import error_codes as _codes

    return _codes()
