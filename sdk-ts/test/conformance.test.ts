// The cross-runtime conformance cases (tests/conformance/) through the TypeScript API on the native addon.

import * as vt from "@vectrade/sdk";
import { conformanceTests } from "./conformance.js";

conformanceTests(vt, "node");
