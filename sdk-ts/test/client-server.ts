/**
 * For the client tests: starts the real `vectrade-server` binary on a fresh database, a free port
 * and a manual market, reading what its first start prints; and a small fault-injecting HTTP proxy
 * in front of it (drops the connection after forwarding, answers 503 or 429 with Retry-After, or
 * waits before forwarding). No test module runs here: it only exports.
 */

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const SDK = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The server binary: `VECTRADE_SERVER_BIN` (scripts/test.sh sets it), else the cargo target dir's debug build. */
export function serverBinary(): string {
  const candidates = [
    process.env["VECTRADE_SERVER_BIN"],
    process.env["CARGO_TARGET_DIR"] && join(resolve(SDK, "..", process.env["CARGO_TARGET_DIR"]), "debug", "vectrade-server"),
    join(SDK, "..", "target", "debug", "vectrade-server"),
  ].filter((c): c is string => typeof c === "string" && c !== "");
  const found = candidates.find((c) => existsSync(c));
  if (found === undefined) {
    throw new Error(`no vectrade-server binary (tried ${candidates.join(", ")}): flock /tmp/vectrade-build.lock cargo build -p vectrade-server --locked`);
  }
  return found;
}

export interface LocalServer {
  baseUrl: string;
  apiKey: string;
  apiSecret: string;
  accountId: string;
  botKey: string;
  operatorToken: string;
  output: string[];
  /** Reveals `bars` more bars of the bot market (the operator route, outside the client). */
  advance(bars?: number): Promise<unknown>;
  stop(): Promise<void>;
}

/** Starts a server as `vectrade-server --db <tmp> --port 0 --bar-interval manual`. */
export async function startServer(): Promise<LocalServer> {
  const dir = mkdtempSync(join(tmpdir(), "vectrade-client-"));
  const child: ChildProcess = spawn(serverBinary(), ["--db", join(dir, "vectrade.db"), "--port", "0", "--bar-interval", "manual"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const lines = await new Promise<string[]>((resolveLines, reject) => {
    let buffered = "";
    const timer = setTimeout(() => reject(new Error(`the server did not start:\n${output.join("\n")}`)), 20_000);
    const take = (chunk: Buffer): void => {
      buffered += chunk.toString();
      const parts = buffered.split("\n");
      buffered = parts.pop() ?? "";
      for (const line of parts) {
        output.push(line);
        if (line.startsWith("VecTrade server listening on ")) {
          clearTimeout(timer);
          resolveLines(output);
        }
      }
    };
    child.stdout?.on("data", take);
    child.stderr?.on("data", take);
    child.on("exit", (code) => reject(new Error(`the server exited (${code}):\n${output.join("\n")}`)));
  });
  const printed = (label: string): string => {
    const line = lines.find((l) => l.includes(label));
    const value = line?.split(label)[1]?.trim().split(/\s+/)[0];
    if (!value) throw new Error(`the server did not print ${label}:\n${lines.join("\n")}`);
    return value;
  };
  const baseUrl = (lines.at(-1) ?? "").split(" ")[4] ?? "";
  const operatorToken = printed("operator token:");
  return {
    baseUrl,
    apiKey: printed("API key:"),
    apiSecret: printed("API secret:"),
    accountId: printed("account id:"),
    botKey: printed("bot key:"),
    operatorToken,
    output,
    async advance(bars = 1) {
      const r = await fetch(`${baseUrl}/api/v1/operator/market/advance`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Operator-Token": operatorToken },
        body: JSON.stringify({ bars }),
      });
      return r.json();
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What the proxy does with one request. */
export type Fault = { kind: "drop" } | { kind: "status"; status: number; retryAfter?: string } | { kind: "delay"; ms: number };

/** A fault-injecting HTTP proxy in front of `upstream`. */
export class FaultProxy {
  readonly seen: Array<{ method: string; path: string; action: string }> = [];
  private readonly faults: Array<{ method: string; prefix: string; fault: Fault }> = [];
  private readonly server: Server;
  private readonly upstream: URL;
  url = "";

  private constructor(upstream: string) {
    this.upstream = new URL(upstream);
    // an upstream gone (the server stopped after a delayed request) ends that connection, nothing else
    this.server = createServer((req, res) => void this.handle(req, res).catch(() => res.destroy()));
  }

  static async start(upstream: string): Promise<FaultProxy> {
    const p = new FaultProxy(upstream);
    await new Promise<void>((r) => p.server.listen(0, "127.0.0.1", r));
    const address = p.server.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    p.url = `http://127.0.0.1:${address.port}`;
    return p;
  }

  /** The next requests of `method` on a path starting with `prefix` meet `faults`, in order. */
  fail(method: string, prefix: string, ...faults: Fault[]): void {
    this.faults.push(...faults.map((fault) => ({ method, prefix, fault })));
  }

  count(method: string, prefix: string): number {
    return this.seen.filter((s) => s.method === method && s.path.startsWith(prefix)).length;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const at = this.faults.findIndex((f) => f.method === req.method && path.startsWith(f.prefix));
    const fault = at >= 0 ? this.faults.splice(at, 1)[0]?.fault : undefined;
    this.seen.push({ method: req.method ?? "", path, action: fault?.kind ?? "pass" });
    if (fault?.kind === "status") {
      const payload = JSON.stringify({ detail: "injected by the test proxy", code: `injected_${fault.status}` });
      res.writeHead(fault.status, { "Content-Type": "application/json", "Connection": "close", ...(fault.retryAfter ? { "Retry-After": fault.retryAfter } : {}) });
      res.end(payload);
      return;
    }
    if (fault?.kind === "delay") await new Promise((r) => setTimeout(r, fault.ms));
    const reply = await this.forward(req, body);
    if (fault?.kind === "drop") {
      req.socket.destroy(); // the server did the work; the client never hears of it
      return;
    }
    if (res.destroyed) return;
    res.writeHead(reply.status, reply.headers);
    res.end(reply.body);
  }

  private forward(req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
    return new Promise((resolveReply, reject) => {
      const headers = { ...req.headers };
      delete headers["host"];
      delete headers["connection"];
      const up = httpRequest(
        { host: this.upstream.hostname, port: this.upstream.port, method: req.method, path: req.url, headers },
        (r) => {
          const parts: Buffer[] = [];
          r.on("data", (c: Buffer) => parts.push(c));
          r.on("end", () => {
            const out: Record<string, string | string[]> = {};
            for (const [k, v] of Object.entries(r.headers)) if (v !== undefined && k !== "transfer-encoding" && k !== "connection") out[k] = v;
            resolveReply({ status: r.statusCode ?? 502, headers: out, body: Buffer.concat(parts) });
          });
        },
      );
      up.on("error", reject);
      up.end(body);
    });
  }
}
