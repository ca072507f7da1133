"""The simulated market: candles, 24h statistics and the public trade tape of every symbol.

``Market`` reads each symbol's path from a feed as the clock advances and keeps 1m bars (the
feed's history plus bars built since) and 1s bars (the recent part), from which klines of any
Binance interval are grouped on request. Everything runs on the simulator's one event loop;
nothing here locks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from simulator.feeds.base import FeedSymbol, PriceFeed, Tick
from simulator.feeds.candles import (
    DAY_MS,
    HOUR_MS,
    MINUTE_MS,
    SECOND_MS,
    IntervalGrid,
    KlineColumns,
    PathChunk,
    aggregate,
    select_keys,
)
from simulator.feeds.symbol_data import SymbolData, Trade

QUOTE_PLACES = Decimal("1e-8")
PERCENT_PLACES = Decimal("0.001")
COARSE_AFTER = 600  # samples per symbol in one advance; above this ticks are thinned
VOLUME_WINDOW_MS = 15 * MINUTE_MS


class UnknownSymbolError(KeyError):
    """The market has no such symbol."""

    def __str__(self) -> str:
        return f"unknown symbol {self.args[0]!r}"


@dataclass(frozen=True, slots=True)
class Bar:
    """One kline, Binance's 12 fields."""

    open_time: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    close_time: int
    quote_volume: Decimal
    trades: int
    taker_buy_volume: Decimal
    taker_buy_quote_volume: Decimal

    def to_binance(self) -> list:
        """Exactly a /api/v3/klines row."""
        return [
            self.open_time,
            str(self.open),
            str(self.high),
            str(self.low),
            str(self.close),
            str(self.volume),
            self.close_time,
            str(self.quote_volume),
            self.trades,
            str(self.taker_buy_volume),
            str(self.taker_buy_quote_volume),
            "0",
        ]


@dataclass(frozen=True, slots=True)
class Ticker24h:
    """Rolling 24h statistics, everything /api/v3/ticker/24hr needs."""

    symbol: str
    price_change: Decimal
    price_change_percent: Decimal
    weighted_avg_price: Decimal
    prev_close_price: Decimal
    last_price: Decimal
    last_qty: Decimal
    open_price: Decimal
    high_price: Decimal
    low_price: Decimal
    volume: Decimal
    quote_volume: Decimal
    open_time: int
    close_time: int
    first_id: int
    last_id: int
    count: int


def _quote(value: float) -> Decimal:
    return Decimal(f"{value:.8f}")


def _thin(chunk: PathChunk) -> PathChunk:
    """Keep, per minute, the samples at the high, the low and the close (volume carried).

    Used for long clock jumps: far fewer ticks, yet every minute's extremes still reach the
    order matcher, in their true order.
    """
    keys = chunk.time_ms // MINUTE_MS
    n = len(keys)
    position = np.arange(n)
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    ends = np.concatenate((starts[1:], [n]))
    by_high = np.lexsort((position, -chunk.price, keys))
    by_low = np.lexsort((position, chunk.price, keys))
    keep = np.unique(np.concatenate((by_high[starts], by_low[starts], ends - 1)))

    def carried(values: np.ndarray) -> np.ndarray:
        totals = np.cumsum(values)[keep]
        return np.diff(np.concatenate(([0], totals)))

    return PathChunk(
        chunk.time_ms[keep],
        chunk.price[keep],
        carried(chunk.volume),
        carried(chunk.trades),
        carried(chunk.buy_volume),
    )


