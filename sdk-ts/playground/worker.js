// The playground's Web Worker: loads the WebAssembly engine, runs a strategy module on a scenario
// and posts progress and results back, so the page never freezes.

import * as vt from "../dist/browser.js";
import * as acorn from "/vendor/acorn/acorn.mjs";

const ready = vt.load(new URL("../wasm/vectrade_bg.wasm", import.meta.url));

/** The strategy module's text, made importable: `@vectrade/sdk` becomes the engine's module URL. */
function moduleUrl(code) {
  const api = new URL("../dist/browser.js", import.meta.url).href;
  const source = code.replace(/(["'])@vectrade\/sdk(\/browser)?\1/g, JSON.stringify(api));
  return URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
}

/** Line (1-based) of an error inside the strategy module, from its stack. */
function lineOf(error, url) {
  const stack = String(error?.stack ?? "");
  const at = stack.indexOf(url);
  if (at < 0) return null;
  const m = /^:(\d+):(\d+)/.exec(stack.slice(at + url.length));
  return m ? { line: Number(m[1]), column: Number(m[2]) } : null;
}

function failure(kind, error, where) {
  return {
    type: "error",
    kind,
    name: error?.name ?? "Error",
    // acorn appends "(line:column)"; the position is reported on its own.
    message: String(error?.message ?? error).replace(/ \(\d+:\d+\)$/, ""),
    code: error?.code ?? null,
    line: where?.line ?? null,
    column: where?.column ?? null,
  };
}

self.onmessage = async (event) => {
  await ready;
  if (event.data.type === "catalog") {
    self.postMessage({ type: "catalog", entries: vt.scenarios.list() });
    return;
  }
  const { code, scenario: choice } = event.data;
  // Syntax first, with the exact position (the module loader would not say where).
  try {
    acorn.parse(code, { ecmaVersion: "latest", sourceType: "module" });
  } catch (e) {
    self.postMessage(failure("syntax", e, e.loc ? { line: e.loc.line, column: e.loc.column + 1 } : null));
    return;
  }
  const url = moduleUrl(code);
  try {
    const module = await import(url);
    const strategy = module.default;
    if (strategy === undefined) throw new TypeError("the strategy module must `export default` a strategy (an object with onBar(ctx))");
    const scenario = choice.csv
      ? vt.scenarios.fromCsv(choice.csv, { symbol: choice.symbol })
      : vt.scenarios.get(choice.slug);
    const bt = vt.backtest(strategy, scenario, {
      progress: (done, total) => self.postMessage({ type: "progress", done, total }),
    });
    const curve = bt.run.equityColumns();
    const benchmarkSymbol = scenario.info.benchmarkSymbol;
    const benchmark = benchmarkSymbol ? scenario.columns(benchmarkSymbol) : null;
    self.postMessage({
      type: "done",
      scenario: scenario.info,
      results: bt.results,
      fills: bt.run.fills(),
      curve: { ts: curve.ts, equity: curve.equity, drawdown: curve.drawdown },
      benchmark: benchmark ? { ts: benchmark.ts, close: benchmark.close } : null,
    });
  } catch (e) {
    self.postMessage(failure(e instanceof vt.VecTradeError ? "engine" : "runtime", e, lineOf(e, url)));
  } finally {
    URL.revokeObjectURL(url);
  }
};
