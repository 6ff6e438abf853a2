// The MCP server driven by the official TypeScript SDK client over stdio and Streamable HTTP, on the
// offline backend and on the real local server: the 25 tools and their schemas, the smoke test, a
// whole scenario to done, the error paths, resources and the prompt, and the same scripted loop
// giving the same fills and grade on both backends.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import Ajv from "ajv";

import { scriptedLoop } from "./agent.js";
import { type LocalServer, type Session, TOOLS, connect, mcpEnv, ok, refused, startLocalServer } from "./harness.js";

let server: LocalServer;
before(async () => {
  server = await startLocalServer();
});
after(async () => {
  await server?.stop();
});

const combos = [
  { wire: "stdio", backend: "offline" },
  { wire: "http", backend: "offline" },
  { wire: "stdio", backend: "server" },
  { wire: "http", backend: "server" },
] as const;

for (const { wire, backend } of combos) {
  describe(`${backend} backend over ${wire}`, () => {
    let s: Session;
    before(async () => {
      s = await connect(wire, backend === "offline" ? { ...mcpEnv({ offline: true }), VECTRADE_OFFLINE_BAR_INTERVAL: "250ms" } : mcpEnv({ server }));
    });
    after(async () => {
      await s?.close();
    });

    test("lists the 25 tools of the seeds, each with a valid JSON Schema of its input", async () => {
      const { tools } = await s.client.listTools();
      assert.deepEqual(tools.map((t) => t.name).sort(), [...TOOLS].sort());
      const ajv = new Ajv.default({ strict: false });
      for (const t of tools) {
        assert.equal(t.inputSchema.type, "object", t.name);
        assert.ok(ajv.compile(t.inputSchema), t.name);
        assert.ok((t.description ?? "").length > 20, t.name);
      }
      const byName = Object.fromEntries(tools.map((t) => [t.name, t.inputSchema as { properties: Record<string, { enum?: unknown[]; anyOf?: Array<{ const?: unknown }>; maxItems?: number; maximum?: number }>; required?: string[] }]));
      const stepCount = byName["submit_decision"]!.properties["step_count"]!;
      const allowed = stepCount.enum ?? stepCount.anyOf?.map((a) => a.const);
      assert.deepEqual(allowed, [0, 1]);
      assert.equal(byName["inspect_symbols"]!.properties["symbols"]!.maxItems, 8);
      assert.equal(byName["inspect_symbols"]!.properties["lookback"]!.maximum, 120);
      assert.deepEqual(byName["publish_run"]!.required?.sort(), ["confirm", "run_id"]);
      assert.deepEqual(byName["submit_decision"]!.required?.sort(), ["action", "rationale", "run_id"]);
    });

    test("run_sandbox_smoke_test passes", async () => {
      const r = await ok<{ ok: boolean; backend: string; checks: Array<{ check: string; ok: boolean }> }>(s.client, "run_sandbox_smoke_test", {});
      assert.equal(r.ok, true);
      assert.equal(r.backend, backend === "offline" ? "offline" : "http");
      assert.deepEqual(r.checks.map((c) => c.check), ["auth", "start_run", "scan_market", "submit_decision(hold)", "step_run"]);
    });

    test("a whole scenario to done with submit_decision, then results and trades", async () => {
      const { run } = await ok<{ run: { id: string; cash: string } }>(s.client, "start_run", { scenario_slug: "sideways-etfs", bot_name: "mcp-test" });
      assert.equal(run.cash, "100000");
      const first = await ok<{ queued: Array<{ id: string }>; step: { fills: Array<{ symbol: string }> }; done: boolean }>(s.client, "submit_decision", {
        run_id: run.id, action: "trade", rationale: "buy the utilities", orders: [{ symbol: "XLU", side: "buy", quantity: 10 }], step_count: 1,
      });
      assert.equal(first.queued.length, 1);
      assert.deepEqual(first.step.fills.map((f) => f.symbol), ["XLU"]);
      let steps = 1;
      let done = first.done;
      while (!done) {
        done = (await ok<{ done: boolean }>(s.client, "submit_decision", { run_id: run.id, action: "hold", rationale: "wait" })).done;
        steps++;
      }
      const bars = (await ok<{ scenario: { bar_count: number } }>(s.client, "get_scenario", { id_or_slug: "sideways-etfs" })).scenario.bar_count;
      assert.equal(steps, bars - 1);
      const { results } = await ok<{ results: { trade_count: number; final_equity: string; per_symbol: Array<{ symbol: string }> } }>(s.client, "get_results", { run_id: run.id });
      assert.equal(results.trade_count, 1);
      assert.ok(Number(results.final_equity) > 0);
      assert.deepEqual((await ok<{ trades: Array<{ symbol: string; reasoning: string }> }>(s.client, "get_trades", { run_id: run.id })).trades.map((t) => [t.symbol, t.reasoning]), [["XLU", "buy the utilities"]]);
      assert.equal((await ok<{ run: { status: string } }>(s.client, "get_run", { run_id: run.id })).run.status, "completed");
      // once over, stepping is refused with the engine's code
      assert.equal((await refused(s.client, "step_run", { run_id: run.id })).code, "run_finished");
      // publishing needs confirm: true
      assert.equal((await refused(s.client, "publish_run", { run_id: run.id, confirm: false })).code, "confirmation_required");
      assert.equal((await ok<{ published: boolean }>(s.client, "publish_run", { run_id: run.id, confirm: true })).published, true);
    });

    test("error paths: unknown run, refused order, step_count 2, large market request, hold with orders", async () => {
      const unknown = await refused(s.client, "get_run", { run_id: "no-such-run" });
      assert.equal(unknown.code, "run_not_found");
      assert.match(unknown.text, /^run_not_found: /);
      const { run } = await ok<{ run: { id: string } }>(s.client, "start_run", { scenario_slug: "tech-2024-q2" });
      const tooBig = await refused(s.client, "submit_decision", { run_id: run.id, action: "trade", rationale: "all in", orders: [{ symbol: "AAPL", side: "buy", quantity: 1_000_000 }] });
      assert.equal(tooBig.code, "insufficient_buying_power");
      assert.match(tooBig.detail ?? "", /refused: .*no bar was advanced/);
      const short = await refused(s.client, "submit_turn", { run_id: run.id, trades: [{ symbol: "AAPL", side: "short", quantity: 1 }] });
      assert.equal(short.code, "shorting_disabled");
      const notInUniverse = await refused(s.client, "submit_turn", { run_id: run.id, trades: [{ symbol: "ZZZZ", side: "buy", quantity: 1 }] });
      assert.ok(notInUniverse.code && notInUniverse.code !== "internal_error", notInUniverse.text);
      const two = await refused(s.client, "submit_decision", { run_id: run.id, action: "hold", rationale: "skip", step_count: 2 });
      assert.match(two.text, /step_count/);
      assert.match((await refused(s.client, "step_run", { run_id: run.id, count: 5 })).text, /count/);
      assert.match((await refused(s.client, "inspect_symbols", { run_id: run.id, symbols: ["A", "B", "C", "D", "E", "F", "G", "H", "I"] })).text, /symbols/);
      assert.equal((await refused(s.client, "get_market", { run_id: run.id, lookback: 500 })).code, "market_request_too_large");
      assert.equal((await refused(s.client, "submit_decision", { run_id: run.id, action: "hold", rationale: "x", orders: [{ symbol: "AAPL", side: "buy", quantity: 1 }] })).code, "invalid_decision");
      assert.equal((await refused(s.client, "start_run", { scenario_slug: "no-such-scenario" })).code, "unknown_scenario");
      // nothing advanced: the run is still at its first bar
      const detail = await ok<{ run: { sim_time: string }; queued_orders: unknown[] }>(s.client, "get_run", { run_id: run.id });
      assert.equal(detail.queued_orders.length, 0);
      assert.equal(detail.run.sim_time, (await ok<{ run: { sim_time: string } }>(s.client, "start_run", { scenario_slug: "tech-2024-q2" })).run.sim_time);
    });

    test("observation tools: scan, inspect, get_market; advance, hold, liquidate", async () => {
      const { run } = await ok<{ run: { id: string } }>(s.client, "start_run", { scenario_slug: "tech-2024-q2" });
      const scan = await ok<{ rows: unknown[][]; columns: string[]; universe_size: number; omitted: number }>(s.client, "scan_market", { run_id: run.id });
      assert.equal(scan.rows.length, 6);
      assert.equal(scan.omitted, 0);
      assert.equal(scan.columns[0], "symbol");
      const inspect = await ok<{ symbols: Record<string, { bars: { close: string[] } }> }>(s.client, "inspect_symbols", { run_id: run.id, symbols: ["AAPL", "NVDA"], lookback: 5 });
      assert.deepEqual(Object.keys(inspect.symbols), ["AAPL", "NVDA"]);
      const market = await ok<{ bars: Record<string, unknown[]> }>(s.client, "get_market", { run_id: run.id, symbols: ["MSFT"], lookback: 3 });
      assert.deepEqual(Object.keys(market.bars), ["MSFT"]);
      await ok(s.client, "submit_turn", { run_id: run.id, trades: [{ symbol: "AAPL", side: "buy", quantity: 5 }], step_count: 0 });
      assert.equal((await ok<{ queued_orders: unknown[] }>(s.client, "get_run", { run_id: run.id })).queued_orders.length, 1);
      const session = await ok<{ step: { bars_advanced: number; fills: unknown[] } }>(s.client, "advance_until_next_session", { run_id: run.id, max_bars: 20 });
      assert.ok(session.step.bars_advanced >= 1);
      assert.equal(session.step.fills.length, 1);
      assert.equal((await refused(s.client, "hold_until_end", { run_id: run.id, require_flat: true })).code, "positions_open");
      assert.equal((await ok<{ step: { bars_advanced: number } }>(s.client, "hold_until_end", { run_id: run.id, max_bars: 3 })).step.bars_advanced, 3);
      const end = await ok<{ step: { fills: Array<{ side: string }> }; done: boolean }>(s.client, "liquidate_and_finish", { run_id: run.id, rationale: "done testing" });
      assert.deepEqual(end.step.fills.map((f) => f.side), ["sell"]);
      assert.equal(end.done, true);
    });

    test("resources (agent guide, scenario catalog) and the trade-this-scenario prompt", async () => {
      const { resources } = await s.client.listResources();
      assert.deepEqual(resources.map((r) => r.uri).sort(), ["vectrade://guide", "vectrade://scenarios"]);
      const guide = await s.client.readResource({ uri: "vectrade://guide" });
      assert.match(String((guide.contents[0] as { text: string }).text), /submit_decision/);
      const catalog = JSON.parse(String(((await s.client.readResource({ uri: "vectrade://scenarios" })).contents[0] as { text: string }).text)) as { scenarios: Array<{ slug: string }> };
      assert.ok(catalog.scenarios.some((c) => c.slug === "tech-2024-q2"));
      const { prompts } = await s.client.listPrompts();
      assert.deepEqual(prompts.map((p) => p.name), ["trade_scenario"]);
      const prompt = await s.client.getPrompt({ name: "trade_scenario", arguments: { scenario_slug: "crash-and-rebound" } });
      assert.match(String((prompt.messages[0]!.content as { text: string }).text), /crash-and-rebound/);
    });

    if (backend === "offline") {
      test("offline: the bot trading tools trade an in-process paper account on a replayed market", async () => {
        const acc = await ok<{ account: { balance: string; plan: string; market: string } }>(s.client, "get_bot_account");
        assert.deepEqual([acc.account.balance, acc.account.plan, acc.account.market], ["100000.00", "Offline", "tech-2024-q2"]);
        const limit = await ok<{ order: { id: string; status: string; quantity: string } }>(s.client, "place_order", { symbol: "AAPL", side: "BUY", quantity: 1, order_type: "LIMIT", limit_price: 1 });
        assert.deepEqual([limit.order.status, limit.order.quantity], ["OPEN", "1.00000000"]);
        assert.equal((await ok<{ order: { status: string } }>(s.client, "cancel_order", { order_id: limit.order.id })).order.status, "CANCELLED");
        const market = await ok<{ order: { id: string } }>(s.client, "place_order", { symbol: "MSFT", side: "BUY", quantity: 2 });
        const rejected = await refused(s.client, "place_order", { symbol: "AAPL", side: "BUY", quantity: 100000 });
        assert.equal(rejected.code, "insufficient_buying_power");
        await new Promise((r) => setTimeout(r, 600)); // the market moves one bar per 250 ms here
        const orders = (await ok<{ orders: Array<{ id: string; status: string }> }>(s.client, "get_orders")).orders;
        assert.equal(orders.find((o) => o.id === market.order.id)?.status, "FILLED");
        assert.deepEqual(orders.map((o) => o.status), ["REJECTED", "FILLED", "CANCELLED"]); // newest first
        const p = await ok<{ portfolio: { positions: Array<{ symbol: string; quantity: string; asset_type: string }> } }>(s.client, "get_portfolio");
        assert.deepEqual(p.portfolio.positions.map((x) => [x.symbol, x.quantity, x.asset_type]), [["MSFT", "2.00000000", "STOCK"]]);
        assert.equal((await ok<{ kpi: { rank_total: number } }>(s.client, "get_trading_kpi")).kpi.rank_total, 1);
        assert.equal((await ok<{ status: string; backend: string }>(s.client, "auth_status")).backend, "offline");
      });
    } else {
      test("server: the bot trading tools of seed 000, a refused order as a tool error", async () => {
        const acc = await ok<{ account: { status: string } }>(s.client, "get_bot_account");
        assert.ok(acc.account.status);
        const placed = await ok<{ order: { id: string; status: string } }>(s.client, "place_order", { symbol: "AAPL", side: "BUY", quantity: 1, order_type: "LIMIT", limit_price: 1 });
        assert.equal(placed.order.status, "OPEN");
        assert.ok((await ok<{ orders: Array<{ id: string }> }>(s.client, "get_orders", { status: "OPEN" })).orders.some((o) => o.id === placed.order.id));
        assert.equal((await ok<{ order: { status: string } }>(s.client, "cancel_order", { order_id: placed.order.id })).order.status, "CANCELLED");
        const rejected = await refused(s.client, "place_order", { symbol: "AAPL", side: "BUY", quantity: 100000 });
        assert.ok(rejected.code && rejected.code !== "internal_error", rejected.text);
        assert.ok(rejected.detail);
        await ok(s.client, "get_portfolio");
        await ok(s.client, "get_trading_kpi");
        assert.equal((await ok<{ status: string }>(s.client, "auth_status")).status, "connected");
      });
    }
  });
}

