// The playground end to end in headless Chromium (Debian's package, driven by playwright-core):
// pick a scenario, run the example strategy, and find on the page the very metrics the native
// addon computes for the same strategy and scenario; then a syntax error and a runtime error are
// shown with their line, and the page still runs afterwards. A screenshot is saved.

import { existsSync, mkdirSync } from "node:fs";
import { test } from "node:test";
import assert from "node:assert/strict";

import { chromium, type Page } from "playwright-core";
import * as vt from "@vectrade/sdk";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const PLAYGROUND = new URL("../../playground/", import.meta.url);
const ARTIFACTS = new URL("../artifacts/", import.meta.url);

type Serve = (port?: number) => Promise<{ server: import("node:http").Server; url: string }>;
type Rows = (results: vt.Results) => Array<[string, string]>;

async function metricsShown(page: Page): Promise<string[][]> {
  await page.waitForSelector("#metrics tr", { timeout: 60_000 });
  return page.$$eval("#metrics tr", (rows) => rows.map((r) => Array.from(r.children, (c) => c.textContent ?? "")));
}

async function run(page: Page, code: string | null, slug: string): Promise<void> {
  if (code !== null) await page.fill("#code", code);
  await page.selectOption("#scenario", slug);
  await page.evaluate(() => {
    document.getElementById("metrics")?.replaceChildren();
    const box = document.getElementById("error");
    if (box) box.hidden = true;
  });
  await page.click("#run");
}

test("the playground runs the example like the native engine and shows errors with their line", async () => {
  assert.ok(existsSync(CHROMIUM), `Chromium is needed at ${CHROMIUM} (apt-get install chromium), or set CHROMIUM`);
  const { serve } = (await import(new URL("serve.js", PLAYGROUND).href)) as { serve: Serve };
  const { metricRows } = (await import(new URL("format.js", PLAYGROUND).href)) as { metricRows: Rows };
  const example = (await import(new URL("example-strategy.js", PLAYGROUND).href)) as { default: vt.Strategy };
  const { server, url } = await serve(0);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const consoleErrors: string[] = [];
    page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
    page.on("pageerror", (e) => consoleErrors.push(String(e)));
    await page.goto(url);
    await page.waitForFunction(() => (document.getElementById("scenario") as HTMLSelectElement).options.length >= 4);

    // The example on a built-in scenario: the metrics shown are the native engine's, to the digit.
    await run(page, null, "crash-and-rebound");
    const shown = await metricsShown(page);
    const native = vt.backtest(example.default, vt.scenarios.get("crash-and-rebound"));
    assert.ok(native.results.tradeCount > 2, "the example trades");
    assert.deepEqual(shown, metricRows(native.results));
    assert.equal(await page.$$eval("#fills tr", (rows) => rows.length - 1), native.results.tradeCount);
    assert.ok(await page.$("#equity-chart canvas"), "the equity chart is drawn");
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: new URL("playground.png", ARTIFACTS).pathname, fullPage: true });

    // A syntax error: shown with its line, nothing else breaks.
    const good = await page.inputValue("#code");
    const lines = good.split("\n");
    const broken = [...lines.slice(0, 6), "const = ;", ...lines.slice(6)].join("\n");
    await run(page, broken, "tech-2024-q2");
    await page.waitForSelector("#error:not([hidden])");
    const syntax = await page.textContent("#error");
    assert.match(syntax ?? "", /^Syntax error — line 7, column 7: Unexpected token/);

    // A runtime error in onBar: the error and the line it was thrown at.
    const throwing = good.replace("  onBar(ctx) {\n", "  onBar(ctx) {\n    if (ctx.barIndex === 5) throw new RangeError(\"bar five\");\n");
    const line = throwing.split("\n").findIndex((l) => l.includes("bar five")) + 1;
    await run(page, throwing, "tech-2024-q2");
    await page.waitForSelector("#error:not([hidden])");
    assert.match((await page.textContent("#error")) ?? "", new RegExp(`^RangeError — line ${line}, column \\d+: bar five$`));

    // Your own bars: a CSV upload runs like the same CSV natively.
    const csv = ["Date,Open,High,Low,Close,Volume"];
    for (let i = 0; i < 300; i++) {
      const day = new Date(Date.UTC(2023, 0, 2) + i * 86_400_000).toISOString().slice(0, 10);
      const c = (100 + 10 * Math.sin(i / 9) + i * 0.05).toFixed(2);
      csv.push(`${day},${c},${(Number(c) + 1).toFixed(2)},${(Number(c) - 1).toFixed(2)},${c},1000`);
    }
    const text = csv.join("\n") + "\n";
    await page.setInputFiles("#csv", { name: "wave.csv", mimeType: "text/csv", buffer: Buffer.from(text) });
    await run(page, good, "tech-2024-q2");
    const fromCsv = vt.backtest(example.default, vt.scenarios.fromCsv(text, { symbol: "WAVE" }));
    assert.ok(fromCsv.results.tradeCount > 2);
    assert.deepEqual(await metricsShown(page), metricRows(fromCsv.results));
    await page.setInputFiles("#csv", []);

    // An engine refusal names its code; and the page still runs the example afterwards.
    await run(page, good.replace("Number(ctx.equity) * 0.5", "Number(ctx.equity) * 50"), "tech-2024-q2");
    await page.waitForSelector("#error:not([hidden])");
    assert.match((await page.textContent("#error")) ?? "", /\[insufficient_buying_power\]/);

    // A runaway strategy: Stop ends its worker; the page keeps working.
    await run(page, good.replace("  onBar(ctx) {\n", "  onBar(ctx) {\n    for (;;) {}\n"), "tech-2024-q2");
    await page.waitForFunction(() => document.getElementById("run")?.textContent === "Stop");
    await page.waitForTimeout(300);
    await page.click("#run");
    await page.waitForSelector("#error:not([hidden])");
    assert.match((await page.textContent("#error")) ?? "", /Stopped — the run was stopped/);

    await page.waitForFunction(() => (document.getElementById("run") as HTMLButtonElement).textContent === "Run");
    await run(page, good, "crash-and-rebound");
    assert.deepEqual(await metricsShown(page), metricRows(native.results));
    assert.deepEqual(consoleErrors, [], "no console errors");
  } finally {
    await browser.close();
    server.close();
  }
});
