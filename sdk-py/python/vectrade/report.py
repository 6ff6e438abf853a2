"""A self-contained HTML report of a finished run: equity against the benchmark, drawdown, metrics
and fills. One file, no network, no JavaScript: charts are inline SVG."""

from __future__ import annotations

import html
import json
from decimal import Decimal
from pathlib import Path
from typing import Any, List, Optional, Sequence, Tuple, Union

from .simulator import Run

_W, _H, _PAD = 900, 260, 40


def _polyline(points: Sequence[Tuple[float, float]], lo: float, hi: float, t0: float, t1: float, color: str) -> str:
    span_t = (t1 - t0) or 1.0
    span_v = (hi - lo) or 1.0
    coords = " ".join(
        f"{_PAD + (t - t0) / span_t * (_W - 2 * _PAD):.1f},{_H - _PAD - (v - lo) / span_v * (_H - 2 * _PAD):.1f}"
        for t, v in points
    )
    return f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{coords}"/>'


def _chart(title: str, series: Sequence[Tuple[str, str, Sequence[Tuple[float, float]]]], fmt: str) -> str:
    values = [v for _, _, pts in series for _, v in pts]
    times = [t for _, _, pts in series for t, _ in pts]
    if not values:
        return ""
    lo, hi, t0, t1 = min(values), max(values), min(times), max(times)
    lines = "".join(_polyline(pts, lo, hi, t0, t1, color) for _, color, pts in series)
    legend = " ".join(f'<tspan fill="{color}">&#9632; {html.escape(name)}</tspan>' for name, color, _ in series)
    axis = (
        f'<text x="4" y="{_PAD}" font-size="11">{fmt.format(hi + 0.0)}</text>'
        f'<text x="4" y="{_H - _PAD}" font-size="11">{fmt.format(lo + 0.0)}</text>'
    )
    return (
        f'<h2>{html.escape(title)}</h2><svg width="{_W}" height="{_H}" viewBox="0 0 {_W} {_H}" role="img">'
        f'<rect width="100%" height="100%" fill="#fafafa"/>{axis}{lines}'
        f'<text x="{_PAD}" y="18" font-size="12">{legend}</text></svg>'
    )


def render(run: Run, *, title: Optional[str] = None) -> str:
    """The report of ``run`` (finished) as HTML text."""
    results = run.results()
    curve = run.equity_curve()
    start = float(curve[0][1])
    equity_pts = [(t.timestamp(), float(e)) for t, e in curve]
    series = [("strategy equity", "#1f6feb", equity_pts)]
    bench = run.scenario.benchmark_symbol
    if bench:
        bars = json.loads(run.scenario._native.series_json())
        closes = next(s["bars"] for s in bars if s["symbol"] == bench)
        first_ts = curve[0][0].timestamp() * 1000
        base = next((float(b["close"]) for b in closes if b["ts"] >= first_ts), float(closes[0]["close"]))
        last_ts = curve[-1][0].timestamp() * 1000
        bench_pts = [(b["ts"] / 1000, start * float(b["close"]) / base) for b in closes if first_ts <= b["ts"] <= last_ts]
        series.append((f"{bench} buy & hold", "#8b949e", bench_pts))
    import numpy as np

    ts_b, _, _, dd_b = run._native.equity_columns(run._agent)
    times = np.frombuffer(ts_b, dtype="<i8") / 1000.0
    dd_pts = [(t, -d * 100) for t, d in zip(times.tolist(), np.frombuffer(dd_b, dtype="<f8").tolist())]
    metrics = results.metrics.to_dict()
    metric_rows = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{html.escape(_fmt(v))}</td></tr>" for k, v in metrics.items()
    )
    fill_rows = "".join(
        f"<tr><td>{f.ts:%Y-%m-%d %H:%M}</td><td>{html.escape(f.symbol)}</td><td>{f.side}</td><td>{f.quantity}</td>"
        f"<td>{f.fill_price}</td><td>{f.commission}</td><td>{html.escape(f.role)}</td></tr>"
        for f in run.fills()
    )
    name = title or f"VecTrade report — {run.agent} on {run.scenario.slug}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,">
<title>{html.escape(name)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:24px;color:#1f2328}}table{{border-collapse:collapse;font-size:13px}}
td,th{{border-bottom:1px solid #d0d7de;padding:3px 10px;text-align:right}}td:first-child,th:first-child{{text-align:left}}
h1{{font-size:20px}}h2{{font-size:16px;margin-top:28px}}</style></head>
<body><h1>{html.escape(name)}</h1>
<p>Final equity <b>{results.final_equity:.2f}</b>, return <b>{results.return_pct:.2f} %</b>,
Sharpe {results.sharpe:.2f}, max drawdown {results.max_drawdown * 100:.2f} %, {results.trade_count} fills,
liquidated: {results.liquidated}.</p>
{_chart("Equity against the benchmark" if bench else "Equity", series, "{:,.0f}")}
{_chart("Drawdown (%)", [("drawdown", "#cf222e", dd_pts)], "{:.1f}")}
<h2>Metrics</h2><table>{metric_rows}</table>
<h2>Fills</h2>{"" if fill_rows else "<p>No fills.</p>"}<table><tr><th>time (UTC)</th><th>symbol</th><th>side</th><th>quantity</th><th>price</th><th>commission</th><th>role</th></tr>{fill_rows}</table>
</body></html>
"""


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4f}"
    if isinstance(v, Decimal):
        return f"{v:.2f}"
    return "n/a" if v is None else str(v)


def write(run: Run, path: Union[str, Path], *, title: Optional[str] = None) -> Path:
    """Writes the report of ``run`` to ``path`` and returns the path."""
    out = Path(path)
    out.write_text(render(run, title=title), encoding="utf-8")
    return out
