"""Price feeds: where the simulator's prices and volumes come from.

A feed produces, for every symbol, one minute bars of history that end where the simulation
starts, then a path of samples (price at an instant, volume since the previous sample) that the
market reads as its clock advances. Three sources share this shape:

- ``synthetic`` (default): a seeded stochastic-volatility model (feeds/synthetic.py);
- ``replay:PATH``: Binance kline files mapped onto wall-clock time (feeds/replay.py);
- ``live:URL``: a Binance-compatible market-data endpoint (feeds/live.py).

``feeds.factory.make_feed`` builds one from its spec. This module holds the types they share.

Inside a feed prices are integer counts of ``tick_size`` and volumes integer counts of
``step_size`` (numpy int64), so bars built from them are exact; Decimals appear only at the
boundary (``Tick``, ``simulator.feeds.market``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from simulator.feeds.candles import MINUTE_MS, BarColumns, PathChunk


@dataclass(frozen=True, slots=True)
class FeedSymbol:
    """What a feed needs to know about a symbol."""

    symbol: str  # "BTCUSDT"
    tick_size: Decimal  # prices the feed emits are multiples of this
    step_size: Decimal  # volumes the feed emits are multiples of this
    start_price: Decimal  # synthetic feed: the price "now" at start (history leads up to it)
    daily_volume: Decimal  # synthetic feed: typical base-asset volume per 24h

    def __post_init__(self) -> None:
        for name in ("tick_size", "step_size", "start_price"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{self.symbol}: {name} must be positive")
        if self.daily_volume < 0:
            raise ValueError(f"{self.symbol}: daily_volume must not be negative")


@dataclass(frozen=True, slots=True)
class Tick:
    """One step (1 s by default) of one symbol's price path."""

    symbol: str
    time_ms: int  # the instant the step ends
    price: Decimal  # last traded price at time_ms (multiple of tick_size)
    volume: Decimal  # base volume traded during the step (>= 0, multiple of step_size)


@dataclass(frozen=True, slots=True)
class FeedHistory:
    """A symbol's bars before the simulation starts.

    ``minutes`` are contiguous 1m bars ending at the minute that contains ``start_ms``
    (exclusive); ``seconds``, when the feed has them, are 1s bars for the last part of that
    history (so 1s klines reach back before the start).
    """

    minutes: BarColumns
    seconds: BarColumns | None = None
    # 1h bars before ``minutes`` (the synthetic feed's coarser, older history), so 1h-1M klines
    # reach back months; None when the feed has none.
    older_hours: BarColumns | None = None


class PriceFeed(ABC):
    """A source of history and of a live path for a fixed set of symbols."""

    def __init__(self, symbols: Sequence[FeedSymbol], start_ms: int) -> None:
        if not symbols:
            raise ValueError("a feed needs at least one symbol")
        names = [s.symbol for s in symbols]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate symbols in {names}")
        self.symbols: tuple[FeedSymbol, ...] = tuple(symbols)
        self.start_ms = int(start_ms)
        self.history_end_ms = self.start_ms - self.start_ms % MINUTE_MS

    def symbol_spec(self, symbol: str) -> FeedSymbol:
        for s in self.symbols:
            if s.symbol == symbol:
                return s
        raise KeyError(symbol)

    @abstractmethod
    def history(self, symbol: str) -> FeedHistory:
        """1m bars up to ``history_end_ms`` (the minute that contains ``start_ms``)."""

    @abstractmethod
    def read(self, symbol: str, until_ms: int) -> PathChunk:
        """Samples after the previously read ones, up to and including ``until_ms``.

        The first read starts at ``history_end_ms``. A live feed returns what has arrived.
        """

    def funding_rate_at(self, symbol: str, time_ms: int) -> Decimal | None:
        """The funding rate of the last funding event at or before ``time_ms`` that the feed
        carries (a replayed futures funding file), or None when it has none."""
        return None

    async def start(self) -> None:
        """Start background work (the live feed's stream); a no-op for offline feeds."""
        return None

    async def close(self) -> None:
        """Stop background work; a no-op for offline feeds."""
        return None


def trade_counts(volume: np.ndarray, mean_trade_steps: float, max_per_sample: int) -> np.ndarray:
    """How many trades each sample's volume is sliced into: about one per mean trade size."""
    counts = np.rint(volume / max(mean_trade_steps, 1.0)).astype(np.int64)
    counts = np.clip(counts, 1, max_per_sample)
    counts = np.minimum(counts, volume)  # never more trades than steps
    counts[volume <= 0] = 0
    return counts


def taker_buy_by_tick_rule(
    time_ms: np.ndarray, price: np.ndarray, volume: np.ndarray, prev_price: int
) -> np.ndarray:
    """Taker-buy volume per sample: an uptick is a buy, a downtick a sell.

    A sample at an unchanged price alternates by its second (even seconds buy), so flat
    stretches split evenly and the result does not depend on how the path was chunked.
    """
    buys = volume.copy()
    previous = np.empty_like(price)
    previous[0] = prev_price
    previous[1:] = price[:-1]
    buys[price < previous] = 0
    flat = np.flatnonzero(price == previous)
    buys[flat[(time_ms[flat] // 1000) % 2 == 1]] = 0
    return buys


def mean_trade_steps(symbol: FeedSymbol, trades_per_second: float) -> float:
    """Typical trade size, in steps, for a symbol that trades ``daily_volume`` a day."""
    per_second = float(symbol.daily_volume) / 86_400.0
    return max(per_second / trades_per_second / float(symbol.step_size), 1.0)
