"""The most the ticket's order can be, and whether the account can pay for it. Pure.

The max passes the symbol's filters: rounded down to the step (the market step for market
orders), at most the filter's maximum, checked against every rule of the symbol (the minimum
order value included), and it says so when even the max is below the pair's minimum order. It
leaves room for what the desk checks before it sends:

- spot buy: the quote asset's free balance at the order's price (a market order at the last
  price plus 2 %, as the desk's balance check does for slippage); Binance takes the fee from
  the asset bought, so it needs no quote;
- spot sell: the base asset's free balance;
- futures: the USDT available for margin, at the ticket's leverage, with the taker fee
  (notional / leverage + notional x fee), a market order at the last price plus 0.5 %;
  reduce-only (in hedge mode: the opposite order on a side): the position it reduces.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_FLOOR, Decimal

from app.order_preview import Ticket, closes_side, preview
from engine.models import MarketType, OrderType, Side, TradingPair
from engine.orders.checks import MARKET_COST_BUFFER
from engine.orders.component import FUTURES_TAKER_FEE
from engine.orders.grid import RoundingMode, lot_for, round_quantity

FUTURES_MARKET_BUFFER = Decimal("1.005")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Funds:
    """What the account has for this ticket (exact)."""

    base_free: Decimal = Decimal(0)  # spot
    quote_free: Decimal = Decimal(0)  # spot: the quote asset; futures: USDT available
    position: Decimal = Decimal(0)  # futures: the signed position in the symbol


@dataclass(frozen=True)
class Sizing:
    quantity: Decimal | None  # the max quantity (None: none can be placed, see `note`)
    quote_amount: Decimal | None  # spot market by amount: the max amount to spend
    note: str  # what it is based on, or why there is none


def _price(ticket: Ticket, reference: Decimal | None) -> Decimal | None:
    price = ticket.price if ticket.order_type.has_limit_price else None
    price = price or ticket.stop_price or reference
    if price is None:
        return None
    if ticket.order_type is OrderType.MARKET:
        buffer = MARKET_COST_BUFFER if ticket.market is MarketType.SPOT else FUTURES_MARKET_BUFFER
        return price * buffer
    return price


def _down(rules: object, qty: Decimal, market: bool) -> Decimal:
    return round_quantity(rules, qty, RoundingMode.DOWN, market)  # type: ignore[arg-type]


def max_size(ticket: Ticket, pair: TradingPair, reference: Decimal | None, funds: Funds) -> Sizing:
    """The largest order like `ticket` the filters and the account allow, with a note."""
    price = _price(ticket, reference)
    is_market = ticket.order_type is OrderType.MARKET
    if ticket.market is MarketType.SPOT and ticket.quote_quantity is not None:
        amount = funds.quote_free.quantize(CENT, rounding=ROUND_FLOOR)
        return Sizing(None, amount if amount > 0 else None,
                      f"all of the {funds.quote_free.normalize():f} {pair.quote} free")  # fmt: skip
    if price is None or price <= 0:
        return Sizing(None, None, "no price yet to size the order at")
    raw, basis = _raw_max(ticket, pair, price, funds)
    if raw <= 0:
        return Sizing(None, None, basis)
    lot = lot_for(pair.rules, is_market)
    qty = _down(pair.rules, raw, is_market)
    if lot is not None and lot.max_qty and qty > lot.max_qty:
        qty, basis = lot.max_qty, f"{basis}, capped at the pair's maximum quantity"
    if lot is not None and qty < lot.min_qty:
        return Sizing(None, None, f"{basis}: less than the pair's minimum quantity "
                      f"{lot.min_qty.normalize():f}")  # fmt: skip
    step = f" (rounded down to the {lot.step_size.normalize():f} step)" if lot else ""
    if qty <= 0:
        return Sizing(None, None, basis)
    check = preview(replace(ticket, quantity=qty, quote_quantity=None), pair, reference)
    if check.problems:  # e.g. below the minimum order value: the most is still too little
        return Sizing(None, None, f"{basis}: {check.problems[0]}")
    return Sizing(qty, None, basis + step)


def _raw_max(
    ticket: Ticket, pair: TradingPair, price: Decimal, funds: Funds
) -> tuple[Decimal, str]:
    if ticket.market is MarketType.SPOT:
        if ticket.side is Side.SELL:
            return funds.base_free, f"the {funds.base_free.normalize():f} {pair.base} free"
        return (
            funds.quote_free / price,
            f"the {funds.quote_free.normalize():f} {pair.quote} free at {price.normalize():f}",
        )
    if ticket.reduce_only or closes_side(ticket):
        reducible = funds.position if ticket.side is Side.SELL else -funds.position
        if reducible <= 0:
            return Decimal(0), "no position on the other side to reduce"
        return reducible, f"the {reducible.normalize():f} {pair.base} position it reduces"
    leverage = Decimal(max(ticket.leverage, 1))
    notional = funds.quote_free / (1 / leverage + FUTURES_TAKER_FEE)
    return (
        notional / price,
        f"the {funds.quote_free.normalize():f} USDT available at {ticket.leverage}x, "
        f"fee included, at {price.normalize():f}",
    )


def shortfall(ticket: Ticket, pair: TradingPair, reference: Decimal | None, funds: Funds) -> str:
    """What the order needs beyond what is free, in words; empty when it fits."""
    if ticket.market is MarketType.FUTURES and (ticket.reduce_only or closes_side(ticket)):
        return ""
    if ticket.market is MarketType.SPOT and ticket.quote_quantity is not None:
        need, have, asset = ticket.quote_quantity, funds.quote_free, pair.quote
    else:
        price, qty = _price(ticket, reference), ticket.quantity
        if price is None or qty is None:
            return ""
        if ticket.market is MarketType.SPOT and ticket.side is Side.SELL:
            need, have, asset = qty, funds.base_free, pair.base
        elif ticket.market is MarketType.SPOT:
            need, have, asset = qty * price, funds.quote_free, pair.quote
        else:
            notional = qty * price
            need = notional / max(ticket.leverage, 1) + notional * FUTURES_TAKER_FEE
            have, asset = funds.quote_free, "USDT"
    if need <= have:
        return ""
    return (
        f"Needs about {need.quantize(Decimal('0.00000001')).normalize():,f} {asset}; "
        f"{have.normalize():,f} {asset} is free. Use Max, or lower the size."
    )
