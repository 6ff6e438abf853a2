"""`vectrade remote ...`: the benchmark API of a server from the shell (scenarios, playing a strategy
file on a benchmark run, a run's state and results, publishing, the leaderboard, health), with the
client's configuration (`--base-url` or `VECTRADE_BASE_URL`, `--api-key` or `VECTRADE_API_KEY`)."""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from typing import Any

from .._native import VecTradeError
from ._client import Client


def add_parser(sub: Any) -> None:
    remote = sub.add_parser("remote", help="the benchmark API of a VecTrade server (VECTRADE_BASE_URL)")
    remote.add_argument("--base-url", help="default: VECTRADE_BASE_URL, then the hosted API")
    remote.add_argument("--api-key", help="default: VECTRADE_API_KEY")
    remote.add_argument("--json", action="store_true", help="print the answer as JSON")
    verbs = remote.add_subparsers(dest="verb", required=True)
    verbs.add_parser("health", help="is the server up, and its version")
    verbs.add_parser("scenarios", help="the scenarios a run can take")
    play = verbs.add_parser("run", help="play a strategy file on a new benchmark run (as `vectrade run`, on the server)")
    play.add_argument("strategy", help="path of a Python file (a Strategy subclass or an on_bar(ctx) function)")
    play.add_argument("--scenario", "-s", default="tech-2024-q2", help="scenario slug")
    play.add_argument("--bot-name", help="the run's name on the leaderboard (default: the strategy's)")
    play.add_argument("--publish", action="store_true", help="publish the finished run")
    for verb, what in (
        ("get", "a run's state"),
        ("results", "a finished run's grade"),
        ("publish", "publish a finished run"),
    ):
        verbs.add_parser(verb, help=what).add_argument("run_id")
    board = verbs.add_parser("leaderboard", help="published runs, best first")
    board.add_argument("--scenario", "-s")
    board.add_argument("--sort-by", help="return_pct (default), sharpe, sortino, ...")
    board.add_argument("--limit", type=int)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value).__name__)


def _print(value: Any, as_json: bool, text: str) -> None:
    print(json.dumps(value, default=_plain, indent=2) if as_json else text)


def _play(client: Client, args: argparse.Namespace) -> None:
    from ..backtest import backtest
    from ..cli import load_strategy, progress_bar

    bt = backtest(load_strategy(args.strategy), args.scenario, remote=client, bot_name=args.bot_name,
                  progress=None if args.json or not sys.stderr.isatty() else progress_bar())
    out: Any = {"run_id": bt.run.id, "results": bt.results}
    lines = [f"run {bt.run.id} on {client.base_url}"] + [
        f"{k:<22} {v}" for k, v in bt.results.items() if not isinstance(v, (dict, list))
    ]
    if args.publish:
        out["published"] = bt.run.publish()["published"]
        lines.append(f"published {bt.run.id}")
    _print(out, args.json, "\n".join(lines))


def run(args: argparse.Namespace) -> int:
    try:
        with Client(args.base_url, api_key=args.api_key) as client:
            b = client.benchmark
            if args.verb == "health":
                h = client.meta.health()
                _print(h, args.json, f"{client.base_url}: {h['status']} (version {h['version']})")
            elif args.verb == "scenarios":
                out = b.list_scenarios()
                lines = [f"{s['slug']:<24} {s['name']}" for s in out["scenarios"]]
                _print(out, args.json, "\n".join(lines))
            elif args.verb == "run":
                _play(client, args)
            elif args.verb == "get":
                out = b.get_run(args.run_id)
                r = out["run"]
                _print(
                    out,
                    args.json,
                    f"{r['id']} {r['scenario_slug']} {r['status']} at {r['sim_time']}: equity {r['equity']}",
                )
            elif args.verb == "results":
                out = b.results(args.run_id)
                lines = [f"{k:<22} {v}" for k, v in out["results"].items() if not isinstance(v, (dict, list))]
                _print(out, args.json, "\n".join(lines))
            elif args.verb == "publish":
                out = b.publish(args.run_id)
                _print(out, args.json, f"published {args.run_id}")
            else:
                out = b.leaderboard(args.scenario, args.sort_by, args.limit)
                lines = [
                    f"{row['rank']:>3} {row['display_name']:<24} {row['scenario_slug']:<22} {row['return_pct']:>10.2f} %"
                    for row in out["leaderboard"]
                ]
                _print(out, args.json, "\n".join(lines) or "no published runs")
        return 0
    except VecTradeError as e:
        where = f" (HTTP {e.status}, request {e.request_id})" if getattr(e, "status", None) else ""
        print(f"error [{e.code}]{where}: {e.detail}", file=sys.stderr)
        return 1
