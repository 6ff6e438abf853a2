// Every operation of server/openapi.json through `vt.Client`, against the real local server started
// as a user would: what each answers, money as decimal strings, pagination, the credentials of each
// family, the latest response's headers, and a debug log that names every operation and no secret.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import * as vt from "@vectrade/sdk";
import { startServer, type LocalServer } from "./client-server.js";

let server: LocalServer;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

/** The table's operation of a logged `METHOD /path` (a literal path before a template that matches it too). */
function operationOf(method: string, path: string): string {
  const rows = Object.entries(vt.OPERATIONS)
    .map(([name, op]) => [name, op.method, new RegExp("^" + op.path.replace(/\{[^}]+\}/g, "[^/]+") + "$"), op.path.split("{").length] as const)
    .sort((a, b) => a[3] - b[3]);
  const row = rows.find(([, m, re]) => m === method && re.test(path));
  assert.ok(row, `${method} ${path} is no operation of the table`);
  return row[0];
}

/** A decimal string without trailing zeros (`"150.00000000"` → `"150"`): the value, whatever scale the server writes. */
const dec = (s: string | null | undefined): string => (s ?? "").includes(".") ? (s ?? "").replace(/\.?0+$/, "") : (s ?? "");

const TX = {
  transactionGroup: "entry",
  symbol: "AAPL",
  assetType: "stock",
  side: "buy",
  type: "market",
  quantity: "10", // a JSON number on the wire, as the document's schema says
  transactionDate: "2024-04-01T14:30:00",
  filledPrice: "170.5", // a decimal string on the wire
  filledQuantity: "10",
  status: "filled",
};
const EXIT = { ...TX, transactionGroup: "exit", side: "sell", exitType: "take_profit", transactionDate: "2024-04-02T14:30:00", filledPrice: "175.25" };

