"""Starts the real local server as a user would (`python -m vectrade.cli serve`) on a fresh database
and a free port with a manual market, and reads what its first start prints: for the client tests."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, List


@dataclass
class LocalServer:
    base_url: str
    api_key: str
    api_secret: str
    account_id: str
    bot_key: str
    operator_token: str
    process: "subprocess.Popen[str]"
    output: List[str]

    def advance(self, bars: int = 1) -> Any:
        """Reveal `bars` more bars of the bot market (the operator route, outside the client)."""
        req = urllib.request.Request(
            f"{self.base_url}/api/v1/operator/market/advance",
            data=json.dumps({"bars": bars}).encode(),
            method="POST",
            headers={"Content-Type": "application/json", "X-Operator-Token": self.operator_token},
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _printed(lines: List[str], label: str) -> str:
    for line in lines:
        if label in line:
            return line.split(label, 1)[1].split()[0]
    raise AssertionError(f"the server did not print {label!r}:\n" + "".join(lines))


def start(db: Path) -> LocalServer:
    cmd = [sys.executable, "-m", "vectrade.cli", "serve", "--db", str(db), "--port", "0", "--bar-interval", "manual"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    lines: List[str] = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("VecTrade server listening on "):
            break
    else:
        raise AssertionError("the server did not start:\n" + "".join(lines))
    stdout = proc.stdout

    def drain() -> None:  # keep reading what it prints, so a full pipe never blocks it
        for line in stdout:
            lines.append(line)

    threading.Thread(target=drain, daemon=True).start()
    return LocalServer(
        base_url=lines[-1].split()[4],
        api_key=_printed(lines, "API key:"),
        api_secret=_printed(lines, "API secret:"),
        account_id=_printed(lines, "account id:"),
        bot_key=_printed(lines, "bot key:"),
        operator_token=_printed(lines, "operator token:"),
        process=proc,
        output=lines,
    )


def serve(db: Path) -> Iterator[LocalServer]:
    server = start(db)
    try:
        yield server
    finally:
        server.stop()

