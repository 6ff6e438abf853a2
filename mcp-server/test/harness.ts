/**
 * For the tests: the real `vectrade-server` on a fresh database and a free port, and the MCP server
 * (this package's CLI, as `npx` starts it) driven by the official TypeScript SDK client over stdio or
 * Streamable HTTP. No test module runs here: it only exports.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

const PKG = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CLI = join(PKG, "dist", "src", "cli.js");

/** The server binary: `VECTRADE_SERVER_BIN`, else the cargo target dir's debug build. */
export function serverBinary(): string {
  const candidates = [
    process.env["VECTRADE_SERVER_BIN"],
    process.env["CARGO_TARGET_DIR"] && join(resolve(PKG, "..", process.env["CARGO_TARGET_DIR"]), "debug", "vectrade-server"),
    join(PKG, "..", "target", "debug", "vectrade-server"),
  ].filter((c): c is string => typeof c === "string" && c !== "");
  const found = candidates.find((c) => existsSync(c));
  if (found === undefined) throw new Error(`no vectrade-server binary (tried ${candidates.join(", ")})`);
  return found;
}

/** Starts `child` and resolves with its output lines once one starts with `marker`. */
function readyLines(child: ChildProcess, marker: string, what: string): Promise<string[]> {
  const output: string[] = [];
  return new Promise((resolveLines, reject) => {
    let buffered = "";
    const timer = setTimeout(() => reject(new Error(`${what} did not start:\n${output.join("\n")}`)), 30_000);
    const take = (chunk: Buffer): void => {
      buffered += chunk.toString();
      const parts = buffered.split("\n");
      buffered = parts.pop() ?? "";
      for (const line of parts) {
        output.push(line);
        if (line.startsWith(marker)) {
          clearTimeout(timer);
          resolveLines(output);
        }
      }
    };
    child.stdout?.on("data", take);
    child.stderr?.on("data", take);
    child.on("exit", (code) => reject(new Error(`${what} exited (${code}):\n${output.join("\n")}`)));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
}

export interface LocalServer {
  baseUrl: string;
  apiKey: string;
  botKey: string;
  stop(): Promise<void>;
}

/** `vectrade-server --db <tmp> --port 0 --bar-interval manual`, reading the keys its first start prints. */
export async function startLocalServer(): Promise<LocalServer> {
  const dir = mkdtempSync(join(tmpdir(), "vectrade-mcp-"));
  const child = spawn(serverBinary(), ["--db", join(dir, "vectrade.db"), "--port", "0", "--bar-interval", "manual"], { stdio: ["ignore", "pipe", "pipe"] });
  const lines = await readyLines(child, "VecTrade server listening on ", "vectrade-server");
  const printed = (label: string): string => {
    const value = lines.find((l) => l.includes(label))?.split(label)[1]?.trim().split(/\s+/)[0];
    if (!value) throw new Error(`the server did not print ${label}:\n${lines.join("\n")}`);
    return value;
  };
  return {
    baseUrl: (lines.at(-1) ?? "").split(" ")[4] ?? "",
    apiKey: printed("API key:"),
    botKey: printed("bot key:"),
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The environment of an MCP server process: the backend's variables only (none of the test's own). */
export function mcpEnv(backend: { offline: true } | { server: LocalServer; withKeys?: boolean }): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env["PATH"] ?? "" };
  if ("offline" in backend) env["VECTRADE_BACKEND"] = "offline";
  else {
    env["VECTRADE_BASE_URL"] = backend.server.baseUrl;
    if (backend.withKeys !== false) {
      env["VECTRADE_API_KEY"] = backend.server.apiKey;
      env["VECTRADE_BOT_KEY"] = backend.server.botKey;
    }
  }
  return env;
}

export type Wire = "stdio" | "http";

/** An MCP session with the official client, and how to end it (the MCP server process included). */
export interface Session {
  client: Client;
  close(): Promise<void>;
  /** The Streamable HTTP endpoint, over HTTP. */
  url?: string;
}

/** Starts this package's CLI with `env` and connects the official client over `wire`. */
export async function connect(wire: Wire, env: Record<string, string>): Promise<Session> {
  const client = new Client({ name: "vectrade-mcp-test", version: "0.1.0" });
  if (wire === "stdio") {
    const transport = new StdioClientTransport({ command: process.execPath, args: [CLI], env, stderr: "pipe" });
    await client.connect(transport);
    return { client, close: () => client.close() };
  }
  const child = spawn(process.execPath, [CLI, "--http", "--port", "0"], { env, stdio: ["ignore", "pipe", "pipe"] });
  const lines = await readyLines(child, "VecTrade MCP server", "the MCP server");
  const url = (lines.at(-1) ?? "").split(" listening on ")[1]!.trim();
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return {
    client,
    url,
    async close() {
      await client.close();
      await stopChild(child);
    },
  };
}

/** A tool's answer; throws on a protocol error only (a tool error is an answer). */
export async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

/** The structured content of a successful call (fails the test on a tool error). */
export async function ok<T = Record<string, unknown>>(client: Client, name: string, args: Record<string, unknown> = {}): Promise<T> {
  const r = await call(client, name, args);
  if (r.isError) throw new Error(`${name} failed: ${JSON.stringify(r.content)}`);
  if (!Array.isArray(r.content) || r.content[0]?.type !== "text") throw new Error(`${name} answered no text summary`);
  return r.structuredContent as T;
}

/** The `{code, detail}` of a tool error (fails the test if the call succeeded). */
export async function refused(client: Client, name: string, args: Record<string, unknown> = {}): Promise<{ code?: string; detail?: string; text: string }> {
  const r = await call(client, name, args);
  if (!r.isError) throw new Error(`${name} succeeded: ${JSON.stringify(r.structuredContent)}`);
  const text = (r.content as Array<{ type: string; text?: string }>).map((c) => c.text ?? "").join("\n");
  const error = (r.structuredContent as { error?: { code: string; detail: string } } | undefined)?.error;
  return { ...(error ?? {}), text };
}

/** The seeds' 25 tool names. */
export const TOOLS = [
  "place_order", "cancel_order", "get_orders", "get_portfolio", "get_trading_kpi", "get_bot_account",
  "list_scenarios", "get_scenario", "auth_status", "connect_bottrade", "start_run", "get_run", "get_results", "get_trades", "publish_run",
  "scan_market", "inspect_symbols", "get_market", "submit_decision", "submit_turn", "step_run", "advance_until_next_session", "hold_until_end",
  "liquidate_and_finish", "run_sandbox_smoke_test",
];
