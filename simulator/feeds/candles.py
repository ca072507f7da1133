"""Candles as numpy columns: building them from path samples and grouping them by interval.

Prices are int64 tick counts and volumes int64 step counts, so every open, high, low, close and
volume is exact; quote volumes are float64 in quote-asset units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SECOND_MS = 1_000
MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000

INT_FIELDS = ("open", "high", "low", "close", "volume", "trades", "buy_volume")
FLOAT_FIELDS = ("quote_volume", "buy_quote_volume")
FIELDS = INT_FIELDS + FLOAT_FIELDS


@dataclass(frozen=True, slots=True)
class PathChunk:
    """Samples of one symbol's path, in time order, as parallel int64 arrays.

    ``price`` is in ticks, ``volume`` and ``buy_volume`` (taker buys) in steps; ``trades`` is
    how many public trades the sample's volume was made of.
    """

    time_ms: np.ndarray
    price: np.ndarray
    volume: np.ndarray
    trades: np.ndarray
    buy_volume: np.ndarray

    def __len__(self) -> int:
        return len(self.time_ms)

    @staticmethod
    def empty() -> PathChunk:
        zero = np.zeros(0, dtype=np.int64)
        return PathChunk(zero, zero, zero, zero, zero)

    def slice(self, start: int, stop: int) -> PathChunk:
        return PathChunk(
            self.time_ms[start:stop],
            self.price[start:stop],
            self.volume[start:stop],
            self.trades[start:stop],
            self.buy_volume[start:stop],
        )

    @staticmethod
    def concat(chunks: Sequence[PathChunk]) -> PathChunk:
        chunks = [c for c in chunks if len(c)]
        if not chunks:
            return PathChunk.empty()
        if len(chunks) == 1:
            return chunks[0]
        return PathChunk(
            *(np.concatenate([getattr(c, f) for c in chunks]) for f in PathChunk.__slots__)
        )


@dataclass(slots=True)
class BarColumns:
    """Contiguous bars of one width: bar i opens at ``start_ms + i * width_ms``."""

    start_ms: int
    width_ms: int
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    trades: np.ndarray
    buy_volume: np.ndarray
    quote_volume: np.ndarray
    buy_quote_volume: np.ndarray

    def __len__(self) -> int:
        return len(self.open)

    @property
    def end_ms(self) -> int:
        """Open time of the bar after the last one."""
        return self.start_ms + len(self) * self.width_ms

    def slice(self, start: int, stop: int) -> BarColumns:
        cols = {f: getattr(self, f)[start:stop] for f in FIELDS}
        return BarColumns(self.start_ms + start * self.width_ms, self.width_ms, **cols)


@dataclass(frozen=True, slots=True)
class SampleGroups:
    """Samples grouped into bars: one entry per bar that has samples, keyed by bar number."""

    key: np.ndarray  # open_time // width
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    trades: np.ndarray
    buy_volume: np.ndarray
    quote_volume: np.ndarray
    buy_quote_volume: np.ndarray


def group_samples(chunk: PathChunk, width_ms: int, quote_unit: float) -> SampleGroups:
    """OHLCV per bar of ``width_ms`` from time-ordered samples; ``quote_unit`` = tick * step."""
    keys = chunk.time_ms // width_ms
    n = len(keys)
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    ends = np.concatenate((starts[1:], [n]))
    price_f = chunk.price.astype(np.float64)
    return SampleGroups(
        key=keys[starts],
        open=chunk.price[starts],
        high=np.maximum.reduceat(chunk.price, starts),
        low=np.minimum.reduceat(chunk.price, starts),
        close=chunk.price[ends - 1],
        volume=np.add.reduceat(chunk.volume, starts),
        trades=np.add.reduceat(chunk.trades, starts),
        buy_volume=np.add.reduceat(chunk.buy_volume, starts),
        quote_volume=np.add.reduceat(price_f * chunk.volume, starts) * quote_unit,
        buy_quote_volume=np.add.reduceat(price_f * chunk.buy_volume, starts) * quote_unit,
    )


def columns_from_samples(
    chunk: PathChunk, width_ms: int, quote_unit: float, start_ms: int, end_ms: int
) -> BarColumns:
    """Contiguous bars over [start_ms, end_ms) from samples that cover every bar."""
    series = BarSeries(width_ms, start_ms, first_price=int(chunk.price[0]))
    series.apply(chunk, quote_unit)
    series.extend_to(end_ms - 1)
    return series.columns()


class BarSeries:
    """A growing run of contiguous bars of one width, updated in place from samples.

    A bar no sample has touched is flat at the previous close with zero volume, as Binance
    shows a minute without trades.
    """

    def __init__(self, width_ms: int, start_ms: int, first_price: int) -> None:
        if start_ms % width_ms:
            raise ValueError(f"series start {start_ms} is not a multiple of {width_ms} ms")
        self.width_ms = width_ms
        self.start_ms = start_ms
        self._len = 0
        self._first_price = first_price
        self._touched = np.zeros(0, dtype=bool)
        self._cols: dict[str, np.ndarray] = {f: np.zeros(0, dtype=np.int64) for f in INT_FIELDS}
        self._cols.update({f: np.zeros(0, dtype=np.float64) for f in FLOAT_FIELDS})

    @classmethod
    def from_columns(cls, bars: BarColumns) -> BarSeries:
        series = cls(bars.width_ms, bars.start_ms, first_price=int(bars.open[0]))
        series._reserve(len(bars))
        for f in FIELDS:
            series._cols[f][: len(bars)] = getattr(bars, f)
        series._touched[: len(bars)] = True
        series._len = len(bars)
        return series

    def __len__(self) -> int:
        return self._len

    @property
    def end_ms(self) -> int:
        return self.start_ms + self._len * self.width_ms

    def last_close(self) -> int:
        return int(self._cols["close"][self._len - 1]) if self._len else self._first_price

    def columns(self, start: int = 0, stop: int | None = None) -> BarColumns:
        stop = self._len if stop is None else min(stop, self._len)
        cols = {f: self._cols[f][start:stop] for f in FIELDS}
        return BarColumns(self.start_ms + start * self.width_ms, self.width_ms, **cols)

    def column(self, field: str) -> np.ndarray:
        return self._cols[field][: self._len]

    def index_of(self, time_ms: int) -> int:
        return (time_ms - self.start_ms) // self.width_ms

    def extend_to(self, time_ms: int) -> None:
        """Make sure the bar containing ``time_ms`` exists (flat if nothing traded)."""
        needed = self.index_of(time_ms) + 1
        if needed > self._len:
            old = self._len
            self._reserve(needed)
            self._len = needed
            self._fill_untouched(old)

    def apply(self, chunk: PathChunk, quote_unit: float) -> None:
        """Fold time-ordered samples into their bars (samples before the series are dropped)."""
        first_valid = int(np.searchsorted(chunk.time_ms, self.start_ms))
        if first_valid:
            chunk = chunk.slice(first_valid, len(chunk))
        if not len(chunk):
            return
        old_len = self._len
        self.extend_to(int(chunk.time_ms[-1]))
        groups = group_samples(chunk, self.width_ms, quote_unit)
        self._merge(groups.key - self.start_ms // self.width_ms, groups)
        self._fill_untouched(max(old_len - 1, 0))

    def trim_to(self, keep: int) -> None:
        """Drop the oldest bars so that at most ``keep`` remain (amortised: trims at 2x)."""
        if self._len <= 2 * keep:
            return
        drop = self._len - keep
        for f in FIELDS:
            self._cols[f][:keep] = self._cols[f][drop : self._len]
        self._touched[:keep] = self._touched[drop : self._len]
        self._len = keep
        self.start_ms += drop * self.width_ms

    def _merge(self, idx: np.ndarray, g: SampleGroups) -> None:
        c = self._cols
        seen = self._touched[idx]
        c["open"][idx] = np.where(seen, c["open"][idx], g.open)
        c["high"][idx] = np.where(seen, np.maximum(c["high"][idx], g.high), g.high)
        c["low"][idx] = np.where(seen, np.minimum(c["low"][idx], g.low), g.low)
        c["close"][idx] = g.close
        for f in ("volume", "trades", "buy_volume", "quote_volume", "buy_quote_volume"):
            c[f][idx] += getattr(g, f)
        self._touched[idx] = True

    def _fill_untouched(self, start: int) -> None:
        """Untouched bars from ``start`` on take the close of the nearest touched bar before."""
        stop = self._len
        if start >= stop:
            return
        touched = self._touched[start:stop]
        if touched.all():
            return
        positions = np.arange(start, stop)
        source = np.where(touched, positions, -1)
        source = np.maximum.accumulate(source)
        closes = self._cols["close"]
        prev_close = closes[start - 1] if start > 0 else self._first_price
        filler = np.where(source >= 0, closes[np.maximum(source, 0)], prev_close)
        flat = ~touched
        for f in ("open", "high", "low", "close"):
            self._cols[f][start:stop][flat] = filler[flat]

    def _reserve(self, n: int) -> None:
        capacity = len(self._touched)
        if n <= capacity:
            return
        new_capacity = max(n, 2 * capacity, 64)
        for f, arr in self._cols.items():
            grown = np.zeros(new_capacity, dtype=arr.dtype)
            grown[: self._len] = arr[: self._len]
            self._cols[f] = grown
        touched = np.zeros(new_capacity, dtype=bool)
        touched[: self._len] = self._touched[: self._len]
        self._touched = touched


# Binance's kline intervals. Weekly bars open on Monday 00:00 UTC (the epoch was a Thursday);
# 3d bars are counted from the epoch; monthly bars follow the calendar.
FIXED_INTERVALS_MS = {
    "1s": SECOND_MS,
    "1m": MINUTE_MS,
    "3m": 3 * MINUTE_MS,
    "5m": 5 * MINUTE_MS,
    "15m": 15 * MINUTE_MS,
    "30m": 30 * MINUTE_MS,
    "1h": HOUR_MS,
    "2h": 2 * HOUR_MS,
    "4h": 4 * HOUR_MS,
    "6h": 6 * HOUR_MS,
    "8h": 8 * HOUR_MS,
    "12h": 12 * HOUR_MS,
    "1d": DAY_MS,
    "3d": 3 * DAY_MS,
    "1w": 7 * DAY_MS,
}
INTERVALS = (*FIXED_INTERVALS_MS, "1M")
_WEEK_OFFSET_MS = 4 * DAY_MS


class IntervalGrid:
    """Maps times to bucket numbers and back for one kline interval."""

    def __init__(self, interval: str) -> None:
        if interval not in INTERVALS:
            raise ValueError(
                f"unknown interval {interval!r}; expected one of {' '.join(INTERVALS)}"
            )
        self.interval = interval
        self.width_ms = FIXED_INTERVALS_MS.get(interval, 0)
        self.offset_ms = _WEEK_OFFSET_MS if interval == "1w" else 0

    @property
    def monthly(self) -> bool:
        return self.interval == "1M"

    def key(self, time_ms: int) -> int:
        if self.monthly:
            return int(np.datetime64(int(time_ms), "ms").astype("datetime64[M]").astype(np.int64))
        return (time_ms - self.offset_ms) // self.width_ms

    def open_of(self, keys: np.ndarray) -> np.ndarray:
        keys = np.asarray(keys, dtype=np.int64)
        if self.monthly:
            months = keys.astype("datetime64[M]")
            return months.astype("datetime64[ms]").astype(np.int64)
        return keys * self.width_ms + self.offset_ms


@dataclass(frozen=True, slots=True)
class KlineColumns:
    """Bars of one interval as columns, with their open and close times."""

    open_time: np.ndarray
    close_time: np.ndarray
    bars: BarColumns  # width/start are those of the source series; use open_time instead


def select_keys(
    grid: IntervalGrid,
    first_ms: int,
    last_ms: int,
    start_ms: int | None,
    end_ms: int | None,
    limit: int,
) -> np.ndarray:
    """Bucket numbers Binance would return for data covering [first_ms, last_ms].

    With no start: the most recent ``limit`` buckets (up to end); with a start: the oldest
    ``limit`` buckets opening at or after it; always ascending.
    """
    lo, hi = grid.key(first_ms), grid.key(last_ms)
    if start_ms is not None:
        k = grid.key(start_ms)
        if int(grid.open_of(k)) < start_ms:
            k += 1
        lo = max(lo, k)
    if end_ms is not None:
        hi = min(hi, grid.key(end_ms))
    if lo > hi:
        return np.zeros(0, dtype=np.int64)
    if start_ms is not None:
        hi = min(hi, lo + limit - 1)
    else:
        lo = max(lo, hi - limit + 1)
    return np.arange(lo, hi + 1, dtype=np.int64)


def aggregate(series: BarSeries, grid: IntervalGrid, keys: np.ndarray) -> KlineColumns:
    """Combine the series' bars into the buckets ``keys`` (ascending, all overlapping it)."""
    opens = grid.open_of(keys)
    ends = grid.open_of(keys + 1)
    if grid.width_ms and grid.width_ms == series.width_ms:
        first = series.index_of(int(opens[0]))
        bars = series.columns(first, first + len(keys))
        return KlineColumns(opens, ends - 1, bars)
    n = len(series)
    lo = np.clip((opens - series.start_ms) // series.width_ms, 0, n)
    hi = np.clip(-((series.start_ms - ends) // series.width_ms), 0, n)
    base, stop = int(lo[0]), int(hi[-1])
    offsets = lo - base
    cols = {"high": np.maximum.reduceat(series.column("high")[base:stop], offsets)}
    cols["low"] = np.minimum.reduceat(series.column("low")[base:stop], offsets)
    for f in ("volume", "trades", "buy_volume", "quote_volume", "buy_quote_volume"):
        cols[f] = np.add.reduceat(series.column(f)[base:stop], offsets)
    cols["open"] = series.column("open")[lo]
    cols["close"] = series.column("close")[hi - 1]
    bars = BarColumns(int(opens[0]), grid.width_ms, **cols)
    return KlineColumns(opens, ends - 1, bars)
