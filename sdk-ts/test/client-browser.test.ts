// The browser entry (`@vectrade/sdk/browser`) carries the same client, and it works before the
// WebAssembly engine is loaded: errors then map by HTTP status alone (a 404 is still vt.NotFound).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import * as web from "@vectrade/sdk/browser";
import { startServer, type LocalServer } from "./client-server.js";

let server: LocalServer;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

test("the browser entry's client calls the server with no engine loaded", async () => {
  const c = new web.Client({ baseUrl: server.baseUrl, apiKey: server.apiKey, maxRetries: 0 });
  assert.equal((await c.meta.health()).status, "ok");
  const run = await c.benchmark.startRun("tech-2024-q2");
  assert.equal(typeof run.data.cash, "string");
  await assert.rejects(c.benchmark.getScenario("atlantis-2099"), (e: unknown) => e instanceof web.NotFound && e.status === 404 && e.code === "unknown_scenario");
  await assert.rejects(new web.Client({ baseUrl: server.baseUrl, apiKey: "ak_live_nope" }).benchmark.billingAccount(), web.AuthenticationError);
});
