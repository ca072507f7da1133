"""The mark price of every listed perpetual, as a step function of time.

The venue feeds it the shared market's ticks (`follow`), so the perpetuals trade on the same
price path as spot. A test can take a symbol over (`set_price`, `script`, or the
`/_sim/futures/price` control endpoint): from then on that symbol follows the script only, until
`/_sim/reset`. The futures matching engine walks every point in time order, so a path that dips
through a liquidation price and recovers is seen.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class PricePoint:
    time_ms: int
    price: Decimal
    volume: Decimal | None = None  # traded in the step to this point; None: a scripted price


class PricePath:
    """Step function of price over time for one symbol."""

    def __init__(self, start_price: Decimal, start_ms: int) -> None:
        self._times: list[int] = [start_ms]
        self._prices: list[Decimal] = [start_price]
        self._volumes: list[Decimal | None] = [None]

    def add(self, time_ms: int, price: Decimal, volume: Decimal | None = None) -> None:
        if price <= 0:
            raise ValueError("price must be positive")
        index = bisect.bisect_right(self._times, time_ms)
        if index and self._times[index - 1] == time_ms:
            self._prices[index - 1] = price
            self._volumes[index - 1] = volume
            return
        self._times.insert(index, time_ms)
        self._prices.insert(index, price)
        self._volumes.insert(index, volume)

    def price_at(self, time_ms: int) -> Decimal:
        index = bisect.bisect_right(self._times, time_ms)
        return self._prices[max(index - 1, 0)]

    def points_between(self, after_ms: int, until_ms: int) -> list[PricePoint]:
        """Points with after_ms < time <= until_ms, in time order."""
        lo = bisect.bisect_right(self._times, after_ms)
        hi = bisect.bisect_right(self._times, until_ms)
        return [
            PricePoint(self._times[i], self._prices[i], self._volumes[i]) for i in range(lo, hi)
        ]

    def forget_before(self, time_ms: int) -> None:
        """Drop the points before the one in force at `time_ms` (they are history)."""
        keep_from = max(bisect.bisect_right(self._times, time_ms) - 1, 0)
        del self._times[:keep_from]
        del self._prices[:keep_from]
        del self._volumes[:keep_from]


class MarkPrices:
    """Price paths of every listed perpetual."""

    def __init__(self, start_prices: dict[str, Decimal], start_ms: int) -> None:
        self.paths = {s: PricePath(p, start_ms) for s, p in start_prices.items()}
        self.scripted: set[str] = set()

    def price_at(self, symbol: str, time_ms: int) -> Decimal:
        return self.paths[symbol].price_at(time_ms)

    def follow(
        self, symbol: str, time_ms: int, price: Decimal, volume: Decimal | None = None
    ) -> bool:
        """A point of the shared market's path (with the volume traded in its step); ignored
        for a scripted symbol."""
        if symbol not in self.paths or symbol in self.scripted:
            return False
        self.paths[symbol].add(time_ms, price, volume)
        return True

    def set_price(self, symbol: str, time_ms: int, price: Decimal) -> None:
        """Script one point; the symbol stops following the market."""
        self.scripted.add(symbol)
        self.paths[symbol].add(time_ms, price)

    def script(self, symbol: str, points: list[tuple[int, Decimal]]) -> None:
        for time_ms, price in points:
            self.set_price(symbol, time_ms, price)

    def points_between(self, after_ms: int, until_ms: int) -> list[tuple[str, PricePoint]]:
        merged = [
            (point, symbol)
            for symbol, path in self.paths.items()
            for point in path.points_between(after_ms, until_ms)
        ]
        merged.sort(key=lambda item: item[0].time_ms)
        return [(symbol, point) for point, symbol in merged]

    def forget_before(self, time_ms: int) -> None:
        for path in self.paths.values():
            path.forget_before(time_ms)