test("every operation of the document through vt.Client", async () => {
  const log: string[] = [];
  const c = new vt.Client({ baseUrl: server.baseUrl, apiKey: server.apiKey, botKey: server.botKey, operatorToken: server.operatorToken, logger: (l) => log.push(l) });

  // meta
  assert.equal((await c.meta.health()).status, "ok");
  assert.equal((await c.meta.healthV1()).status, "ok");
  const doc = await c.meta.openapi();
  assert.equal(Object.values(doc["paths"] as Record<string, object>).flatMap((ops) => Object.keys(ops)).length, 61);
  assert.match((await c.meta.docs()).toLowerCase(), /<html/);
  assert.match(await c.meta.llmsTxt(), /VecTrade/);
  assert.match((await c.meta.agentSkills()).toLowerCase(), /agent/);
  assert.equal((await c.meta.advanceMarket(2))["advanced"], 2);

  // accounts: register, and login keeps the JWT for the management routes
  const other = await c.auth.register("second");
  assert.ok(other.api_key.startsWith("ak_") && other.api_secret.startsWith("sk_"));
  assert.equal(c.token, undefined);
  const token = await c.auth.login(server.apiKey, server.apiSecret);
  assert.equal(token.token_type, "Bearer");
  assert.equal(c.token, token.token);

  // bot keys (JWT): the Free plan has one, so a second is refused until the first is revoked
  const keys = await c.bot.listKeys();
  assert.deepEqual(keys.map((k) => k.revoked), [false]);
  await assert.rejects(c.bot.createKey("second"), (e: unknown) => e instanceof vt.PermissionDenied && e.status === 403 && e.code === "bot_key_limit");
  assert.equal(await c.bot.revokeKey(keys[0]!.id), undefined);
  await assert.rejects(c.bot.account(), vt.AuthenticationError); // the revoked key
  const created = await c.bot.createKey("client");
  c.setCredentials({ botKey: created.key });

  // bot trading: account, orders, portfolio, KPIs; money as decimal strings
  const account = await c.bot.account();
  assert.equal(account.balance, "100000.00"); // the server's digits, as sent
  const limit = await c.bot.placeOrder(vt.Order.limit("AAPL", "buy", 10, "150"));
  assert.equal(limit.status, "OPEN");
  assert.equal(dec(limit.limit_price), "150");
  assert.ok(limit.client_order_id);
  const market = await c.bot.placeOrder({ symbol: "AAPL", side: "BUY", quantity: "5" });
  await server.advance(1);
  const filled = await c.bot.getOrder(market.id);
  assert.equal(filled.status, "FILLED");
  assert.equal(dec(filled.filled_quantity), "5");
  assert.equal(typeof filled.filled_price, "string");
  assert.deepEqual(new Set((await c.bot.listOrders()).map((o) => o.id)), new Set([limit.id, market.id]));
  assert.deepEqual((await c.bot.listOrders({ status: "FILLED", limit: 10 })).map((o) => o.id), [market.id]);
  assert.equal(await c.bot.cancelOrder(limit.id), undefined);
  assert.equal((await c.bot.getOrder(limit.id)).status, "CANCELLED");
  const portfolio = await c.bot.portfolio();
  assert.deepEqual(portfolio.positions.map((p) => [p.symbol, dec(p.quantity)]), [["AAPL", "5"]]);
  assert.equal(typeof portfolio.balance, "string");
  assert.ok((await c.bot.kpi()).rank_total >= 1);
  assert.equal(c.lastResponse?.status, 200);
  assert.equal(typeof c.lastResponse?.rateLimitRemaining, "number"); // X-RateLimit-Remaining of the bot routes

  // benchmark: scenarios, a run driven to its end, results, publish, leaderboard, billing
  assert.ok((await c.benchmark.listScenarios()).scenarios.some((s) => s.slug === "tech-2024-q2"));
  assert.equal((await c.benchmark.getScenario("tech-2024-q2")).scenario.slug, "tech-2024-q2");
  const run = await c.benchmark.startRun("tech-2024-q2", { botName: "ts-client" });
  assert.ok(run instanceof vt.RemoteRun);
  assert.equal(dec(run.data.cash), "100000");
  assert.equal(run.done, false);
  const bars = (await run.market({ symbols: ["AAPL"], lookback: 2 })).bars;
  assert.deepEqual(Object.keys(bars), ["AAPL"]);
  assert.equal(typeof bars["AAPL"]!.at(-1)!.close, "string");
  assert.equal(typeof bars["AAPL"]!.at(-1)!.volume, "string");
  // money crosses as its digits both ways (at most 8 places, the server's limit)
  const exactOrder = { symbol: "AAPL", side: "buy", quantity: "0.1", order_type: "LIMIT", limit_price: "100.12345678", idempotency_key: "exact-1" };
  const exact = (await run.trade(exactOrder)).order;
  assert.equal(dec(exact.limit_price), "100.12345678");
  assert.equal(dec(exact.quantity), "0.1");
  // one more in the last place is another request
  await assert.rejects(run.trade({ ...exactOrder, limit_price: "100.12345679" }), vt.IdempotencyConflict);
  const queued = (await run.trade(vt.Order.market("AAPL", "buy", 10))).order;
  assert.equal(queued.status, "OPEN");
  assert.equal(dec(queued.quantity), "10");
  // the run's orders, and cancelling a working one (once: then it is no longer working)
  assert.deepEqual((await run.orders({ status: "open" })).orders.map((o) => o.id), [exact.id, queued.id]);
  assert.equal((await c.benchmark.cancelOrder(run.id, exact.id)).order.status, "CANCELLED");
  assert.equal((await run.cancel(exact.id)).order.status, "CANCELLED"); // a repeated cancel answers the cancelled order
  assert.deepEqual((await c.benchmark.listOrders(run.id)).orders.map((o) => [o.id, o.status]), [[exact.id, "CANCELLED"], [queued.id, "OPEN"]]);
  assert.deepEqual((await run.orders({ status: "open" })).orders.map((o) => o.id), [queued.id]);
  const step = await run.step();
  assert.equal(step.bars_advanced, 1);
  assert.deepEqual(step.fills.map((f) => f.order_id), [queued.id]);
  assert.deepEqual((await run.trades()).trades.map((t) => t.order_id), [queued.id]);
  await assert.rejects(run.cancel(queued.id), (e: unknown) => e instanceof vt.InvalidState && e.code === "order_not_cancellable"); // filled
  assert.equal((await run.get()).run.cash, step.cash);
  assert.equal((await c.benchmark.getRun(run.id)).positions[0]!.symbol, "AAPL");
  // the seeds' MCP loop verbs: next session, hold (refused while not flat when asked), liquidate
  const session = await c.benchmark.advanceUntilNextSession(run.id, { maxBars: 10 });
  assert.ok(session.bars_advanced >= 1 && session.bars_advanced <= 10 && !session.done);
  await assert.rejects(run.holdUntilEnd({ requireFlat: true }), (e: unknown) => e instanceof vt.InvalidState && e.code === "positions_open");
  assert.equal((await c.benchmark.holdUntilEnd(run.id, { maxBars: 3 })).bars_advanced, 3);
  assert.equal((await run.advanceUntilNextSession({ maxBars: 1 })).bars_advanced, 1);
  const closing = await c.benchmark.liquidateAndFinish(run.id, "end of the test", { maxBars: 2 });
  assert.deepEqual(closing.fills.map((f) => [f.symbol, f.side, dec(f.quantity)]), [["AAPL", "sell", "10"]]);
  assert.equal(closing.done, false);
  assert.ok((await run.liquidateAndFinish("flat already")).done);
  assert.ok(run.done);
  await assert.rejects(run.holdUntilEnd(), vt.RunFinished);
  const results = (await run.results()).results;
  assert.equal(results.trade_count, 2);
  assert.equal(typeof results.final_equity, "string");
  assert.equal((await run.publish()).published, true);
  assert.equal((await c.benchmark.publicRun(run.id)).run.bot_name, "ts-client");
  assert.deepEqual((await c.benchmark.leaderboard({ scenario: "tech-2024-q2", sortBy: "return_pct", limit: 5 })).leaderboard.map((r) => r.run_id), [run.id]);
  assert.ok((await c.benchmark.leaderboardScenarios()).scenarios.some((s) => s.published_runs === 1));
  const billing = await c.benchmark.billingAccount();
  assert.equal(billing.plan, "free");
  assert.equal(billing.runs_used, 1);
  await assert.rejects(c.benchmark.setHandle("ts_handle"), vt.PermissionDenied); // handles are for Pro accounts
  assert.match((await c.benchmark.checkout()).url, /\/api\/v1\/billing\/local$/);
  assert.match((await c.benchmark.portal()).url, /\/api\/v1\/billing\/local$/);
  assert.match(await c.benchmark.billingLocal(), /no payments/);

  // agents (JWT): every route of seed 004, and the paging iterator
  const first = await c.agents.create("agent-1", { starting_balance: "5000.10", framework: "node-test" });
  assert.equal(dec(first.starting_balance), "5000.1");
  assert.ok(first.api_key.startsWith("ak_"));
  const aid = first.agent_id;
  const second = await c.agents.clone(aid, "agent-2");
  const page = await c.agents.list({ limit: 1 });
  assert.equal(page.total, 2);
  assert.equal(page.agents.length, 1);
  const walked: string[] = [];
  for await (const a of c.agents.iter({ pageSize: 1 })) walked.push(a.display_name);
  assert.deepEqual(walked, ["agent-1", "agent-2"]);
  assert.equal((await c.agents.overview()).agents.length, 2);
  assert.equal((await c.agents.get(aid)).framework, "node-test");
  assert.equal((await c.agents.update(aid, { color: "#112233" })).color, "#112233");
  assert.equal((await c.agents.apiKey(aid)).api_key, first.api_key);
  assert.notEqual((await c.agents.regenerateKey(aid)).api_key, first.api_key);
  assert.equal((await c.agents.reset(aid)).id, aid);
  assert.equal((await c.agents.riskProfile(aid)).max_open_orders, 50);
  const profile = { max_position_size_pct: 10, daily_loss_limit_pct: 5, max_open_orders: 3 };
  assert.deepEqual(await c.agents.setRiskProfile(aid, profile), profile);
  assert.match(await c.agents.skillMd(aid), new RegExp(aid));
  assert.equal((await c.agents.archive(aid)).status, "archived");
  const live: string[] = [];
  for await (const a of c.agents.iter()) live.push(a.id);
  assert.deepEqual(live, [second.agent_id]);
  assert.equal(await c.agents.delete(second.agent_id), undefined);
  await assert.rejects(c.agents.get(second.agent_id), vt.NotFound);

  // journal (the account's key as x-api-key)
  const trade = (await c.journal.createTrade("ts-bot", [TX], { notes: "first" })).trade;
  assert.equal(trade.status, "open");
  assert.equal(dec(trade.transactions[0]!.filledPrice), "170.5");
  assert.equal((await c.journal.getTrade("ts-bot", trade.id)).trade.notes, "first");
  assert.equal((await c.journal.updateTrade("ts-bot", trade.id, { notes: "second" })).trade.notes, "second");
  const closed = await c.journal.addTransactions("ts-bot", trade.id, [EXIT]);
  assert.equal(closed.transactionsAdded, 1);
  assert.equal(closed.trade.status, "closed");
  const otherTrade = (await c.journal.createTrade("ts-bot", [{ ...TX, symbol: "MSFT" }])).trade;
  const listed = await c.journal.listTrades("ts-bot", { limit: 1 });
  assert.equal(listed.total, 2);
  assert.equal(listed.trades.length, 1);
  const ids = new Set<string>();
  for await (const t of c.journal.iterTrades("ts-bot", { pageSize: 1 })) ids.add(t.id);
  assert.deepEqual(ids, new Set([trade.id, otherTrade.id]));
  const msft: string[] = [];
  for await (const t of c.journal.iterTrades("ts-bot", { symbol: "MSFT" })) msft.push(t.id);
  assert.deepEqual(msft, [otherTrade.id]);

  // the latest response's headers are reachable
  const last = c.lastResponse;
  assert.ok(last !== undefined);
  assert.equal(last.status, 200);
  assert.equal(last.requestId, last.headers["x-request-id"]);
  assert.equal(last.attempts, 1);

  // the debug log names every operation of the table, and never a secret
  const seen = new Set(log.map((l) => {
    const [method, path] = l.split(" ");
    return operationOf(method!, path!);
  }));
  assert.deepEqual([...Object.keys(vt.OPERATIONS)].filter((n) => !seen.has(n)), []);
  const secrets = [server.apiKey, server.apiSecret, server.botKey, server.operatorToken, created.key, token.token];
  assert.ok(log.every((l) => secrets.every((s) => !l.includes(s))));
});

