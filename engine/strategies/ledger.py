"""A strategy's own books from its fills: holding, average entry, cash, realized P&L.

One implementation for the host (the `Position` a strategy sees), the live P&L on the Strategies
page and a replay's equity curve. Cash accounting: a buy pays quantity x price, a sell receives
it, a fee in the quote asset is paid from cash, a fee in the base asset comes off the holding.
Realized P&L uses the average entry price; base-asset fees are valued at their fill's price.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

from engine.models import Side
from engine.strategies.api import Position, StrategyFill

ZERO = Decimal(0)


@dataclass
class Trade:
    """One round trip: from a flat book to a flat book again (dust below a step is flat)."""

    opened: int
    side: Side  # the opening side: BUY is long
    fills: int = 0
    bought: Decimal = ZERO
    sold: Decimal = ZERO
    buy_value: Decimal = ZERO
    sell_value: Decimal = ZERO
    fees: Decimal = ZERO  # in the quote asset
    closed: int | None = None

    @property
    def pnl(self) -> Decimal:
        return self.sell_value - self.buy_value - self.fees

    @property
    def entry_price(self) -> Decimal | None:
        return self.buy_value / self.bought if self.bought else None

    @property
    def exit_price(self) -> Decimal | None:
        return self.sell_value / self.sold if self.sold else None


@dataclass
class Ledger:
    base: str
    quote: str
    step_size: Decimal = ZERO
    cash: Decimal = ZERO
    holding: Decimal = ZERO
    entry_price: Decimal | None = None
    realized: Decimal = ZERO
    trades: list[Trade] = field(default_factory=list)

    def apply(self, fill: StrategyFill) -> None:
        signed = fill.qty if fill.side is Side.BUY else -fill.qty
        fee_quote, fee_base = self._fees(fill)
        self._trade_for(fill).fills += 1
        self._book_trade(fill, fee_quote + fee_base * fill.price)
        self.cash += -signed * fill.price - fee_quote
        self._move(signed, fill.price)
        self.holding -= fee_base
        self.realized -= fee_quote + fee_base * fill.price
        if self.is_flat and self.trades and self.trades[-1].closed is None:
            self.trades[-1].closed = fill.time

    def _fees(self, fill: StrategyFill) -> tuple[Decimal, Decimal]:
        if fill.commission_asset == self.base:
            return ZERO, fill.commission
        if fill.commission_asset in (self.quote, None):
            return fill.commission, ZERO
        return ZERO, ZERO  # paid in a third asset (BNB): not in these books

    def _trade_for(self, fill: StrategyFill) -> Trade:
        if not self.trades or self.trades[-1].closed is not None:
            self.trades.append(Trade(opened=fill.time, side=fill.side))
        return self.trades[-1]

    def _book_trade(self, fill: StrategyFill, fee: Decimal) -> None:
        trade = self.trades[-1]
        value = fill.qty * fill.price
        if fill.side is Side.BUY:
            trade.bought += fill.qty
            trade.buy_value += value
        else:
            trade.sold += fill.qty
            trade.sell_value += value
        trade.fees += fee

    def _move(self, signed: Decimal, price: Decimal) -> None:
        held = self.holding
        if held == 0 or (held > 0) == (signed > 0):
            total = held + signed
            cost = abs(held) * (self.entry_price or ZERO) + abs(signed) * price
            self.holding, self.entry_price = total, (cost / abs(total) if total else None)
            return
        closed = min(abs(signed), abs(held))
        direction = 1 if held > 0 else -1
        assert self.entry_price is not None
        self.realized += closed * (price - self.entry_price) * direction
        self.holding = held + signed
        if self.holding == 0:
            self.entry_price = None
        elif (self.holding > 0) != (held > 0):
            self.entry_price = price

    @property
    def tradable(self) -> Decimal:
        """The holding on the step grid (what can be sold); smaller dust counts as flat."""
        if not self.step_size:
            return self.holding
        units = (abs(self.holding) / self.step_size).to_integral_value(ROUND_FLOOR)
        return (units * self.step_size).copy_sign(self.holding) if units else ZERO

    @property
    def is_flat(self) -> bool:
        return self.tradable == 0

    def position(self) -> Position:
        return Position(
            quantity=self.tradable,
            entry_price=None if self.is_flat else self.entry_price,
            realized_pnl=self.realized,
        )

    def equity(self, price: Decimal) -> Decimal:
        """Cash plus the holding at `price` (starting cash included)."""
        return self.cash + self.holding * price


def replay_fills(ledger: Ledger, fills: Iterable[StrategyFill]) -> Ledger:
    for fill in sorted(fills, key=lambda f: f.time):
        ledger.apply(fill)
    return ledger
