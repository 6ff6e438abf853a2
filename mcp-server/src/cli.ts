#!/usr/bin/env node
/**
 * `npx @vectrade/mcp-server`: the MCP server over stdio (Claude Desktop, Claude Code), or
 * `--http --port N` for Streamable HTTP at `/mcp`. `--offline` (or VECTRADE_BACKEND=offline) runs
 * on the embedded engine; with a key (VECTRADE_API_KEY / VECTRADE_BOT_KEY) or VECTRADE_BASE_URL it
 * talks to the hosted API or a local vectrade-server.
 */

import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";

import { backendFromConfig, createServer, VERSION } from "./server.js";
import { serveHttp } from "./http.js";

const USAGE = `usage: vectrade-mcp-server [--offline | --backend offline|http|auto] [--store FILE] [--http [--port N] [--host H]]

  stdio by default; --http serves Streamable HTTP at http://HOST:PORT/mcp (default 127.0.0.1:3333).
  backend: http when VECTRADE_API_KEY, VECTRADE_BOT_KEY or VECTRADE_BASE_URL is set, else offline
  (VECTRADE_BACKEND overrides); --store FILE (or VECTRADE_OFFLINE_STORE) keeps offline runs in a file.`;

function parse(argv: string[]): { http: boolean; port: number; host: string; backend?: "offline" | "http" | "auto"; store?: string } {
  const out: ReturnType<typeof parse> = { http: false, port: 3333, host: "127.0.0.1" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === "--http") out.http = true;
    else if (a === "--port") out.port = Number(value());
    else if (a === "--host") out.host = value();
    else if (a === "--offline") out.backend = "offline";
    else if (a === "--backend") out.backend = value() as "offline" | "http" | "auto";
    else if (a === "--store") out.store = value();
    else if (a === "--help" || a === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else if (a === "--version") {
      console.log(VERSION);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  if (!Number.isInteger(out.port) || out.port < 0 || out.port > 65535) throw new Error(`--port must be 0 to 65535\n${USAGE}`);
  return out;
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  const backend = backendFromConfig({ ...(args.backend ? { backend: args.backend } : {}), ...(args.store ? { store: args.store } : {}) });
  if (args.http) {
    const http = await serveHttp(backend, { port: args.port, host: args.host });
    // stdout is free in HTTP mode: the address, for scripts and tests to read
    console.log(`VecTrade MCP server (${backend.kind} backend) listening on ${http.url}`);
    const stop = (): void => void http.close().then(() => process.exit(0));
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  } else {
    // stdout carries the protocol: everything else goes to stderr
    await createServer(backend).connect(new StdioServerTransport());
    console.error(`VecTrade MCP server (${backend.kind} backend) on stdio`);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
