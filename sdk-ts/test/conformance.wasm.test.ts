// The cross-runtime conformance cases (tests/conformance/) through the same TypeScript API on the
// WebAssembly build, run in Node.

import { readFileSync } from "node:fs";

import * as vt from "@vectrade/sdk/browser";
import { conformanceTests } from "./conformance.js";

await vt.load(readFileSync(new URL("../../wasm/vectrade_bg.wasm", import.meta.url)));
conformanceTests(vt, "wasm");
