"""The trading commands of order lists and the futures position mode (engine/orders).

Like every command (engine/commands.py): immutable, checked when built, each with the role it
takes; the engine audits them (engine/audit.py).
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field, model_validator

from engine.access.roles import Role
from engine.commands import Command, Quantity
from engine.models import MarketType, Side


class PlaceOco(Command):
    """A spot OCO: a take-profit limit and a stop-loss as one, for one quantity on one side.

    SELL (protect a holding): the take-profit rests above the market, the stop waits below.
    BUY (enter on a dip or a breakout): the take-profit (limit) below, the stop above. When
    one leg executes the exchange expires the other. `stop_limit_price` makes the stop leg a
    stop-limit at that price; without it the stop is a stop-market.
    """

    required_role = Role.TRADER
    symbol: str = Field(pattern=r"^[A-Z0-9]{5,20}$")
    side: Side
    quantity: Quantity = Field(gt=0)
    take_profit_price: Decimal = Field(gt=0)
    stop_price: Decimal = Field(gt=0)
    stop_limit_price: Decimal | None = Field(None, gt=0)

    @property
    def market(self) -> MarketType:
        return MarketType.SPOT

    @model_validator(mode="after")
    def _sides(self) -> PlaceOco:
        above, below = (
            (self.take_profit_price, self.stop_price)
            if self.side is Side.SELL
            else (self.stop_price, self.take_profit_price)
        )
        if above <= below:
            raise ValueError(oco_price_rule(self.side))
        return self


def oco_price_rule(side: Side) -> str:
    """Binance's OCO price rule, as a trader reads it."""
    if side is Side.SELL:
        return (
            "a SELL OCO takes profit above the market and stops below it: the take-profit "
            "price must be above the stop price"
        )
    return (
        "a BUY OCO takes profit (buys cheaper) below the market and stops above it: the "
        "take-profit price must be below the stop price"
    )


class SetPositionMode(Command):
    """Switch the USD-M account between one-way mode and hedge mode (a LONG and a SHORT per
    symbol at once). Admin: it is account-wide and changes how every futures order must be
    sent, a running strategy's too. Binance changes it only with no open position (-4068)
    and no open order (-4067) on any symbol."""

    hedge: bool
