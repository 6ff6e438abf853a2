"""The one table of the client's operations: each client method (`group.method`) with the
operationId, HTTP method and path of the server's OpenAPI document and the credentials it sends.
The client builds every request from this table; a test checks it against server/openapi.json."""

from __future__ import annotations

from typing import Dict, NamedTuple

# Credentials per route family (server/README.md, "What it serves").
NONE = "none"  # public routes
KEY = "key"  # benchmark: the account's or an agent's key as X-API-Key, else the login JWT as Bearer
BOT = "bot"  # bot trading: X-Bot-Key, else an agent's key as X-API-Key
JWT = "jwt"  # agents and bot key management: Authorization: Bearer <JWT from auth.login>
JOURNAL = "journal"  # trade journal: x-api-key (the account's key or a bot key)
OPERATOR = "operator"  # the local server's operator routes: X-Operator-Token


class Operation(NamedTuple):
    operation_id: str
    method: str
    path: str
    auth: str


OPERATIONS: Dict[str, Operation] = {
    # meta
    "meta.health": Operation("health", "GET", "/api/health", NONE),
    "meta.health_v1": Operation("health_v1", "GET", "/api/v1/health", NONE),
    "meta.openapi": Operation("openapi_json", "GET", "/api/openapi.json", NONE),
    "meta.docs": Operation("docs_page", "GET", "/api/docs", NONE),
    "meta.llms_txt": Operation("llms_txt", "GET", "/api/llms.txt", NONE),
    "meta.agent_skills": Operation("agent_skills", "GET", "/api/agent-skills.md", NONE),
    "meta.advance_market": Operation("advance_market", "POST", "/api/v1/operator/market/advance", OPERATOR),
    # accounts (seed 004)
    "auth.register": Operation("register", "POST", "/api/v1/auth/register", NONE),
    "auth.login": Operation("login", "POST", "/api/v1/auth/login", NONE),
    # bot trading (seed 000)
    "bot.list_keys": Operation("list_keys", "GET", "/api/trade/v1/bot/keys", JWT),
    "bot.create_key": Operation("create_key", "POST", "/api/trade/v1/bot/keys", JWT),
    "bot.revoke_key": Operation("revoke_key", "DELETE", "/api/trade/v1/bot/keys/{id}", JWT),
    "bot.account": Operation("account", "GET", "/api/trade/v1/bot/account", BOT),
    "bot.place_order": Operation("place_order", "POST", "/api/trade/v1/bot/orders", BOT),
    "bot.list_orders": Operation("list_orders", "GET", "/api/trade/v1/bot/orders", BOT),
    "bot.get_order": Operation("get_order", "GET", "/api/trade/v1/bot/orders/{id}", BOT),
    "bot.cancel_order": Operation("cancel_order", "DELETE", "/api/trade/v1/bot/orders/{id}", BOT),
    "bot.portfolio": Operation("portfolio", "GET", "/api/trade/v1/bot/portfolio", BOT),
    "bot.kpi": Operation("kpi", "GET", "/api/trade/v1/bot/kpi", BOT),
    # benchmark (seeds 001 and 003)
    "benchmark.list_scenarios": Operation("list_scenarios", "GET", "/api/v1/scenarios", NONE),
    "benchmark.get_scenario": Operation("get_scenario", "GET", "/api/v1/scenarios/{id}", NONE),
    "benchmark.create_run": Operation("create_run", "POST", "/api/v1/runs", KEY),
    "benchmark.get_run": Operation("get_run", "GET", "/api/v1/runs/{id}", KEY),
    "benchmark.market": Operation("market", "GET", "/api/v1/runs/{id}/market", KEY),
    "benchmark.trade": Operation("queue_trade", "POST", "/api/v1/runs/{id}/trades", KEY),
    "benchmark.list_trades": Operation("list_trades", "GET", "/api/v1/runs/{id}/trades", KEY),
    "benchmark.list_orders": Operation("list_run_orders", "GET", "/api/v1/runs/{id}/orders", KEY),
    "benchmark.cancel_order": Operation("cancel_run_order", "DELETE", "/api/v1/runs/{id}/orders/{order_id}", KEY),
    "benchmark.step": Operation("step", "POST", "/api/v1/runs/{id}/step", KEY),
    "benchmark.hold_until_end": Operation("hold_until_end", "POST", "/api/v1/runs/{id}/hold-until-end", KEY),
    "benchmark.liquidate_and_finish": Operation(
        "liquidate_and_finish", "POST", "/api/v1/runs/{id}/liquidate-and-finish", KEY
    ),
    "benchmark.advance_until_next_session": Operation(
        "advance_until_next_session", "POST", "/api/v1/runs/{id}/advance-until-next-session", KEY
    ),
    "benchmark.results": Operation("results", "GET", "/api/v1/runs/{id}/results", KEY),
    "benchmark.publish": Operation("publish", "POST", "/api/v1/runs/{id}/publish", KEY),
    "benchmark.public_run": Operation("public_run", "GET", "/api/v1/runs/{id}/public", NONE),
    "benchmark.leaderboard": Operation("leaderboard", "GET", "/api/v1/leaderboard", NONE),
    "benchmark.leaderboard_scenarios": Operation("leaderboard_scenarios", "GET", "/api/v1/leaderboard/scenarios", NONE),
    "benchmark.billing_account": Operation("billing_account", "GET", "/api/v1/billing/account", KEY),
    "benchmark.set_handle": Operation("set_handle", "PATCH", "/api/v1/billing/account", KEY),
    "benchmark.checkout": Operation("checkout", "POST", "/api/v1/billing/checkout", KEY),
    "benchmark.portal": Operation("portal", "POST", "/api/v1/billing/portal", KEY),
    "benchmark.billing_local": Operation("billing_local", "GET", "/api/v1/billing/local", NONE),
    # agents (seed 004)
    "agents.create": Operation("create_agent", "POST", "/api/v1/agents", JWT),
    "agents.list": Operation("list_agents", "GET", "/api/v1/agents", JWT),
    "agents.overview": Operation("overview", "GET", "/api/v1/agents/overview", JWT),
    "agents.get": Operation("get_agent", "GET", "/api/v1/agents/{agent_id}", JWT),
    "agents.update": Operation("update_agent", "PUT", "/api/v1/agents/{agent_id}", JWT),
    "agents.delete": Operation("delete_agent", "DELETE", "/api/v1/agents/{agent_id}", JWT),
    "agents.api_key": Operation("get_key", "GET", "/api/v1/agents/{agent_id}/api-key", JWT),
    "agents.archive": Operation("archive_agent", "POST", "/api/v1/agents/{agent_id}/archive", JWT),
    "agents.clone": Operation("clone_agent", "POST", "/api/v1/agents/{agent_id}/clone", JWT),
    "agents.regenerate_key": Operation("regenerate_key", "POST", "/api/v1/agents/{agent_id}/regenerate-key", JWT),
    "agents.reset": Operation("reset_agent", "POST", "/api/v1/agents/{agent_id}/reset", JWT),
    "agents.risk_profile": Operation("get_risk", "GET", "/api/v1/agents/{agent_id}/risk-profile", JWT),
    "agents.set_risk_profile": Operation("put_risk", "PUT", "/api/v1/agents/{agent_id}/risk-profile", JWT),
    "agents.skill_md": Operation("skill_md", "GET", "/api/v1/agents/{agent_id}/skill.md", JWT),
    # trade journal (seed 002)
    "journal.list_trades": Operation("list_journal_trades", "GET", "/api/bots/{slug}/trades", JOURNAL),
    "journal.create_trade": Operation("create_trade", "POST", "/api/bots/{slug}/trades", JOURNAL),
    "journal.get_trade": Operation("get_trade", "GET", "/api/bots/{slug}/trades/{tradeId}", JOURNAL),
    "journal.update_trade": Operation("update_trade", "PATCH", "/api/bots/{slug}/trades/{tradeId}", JOURNAL),
    "journal.add_transactions": Operation(
        "add_transactions", "POST", "/api/bots/{slug}/trades/{tradeId}/transactions", JOURNAL
    ),
}
