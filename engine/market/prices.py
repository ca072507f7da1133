"""The freshest prices the engine holds, in memory: no query or request on the order path.

The market feeds set them as frames arrive (spot: the 24 h ticker's last price; USD-M: the mark
price); the portfolio fills in symbols nobody streams from a periodic REST snapshot. Each price
keeps the time it was seen, so a reader can refuse one that is too old.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from decimal import Decimal

from engine.models import MarketType

PriceKey = tuple[MarketType, str]


class LivePrices:
    def __init__(self) -> None:
        self._prices: dict[PriceKey, tuple[Decimal, float]] = {}

    def set(self, market: MarketType, symbol: str, price: Decimal | float | str) -> None:
        value = price if isinstance(price, Decimal) else Decimal(str(price))
        if value > 0:
            self._prices[(market, symbol)] = (value, time.monotonic())

    def set_many(self, market: MarketType, prices: Mapping[str, Decimal]) -> None:
        """A snapshot of many symbols; a fresher streamed price is not overwritten."""
        now = time.monotonic()
        for symbol, price in prices.items():
            known = self._prices.get((market, symbol))
            if known is None or now - known[1] > 1.0:
                self._prices[(market, symbol)] = (price, now)

    def get(
        self, market: MarketType, symbol: str, max_age_s: float | None = None
    ) -> Decimal | None:
        known = self._prices.get((market, symbol))
        if known is None:
            return None
        if max_age_s is not None and time.monotonic() - known[1] > max_age_s:
            return None
        return known[0]

    def of(self, market: MarketType) -> dict[str, Decimal]:
        """Every known price of `market`: symbol -> price."""
        return {symbol: p for (m, symbol), (p, _) in self._prices.items() if m is market}
