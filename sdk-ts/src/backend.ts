/**
 * The engine behind the TypeScript API: the native addon in Node, the WebAssembly build in a
 * browser. Both expose the same functions and classes (the addon's generated `.d.ts` is the
 * contract); an entry point installs one before anything else runs.
 */

import type * as Native from "../native/index.js";

/** What an engine build provides. */
export type Backend = Pick<
  typeof Native,
  | "Scenario"
  | "Run"
  | "backtestSignals"
  | "catalogEntries"
  | "causalityCuts"
  | "configFromRules"
  | "crossings"
  | "drive"
  | "engineVersion"
  | "errorCodes"
  | "formatTimestamp"
  | "parseCsv"
  | "parseTimestamp"
  | "sweepSignals"
  | "wakePlan"
>;
/** A scenario of the engine build. */
export type NativeScenario = Native.Scenario;
/** A run of the engine build. */
export type NativeRun = Native.Run;

let current: Backend | undefined;

/** Installs the engine build every call goes to (done once by the package's entry point). */
export function useBackend(backend: Backend): void {
  current = backend;
}

/** The engine build in use. */
export function engineBuild(): Backend {
  if (current === undefined) {
    throw new Error("no VecTrade engine is loaded: import '@vectrade/sdk' (Node) or await load() from '@vectrade/sdk/browser'");
  }
  return current;
}
