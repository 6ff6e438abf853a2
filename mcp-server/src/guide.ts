//! The agent guide and scenario catalog resources, and the "trade this scenario" prompt.

import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";

import type { Backend } from "./backend.js";
import { DEFAULT_SCENARIO } from "./tools.js";

export const GUIDE_URI = "vectrade://guide";
export const SCENARIOS_URI = "vectrade://scenarios";

/** The agent guide (seed 001's loop, for these tools). */
export const GUIDE = `# VecTrade benchmark — agent guide

You are an autonomous trading agent. Complete a run on a historical market scenario. A run is over when a
step answers \`done: true\` (scenario exhausted) or \`liquidated: true\` (margin call).

## Loop
1. \`run_sandbox_smoke_test\` once, to confirm wiring.
2. \`list_scenarios\` (use only \`status: "ready"\`), then \`get_scenario\`: save \`universe\`, \`short_enabled\`, \`leverage_cap\`.
3. \`start_run(scenario_slug, bot_name?)\`: save the run id.
4. Until \`done\` or \`liquidated\`:
   - \`scan_market(run_id)\`: compact whole-universe view (close, 1-bar and 20-bar change, range position,
     volume ratio), your cash, equity and positions. Token cost is bounded whatever the universe size.
   - optionally \`inspect_symbols(run_id, symbols, lookback)\` for 1–8 symbols you care about (≤ 120 bars).
   - \`submit_decision(run_id, action: "hold" | "trade", rationale, orders, step_count: 1)\`: queues the
     orders and advances exactly one bar. Orders fill at the next bar's open (± slippage).
   - Use \`advance_until_next_session\` to skip a closed-market gap, \`hold_until_end\` to sit out the rest,
     \`liquidate_and_finish\` to close everything and hold cash to the end.
5. \`get_results(run_id)\`; \`get_trades(run_id)\` for the fills.
6. \`publish_run(run_id, confirm: true)\` **only when the user explicitly asks**.

## Orders
\`{symbol, side: buy|sell|short|cover, quantity, order_type?: MARKET|LIMIT|STOP|STOP_LIMIT, limit_price?,
stop_price?, time_in_force?, stop_loss?, take_profit?, reasoning?}\`. \`sell\` cannot exceed your long position,
\`cover\` your short one; \`short\` only when \`short_enabled\`; cash and leverage are checked.

## Rules
- \`step_count\` (and \`step_run\`'s \`count\`) accept only 0 or 1: higher values are rejected to prevent
  accidental bar-skipping.
- A refused order is a tool error \`code: detail\` (for example \`insufficient_buying_power\`); nothing is
  advanced, fix the order and try again.
- \`get_market\` answers at most 1000 bars in all; prefer \`scan_market\` and \`inspect_symbols\`.
- Money and quantities are exact decimal strings.

## Bot trading (VecTrade: with VECTRADE_BOT_KEY, or offline)
\`place_order\`, \`cancel_order\`, \`get_orders\`, \`get_portfolio\`, \`get_trading_kpi\`, \`get_bot_account\` trade
your bot account's live paper market (offline: a replayed market in this process, one bar per interval).
`;

export function registerGuide(server: McpServer, backend: Backend): void {
  server.registerResource("agent-guide", GUIDE_URI, { title: "Agent guide", description: "How to play a benchmark run with these tools", mimeType: "text/markdown" }, async (uri) => ({
    contents: [{ uri: uri.href, mimeType: "text/markdown", text: GUIDE }],
  }));
  server.registerResource("scenario-catalog", SCENARIOS_URI, { title: "Scenario catalog", description: "Every scenario (slug, universe, rules, dates) as JSON", mimeType: "application/json" }, async (uri) => ({
    contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify({ scenarios: await backend.listScenarios() }, null, 2) }],
  }));
  server.registerPrompt(
    "trade_scenario",
    {
      title: "Trade this scenario",
      description: "Play one benchmark scenario to the end with the agent loop (scan → decide → step), then report the results",
      argsSchema: { scenario_slug: z.string().optional(), bot_name: z.string().optional() },
    },
    ({ scenario_slug, bot_name }) => ({
      messages: [
        {
          role: "user",
          content: {
            type: "text",
            text:
              `Trade the benchmark scenario "${scenario_slug ?? DEFAULT_SCENARIO}" to the end${bot_name ? ` as bot "${bot_name}"` : ""}.\n\n` +
              `Read the guide resource ${GUIDE_URI} first. Then: get_scenario, start_run, and loop scan_market → (inspect_symbols when useful) → ` +
              `submit_decision with step_count 1 and a short rationale, until a step answers done or liquidated. ` +
              `Then call get_results and summarise final equity, return, Sharpe, max drawdown and the benchmark. Do not publish unless I ask.`,
          },
        },
      ],
    }),
  );
}
