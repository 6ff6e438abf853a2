"""The client quickstarts of sdk-py/README.md run as written, with the environment they name,
against the real local server."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import Dict, Iterator

import pytest

from local_server import LocalServer, serve

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks() -> Dict[str, str]:
    found = re.findall(
        r"<!-- START (client-[a-z]+) -->\n```python\n(.*?)```\n<!-- END \1 -->", README.read_text(), flags=re.S
    )
    return dict(found)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    yield from serve(tmp_path_factory.mktemp("readme") / "vectrade.db")


def test_there_is_a_quickstart_per_api_family() -> None:
    assert sorted(_blocks()) == [
        "client-agents", "client-async", "client-benchmark", "client-bot", "client-journal", "client-strategy"
    ]


@pytest.mark.parametrize(
    "name, printed",
    [
        ("client-bot", "OPEN 150.00000000"),
        ("client-benchmark", "my-bot"),
        ("client-agents", "momentum-1 25000.00000000 10"),
        ("client-journal", "['open']"),
        ("client-async", "404 unknown_scenario"),
        ("client-strategy", "True"),
    ],
)
def test_the_client_quickstart_runs(
    name: str, printed: str, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VECTRADE_BASE_URL", server.base_url)
    monkeypatch.setenv("VECTRADE_API_KEY", server.api_key)
    monkeypatch.setenv("VECTRADE_API_SECRET", server.api_secret)
    monkeypatch.setenv("VECTRADE_BOT_KEY", server.bot_key)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(_blocks()[name], f"README.md:{name}", "exec"), {"__name__": "__readme__"})
    assert printed in out.getvalue(), out.getvalue()
