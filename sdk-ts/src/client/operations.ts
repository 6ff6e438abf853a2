/**
 * The one table of the client's operations: each client method (`group.method`) with the
 * operationId, HTTP method and path of the server's OpenAPI document and the credentials it sends.
 * The client builds every request from this table; a test checks it against server/openapi.json
 * both ways. The same rows as the Python client's `_operations.py`, names in camelCase.
 */

/**
 * Credentials per route family (server/README.md, "What it serves"): `none` public; `key` the
 * account's or an agent's key as X-API-Key, else the login JWT as Bearer (benchmark); `bot`
 * X-Bot-Key, else an agent's key as X-API-Key; `jwt` Authorization: Bearer from `auth.login`
 * (agents, bot keys); `journal` x-api-key (the account's key or a bot key); `operator`
 * X-Operator-Token (the local server's operator routes).
 */
export type Credential = "none" | "key" | "bot" | "jwt" | "journal" | "operator";

/** One row of the table. */
export interface Operation {
  readonly operationId: string;
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  readonly path: string;
  readonly auth: Credential;
}

const op = (operationId: string, method: Operation["method"], path: string, auth: Credential): Operation => ({ operationId, method, path, auth });

export const OPERATIONS = {
  // meta
  "meta.health": op("health", "GET", "/api/health", "none"),
  "meta.healthV1": op("health_v1", "GET", "/api/v1/health", "none"),
  "meta.openapi": op("openapi_json", "GET", "/api/openapi.json", "none"),
  "meta.docs": op("docs_page", "GET", "/api/docs", "none"),
  "meta.llmsTxt": op("llms_txt", "GET", "/api/llms.txt", "none"),
  "meta.agentSkills": op("agent_skills", "GET", "/api/agent-skills.md", "none"),
  "meta.advanceMarket": op("advance_market", "POST", "/api/v1/operator/market/advance", "operator"),
  // auth
  "auth.register": op("register", "POST", "/api/v1/auth/register", "none"),
  "auth.login": op("login", "POST", "/api/v1/auth/login", "none"),
  // bot
  "bot.listKeys": op("list_keys", "GET", "/api/trade/v1/bot/keys", "jwt"),
  "bot.createKey": op("create_key", "POST", "/api/trade/v1/bot/keys", "jwt"),
  "bot.revokeKey": op("revoke_key", "DELETE", "/api/trade/v1/bot/keys/{id}", "jwt"),
  "bot.account": op("account", "GET", "/api/trade/v1/bot/account", "bot"),
  "bot.placeOrder": op("place_order", "POST", "/api/trade/v1/bot/orders", "bot"),
  "bot.listOrders": op("list_orders", "GET", "/api/trade/v1/bot/orders", "bot"),
  "bot.getOrder": op("get_order", "GET", "/api/trade/v1/bot/orders/{id}", "bot"),
  "bot.cancelOrder": op("cancel_order", "DELETE", "/api/trade/v1/bot/orders/{id}", "bot"),
  "bot.portfolio": op("portfolio", "GET", "/api/trade/v1/bot/portfolio", "bot"),
  "bot.kpi": op("kpi", "GET", "/api/trade/v1/bot/kpi", "bot"),
  // benchmark
  "benchmark.listScenarios": op("list_scenarios", "GET", "/api/v1/scenarios", "none"),
  "benchmark.getScenario": op("get_scenario", "GET", "/api/v1/scenarios/{id}", "none"),
  "benchmark.createRun": op("create_run", "POST", "/api/v1/runs", "key"),
  "benchmark.getRun": op("get_run", "GET", "/api/v1/runs/{id}", "key"),
  "benchmark.market": op("market", "GET", "/api/v1/runs/{id}/market", "key"),
  "benchmark.trade": op("queue_trade", "POST", "/api/v1/runs/{id}/trades", "key"),
  "benchmark.listTrades": op("list_trades", "GET", "/api/v1/runs/{id}/trades", "key"),
  "benchmark.listOrders": op("list_run_orders", "GET", "/api/v1/runs/{id}/orders", "key"),
  "benchmark.cancelOrder": op("cancel_run_order", "DELETE", "/api/v1/runs/{id}/orders/{order_id}", "key"),
  "benchmark.step": op("step", "POST", "/api/v1/runs/{id}/step", "key"),
  "benchmark.holdUntilEnd": op("hold_until_end", "POST", "/api/v1/runs/{id}/hold-until-end", "key"),
  "benchmark.liquidateAndFinish": op("liquidate_and_finish", "POST", "/api/v1/runs/{id}/liquidate-and-finish", "key"),
  "benchmark.advanceUntilNextSession": op("advance_until_next_session", "POST", "/api/v1/runs/{id}/advance-until-next-session", "key"),
  "benchmark.results": op("results", "GET", "/api/v1/runs/{id}/results", "key"),
  "benchmark.publish": op("publish", "POST", "/api/v1/runs/{id}/publish", "key"),
  "benchmark.publicRun": op("public_run", "GET", "/api/v1/runs/{id}/public", "none"),
  "benchmark.leaderboard": op("leaderboard", "GET", "/api/v1/leaderboard", "none"),
  "benchmark.leaderboardScenarios": op("leaderboard_scenarios", "GET", "/api/v1/leaderboard/scenarios", "none"),
  "benchmark.billingAccount": op("billing_account", "GET", "/api/v1/billing/account", "key"),
  "benchmark.setHandle": op("set_handle", "PATCH", "/api/v1/billing/account", "key"),
  "benchmark.checkout": op("checkout", "POST", "/api/v1/billing/checkout", "key"),
  "benchmark.portal": op("portal", "POST", "/api/v1/billing/portal", "key"),
  "benchmark.billingLocal": op("billing_local", "GET", "/api/v1/billing/local", "none"),
  // agents
  "agents.create": op("create_agent", "POST", "/api/v1/agents", "jwt"),
  "agents.list": op("list_agents", "GET", "/api/v1/agents", "jwt"),
  "agents.overview": op("overview", "GET", "/api/v1/agents/overview", "jwt"),
  "agents.get": op("get_agent", "GET", "/api/v1/agents/{agent_id}", "jwt"),
  "agents.update": op("update_agent", "PUT", "/api/v1/agents/{agent_id}", "jwt"),
  "agents.delete": op("delete_agent", "DELETE", "/api/v1/agents/{agent_id}", "jwt"),
  "agents.apiKey": op("get_key", "GET", "/api/v1/agents/{agent_id}/api-key", "jwt"),
  "agents.archive": op("archive_agent", "POST", "/api/v1/agents/{agent_id}/archive", "jwt"),
  "agents.clone": op("clone_agent", "POST", "/api/v1/agents/{agent_id}/clone", "jwt"),
  "agents.regenerateKey": op("regenerate_key", "POST", "/api/v1/agents/{agent_id}/regenerate-key", "jwt"),
  "agents.reset": op("reset_agent", "POST", "/api/v1/agents/{agent_id}/reset", "jwt"),
  "agents.riskProfile": op("get_risk", "GET", "/api/v1/agents/{agent_id}/risk-profile", "jwt"),
  "agents.setRiskProfile": op("put_risk", "PUT", "/api/v1/agents/{agent_id}/risk-profile", "jwt"),
  "agents.skillMd": op("skill_md", "GET", "/api/v1/agents/{agent_id}/skill.md", "jwt"),
  // journal
  "journal.listTrades": op("list_journal_trades", "GET", "/api/bots/{slug}/trades", "journal"),
  "journal.createTrade": op("create_trade", "POST", "/api/bots/{slug}/trades", "journal"),
  "journal.getTrade": op("get_trade", "GET", "/api/bots/{slug}/trades/{tradeId}", "journal"),
  "journal.updateTrade": op("update_trade", "PATCH", "/api/bots/{slug}/trades/{tradeId}", "journal"),
  "journal.addTransactions": op("add_transactions", "POST", "/api/bots/{slug}/trades/{tradeId}/transactions", "journal"),
} as const satisfies Record<string, Operation>;

/** A method name of the table (`"bot.placeOrder"`, ...). */
export type OperationName = keyof typeof OPERATIONS;
