/**
 * `@vectrade/sdk` in Node: the TypeScript API on the native addon (`sdk-ts/native/`, built by
 * `napi build`). The browser entry (`@vectrade/sdk/browser`) is the same API on WebAssembly.
 */

import * as native from "../native/index.js";
import { useBackend } from "./backend.js";

useBackend(native);

export * from "./api.js";
