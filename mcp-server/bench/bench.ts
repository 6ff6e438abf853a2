/**
 * Time per tool call of the scripted agent loop (test/agent.ts) on the offline backend and against
 * the local server, over stdio and Streamable HTTP, and the size of a `scan_market` answer for
 * universes of 6 to 500 symbols. `node dist/bench/bench.js` (needs the vectrade-server binary, as
 * the tests). Prints Markdown tables for BENCHMARKS.md.
 */

import { setMaxListeners } from "node:events";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import * as vt from "@vectrade/sdk";

import { OfflineBackend } from "../src/offline.js";
import { createServer } from "../src/server.js";
import { scriptedLoop } from "../test/agent.js";
import { connect, mcpEnv, ok, startLocalServer } from "../test/harness.js";

// The SDK's Streamable HTTP client adds an abort listener per request to one signal (thousands here).
setMaxListeners(100_000);

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};
const ms = (v: number): string => (v < 10 ? v.toFixed(2) : v.toFixed(1));

async function timings(): Promise<void> {
  const server = await startLocalServer();
  const rows: string[] = [];
  try {
    for (const [backend, wire] of [["offline", "stdio"], ["offline", "http"], ["local server", "stdio"], ["local server", "http"]] as const) {
      const s = await connect(wire, backend === "offline" ? mcpEnv({ offline: true }) : mcpEnv({ server }));
      try {
        await scriptedLoop(s.client); // warm-up
        const t0 = performance.now();
        const out = await scriptedLoop(s.client);
        const total = performance.now() - t0;
        const calls = Object.values(out.timings).reduce((n, xs) => n + xs.length, 0);
        for (const tool of ["scan_market", "submit_decision", "inspect_symbols", "start_run", "get_results", "get_trades"]) {
          const xs = out.timings[tool] ?? [];
          rows.push(`| ${backend} | ${wire} | \`${tool}\` | ${xs.length} | ${ms(quantile(xs, 0.5))} | ${ms(quantile(xs, 0.95))} |`);
        }
        rows.push(`| ${backend} | ${wire} | whole loop (${out.turns} turns, ${calls} calls) | 1 | ${(total / 1000).toFixed(2)} s | ${ms(total / calls)} per call |`);
      } finally {
        await s.close();
      }
    }
  } finally {
    await server.stop();
  }
  console.log("| backend | transport | tool | calls | median ms | p95 ms |\n| --- | --- | --- | --- | --- | --- |");
  console.log(rows.join("\n"));
}

async function scanSizes(): Promise<void> {
  console.log("\n| universe | rows listed | scan_market answer (JSON bytes) | ≈ tokens (bytes / 4) | get_market lookback 1 (bytes) |\n| --- | --- | --- | --- | --- |");
  for (const n of [6, 50, 200, 500]) {
    const scenario = vt.scenarios.synthetic({ symbols: n, bars: 300, seed: 7, slug: `synthetic-${n}` });
    const backend = new OfflineBackend({ scenarios: [scenario] });
    const [a, b] = InMemoryTransport.createLinkedPair();
    const mcp = createServer(backend);
    await mcp.connect(b);
    const client = new Client({ name: "bench", version: "0" });
    await client.connect(a);
    const { run } = await ok<{ run: { id: string } }>(client, "start_run", { scenario_slug: scenario.slug });
    for (let i = 0; i < 30; i++) await ok(client, "step_run", { run_id: run.id });
    const scan = await client.callTool({ name: "scan_market", arguments: { run_id: run.id } });
    const bytes = JSON.stringify({ structuredContent: scan.structuredContent, content: scan.content }).length;
    const rows = (scan.structuredContent as { rows: unknown[] }).rows.length;
    const raw = await client.callTool({ name: "get_market", arguments: { run_id: run.id, lookback: 1 } });
    const rawBytes = raw.isError ? "refused (over 1000 bars)" : String(JSON.stringify({ structuredContent: raw.structuredContent, content: raw.content }).length);
    console.log(`| ${n} symbols | ${rows} | ${bytes} | ${Math.round(bytes / 4)} | ${rawBytes} |`);
    await client.close();
  }
}

await timings();
await scanSizes();
