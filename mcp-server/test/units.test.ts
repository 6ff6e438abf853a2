// The pieces of the MCP server that need no client: the Bot API's fixed-scale decimals, the offline
// market's clock, and scan_market's bound on any universe (in process, on the official client's
// in-memory transport).
import assert from "node:assert/strict";
import { test } from "node:test";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import * as vt from "@vectrade/sdk";

import { fixed, interval } from "../src/offline-bot.js";
import { OfflineBackend } from "../src/offline.js";
import { SCAN_MAX_ROWS } from "../src/observe.js";
import { serveHttp } from "../src/http.js";
import { createServer } from "../src/server.js";

test("fixed() rounds half away from zero at the seed's scale, exactly", () => {
  assert.equal(fixed("100000", 2), "100000.00");
  assert.equal(fixed("185.505", 2), "185.51");
  assert.equal(fixed("-185.505", 2), "-185.51");
  assert.equal(fixed("0.004", 2), "0.00");
  assert.equal(fixed("-0.004", 2), "0.00");
  assert.equal(fixed("99.995", 2), "100.00");
  assert.equal(fixed("10", 8), "10.00000000");
  assert.equal(fixed("123456789012345678.123456785", 8), "123456789012345678.12345679");
  assert.equal(fixed("7.5", 0), "8");
});

test("the offline market's bar interval", () => {
  assert.equal(interval("500ms"), 500);
  assert.equal(interval("2s"), 2000);
  assert.equal(interval("1m"), 60_000);
  assert.equal(interval("manual"), null);
  assert.throws(() => interval("soon"), /VECTRADE_OFFLINE_BAR_INTERVAL/);
});

test("scan_market stays bounded whatever the universe, keeping the held symbols", async () => {
  for (const n of [50, 500]) {
    const scenario = vt.scenarios.synthetic({ symbols: n, bars: 100, seed: 3, slug: `synthetic-${n}` });
    const server = createServer(new OfflineBackend({ scenarios: [scenario] }));
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(b);
    const client = new Client({ name: "units", version: "0" });
    await client.connect(a);
    const run = (await client.callTool({ name: "start_run", arguments: { scenario_slug: scenario.slug } })).structuredContent as { run: { id: string } };
    const last = scenario.universe.at(-1)!;
    await client.callTool({ name: "submit_decision", arguments: { run_id: run.run.id, action: "trade", rationale: "r", orders: [{ symbol: last, side: "buy", quantity: 1 }] } });
    for (let i = 0; i < 25; i++) await client.callTool({ name: "step_run", arguments: { run_id: run.run.id } });
    const scan = (await client.callTool({ name: "scan_market", arguments: { run_id: run.run.id } })).structuredContent as { rows: Array<[string]>; omitted: number; universe_size: number };
    assert.equal(scan.universe_size, n);
    assert.equal(scan.rows.length, Math.min(n, SCAN_MAX_ROWS));
    assert.equal(scan.rows.length + scan.omitted, n);
    assert.ok(scan.rows.some((r) => r[0] === last), "the held symbol is listed");
    assert.ok(JSON.stringify(scan).length < 4000, `${n} symbols: ${JSON.stringify(scan).length} bytes`);
    await client.close();
  }
});

test("an idle HTTP session is closed; its id is then unknown (404), and a new initialize works", async () => {
  const http = await serveHttp(new OfflineBackend(), { port: 0, idleMs: 200 });
  try {
    const post = (body: unknown, session?: string): Promise<Response> =>
      fetch(http.url, { method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json", ...(session ? { "Mcp-Session-Id": session } : {}) }, body: JSON.stringify(body) });
    const init = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } } };
    const first = await post(init);
    const id = first.headers.get("mcp-session-id")!;
    assert.equal((await post({ jsonrpc: "2.0", id: 2, method: "tools/list" }, id)).status, 200);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await post({ jsonrpc: "2.0", id: 3, method: "tools/list" }, id)).status, 404);
    assert.equal((await post(init)).status, 200);
  } finally {
    await http.close();
  }
});
