// Every golden vector through the TypeScript API on the native addon.

import * as vt from "@vectrade/sdk";
import { vectorTests } from "./vectors.js";

vectorTests(vt, "native");
