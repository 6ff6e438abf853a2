// The client's one operations table against server/openapi.json, both ways; the credentials of each
// row against the document's security; the committed models against what the generator writes; and
// money that crosses as exact digits both ways (a JSON number of the server never goes through a float).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import * as vt from "@vectrade/sdk";
import { DECODE, RESPONSES } from "../src/client/models.js";
import { backoffMs, decodeBody, encodeBody } from "../src/client/transport.js";
import { retryAfterSeconds } from "../src/client/errors.js";

const SDK = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const DOCUMENT = JSON.parse(readFileSync(join(SDK, "..", "server", "openapi.json"), "utf8")) as {
  paths: Record<string, Record<string, { operationId: string; security?: Array<Record<string, unknown>>; responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, unknown> };
};
const documented = Object.entries(DOCUMENT.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, op })));

test("every operation of the document is a row of the table, and back", () => {
  const rows = Object.values(vt.OPERATIONS);
  assert.equal(documented.length, 61);
  assert.deepEqual(
    new Set(rows.map((r) => `${r.operationId} ${r.method} ${r.path}`)),
    new Set(documented.map((d) => `${d.op.operationId} ${d.method} ${d.path}`)),
  );
  assert.equal(new Set(rows.map((r) => r.operationId)).size, rows.length);
  // the same rows as the Python client's table, names in camelCase
  const py = readFileSync(join(SDK, "..", "sdk-py", "python", "vectrade", "client", "_operations.py"), "utf8");
  const pyNames = [...py.matchAll(/"([a-z]+)\.([a-z0-9_]+)": Operation\(/g)].map(([, g, m]) => `${g}.${m!.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())}`);
  assert.deepEqual(new Set(pyNames), new Set(Object.keys(vt.OPERATIONS)));
});

test("the credentials of each row are the document's", () => {
  const expected: Record<vt.Credential, string[]> = {
    none: [],
    operator: [], // the local operator token is not in the document's schemes
    key: ["api_key", "bearer"],
    jwt: ["bearer"],
    bot: ["bot_key"],
    journal: ["api_key"],
  };
  for (const [name, row] of Object.entries(vt.OPERATIONS)) {
    const op = DOCUMENT.paths[row.path]![row.method.toLowerCase()]!;
    const schemes = new Set((op.security ?? []).flatMap((req) => Object.keys(req)));
    assert.deepEqual(schemes, new Set(expected[row.auth]), name);
  }
});

test("the committed models are what the generator writes from the document", () => {
  try {
    execFileSync(process.execPath, [join(SDK, "scripts", "gen-client-types.mjs"), "--check"]);
  } catch {
    assert.fail("src/client/models.ts is stale: run node scripts/gen-client-types.mjs");
  }
  for (const name of Object.keys(DOCUMENT.components.schemas)) {
    assert.match(readFileSync(join(SDK, "src", "client", "models.ts"), "utf8"), new RegExp(`export (interface|type) ${name}\\b`), name);
  }
  assert.deepEqual(new Set(Object.keys(RESPONSES)), new Set(documented.map((d) => `${d.method} ${d.path}`)));
  for (const kind of Object.values(RESPONSES)) {
    if (kind.startsWith("ref:") || kind.startsWith("list:")) assert.ok(kind.split(":")[1]! in DOCUMENT.components.schemas, kind);
    else assert.ok(["json", "text", "empty"].includes(kind), kind);
  }
  assert.equal(DECODE["BotOrder"]!["limit_price"], "decimal_string");
  assert.equal(DECODE["StepOut"]!["cash"], "decimal");
});

test("money in answers keeps its digits: JSON numbers of decimal fields become exact strings", () => {
  const step = decodeBody(
    '{"cash": 0.1, "equity": 12345678901234567890.123456789012345678, "positions_value": 1E+2, "bars_advanced": 1, "done": false, "liquidated": false,' +
      ' "fills": [{"fill_price": 0.30000000000000004441, "quantity": 3, "commission": 1e-8}], "sim_time": "t"}',
    "ref:StepOut",
  ) as Record<string, unknown>;
  assert.equal(step["cash"], "0.1");
  assert.equal(step["equity"], "12345678901234567890.123456789012345678");
  assert.equal(step["positions_value"], "100");
  assert.equal(step["bars_advanced"], 1); // not money: a number
  const fill = (step["fills"] as Array<Record<string, unknown>>)[0]!;
  assert.deepEqual([fill["fill_price"], fill["quantity"], fill["commission"]], ["0.30000000000000004441", "3", "0.00000001"]);
  // maps of lists (the market's bars per symbol) and the bot routes' decimal strings
  const market = decodeBody('{"bars": {"AAPL": [{"ts": "x", "open": 0.1, "high": 0.2, "low": 0.05, "close": 185.10, "volume": 100}]}}', "ref:MarketOut") as { bars: Record<string, Array<Record<string, unknown>>> };
  assert.equal(market.bars["AAPL"]![0]!["close"], "185.10");
  assert.equal((decodeBody('{"balance": "100000.00", "api_calls_used": 3}', "ref:AccountOut") as Record<string, unknown>)["balance"], "100000.00");
});

test("money in requests follows the document exactly", () => {
  // a number field gets the exact digits as a JSON number, a string field a decimal string
  assert.equal(encodeBody({ quantity: "0.1", limit_price: "185.00" }, "TradeIn"), '{"quantity":0.1,"limit_price":185.00}');
  assert.equal(
    encodeBody({ transactions: [{ quantity: "0.00000001", filledPrice: 170.1, trimLevel: "10" }] }, "CreateTradeIn"),
    '{"transactions":[{"quantity":0.00000001,"filledPrice":"170.1","trimLevel":10}]}',
  );
  assert.equal(encodeBody({ starting_balance: 25000 }, "CreateAgent"), '{"starting_balance":"25000"}');
  // a bad value goes as it is, for the server to name
  assert.equal(encodeBody({ quantity: "lots" }, "TradeIn"), '{"quantity":"lots"}');
});

test("the client has no Node-only import, so the browser entry carries it too", async () => {
  const { readdirSync } = await import("node:fs");
  for (const file of readdirSync(join(SDK, "src", "client"))) {
    const text = readFileSync(join(SDK, "src", "client", file), "utf8");
    assert.doesNotMatch(text, /from "node:|require\(|import\("node:/, file);
    // `process` only through globalThis, where a browser has none (comments aside)
    const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    assert.ok(!/(?<![.\w])process\b/.test(code.replace(/globalThis as \{ process\?[^)]*\)\.process/g, "")), `${file} reads process without the guard`);
  }
  const browser = readFileSync(join(SDK, "src", "browser.ts"), "utf8");
  assert.match(browser, /export \* from "\.\/api\.js"/);
  assert.match(readFileSync(join(SDK, "src", "api.ts"), "utf8"), /export \* from "\.\/client\/index\.js"/);
});

test("Retry-After reads seconds and HTTP dates; the backoff doubles with jitter below each step", () => {
  assert.equal(retryAfterSeconds({ "retry-after": "7" }), 7);
  assert.equal(retryAfterSeconds({}), undefined);
  assert.equal(retryAfterSeconds({ "retry-after": "soon" }), undefined);
  const inAMinute = retryAfterSeconds({ "retry-after": new Date(Date.now() + 60_000).toUTCString() });
  assert.ok(inAMinute !== undefined && inAMinute > 55 && inAMinute <= 60);
  [500, 1000, 2000, 4000, 8000, 8000].forEach((cap, attempt) => {
    const seen = Array.from({ length: 50 }, () => backoffMs(attempt));
    assert.ok(seen.every((d) => d >= 0.75 * cap && d <= cap), `attempt ${attempt}`);
    assert.ok(new Set(seen).size > 1, "jittered");
  });
});