test("missing key: the http backend without VECTRADE_API_KEY answers tool errors, not crashes", async () => {
  for (const wire of ["stdio", "http"] as const) {
    const s = await connect(wire, mcpEnv({ server, withKeys: false }));
    try {
      assert.equal((await refused(s.client, "start_run", { scenario_slug: "tech-2024-q2" })).code, "missing_api_key");
      assert.equal((await refused(s.client, "get_portfolio")).code, "missing_bot_key");
      assert.equal((await refused(s.client, "run_sandbox_smoke_test")).code, "missing_api_key");
      assert.equal((await ok<{ status: string }>(s.client, "auth_status")).status, "auth_required");
      // public routes still work
      assert.ok((await ok<{ scenarios: unknown[] }>(s.client, "list_scenarios")).scenarios.length >= 4);
    } finally {
      await s.close();
    }
  }
});

test("HTTP: a JSON-RPC POST without text/event-stream in Accept and without a session gets plain JSON", async () => {
  const s = await connect("http", mcpEnv({ offline: true }));
  try {
    const post = (body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
      fetch(s.url!, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) });
    const list = await post({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }, { Accept: "application/json" });
    assert.equal(list.status, 200);
    assert.match(list.headers.get("content-type") ?? "", /application\/json/);
    assert.equal(((await list.json()) as { result: { tools: unknown[] } }).result.tools.length, 25);
    const init = await post({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "curl", version: "1" } } });
    assert.equal(init.status, 200);
    assert.match(init.headers.get("content-type") ?? "", /application\/json/);
    assert.ok(init.headers.get("mcp-session-id"));
    const body = (await init.json()) as { result: { protocolVersion: string; serverInfo: { name: string } } };
    assert.equal(body.result.protocolVersion, "2025-06-18");
    const smoke = await post({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "run_sandbox_smoke_test", arguments: {} } });
    assert.equal(((await smoke.json()) as { result: { structuredContent: { ok: boolean } } }).result.structuredContent.ok, true);
    // DNS rebinding: a page of another origin is refused
    assert.equal((await post({ jsonrpc: "2.0", id: 3, method: "tools/list" }, { Origin: "http://evil.example" })).status, 403);
    assert.equal((await post({ jsonrpc: "2.0", id: 3, method: "tools/list" }, { Origin: "http://localhost:5173" })).status, 200);
  } finally {
    await s.close();
  }
});

