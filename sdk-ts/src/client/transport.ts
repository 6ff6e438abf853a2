/**
 * The client's transport on `fetch`: configuration from options or the environment, the credentials
 * each route family takes, timeouts, retries of the requests that are safe to repeat, decoding
 * (money as decimal strings, digit for digit) and the error of an unsuccessful answer. No Node-only
 * import: the same code runs in browsers through `@vectrade/sdk/browser`.
 */

import type { VecTradeError } from "../errors.js";
import { ConnectionError, Timeout, errorFromResponse, retryAfterSeconds, transportError } from "./errors.js";
import { RawNumber, decimalText, parseJson, type RawJson } from "./json.js";
import { DECODE, REQUESTS, RESPONSES } from "./models.js";
import { OPERATIONS, type Operation, type OperationName } from "./operations.js";

/** The hosted API (seed 000's host); `baseUrl: "http://127.0.0.1:8080"` (or `VECTRADE_BASE_URL`) for `vectrade serve`. */
export const DEFAULT_BASE_URL = "https://vectrade.io";
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_RETRIES = 2;
/** Longest `Retry-After` (seconds) the client waits for; a longer one raises at once. */
export const DEFAULT_MAX_RETRY_AFTER = 60;
const INITIAL_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 8_000;

/** Options of one call: every method takes them last. */
export interface CallOptions {
  /** Aborts the call (and its retries) at once, rejecting with the signal's reason. */
  signal?: AbortSignal;
  /** This call's timeout per attempt, in milliseconds. */
  timeoutMs?: number;
  /** This call's number of retries. */
  maxRetries?: number;
}

/** What `client.withOptions({...})` may change for the calls made through the view it returns. */
export interface ViewOptions {
  /** Timeout per attempt in milliseconds. */
  timeoutMs?: number;
  /** Retries of a request that is safe to repeat. */
  maxRetries?: number;
  /**
   * Act as this agent of the logged-in account on the benchmark and bot routes: the login JWT with
   * `X-Agent-Id` (seed 004) is sent instead of a key.
   */
  agentId?: string;
}

/** Options of `new vt.Client({...})`. */
export interface ClientOptions {
  /** Default `VECTRADE_BASE_URL`, else {@link DEFAULT_BASE_URL}. */
  baseUrl?: string;
  /** The account's or an agent's API key; default `VECTRADE_API_KEY`. */
  apiKey?: string;
  /** A bot key for the bot routes; default `VECTRADE_BOT_KEY`. */
  botKey?: string;
  /** A JWT of `auth.login` (login keeps the one it gets). */
  token?: string;
  /** The local server's operator token; default `VECTRADE_OPERATOR_TOKEN`. */
  operatorToken?: string;
  /** Timeout per attempt in milliseconds (default 30 s). */
  timeoutMs?: number;
  /** Retries of a request that is safe to repeat (default 2). */
  maxRetries?: number;
  /** Longest `Retry-After` in seconds the client waits for (default 60); longer raises. */
  maxRetryAfter?: number;
  /** Headers added to every request. */
  headers?: Record<string, string>;
  /** Called with one line per answer (method, path, status, time, request id; never a secret). */
  logger?: (line: string) => void;
  /** The `fetch` to use (default the global one). */
  fetch?: typeof fetch;
}

/** What the client keeps of the latest answer (`client.lastResponse`). */
export interface ResponseInfo {
  method: string;
  path: string;
  status: number;
  /** The answer's headers, lower-case names. */
  headers: Record<string, string>;
  /** `X-Request-Id`. */
  requestId: string | undefined;
  /** `X-RateLimit-Remaining` of the bot routes, as a number. */
  rateLimitRemaining: number | undefined;
  elapsedMs: number;
  /** 1 when the first attempt answered. */
  attempts: number;
}

/** One request to make: a row of the table and its values. */
export interface Request {
  path?: Record<string, string | number>;
  query?: Record<string, string | number | boolean | readonly string[] | undefined | null>;
  body?: unknown;
  /** Carries an idempotency key the client made: safe to retry although it is a POST. */
  idempotent?: boolean;
  options?: CallOptions | undefined;
}

type Env = Record<string, string | undefined>;

/** `process.env` in Node; an empty map where there is no `process` (browsers). */
export function environment(): Env {
  const proc = (globalThis as { process?: { env?: Env } }).process;
  return proc?.env ?? {};
}

