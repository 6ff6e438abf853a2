/**
 * `@vectrade/sdk/browser`: the same TypeScript API on the WebAssembly build of the engine
 * (`sdk-ts/wasm/`, made by wasm-bindgen), for browsers and Web Workers — and Node, for testing it.
 *
 * ```ts
 * import * as vt from "@vectrade/sdk/browser";
 * await vt.load();            // fetches vectrade_bg.wasm next to the module (or pass its bytes / URL)
 * const bt = vt.backtest(strategy, vt.scenarios.get("tech-2024-q2"));
 * ```
 */

import init, * as wasm from "../wasm/vectrade.js";
import { type Backend, useBackend } from "./backend.js";

export * from "./api.js";

let loaded: Promise<void> | undefined;

/**
 * Loads and starts the WebAssembly engine; await it once before any other call. `source` is the
 * `.wasm` file's URL, a `Response`, its bytes or a compiled `WebAssembly.Module` (default: the
 * file next to this module).
 */
export function load(source?: URL | string | Response | BufferSource | WebAssembly.Module): Promise<void> {
  loaded ??= init(source === undefined ? undefined : { module_or_path: source }).then(() => {
    // The WebAssembly build exports the addon's API, name for name (bindings-wasm/src/lib.rs).
    useBackend(wasm as unknown as Backend);
  });
  return loaded;
}
