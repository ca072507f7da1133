"""A synthetic order book around the last price, with depth tied to traded volume.

The book is a pure function of (last price, volume per second, tick, step): level i on each
side sits i gaps away from the touch and holds (i + 1) units, a unit being a few seconds of
traded volume. Walking it, a market order's average price moves away from the touch roughly
with the square root of its size, which is the slippage a real book gives.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

SECONDS_OF_VOLUME_PER_UNIT = Decimal(2)
MAX_WALK_LEVELS = 2000


def floor_to(value: Decimal, step: Decimal) -> Decimal:
    if step == 0:
        return value
    return (value / step).to_integral_value(rounding=ROUND_DOWN) * step


@dataclass(frozen=True, slots=True)
class Level:
    price: Decimal
    qty: Decimal


@dataclass(frozen=True, slots=True)
class SyntheticBook:
    last_price: Decimal
    tick: Decimal
    step: Decimal
    volume_per_second: Decimal

    @property
    def gap(self) -> Decimal:
        ticks = floor_to(self.last_price * Decimal("0.00001") / self.tick, Decimal(1))
        return self.tick * max(Decimal(1), ticks)

    @property
    def unit(self) -> Decimal:
        return max(
            self.step, floor_to(self.volume_per_second * SECONDS_OF_VOLUME_PER_UNIT, self.step)
        )

    def best_bid(self) -> Decimal:
        return max(self.tick, self.last_price - self.gap)

    def best_ask(self) -> Decimal:
        return self.last_price + self.gap

    def levels(self, side: str, count: int = MAX_WALK_LEVELS) -> Iterator[Level]:
        """`side` "ask" walks up from the best ask, "bid" walks down from the best bid."""
        for i in range(count):
            if side == "ask":
                price = self.best_ask() + self.gap * i
            else:
                price = self.best_bid() - self.gap * i
                if price <= 0:
                    return
            yield Level(price=price, qty=self.unit * (i + 1))

    def take(
        self,
        side: str,
        qty_cap: Decimal | None,
        quote_cap: Decimal | None,
        limit: Decimal | None,
    ) -> list[tuple[Decimal, Decimal]]:
        """The (price, qty) legs a taker on `side` gets, up to a quantity, a quote amount
        and a limit price (each optional)."""
        legs: list[tuple[Decimal, Decimal]] = []
        for level in self.levels("ask" if side == "BUY" else "bid", MAX_WALK_LEVELS):
            if limit is not None and not _within(side, limit, level.price):
                break
            take = level.qty if qty_cap is None else min(level.qty, qty_cap)
            if quote_cap is not None:
                take = min(take, floor_to(quote_cap / level.price, self.step))
            if take <= 0:
                break
            legs.append((level.price, take))
            qty_cap = None if qty_cap is None else qty_cap - take
            quote_cap = None if quote_cap is None else quote_cap - take * level.price
        return legs

    def depth(self, limit: int) -> tuple[list[Level], list[Level]]:
        return list(self.levels("bid", limit)), list(self.levels("ask", limit))


def _within(side: str, limit: Decimal, price: Decimal) -> bool:
    return price <= limit if side == "BUY" else price >= limit
