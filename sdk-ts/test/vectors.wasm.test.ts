// Every golden vector through the same TypeScript API on the WebAssembly build, run in Node.

import { readFileSync } from "node:fs";

import * as vt from "@vectrade/sdk/browser";
import { vectorTests } from "./vectors.js";

await vt.load(readFileSync(new URL("../../wasm/vectrade_bg.wasm", import.meta.url)));
vectorTests(vt, "wasm");
