/** The HTTP client of `@vectrade/sdk` (issue 12): `new vt.Client({...})` and what it throws. */

export { Client, RemoteRun, Meta, Auth, Bot, Benchmark, Agents, Journal, type OrderInput, type Amount, type RunOptions, type AgentFields, type JournalFilter } from "./client.js";
export { APIError, AuthenticationError, PermissionDenied, QuotaExceeded, ServerError, ConnectionError, Timeout } from "./errors.js";
export { OPERATIONS, type Operation, type OperationName, type Credential } from "./operations.js";
export { DEFAULT_BASE_URL, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_MS, DEFAULT_MAX_RETRY_AFTER, type CallOptions, type ClientOptions, type ResponseInfo, type ViewOptions } from "./transport.js";
export type * as models from "./models.js";