/** A fresh idempotency key (a UUID4). */
export function newKey(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  const hex = [...Array(32)].map(() => Math.floor(Math.random() * 16).toString(16));
  hex[12] = "4";
  hex[16] = ((parseInt(hex[16] ?? "0", 16) & 3) | 8).toString(16);
  const h = hex.join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const MARK = "\u0000vectrade-number:";
const DECIMAL = /^-?\d+(\.\d+)?$/;

function encodeValue(value: unknown, kind: string): unknown {
  if (kind === "decimal" && (typeof value === "string" || typeof value === "number" || typeof value === "bigint")) {
    const text = String(value);
    if (!DECIMAL.test(text)) return value; // the server names the bad value
    return MARK + text + "\u0000"; // written as a bare JSON number below: its exact digits
  }
  if (kind === "decimal_string" && (typeof value === "number" || typeof value === "bigint")) return String(value);
  const [head, rest = ""] = splitKind(kind);
  if (head === "ref") return encodeSchema(value, rest);
  if (head === "list" && Array.isArray(value)) return value.map((v) => encodeValue(v, rest === "decimal" ? "decimal" : rest ? "ref:" + rest : ""));
  return value;
}

function encodeSchema(value: unknown, schema: string): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const fields = DECODE[schema] ?? {};
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encodeValue(v, fields[k] ?? "")]));
}

/** JSON of a request body: money where the schema has a JSON number is written as a number with its exact digits. */
export function encodeBody(body: unknown, schema: string | undefined): string {
  const text = JSON.stringify(schema ? encodeSchema(body, schema) : body);
  return text.replace(/"\\u0000vectrade-number:(-?[0-9]+(?:\.[0-9]+)?)\\u0000"/g, "$1");
}

function splitKind(kind: string): [string, string | undefined] {
  const at = kind.indexOf(":");
  return at < 0 ? [kind, undefined] : [kind.slice(0, at), kind.slice(at + 1)];
}

/** A parsed value as plain JSON (numbers as JS numbers), except where `kind` says money. */
function decodeValue(value: RawJson, kind: string): unknown {
  if (value instanceof RawNumber) return kind === "decimal" || kind === "decimal_string" ? decimalText(value.text) : Number(value.text);
  if (value === null || typeof value !== "object") return value;
  const [head, rest = ""] = splitKind(kind);
  if (Array.isArray(value)) {
    const inner = head === "list" ? (rest === "decimal" ? "decimal" : rest ? "ref:" + rest : "") : "";
    return value.map((v) => decodeValue(v, inner));
  }
  if (head === "ref") return decodeSchema(value, rest);
  if (head === "map") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decodeValue(v, rest)]));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decodeValue(v, "")]));
}

function decodeSchema(value: RawJson, schema: string): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value) || value instanceof RawNumber) return decodeValue(value, "");
  const fields = DECODE[schema] ?? {};
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decodeValue(v, fields[k] ?? fields["*"] ?? "")]));
}

/** An answer's JSON text decoded by an operation's response kind (`ref:S`, `list:S`, `json`). */
export function decodeBody(text: string, kind: string): unknown {
  const raw = parseJson(text);
  const [head, schema = ""] = splitKind(kind);
  if (head === "ref") return decodeSchema(raw, schema);
  if (head === "list" && Array.isArray(raw)) return raw.map((v) => decodeSchema(v, schema));
  return decodeValue(raw, "");
}

/** The wait before retry `attempt + 1` without a Retry-After: 0.5 s doubling up to 8 s, less up to a quarter of jitter. */
export function backoffMs(attempt: number): number {
  const delay = Math.min(INITIAL_BACKOFF_MS * 2 ** attempt, MAX_BACKOFF_MS);
  return delay * (1 - 0.25 * Math.random()); // jitter: never two clients in lockstep
}

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function headerMap(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  h.forEach((v, k) => {
    out[k.toLowerCase()] = v;
  });
  return out;
}

function queryValue(v: string | number | boolean | readonly string[]): string {
  if (Array.isArray(v)) return v.join(",");
  return String(v);
}

/** Credentials, shared by a client and its `withOptions` views. */
interface Secrets {
  apiKey?: string | undefined;
  botKey?: string | undefined;
  token?: string | undefined;
  operatorToken?: string | undefined;
  /** The key and secret of the last successful login, to log in again when the JWT is refused. */
  login?: { apiKey: string; apiSecret: string } | undefined;
}

