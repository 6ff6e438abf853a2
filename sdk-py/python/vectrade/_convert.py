"""Conversions at the edge of the native module: exact decimals in, JSON text across, typed values out."""

from __future__ import annotations

import datetime as _dt
import importlib
import json
import operator
from decimal import Decimal, InvalidOperation
from typing import Any, Union

from . import _native

#: What money and account values (starting cash, risk limits) may be given as. Floats are refused:
#: they are inexact (orders take them, see `OrderNumber`).
DecimalLike = Union[int, str, Decimal]

#: What an order's prices and quantities may be given as: a float as well (``round(ctx.close(s) * 0.95, 2)``),
#: read as the digits of its shortest representation, as ``from_arrays`` reads bars.
OrderNumber = Union[int, float, str, Decimal]

#: Decimal places an order's price or quantity may have (the engine's rule, docs/LIMITS.md).
ORDER_PLACES = 8


def invalid(code: str, detail: str) -> _native.InvalidInput:
    """An ``InvalidInput`` carrying ``code`` and ``detail`` like the engine's own errors."""
    err = _native.InvalidInput(detail)
    err.code = code  # type: ignore[attr-defined]
    err.detail = detail  # type: ignore[attr-defined]
    err.family = "invalid_input"  # type: ignore[attr-defined]
    return err


def to_decimal(value: Any, name: str) -> Decimal:
    """``value`` as an exact Decimal; ``name`` is the argument named in the error."""
    if isinstance(value, bool) or isinstance(value, float):
        kind = type(value).__name__
        raise invalid(
            "invalid_argument",
            f"`{name}` must be an int, str or Decimal, got {kind} {value!r}"
            + (" (floats are inexact: pass str(x) or Decimal(x))" if kind == "float" else ""),
        )
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, str) and not value.isascii():
        # Python's Decimal reads other scripts' digits ("١٠" is 10); the engine, and so Node and
        # WebAssembly, read ASCII digits only: one behaviour in every runtime.
        raise invalid("invalid_argument", f"`{name}` is not a number: {value!r} (digits 0-9 only)")
    elif isinstance(value, (int, str)):
        try:
            d = Decimal(value)
        except InvalidOperation:
            raise invalid("invalid_argument", f"`{name}` is not a number: {value!r}") from None
    else:
        raise invalid("invalid_argument", f"`{name}` must be an int, str or Decimal, got {type(value).__name__}")
    if not d.is_finite():
        raise invalid("invalid_argument", f"`{name}` must be finite, got {value!r}")
    return d


def opt_decimal(value: Any, name: str) -> Decimal | None:
    return None if value is None else to_decimal(value, name)


def order_decimal(value: Any, name: str) -> Decimal:
    """An order's price or quantity as an exact Decimal: what :func:`to_decimal` takes, and floats
    (numpy's too) read as the digits of their shortest representation (``repr``: ``0.1`` is 0.1,
    ``143.95 * 0.95`` is 136.75249999999998), as ``from_arrays`` and the engine's
    ``num::decimal_from_f64`` read float columns. NaN and infinities are refused."""
    if isinstance(value, float) or (type(value).__module__ == "numpy" and getattr(value, "dtype", None) is not None
                                    and value.dtype.kind == "f" and getattr(value, "ndim", 1) == 0):
        if value != value or value in (float("inf"), float("-inf")):
            raise invalid("invalid_argument", f"`{name}` must be a finite number, got {value!r}")
        # str() of a float, or of a numpy float at its own precision, is its shortest round trip.
        d = Decimal(str(value))
        exponent = d.as_tuple().exponent
        places = -exponent if isinstance(exponent, int) else 0
        if places > ORDER_PLACES:
            # The engine refuses it too; from a float the likely cause is arithmetic: say how to fix it.
            code = "invalid_quantity" if name.endswith("quantity") else "invalid_price"
            raise invalid(
                code,
                f"`{name}` has more than {ORDER_PLACES} decimal places: the float {value!r} has {places}; "
                f"round it first, e.g. round(x, 2)",
            )
        return d
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
        kind = type(value).__name__
        raise invalid("invalid_argument", f"`{name}` must be an int, float, str or Decimal, got {kind}")
    return to_decimal(value, name)


def opt_order_decimal(value: Any, name: str) -> Decimal | None:
    return None if value is None else order_decimal(value, name)


def dec_str(d: Decimal) -> str:
    """Plain notation (no exponent) for the engine."""
    return format(d, "f")


def dumps(obj: Any) -> str:
    """JSON for the engine; a value of a type the engine cannot take is InvalidInput."""
    try:
        return json.dumps(obj, default=_default, separators=(",", ":"))
    except (TypeError, ValueError) as e:  # ValueError: a cycle
        raise invalid("invalid_argument", str(e)) from None
    except RecursionError:
        raise invalid("invalid_argument", "the value is nested too deeply to send to the engine") from None


def _default(o: Any) -> Any:
    if isinstance(o, Decimal):
        return dec_str(o)
    try:  # numpy integers and booleans, and anything else that is an integer
        return operator.index(o)
    except TypeError:
        pass
    raise TypeError(f"cannot send a {type(o).__name__} ({o!r}) to the engine")


def count(value: Any, name: str, minimum: int = 0) -> int:
    """``value`` as an int of at least ``minimum`` (numpy integers accepted), else InvalidInput."""
    try:
        n = operator.index(value)
    except TypeError:
        raise invalid("invalid_argument", f"`{name}` must be an integer, got {type(value).__name__} {value!r}") from None
    if n < minimum or n > 2**32 - 1:
        raise invalid("invalid_argument", f"`{name}` must be an integer from {minimum} to {2**32 - 1}, got {n}")
    return n


def require(module: str) -> Any:
    """An optional dependency, or an ImportError saying how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"this needs {module}: pip install 'vectrade[pandas]' (pandas and numpy)") from None


def loads(text: str) -> Any:
    return json.loads(text)


def dec(v: Any) -> Decimal:
    """A decimal field of engine JSON (always a string) as Decimal."""
    return Decimal(v)


def opt_dec(v: Any) -> Decimal | None:
    return None if v is None else Decimal(v)


_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def to_datetime(ms: int) -> _dt.datetime:
    """UTC milliseconds as an aware datetime (exact: no float on the way)."""
    return _EPOCH + _dt.timedelta(milliseconds=ms)
