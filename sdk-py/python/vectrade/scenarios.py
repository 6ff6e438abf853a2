"""Scenarios: the built-in catalog, and scenarios from your own bars (CSV)."""

from __future__ import annotations

import builtins
import dataclasses
import datetime as _dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from . import _native
from ._convert import DecimalLike, dumps, invalid, loads, to_decimal


@dataclass(frozen=True)
class ScenarioInfo:
    """A catalog entry: ``slug`` starts runs, ``name`` and ``description`` say what it is."""

    slug: str
    name: str
    description: str


class Scenario:
    """A frozen market: config and bars. Runs started on it never change it."""

    def __init__(self, native: _native.Scenario, source: Tuple[Any, ...]) -> None:
        self._native = native
        self._source = source  # how to rebuild it, for pickling runs
        self._info: Dict[str, Any] = loads(native.info_json())

    @property
    def slug(self) -> str:
        """Identifier of the scenario."""
        return str(self._info["slug"])

    @property
    def universe(self) -> List[str]:
        """Tradable symbols, in order."""
        return builtins.list(self._info["universe"])

    @property
    def benchmark_symbol(self) -> Optional[str]:
        """Observable, untradable symbol whose buy-and-hold return is the benchmark."""
        return self._info.get("benchmark_symbol")

    @property
    def info(self) -> Dict[str, Any]:
        """The hosted API's scenario object (slug, universe, starting_cash, bar_resolution, ...)."""
        return dict(self._info)

    @property
    def fingerprint(self) -> str:
        """Digest of the config and every bar: equal fingerprints, equal markets."""
        return self._native.fingerprint()

    def with_rules(self, **rules: Any) -> "Scenario":
        """The same bars under other rules: each rule given (the fields of :class:`Rules`, e.g.
        ``slippage_bps=0``, ``starting_cash=10_000``, ``commission={"bps": 5}``) replaces the
        scenario's and the others are kept; a commission replaces the whole commission model.
        Every symbol but the benchmark is tradable. An unknown rule is ``InvalidInput`` listing
        the known ones."""
        Rules.of(rules)
        rules_json = dumps(_rules_wire(rules))
        return Scenario(self._native.with_rules(rules_json), ("rules", self._source, rules_json))

    def __repr__(self) -> str:
        i = self._info
        return (
            f"Scenario({i['slug']!r}, {i['bar_count']} bars of {i['bar_resolution']} from {i['start_ts']} "
            f"to {i['end_ts']}, universe={i['universe']})"
        )

    def __reduce__(self) -> Tuple[Any, ...]:
        return (_rebuild, self._source)


def _rebuild(kind: str, *args: Any) -> Scenario:
    if kind == "builtin":
        return get(args[0])
    if kind == "synthetic":
        return Scenario(_native.Scenario.synthetic(args[0]), (kind, *args))
    if kind == "columns":
        return Scenario(_native.Scenario.from_columns(*args), (kind, *args))
    if kind == "series":
        return Scenario(_native.Scenario.from_series(*args), (kind, *args))
    if kind == "rules":
        base, rules_json = _rebuild(*args[0]), args[1]
        return Scenario(base._native.with_rules(rules_json), (kind, *args))
    raise ValueError(f"unknown scenario source {kind!r}")


def list() -> builtins.list[ScenarioInfo]:  # noqa: A001 - the issue's API: vt.scenarios.list()
    """The built-in catalog."""
    return [ScenarioInfo(*e) for e in _native.catalog_entries()]


def get(slug: str) -> Scenario:
    """A built-in scenario by slug (``vt.scenarios.list()`` shows them); the same bars every time."""
    if not isinstance(slug, str):
        raise invalid("invalid_argument", f"`slug` must be a str, got {type(slug).__name__}")
    return Scenario(_native.Scenario.builtin(slug), ("builtin", slug))


def synthetic(symbols: int = 1, bars: int = 1000, *, seed: int = 1, resolution: str = "1Hour", slug: str = "synthetic") -> Scenario:
    """A synthetic 24/7 market of ``symbols`` correlated symbols (``SYM000``, ...) and ``bars`` bars,
    generated from ``seed`` with the catalog's model; the same arguments give the same bars.
    Ctrl-C stops a long generation with ``KeyboardInterrupt``."""
    spec = dumps({"slug": slug, "symbols": symbols, "bars": bars, "seed": seed, "resolution": resolution})
    return Scenario(_native.Scenario.synthetic(spec), ("synthetic", spec))


