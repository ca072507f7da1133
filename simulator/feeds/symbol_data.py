"""One symbol's data inside the market: 1m and 1s bars, the public trade tape, counters."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from simulator.feeds.base import FeedSymbol, PriceFeed
from simulator.feeds.candles import (
    MINUTE_MS,
    SECOND_MS,
    BarColumns,
    BarSeries,
    IntervalGrid,
    PathChunk,
    aggregate,
    select_keys,
)
from simulator.feeds.long_history import join

TAPE_LENGTH = 1000  # Binance serves at most 1000 recent trades
SECONDS_KEPT = 6 * 3600  # 1s bars kept for 1s klines


@dataclass(frozen=True, slots=True)
class Trade:
    """A public market trade (the feed's volume, sliced into trades)."""

    id: int
    symbol: str
    price: Decimal
    qty: Decimal
    time_ms: int
    is_buyer_maker: bool


def _hourly(older: BarColumns | None, minutes: BarSeries) -> BarSeries | None:
    """1h bars: the feed's older hourly history, then the minute history grouped by hour."""
    if older is None or not len(minutes):
        return None
    grid = IntervalGrid("1h")
    keys = select_keys(grid, minutes.start_ms, minutes.end_ms - 1, None, None, len(minutes))
    return BarSeries.from_columns(join(older, aggregate(minutes, grid, keys).bars))


class SymbolData:
    """One symbol's candles, tape and counters."""

    def __init__(self, spec: FeedSymbol, feed: PriceFeed) -> None:
        self.spec = spec
        self.quote_unit = float(spec.tick_size * spec.step_size)
        history = feed.history(spec.symbol)
        start_ticks = int(spec.start_price / spec.tick_size)
        if len(history.minutes):
            self.minutes = BarSeries.from_columns(history.minutes)
        else:
            self.minutes = BarSeries(MINUTE_MS, feed.history_end_ms, start_ticks)
        if history.seconds is not None and len(history.seconds):
            self.seconds = BarSeries.from_columns(history.seconds)
        else:
            self.seconds = BarSeries(SECOND_MS, feed.history_end_ms, self.minutes.last_close())
        self.hours = _hourly(history.older_hours, self.minutes)  # for 1h-1M klines
        self.next_trade_id = int(self.minutes.column("trades").sum()) + 1
        self.last_ticks = self.minutes.last_close()
        self.last_time_ms = feed.history_end_ms - 1
        self.tape: deque[Trade] = deque(maxlen=TAPE_LENGTH)

    def price(self, ticks: int) -> Decimal:
        return Decimal(int(ticks)) * self.spec.tick_size

    def qty(self, steps: int) -> Decimal:
        return Decimal(int(steps)) * self.spec.step_size

    def apply(self, chunk: PathChunk) -> None:
        if not len(chunk):
            return
        self.minutes.apply(chunk, self.quote_unit)
        if self.hours is not None:
            self.hours.apply(chunk, self.quote_unit)
        self.seconds.apply(chunk, self.quote_unit)
        self.seconds.trim_to(SECONDS_KEPT)
        self._print_trades(chunk, first_id=self.next_trade_id)
        self.next_trade_id += int(chunk.trades.sum())
        self.last_ticks = int(chunk.price[-1])
        self.last_time_ms = int(chunk.time_ms[-1])

    def extend_to(self, time_ms: int) -> None:
        self.minutes.extend_to(time_ms)
        if self.hours is not None:
            self.hours.extend_to(time_ms)
        self.seconds.extend_to(time_ms)

    def print_last_history_minute(self) -> None:
        """Put the last history minute's trades on the tape, so it is not empty at start."""
        minutes = self.minutes
        if not len(minutes):
            return
        last = minutes.columns(len(minutes) - 1)
        trades = int(last.trades[0])
        if not trades:
            return
        count = min(trades, int(last.volume[0]), TAPE_LENGTH)
        if not count:
            return
        times = int(last.start_ms) + np.linspace(0, MINUTE_MS - 1, count).astype(np.int64)
        prices = np.full(count, int(last.close[0]), dtype=np.int64)
        prices[0] = int(last.open[0])
        if count > 2:
            prices[count // 3] = int(last.high[0])
            prices[2 * count // 3] = int(last.low[0])
        share = int(last.volume[0]) // count
        volume = np.full(count, share, dtype=np.int64)
        volume[-1] += int(last.volume[0]) - share * count
        buys = np.where(np.arange(count) % 2 == 0, volume, 0)
        chunk = PathChunk(times, prices, volume, np.ones(count, dtype=np.int64), buys)
        self._print_trades(chunk, first_id=self.next_trade_id - count)

    def _print_trades(self, chunk: PathChunk, first_id: int) -> None:
        """Slice the newest samples' volume into trades on the tape (only what the tape keeps);
        the chunk's first trade has id ``first_id``."""
        counts = chunk.trades
        ends = np.cumsum(counts)
        total = int(ends[-1])
        first_kept = int(np.searchsorted(ends, total - TAPE_LENGTH, side="right"))
        for i in range(first_kept, len(chunk)):
            n = int(counts[i])
            if not n:
                continue
            sample_first_id = first_id + int(ends[i]) - n
            volume = int(chunk.volume[i])
            is_buyer_maker = 2 * int(chunk.buy_volume[i]) < volume
            base, extra = divmod(volume, n)
            price = self.price(chunk.price[i])
            # more trades than volume steps (a coarse step in a replayed file): the ids are
            # still used up, but only trades with a quantity are printed
            for j in range(n if base else extra):
                self.tape.append(
                    Trade(
                        id=sample_first_id + j,
                        symbol=self.spec.symbol,
                        price=price,
                        qty=self.qty(base + (1 if j < extra else 0)),
                        time_ms=int(chunk.time_ms[i]),
                        is_buyer_maker=is_buyer_maker,
                    )
                )
