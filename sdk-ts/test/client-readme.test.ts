// The client quickstarts of sdk-ts/README.md run as written, with the environment they name, against
// the real local server, and print what their comments say.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";

import * as vt from "@vectrade/sdk";
import { startServer, type LocalServer } from "./client-server.js";

const README = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const blocks = Object.fromEntries(
  [...README.matchAll(/<!-- START (client-[a-z]+) -->\n```ts\n([\s\S]*?)```\n<!-- END \1 -->/g)].map((m) => [m[1]!, m[2]!]),
);

let server: LocalServer;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

test("there is a quickstart per API family", () => {
  assert.deepEqual(Object.keys(blocks).sort(), ["client-agents", "client-benchmark", "client-bot", "client-errors", "client-journal", "client-remote"]);
});

const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<void>;

for (const [name, printed] of [
  ["client-bot", "OPEN 150.00000000"],
  ["client-benchmark", "my-bot"],
  ["client-agents", "momentum-1 25000.00000000 10"],
  ["client-journal", "open"],
  ["client-errors", "404 unknown_scenario"],
  ["client-remote", "33 true true"],
] as const) {
  test(`the ${name} quickstart runs`, async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      VECTRADE_BASE_URL: server.baseUrl,
      VECTRADE_API_KEY: server.apiKey,
      VECTRADE_API_SECRET: server.apiSecret,
      VECTRADE_BOT_KEY: server.botKey,
    });
    const lines: string[] = [];
    const log = (...args: unknown[]): void => void lines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
    try {
      const code = blocks[name]!;
      assert.ok(code.startsWith('import * as vt from "@vectrade/sdk";'), "the example imports the package");
      await new AsyncFunction("vt", "console", code.replace(/^import .*\n/, ""))(vt, { log });
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
    assert.ok(lines.join("\n").includes(printed), lines.join("\n"));
  });
}
