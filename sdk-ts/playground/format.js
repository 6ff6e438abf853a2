// How the playground shows results; shared with the end-to-end test, which formats the native
// results the same way and expects the very same text on the page.

const pct = (x) => (x === null || x === undefined ? "—" : `${x.toFixed(2)} %`);
const num = (x, d = 3) => (x === null || x === undefined ? "—" : x.toFixed(d));

/** The metrics table: [label, text] rows from a backtest's results. */
export function metricRows(results) {
  const m = results.metrics;
  return [
    ["Final equity", results.finalEquity],
    ["Total return", pct(m.totalReturnPct)],
    ["Benchmark return", pct(m.benchmarkReturnPct)],
    ["CAGR", pct(m.cagrPct)],
    ["Sharpe (annualised)", num(m.sharpe)],
    ["Sortino (annualised)", num(m.sortino)],
    ["Volatility (annualised)", pct(m.volatilityPct)],
    ["Max drawdown", pct(m.maxDrawdownPct)],
    ["Round trips", String(m.roundTrips)],
    ["Fills", String(m.fillCount)],
    ["Win rate", pct(m.winRatePct)],
    ["Profit factor", num(m.profitFactor)],
    ["Exposure", pct(m.exposurePct)],
    ["Fees", m.fees],
  ];
}
