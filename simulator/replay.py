"""The replay feed: recorded klines played back on wall-clock time.

Spec: ``replay:PATH[,PATH...][?history=7d]``. Each PATH is a kline file or a folder of them
(``.csv``, ``.csv.gz``, ``.zip``); a file belongs to the symbol its name contains
(``BTCUSDT-1m-2025-01.zip``, ``spot_BTCUSDT_5m.csv.gz``). Two layouts are read:

- Binance's public kline CSV: 12 columns, no header; open times in milliseconds or (Binance's
  2025+ spot files) microseconds, told apart by their size. Trades and taker-buy volume are
  kept.
- ``open_time,open,high,low,close,volume`` with a header line (open time in ms or µs).

Bars of 1 minute or longer (1m, 5m, 1h, 1d, ...) replay. The file is shifted in time by a
whole number of its bars so that its first ``history`` (default 7 days, at most half the
file) lies before the start and the rest plays live; when it runs out it starts over from
its first bar, with prices scaled so the new pass opens at the last close (the whole file's
price ratio is applied again on every pass). A gap in the file is a stretch of flat,
zero-volume bars.

Inside each bar the price follows a path that hits the bar's open, high, low and close
exactly (see ``candles.intrabar_paths``), one sample per second, and the bar's volume,
trades and taker-buy volume are spread over the samples without losing a unit, so klines
of the file's interval (and coarser) reproduce the file.

A file whose name also contains ``funding`` holds a perpetual's funding rates (a header with
``funding_time_ms,funding_rate``, or Binance's ``calc_time,...,last_funding_rate``); it is
shifted and looped with the symbol's klines and read through ``funding_rate_at``.

Symbols with no file get the synthetic feed (logged).
"""

from __future__ import annotations

import gzip
import io
import itertools
import logging
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np

from simulator.candles import (
    DAY_MS,
    HOUR_MS,
    MINUTE_MS,
    SECOND_MS,
    columns_from_samples,
    intrabar_paths,
    split_exactly,
)
from simulator.feed import (
    FeedHistory,
    FeedSymbol,
    PathChunk,
    PriceFeed,
    mean_trade_steps,
    taker_buy_by_tick_rule,
    trade_counts,
)

log = logging.getLogger("simulator.replay")

DEFAULT_HISTORY_MS = 7 * DAY_MS
FILE_SUFFIXES = (".csv", ".csv.gz", ".gz", ".zip")
TIME_COLUMNS = ("open_time", "open_time_ms", "timestamp", "time")
TRADES_COLUMNS = ("trades", "number_of_trades", "count")
BUY_COLUMNS = ("taker_buy_volume", "taker_buy_base_asset_volume", "taker_buy_base_volume")
MICROSECONDS_FROM = 10**14  # ms timestamps stay below this until the year 5138
MILLISECONDS_FROM = 10**11  # below this a timestamp would be in seconds (not supported)
ONE_SECOND_HISTORY_MS = HOUR_MS
TRADES_PER_SECOND = 4.0
MAX_TRADES_PER_SAMPLE = 200


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


# ----- reading files -----


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
    values = {
        k: _decimal(fields[layout[k]].strip(), k, path, line)
        for k in ("open", "high", "low", "close", "volume")
    }
    o, h, lo, c = values["open"], values["high"], values["low"], values["close"]
    if h < max(o, c) or lo > min(o, c):
        raise ReplayFileError(path, line, f"high {h} / low {lo} do not contain open and close")
    if lo <= 0:
        raise ReplayFileError(path, line, f"low must be positive, got {lo}")
    times.append(t)
    for k, v in values.items():
        cols[k].append(v)
    if "trades" in layout:
        text = fields[layout["trades"]].strip()
        if not text.isdigit():
            raise ReplayFileError(path, line, f"trades is not a count: {text!r}")
        trades.append(int(text))
    if "buy" in layout:
        buy = _decimal(fields[layout["buy"]].strip(), "taker buy volume", path, line)
        if buy > values["volume"]:
            raise ReplayFileError(path, line, f"taker buy volume {buy} exceeds volume")
        cols["buy"].append(buy)
    return row_unit


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


# ----- the feed -----


def _units(values: list[Decimal], unit: Decimal, what: str, path: Path) -> np.ndarray:
    """Integer counts of ``unit``; values finer than the unit are rounded (and logged)."""
    counts = [v / unit for v in values]
    whole = [q.to_integral_value() for q in counts]
    if any(q != w for q, w in zip(counts, whole, strict=True)):
        log.warning("%s: %s finer than %s are rounded to it", path, what, unit)
    return np.array([int(w) for w in whole], dtype=np.int64)


def parse_duration_ms(text: str) -> int:
    """``90s``, ``15m``, ``12h``, ``7d`` -> milliseconds."""
    units = {"s": SECOND_MS, "m": MINUTE_MS, "h": HOUR_MS, "d": DAY_MS}
    number, unit = text[:-1], text[-1:]
    if unit not in units or not number.isdigit():
        raise ValueError(f"bad duration {text!r}: expected a number and s, m, h or d, e.g. 7d")
    return int(number) * units[unit]


