"""Reading replay files: Binance kline CSVs (and the simple header layout), funding files.

Every problem raises ``ReplayFileError`` naming the file, the line and what is wrong. See
``feeds.replay`` for the layouts and how the bars are played back.
"""

from __future__ import annotations

import gzip
import io
import itertools
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np

from simulator.feeds.base import FeedSymbol
from simulator.feeds.candles import MINUTE_MS

FILE_SUFFIXES = (".csv", ".csv.gz", ".gz", ".zip")
TIME_COLUMNS = ("open_time", "open_time_ms", "timestamp", "time")
TRADES_COLUMNS = ("trades", "number_of_trades", "count")
BUY_COLUMNS = ("taker_buy_volume", "taker_buy_base_asset_volume", "taker_buy_base_volume")
MICROSECONDS_FROM = 10**14  # ms timestamps stay below this until the year 5138
MILLISECONDS_FROM = 10**11  # below this a timestamp would be in seconds (not supported)


class ReplayFileError(ValueError):
    """A replay file that cannot be read: says which file, which line and what is wrong."""

    def __init__(self, path: Path, line: int | None, problem: str) -> None:
        where = f"{path}, line {line}" if line is not None else str(path)
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True, slots=True)
class KlineFile:
    """The bars of one kline file, as read (prices and volumes still Decimal)."""

    path: Path
    interval_ms: int
    open_time: np.ndarray  # int64 ms
    open: list[Decimal]
    high: list[Decimal]
    low: list[Decimal]
    close: list[Decimal]
    volume: list[Decimal]
    trades: np.ndarray | None  # int64, when the file has them
    buy_volume: list[Decimal] | None

    def __len__(self) -> int:
        return len(self.open_time)


def _open_text(path: Path) -> io.TextIOBase:
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if m.endswith(".csv")]
            if len(members) != 1:
                raise ReplayFileError(path, None, f"expected one .csv inside, found {members}")
            data = archive.read(members[0])
        return io.StringIO(data.decode("utf-8"))
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return path.open("r", encoding="utf-8")


def _layout(header: list[str] | None, fields: int, path: Path) -> dict[str, int]:
    """Column positions of time, open, high, low, close, volume (+ trades, buy if present)."""
    if header is None:
        if fields < 6:
            raise ReplayFileError(path, 1, f"expected 12 (or at least 6) columns, got {fields}")
        layout = {"time": 0, "open": 1, "high": 2, "low": 3, "close": 4, "volume": 5}
        if fields >= 11:
            layout.update(trades=8, buy=9)
        return layout
    names = [h.strip().lower() for h in header]
    layout = {}
    time_names = [n for n in names if n in TIME_COLUMNS]
    if not time_names:
        raise ReplayFileError(path, 1, f"no open time column in header (one of {TIME_COLUMNS})")
    layout["time"] = names.index(time_names[0])
    for column in ("open", "high", "low", "close", "volume"):
        if column not in names:
            raise ReplayFileError(path, 1, f"header has no {column!r} column: {header}")
        layout[column] = names.index(column)
    for key, choices in (("trades", TRADES_COLUMNS), ("buy", BUY_COLUMNS)):
        found = [n for n in names if n in choices]
        if found:
            layout[key] = names.index(found[0])
    return layout


def _decimal(text: str, column: str, path: Path, line: int) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ReplayFileError(path, line, f"{column} is not a number: {text!r}") from None
    if not value.is_finite() or value < 0:
        raise ReplayFileError(path, line, f"{column} must be a finite number >= 0, got {text!r}")
    return value


def _time_ms(text: str, path: Path, line: int) -> tuple[int, str]:
    try:
        value = int(text)
    except ValueError:
        raise ReplayFileError(path, line, f"open time is not an integer: {text!r}") from None
    if value >= MICROSECONDS_FROM:
        return value // 1000, "µs"
    if value >= MILLISECONDS_FROM:
        return value, "ms"
    raise ReplayFileError(path, line, f"open time {value} is neither in ms nor in µs")


