// Every error class of the client, raised by the real local server (or, for what the server never
// does by itself — a 5xx, a dropped connection, a timeout — by the test's fault proxy): one
// hierarchy with the engine's, each error with status, the server's stable code, detail, request
// id, raw body and headers, whatever the family's error body looks like (server/src/problem.rs).
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, test } from "node:test";

import * as vt from "@vectrade/sdk";
import { FaultProxy, startServer, type LocalServer } from "./client-server.js";

let server: LocalServer;
let client: vt.Client;
before(async () => {
  server = await startServer();
  client = new vt.Client({ baseUrl: server.baseUrl, apiKey: server.apiKey, botKey: server.botKey, maxRetries: 0 });
});
after(async () => {
  await server?.stop();
});

/** Awaits `call`, which must throw `cls` with `status` and `code`, and the HTTP fields filled in. */
async function expectError<T extends vt.VecTradeError>(call: Promise<unknown>, cls: abstract new (...a: never[]) => T, status: number, code: string): Promise<T> {
  try {
    await call;
  } catch (e) {
    assert.ok(e instanceof cls, `${String(e)} is no ${cls.name}`);
    assert.ok(e instanceof vt.VecTradeError);
    assert.equal(e.status, status, e.body);
    assert.equal(e.code, code, e.body);
    assert.ok(e.detail.length > 0 && e.message.includes(e.detail));
    assert.ok(e.requestId && e.requestId === e.headers?.["x-request-id"]);
    assert.ok(JSON.parse(e.body ?? "")); // the raw body as the server sent it
    return e;
  }
  assert.fail(`no ${cls.name} thrown`);
}

test("401 AuthenticationError in every family, and the journal's 403", async () => {
  const bad = new vt.Client({ baseUrl: server.baseUrl, apiKey: "ak_live_nope", botKey: "tvt_nope", maxRetries: 0 });
  await expectError(bad.benchmark.billingAccount(), vt.AuthenticationError, 401, "unauthorized"); // RFC 9457 problem
  await expectError(bad.bot.account(), vt.AuthenticationError, 401, "unauthorized"); // {detail, code}
  await expectError(bad.agents.list(), vt.AuthenticationError, 401, "unauthorized"); // {error: {code, message}}
  await expectError(bad.auth.login("ak_live_nope", "sk_live_nope"), vt.AuthenticationError, 401, "unauthorized");
  const j = await expectError(bad.journal.listTrades("someone-elses-bot"), vt.PermissionDenied, 403, "forbidden");
  assert.equal(JSON.parse(j.body ?? "")["message"], j.detail); // the journal's 403 body
});

test("403 PermissionDenied", async () => {
  const run = await client.benchmark.startRun("tech-2024-q2");
  const other = await client.auth.register("intruder");
  const intruder = new vt.Client({ baseUrl: server.baseUrl, apiKey: other.api_key, maxRetries: 0 });
  await expectError(intruder.benchmark.getRun(run.id), vt.PermissionDenied, 403, "forbidden");
});

test("404 is the engine's NotFound too", async () => {
  assert.throws(() => vt.scenarios.get("atlantis-2099"), (e: unknown) => e instanceof vt.NotFound && e.code === "unknown_scenario" && e.status === undefined);
  await expectError(client.benchmark.getScenario("atlantis-2099"), vt.NotFound, 404, "unknown_scenario");
  await expectError(client.bot.getOrder("00000000-0000-0000-0000-000000000000"), vt.NotFound, 404, "order_not_found");
  const journal = await expectError(client.journal.getTrade("no-such-bot", "x"), vt.NotFound, 404, "bot_not_found");
  assert.equal(JSON.parse(journal.body ?? "")["code"], "NOT_FOUND"); // the journal's status name; the stable code is error_code
});

test("409 IdempotencyConflict, a Conflict", async () => {
  const run = await client.benchmark.startRun("tech-2024-q2");
  const first = await run.trade({ symbol: "AAPL", side: "buy", quantity: "1", idempotencyKey: "key-1" });
  assert.deepEqual(await run.trade({ symbol: "AAPL", side: "buy", quantity: "1", idempotency_key: "key-1" }), first); // the same request again
  const e = await expectError(run.trade({ symbol: "AAPL", side: "buy", quantity: "2", idempotency_key: "key-1" }), vt.IdempotencyConflict, 409, "idempotency_conflict");
  assert.ok(e instanceof vt.Conflict);
});

test("400 and 422 InvalidInput, and the engine's refusals as the engine's classes", async () => {
  const run = await client.benchmark.startRun("tech-2024-q2");
  await expectError(run.trade({ symbol: "AAPL", side: "buy", quantity: "-1" }), vt.InvalidInput, 400, "invalid_quantity");
  await expectError(client.bot.placeOrder({ symbol: "AAPL", side: "sideways", quantity: 1 }), vt.InvalidInput, 422, "invalid_enum_value");
  await expectError(client.journal.createTrade("bot-x", []), vt.InvalidInput, 400, "invalid_request");
  await expectError(run.trade({ symbol: "AAPL", side: "buy", quantity: "10000000" }), vt.OrderRejected, 400, "insufficient_buying_power");
  await expectError(run.results(), vt.InvalidState, 400, "run_not_finished");
  while (!(await run.step(500)).done);
  await expectError(run.step(), vt.RunFinished, 400, "run_finished");
});