/** The shared state and the sending loop of a client. */
export class Transport {
  baseUrl: string;
  // Credentials in a private field: never in `console.log(client)` or `JSON.stringify(client)`.
  #secrets: Secrets = {};
  #shared: { lastResponse: ResponseInfo | undefined } = { lastResponse: undefined };
  /** Set on a `withOptions({agentId})` view. */
  agentId: string | undefined;
  get apiKey(): string | undefined {
    return this.#secrets.apiKey;
  }
  set apiKey(v: string | undefined) {
    this.#secrets.apiKey = v;
  }
  get botKey(): string | undefined {
    return this.#secrets.botKey;
  }
  set botKey(v: string | undefined) {
    this.#secrets.botKey = v;
  }
  get token(): string | undefined {
    return this.#secrets.token;
  }
  set token(v: string | undefined) {
    this.#secrets.token = v;
  }
  get operatorToken(): string | undefined {
    return this.#secrets.operatorToken;
  }
  set operatorToken(v: string | undefined) {
    this.#secrets.operatorToken = v;
  }
  /** Keeps `apiKey` and `apiSecret` for logging in again (in memory only, never logged). */
  rememberLogin(apiKey: string, apiSecret: string): void {
    this.#secrets.login = { apiKey, apiSecret };
  }
  get lastResponse(): ResponseInfo | undefined {
    return this.#shared.lastResponse;
  }
  set lastResponse(v: ResponseInfo | undefined) {
    this.#shared.lastResponse = v;
  }
  timeoutMs: number;
  maxRetries: number;
  maxRetryAfter: number;
  private readonly extraHeaders: Record<string, string>;
  private readonly logger: ((line: string) => void) | undefined;
  private readonly fetchImpl: typeof fetch | undefined;

  /** A transport sharing this one's credentials, connections and `lastResponse`, with other options. */
  view(options: ViewOptions): Transport {
    const other = new Transport({
      baseUrl: this.baseUrl,
      timeoutMs: this.timeoutMs,
      maxRetries: this.maxRetries,
      maxRetryAfter: this.maxRetryAfter,
      headers: this.extraHeaders,
      ...(this.logger ? { logger: this.logger } : {}),
      ...(this.fetchImpl ? { fetch: this.fetchImpl } : {}),
    });
    other.agentId = this.agentId;
    other.#secrets = this.#secrets;
    other.#shared = this.#shared;
    if (options.timeoutMs !== undefined) other.timeoutMs = options.timeoutMs;
    if (options.maxRetries !== undefined) {
      if (!(options.maxRetries >= 0)) throw new RangeError(`maxRetries must be 0 or more, got ${options.maxRetries}`);
      other.maxRetries = options.maxRetries;
    }
    if (options.agentId !== undefined) other.agentId = options.agentId;
    return other;
  }

