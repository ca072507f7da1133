"""A scripted price path per perpetual: points in time, and the candles they make.

The futures exchange reads its contract and mark price from here. Tests and the `/_sim/futures/`
control plane set a price now or script points ahead on the (virtual) clock; the exchange then
walks every point in order, so a path that dips through a liquidation price and recovers is seen.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from decimal import Decimal

INTERVAL_MS = {
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "2h": 7_200_000,
    "4h": 14_400_000,
    "6h": 21_600_000,
    "8h": 28_800_000,
    "12h": 43_200_000,
    "1d": 86_400_000,
    "3d": 259_200_000,
    "1w": 604_800_000,
}


@dataclass(frozen=True)
class PricePoint:
    time_ms: int
    price: Decimal


@dataclass(frozen=True)
class Candle:
    open_time: int
    close_time: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    closed: bool

    def to_rest(self) -> list:
        zero = "0"
        return [
            self.open_time,
            str(self.open),
            str(self.high),
            str(self.low),
            str(self.close),
            zero,
            self.close_time,
            zero,
            0,
            zero,
            zero,
            zero,
        ]


class PricePath:
    """Step function of price over time for one symbol."""

    def __init__(self, start_price: Decimal, start_ms: int) -> None:
        self._times: list[int] = [start_ms]
        self._prices: list[Decimal] = [start_price]

    def add(self, time_ms: int, price: Decimal) -> None:
        if price <= 0:
            raise ValueError("price must be positive")
        index = bisect.bisect_right(self._times, time_ms)
        if index and self._times[index - 1] == time_ms:
            self._prices[index - 1] = price
            return
        self._times.insert(index, time_ms)
        self._prices.insert(index, price)

    def price_at(self, time_ms: int) -> Decimal:
        index = bisect.bisect_right(self._times, time_ms)
        return self._prices[max(index - 1, 0)]

    def points_between(self, after_ms: int, until_ms: int) -> list[PricePoint]:
        """Points with after_ms < time <= until_ms, in time order."""
        lo = bisect.bisect_right(self._times, after_ms)
        hi = bisect.bisect_right(self._times, until_ms)
        return [PricePoint(self._times[i], self._prices[i]) for i in range(lo, hi)]

    def candle(self, open_time: int, interval_ms: int, now_ms: int) -> Candle:
        close_time = open_time + interval_ms - 1
        opening = self.price_at(open_time)
        inside = self.points_between(open_time, min(close_time, now_ms))
        prices = [opening, *(p.price for p in inside)]
        return Candle(
            open_time,
            close_time,
            opening,
            max(prices),
            min(prices),
            prices[-1],
            closed=now_ms > close_time,
        )

    def candles(
        self, interval_ms: int, start_ms: int | None, end_ms: int | None, limit: int, now_ms: int
    ) -> list[Candle]:
        """Binance's selection: oldest from startTime, else newest up to endTime (or now)."""
        last_open = ((end_ms if end_ms is not None else now_ms) // interval_ms) * interval_ms
        last_open = min(last_open, (now_ms // interval_ms) * interval_ms)
        first_open = max(((self._times[0]) // interval_ms) * interval_ms, 0)
        if start_ms is not None:
            begin = max(-(-start_ms // interval_ms) * interval_ms, first_open)
            opens = range(begin, last_open + 1, interval_ms)[:limit]
        else:
            begin = max(last_open - (limit - 1) * interval_ms, first_open)
            opens = range(begin, last_open + 1, interval_ms)
        return [self.candle(t, interval_ms, now_ms) for t in opens]


class ScriptedPrices:
    """Price paths of every listed perpetual."""

    def __init__(self, start_prices: dict[str, Decimal], start_ms: int) -> None:
        self.paths = {s: PricePath(p, start_ms) for s, p in start_prices.items()}

    def price_at(self, symbol: str, time_ms: int) -> Decimal:
        return self.paths[symbol].price_at(time_ms)

    def set_price(self, symbol: str, time_ms: int, price: Decimal) -> None:
        self.paths[symbol].add(time_ms, price)

    def script(self, symbol: str, points: list[tuple[int, Decimal]]) -> None:
        for time_ms, price in points:
            self.paths[symbol].add(time_ms, price)

    def points_between(self, after_ms: int, until_ms: int) -> list[tuple[str, PricePoint]]:
        merged = [
            (point, symbol)
            for symbol, path in self.paths.items()
            for point in path.points_between(after_ms, until_ms)
        ]
        merged.sort(key=lambda item: item[0].time_ms)
        return [(symbol, point) for point, symbol in merged]