test("402 QuotaExceeded with checkoutUrl, 429 RateLimited with retryAfter, and the Retry-After cap", async () => {
  const fresh = new vt.Client({ baseUrl: server.baseUrl, apiKey: (await client.auth.register()).api_key, maxRetries: 0 });
  for (let i = 0; i < 25; i++) await fresh.benchmark.createRun("crash-and-rebound");
  const quota = await expectError(fresh.benchmark.createRun("crash-and-rebound"), vt.QuotaExceeded, 402, "quota_exceeded");
  assert.match(quota.checkoutUrl ?? "", /\/api\/v1\/billing\/local$/);
  const flood = async (): Promise<void> => {
    for (let i = 0; i < 25; i++) await client.bot.placeOrder({ symbol: "AAPL", side: "buy", quantity: 1 });
  };
  const limited = await expectError(flood(), vt.RateLimited, 429, "order_rate_limited");
  assert.ok(limited.retryAfter !== undefined && limited.retryAfter > 0 && limited.retryAfter <= 60);
  // past the client's cap a Retry-After raises at once, unretried
  const capped = new vt.Client({ baseUrl: server.baseUrl, botKey: server.botKey, maxRetries: 2, maxRetryAfter: 1 });
  await assert.rejects(capped.bot.placeOrder({ symbol: "AAPL", side: "buy", quantity: 1 }), vt.RateLimited);
  assert.equal(capped.lastResponse?.attempts, 1);
});

test("5xx ServerError, ConnectionError and Timeout", async () => {
  const proxy = await FaultProxy.start(server.baseUrl);
  try {
    proxy.fail("GET", "/api/health", { kind: "status", status: 503 });
    await assert.rejects(new vt.Client({ baseUrl: proxy.url, maxRetries: 0 }).meta.health(), (e: unknown) => e instanceof vt.ServerError && e.status === 503 && e.code === "injected_503" && e instanceof vt.VecTradeError);
    proxy.fail("GET", "/api/health", { kind: "delay", ms: 1500 });
    await assert.rejects(new vt.Client({ baseUrl: proxy.url, timeoutMs: 300, maxRetries: 0 }).meta.health(), (e: unknown) => e instanceof vt.Timeout && e.code === "timeout" && e.status === undefined);
  } finally {
    await proxy.close();
  }
  // a port nobody listens on
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const port = (probe.address() as { port: number }).port;
  await new Promise((r) => probe.close(r));
  await assert.rejects(new vt.Client({ baseUrl: `http://127.0.0.1:${port}`, maxRetries: 0 }).meta.health(), (e: unknown) => e instanceof vt.ConnectionError && e.code === "connection_error" && e.status === undefined && e instanceof vt.VecTradeError);
});

test("a refused JWT is replaced by logging in again once; a bare token raises the 401", async () => {
  const c = new vt.Client({ baseUrl: server.baseUrl, apiKey: server.apiKey, maxRetries: 0 });
  await c.auth.login(server.apiKey, server.apiSecret);
  const expired = "eyJhbGciOiJIUzI1NiJ9.expired.token"; // as a JWT past its expiry
  c.setCredentials({ token: expired });
  assert.ok(Array.isArray((await c.agents.list()).agents)); // 401, a new login, the same request again
  assert.notEqual(c.token, expired);
  const bare = new vt.Client({ baseUrl: server.baseUrl, token: expired, maxRetries: 0 });
  await expectError(bare.agents.list(), vt.AuthenticationError, 401, "unauthorized");
});

test("withOptions({agentId}) trades as that agent with the account's JWT; other options stay per view", async () => {
  const c = new vt.Client({ baseUrl: server.baseUrl, apiKey: server.apiKey, maxRetries: 0 });
  await c.auth.login(server.apiKey, server.apiSecret);
  const agent = await c.agents.create("ts-jwt-agent", { starting_balance: "2500" });
  const asAgent = c.withOptions({ agentId: agent.agent_id });
  assert.equal(Number((await asAgent.bot.portfolio()).balance), 2500); // the agent's portfolio
  const run = await asAgent.benchmark.startRun("tech-2024-q2", { botName: "as-agent" });
  assert.equal((await asAgent.benchmark.getRun(run.id)).run.id, run.id);
  assert.equal(c.lastResponse?.path, `/api/v1/runs/${run.id}`, "a view shares lastResponse");
  const other = await c.agents.create("ts-jwt-agent-2");
  await expectError(c.withOptions({ agentId: other.agent_id }).benchmark.getRun(run.id), vt.PermissionDenied, 403, "forbidden");
  const unknown = await expectError(c.withOptions({ agentId: "no-such-agent" }).bot.portfolio(), vt.PermissionDenied, 403, "forbidden");
  assert.ok(unknown.detail.includes("no-such-agent"));
  assert.throws(() => c.withOptions({ maxRetries: -1 }), RangeError);
  // Without a login there is no JWT to send.
  const bare = new vt.Client({ baseUrl: server.baseUrl, maxRetries: 0 });
  await expectError(bare.withOptions({ agentId: agent.agent_id }).bot.portfolio(), vt.AuthenticationError, 401, "unauthorized");
});