def build(config: Dict[str, Any], bars: Dict[str, Sequence[Sequence[Any]]]) -> Scenario:
    """A scenario from the engine's config fields and rows per symbol.

    ``config`` holds the fields of the hosted scenario object plus the engine's rules (``slug``,
    ``name``, ``universe``, ``starting_cash``, ``leverage_cap``, ``short_enabled``,
    ``bar_resolution``, ``benchmark_symbol``, ``costs``, ``maintenance_margin``, ``market_hours``);
    each row is ``(ts, open, high, low, close, volume)`` with ``ts`` an RFC 3339 string, a
    datetime or UTC milliseconds and prices as int, str or Decimal.
    """
    series = [
        {"symbol": symbol, "bars": [_bar_row(symbol, i, row) for i, row in enumerate(rows)]}
        for symbol, rows in bars.items()
    ]
    args = (dumps(_exact(config)), dumps(series))
    return Scenario(_native.Scenario.from_series(*args), ("series", *args))


def _bar_row(symbol: str, i: int, row: Sequence[Any]) -> Dict[str, Any]:
    if len(row) != 6:
        raise invalid("invalid_bar", f"{symbol} row {i}: expected (ts, open, high, low, close, volume), got {len(row)} values")
    ts, *values = row
    names = ("open", "high", "low", "close", "volume")
    out: Dict[str, Any] = {"ts": _millis(ts)}
    out.update({n: to_decimal(v, f"{symbol}[{i}].{n}") for n, v in zip(names, values)})
    return out


def _millis(ts: Any) -> int:
    if isinstance(ts, bool):
        raise invalid("invalid_timestamp", f"not a timestamp: {ts!r}")
    if isinstance(ts, int):
        return ts
    if isinstance(ts, str):
        return _native.parse_timestamp(ts)
    if isinstance(ts, _dt.datetime):
        if ts.tzinfo is None:
            ts = ts.replace(tzinfo=_dt.timezone.utc)
        return round(ts.timestamp() * 1000)
    raise invalid("invalid_timestamp", f"a timestamp must be an RFC 3339 str, datetime or int ms, got {type(ts).__name__}")


def _exact(value: Any, key: str = "") -> Any:
    """Floats in a config would be inexact money: refuse them (bars per year excepted)."""
    if isinstance(value, float) and key != "periods_per_year":
        raise invalid("invalid_argument", f"config value `{key}` must not be a float (got {value!r}); use str or Decimal")
    if isinstance(value, dict):
        return {k: _exact(v, k) for k, v in value.items()}
    if isinstance(value, (builtins.list, tuple)):
        return [_exact(v, key) for v in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


@dataclass(frozen=True)
class Rules:
    """The trading rules of a scenario made from your own bars (keyword arguments of the
    ``from_*`` constructors). Every symbol except ``benchmark_symbol`` is tradable. A rule left out
    takes the engine's default (100 000 of cash, leverage 1, no shorting, 2 bps slippage, no
    commission, 25 % maintenance margin, US equity hours); ``bar_resolution`` left out is read off
    the data (the most common spacing of its bars), so hourly data is annualised as hourly."""

    slug: str = "custom"
    name: Optional[str] = None
    starting_cash: Optional[DecimalLike] = None
    leverage_cap: Optional[DecimalLike] = None
    short_enabled: Optional[bool] = None
    bar_resolution: Optional[str] = None
    benchmark_symbol: Optional[str] = None
    market_hours: Optional[Dict[str, Any]] = None
    slippage_bps: Optional[DecimalLike] = None
    commission: Optional[Dict[str, DecimalLike]] = None
    max_volume_participation: Optional[DecimalLike] = None
    maintenance_margin: Optional[DecimalLike] = None

    @staticmethod
    def of(rules: Dict[str, Any]) -> "Rules":
        """Rules from keyword arguments; an unknown one is InvalidInput listing the known ones."""
        try:
            return Rules(**rules)
        except TypeError:
            known = [f.name for f in dataclasses.fields(Rules)]
            unknown = sorted(set(rules) - set(known))
            raise invalid("invalid_argument", f"unknown rules {unknown}; rules are {known}") from None

    def config(self, symbols: Sequence[str], times: bytes = b"") -> Dict[str, Any]:
        """The engine's config for a scenario holding ``symbols`` with bars at ``times``
        (little-endian i64 UTC ms); the engine fills in the rules left out (``wire::config_from_rules``)."""
        given = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if getattr(self, f.name) is not None}
        wire = _rules_wire(given)
        result: Dict[str, Any] = loads(_native.config_from_rules(dumps(wire), builtins.list(symbols), times))
        return result