def read_kline_file(path: Path) -> KlineFile:
    """Read and check a kline file; any problem raises ReplayFileError naming file and line."""
    path = Path(path)
    if not path.is_file():
        raise ReplayFileError(path, None, "no such file")
    times: list[int] = []
    lines: list[int] = []
    cols: dict[str, list] = {k: [] for k in ("open", "high", "low", "close", "volume", "buy")}
    trades: list[int] = []
    layout: dict[str, int] | None = None
    unit = ""
    try:
        with _open_text(path) as text:
            for line_no, raw in enumerate(text, start=1):
                row = raw.strip()
                if not row:
                    continue
                fields = row.split(",")
                if layout is None:
                    has_header = not fields[0].strip().lstrip("-").isdigit()
                    layout = _layout(fields if has_header else None, len(fields), path)
                    if has_header:
                        continue
                unit = _read_row(fields, line_no, layout, path, times, cols, trades, unit)
                lines.append(line_no)
    except (OSError, EOFError, zipfile.BadZipFile, UnicodeDecodeError) as e:
        raise ReplayFileError(path, None, f"cannot read: {e}") from e
    if len(times) < 2:
        raise ReplayFileError(path, None, f"needs at least 2 bars, found {len(times)}")
    open_time = np.array(times, dtype=np.int64)
    interval = _interval(open_time, lines, path)
    return KlineFile(
        path=path,
        interval_ms=interval,
        open_time=open_time,
        open=cols["open"],
        high=cols["high"],
        low=cols["low"],
        close=cols["close"],
        volume=cols["volume"],
        trades=np.array(trades, dtype=np.int64) if layout and "trades" in layout else None,
        buy_volume=cols["buy"] if layout and "buy" in layout else None,
    )


def _read_row(
    fields: list[str],
    line: int,
    layout: dict[str, int],
    path: Path,
    times: list[int],
    cols: dict[str, list],
    trades: list[int],
    unit: str,
) -> str:
    """Parse and check one data row into the column lists; returns the time unit seen."""
    needed = max(layout.values()) + 1
    if len(fields) < needed:
        raise ReplayFileError(path, line, f"expected {needed} columns, got {len(fields)}")
    t, row_unit = _time_ms(fields[layout["time"]].strip(), path, line)
    if unit and row_unit != unit:
        raise ReplayFileError(path, line, f"open time in {row_unit} after rows in {unit}")
    if times and t <= times[-1]:
        raise ReplayFileError(path, line, f"open time {t} is not after the previous {times[-1]}")
    values = _ohlcv(fields, layout, path, line)
    times.append(t)
    for k, v in values.items():
        cols[k].append(v)
    _read_counts(fields, layout, path, line, values["volume"], trades, cols)
    return row_unit


def _ohlcv(fields: list[str], layout: dict[str, int], path: Path, line: int) -> dict[str, Decimal]:
    values = {
        k: _decimal(fields[layout[k]].strip(), k, path, line)
        for k in ("open", "high", "low", "close", "volume")
    }
    o, h, lo, c = values["open"], values["high"], values["low"], values["close"]
    if h < max(o, c) or lo > min(o, c):
        raise ReplayFileError(path, line, f"high {h} / low {lo} do not contain open and close")
    if lo <= 0:
        raise ReplayFileError(path, line, f"low must be positive, got {lo}")
    return values


def _read_counts(
    fields: list[str],
    layout: dict[str, int],
    path: Path,
    line: int,
    volume: Decimal,
    trades: list[int],
    cols: dict[str, list],
) -> None:
    """Trades and taker-buy volume, when the layout has them."""
    if "trades" in layout:
        text = fields[layout["trades"]].strip()
        if not text.isdigit():
            raise ReplayFileError(path, line, f"trades is not a count: {text!r}")
        trades.append(int(text))
    if "buy" in layout:
        buy = _decimal(fields[layout["buy"]].strip(), "taker buy volume", path, line)
        if buy > volume:
            raise ReplayFileError(path, line, f"taker buy volume {buy} exceeds volume")
        cols["buy"].append(buy)


def _interval(open_time: np.ndarray, lines: list[int], path: Path) -> int:
    steps = np.diff(open_time)
    interval = int(steps.min())
    if interval % MINUTE_MS:
        raise ReplayFileError(
            path, None, f"bars are {interval / 1000:g} s apart; replay needs 1 minute or longer"
        )
    bad = np.flatnonzero(steps % interval)
    if len(bad):
        line = lines[int(bad[0]) + 1]
        raise ReplayFileError(path, line, f"open time is not on the file's {interval} ms grid")
    off_grid = np.flatnonzero(open_time % MINUTE_MS)
    if len(off_grid):
        raise ReplayFileError(path, lines[int(off_grid[0])], "open time is not on a whole minute")
    return interval


@dataclass(frozen=True, slots=True)
class FundingFile:
    """Funding events of one perpetual: times (ms) and rates."""

    path: Path
    time_ms: np.ndarray
    rate: list[Decimal]