class Market:
    """Candles, tickers and trades of a set of symbols, driven by a price feed."""

    def __init__(self, feed: PriceFeed, symbols: Sequence[FeedSymbol]) -> None:
        self.feed = feed
        self._books: dict[str, SymbolData] = {}
        for spec in symbols:
            try:
                feed_spec = feed.symbol_spec(spec.symbol)
            except KeyError:
                raise ValueError(f"{spec.symbol} is not one of the feed's symbols") from None
            if feed_spec != spec:
                raise ValueError(f"{spec.symbol}: market and feed disagree: {spec} vs {feed_spec}")
            self._books[spec.symbol] = SymbolData(spec, feed)
        self._now_ms = feed.history_end_ms
        for book in self._books.values():
            book.print_last_history_minute()
        self.advance(feed.start_ms)
        for book in self._books.values():  # the bar forming at the start exists, if empty
            book.extend_to(self._now_ms)

    # ----- clock -----

    @property
    def now_ms(self) -> int:
        return self._now_ms

    def symbols(self) -> list[str]:
        return list(self._books)

    def advance(self, now_ms: int) -> list[Tick]:
        """Step every symbol's path up to ``now_ms``; return the new ticks in time order."""
        if now_ms <= self._now_ms:
            return []
        ticks: list[Tick] = []
        for book in self._books.values():
            chunk = self.feed.read(book.spec.symbol, now_ms)
            book.apply(chunk)
            book.extend_to(now_ms)
            ticks.extend(self._ticks(book, chunk))
        self._now_ms = now_ms
        ticks.sort(key=lambda t: t.time_ms)
        return ticks

    def _ticks(self, book: SymbolData, chunk: PathChunk) -> list[Tick]:
        if not len(chunk):
            return []
        if len(chunk) > COARSE_AFTER:
            chunk = _thin(chunk)
        symbol = book.spec.symbol
        return [
            Tick(symbol, int(t), book.price(p), book.qty(v))
            for t, p, v in zip(chunk.time_ms, chunk.price, chunk.volume, strict=True)
        ]

    # ----- reading -----

    def _book(self, symbol: str) -> SymbolData:
        try:
            return self._books[symbol]
        except KeyError:
            raise UnknownSymbolError(symbol) from None

    def symbol_spec(self, symbol: str) -> FeedSymbol:
        return self._book(symbol).spec

    def last_price(self, symbol: str) -> Decimal:
        book = self._book(symbol)
        return book.price(book.last_ticks)

    def klines(
        self,
        symbol: str,
        interval: str,
        start_ms: int | None = None,
        end_ms: int | None = None,
        limit: int = 500,
    ) -> list[Bar]:
        """Binance semantics: ascending; the most recent ``limit`` bars unless a start is given."""
        if limit <= 0:
            raise ValueError(f"limit must be positive, got {limit}")
        book = self._book(symbol)
        grid = IntervalGrid(interval)
        series = book.seconds if interval == "1s" else book.minutes
        if book.hours is not None and (grid.monthly or grid.width_ms >= HOUR_MS):
            series = book.hours  # the older hourly history too
        if not len(series):
            return []
        keys = select_keys(grid, series.start_ms, series.end_ms - 1, start_ms, end_ms, limit)
        if not len(keys):
            return []
        return self._bars(book, aggregate(series, grid, keys))

    def forming_bar(self, symbol: str, interval: str) -> Bar:
        """The bar of ``interval`` that contains the current time."""
        grid = IntervalGrid(interval)
        start = int(grid.open_of(grid.key(self._now_ms)))
        bars = self.klines(symbol, interval, start_ms=start, limit=1)
        if not bars:
            raise ValueError(f"{symbol}: no {interval} bar at {self._now_ms}")
        return bars[0]

    def closed_since(self, symbol: str, interval: str, since_open: int, limit: int) -> list[Bar]:
        """Bars of ``interval`` that opened at or after ``since_open`` and have closed (the
        newest ``limit`` of them): what a kline stream owes since it last sent ``since_open``."""
        forming = self.forming_bar(symbol, interval).open_time
        if forming <= since_open:
            return []
        bars = self.klines(symbol, interval, end_ms=forming - 1, limit=limit)
        return [b for b in bars if b.open_time >= since_open]

    def _bars(self, book: SymbolData, k: KlineColumns) -> list[Bar]:
        b = k.bars
        return [
            Bar(
                open_time=int(k.open_time[i]),
                open=book.price(b.open[i]),
                high=book.price(b.high[i]),
                low=book.price(b.low[i]),
                close=book.price(b.close[i]),
                volume=book.qty(b.volume[i]),
                close_time=int(k.close_time[i]),
                quote_volume=_quote(float(b.quote_volume[i])),
                trades=int(b.trades[i]),
                taker_buy_volume=book.qty(b.buy_volume[i]),
                taker_buy_quote_volume=_quote(float(b.buy_quote_volume[i])),
            )
            for i in range(len(k.open_time))
        ]

    def ticker_24h(self, symbol: str) -> Ticker24h:
        """Rolling 24h statistics from the minute bars that opened in the last 24 hours."""
        book = self._book(symbol)
        minutes = book.minutes
        now = self._now_ms
        first = max(minutes.index_of(now - DAY_MS) + 1, 0)
        window = minutes.columns(first)
        open_ticks = int(window.open[0])
        prev_close = int(minutes.column("close")[first - 1]) if first > 0 else open_ticks
        volume_steps = int(window.volume.sum())
        quote = float(window.quote_volume.sum())
        count = int(window.trades.sum())
        last_price = book.price(book.last_ticks)
        open_price = book.price(open_ticks)
        change = last_price - open_price
        volume = book.qty(volume_steps)
        percent = (change / open_price * 100).quantize(PERCENT_PLACES)
        wavg = (
            (Decimal(repr(quote)) / volume).quantize(QUOTE_PLACES) if volume_steps else Decimal(0)
        )
        return Ticker24h(
            symbol=symbol,
            price_change=change,
            price_change_percent=percent,
            weighted_avg_price=wavg,
            prev_close_price=book.price(prev_close),
            last_price=last_price,
            last_qty=book.tape[-1].qty if book.tape else Decimal(0),
            open_price=open_price,
            high_price=book.price(int(window.high.max())),
            low_price=book.price(int(window.low.min())),
            volume=volume,
            quote_volume=_quote(quote),
            open_time=now - DAY_MS,
            close_time=now,
            first_id=book.next_trade_id - count if count else -1,
            last_id=book.next_trade_id - 1 if count else -1,
            count=count,
        )

    def recent_trades(self, symbol: str, limit: int = 500) -> list[Trade]:
        """The newest ``limit`` public trades, oldest first (at most 1000 are kept)."""
        if limit <= 0:
            raise ValueError(f"limit must be positive, got {limit}")
        tape = self._book(symbol).tape
        return list(tape)[-limit:]

    def volume_per_second(self, symbol: str) -> Decimal:
        """Average base volume per second over the last 15 minutes (24 hours if that was 0)."""
        book = self._book(symbol)
        for window_ms in (VOLUME_WINDOW_MS, DAY_MS):
            first = max(book.minutes.index_of(self._now_ms - window_ms), 0)
            steps = int(book.minutes.column("volume")[first:].sum())
            seconds = max((self._now_ms - book.minutes.start_ms) // SECOND_MS, 1)
            seconds = min(seconds, window_ms // SECOND_MS)
            if steps:
                return (book.qty(steps) / Decimal(seconds)).quantize(QUOTE_PLACES)
        return Decimal(0)

    def record_trade(
        self, symbol: str, price: Decimal, qty: Decimal, is_buyer_maker: bool, time_ms: int
    ) -> Trade:
        """Print a trade made by a simulated order on the tape; it counts in candles and volume.

        A time earlier than the market's newest sample is moved up to it, so bars stay in order.
        """
        book = self._book(symbol)
        ticks = _units(price, book.spec.tick_size, "price", symbol)
        steps = _units(qty, book.spec.step_size, "qty", symbol)
        if steps <= 0 or ticks <= 0:
            raise ValueError(f"{symbol}: a trade needs a positive price and qty")
        time_ms = max(int(time_ms), book.last_time_ms)
        one = np.ones(1, dtype=np.int64)
        chunk = PathChunk(
            time_ms * one, ticks * one, steps * one, one, (0 if is_buyer_maker else steps) * one
        )
        book.apply(chunk)
        book.extend_to(max(time_ms, self._now_ms))
        return book.tape[-1]

    def funding_rate_at(self, symbol: str, time_ms: int) -> Decimal | None:
        """The replayed funding rate in force at ``time_ms`` (None unless the feed has one)."""
        self._book(symbol)
        return self.feed.funding_rate_at(symbol, time_ms)

    async def start(self) -> None:
        await self.feed.start()

    async def close(self) -> None:
        await self.feed.close()


def _units(value: Decimal, unit: Decimal, name: str, symbol: str) -> int:
    count = value / unit
    if count != count.to_integral_value():
        raise ValueError(f"{symbol}: {name} {value} is not a multiple of {unit}")
    return int(count)