def _rules_wire(rules: Dict[str, Any]) -> Dict[str, Any]:
    """Rules (known names, values not None) as the engine reads them: money and rates exact."""
    decimals = ("starting_cash", "leverage_cap", "maintenance_margin", "slippage_bps", "max_volume_participation")
    wire: Dict[str, Any] = {}
    for name, value in rules.items():
        if name in decimals:
            value = to_decimal(value, name)
        elif name == "commission" and value is not None:
            if not isinstance(value, dict):
                raise invalid("invalid_argument", f"`commission` is a dict of per_unit, bps, minimum; got {type(value).__name__}")
            value = {k: to_decimal(v, f"commission.{k}") for k, v in value.items()}
        wire[name] = value
    return wire


def from_csv(source: Union[str, Path], *, symbol: Optional[str] = None, **rules: Any) -> Scenario:
    """A scenario from OHLCV CSV (a path, or the text itself when it contains a line break).

    Common layouts are recognised (Yahoo, pandas ``to_csv``, MetaTrader, epoch timestamps); a file
    without a symbol column needs ``symbol``. ``rules`` are the fields of :class:`Rules`.
    """
    if not isinstance(source, (str, Path)):
        raise invalid("invalid_argument", f"`source` must be CSV text or a path, got {type(source).__name__}")
    if symbol is not None and not isinstance(symbol, str):
        raise invalid("invalid_argument", f"`symbol` must be a str, got {type(symbol).__name__}")
    # A line break of any kind marks text: old Mac files end lines with a bare "\r".
    text = source if isinstance(source, str) and ("\n" in source or "\r" in source) else Path(source).read_text()
    series = loads(_native.parse_csv(text, symbol))
    times = b"".join(int(b["ts"]).to_bytes(8, "little", signed=True) for b in series[0]["bars"]) if series else b""
    config = Rules.of(rules).config([s["symbol"] for s in series], times)
    args = (dumps(config), dumps(series))
    return Scenario(_native.Scenario.from_series(*args), ("series", *args))


def from_arrays(columns: Dict[str, Dict[str, Any]], **rules: Any) -> Scenario:
    """A scenario from numpy arrays per symbol: ``{"AAPL": {"ts": ..., "open": ..., ...}}`` with
    ``ts`` as datetime64 or integer UTC milliseconds and prices as floats. Each float becomes the
    decimal of its shortest representation (``101.3`` stays ``101.3``). Needs numpy."""
    import numpy as np

    if not isinstance(columns, dict):
        raise invalid("invalid_argument", f"`columns` must be a dict of columns per symbol, got {type(columns).__name__}")
    packed: List[Tuple[str, bytes, bytes, bytes, bytes, bytes, bytes]] = []
    for symbol, cols in columns.items():
        missing = [c for c in ("ts", "open", "high", "low", "close") if c not in cols]
        if missing:
            raise invalid("invalid_bar", f"{symbol}: missing columns {missing}; have {sorted(cols)}")
        ts = np.asarray(cols["ts"])
        if np.issubdtype(ts.dtype, np.datetime64):
            ts = ts.astype("datetime64[ms]").astype(np.int64)
        n = len(ts)
        volume = cols.get("volume", np.zeros(n))
        def f8(values: Any) -> bytes:
            return bytes(np.ascontiguousarray(np.asarray(values, dtype="<f8")).tobytes())

        ts_bytes = bytes(np.ascontiguousarray(ts, dtype="<i8").tobytes())
        packed.append((symbol, ts_bytes, f8(cols["open"]), f8(cols["high"]), f8(cols["low"]), f8(cols["close"]), f8(volume)))
    first = next(iter(packed), None)
    config = Rules.of(rules).config(builtins.list(columns), first[1] if first else b"")
    return Scenario(_native.Scenario.from_columns(dumps(config), packed), ("columns", dumps(config), packed))