  constructor(options: ClientOptions = {}) {
    const env = environment();
    const url = options.baseUrl ?? env["VECTRADE_BASE_URL"] ?? DEFAULT_BASE_URL;
    if (!/^https?:\/\//.test(url)) throw transportError(ConnectionError, "invalid_base_url", `the base URL must start with http:// or https://, got ${JSON.stringify(url)}`);
    this.baseUrl = url.replace(/\/+$/, "");
    this.apiKey = options.apiKey ?? env["VECTRADE_API_KEY"];
    this.botKey = options.botKey ?? env["VECTRADE_BOT_KEY"];
    this.token = options.token;
    this.operatorToken = options.operatorToken ?? env["VECTRADE_OPERATOR_TOKEN"];
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
    if (!(this.maxRetries >= 0)) throw new RangeError(`maxRetries must be 0 or more, got ${this.maxRetries}`);
    this.maxRetryAfter = options.maxRetryAfter ?? DEFAULT_MAX_RETRY_AFTER;
    this.extraHeaders = { ...(options.headers ?? {}) };
    this.logger = options.logger;
    this.fetchImpl = options.fetch;
  }

  private authHeaders(auth: Operation["auth"]): Record<string, string> {
    if (this.agentId !== undefined && (auth === "key" || auth === "bot")) {
      // The account's JWT acting as one of its agents (seed 004's X-Agent-Id).
      return this.token ? { Authorization: `Bearer ${this.token}`, "X-Agent-Id": this.agentId } : {};
    }
    switch (auth) {
      case "key":
        if (this.apiKey) return { "X-API-Key": this.apiKey };
        return this.token ? { Authorization: `Bearer ${this.token}` } : {};
      case "bot":
        if (this.botKey) return { "X-Bot-Key": this.botKey };
        return this.apiKey ? { "X-API-Key": this.apiKey } : {};
      case "jwt":
        return this.token ? { Authorization: `Bearer ${this.token}` } : {};
      case "journal": {
        const key = this.apiKey || this.botKey;
        return key ? { "x-api-key": key } : {};
      }
      case "operator":
        return this.operatorToken ? { "X-Operator-Token": this.operatorToken } : {};
      default:
        return {};
    }
  }

  /** Whether a request of this kind carries the login JWT. */
  private sendsToken(auth: Operation["auth"]): boolean {
    if (auth === "jwt") return true;
    if (this.agentId !== undefined && (auth === "key" || auth === "bot")) return true;
    return auth === "key" && !this.apiKey;
  }

  private backoff(attempt: number): number {
    return backoffMs(attempt);
  }

  /** Sends the operation `name`, retrying what is safe to repeat, and decodes its answer. */
  async call(name: OperationName, req: Request = {}): Promise<unknown> {
    const op: Operation = OPERATIONS[name];
    const options = req.options ?? {};
    let path = op.path;
    for (const [k, v] of Object.entries(req.path ?? {})) path = path.replace(`{${k}}`, encodeURIComponent(String(v)));
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined && v !== null) query.set(k, queryValue(v));
    const qs = query.toString();
    const url = this.baseUrl + path + (qs ? `?${qs}` : "");
    let headers: Record<string, string> = { Accept: "application/json", ...this.extraHeaders, ...this.authHeaders(op.auth) };
    let body: string | undefined;
    if (req.body !== undefined) {
      body = encodeBody(req.body, REQUESTS[`${op.method} ${op.path}`]);
      headers["Content-Type"] = "application/json";
    }
    const retryable = op.method === "GET" || op.method === "DELETE" || req.idempotent === true;
    const maxRetries = options.maxRetries ?? this.maxRetries;
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const signal = options.signal;
    const doFetch = this.fetchImpl ?? globalThis.fetch;
    const started = Date.now();
    let loggedInAgain = false;
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw signal.reason;
      const controller = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, timeoutMs);
      const onAbort = (): void => controller.abort(signal?.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      let status: number;
      let statusText: string;
      let resHeaders: Record<string, string>;
      let text: string;
      try {
        const res = await doFetch(url, { method: op.method, headers, body: body ?? null, signal: controller.signal });
        status = res.status;
        statusText = res.statusText;
        resHeaders = headerMap(res.headers);
        text = await res.text(); // inside the timeout: a body that never ends times out too
      } catch (e) {
        if (signal?.aborted) throw signal.reason;
        const err = timedOut
          ? transportError(Timeout, "timeout", `${op.method} ${path}: no answer in ${timeoutMs} ms`)
          : transportError(ConnectionError, "connection_error", `${op.method} ${path}: ${e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)}`);
        if (retryable && attempt < maxRetries) {
          await sleep(this.backoff(attempt), signal);
          continue;
        }
        throw err;
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      }
      this.record(op, path, status, resHeaders, started, attempt + 1);
      const login = this.#secrets.login;
      if (status === 401 && !loggedInAgain && login !== undefined && this.sendsToken(op.auth)) {
        // The JWT was refused (it expired): log in again once and repeat the request.
        loggedInAgain = true;
        const out = (await this.call("auth.login", { body: { api_key: login.apiKey, api_secret: login.apiSecret }, options: { signal } })) as { token: string };
        this.token = out.token;
        headers = { ...headers, ...this.authHeaders(op.auth) };
        attempt--;
        continue;
      }
      if (status >= 400) {
        const again = status === 408 || status === 429 || status >= 500;
        if (again && retryable && attempt < maxRetries) {
          const retryAfter = retryAfterSeconds(resHeaders);
          if (retryAfter !== undefined && retryAfter > this.maxRetryAfter) throw errorFromResponse(status, statusText, resHeaders, text);
          await sleep(retryAfter !== undefined ? retryAfter * 1000 : this.backoff(attempt), signal);
          continue;
        }
        throw errorFromResponse(status, statusText, resHeaders, text) as VecTradeError;
      }
      const kind = RESPONSES[`${op.method} ${op.path}`] ?? "json";
      if (kind === "empty" || text === "") return undefined;
      if (kind === "text") return text;
      return decodeBody(text, kind);
    }
  }

  private record(op: Operation, path: string, status: number, headers: Record<string, string>, started: number, attempts: number): void {
    const elapsedMs = Date.now() - started;
    const requestId = headers["x-request-id"];
    const remaining = headers["x-ratelimit-remaining"];
    this.lastResponse = {
      method: op.method,
      path,
      status,
      headers,
      requestId,
      rateLimitRemaining: remaining === undefined ? undefined : Number(remaining),
      elapsedMs,
      attempts,
    };
    // Method, path, status, time and request id only: never a header, a body or a query.
    this.logger?.(`${op.method} ${path} -> ${status} in ${elapsedMs} ms (request id ${requestId ?? "-"}, attempt ${attempts})`);
  }
}