test("the same scripted agent loop gives the same fills and grade offline and on the local server", async () => {
  const offline = await connect("stdio", mcpEnv({ offline: true }));
  const remote = await connect("http", mcpEnv({ server }));
  try {
    const a = await scriptedLoop(offline.client);
    const b = await scriptedLoop(remote.client);
    assert.ok(a.fills.length >= 4, `the loop traded (${a.fills.length} fills)`);
    assert.ok(a.decisions.includes("trade") && a.decisions.includes("hold"));
    assert.equal(a.turns, b.turns);
    assert.deepEqual(a.decisions, b.decisions);
    assert.deepEqual(a.fills, b.fills);
    assert.deepEqual(a.equities, b.equities);
    assert.deepEqual(a.results, b.results);
    assert.deepEqual(a.trades, b.trades);
  } finally {
    await offline.close();
    await remote.close();
  }
});

test("offline runs kept in a store file survive a restart of the MCP server", async () => {
  const { mkdtempSync, rmSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(join(tmpdir(), "vectrade-mcp-store-"));
  const env = { ...mcpEnv({ offline: true }), VECTRADE_OFFLINE_STORE: join(dir, "runs.json") };
  try {
    const first = await connect("stdio", env);
    const { run } = await ok<{ run: { id: string } }>(first.client, "start_run", { scenario_slug: "tech-2024-q2" });
    await ok(first.client, "submit_decision", { run_id: run.id, action: "trade", rationale: "r", orders: [{ symbol: "MSFT", side: "buy", quantity: 3 }] });
    const before = await ok<{ run: Record<string, unknown>; positions: unknown[] }>(first.client, "get_run", { run_id: run.id });
    await first.close();
    const second = await connect("stdio", env);
    const after = await ok<{ run: Record<string, unknown>; positions: unknown[] }>(second.client, "get_run", { run_id: run.id });
    assert.deepEqual(after, before);
    await ok(second.client, "step_run", { run_id: run.id });
    await second.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

