/**
 * Streamable HTTP at `/mcp`: a session per client that initializes (`Mcp-Session-Id`), all sharing
 * one backend. A client whose `Accept` lacks `text/event-stream` gets plain JSON answers instead of a
 * 406 (SPEC §5.1), and a JSON-RPC POST without a session (no initialize first) is answered
 * statelessly, as some HTTP clients of the hosted services do it.
 */

import { randomUUID } from "node:crypto";
import { type IncomingMessage, type Server, type ServerResponse, createServer as createHttpServer } from "node:http";

import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";

import type { Backend } from "./backend.js";
import { createServer } from "./server.js";

interface Session {
  transport: WebStandardStreamableHTTPServerTransport;
  close(): Promise<void>;
  /** When the client last used it (ms); idle sessions are closed after `idleMs`. */
  seen: number;
}

/** A session unused this long is closed (its client starts another with `initialize`). */
export const SESSION_IDLE_MS = 30 * 60_000;

/** A running HTTP server. */
export interface HttpServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

function isLoopbackAuthority(authority: string | undefined): boolean {
  if (authority === undefined) return false;
  try {
    return LOOPBACK.has(new URL(`http://${authority}`).hostname);
  } catch {
    return false;
  }
}

function isLoopbackOrigin(origin: string): boolean {
  try {
    return LOOPBACK.has(new URL(origin).hostname);
  } catch {
    return false;
  }
}

const isInitialize = (body: unknown): boolean =>
  (Array.isArray(body) ? body : [body]).some((m) => m !== null && typeof m === "object" && (m as { method?: unknown }).method === "initialize");

function jsonRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }));
}

/** Serves MCP over Streamable HTTP at `http://host:port/mcp` (port 0: a free one). */
export async function serveHttp(backend: Backend, options: { port?: number; host?: string; idleMs?: number } = {}): Promise<HttpServer> {
  const host = options.host ?? "127.0.0.1";
  const sessions = new Map<string, Session>();
  const idleMs = options.idleMs ?? SESSION_IDLE_MS;
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const [id, session] of sessions) {
      if (now - session.seen > idleMs) {
        sessions.delete(id);
        void session.close().catch(() => {});
      }
    }
  }, Math.min(idleMs, 60_000));
  sweeper.unref();

  async function open(json: boolean, stateful: boolean): Promise<Session> {
    const server = createServer(backend);
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      enableJsonResponse: json,
      ...(stateful
        ? {
            sessionIdGenerator: () => randomUUID(),
            onsessioninitialized: (id: string) => void sessions.set(id, session),
            onsessionclosed: (id: string) => void sessions.delete(id),
          }
        : { sessionIdGenerator: undefined }),
    });
    const session: Session = { transport, close: () => server.close(), seen: Date.now() };
    await server.connect(transport);
    return session;
  }

  const loopback = LOOPBACK.has(host);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // DNS rebinding: a server bound to loopback answers only requests addressed to loopback, from loopback pages
    if (loopback && (!isLoopbackAuthority(req.headers.host) || (req.headers.origin !== undefined && !isLoopbackOrigin(req.headers.origin)))) {
      res.writeHead(403, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ detail: "this MCP server listens on loopback: Host and Origin must be loopback addresses" }));
      return;
    }
    const url = new URL(req.url ?? "/", `http://${host}`);
    if (url.pathname !== "/mcp") {
      res.writeHead(404, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ detail: "MCP is served at /mcp" }));
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    let body: unknown;
    if (req.method === "POST") {
      try {
        body = JSON.parse(raw);
      } catch {
        jsonRpcError(res, 400, -32700, "Parse error: the body is not JSON");
        return;
      }
    }
    const accept = String(req.headers["accept"] ?? "");
    const plainJson = !accept.includes("text/event-stream");
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
    if (req.method === "POST") {
      // the transport insists on both; a plain-JSON client is answered with JSON (enableJsonResponse)
      if (plainJson || !accept.includes("application/json")) headers.set("accept", "application/json, text/event-stream");
      if (!String(req.headers["content-type"] ?? "").includes("application/json")) headers.set("content-type", "application/json");
    }
    const sid = req.headers["mcp-session-id"];
    let session: Session | undefined;
    let oneShot = false;
    if (typeof sid === "string") {
      session = sessions.get(sid);
      if (session === undefined) {
        jsonRpcError(res, 404, -32001, `Session not found: ${sid}`);
        return;
      }
    } else if (req.method === "POST" && isInitialize(body)) {
      session = await open(plainJson, true);
    } else if (req.method === "POST") {
      session = await open(true, false);
      oneShot = true;
    } else {
      jsonRpcError(res, 400, -32000, "Bad Request: no Mcp-Session-Id header (initialize first)");
      return;
    }
    session.seen = Date.now();
    const request = new Request(url, { method: req.method ?? "GET", headers, ...(req.method === "POST" ? { body: raw } : {}) });
    const response = await session.transport.handleRequest(request, { parsedBody: body });
    res.writeHead(response.status, Object.fromEntries(response.headers.entries()));
    if (response.body) {
      const reader = response.body.getReader();
      res.on("close", () => void reader.cancel().catch(() => {}));
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        res.write(value);
      }
    }
    res.end();
    if (oneShot) await session.close();
  }

  const server: Server = createHttpServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) jsonRpcError(res, 500, -32603, `Internal error: ${e instanceof Error ? e.message : String(e)}`);
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `http://${host}:${port}/mcp`,
    port,
    async close() {
      clearInterval(sweeper);
      for (const s of sessions.values()) await s.close().catch(() => {});
      sessions.clear();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
