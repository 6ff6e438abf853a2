"""The panic guard at the Python boundary (issue 10): a panic inside the engine comes out as
`vectrade.InternalError` (code `internal_error`), an ordinary exception under `VecTradeError`, not
pyo3's `PanicException`, a BaseException that `except Exception` misses; the interpreter and the
engine go on.

No input reaches a panic any more, so the test panics through `_native._panic_for_tests`, present
only in the module built with the `test-hooks` feature (scripts/test.sh builds it apart and sets
VECTRADE_TEST_HOOKS=1, which turns the skip below into a failure)."""

from __future__ import annotations

import os

import pytest

import vectrade as vt
from vectrade import _native

panic = getattr(_native, "_panic_for_tests", None)
if panic is None:
    if os.environ.get("VECTRADE_TEST_HOOKS"):
        raise RuntimeError("VECTRADE_TEST_HOOKS is set but vectrade._native was built without the test-hooks feature")
    pytest.skip("needs vectrade._native built with the test-hooks feature", allow_module_level=True)


def test_a_panic_of_the_engine_is_an_internal_error() -> None:
    assert panic is not None
    with pytest.raises(vt.InternalError) as caught:
        panic("multiplication overflowed")
    e = caught.value
    assert isinstance(e, vt.VecTradeError) and isinstance(e, Exception)
    assert (e.code, e.family) == ("internal_error", "internal")
    assert "multiplication overflowed" in e.detail and "please report it" in e.detail


def test_except_exception_catches_it_and_the_engine_goes_on() -> None:
    assert panic is not None
    try:
        panic("boom")
    except Exception as e:  # what a strategy or a server loop writes; PanicException escaped it
        caught = e
    assert type(caught) is vt.InternalError
    bt = vt.backtest(lambda ctx: None, vt.scenarios.get("sideways-etfs"))
    assert bt.results.final_equity > 0
