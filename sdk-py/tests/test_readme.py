"""The README's Python quickstart runs as written."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_python_quickstart_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "the README has a Python example"
    assert len(blocks) >= 3, "the quickstart and the two callback examples"
    out = io.StringIO()
    namespace: dict = {}
    with contextlib.redirect_stdout(out):
        for block in blocks:
            exec(compile(block, "README.md", "exec"), namespace)
    printed = out.getvalue()
    assert "tech-2024-q2" in printed and printed.count("Results(") == 4 and "Sharpe" in printed
    assert "Sweep(9 combinations, best by sharpe)" in printed
