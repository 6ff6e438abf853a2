"""The ``vectrade`` command: list scenarios, run a strategy file, write an HTML report."""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from . import report, scenarios
from ._native import VecTradeError
from .backtest import Backtest, Strategy, backtest
from .strategies import SmaCross


def progress_bar() -> Callable[[int, int], None]:
    """A progress callback drawing a bar on stderr, for ``backtest(progress=...)``."""
    started = time.perf_counter()
    return lambda done, total: _progress(done, total, started)


def _progress(done: int, total: int, started: float) -> None:
    width = 30
    filled = int(width * done / max(total, 1))
    rate = done / max(time.perf_counter() - started, 1e-9)
    end = "\n" if done >= total else ""
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} bars  {rate:,.0f} bars/s{end}")
    sys.stderr.flush()


def _load_module(path: str) -> Any:
    file = Path(path)
    if not file.is_file():
        raise SystemExit(f"error: no strategy file at {path}")
    spec = importlib.util.spec_from_file_location(file.stem, file)
    if spec is None or spec.loader is None:
        raise SystemExit(f"error: cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    # Like `python file.py`: the file's folder is importable and the module is registered (worker
    # processes of a sweep find its classes there).
    sys.path.insert(0, str(file.resolve().parent))
    sys.modules[file.stem] = module
    spec.loader.exec_module(module)
    return module


def _strategy_class(module: Any, path: str) -> Optional[type]:
    classes = [
        v for v in vars(module).values()
        if inspect.isclass(v) and issubclass(v, Strategy) and v is not Strategy and v.__module__ == module.__name__
    ]
    # The most derived strategies: a base class that another one extends is not the one to run.
    leaves = [c for c in classes if not any(o is not c and issubclass(o, c) for o in classes)]
    if len(leaves) > 1:
        names = ", ".join(c.__name__ for c in leaves)
        raise SystemExit(f"error: {path} defines several strategies ({names}); keep one per file")
    return leaves[0] if leaves else None


def load_strategy(path: str, function: str = "on_bar(ctx)") -> Any:
    """The strategy a Python file defines: its one Strategy subclass, else its ``function``
    (``on_bar(ctx)`` for a backtest, ``signals(close, **params)`` for a sweep)."""
    module = _load_module(path)
    found = _strategy_class(module, path)
    if found is not None:
        return found
    name = function.split("(")[0]
    if callable(getattr(module, name, None)):
        return getattr(module, name)
    raise SystemExit(f"error: {path} defines no Strategy subclass and no {function} function")


def _run(strategy: Any, slug: str, agent: str, report_path: Optional[str], as_json: bool) -> int:
    scenario = scenarios.get(slug)
    total = int(scenario.info["bar_count"])
    started = time.perf_counter()
    quiet = as_json or not sys.stderr.isatty()
    bt: Backtest = backtest(strategy, scenario, agent=agent, progress=None if quiet else progress_bar())
    if as_json:
        print(json.dumps(bt.results.to_dict(), default=str, indent=2))
    else:
        print(f"{scenario!r}\n{total} bars in {time.perf_counter() - started:.2f} s")
        print(bt.results)
    if report_path:
        try:
            path = report.write(bt.run, report_path)
        except OSError as e:
            print(f"error: cannot write the report: {e}", file=sys.stderr)
            return 1
        print(f"report: {path.resolve()}", file=sys.stderr if as_json else sys.stdout)
    return 0


def parse_grid(specs: List[str]) -> Dict[str, List[Any]]:
    """``["fast=5:40:5", "slow=50,100"]`` as ``{"fast": [5, 10, ..., 40], "slow": [50, 100]}``:
    ``start:stop:step`` includes ``stop`` when the steps reach it; values are ints when they all
    read as ints, else floats."""
    grid: Dict[str, List[Any]] = {}
    for spec in specs:
        name, sep, values = spec.partition("=")
        if not sep or not name.isidentifier() or not values:
            raise SystemExit(f"error: --grid takes NAME=start:stop:step or NAME=a,b,c, got {spec!r}")
        try:
            if ":" in values:
                parts = values.split(":")
                if len(parts) != 3:
                    raise ValueError
                start, stop, step = (_number(p) for p in parts)
                if step <= 0 or stop < start:
                    raise SystemExit(f"error: --grid {name}: the step must be positive and stop at least start")
                n = int(round((stop - start) / step))
                grid[name] = [start + i * step for i in range(n + 1) if start + i * step <= stop + 1e-12]
            else:
                grid[name] = [_number(v) for v in values.split(",")]
        except ValueError:
            raise SystemExit(f"error: --grid {name}: {values!r} is not start:stop:step or a list of numbers") from None
    return grid


def _number(text: str) -> Any:
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        return float(text)


def _sweep(args: argparse.Namespace) -> int:
    from .sweep import sweep

    strategy = load_strategy(args.strategy, "signals(close, **params)")
    grid = parse_grid(args.grid)
    scenario = scenarios.get(args.scenario)
    quiet = args.json or not sys.stderr.isatty()
    kind = {"symbol": args.symbol} if not (isinstance(strategy, type) and issubclass(strategy, Strategy)) else {}
    started = time.perf_counter()
    table = sweep(
        strategy, scenario, grid, metric=args.metric, executor="ray" if args.executor == "ray" else None,
        progress=None if quiet else progress_bar(), **kind,
    )
    if args.json:
        print(json.dumps(table.rows, default=str, indent=2))
    else:
        print(f"{len(table)} combinations on {scenario.slug} in {time.perf_counter() - started:.2f} s, best by {args.metric}:")
        cols = [*table.parameters, "return_pct", "sharpe", "max_drawdown", "trade_count"]
        if args.metric not in cols:
            cols.append(args.metric)
        print("  ".join(f"{c:>12}" for c in cols))
        for row in table.rows[: max(args.top, 1)]:
            print("  ".join(f"{_cell(row[c]):>12}" for c in cols))
    if args.report:
        path = report.write(table.best().run, args.report, title=f"Best of {len(table)}: {table.best_params}")
        print(f"report: {path.resolve()}", file=sys.stderr if args.json else sys.stdout)
    return 0


def _cell(v: Any) -> str:
    return f"{v:.4f}" if isinstance(v, float) else str(v)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="vectrade", description="VecTrade: deterministic trading simulator.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("scenarios", help="list the built-in scenarios")
    run_p = sub.add_parser("run", help="run a strategy file (a Strategy subclass or an on_bar(ctx) function)")
    run_p.add_argument("strategy", help="path of a Python file")
    run_p.add_argument("--scenario", "-s", default="tech-2024-q2", help="built-in scenario slug")
    run_p.add_argument("--agent", default="strategy")
    run_p.add_argument("--report", metavar="HTML", help="write an HTML report here")
    run_p.add_argument("--json", action="store_true", help="print the results as JSON")
    sweep_p = sub.add_parser(
        "sweep", help="run every combination of a strategy's parameters and rank them (vt.sweep)"
    )
    sweep_p.add_argument("strategy", help="path of a Python file: a Strategy subclass, or a signals(close, **params) function")
    sweep_p.add_argument(
        "--grid", nargs="+", required=True, metavar="NAME=VALUES",
        help="fast=5:40:5 (start:stop:step, stop included) or slow=50,100,200",
    )
    sweep_p.add_argument("--scenario", "-s", default="tech-2024-q2", help="built-in scenario slug")
    sweep_p.add_argument("--symbol", help="the symbol a signal function trades (default: the universe's only one)")
    sweep_p.add_argument("--metric", default="sharpe", help="rank by this (sharpe, return_pct, max_drawdown, ...)")
    sweep_p.add_argument("--top", type=int, default=10, help="rows to print")
    sweep_p.add_argument("--executor", choices=["local", "ray"], default="local")
    sweep_p.add_argument("--report", metavar="HTML", help="write the best combination's report here")
    sweep_p.add_argument("--json", action="store_true", help="print every row as JSON")
    demo_p = sub.add_parser("demo", help="run the SMA-crossover demo and write a report")
    demo_p.add_argument("--scenario", "-s", default="tech-2024-q2")
    demo_p.add_argument("--report", metavar="HTML", default="vectrade-report.html")
    serve_p = sub.add_parser("serve", help="serve the VecTrade API locally (benchmark, bot, agents, journal)")
    serve_p.add_argument(
        "--db",
        default="vectrade.db",
        help="SQLite file, created with a local account on first start, or a postgres:// URL",
    )
    serve_p.add_argument(
        "--secret-file", metavar="FILE", help="the server secret (default: <db>.secret; needed with PostgreSQL)"
    )
    serve_p.add_argument("--host", default="127.0.0.1")
    serve_p.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    serve_p.add_argument("--market", default="tech-2024-q2", help="scenario the live paper market replays")
    serve_p.add_argument("--bar-interval", default="1m", help="500ms, 1s, 1m, ... or manual")
    serve_p.add_argument("--market-csv", metavar="FILE", help="replay a CSV file of OHLCV bars instead")
    serve_p.add_argument("--market-symbol", help="symbol of a --market-csv file without a symbol column")
    from .client import _cli as remote

    remote.add_parser(sub)
    args = parser.parse_args(argv)
    if args.command == "remote":
        return remote.run(args)
    if args.command == "serve":
        if not 0 <= args.port <= 65535:
            print(f"error: --port must be 0 to 65535, got {args.port}", file=sys.stderr)
            return 2
        from . import _native

        try:
            _native.serve(
                args.db,
                args.host,
                args.port,
                args.market,
                args.bar_interval,
                args.market_csv,
                args.market_symbol,
                args.secret_file,
            )
        except (OSError, ValueError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        return 0
    try:
        if args.command == "scenarios":
            for s in scenarios.list():
                info = scenarios.get(s.slug).info
                print(f"{s.slug:<24} {info['bar_count']:>6} bars of {info['bar_resolution']:<6} {s.name}")
            return 0
        if args.command == "run":
            return _run(load_strategy(args.strategy), args.scenario, args.agent, args.report, args.json)
        if args.command == "sweep":
            return _sweep(args)
        return _run(SmaCross, args.scenario, "sma-crossover", args.report, False)
    except VecTradeError as e:
        print(f"error [{getattr(e, 'code', '?')}]: {getattr(e, 'detail', e)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
