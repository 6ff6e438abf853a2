"""The ``vectrade`` command: list scenarios, run a strategy file, write an HTML report."""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import sys
import time
from pathlib import Path
from typing import Any, Callable, List, Optional

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


def load_strategy(path: str) -> Any:
    """The strategy a Python file defines: its one Strategy subclass, else its on_bar(ctx)."""
    file = Path(path)
    if not file.is_file():
        raise SystemExit(f"error: no strategy file at {path}")
    spec = importlib.util.spec_from_file_location(file.stem, file)
    if spec is None or spec.loader is None:
        raise SystemExit(f"error: cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    # Like `python file.py`: the file's folder is importable and the module is registered.
    sys.path.insert(0, str(file.resolve().parent))
    sys.modules[file.stem] = module
    spec.loader.exec_module(module)
    classes = [
        v for v in vars(module).values()
        if inspect.isclass(v) and issubclass(v, Strategy) and v is not Strategy and v.__module__ == module.__name__
    ]
    # The most derived strategies: a base class that another one extends is not the one to run.
    leaves = [c for c in classes if not any(o is not c and issubclass(o, c) for o in classes)]
    if len(leaves) > 1:
        names = ", ".join(c.__name__ for c in leaves)
        raise SystemExit(f"error: {path} defines several strategies ({names}); keep one per file")
    if leaves:
        return leaves[0]
    if callable(getattr(module, "on_bar", None)):
        return module.on_bar
    raise SystemExit(f"error: {path} defines no Strategy subclass and no on_bar(ctx) function")


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
        return _run(SmaCross, args.scenario, "sma-crossover", args.report, False)
    except VecTradeError as e:
        print(f"error [{getattr(e, 'code', '?')}]: {getattr(e, 'detail', e)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
