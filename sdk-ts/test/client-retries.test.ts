// Retries against the real local server behind a fault-injecting proxy: a connection dropped after
// the server took the order, a 503, a 429 with Retry-After, an answer slower than the timeout. Only
// requests safe to repeat are retried, an order placed through a flaky connection exists exactly
// once on the server, and an aborted signal stops a call at once with its reason.
import assert from "node:assert/strict";
import { after, afterEach, before, beforeEach, test } from "node:test";

import * as vt from "@vectrade/sdk";
import { FaultProxy, startServer, type LocalServer } from "./client-server.js";

const ORDERS = "/api/trade/v1/bot/orders";
let server: LocalServer;
let proxy: FaultProxy;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});
beforeEach(async () => {
  proxy = await FaultProxy.start(server.baseUrl);
});
afterEach(async () => {
  await proxy.close();
});

test("an order through a flaky connection exists once", async () => {
  // the first attempt reaches the server and its answer is lost; the second meets a 503; the third goes through
  proxy.fail("POST", ORDERS, { kind: "drop" }, { kind: "status", status: 503 });
  const flaky = new vt.Client({ baseUrl: proxy.url, botKey: server.botKey });
  const order = await flaky.bot.placeOrder(vt.Order.market("AAPL", "buy", 7));
  assert.equal(flaky.lastResponse?.attempts, 3);
  assert.equal(proxy.count("POST", ORDERS), 3);
  const direct = new vt.Client({ baseUrl: server.baseUrl, botKey: server.botKey });
  assert.deepEqual((await direct.bot.listOrders()).map((o) => [o.id, o.client_order_id]), [[order.id, order.client_order_id]]);
  await server.advance(1);
  assert.equal(Number((await direct.bot.portfolio()).positions[0]!.quantity), 7);
});

test("benchmark trades and steps are retried with the same key", async () => {
  const c = new vt.Client({ baseUrl: proxy.url, apiKey: server.apiKey });
  const run = await c.benchmark.startRun("tech-2024-q2");
  const before = (await run.get()).run.sim_time;
  proxy.fail("POST", `/api/v1/runs/${run.id}/trades`, { kind: "drop" }, { kind: "drop" });
  await run.trade({ symbol: "AAPL", side: "buy", quantity: 3 });
  proxy.fail("POST", `/api/v1/runs/${run.id}/step`, { kind: "drop" });
  const step = await run.step();
  assert.equal(step.bars_advanced, 1);
  assert.equal(step.fills.length, 1);
  assert.equal(Number(step.fills[0]!.quantity), 3);
  const detail = await run.get();
  assert.equal(proxy.count("POST", `/api/v1/runs/${run.id}/trades`), 3);
  assert.equal(proxy.count("POST", `/api/v1/runs/${run.id}/step`), 2);
  // one order, one bar: the clock moved once although the server took the step twice
  const direct = new vt.Client({ baseUrl: server.baseUrl, apiKey: server.apiKey });
  assert.equal((await direct.benchmark.listTrades(run.id)).trades.length, 1);
  const now = (await direct.benchmark.getRun(run.id)).run.sim_time;
  assert.equal(now, detail.run.sim_time);
  assert.notEqual(now, before);
  // the seeds' MCP verbs too: a dropped answer is retried with its key, the bars advanced once
  proxy.fail("POST", `/api/v1/runs/${run.id}/advance-until-next-session`, { kind: "drop" });
  const session = await run.advanceUntilNextSession({ maxBars: 20 });
  proxy.fail("POST", `/api/v1/runs/${run.id}/hold-until-end`, { kind: "drop" });
  const held = await run.holdUntilEnd({ maxBars: 4 });
  assert.equal(held.bars_advanced, 4);
  proxy.fail("POST", `/api/v1/runs/${run.id}/liquidate-and-finish`, { kind: "drop" });
  const closed = await run.liquidateAndFinish("retried once", { maxBars: 2 });
  assert.deepEqual(closed.fills.map((f) => [f.side, Number(f.quantity)]), [["sell", 3]]);
  for (const verb of ["advance-until-next-session", "hold-until-end", "liquidate-and-finish"]) assert.equal(proxy.count("POST", `/api/v1/runs/${run.id}/${verb}`), 2, verb);
  assert.equal((await direct.benchmark.getRun(run.id)).run.sim_time, closed.new_sim_time);
  assert.equal((await direct.benchmark.listTrades(run.id)).trades.length, 2);
  assert.ok(session.bars_advanced >= 1);
});

test("run creation and unkeyed POSTs are not retried", async () => {
  const fresh = await new vt.Client({ baseUrl: server.baseUrl }).auth.register("no-retry");
  const c = new vt.Client({ baseUrl: proxy.url, apiKey: fresh.api_key });
  proxy.fail("POST", "/api/v1/runs", { kind: "drop" });
  await assert.rejects(c.benchmark.createRun("tech-2024-q2"), vt.ConnectionError);
  assert.equal(proxy.count("POST", "/api/v1/runs"), 1);
  // the server did start that run: a blind retry would have started (and counted) a second one
  assert.equal((await c.benchmark.billingAccount()).runs_used, 1);
  proxy.fail("POST", "/api/v1/auth/register", { kind: "status", status: 503 });
  await assert.rejects(c.auth.register(), vt.ServerError);
  assert.equal(proxy.count("POST", "/api/v1/auth/register"), 1);
});

