"""The order book a venue matches against and publishes: levels with state, updated by the price
path and by the fills taken from it, each change numbered as Binance numbers book updates.

Levels sit on a fixed price grid (multiples of `gap`, a few ticks), so a move of the price adds
and removes levels at the touch and at the far end instead of repricing the whole book. Every
step of the path (`step`): levels the price crossed go, missing levels near the touch are
added, the far end is trimmed to `LEVELS` per side, and a few levels change size (orders come
and go); a taker's fill (`consume`) removes what it took. Sizes follow the market's volume: level
i from the touch holds about (i + 1) units of `SECONDS_OF_VOLUME_PER_UNIT` seconds of volume, so
a market order's average price moves away from the touch with the square root of its size.

Each step and each consume that changes something is one update id; `changes_since(u)` gives
what changed after update `u` (the latest size per level, 0 = removed), which is what a
diff-depth event carries, and the REST snapshot's `lastUpdateId` is `update_id`. A seeded RNG
per book makes the evolution a pure function of the steps and fills it saw: deterministic on
the virtual clock.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from typing import Protocol

from simulator.feeds.book import Level, floor_to

LEVELS = 250  # per side
SECONDS_OF_VOLUME_PER_UNIT = Decimal(2)
CHANGES_PER_STEP = 12  # levels per side whose size changes in one step of the path
JOURNAL_UPDATES = 5000  # updates kept for diff-depth streams
GAP_FRACTION = Decimal("0.00001")
Change = tuple[int, str, Decimal, Decimal]  # (update id, "bid" | "ask", price, new qty)


def _gap_for(price: Decimal, tick: Decimal) -> Decimal:
    ticks = floor_to(price * GAP_FRACTION / tick, Decimal(1))
    return tick * max(Decimal(1), ticks)


@dataclass(frozen=True, slots=True)
class DepthDiff:
    first_id: int  # U
    final_id: int  # u
    bids: list[tuple[Decimal, Decimal]]
    asks: list[tuple[Decimal, Decimal]]


class OrderBook:
    def __init__(self, symbol: str, tick: Decimal, step: Decimal, seed: int = 1) -> None:
        self.symbol = symbol
        self.tick = tick
        self.step_size = step
        self.gap = Decimal(0)
        self.unit = step
        self.update_id = 0
        self.bids: dict[Decimal, Decimal] = {}
        self.asks: dict[Decimal, Decimal] = {}
        self.journal: deque[Change] = deque(maxlen=JOURNAL_UPDATES * 4)
        self._rng = random.Random(f"{seed}:{symbol}")
        self._pending: list[tuple[str, Decimal, Decimal]] = []

    # ---- reading ------------------------------------------------------------------------
    def best_bid(self) -> Decimal:
        return max(self.bids) if self.bids else Decimal(0)

    def best_ask(self) -> Decimal:
        return min(self.asks) if self.asks else Decimal(0)

    def best_bid_qty(self) -> Decimal:
        return self.bids[self.best_bid()] if self.bids else Decimal(0)

    def best_ask_qty(self) -> Decimal:
        return self.asks[self.best_ask()] if self.asks else Decimal(0)

    def levels(self, side: str, count: int = LEVELS) -> list[Level]:
        """`side` "ask" from the best ask up, "bid" from the best bid down."""
        book = self.asks if side == "ask" else self.bids
        prices = sorted(book, reverse=side == "bid")[:count]
        return [Level(p, book[p]) for p in prices]

    def depth(self, limit: int) -> tuple[list[Level], list[Level]]:
        return self.levels("bid", limit), self.levels("ask", limit)

    def take(
        self,
        side: str,
        qty_cap: Decimal | None,
        quote_cap: Decimal | None,
        limit: Decimal | None,
    ) -> list[tuple[Decimal, Decimal]]:
        """The (price, qty) legs a taker on `side` would get, up to a quantity, a quote amount
        and a limit price (each optional); nothing is removed (see `consume`)."""
        legs: list[tuple[Decimal, Decimal]] = []
        for level in self.levels("ask" if side == "BUY" else "bid"):
            if limit is not None and not _within(side, limit, level.price):
                break
            take = level.qty if qty_cap is None else min(level.qty, qty_cap)
            if quote_cap is not None:
                take = min(take, floor_to(quote_cap / level.price, self.step_size))
            if take <= 0:
                break
            legs.append((level.price, take))
            qty_cap = None if qty_cap is None else qty_cap - take
            quote_cap = None if quote_cap is None else quote_cap - take * level.price
        return legs

    # ---- changing -----------------------------------------------------------------------
    def consume(self, side: str, legs: Iterable[tuple[Decimal, Decimal]]) -> None:
        """A taker on `side` took these legs: the levels shrink (one update)."""
        book, name = (self.asks, "ask") if side == "BUY" else (self.bids, "bid")
        for price, qty in legs:
            if price in book:
                self._set(book, name, price, max(Decimal(0), book[price] - qty))
        self._commit()

    def step(self, price: Decimal, volume_per_second: Decimal) -> None:
        """One step of the price path: recentre on `price`, refresh a few sizes (one update)."""
        if price <= 0:
            return
        unit = floor_to(volume_per_second * SECONDS_OF_VOLUME_PER_UNIT, self.step_size)
        self.unit = max(self.step_size, unit)
        if self.gap == 0 or not self.gap / 2 <= _gap_for(price, self.tick) <= self.gap * 2:
            self._rebuild(price)
        else:
            self._recentre(price)
            self._churn()
        self._commit()

    def _rebuild(self, price: Decimal) -> None:
        self.gap = _gap_for(price, self.tick)
        for book, name in ((self.bids, "bid"), (self.asks, "ask")):
            for level in list(book):
                self._set(book, name, level, Decimal(0))
        self._recentre(price)

    def _recentre(self, price: Decimal) -> None:
        gap = self.gap
        top_bid = (price / gap).to_integral_value(rounding=ROUND_UP) * gap - gap
        top_ask = (price / gap).to_integral_value(rounding=ROUND_DOWN) * gap + gap
        for level in [p for p in self.bids if p > top_bid]:
            self._set(self.bids, "bid", level, Decimal(0))
        for level in [p for p in self.asks if p < top_ask]:
            self._set(self.asks, "ask", level, Decimal(0))
        for i in range(LEVELS):
            bid, ask = top_bid - gap * i, top_ask + gap * i
            if bid > 0 and bid not in self.bids:
                self._set(self.bids, "bid", bid, self._size(i))
            if ask not in self.asks:
                self._set(self.asks, "ask", ask, self._size(i))
        for book, name, keep in ((self.bids, "bid", True), (self.asks, "ask", False)):
            if len(book) > LEVELS:
                for level in sorted(book, reverse=keep)[LEVELS:]:
                    self._set(book, name, level, Decimal(0))

    def _churn(self) -> None:
        for book, name, top in ((self.bids, "bid", self.best_bid()), (self.asks, "ask", None)):
            if not book:
                continue
            anchor = top if top is not None else self.best_ask()
            for _ in range(CHANGES_PER_STEP):
                i = min(int(self._rng.expovariate(1 / 40)), LEVELS - 1)
                level = anchor - self.gap * i if name == "bid" else anchor + self.gap * i
                if level in book:
                    self._set(book, name, level, self._size(i))

    def _size(self, index: int) -> Decimal:
        factor = Decimal(self._rng.randint(60, 100)) / 100  # never above the unit
        return max(self.step_size, floor_to(self.unit * (index + 1) * factor, self.step_size))

    def _set(self, book: dict[Decimal, Decimal], name: str, price: Decimal, qty: Decimal) -> None:
        if qty > 0:
            if book.get(price) == qty:
                return
            book[price] = qty
        elif price in book:
            del book[price]
        else:
            return
        self._pending.append((name, price, qty))

    def _commit(self) -> None:
        if not self._pending:
            return
        self.update_id += 1
        for name, price, qty in self._pending:
            self.journal.append((self.update_id, name, price, qty))
        self._pending.clear()

    # ---- what changed -------------------------------------------------------------------
    def _complete_from(self) -> int:
        """The oldest update whose every change is still in the journal."""
        if not self.journal:
            return self.update_id + 1
        oldest = self.journal[0][0]
        full = len(self.journal) == self.journal.maxlen
        return oldest + 1 if full else oldest

    def changes_since(self, after_id: int) -> DepthDiff | None:
        """Updates after `after_id` up to now, latest size per level; None when none."""
        if after_id >= self.update_id:
            return None
        bids: dict[Decimal, Decimal] = {}
        asks: dict[Decimal, Decimal] = {}
        complete_from = self._complete_from()
        for update, name, price, qty in reversed(self.journal):
            if update <= after_id or update < complete_from:
                break
            target = bids if name == "bid" else asks
            target.setdefault(price, qty)
        # Updates that left the journal are missing: U says so, and a client resyncs.
        first = max(after_id + 1, complete_from)
        return DepthDiff(
            first, self.update_id, sorted(bids.items(), reverse=True), sorted(asks.items())
        )


def _within(side: str, limit: Decimal, price: Decimal) -> bool:
    return price <= limit if side == "BUY" else price >= limit


class PriceSource(Protocol):
    def volume_per_second(self, symbol: str) -> Decimal: ...


class BookSet:
    """One venue's books, one per symbol, stepped on the venue's price (`price_of`) with the
    market's volume. A book nobody has stepped yet is built on first use."""

    def __init__(
        self,
        market: PriceSource,
        sizes: dict[str, tuple[Decimal, Decimal]],
        price_of: Callable[[str], Decimal],
        seed: int = 1,
    ) -> None:
        self.market = market
        self.price_of = price_of
        self.books = {s: OrderBook(s, tick, step, seed) for s, (tick, step) in sizes.items()}

    def book(self, symbol: str) -> OrderBook:
        book = self.books[symbol]
        if book.update_id == 0:
            self._step(symbol)
        return book

    def step_symbols(self, symbols: Iterable[str]) -> None:
        """The path moved for `symbols`: one book step each, on the latest price."""
        for symbol in sorted(set(symbols)):
            if symbol in self.books:
                self._step(symbol)

    def _step(self, symbol: str) -> None:
        self.books[symbol].step(self.price_of(symbol), self.market.volume_per_second(symbol))