FUNDING_TIME_COLUMNS = ("funding_time_ms", "funding_time", "fundingtime", "calc_time")
FUNDING_RATE_COLUMNS = ("funding_rate", "fundingrate", "last_funding_rate")


def read_funding_file(path: Path) -> FundingFile:
    """A CSV with a header naming a funding time and a rate column (ours or Binance's)."""
    times: list[int] = []
    rates: list[Decimal] = []
    with _open_text(path) as text:
        header = [h.strip().lower() for h in text.readline().split(",")]
        positions = []
        for choices in (FUNDING_TIME_COLUMNS, FUNDING_RATE_COLUMNS):
            found = [i for i, name in enumerate(header) if name in choices]
            if not found:
                raise ReplayFileError(path, 1, f"header has none of {choices}: {header}")
            positions.append(found[0])
        for line_no, raw in enumerate(text, start=2):
            fields = raw.strip().split(",")
            if fields == [""]:
                continue
            if len(fields) <= max(positions):
                raise ReplayFileError(path, line_no, f"expected {len(header)} columns")
            t, _ = _time_ms(fields[positions[0]].strip(), path, line_no)
            if times and t <= times[-1]:
                raise ReplayFileError(path, line_no, f"funding time {t} is not after {times[-1]}")
            try:
                rate = Decimal(fields[positions[1]].strip())
            except InvalidOperation:
                raise ReplayFileError(path, line_no, "funding rate is not a number") from None
            times.append(t)
            rates.append(rate)
    if not times:
        raise ReplayFileError(path, None, "no funding events")
    return FundingFile(path, np.array(times, dtype=np.int64), rates)


def _symbol_in_name(name: str, symbols: Sequence[FeedSymbol]) -> str | None:
    upper = name.upper()
    found = [s.symbol for s in symbols if s.symbol.upper() in upper]
    return max(found, key=len) if found else None


def files_by_symbol(
    paths: list[Path], symbols: Sequence[FeedSymbol]
) -> tuple[dict[str, KlineFile], dict[str, FundingFile]]:
    """Kline files (joined per symbol) and funding files, by the symbol their names contain."""
    if not paths:
        raise ValueError("replay needs a file or folder: replay:PATH")
    candidates: list[Path] = []
    for path in paths:
        if path.is_dir():
            candidates += sorted(p for p in path.iterdir() if p.name.endswith(FILE_SUFFIXES))
        elif path.is_file():
            candidates.append(path)
        else:
            raise ValueError(f"replay path {path} does not exist")
    grouped: dict[str, list[KlineFile]] = {}
    funding: dict[str, FundingFile] = {}
    names = ", ".join(s.symbol for s in symbols)
    for path in candidates:
        symbol = _symbol_in_name(path.name, symbols)
        if symbol is None:
            if len(candidates) == 1:
                raise ValueError(f"replay file {path} names none of the symbols ({names})")
            continue
        if "FUNDING" in path.name.upper():
            funding[symbol] = read_funding_file(path)
        else:
            grouped.setdefault(symbol, []).append(read_kline_file(path))
    if not grouped:
        raise ValueError(f"no replay file among {paths} names one of the symbols ({names})")
    return {symbol: _join(files) for symbol, files in grouped.items()}, funding


def _join(files: list[KlineFile]) -> KlineFile:
    """Consecutive files of one symbol (e.g. Binance's monthly files) as one."""
    if len(files) == 1:
        return files[0]
    files = sorted(files, key=lambda f: int(f.open_time[0]))
    for before, after in itertools.pairwise(files):
        if after.interval_ms != before.interval_ms:
            raise ReplayFileError(after.path, None, f"interval differs from {before.path}")
        if after.open_time[0] <= before.open_time[-1]:
            raise ReplayFileError(after.path, None, f"overlaps {before.path}")
    has_trades = all(f.trades is not None for f in files)
    has_buys = all(f.buy_volume is not None for f in files)
    return KlineFile(
        path=files[0].path,
        interval_ms=files[0].interval_ms,
        open_time=np.concatenate([f.open_time for f in files]),
        open=[x for f in files for x in f.open],
        high=[x for f in files for x in f.high],
        low=[x for f in files for x in f.low],
        close=[x for f in files for x in f.close],
        volume=[x for f in files for x in f.volume],
        trades=np.concatenate([f.trades for f in files]) if has_trades else None,
        buy_volume=[x for f in files for x in f.buy_volume] if has_buys else None,
    )
