"""What the spot exchange needs from the shared market (simulator.feeds.market.Market): the
subset of its contract the matching engine, the streams and the REST handlers read."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Protocol


class TickLike(Protocol):
    symbol: str
    time_ms: int
    price: Decimal
    volume: Decimal


class MarketLike(Protocol):
    """What the exchange needs from simulator.feeds.market.Market (the contract's subset)."""

    def advance(self, now_ms: int) -> list[Any]: ...
    def last_price(self, symbol: str) -> Decimal: ...
    def klines(
        self, symbol: str, interval: str, start_ms: int | None, end_ms: int | None, limit: int
    ) -> list[Any]: ...
    def forming_bar(self, symbol: str, interval: str) -> Any: ...
    def closed_since(
        self, symbol: str, interval: str, since_open: int, limit: int
    ) -> list[Any]: ...
    def ticker_24h(self, symbol: str) -> Any: ...
    def recent_trades(self, symbol: str, limit: int) -> list[Any]: ...
    def volume_per_second(self, symbol: str) -> Decimal: ...
    def record_trade(
        self, symbol: str, price: Decimal, qty: Decimal, is_buyer_maker: bool, time_ms: int
    ) -> Any: ...
