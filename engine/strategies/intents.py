"""A strategy's intent on its pair -> the `PlaceOrder` a person would send, rounded as the ticket
rounds: quantities down to the step, prices to the nearest tick."""

from __future__ import annotations

from decimal import Decimal

from engine.commands import PlaceOrder
from engine.models import OrderType, TimeInForce, TradingPair
from engine.orders.grid import RoundingMode, round_price, round_quantity
from engine.strategies.api import Intent


class IntentRefused(ValueError):
    """The intent cannot become an order (nothing left after rounding, a bad combination)."""


def to_order(intent: Intent, pair: TradingPair, actor: str) -> PlaceOrder:
    rules = pair.rules
    market_order = intent.order_type is OrderType.MARKET
    quantity = intent.quantity
    if quantity is not None:
        quantity = round_quantity(rules, quantity, RoundingMode.DOWN, market=market_order)
        if quantity <= 0:
            raise IntentRefused(f"{intent.quantity} rounds down to nothing at the step size")
    tif = TimeInForce.GTC if intent.order_type.has_limit_price else None
    try:
        return PlaceOrder(
            actor=actor, market=pair.market, symbol=pair.symbol, side=intent.side,
            order_type=intent.order_type, quantity=quantity,
            quote_quantity=intent.quote_quantity, price=_price(intent.price, pair),
            stop_price=_price(intent.stop_price, pair), time_in_force=tif,
            reduce_only=intent.reduce_only, stop_loss=_price(intent.stop_loss, pair),
            leverage=intent.leverage,
        )  # fmt: skip
    except ValueError as exc:
        raise IntentRefused(str(exc)) from None


def _price(price: Decimal | None, pair: TradingPair) -> Decimal | None:
    if price is None:
        return None
    return round_price(pair.rules, price, RoundingMode.NEAREST)
