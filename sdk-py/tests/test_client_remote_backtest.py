"""One strategy, two places: the same `vt.Strategy` on the local engine and against a benchmark
run of the real local server (`vt.backtest(..., remote=client)`, `vectrade remote run`) sees the
same bars and account at every bar and gets the same fills and grade."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import numpy as np
import pytest

import vectrade as vt
from local_server import LocalServer, serve
from vectrade.cli import load_strategy

SCENARIO = "tech-2024-q2"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    yield from serve(tmp_path_factory.mktemp("remote-backtest") / "vectrade.db")


@pytest.fixture()
def client(server: LocalServer) -> Iterator[vt.Client]:
    with vt.Client(server.base_url, api_key=server.api_key) as c:
        yield c


def sma(values: np.ndarray, n: int) -> np.ndarray:
    out = np.full(len(values), np.nan)
    if len(values) >= n:
        out[n - 1 :] = np.convolve(values, np.ones(n) / n, mode="valid")
    return out


class EveryOrderType(vt.Strategy):
    """Market, resting limit (then cancelled), stop, bracket, crossover entries and exits, and a
    close; logs what it sees at every bar."""

    fast = 5
    slow = 20

    def init(self, ctx: Any) -> None:
        self.log: List[Tuple[Any, ...]] = []
        self.fast_ma = ctx.indicator(sma, "META", self.fast)
        self.slow_ma = ctx.indicator(sma, "META", self.slow)
        self.resting = None

    def on_bar(self, ctx: Any) -> None:
        i = ctx.bar_index
        bar = ctx.bar("AAPL")
        self.log.append((i, ctx.time, bar, ctx.closes("MSFT", 3), ctx.cash, ctx.equity, ctx.position("AAPL"),
                         ctx.position("META"), [v for v in self.fast_ma[-3:] if v == v]))
        if i == 0:
            ctx.buy("AAPL", 10)
            self.resting = ctx.buy("MSFT", 5, limit=round(ctx.close("MSFT") * 0.8, 2))
        elif i == 3:
            open_ids = [o.id for o in ctx.open_orders()]
            self.log.append(("open", open_ids, ctx.order(self.resting).status))
            self.log.append(("cancelled", ctx.cancel(self.resting).status))
        elif i == 8:
            ctx.submit(vt.Order.stop("GOOGL", "buy", 4, round(ctx.close("GOOGL") * 1.01, 2)))
        elif i == 12:
            c = ctx.close("NVDA")
            ctx.buy("NVDA", 3, stop_loss=round(c * 0.97, 2), take_profit=round(c * 1.03, 2))
        elif i == 150:
            ctx.close_position("AAPL")
        elif i == 200:
            ctx.sell("GOOGL", 2, limit=round(ctx.close("GOOGL") * 1.005, 2), time_in_force="DAY")
        if vt.crossover(self.fast_ma, self.slow_ma) and ctx.position("META") == 0:
            ctx.buy("META", 2)
        elif vt.crossover(self.slow_ma, self.fast_ma) and ctx.position("META") > 0:
            ctx.close_position("META")


def _fill_key(f: Any) -> Dict[str, Any]:
    """The fill's fields both places give, numbers as exact decimals (the server writes `2`, the
    engine may keep `2.0000`: the same value)."""
    key: Dict[str, Any] = {k: str(f[k]) for k in ("order_id", "symbol", "side", "bar_index", "role")}
    key.update({k: Decimal(str(f[k])) for k in ("quantity", "fill_price", "slippage_bps", "commission", "total_value")})
    return key


def test_a_strategy_gets_the_same_bars_account_fills_and_grade_locally_and_on_the_server(client: vt.Client) -> None:
    here, there = EveryOrderType(), EveryOrderType()
    local = vt.backtest(here, SCENARIO)
    remote = vt.backtest(there, SCENARIO, remote=client, bot_name="two-places")

    assert isinstance(remote, vt.RemoteBacktest) and remote.run.done
    assert len(here.log) > 400 and here.log == there.log, "the strategy saw something else at some bar"
    local_fills = [
        _fill_key({**f.to_dict(), "role": f.role}) for f in local.run.fills()
    ]
    assert len(local_fills) >= 8
    assert [_fill_key(f) for f in remote.fills] == local_fills
    roles = {f["role"] for f in remote.fills}
    assert "manual" in roles and roles & {"stop_loss", "take_profit"}, roles
    assert [o.to_dict() | {"client_order_id": None, "end_detail": None} for o in remote.orders] == [
        o.to_dict() | {"client_order_id": None, "end_detail": None} for o in local.run.orders()
    ]

    # The grade: the client reads JSON numbers as Decimal, the server writes floats by their
    # shortest representation, so float() gives back the engine's float bit for bit.
    mine, theirs = local.results, remote.results
    assert theirs["final_equity"] == mine.final_equity
    for name in ("return_pct", "sharpe", "sortino", "max_drawdown"):
        assert float(theirs[name]) == getattr(mine, name), name
    assert theirs["trade_count"] == mine.trade_count == len(local_fills)
    local_metrics = {k: v for k, v in mine.metrics.to_dict().items() if v is not None and v == v}
    assert {k: float(v) for k, v in theirs["metrics"].items()} == {k: float(v) for k, v in local_metrics.items()}


def test_a_function_strategy_with_wake_on_runs_remotely_as_locally(client: vt.Client) -> None:
    seen: Dict[str, List[int]] = {"local": [], "remote": []}

    def make(where: str) -> vt.Strategy:
        class Crossing(vt.Strategy):
            def init(self, ctx: Any) -> None:
                self.fast = ctx.indicator(sma, "AAPL", 4)
                self.slow = ctx.indicator(sma, "AAPL", 12)
                ctx.wake_on(vt.crossings(self.fast, self.slow))

            def on_bar(self, ctx: Any) -> None:
                seen[where].append(ctx.bar_index)
                if vt.crossover(self.fast, self.slow):
                    ctx.buy("AAPL", 1)
                elif ctx.position("AAPL") > 0:
                    ctx.close_position("AAPL")

        return Crossing()

    local = vt.backtest(make("local"), SCENARIO)
    remote = vt.backtest(make("remote"), SCENARIO, remote=client)
    assert 5 < len(seen["local"]) < 200 and seen["remote"] == seen["local"]
    assert [_fill_key(f) for f in remote.fills] == [_fill_key({**f.to_dict(), "role": f.role}) for f in local.run.fills()]


def test_refusals_are_the_engines_errors_in_both_places(client: vt.Client) -> None:
    def greedy(ctx: Any) -> None:
        ctx.buy("AAPL", 10**7)

    with pytest.raises(vt.VecTradeError) as here:
        vt.backtest(greedy, SCENARIO)
    with pytest.raises(vt.VecTradeError) as there:
        vt.backtest(greedy, SCENARIO, remote=client)
    # The same engine class (the client's error subclasses it) and the same stable code.
    assert isinstance(there.value, type(here.value)) and isinstance(there.value, vt.APIError)
    assert there.value.code == here.value.code == "insufficient_buying_power"

    with pytest.raises(vt.NotFound) as missing:
        vt.backtest(greedy, "no-such-scenario", remote=client)
    assert missing.value.status == 404
    with pytest.raises(vt.InvalidInput, match="local runs only"):
        vt.backtest(greedy, SCENARIO, remote=client, close_at_end=True)  # type: ignore[call-overload]
    with pytest.raises(vt.InvalidInput, match="remote=client"):
        vt.backtest(greedy, SCENARIO, bot_name="x")  # type: ignore[call-overload]


def test_vectrade_remote_run_plays_a_strategy_file_and_publishes_it(server: LocalServer, tmp_path: Path) -> None:
    file = tmp_path / "buy_and_hold.py"
    file.write_text(textwrap.dedent("""
        import vectrade as vt

        class BuyAndHold(vt.Strategy):
            def on_bar(self, ctx):
                if ctx.bar_index == 0:
                    ctx.buy("MSFT", 7)
    """))
    env = dict(os.environ, VECTRADE_BASE_URL=server.base_url, VECTRADE_API_KEY=server.api_key)
    cmd = [sys.executable, "-m", "vectrade.cli", "remote", "--json", "run", str(file), "-s", SCENARIO, "--publish"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["published"] is True and out["results"]["trade_count"] == 1

    local = vt.backtest(load_strategy(str(file)), SCENARIO)
    assert Decimal(str(out["results"]["final_equity"])) == Decimal(str(float(local.results.final_equity)))
    with vt.Client(server.base_url, api_key=server.api_key) as c:
        board = c.benchmark.leaderboard(SCENARIO)["leaderboard"]
        assert any(row["run_id"] == out["run_id"] and row["display_name"] == "BuyAndHold" for row in board)
