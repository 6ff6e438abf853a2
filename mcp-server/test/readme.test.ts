// The README's examples are real: its client configurations are valid JSON naming this package and
// the documented variables, its tool list is the server's, and its transcript is what the offline
// backend answers to the same calls.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { TOOLS, connect, mcpEnv } from "./harness.js";
import { transcript } from "./transcript.js";

const README = readFileSync(join(resolve(dirname(fileURLToPath(import.meta.url)), "..", ".."), "README.md"), "utf8");

function block(name: string): string {
  const m = new RegExp(`<!-- START ${name} -->\\n\`\`\`\\w*\\n([\\s\\S]*?)\`\`\`\\n<!-- END ${name} -->`).exec(README);
  assert.ok(m, `README lacks the ${name} block`);
  return m[1]!;
}

test("the Claude Desktop configurations are valid and name the package and its variables", () => {
  const expected: Record<string, string[]> = {
    "config-offline": ["VECTRADE_BACKEND"],
    "config-hosted": ["VECTRADE_API_KEY", "VECTRADE_BOT_KEY"],
    "config-local": ["VECTRADE_BASE_URL", "VECTRADE_API_KEY", "VECTRADE_BOT_KEY"],
  };
  for (const [name, vars] of Object.entries(expected)) {
    const config = JSON.parse(block(name)) as { mcpServers: Record<string, { command: string; args: string[]; env?: Record<string, string> }> };
    const server = config.mcpServers["vectrade"]!;
    assert.equal(server.command, "npx", name);
    assert.deepEqual(server.args, ["-y", "@vectrade/mcp-server"], name);
    assert.deepEqual(Object.keys(server.env ?? {}).sort(), [...vars].sort(), name);
  }
  assert.match(block("claude-code"), /claude mcp add vectrade/);
});

test("the README lists the 25 tools", () => {
  for (const name of TOOLS) assert.match(README, new RegExp("`" + name + "`"), name);
});

test("the transcript is what the offline backend answers", async () => {
  const s = await connect("stdio", mcpEnv({ offline: true }));
  try {
    const lines = await transcript(s.client);
    assert.equal(block("transcript"), lines.join("\n") + "\n", `the README's transcript differs; the server answers:\n${lines.join("\n")}`);
  } finally {
    await s.close();
  }
});