test("configuration comes from the environment", async () => {
  const saved = { ...process.env };
  try {
    process.env["VECTRADE_BASE_URL"] = server.baseUrl + "/";
    process.env["VECTRADE_API_KEY"] = server.apiKey;
    process.env["VECTRADE_BOT_KEY"] = server.botKey;
    const c = new vt.Client();
    assert.equal(c.baseUrl, server.baseUrl);
    assert.equal(typeof (await c.benchmark.billingAccount()).runs_used, "number"); // X-API-Key from VECTRADE_API_KEY
    delete process.env["VECTRADE_BASE_URL"];
    assert.equal(new vt.Client().baseUrl, vt.DEFAULT_BASE_URL);
    assert.throws(() => new vt.Client({ baseUrl: "127.0.0.1:8080" }), /must start with http/);
    // an agent's key works on the bot routes as X-API-Key when no bot key is given
    delete process.env["VECTRADE_BOT_KEY"];
    const owner = new vt.Client({ baseUrl: server.baseUrl, apiKey: server.apiKey });
    await owner.auth.login(server.apiKey, server.apiSecret);
    const agent = await owner.agents.create("env-agent");
    const asAgent = new vt.Client({ baseUrl: server.baseUrl, apiKey: agent.api_key });
    assert.equal((await asAgent.bot.account()).balance, "10000.00");
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
});
