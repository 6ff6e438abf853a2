//! `@vectrade/mcp-server` as a library: the server, its backends and the HTTP transport, for embedding and tests.

export { createServer, backendFromConfig, NAME, VERSION, type BackendConfig } from "./server.js";
export { serveHttp, type HttpServer } from "./http.js";
export { OfflineBackend, type OfflineBackendOptions } from "./offline.js";
export { OfflineBot, type OfflineBotOptions } from "./offline-bot.js";
export { HttpBackend, type HttpBackendOptions } from "./remote.js";
export { ToolError, type Backend } from "./backend.js";
export { GUIDE, GUIDE_URI, SCENARIOS_URI } from "./guide.js";
export { scan, SCAN_MAX_ROWS, MARKET_MAX_BARS } from "./observe.js";
