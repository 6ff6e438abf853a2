"""The operation groups as the seeds group them (`auth`, `bot`, `benchmark`, `agents`, `journal`,
`meta`), written once for both clients: on `vt.Client` a method returns the decoded body, on
`vt.AsyncClient` an awaitable of it. Each method names its row of the operations table."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Mapping, Optional, Union

from ._transport import new_key

if TYPE_CHECKING:
    from ._client import _Caller

Number = Union[int, str, Decimal]


_ORDER_FIELDS = ("order_type", "limit_price", "stop_price", "time_in_force", "take_profit", "stop_loss", "reasoning")


def _order_fields(order: Any, extra: Iterable[str] = ()) -> Dict[str, Any]:
    """A `vt.Order` or a mapping, as the fields of a request body (`extra`: fields only this route
    takes, such as the bot routes' `client_order_id` and `asset_type`)."""
    if isinstance(order, Mapping):
        return dict(order)
    if getattr(order, "trims", None):
        raise ValueError("trims are not part of the HTTP order: place the exits as their own orders")
    fields: Dict[str, Any] = {"symbol": order.symbol, "side": order.side, "quantity": order.quantity}
    for name in (*_ORDER_FIELDS, *extra):
        value = getattr(order, name, None)
        if value is not None:
            fields[name] = value
    return fields


def _drop_none(fields: Mapping[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


class _Group:
    def __init__(self, caller: "_Caller") -> None:
        self._c = caller


class Meta(_Group):
    """Health, the OpenAPI document, the documentation pages, and the local server's operator route."""

    def health(self) -> Any:
        """`GET /api/health`."""
        return self._c._call("meta.health")

    def health_v1(self) -> Any:
        return self._c._call("meta.health_v1")

    def openapi(self) -> Any:
        """`GET /api/openapi.json`."""
        return self._c._call("meta.openapi")

    def docs(self) -> Any:
        """The API reference page (HTML text)."""
        return self._c._call("meta.docs")

    def llms_txt(self) -> Any:
        """`GET /api/llms.txt`."""
        return self._c._call("meta.llms_txt")

    def agent_skills(self) -> Any:
        """`GET /api/agent-skills.md`."""
        return self._c._call("meta.agent_skills")

    def advance_market(self, bars: int = 1) -> Any:
        """Local server with `--bar-interval manual`: reveal the next `bars` bars of the bot market
        (needs the operator token the server prints: `operator_token=` or `VECTRADE_OPERATOR_TOKEN`)."""
        return self._c._call("meta.advance_market", body={"bars": bars})


class Auth(_Group):
    """Accounts (seed 004): register, and log in for the JWT the management routes take."""

    def register(self, display_name: Optional[str] = None) -> Any:
        """A new account; its `api_key` and `api_secret` are shown once."""
        return self._c._call("auth.register", body=_drop_none({"display_name": display_name}))

    def login(self, api_key: Optional[str] = None, api_secret: Optional[str] = None) -> Any:
        """A JWT for the agent and bot key routes, kept by this client for them. The key and secret
        are kept too (in memory, never logged): when the server refuses the JWT (it expired), the
        client logs in again once and repeats the request."""
        key = api_key or self._c._state.api_key
        secret = api_secret or _env_secret()

        def keep(result: Any) -> Any:
            if key and secret:  # to log in again when the server no longer takes the JWT
                self._c._state.login = (key, secret)
            return self._c._keep_token(result)

        return self._c._call("auth.login", body={"api_key": key, "api_secret": secret}, transform=keep)


def _env_secret() -> Optional[str]:
    import os

    return os.environ.get("VECTRADE_API_SECRET")


class Bot(_Group):
    """Bot trading (seed 000): keys (with the login JWT), account, orders, portfolio and KPIs."""

    def list_keys(self) -> Any:
        """`GET /api/trade/v1/bot/keys`."""
        return self._c._call("bot.list_keys")

    def create_key(self, label: Optional[str] = None) -> Any:
        """A new bot key (`key` is shown once): `client.set_credentials(bot_key=...)` or
        `VECTRADE_BOT_KEY` to use it."""
        return self._c._call("bot.create_key", body=_drop_none({"label": label}))

    def revoke_key(self, key_id: str) -> Any:
        """`DELETE /api/trade/v1/bot/keys/{id}`."""
        return self._c._call("bot.revoke_key", path={"id": key_id})

    def account(self) -> Any:
        """`GET /api/trade/v1/bot/account`."""
        return self._c._call("bot.account")

    def place_order(self, order: Any = None, *, client_order_id: Optional[str] = None, **fields: Any) -> Any:
        """Place an order: a `vt.Order`, a mapping, or the fields as keywords (`symbol`, `side`,
        `quantity`, `order_type`, `limit_price`, ...). The client gives it a `client_order_id` (or uses
        yours) and sends that same id on every retry: the order exists once."""
        body = _order_fields(order, ("client_order_id", "asset_type")) if order is not None else {}
        body.update(fields)
        body["client_order_id"] = client_order_id or body.get("client_order_id") or new_key()
        return self._c._call("bot.place_order", body=_drop_none(body), idempotent=True)

    def list_orders(self, status: Optional[str] = None, limit: Optional[int] = None) -> Any:
        """`GET /api/trade/v1/bot/orders`."""
        return self._c._call("bot.list_orders", params={"status": status, "limit": limit})

    def get_order(self, order_id: str) -> Any:
        """`GET /api/trade/v1/bot/orders/{id}`."""
        return self._c._call("bot.get_order", path={"id": order_id})

    def cancel_order(self, order_id: str) -> Any:
        """`DELETE /api/trade/v1/bot/orders/{id}`."""
        return self._c._call("bot.cancel_order", path={"id": order_id})

    def portfolio(self) -> Any:
        """`GET /api/trade/v1/bot/portfolio`."""
        return self._c._call("bot.portfolio")

    def kpi(self) -> Any:
        """`GET /api/trade/v1/bot/kpi`."""
        return self._c._call("bot.kpi")


class Benchmark(_Group):
    """Benchmark runs (seeds 001 and 003): scenarios, runs, market, trades, steps, results,
    publishing, public runs, the leaderboard and the billing account."""

    def list_scenarios(self) -> Any:
        """`GET /api/v1/scenarios`."""
        return self._c._call("benchmark.list_scenarios")

    def get_scenario(self, scenario: str) -> Any:
        """`GET /api/v1/scenarios/{id}`."""
        return self._c._call("benchmark.get_scenario", path={"id": scenario})

    def create_run(
        self, scenario: str, *, bot_name: Optional[str] = None, agent_info: Optional[Mapping[str, Any]] = None
    ) -> Any:
        """`POST /api/v1/runs`; not retried (each call would start, and count, another run)."""
        body = _drop_none({"scenario_slug": scenario, "bot_name": bot_name, "agent_info": agent_info})
        return self._c._call("benchmark.create_run", body=body)

    def start_run(
        self, scenario: str, *, bot_name: Optional[str] = None, agent_info: Optional[Mapping[str, Any]] = None
    ) -> Any:
        """A new run as a `RemoteRun` (`AsyncRemoteRun` on `AsyncClient`): `.market()`, `.trade()`,
        `.step()`, `.results()`, `.publish()`, `.get()`."""
        body = _drop_none({"scenario_slug": scenario, "bot_name": bot_name, "agent_info": agent_info})
        return self._c._call("benchmark.create_run", body=body, transform=self._c._remote_run)

    def run(self, run_id: str) -> Any:
        """A `RemoteRun` for an existing run id (no request)."""
        return self._c._remote_run({"run": {"id": run_id}})

    def get_run(self, run_id: str) -> Any:
        """`GET /api/v1/runs/{id}`."""
        return self._c._call("benchmark.get_run", path={"id": run_id})

    def market(self, run_id: str, symbols: Optional[Iterable[str]] = None, lookback: Optional[int] = None) -> Any:
        """`GET /api/v1/runs/{id}/market`."""
        params = {"symbols": list(symbols) if symbols is not None else None, "lookback": lookback}
        return self._c._call("benchmark.market", path={"id": run_id}, params=params)

    def trade(self, run_id: str, order: Any = None, *, idempotency_key: Optional[str] = None, **fields: Any) -> Any:
        """Queue an order for the next bar. The client gives it an `idempotency_key` (or uses yours),
        the same on every retry: the order is queued once."""
        body = _order_fields(order) if order is not None else {}
        body.update(fields)
        body["idempotency_key"] = idempotency_key or body.get("idempotency_key") or new_key()
        return self._c._call("benchmark.trade", path={"id": run_id}, body=_drop_none(body), idempotent=True)

    def list_trades(self, run_id: str) -> Any:
        """`GET /api/v1/runs/{id}/trades`."""
        return self._c._call("benchmark.list_trades", path={"id": run_id})

    def list_orders(self, run_id: str, status: Optional[str] = None) -> Any:
        """`GET /api/v1/runs/{id}/orders`: the run's orders as they stand (`status="open"` for the
        working ones). A VecTrade extension of the seeds' API."""
        return self._c._call("benchmark.list_orders", path={"id": run_id}, params={"status": status})

    def cancel_order(self, run_id: str, order_id: Any) -> Any:
        """`DELETE /api/v1/runs/{id}/orders/{order_id}`: cancels a working order of the run. A
        VecTrade extension of the seeds' API."""
        return self._c._call("benchmark.cancel_order", path={"id": run_id, "order_id": str(order_id)})

    def step(self, run_id: str, count: Optional[int] = None, *, idempotency_key: Optional[str] = None) -> Any:
        """Advance the run `count` bars (1 by default); retried with the same key, so a step is taken once."""
        body = _drop_none({"count": count, "idempotency_key": idempotency_key or new_key()})
        return self._c._call("benchmark.step", path={"id": run_id}, body=body, idempotent=True)

    def hold_until_end(
        self, run_id: str, max_bars: Optional[int] = None, *, require_flat: bool = False,
        idempotency_key: Optional[str] = None,
    ) -> Any:
        """Steps to the end (or `max_bars`) placing nothing new; with `require_flat`, refused while
        positions are open. Answers like `step`; retried with one idempotency key."""
        body = _drop_none({"max_bars": max_bars, "require_flat": require_flat or None,
                           "idempotency_key": idempotency_key or new_key()})
        return self._c._call("benchmark.hold_until_end", path={"id": run_id}, body=body, idempotent=True)

    def liquidate_and_finish(
        self, run_id: str, rationale: str, max_bars: Optional[int] = None, *, idempotency_key: Optional[str] = None
    ) -> Any:
        """Cancels the working orders, closes every position at the next open and steps to the end.
        Answers like `step`; retried with one idempotency key."""
        body = _drop_none({"rationale": rationale, "max_bars": max_bars, "idempotency_key": idempotency_key or new_key()})
        return self._c._call("benchmark.liquidate_and_finish", path={"id": run_id}, body=body, idempotent=True)

    def advance_until_next_session(
        self, run_id: str, max_bars: Optional[int] = None, *, idempotency_key: Optional[str] = None
    ) -> Any:
        """Steps into the next trading session (across closed-market gaps). Answers like `step`;
        retried with one idempotency key."""
        body = _drop_none({"max_bars": max_bars, "idempotency_key": idempotency_key or new_key()})
        return self._c._call("benchmark.advance_until_next_session", path={"id": run_id}, body=body, idempotent=True)

    def results(self, run_id: str) -> Any:
        """`GET /api/v1/runs/{id}/results`."""
        return self._c._call("benchmark.results", path={"id": run_id})

    def publish(self, run_id: str) -> Any:
        """`POST /api/v1/runs/{id}/publish`."""
        return self._c._call("benchmark.publish", path={"id": run_id})

    def public_run(self, run_id: str) -> Any:
        """`GET /api/v1/runs/{id}/public`."""
        return self._c._call("benchmark.public_run", path={"id": run_id})

    def leaderboard(
        self, scenario: Optional[str] = None, sort_by: Optional[str] = None, limit: Optional[int] = None
    ) -> Any:
        """`GET /api/v1/leaderboard`."""
        return self._c._call("benchmark.leaderboard", params={"scenario": scenario, "sort_by": sort_by, "limit": limit})

    def leaderboard_scenarios(self) -> Any:
        """`GET /api/v1/leaderboard/scenarios`."""
        return self._c._call("benchmark.leaderboard_scenarios")

    def billing_account(self) -> Any:
        """`GET /api/v1/billing/account`."""
        return self._c._call("benchmark.billing_account")

    def set_handle(self, handle: str) -> Any:
        """`PATCH /api/v1/billing/account`: the leaderboard handle (Pro)."""
        return self._c._call("benchmark.set_handle", body={"handle": handle})

    def checkout(self) -> Any:
        """`POST /api/v1/billing/checkout`."""
        return self._c._call("benchmark.checkout")

    def portal(self) -> Any:
        """`POST /api/v1/billing/portal`."""
        return self._c._call("benchmark.portal")

    def billing_local(self) -> Any:
        """The local server's page in place of a payment provider (text)."""
        return self._c._call("benchmark.billing_local")


class Agents(_Group):
    """Agents (seed 004), with the JWT of `client.auth.login`."""

    def create(
        self,
        display_name: str,
        *,
        starting_balance: Optional[Number] = None,
        risk_profile: Optional[Mapping[str, Any]] = None,
        **fields: Any,
    ) -> Any:
        """A new agent; its `api_key` is in the answer. Other fields: `color`, `framework`,
        `llm_model`, `strategy_tags`."""
        body = {
            "display_name": display_name,
            "starting_balance": starting_balance,
            "risk_profile": risk_profile,
            **fields,
        }
        if isinstance(body.get("starting_balance"), (int, Decimal)):
            body["starting_balance"] = str(body["starting_balance"])
        return self._c._call("agents.create", body=_drop_none(body))

    def list(
        self, *, include_archived: Optional[bool] = None, limit: Optional[int] = None, offset: Optional[int] = None
    ) -> Any:
        """One page: `{"agents": [...], "total": n}`. `iter()` walks every page."""
        params = {"include_archived": include_archived, "limit": limit, "offset": offset}
        return self._c._call("agents.list", params=params)

    def iter(self, *, include_archived: Optional[bool] = None, page_size: int = 50) -> Any:
        """Every agent, page after page (an async iterator on `AsyncClient`)."""
        return self._c._pages("agents.list", {"include_archived": include_archived}, "agents", page_size, path=None)

    def overview(self) -> Any:
        """`GET /api/v1/agents/overview`."""
        return self._c._call("agents.overview")

    def get(self, agent_id: str) -> Any:
        """`GET /api/v1/agents/{agent_id}`."""
        return self._c._call("agents.get", path={"agent_id": agent_id})

    def update(self, agent_id: str, **fields: Any) -> Any:
        """Change `display_name`, `color`, `framework`, `llm_model` or `strategy_tags`."""
        return self._c._call("agents.update", path={"agent_id": agent_id}, body=fields)

    def delete(self, agent_id: str) -> Any:
        """`DELETE /api/v1/agents/{agent_id}`."""
        return self._c._call("agents.delete", path={"agent_id": agent_id})

    def api_key(self, agent_id: str) -> Any:
        """`GET /api/v1/agents/{agent_id}/api-key`."""
        return self._c._call("agents.api_key", path={"agent_id": agent_id})

    def archive(self, agent_id: str) -> Any:
        """`POST /api/v1/agents/{agent_id}/archive`."""
        return self._c._call("agents.archive", path={"agent_id": agent_id})

    def clone(self, agent_id: str, new_name: Optional[str] = None) -> Any:
        """`POST /api/v1/agents/{agent_id}/clone`."""
        return self._c._call("agents.clone", path={"agent_id": agent_id}, params={"new_name": new_name})

    def regenerate_key(self, agent_id: str) -> Any:
        """`POST /api/v1/agents/{agent_id}/regenerate-key`."""
        return self._c._call("agents.regenerate_key", path={"agent_id": agent_id})

    def reset(self, agent_id: str) -> Any:
        """`POST /api/v1/agents/{agent_id}/reset`."""
        return self._c._call("agents.reset", path={"agent_id": agent_id})

    def risk_profile(self, agent_id: str) -> Any:
        """`GET /api/v1/agents/{agent_id}/risk-profile`."""
        return self._c._call("agents.risk_profile", path={"agent_id": agent_id})

    def set_risk_profile(self, agent_id: str, profile: Mapping[str, Any]) -> Any:
        """Replace the limits: `max_position_size_pct`, `daily_loss_limit_pct`, `max_open_orders`."""
        return self._c._call("agents.set_risk_profile", path={"agent_id": agent_id}, body=dict(profile))

    def skill_md(self, agent_id: str) -> Any:
        """`GET /api/v1/agents/{agent_id}/skill.md`."""
        return self._c._call("agents.skill_md", path={"agent_id": agent_id})


class Journal(_Group):
    """The bot trade journal (seed 002) under a bot's slug, with the account's key or a bot key."""

    def list_trades(
        self,
        slug: str,
        *,
        status: Optional[str] = None,
        symbol: Optional[str] = None,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
    ) -> Any:
        """One page: `{"success", "trades": [...], "total"}`. `iter_trades()` walks every page."""
        params = {"status": status, "symbol": symbol, "limit": limit, "offset": offset}
        return self._c._call("journal.list_trades", path={"slug": slug}, params=params)

    def iter_trades(
        self, slug: str, *, status: Optional[str] = None, symbol: Optional[str] = None, page_size: int = 50
    ) -> Any:
        """Every trade, page after page (an async iterator on `AsyncClient`)."""
        return self._c._pages(
            "journal.list_trades", {"status": status, "symbol": symbol}, "trades", page_size, path={"slug": slug}
        )

    def create_trade(self, slug: str, transactions: List[Mapping[str, Any]], **fields: Any) -> Any:
        """A trade from its first transactions; `symbol`, `tradeType`, `signalAt`, `notes`, `metadata`."""
        return self._c._call("journal.create_trade", path={"slug": slug}, body={"transactions": transactions, **fields})

    def get_trade(self, slug: str, trade_id: str) -> Any:
        """`GET /api/bots/{slug}/trades/{tradeId}`."""
        return self._c._call("journal.get_trade", path={"slug": slug, "tradeId": trade_id})

    def update_trade(self, slug: str, trade_id: str, **fields: Any) -> Any:
        """Change `notes`, `metadata` or `signalAt`."""
        return self._c._call("journal.update_trade", path={"slug": slug, "tradeId": trade_id}, body=fields)

    def add_transactions(self, slug: str, trade_id: str, transactions: List[Mapping[str, Any]]) -> Any:
        """`POST /api/bots/{slug}/trades/{tradeId}/transactions`."""
        return self._c._call(
            "journal.add_transactions", path={"slug": slug, "tradeId": trade_id}, body={"transactions": transactions}
        )
