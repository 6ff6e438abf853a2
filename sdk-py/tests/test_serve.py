"""`vectrade serve`: the local API server inside the wheel (no Rust toolchain needed), started as a
user would, answering over HTTP, stopped by SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any, Dict, Optional

import pytest


def _request(url: str, key: Optional[str] = None, body: Optional[Dict[str, Any]] = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    if key:
        req.add_header("X-API-Key", key)
    if data:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def test_serve_runs_the_local_api_and_stops_on_sigterm(tmp_path: Path) -> None:
    db = tmp_path / "vectrade.db"
    cmd = [sys.executable, "-m", "vectrade.cli", "serve", "--db", str(db), "--port", "0", "--bar-interval", "manual"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("VecTrade server listening on "):
                break
        out = "".join(lines)
        assert "First start" in out, out
        key = next(line.split()[2] for line in lines if "API key:" in line)
        base = lines[-1].split()[4]
        assert base.startswith("http://127.0.0.1:")
        assert _request(f"{base}/api/health")["status"] == "ok"
        slugs = [s["slug"] for s in _request(f"{base}/api/v1/scenarios")["scenarios"]]
        assert "tech-2024-q2" in slugs
        run = _request(f"{base}/api/v1/runs", key, {"scenario_slug": "tech-2024-q2"})["run"]
        assert run["status"] == "active" and run["cash"] == 100000
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert db.exists()


def test_serve_refuses_a_bad_interval_and_an_unknown_market(tmp_path: Path) -> None:
    for args, expected in [
        (["--bar-interval", "soon"], "not an interval"),
        (["--market", "mars-2050"], "is not a scenario"),
    ]:
        cmd = [sys.executable, "-m", "vectrade.cli", "serve", "--db", str(tmp_path / "x.db"), "--port", "0", *args]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        assert done.returncode == 1, done
        assert expected in done.stderr, done.stderr


@pytest.mark.parametrize("port", ["-1", "70000"])
def test_serve_refuses_a_port_out_of_range(port: str) -> None:
    from vectrade.cli import main

    assert main(["serve", "--port", port]) == 2
