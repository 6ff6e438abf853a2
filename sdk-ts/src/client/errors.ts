/**
 * HTTP errors of the client in the SDK's hierarchy: every one is a `vt.VecTradeError`, and a
 * refusal the engine also raises locally (`vt.NotFound`, `vt.OrderRejected`, `vt.RateLimited`, ...)
 * is an instance of that same class, with the HTTP fields (`status`, `requestId`, `body`, `headers`)
 * set. Statuses with no engine family have their own classes below, under {@link APIError}.
 */

import {
  Conflict,
  IdempotencyConflict,
  InvalidInput,
  NotFound,
  RateLimited,
  VecTradeError,
  engineFamilyOf,
  vecTradeError,
  type ErrorFamily,
} from "../errors.js";

/** An HTTP error with no engine family (401, 402, 403, 5xx, no answer, timeout). */
export class APIError extends VecTradeError {
  constructor(code: string, detail: string) {
    super(code, detail, "http");
  }
}
/** 401: the key, secret or token is missing, unknown or expired. */
export class AuthenticationError extends APIError {}
/** 403: the credentials are valid but do not reach this resource. */
export class PermissionDenied extends APIError {}
/** 402: the plan's quota is used up; `checkoutUrl` is where to upgrade. */
export class QuotaExceeded extends APIError {
  checkoutUrl?: string;
}
/** 5xx: the server failed; retried by default. */
export class ServerError extends APIError {}
/** No answer: the connection could not be made or was dropped. */
export class ConnectionError extends APIError {}
/** No answer within the timeout. */
export class Timeout extends APIError {}

type ErrorClass = new (code: string, detail: string, family: ErrorFamily) => VecTradeError;

function byStatus(status: number, code: string): [ErrorClass, ErrorFamily] {
  if (status === 401) return [AuthenticationError as unknown as ErrorClass, "http"];
  if (status === 402) return [QuotaExceeded as unknown as ErrorClass, "http"];
  if (status === 403) return [PermissionDenied as unknown as ErrorClass, "http"];
  if (status === 404) return [NotFound, "not_found"];
  if (status === 409) return code.includes("idempotency") ? [IdempotencyConflict, "conflict"] : [Conflict, "conflict"];
  if (status === 429) return [RateLimited, "rate_limited"];
  if (status >= 500) return [ServerError as unknown as ErrorClass, "http"];
  return [InvalidInput, "invalid_input"];
}

/** The stable code and message of any family's error body (the four shapes of server/src/problem.rs). */
export function codeAndDetail(payload: unknown): [string, string] {
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) return ["", ""];
  const p = payload as Record<string, unknown>;
  const str = (v: unknown): string => (v === undefined || v === null ? "" : String(v));
  const nested = p["error"];
  if (nested !== null && typeof nested === "object" && !Array.isArray(nested)) {
    // accounts and agents: {"error": {code, message, details}}
    const n = nested as Record<string, unknown>;
    return [str(n["code"]), str(n["message"])];
  }
  // journal: {"error" | "message", "code": "BAD_REQUEST", "error_code"}
  if ("error_code" in p) return [str(p["error_code"]), str(p["error"] ?? p["message"])];
  // benchmark problems {status, title, detail, code} and bot routes {detail, code}
  return [str(p["code"]), str(p["detail"] ?? p["title"])];
}

/** `Retry-After` in seconds (a number of seconds or an HTTP date); undefined when absent or unreadable. */
export function retryAfterSeconds(headers: Record<string, string>): number | undefined {
  const value = headers["retry-after"];
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() !== "" && Number.isFinite(n)) return Math.max(0, n);
  const when = Date.parse(value);
  return Number.isNaN(when) ? undefined : Math.max(0, (when - Date.now()) / 1000);
}

/** The error an unsuccessful answer raises. */
export function errorFromResponse(status: number, statusText: string, headers: Record<string, string>, text: string): VecTradeError {
  let payload: unknown;
  try {
    payload = text ? JSON.parse(text) : undefined;
  } catch {
    payload = undefined;
  }
  const [code, detail] = codeAndDetail(payload);
  const engineFamily = status >= 400 && status < 500 && ![401, 402, 403].includes(status) ? engineFamilyOf(code) : undefined;
  const shown = detail || statusText || `HTTP ${status}`;
  let err: VecTradeError;
  if (engineFamily !== undefined) {
    // A refusal the engine also raises locally is the engine's own error, so `instanceof
    // vt.OrderRejected` holds for the same refusal locally and remotely.
    err = vecTradeError(code, shown);
  } else {
    const [cls, family] = byStatus(status, code);
    err = new cls(code || `http_${status}`, shown, family);
  }
  err.status = status;
  err.requestId = headers["x-request-id"];
  err.body = text;
  err.headers = headers;
  if (err instanceof QuotaExceeded) {
    const url = (payload as Record<string, unknown> | undefined)?.["checkout_url"];
    if (typeof url === "string") err.checkoutUrl = url;
  }
  if (err instanceof RateLimited) err.retryAfter = retryAfterSeconds(headers);
  return err;
}

/** An error with no answer (connection, timeout), with the HTTP fields empty. */
export function transportError<T extends APIError>(cls: new (code: string, detail: string) => T, code: string, detail: string): T {
  const err = new cls(code, detail);
  err.body = "";
  err.headers = {};
  return err;
}