test("GETs are retried on 5xx and timeouts with backoff; retries per client and per call", async () => {
  proxy.fail("GET", "/api/v1/scenarios", { kind: "status", status: 503 }, { kind: "status", status: 502 });
  const c = new vt.Client({ baseUrl: proxy.url });
  let started = Date.now();
  assert.ok((await c.benchmark.listScenarios()).scenarios.length > 0);
  const waited = Date.now() - started;
  assert.equal(c.lastResponse?.attempts, 3);
  assert.ok(waited > 300 && waited < 5000, `waited ${waited} ms`); // ~0.5 s then ~1 s, less up to a quarter of jitter
  // a read slower than the timeout, then a fast one
  proxy.fail("GET", "/api/health", { kind: "delay", ms: 1000 });
  assert.equal((await c.meta.health({ timeoutMs: 300 })).status, "ok");
  assert.equal(c.lastResponse?.attempts, 2);
  // none per call: the 503 is thrown
  proxy.fail("GET", "/api/health", { kind: "status", status: 503 });
  await assert.rejects(c.meta.health({ maxRetries: 0 }), vt.ServerError);
  // a client allowed two retries throws the third 503
  proxy.fail("GET", "/api/health", { kind: "status", status: 503 }, { kind: "status", status: 503 }, { kind: "status", status: 503 });
  started = Date.now();
  await assert.rejects(c.meta.health(), vt.ServerError);
  assert.equal(c.lastResponse?.attempts, 3);
});

test("Retry-After is honoured up to the cap", async () => {
  const c = new vt.Client({ baseUrl: proxy.url });
  proxy.fail("GET", "/api/v1/leaderboard", { kind: "status", status: 429, retryAfter: "1" });
  let started = Date.now();
  assert.ok("leaderboard" in (await c.benchmark.leaderboard()));
  assert.ok(Date.now() - started >= 950); // the server's second, not the shorter backoff
  proxy.fail("GET", "/api/v1/leaderboard", { kind: "status", status: 429, retryAfter: "3600" });
  started = Date.now();
  await assert.rejects(c.benchmark.leaderboard(), (e: unknown) => e instanceof vt.RateLimited && e.retryAfter === 3600);
  assert.ok(Date.now() - started < 1000);
});

test("an order retried after a timeout exists once", async () => {
  proxy.fail("POST", ORDERS, { kind: "drop" }, { kind: "delay", ms: 1000 });
  const c = new vt.Client({ baseUrl: proxy.url, botKey: server.botKey, timeoutMs: 500 });
  const order = await c.bot.placeOrder({ symbol: "MSFT", side: "buy", quantity: 2 });
  assert.equal(c.lastResponse?.attempts, 3);
  await new Promise((r) => setTimeout(r, 1000)); // the delayed attempt the client gave up on reaches the server too
  const direct = new vt.Client({ baseUrl: server.baseUrl, botKey: server.botKey });
  assert.deepEqual((await direct.bot.listOrders()).filter((o) => o.symbol === "MSFT").map((o) => o.id), [order.id]);
});

test("an aborted signal stops the call at once, with its reason, unretried", async () => {
  const c = new vt.Client({ baseUrl: proxy.url });
  // already aborted: no request at all
  const reason = new Error("user gave up");
  await assert.rejects(c.meta.health({ signal: AbortSignal.abort(reason) }), (e: unknown) => e === reason);
  assert.equal(proxy.count("GET", "/api/health"), 0);
  // aborted mid-request: rejects then, not at the (slow) answer, and no retry follows
  proxy.fail("GET", "/api/health", { kind: "delay", ms: 2000 });
  const controller = new AbortController();
  const started = Date.now();
  setTimeout(() => controller.abort(reason), 200);
  await assert.rejects(c.meta.health({ signal: controller.signal }), (e: unknown) => e === reason);
  assert.ok(Date.now() - started < 1500);
  // aborted while waiting between retries
  proxy.fail("GET", "/api/v1/scenarios", { kind: "status", status: 503 });
  const waiting = new AbortController();
  setTimeout(() => waiting.abort(), 100);
  await assert.rejects(c.benchmark.listScenarios({ signal: waiting.signal }), (e: unknown) => e instanceof Error && e.name === "AbortError");
  await new Promise((r) => setTimeout(r, 700));
  assert.equal(proxy.count("GET", "/api/v1/scenarios"), 1);
  assert.equal(proxy.count("GET", "/api/health"), 1);
});

test("the debug log names requests and their retries, without secrets", async () => {
  const lines: string[] = [];
  proxy.fail("GET", "/api/trade/v1/bot/account", { kind: "status", status: 503 });
  const c = new vt.Client({ baseUrl: proxy.url, apiKey: server.apiKey, botKey: server.botKey, logger: (l) => lines.push(l) });
  const token = (await c.auth.login(server.apiKey, server.apiSecret)).token;
  await c.bot.account();
  await c.agents.list();
  const text = lines.join("\n");
  assert.match(text, /GET \/api\/trade\/v1\/bot\/account -> 503/);
  assert.match(text, /GET \/api\/trade\/v1\/bot\/account -> 200/);
  assert.match(text, /POST \/api\/v1\/auth\/login -> 200/);
  assert.ok(c.lastResponse?.requestId && text.includes(c.lastResponse.requestId));
  for (const secret of [server.apiKey, server.apiSecret, server.botKey, token]) {
    assert.ok(!text.includes(secret) && !String(c).includes(secret) && !JSON.stringify(c).includes(secret));
  }
});
