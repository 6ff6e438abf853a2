"""`vectrade remote ...` against the real local server, as a user runs it from the shell."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Iterator, List

import pytest

import vectrade as vt
from local_server import LocalServer, serve


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    yield from serve(tmp_path_factory.mktemp("cli") / "vectrade.db")


def _remote(server: LocalServer, *args: str) -> "subprocess.CompletedProcess[str]":
    env = dict(os.environ, VECTRADE_BASE_URL=server.base_url, VECTRADE_API_KEY=server.api_key)
    cmd: List[str] = [sys.executable, "-m", "vectrade.cli", "remote", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)


def test_remote_verbs(server: LocalServer) -> None:
    health = _remote(server, "health")
    assert health.returncode == 0 and ": ok (version" in health.stdout
    assert "tech-2024-q2" in _remote(server, "scenarios").stdout
    with vt.Client(server.base_url, api_key=server.api_key) as c:
        run = c.benchmark.start_run("crash-and-rebound", bot_name="cli-bot")
        run.trade(
            symbol=c.benchmark.get_scenario("crash-and-rebound")["scenario"]["universe"][0], side="buy", quantity=1
        )
        while not run.step(500).done:
            pass
    assert "completed" in _remote(server, "get", run.id).stdout
    results = json.loads(_remote(server, "--json", "results", run.id).stdout)
    assert results["results"]["trade_count"] == 1
    assert _remote(server, "publish", run.id).stdout.strip() == f"published {run.id}"
    board = _remote(server, "leaderboard", "--scenario", "crash-and-rebound")
    assert board.returncode == 0 and "cli-bot" in board.stdout


def test_remote_errors_name_code_status_and_request_id(server: LocalServer) -> None:
    missing = _remote(server, "results", "no-such-run")
    assert missing.returncode == 1
    assert missing.stderr.startswith("error [") and "HTTP 404, request " in missing.stderr
    env = dict(os.environ, VECTRADE_BASE_URL="http://127.0.0.1:9", VECTRADE_API_KEY="x")
    down = subprocess.run(
        [sys.executable, "-m", "vectrade.cli", "remote", "health"], capture_output=True, text=True, timeout=60, env=env
    )
    assert down.returncode == 1 and "error [connection_error]" in down.stderr
