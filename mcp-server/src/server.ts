//! One MCP server over a backend: the tools, the resources and the prompt; and the backend chosen by configuration.

import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";

import type { Backend } from "./backend.js";
import { registerGuide } from "./guide.js";
import { OfflineBackend } from "./offline.js";
import { interval } from "./offline-bot.js";
import { HttpBackend } from "./remote.js";
import { registerTools } from "./tools.js";

export const NAME = "vectrade";
export const VERSION = "0.1.0";

/** A new MCP server answering from `backend` (one per session; sessions share the backend's runs). */
export function createServer(backend: Backend): McpServer {
  const server = new McpServer(
    { name: NAME, version: VERSION, title: "VecTrade trading and benchmark tools" },
    { instructions: "Trading tools for VecTrade bot accounts and BotTrade benchmark runs. Read the resource vectrade://guide, call run_sandbox_smoke_test first, then loop scan_market → submit_decision(step_count: 1) until done." },
  );
  registerTools(server, backend);
  registerGuide(server, backend);
  return server;
}

/** How the backend is chosen. */
export interface BackendConfig {
  /** `offline`, `http`, or `auto` (default): http when a key or a base URL is set, else offline. */
  backend?: "offline" | "http" | "auto";
  /** The offline backend's store file. */
  store?: string;
}

/**
 * The backend of `config` and the environment: `VECTRADE_BACKEND=offline|http` (or `--offline`,
 * `--backend`) wins; otherwise http when VECTRADE_API_KEY, VECTRADE_BOT_KEY or VECTRADE_BASE_URL is
 * set, offline when none is. The offline store file is `--store` or VECTRADE_OFFLINE_STORE; the offline
 * bot account replays VECTRADE_OFFLINE_MARKET (default tech-2024-q2) at one bar per
 * VECTRADE_OFFLINE_BAR_INTERVAL (default 1m; `manual` holds it still).
 */
export function backendFromConfig(config: BackendConfig = {}, env: NodeJS.ProcessEnv = process.env): Backend {
  const chosen = config.backend && config.backend !== "auto" ? config.backend : (env["VECTRADE_BACKEND"] as BackendConfig["backend"]) || "auto";
  if (chosen !== "auto" && chosen !== "offline" && chosen !== "http") throw new Error(`VECTRADE_BACKEND must be one of 'offline', 'http', 'auto', got '${chosen}'`);
  const http = chosen === "http" || (chosen === "auto" && Boolean(env["VECTRADE_API_KEY"] || env["VECTRADE_BOT_KEY"] || env["VECTRADE_BASE_URL"]));
  if (http) return new HttpBackend();
  const store = config.store ?? (env["VECTRADE_OFFLINE_STORE"] || undefined);
  const bot = {
    ...(env["VECTRADE_OFFLINE_MARKET"] ? { market: env["VECTRADE_OFFLINE_MARKET"] } : {}),
    ...(env["VECTRADE_OFFLINE_BAR_INTERVAL"] ? { barIntervalMs: interval(env["VECTRADE_OFFLINE_BAR_INTERVAL"]) } : {}),
  };
  return new OfflineBackend({ ...(store === undefined ? {} : { storePath: store }), bot });
}