def _by_ticker(df: Any, symbol: Optional[str]) -> Dict[Any, Any]:
    """Splits two-level (field, ticker) columns into one frame per ticker."""
    fields = {"open", "high", "low", "close"}
    if df.columns.nlevels != 2:
        raise invalid("invalid_bar", f"columns with {df.columns.nlevels} levels: expected one, or two (field, ticker)")
    level = next(
        (i for i in (0, 1) if fields <= {str(v).strip().lower() for v in df.columns.get_level_values(i)}),
        None,
    )
    if level is None:
        raise invalid("invalid_bar", f"neither column level holds open/high/low/close: {builtins.list(df.columns)[:6]}")
    tickers = builtins.list(dict.fromkeys(df.columns.get_level_values(1 - level)))
    frames = {str(t): df.xs(t, axis=1, level=1 - level).dropna(how="all") for t in tickers}
    if symbol is not None:
        if len(frames) != 1:
            raise invalid("invalid_argument", f"`symbol=` renames a single ticker; these columns hold {builtins.list(frames)}")
        frames = {symbol: next(iter(frames.values()))}
    return frames


def from_dataframe(data: Any, *, symbol: Optional[str] = None, **rules: Any) -> Scenario:
    """A scenario from pandas: one DataFrame (then ``symbol`` names it) or ``{symbol: DataFrame}``.

    Columns ``open, high, low, close`` and optional ``volume`` (any case; others such as
    ``Adj Close`` are ignored); times from a DatetimeIndex or a ``ts``/``date``/``datetime``/``time``
    column (integers are UTC milliseconds, as in :func:`from_arrays` and :func:`from_arrow`), naive
    times taken as UTC; times finer than a millisecond are refused, not truncated. Two-level columns as yfinance downloads them
    (``("Close", "AAPL")``, either level first) give one symbol per ticker, each keeping the rows
    where it has prices.
    ``rules`` are the fields of :class:`Rules`. Needs pandas.
    """
    import pandas as pd

    if isinstance(data, pd.DataFrame) and isinstance(data.columns, pd.MultiIndex):
        frames = _by_ticker(data, symbol)
    else:
        frames = data if isinstance(data, dict) else {symbol: data}
    if None in frames:
        raise invalid("invalid_argument", "a single DataFrame needs `symbol=`")
    columns: Dict[str, Dict[str, Any]] = {}
    for sym, df in frames.items():
        if not isinstance(df, pd.DataFrame):
            raise invalid("invalid_argument", f"{sym}: expected a pandas DataFrame, got {type(df).__name__}")
        lower = {str(c).strip().lower(): c for c in df.columns}
        if isinstance(df.index, pd.DatetimeIndex):
            times = df.index
        else:
            key = next((lower[k] for k in ("ts", "date", "datetime", "time", "timestamp") if k in lower), None)
            if key is None:
                raise invalid("invalid_bar", f"{sym}: no DatetimeIndex and no ts/date/datetime/time column; columns are {builtins.list(df.columns)}")
            column = df[key]
            # Integers are epoch milliseconds everywhere in VecTrade (pandas would read nanoseconds).
            unit = "ms" if pd.api.types.is_integer_dtype(column) else None
            times = pd.DatetimeIndex(pd.to_datetime(column, unit=unit))
        if times.tz is not None:
            times = times.tz_convert("UTC").tz_localize(None)
        nanos = times.values.astype("datetime64[ns]").astype("int64")
        if (nanos % 1_000_000 != 0).any():
            raise invalid("invalid_bar", f"{sym}: times finer than a millisecond")
        cols: Dict[str, Any] = {"ts": nanos // 1_000_000}
        for name in ("open", "high", "low", "close", "volume"):
            if name in lower:
                cols[name] = df[lower[name]].to_numpy(dtype="float64")
        columns[str(sym)] = cols
    return from_arrays(columns, **rules)


_TIME_COLUMNS = ("ts", "date", "datetime", "time", "timestamp")


def from_arrow(table: Any, *, symbol: Optional[str] = None, **rules: Any) -> Scenario:
    """A scenario from an Arrow table (``pyarrow.Table`` or ``RecordBatch``), column by column
    without Python objects per row.

    Columns ``open, high, low, close``, optional ``volume`` (any case), and a time column
    (``ts``/``date``/``datetime``/``time``/``timestamp``: an Arrow timestamp or date, or integer
    UTC milliseconds; naive timestamps are taken as UTC). A ``symbol`` (or ``ticker``) column makes
    a long table of several symbols; otherwise ``symbol=`` names the one series. ``rules`` are the
    fields of :class:`Rules`. Needs the ``arrow`` extra (``pip install vectrade[arrow]``).
    """
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:
        raise invalid("invalid_argument", "Arrow input needs pyarrow: pip install 'vectrade[arrow]'") from None
    if isinstance(table, pa.RecordBatch):
        table = pa.Table.from_batches([table])
    if not isinstance(table, pa.Table):
        raise invalid("invalid_argument", f"expected a pyarrow Table or RecordBatch, got {type(table).__name__}")
    lower = {name.strip().lower(): name for name in table.column_names}
    time_key = next((lower[k] for k in _TIME_COLUMNS if k in lower), None)
    if time_key is None:
        raise invalid("invalid_bar", f"no time column ({'/'.join(_TIME_COLUMNS)}); columns are {table.column_names}")
    symbol_key = lower.get("symbol") or lower.get("ticker")
    if symbol_key is not None:
        if symbol is not None:
            raise invalid("invalid_argument", f"the table has a {symbol_key!r} column: `symbol=` does not apply")
        names = pc.unique(table.column(symbol_key)).to_pylist()
        if None in names:
            raise invalid("invalid_bar", f"the {symbol_key!r} column has missing values")
        parts = {str(n): table.filter(pc.equal(table.column(symbol_key), n)) for n in sorted(names)}
    elif symbol is None:
        raise invalid("invalid_argument", "a table without a symbol column needs `symbol=`")
    else:
        parts = {symbol: table}

    def ms(column: Any) -> Any:
        kind = column.type
        if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
            try:  # a safe cast: sub-millisecond times are refused, not truncated
                column = column.cast(pa.timestamp("ms", tz=kind.tz) if pa.types.is_timestamp(kind) else pa.timestamp("ms"))
            except pa.ArrowInvalid:
                raise invalid("invalid_bar", f"time column {time_key!r} has times finer than a millisecond") from None
            return column.cast(pa.int64()).to_numpy(zero_copy_only=False)
        if pa.types.is_integer(kind):
            return column.cast(pa.int64()).to_numpy(zero_copy_only=False)
        raise invalid("invalid_bar", f"time column {time_key!r} is {kind}: expected a timestamp, a date or integer milliseconds")

    def floats(part: Any, key: str) -> Any:
        column = part.column(key)
        if column.null_count:
            raise invalid("invalid_bar", f"column {key!r} has {column.null_count} missing values")
        try:
            return column.cast(pa.float64()).to_numpy(zero_copy_only=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise invalid("invalid_bar", f"column {key!r} is {column.type}: expected numbers") from None

    columns: Dict[str, Dict[str, Any]] = {}
    for name, part in parts.items():
        cols: Dict[str, Any] = {"ts": ms(part.column(time_key))}
        for field in ("open", "high", "low", "close", "volume"):
            if field in lower:
                cols[field] = floats(part, lower[field])
        columns[name] = cols
    return from_arrays(columns, **rules)


def from_parquet(path: Union[str, Path], *, symbol: Optional[str] = None, **rules: Any) -> Scenario:
    """A scenario from a Parquet file, read with pyarrow; columns as for :func:`from_arrow`.
    Needs the ``arrow`` extra (``pip install vectrade[arrow]``)."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise invalid("invalid_argument", "Parquet input needs pyarrow: pip install 'vectrade[arrow]'") from None
    p = Path(path)
    if not p.is_file():
        raise invalid("invalid_argument", f"no such file: {p}")
    return from_arrow(pq.read_table(p), symbol=symbol, **rules)
