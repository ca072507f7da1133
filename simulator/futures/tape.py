"""The public trade tape of each perpetual: the shared market's trades (the perpetuals trade on
the spot price path) at the perpetual's tick and step, and the paper account's own futures
fills, in time order, with the perpetual's own trade ids. `/fapi/v1/trades`, `aggTrades`,
`historicalTrades` and the `@aggTrade` / `@trade` streams read it."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Protocol

from simulator.futures.symbols import FuturesSymbol

TAPE_LENGTH = 1000


@dataclass(frozen=True, slots=True)
class TapeTrade:
    id: int
    symbol: str
    price: Decimal
    qty: Decimal
    time_ms: int
    is_buyer_maker: bool


class MarketTrades(Protocol):
    def recent_trades(self, symbol: str, limit: int) -> list: ...


class FuturesTape:
    def __init__(self, specs: dict[str, FuturesSymbol], market: MarketTrades) -> None:
        self.specs = specs
        self.market = market
        self.trades: dict[str, deque[TapeTrade]] = {s: deque(maxlen=TAPE_LENGTH) for s in specs}
        self._seen: dict[str, int] = {}  # the newest market trade id mirrored per symbol
        self.next_id = 1

    def follow_market(self, symbols: set[str]) -> None:
        """Copy the market's new trades of `symbols` onto the tape."""
        for symbol in sorted(symbols & set(self.specs)):
            recent = self.market.recent_trades(symbol, TAPE_LENGTH)
            last = self._seen.get(symbol)
            self._seen[symbol] = recent[-1].id if recent else (last or 0)
            if last is None:  # the tape starts with the market's recent past
                last = recent[-50].id - 1 if len(recent) >= 50 else -1
            for trade in recent:
                if trade.id > last:
                    self.record(symbol, trade.price, trade.qty, trade.is_buyer_maker, trade.time_ms)

    def record(
        self, symbol: str, price: Decimal, qty: Decimal, is_buyer_maker: bool, time_ms: int
    ) -> TapeTrade | None:
        spec = self.specs[symbol]
        price = (price / spec.tick_size).to_integral_value(ROUND_HALF_UP) * spec.tick_size
        qty = (qty / spec.step_size).to_integral_value(ROUND_DOWN) * spec.step_size
        if qty <= 0 or price <= 0:
            return None
        trade = TapeTrade(self.next_id, symbol, price, qty, time_ms, is_buyer_maker)
        self.next_id += 1
        self.trades[symbol].append(trade)
        return trade

    def recent(self, symbol: str, limit: int) -> list[TapeTrade]:
        return list(self.trades[symbol])[-limit:]

    def from_id(self, symbol: str, from_id: int, limit: int) -> list[TapeTrade]:
        return [t for t in self.trades[symbol] if t.id >= from_id][:limit]

    def between(
        self, symbol: str, start: int | None, end: int | None, limit: int
    ) -> list[TapeTrade]:
        rows = [
            t
            for t in self.trades[symbol]
            if (start is None or t.time_ms >= start) and (end is None or t.time_ms <= end)
        ]
        return rows[:limit] if start is not None else rows[-limit:]
