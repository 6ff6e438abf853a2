// The playground page: an editor, a scenario picker (or a CSV upload), a Run button, and the
// results of the run drawn with uPlot. The run happens in worker.js.

import uPlot from "/vendor/uplot/uPlot.esm.js";
import { metricRows } from "./format.js";

const $ = (id) => document.getElementById(id);
const code = $("code");
const gutter = $("gutter");
const runButton = $("run");
const progress = $("progress");
const errorBox = $("error");
const scenarioSelect = $("scenario");
const csvInput = $("csv");
const charts = [];
let worker;
let running = false;

function startWorker() {
  worker = new Worker(new URL("worker.js", import.meta.url), { type: "module" });
  worker.onmessage = (e) => onMessage(e.data);
  worker.onerror = (e) => showError({ kind: "worker", name: "Error", message: e.message || "the worker failed" });
}

function renumber() {
  const lines = code.value.split("\n").length;
  gutter.textContent = Array.from({ length: lines }, (_, i) => i + 1).join("\n");
  gutter.scrollTop = code.scrollTop;
}
code.addEventListener("input", renumber);
code.addEventListener("scroll", () => (gutter.scrollTop = code.scrollTop));
code.addEventListener("keydown", (e) => {
  if (e.key === "Tab") {
    e.preventDefault();
    code.setRangeText("  ", code.selectionStart, code.selectionEnd, "end");
    renumber();
  }
});

async function loadExample() {
  code.value = await (await fetch("example-strategy.js")).text();
  renumber();
}
$("reset").addEventListener("click", loadExample);

function showError(err) {
  const where = err.line ? `line ${err.line}${err.column ? `, column ${err.column}` : ""}: ` : "";
  const code = err.code ? ` [${err.code}]` : "";
  errorBox.textContent = `${err.kind === "syntax" ? "Syntax error" : err.name}${code} — ${where}${err.message}`;
  errorBox.hidden = false;
}

function finish() {
  running = false;
  runButton.textContent = "Run";
}

function onMessage(msg) {
  if (msg.type === "catalog") {
    for (const s of msg.entries) scenarioSelect.add(new Option(`${s.name} (${s.slug})`, s.slug));
    runButton.disabled = false;
  } else if (msg.type === "progress") {
    progress.value = msg.done / msg.total;
  } else if (msg.type === "error") {
    finish();
    showError(msg);
  } else if (msg.type === "done") {
    finish();
    progress.value = 1;
    render(msg);
  }
}

function table(el, head, rows) {
  el.replaceChildren();
  const tr = (cells, tag) => {
    const row = document.createElement("tr");
    for (const c of cells) {
      const cell = document.createElement(tag);
      cell.textContent = c;
      row.append(cell);
    }
    return row;
  };
  if (head) el.append(tr(head, "th"));
  for (const r of rows) el.append(tr(r, "td"));
}

function render({ results, fills, curve, benchmark }) {
  $("results").hidden = false;
  for (const c of charts.splice(0)) c.destroy();
  const t = Array.from(curve.ts, (ms) => ms / 1000);
  const series = [t, Array.from(curve.equity)];
  const opts = (title, id) => ({
    title,
    width: $(id).clientWidth || 600,
    height: 220,
    scales: { x: { time: true } },
    axes: [{}, { size: 80 }], // room for six-digit equity labels
  });
  const eqSeries = [{}, { label: "strategy", stroke: "#2f6fde", width: 1.5 }];
  if (benchmark) {
    // The benchmark's close at each point of the curve, scaled to the starting equity.
    const scaled = [];
    let j = 0;
    const first = benchmark.close[0];
    for (const ms of curve.ts) {
      while (j + 1 < benchmark.ts.length && benchmark.ts[j + 1] <= ms) j++;
      scaled.push((benchmark.close[j] / first) * curve.equity[0]);
    }
    series.push(scaled);
    eqSeries.push({ label: "benchmark", stroke: "#8a93a6", width: 1 });
  }
  charts.push(new uPlot({ ...opts("Equity", "equity-chart"), series: eqSeries }, series, $("equity-chart")));
  const dd = [t, Array.from(curve.drawdown, (d) => -d * 100)];
  charts.push(new uPlot({ ...opts("Drawdown (%)", "drawdown-chart"), series: [{}, { label: "drawdown %", stroke: "#c0392b", fill: "rgba(192,57,43,.15)" }] }, dd, $("drawdown-chart")));
  table($("metrics"), null, metricRows(results));
  const shown = fills.slice(0, 500).map((f) => [new Date(f.ts).toISOString().replace(".000Z", "Z"), f.symbol, f.side, f.quantity, f.fillPrice, f.commission, f.role.kind]);
  if (fills.length > shown.length) shown.push([`… and ${fills.length - shown.length} more`, "", "", "", "", "", ""]);
  table($("fills"), ["time", "symbol", "side", "quantity", "price", "commission", "role"], shown);
}

runButton.addEventListener("click", async () => {
  if (running) {
    // Stop: a runaway strategy is ended with its worker; the page stays usable.
    worker.terminate();
    startWorker();
    finish();
    showError({ kind: "stopped", name: "Stopped", message: "the run was stopped" });
    return;
  }
  errorBox.hidden = true;
  progress.value = 0;
  const file = csvInput.files?.[0];
  const scenario = file ? { csv: await file.text(), symbol: file.name.replace(/\.csv$/i, "").toUpperCase() } : { slug: scenarioSelect.value };
  running = true;
  runButton.textContent = "Stop";
  worker.postMessage({ code: code.value, scenario });
});

runButton.disabled = true;
startWorker();
worker.postMessage({ type: "catalog" });
await loadExample();
