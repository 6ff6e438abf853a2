/**
 * The README's transcript of an agent loop (scan → decide → step → results), as the offline backend
 * answers it: each call with its arguments, then the tool's text summary. The run id is written as
 * `<run-id>`. readme.test.ts checks the README against it.
 */

import type { Client } from "@modelcontextprotocol/sdk/client/index.js";

import { call } from "./harness.js";

export async function transcript(client: Client): Promise<string[]> {
  const lines: string[] = [];
  let runId = "";
  const say = async (name: string, args: Record<string, unknown> = {}): Promise<Record<string, unknown>> => {
    const shown = JSON.stringify(args).replaceAll(runId || "\u0000", "<run-id>");
    lines.push(`→ ${name} ${shown}`);
    const r = await call(client, name, args);
    const text = (r.content as Array<{ text?: string }>).map((c) => c.text ?? "").join(" ");
    lines.push(`← ${r.isError ? "[tool error] " : ""}${runId ? text.replaceAll(runId, "<run-id>") : text}`);
    return (r.structuredContent ?? {}) as Record<string, unknown>;
  };
  const started = await say("start_run", { scenario_slug: "tech-2024-q2", bot_name: "readme-agent" });
  runId = (started["run"] as { id: string }).id;
  lines[lines.length - 1] = lines[lines.length - 1]!.replaceAll(runId, "<run-id>");
  await say("scan_market", { run_id: runId });
  await say("submit_decision", { run_id: runId, action: "trade", rationale: "NVDA leads the scan; small starter position", orders: [{ symbol: "NVDA", side: "buy", quantity: 40 }], step_count: 1 });
  await say("submit_decision", { run_id: runId, action: "trade", rationale: "all in", orders: [{ symbol: "AAPL", side: "buy", quantity: 5000 }], step_count: 1 });
  await say("scan_market", { run_id: runId });
  await say("submit_decision", { run_id: runId, action: "hold", rationale: "trend intact", step_count: 2 });
  await say("submit_decision", { run_id: runId, action: "hold", rationale: "trend intact", step_count: 1 });
  await say("advance_until_next_session", { run_id: runId });
  await say("liquidate_and_finish", { run_id: runId, rationale: "lock in the gain" });
  await say("get_results", { run_id: runId });
  return lines;
}