class _Track:
    """One symbol's file, mapped onto the simulation's clock, with its sample generator."""

    def __init__(self, spec: FeedSymbol, bars: KlineFile, seed: int) -> None:
        self.spec = spec
        self.seed = seed
        self.key = zlib.crc32(spec.symbol.encode())
        self.interval_ms = bars.interval_ms
        self.samples_per_bar = bars.interval_ms // SECOND_MS
        self.file_time = bars.open_time
        self.n_bars = len(bars)
        self.pass_ms = int(bars.open_time[-1] - bars.open_time[0]) + bars.interval_ms
        self.o = _units(bars.open, spec.tick_size, "prices", bars.path)
        self.h = _units(bars.high, spec.tick_size, "prices", bars.path)
        self.low = _units(bars.low, spec.tick_size, "prices", bars.path)
        self.c = _units(bars.close, spec.tick_size, "prices", bars.path)
        if int(self.low.min()) <= 0:
            raise ReplayFileError(bars.path, None, f"a low rounds to 0 at tick {spec.tick_size}")
        self.v = _units(bars.volume, spec.step_size, "volumes", bars.path)
        self.trades = bars.trades
        self.buy = None
        if bars.buy_volume is not None:
            self.buy = np.minimum(
                _units(bars.buy_volume, spec.step_size, "volumes", bars.path), self.v
            )
        self.pass_ratio = float(self.c[-1]) / float(self.o[0])
        self.bars_per_block = max(1, HOUR_MS // bars.interval_ms)
        self.shift_ms = 0
        self.last_tick = int(self.o[0])
        self.funding: FundingFile | None = None

    def funding_rate_at(self, time_ms: int) -> Decimal | None:
        """The rate of the last funding event at or before ``time_ms`` (files loop too)."""
        if self.funding is None:
            return None
        file_time = time_ms - self.shift_ms
        passes = (file_time - int(self.file_time[0])) // self.pass_ms
        times = self.funding.time_ms
        for p in (passes, passes - 1):  # this pass, else the end of the previous one
            i = int(np.searchsorted(times, file_time - p * self.pass_ms, side="right")) - 1
            if i >= 0 and p >= 0:
                return self.funding.rate[i]
        return None

    def map_onto(self, history_end_ms: int, history_ms: int) -> None:
        """Shift the file (by whole bars) so its first ``history_ms`` end at history_end_ms."""
        first = int(self.file_time[0])
        self.shift_ms = (history_end_ms - history_ms - first) // self.interval_ms * self.interval_ms

    @property
    def start_ms(self) -> int:
        return int(self.file_time[0]) + self.shift_ms

    def block(self, index: int) -> PathChunk:
        """Samples of bars [index * bars_per_block, ...) counting through the passes."""
        g = np.arange(index * self.bars_per_block, (index + 1) * self.bars_per_block)
        i, k = g % self.n_bars, g // self.n_bars
        scale = self.pass_ratio ** k.astype(np.float64)
        o, h, low, c = (
            np.maximum(np.rint(x[i] * scale), 1).astype(np.int64)
            for x in (self.o, self.h, self.low, self.c)
        )
        n = self.samples_per_bar
        rng = np.random.default_rng([self.seed, self.key, index])
        price = intrabar_paths(o, h, low, c, n, rng)
        volume = self._spread_volume(price, self.v[i], rng)
        bar_start = self.file_time[i] + self.shift_ms + k * self.pass_ms
        time_ms = (bar_start[:, None] + np.arange(n) * SECOND_MS).ravel()
        if self.trades is not None:
            trades = split_exactly(self.trades[i], volume).ravel()
        else:
            trades = trade_counts(
                volume.ravel(),
                mean_trade_steps(self.spec, TRADES_PER_SECOND),
                MAX_TRADES_PER_SAMPLE,
            )
        price, volume = price.ravel(), volume.ravel()
        if self.buy is not None:
            buys = split_exactly(self.buy[i], volume.reshape(len(g), n)).ravel()
        else:
            buys = taker_buy_by_tick_rule(time_ms, price, volume, self.last_tick)
        self.last_tick = int(price[-1])
        return PathChunk(time_ms, price, volume, trades, buys)

    @staticmethod
    def _spread_volume(price: np.ndarray, totals: np.ndarray, rng: np.random.Generator):
        """Each bar's volume over its samples: more where the price moves, never a unit lost.

        Every sample that moves the price (and the opening one) gets a step first when the bar
        has that many.
        """
        moves = np.abs(np.diff(price, axis=1, prepend=price[:, :1]))
        must = moves > 0
        must[:, 0] = True
        weights = np.exp(0.5 * rng.standard_normal(price.shape)) * (
            0.5 + moves / (moves.mean(axis=1, keepdims=True) + 1e-9)
        )
        needed = must.sum(axis=1)
        floor = np.where((totals >= needed)[:, None] & must, 1, 0)
        return floor + split_exactly(totals - floor.sum(axis=1), weights)


class ReplayFeed(PriceFeed):
    """Kline files replayed on the simulation's clock (see the module docstring)."""

    def __init__(
        self,
        symbols: Sequence[FeedSymbol],
        files: dict[str, KlineFile],
        seed: int,
        start_ms: int,
        history_ms: int | None = None,
        funding: dict[str, FundingFile] | None = None,
    ) -> None:
        super().__init__(symbols, start_ms)
        from simulator.synthetic import SyntheticFeed

        self._tracks: dict[str, _Track] = {}
        self._pending: dict[str, PathChunk] = {}
        self._next_block: dict[str, int] = {}
        self._histories: dict[str, FeedHistory] = {}
        for spec in self.symbols:
            if spec.symbol in files:
                self._tracks[spec.symbol] = track = _Track(spec, files[spec.symbol], seed)
                track.map_onto(self.history_end_ms, _history_length(track, history_ms))
                self._build_history(track)
        for symbol, events in (funding or {}).items():
            if symbol not in self._tracks:
                raise ValueError(f"funding file {events.path} needs a kline file for {symbol}")
            self._tracks[symbol].funding = events
        others = [s for s in self.symbols if s.symbol not in self._tracks]
        if others:
            log.warning("no replay file for %s: synthetic prices", [s.symbol for s in others])
        self._synthetic = SyntheticFeed(others, seed, start_ms) if others else None

    @classmethod
    def from_spec(
        cls, argument: str, symbols: Sequence[FeedSymbol], seed: int, start_ms: int
    ) -> ReplayFeed:
        paths, _, options = argument.partition("?")
        history_ms = None
        for option in filter(None, options.split("&")):
            name, _, value = option.partition("=")
            if name != "history":
                raise ValueError(f"unknown replay option {name!r} (known: history)")
            history_ms = parse_duration_ms(value)
        files, funding = _files_by_symbol([Path(p) for p in paths.split(",") if p], symbols)
        return cls(symbols, files, seed, start_ms, history_ms=history_ms, funding=funding)

    def history(self, symbol: str) -> FeedHistory:
        if symbol in self._tracks:
            return self._histories[symbol]
        assert self._synthetic is not None
        return self._synthetic.history(symbol)

    def read(self, symbol: str, until_ms: int) -> PathChunk:
        track = self._tracks.get(symbol)
        if track is None:
            assert self._synthetic is not None
            return self._synthetic.read(symbol, until_ms)
        pending = self._pending[symbol]
        parts = [pending]
        while not len(parts[-1]) or parts[-1].time_ms[-1] < until_ms:
            parts.append(track.block(self._next_block[symbol]))
            self._next_block[symbol] += 1
        pending = PathChunk.concat(parts)
        cut = int(np.searchsorted(pending.time_ms, until_ms, side="right"))
        self._pending[symbol] = pending.slice(cut, len(pending))
        return pending.slice(0, cut)

    def _build_history(self, track: _Track) -> None:
        symbol = track.spec.symbol
        blocks, index = [], 0
        while not blocks or blocks[-1].time_ms[-1] < self.history_end_ms:
            blocks.append(track.block(index))
            index += 1
        samples = PathChunk.concat(blocks)
        cut = int(np.searchsorted(samples.time_ms, self.history_end_ms))
        self._pending[symbol] = samples.slice(cut, len(samples))
        self._next_block[symbol] = index
        before = samples.slice(0, cut)
        quote_unit = float(track.spec.tick_size * track.spec.step_size)
        minutes = columns_from_samples(
            before, MINUTE_MS, quote_unit, track.start_ms, self.history_end_ms
        )
        tail_start = max(track.start_ms, self.history_end_ms - ONE_SECOND_HISTORY_MS)
        first = int(np.searchsorted(before.time_ms, tail_start))
        seconds = columns_from_samples(
            before.slice(first, cut), SECOND_MS, quote_unit, tail_start, self.history_end_ms
        )
        self._histories[symbol] = FeedHistory(minutes=minutes, seconds=seconds)

    def funding_rate_at(self, symbol: str, time_ms: int) -> Decimal | None:
        track = self._tracks.get(symbol)
        return track.funding_rate_at(time_ms) if track is not None else None

    def file_shift_ms(self, symbol: str) -> int:
        """How far the symbol's file was moved in time (simulation time - file time)."""
        return self._tracks[symbol].shift_ms


def _history_length(track: _Track, requested_ms: int | None) -> int:
    span = track.pass_ms
    if requested_ms is None:
        return max(track.interval_ms, min(DEFAULT_HISTORY_MS, span // 2))
    if not track.interval_ms <= requested_ms < span:
        raise ValueError(
            f"{track.spec.symbol}: history {requested_ms} ms must be at least one bar and "
            f"shorter than the file ({span} ms)"
        )
    return requested_ms


def _symbol_in_name(name: str, symbols: Sequence[FeedSymbol]) -> str | None:
    upper = name.upper()
    found = [s.symbol for s in symbols if s.symbol.upper() in upper]
    return max(found, key=len) if found else None


def _files_by_symbol(
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
