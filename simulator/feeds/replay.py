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
exactly (see ``intrabar.intrabar_paths``), one sample per second, and the bar's volume,
trades and taker-buy volume are spread over the samples without losing a unit, so klines
of the file's interval (and coarser) reproduce the file.

A file whose name also contains ``funding`` holds a perpetual's funding rates (a header with
``funding_time_ms,funding_rate``, or Binance's ``calc_time,...,last_funding_rate``); it is
shifted and looped with the symbol's klines and read through ``funding_rate_at``.

Symbols with no file get the synthetic feed (logged).
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path

import numpy as np

from simulator.feeds.base import (
    FeedHistory,
    FeedSymbol,
    PriceFeed,
    mean_trade_steps,
    taker_buy_by_tick_rule,
    trade_counts,
)
from simulator.feeds.candles import (
    DAY_MS,
    HOUR_MS,
    MINUTE_MS,
    SECOND_MS,
    PathChunk,
    columns_from_samples,
)
from simulator.feeds.intrabar import intrabar_paths, split_exactly
from simulator.feeds.replay_files import FundingFile, KlineFile, ReplayFileError, files_by_symbol
from simulator.feeds.spec import parse_replay_spec

log = logging.getLogger("simulator.feeds.replay")

DEFAULT_HISTORY_MS = 7 * DAY_MS
ONE_SECOND_HISTORY_MS = HOUR_MS
TRADES_PER_SECOND = 4.0
MAX_TRADES_PER_SAMPLE = 200
# (symbols, seed, start_ms) -> the feed for the symbols that have no file
Fallback = Callable[[Sequence[FeedSymbol], int, int], PriceFeed]


def _units(values: list[Decimal], unit: Decimal, what: str, path: Path) -> np.ndarray:
    """Integer counts of ``unit``; values finer than the unit are rounded (and logged)."""
    counts = [v / unit for v in values]
    whole = [q.to_integral_value() for q in counts]
    if any(q != w for q, w in zip(counts, whole, strict=True)):
        log.warning("%s: %s finer than %s are rounded to it", path, what, unit)
    return np.array([int(w) for w in whole], dtype=np.int64)


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
        fallback: Fallback | None = None,
    ) -> None:
        super().__init__(symbols, start_ms)
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
        self._fallback = self._fallback_for(fallback, seed)

    def _fallback_for(self, fallback: Fallback | None, seed: int) -> PriceFeed | None:
        others = [s for s in self.symbols if s.symbol not in self._tracks]
        if not others:
            return None
        names = [s.symbol for s in others]
        if fallback is None:
            raise ValueError(f"no replay file for {names}")
        log.warning("no replay file for %s: synthetic prices", names)
        return fallback(others, seed, self.start_ms)

    @classmethod
    def from_spec(
        cls,
        argument: str,
        symbols: Sequence[FeedSymbol],
        seed: int,
        start_ms: int,
        fallback: Fallback | None = None,
    ) -> ReplayFeed:
        paths, history_ms = parse_replay_spec(argument)
        files, funding = files_by_symbol(paths, symbols)
        return cls(symbols, files, seed, start_ms, history_ms, funding, fallback)

    def history(self, symbol: str) -> FeedHistory:
        if symbol in self._tracks:
            return self._histories[symbol]
        assert self._fallback is not None
        return self._fallback.history(symbol)

    def read(self, symbol: str, until_ms: int) -> PathChunk:
        track = self._tracks.get(symbol)
        if track is None:
            assert self._fallback is not None
            return self._fallback.read(symbol, until_ms)
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
