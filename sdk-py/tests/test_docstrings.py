"""Every public name of the package says what it is."""

from __future__ import annotations

import inspect
from typing import List

import vectrade as vt


def test_every_public_name_has_a_docstring() -> None:
    missing: List[str] = []
    for name in vt.__all__:
        obj = getattr(vt, name)
        if not (inspect.getdoc(obj) or "").strip():
            missing.append(name)
        if inspect.isclass(obj) and not issubclass(obj, BaseException):
            for attr, val in vars(obj).items():
                if attr.startswith("_"):
                    continue
                func = val.__func__ if isinstance(val, (classmethod, staticmethod)) else val
                if (callable(func) or isinstance(func, property)) and not (inspect.getdoc(func) or "").strip():
                    missing.append(f"{name}.{attr}")
    for mod in (vt.scenarios,):
        for attr in dir(mod):
            obj = getattr(mod, attr)
            if not attr.startswith("_") and callable(obj) and getattr(obj, "__module__", "") == mod.__name__:
                if not (inspect.getdoc(obj) or "").strip():
                    missing.append(f"{mod.__name__}.{attr}")
    assert missing == []
