/**
 * Errors: one base class, {@link VecTradeError}, and a subclass per family, each carrying the
 * engine's stable `code` (`"insufficient_buying_power"`, ...) and a human `detail`.
 */

import { engineBuild } from "./backend.js";

/** The families of errors; each has its own class below. */
export type ErrorFamily =
  | "invalid_input"
  | "order_rejected"
  | "risk_limit_exceeded"
  | "rate_limited"
  | "conflict"
  | "not_found"
  | "invalid_state"
  | "internal"
  | "http";

/** Base class of every VecTrade error. */
export class VecTradeError extends Error {
  /** The engine's stable machine code, e.g. `insufficient_buying_power`. */
  readonly code: string;
  /** What went wrong, for a person. */
  readonly detail: string;
  /** The family of the code. */
  readonly family: ErrorFamily;
  /** The HTTP status when the error came from a server (`vt.Client`); undefined from the local engine. */
  status?: number;
  /** The server's `X-Request-Id` of the failed request. */
  requestId?: string;
  /** The raw text of the server's answer ("" when none came). */
  body?: string;
  /** The headers of the server's answer (lower-case names). */
  headers?: Record<string, string>;

  constructor(code: string, detail: string, family: ErrorFamily) {
    super(detail);
    this.name = new.target.name;
    this.code = code;
    this.detail = detail;
    this.family = family;
  }
}

/** The input is malformed (bad quantity, unknown value, bad CSV, ...). */
export class InvalidInput extends VecTradeError {}
/** The account cannot take the order (buying power, position, shorting). */
export class OrderRejected extends VecTradeError {}
/** A check of the agent's risk profile refused the order. */
export class RiskLimitExceeded extends VecTradeError {}
/** A rate limit of the risk profile refused the request. */
export class RateLimited extends VecTradeError {
  /** Over HTTP: the server's `Retry-After`, in seconds. */
  retryAfter?: number;
}
/** An identifier or key was reused for something else. */
export class Conflict extends VecTradeError {}
/** The idempotency key was used with a different request. */
export class IdempotencyConflict extends Conflict {}
/** The named scenario, agent or order does not exist. */
export class NotFound extends VecTradeError {}
/** The call is not valid now (run finished, still running, ...). */
export class InvalidState extends VecTradeError {}
/** The run is over; it takes no more steps or orders. */
export class RunFinished extends InvalidState {}
/**
 * The engine failed on its own (a panic in the native addon, caught at its boundary): a bug to
 * report, never the input's fault. The process goes on; the run it happened in should be dropped.
 */
export class InternalError extends VecTradeError {}

const FAMILY_CLASSES: Record<ErrorFamily, new (code: string, detail: string, family: ErrorFamily) => VecTradeError> = {
  invalid_input: InvalidInput,
  order_rejected: OrderRejected,
  risk_limit_exceeded: RiskLimitExceeded,
  rate_limited: RateLimited,
  conflict: Conflict,
  not_found: NotFound,
  invalid_state: InvalidState,
  internal: InternalError,
  http: VecTradeError,
};

/** The addon's code for a panic caught at its boundary (bindings-node `guard`). */
const INTERNAL = "internal_error";

/**
 * Argument-conversion failures of napi-rs (`StringExpected`, `NumberExpected`, ...): a JS value of
 * the wrong type reached the addon. The TypeScript layer checks arguments first, so these are a
 * last guard; they become `InvalidInput` rather than a bare `Error` with a napi status.
 */
const NAPI_TYPE_ERRORS = new Set([
  "InvalidArg",
  "ObjectExpected",
  "StringExpected",
  "NameExpected",
  "FunctionExpected",
  "NumberExpected",
  "BooleanExpected",
  "ArrayExpected",
  "BigintExpected",
  "DateExpected",
  "ArrayBufferExpected",
  "DetachableArraybufferExpected",
]);

let families: ReadonlyMap<string, ErrorFamily> | undefined;

/** The engine's table of codes and families, read once. */
function familyOf(code: string): ErrorFamily | undefined {
  families ??= new Map(engineBuild().errorCodes().map((e) => [e.code, e.family as ErrorFamily]));
  return families.get(code);
}

/**
 * The family of an engine code, or undefined also when no engine is loaded (the HTTP client in a
 * browser before `load()`): the client then goes by the HTTP status alone.
 */
export function engineFamilyOf(code: string): ErrorFamily | undefined {
  try {
    return familyOf(code);
  } catch {
    return undefined;
  }
}

/** Every stable error code with its family, e.g. `["insufficient_buying_power", "order_rejected"]`. */
export function errorCodes(): Array<[code: string, family: ErrorFamily]> {
  familyOf("");
  return [...(families ?? new Map<string, ErrorFamily>()).entries()];
}

/** The error of `code` (an engine code), as its family's class. */
export function vecTradeError(code: string, detail: string): VecTradeError {
  if (code === INTERNAL) return new InternalError(code, detail, "internal");
  const family = familyOf(code) ?? "invalid_input";
  if (code === "idempotency_conflict") return new IdempotencyConflict(code, detail, family);
  if (code === "run_finished") return new RunFinished(code, detail, family);
  return new FAMILY_CLASSES[family](code, detail, family);
}

/** An `InvalidInput` raised by this package's own argument checks. */
export function invalid(detail: string, code = "invalid_argument"): InvalidInput {
  return vecTradeError(code, detail) as InvalidInput;
}

/**
 * Runs a call into the engine, turning the native error it throws (a plain `Error` whose `code`
 * is an engine code) into the {@link VecTradeError} subclass of its family. Other errors (from a
 * strategy's own code, say) pass through untouched.
 */
export function engine<T>(call: () => T): T {
  try {
    return call();
  } catch (e) {
    throw typed(e);
  }
}

/** `e` as a {@link VecTradeError} when it comes from the engine; anything else as it is. */
export function typed(e: unknown): unknown {
  if (e instanceof Error && !(e instanceof VecTradeError)) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== "string") return e;
    if (code === INTERNAL || familyOf(code) !== undefined) return vecTradeError(code, e.message);
    if (NAPI_TYPE_ERRORS.has(code)) return invalid(`wrong type of argument: ${e.message}`);
  }
  return e;
}
