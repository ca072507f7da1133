"""Pre-trade checks that need no exchange round trip: symbol, filters, balance or margin.

Each check returns a `Refusal` with a reason a trader understands, or None. Nothing here sends
anything; the caller refuses the command and the exchange never sees the order.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from engine.commands import PlaceOrder
from engine.models import MarketType, OrderType, PositionSide, Refusal, Side, TradingPair
from engine.orders.commands import PlaceOco
from engine.orders.filters import validate_order

# A market order's cost is known only after it fills; leave room for slippage and fees.
MARKET_COST_BUFFER = Decimal("1.02")


@dataclass(frozen=True)
class AccountView:
    """What the checks need to know about the account right now."""

    spot_free: dict[str, Decimal]  # asset -> free balance
    futures_available: Decimal  # USDT available for new margin
    futures_position: Decimal  # signed position amount in the order's symbol
    leverage: int  # current leverage of the order's symbol (futures)
    taker_fee: Decimal


def check_symbol(
    order: PlaceOrder | PlaceOco, pair: TradingPair | None, unavailable: str | None
) -> Refusal | None:
    if unavailable is not None:
        return Refusal(
            "market_unavailable", f"The {order.market} market is unavailable: {unavailable}"
        )
    if pair is None:
        return Refusal("unknown_symbol", f"{order.symbol} is not a {order.market} symbol here.")
    if pair.status != "TRADING":
        return Refusal(
            "symbol_not_trading", f"{order.symbol} is {pair.status}: it takes no orders now."
        )
    return None


def check_filters(
    order: PlaceOrder, pair: TradingPair, reference_price: Decimal | None
) -> Refusal | None:
    violations = validate_order(pair.rules, order, reference_price)
    if not violations:
        return None
    first = violations[0]
    reasons = " ".join(v.reason for v in violations)
    return Refusal(f"filter.{first.filter}", reasons)


def estimated_price(order: PlaceOrder, last_price: Decimal | None) -> Decimal | None:
    """The price the order is expected to trade at, for cost and margin estimates."""
    if order.price is not None:
        return order.price
    if order.stop_price is not None:
        return order.stop_price
    return last_price


def check_spot_balance(
    order: PlaceOrder, pair: TradingPair, account: AccountView, last_price: Decimal | None
) -> Refusal | None:
    free = account.spot_free
    if order.side is Side.SELL:
        need, asset = order.quantity or Decimal(0), pair.base
    else:
        asset = pair.quote
        need = _spot_buy_cost(order, last_price)
        if need is None:
            return Refusal(
                "no_price", f"No recent price for {order.symbol}; try again in a moment."
            )
    have = free.get(asset, Decimal(0))
    if need > have:
        return Refusal(
            "balance",
            f"Not enough {asset}: this order needs about {_fmt(need)} {asset}, "
            f"{_fmt(have)} {asset} is free.",
        )
    return None


def _spot_buy_cost(order: PlaceOrder, last_price: Decimal | None) -> Decimal | None:
    if order.quote_quantity is not None:
        return order.quote_quantity
    price = estimated_price(order, last_price)
    if price is None or order.quantity is None:
        return None
    buffer = MARKET_COST_BUFFER if order.order_type is OrderType.MARKET else Decimal(1)
    return order.quantity * price * buffer


def check_futures_margin(
    order: PlaceOrder, account: AccountView, last_price: Decimal | None
) -> Refusal | None:
    if order.reduce_only and not order.close_position:
        return _check_reduce_only(order, account.futures_position)
    if order.close_position or _reduces(order, account.futures_position):
        return None
    price = estimated_price(order, last_price)
    if price is None or order.quantity is None:
        return Refusal("no_price", f"No recent price for {order.symbol}; try again in a moment.")
    notional = order.quantity * price
    need = notional / account.leverage + notional * account.taker_fee
    if need > account.futures_available:
        return Refusal(
            "margin",
            f"Not enough margin: {_fmt(notional)} USDT at {account.leverage}x needs about "
            f"{_fmt(need)} USDT; {_fmt(account.futures_available)} USDT is available.",
        )
    return None


def _check_reduce_only(order: PlaceOrder, position: Decimal) -> Refusal | None:
    """A reduce-only order needs no margin, only a position on the other side to reduce.

    With no position known here the exchange decides: a fill may have opened one a moment ago.
    """
    qty = order.quantity or Decimal(0)
    reducible = position if order.side is Side.SELL else -position
    if 0 < reducible < qty:
        return Refusal(
            "reduce_only",
            f"Reduce-only quantity {_fmt(qty)} is more than the {_fmt(reducible)} {order.symbol} "
            f"position; sell at most {_fmt(reducible)}."
            if order.side is Side.SELL
            else f"Reduce-only quantity {_fmt(qty)} is more than the {_fmt(reducible)} "
            f"{order.symbol} short; buy at most {_fmt(reducible)}.",
        )
    return None


def _reduces(order: PlaceOrder, position: Decimal) -> bool:
    qty = order.quantity or Decimal(0)
    if order.side is Side.SELL:
        return position > 0 and qty <= position
    return position < 0 and qty <= -position


def _fmt(value: Decimal) -> str:
    return f"{value:,.8f}".rstrip("0").rstrip(".")


def check_position_side(order: PlaceOrder, hedge: bool) -> Refusal | None:
    """The order's position side against the account's mode (Binance: -4061 otherwise)."""
    if order.market is not MarketType.FUTURES:
        return None
    side = order.position_side
    if hedge and side not in (PositionSide.LONG, PositionSide.SHORT):
        return Refusal(
            "position_side",
            "The futures account is in hedge mode: choose Long or Short for this order (a SELL "
            "on Long closes the long, a BUY on Short closes the short).",
        )
    if not hedge and side in (PositionSide.LONG, PositionSide.SHORT):
        return Refusal(
            "position_side",
            f"The futures account is in one-way mode: an order takes no position side "
            f"({side.value} given). Send it without one, or switch the account to hedge mode "
            "on the Portfolio page first.",
        )
    return None
