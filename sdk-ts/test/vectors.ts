// Every golden vector in tests/vectors/ through the TypeScript API, with the Rust suite's
// expectations: `vectorTests(vt, engine)` registers them for one engine build (the native addon in
// vectors.test.ts, WebAssembly in vectors.wasm.test.ts).

import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";

import type * as VT from "@vectrade/sdk";

const DIR = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "..", "..", "tests", "vectors");
const VECTORS = readdirSync(DIR).filter((f) => f.endsWith(".json")).sort();

type Json = Record<string, unknown>;

/** Plain notation without trailing fractional zeros, as the vectors spell decimals. */
function canon(d: string): string {
  const out = d.includes(".") ? d.replace(/0+$/, "").replace(/\.$/, "") : d;
  return out === "-0" ? "0" : out;
}

const camel = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(camel)
    : v !== null && typeof v === "object"
      ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()), camel(x)]))
      : v;
const snakeKey = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Registers a test per golden vector for the engine build behind `vt`. */
export function vectorTests(vt: typeof VT, engine: string): void {
function scenarioOf(spec: Json): VT.Scenario {
  if (typeof spec.builtin === "string") return vt.scenarios.get(spec.builtin);
  return vt.scenarios.build(camel(spec.config) as Json, spec.bars as Record<string, VT.BarRow[]>);
}

/** Applies one action; returns the error code (if any) and the run (a new one after a restore). */
function apply(run: VT.Run, action: Json): [string | null, VT.Run] {
  const [name, body] = Object.entries(action).find(([k]) => k !== "expect_error") as [string, Json];
  const agent = body.agent as string | undefined;
  const key = body.idempotency_key as string | undefined;
  const keyed = key === undefined ? {} : { idempotencyKey: key };
  try {
    switch (name) {
      case "submit":
        run.submit(camel(body.order) as VT.OrderRequest, { ...keyed, ...(agent === undefined ? {} : { agent }) });
        break;
      case "cancel":
        run.cancel(body.order_id as number, { ...keyed, ...(agent === undefined ? {} : { agent }) });
        break;
      case "step":
        run.step((body.count as number | undefined) ?? 1, keyed);
        break;
      case "hold_until_end":
        run.holdUntilEnd(body.max_bars === undefined ? {} : { maxBars: body.max_bars as number });
        break;
      case "liquidate_and_finish":
        run.asAgent(agent as string).liquidateAndFinish((body.rationale as string | undefined) ?? "", body.max_bars === undefined ? {} : { maxBars: body.max_bars as number });
        break;
      case "advance_until_next_session":
        run.advanceUntilNextSession(body.max_bars === undefined ? {} : { maxBars: body.max_bars as number });
        break;
      case "reset_agent":
        run.reset({ agent: agent as string });
        break;
      case "snapshot_restore":
        run = vt.Run.restore(run.scenario, run.snapshot());
        break;
      default:
        throw new Error(`unknown action ${name}`);
    }
  } catch (e) {
    if (e instanceof vt.VecTradeError) return [e.code, run];
    throw e;
  }
  return [null, run];
}

function observed(run: VT.Run): Json {
  const agents: Json = {};
  for (const agent of run.agents) {
    const fills = run.fills({ agent }).map((f) => ({
      ts: vt.formatTimestamp(f.ts),
      order_id: f.orderId,
      symbol: f.symbol,
      side: f.side,
      quantity: canon(f.quantity),
      fill_price: canon(f.fillPrice),
      slippage_bps: canon(f.slippageBps),
      commission: canon(f.commission),
      role: f.role,
    }));
    const orders = run.orders({ agent }).map((o) => ({
      id: o.id,
      status: o.status,
      filled_quantity: canon(o.filledQuantity),
      end_reason: o.endReason?.code ?? null,
    }));
    const curve = run.equityCurve({ agent });
    const digest = createHash("sha256").update(curve.map((p) => `${p.ts},${canon(p.equity)}\n`).join("")).digest("hex");
    const entry: Json = {
      fills,
      orders,
      final_equity: canon(curve[curve.length - 1]?.equity ?? "0"),
      equity_points: curve.length,
      equity_curve_sha256: digest,
      status: run.status({ agent }),
    };
    try {
      const metrics = run.results({ agent }).metrics;
      entry.results = Object.fromEntries(Object.entries(metrics).map(([k, v]) => [snakeKey(k), typeof v === "string" ? canon(v) : v]));
    } catch (e) {
      if (!(e instanceof vt.InvalidState)) throw e;
    }
    agents[agent] = entry;
  }
  return { sim_time: vt.formatTimestamp(run.simTime), done: run.done, agents };
}

  test(`there are golden vectors (${engine})`, () => {
    assert.ok(VECTORS.length >= 11, `found ${VECTORS.length}`);
  });

  for (const file of VECTORS) {
  test(`golden vector ${file} (${engine})`, () => {
    const vector = JSON.parse(readFileSync(join(DIR, file), "utf8")) as Json;
    const options = camel(vector.options ?? {}) as VT.SimulatorOptions;
    const sim = new vt.Simulator(scenarioOf(vector.scenario as Json), options);
    let run = sim.tournament((vector.agents as Json[]).map((a) => ({ name: a.name as string, risk: camel(a.risk ?? {}) as VT.RiskProfile })));
    (vector.actions as Json[]).forEach((action, i) => {
      const [code, next] = apply(run, action);
      run = next;
      assert.equal(code, action.expect_error ?? null, `action ${i}: ${JSON.stringify(action)}`);
    });
    assert.deepEqual(observed(run), vector.expected);
  });
}
}
