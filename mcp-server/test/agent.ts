/**
 * A scripted agent: the seeds' loop (scan_market → decide → submit_decision, step_count 1) to `done`,
 * then get_results and get_trades. Deterministic, so the same loop on two backends must give the same
 * fills and grade. Times every tool call.
 */

import type { Client } from "@modelcontextprotocol/sdk/client/index.js";

import { call } from "./harness.js";

type Row = [string, string, number | null, number | null, number | null, number | null];
interface Scan { rows: Row[]; positions: Array<[string, string, string, string]>; cash: string; done: boolean; sim_time: string }
interface Step { bars_advanced: number; fills: Array<{ symbol: string; side: string; quantity: string; fill_price: string }>; equity: string; done: boolean; liquidated: boolean }

export interface LoopOutcome {
  runId: string;
  turns: number;
  decisions: string[];
  fills: Array<[string, string, string, string]>;
  equities: string[];
  results: Record<string, unknown>;
  trades: Array<Record<string, unknown>>;
  /** Milliseconds per call, by tool. */
  timings: Record<string, number[]>;
  scanBytes: number;
}

export async function scriptedLoop(client: Client, scenario = "tech-2024-q2", botName = "scripted-agent"): Promise<LoopOutcome> {
  const timings: Record<string, number[]> = {};
  const timed = async <T>(name: string, args: Record<string, unknown>): Promise<T> => {
    const t0 = performance.now();
    const r = await call(client, name, args);
    (timings[name] ??= []).push(performance.now() - t0);
    if (r.isError) throw new Error(`${name} failed: ${JSON.stringify(r.content)}`);
    return r.structuredContent as T;
  };
  const { run } = await timed<{ run: { id: string } }>("start_run", { scenario_slug: scenario, bot_name: botName });
  const out: LoopOutcome = { runId: run.id, turns: 0, decisions: [], fills: [], equities: [], results: {}, trades: [], timings, scanBytes: 0 };
  let heldFor = 0;
  for (;;) {
    const scan = await timed<Scan>("scan_market", { run_id: run.id });
    out.scanBytes = Math.max(out.scanBytes, JSON.stringify(scan).length);
    if (scan.done) break;
    if (out.turns % 50 === 0) await timed("inspect_symbols", { run_id: run.id, symbols: scan.rows.slice(0, 2).map((r) => r[0]), lookback: 20 });
    const held = scan.positions[0];
    let args: Record<string, unknown>;
    if (held === undefined) {
      const best = [...scan.rows].filter((r) => r[2] !== null).sort((a, b) => b[2]! - a[2]! || a[0].localeCompare(b[0]))[0];
      const qty = best ? Math.floor((Number(scan.cash) * 0.2) / Number(best[1])) : 0;
      args = best && best[2]! > 0.3 && qty > 0
        ? { action: "trade", rationale: `momentum: ${best[0]} up ${best[2]}% on the bar`, orders: [{ symbol: best[0], side: "buy", quantity: qty }] }
        : { action: "hold", rationale: "no strong mover" };
      heldFor = 0;
    } else {
      heldFor++;
      const row = scan.rows.find((r) => r[0] === held[0]);
      args = (row?.[2] ?? 0) < -0.3 || heldFor >= 12
        ? { action: "trade", rationale: `exit ${held[0]}`, orders: [{ symbol: held[0], side: "sell", quantity: held[1] }] }
        : { action: "hold", rationale: `keep ${held[0]}` };
    }
    const d = await timed<{ step: Step; done: boolean }>("submit_decision", { run_id: run.id, step_count: 1, ...args });
    out.turns++;
    out.decisions.push(String(args["action"]));
    out.equities.push(d.step.equity);
    for (const f of d.step.fills) out.fills.push([f.symbol, f.side, f.quantity, f.fill_price]);
    if (d.done) break;
  }
  out.results = (await timed<{ results: Record<string, unknown> }>("get_results", { run_id: run.id })).results;
  out.trades = (await timed<{ trades: Array<Record<string, unknown>> }>("get_trades", { run_id: run.id })).trades;
  return out;
}
