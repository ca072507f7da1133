"""The order ticket's preview: the order as the exchange will take it, before it is sent.

Prices snap to the symbol's tick (nearest), quantities to its step (down, never more than typed),
both with the engine's own filter code, and the rounded order is what the ticket sends. The
preview then lists every rule of the symbol the rounded order still breaks, with Binance's
numbers, the notional, the fee and (futures) the initial margin. Pure: no Streamlit, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from pydantic import ValidationError

from engine.commands import PlaceOrder
from engine.market.book import Level, walk
from engine.models import (
    MarginType,
    MarketType,
    OrderType,
    PositionSide,
    Side,
    TimeInForce,
    TradingPair,
)
from engine.orders.component import FUTURES_TAKER_FEE, SPOT_TAKER_FEE
from engine.orders.filters import validate_order
from engine.orders.grid import RoundingMode, round_price, round_quantity


@dataclass(frozen=True)
class Ticket:
    """What the trader typed (amounts as text or numbers; 0 / None means not given)."""

    market: MarketType
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Decimal | None = None
    quote_quantity: Decimal | None = None
    price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce | None = None
    post_only: bool = False
    reduce_only: bool = False
    leverage: int = 1
    margin_type: MarginType | None = None
    position_side: PositionSide | None = None  # futures in hedge mode: LONG or SHORT


@dataclass(frozen=True)
class Preview:
    price: Decimal | None  # as the exchange will take it (on the tick grid)
    stop_price: Decimal | None
    quantity: Decimal | None  # on the step grid
    quote_quantity: Decimal | None
    reference_price: Decimal | None
    notional: Decimal | None
    fee: Decimal | None
    fee_rate: Decimal
    margin: Decimal | None  # futures: initial margin at the ticket's leverage
    adjustments: tuple[str, ...] = ()  # what rounding changed, in words
    problems: tuple[str, ...] = ()  # every rule the order breaks; empty when it passes
    command: PlaceOrder | None = field(default=None, compare=False)

    @property
    def ok(self) -> bool:
        return self.command is not None and not self.problems


def to_decimal(value: object) -> Decimal | None:
    """A positive Decimal from a number or text, else None (0 and blanks are 'not given')."""
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() and number > 0 else None


def preview(ticket: Ticket, pair: TradingPair | None, reference: Decimal | None) -> Preview:
    """Round the ticket to the symbol's grid, then check every rule; never raises."""
    fee_rate = SPOT_TAKER_FEE if ticket.market is MarketType.SPOT else FUTURES_TAKER_FEE
    if pair is None:
        problem = f"{ticket.symbol} is not a {ticket.market} symbol on this exchange."
        return Preview(
            None, None, None, None, reference, None, None, fee_rate, None, (), (problem,)
        )
    rounded, adjustments = _rounded(ticket, pair)
    command, problems = _command(rounded)
    if command is not None:
        problems = [v.reason for v in validate_order(pair.rules, command, reference)]
    notional = _notional(rounded, reference)
    # A reduce-only order (in hedge mode: the opposite order on a side) takes no new margin.
    opens = _is_futures(ticket) and not ticket.reduce_only and not closes_side(ticket)
    margin = notional / max(ticket.leverage, 1) if notional and opens else None
    return Preview(
        price=rounded.price,
        stop_price=rounded.stop_price,
        quantity=rounded.quantity,
        quote_quantity=rounded.quote_quantity,
        reference_price=reference,
        notional=notional,
        fee=notional * fee_rate if notional is not None else None,
        fee_rate=fee_rate,
        margin=margin,
        adjustments=tuple(adjustments),
        problems=tuple(problems),
        command=command,
    )


def closes_side(ticket: Ticket) -> bool:
    """Hedge mode: a SELL on LONG or a BUY on SHORT closes (part of) that side."""
    pair = (ticket.position_side, ticket.side)
    return pair in ((PositionSide.LONG, Side.SELL), (PositionSide.SHORT, Side.BUY))


def _is_futures(ticket: Ticket) -> bool:
    return ticket.market is MarketType.FUTURES


def _rounded(ticket: Ticket, pair: TradingPair) -> tuple[Ticket, list[str]]:
    rules, notes = pair.rules, []
    price = _snap(ticket.price, lambda p: round_price(rules, p, RoundingMode.NEAREST))
    stop = _snap(ticket.stop_price, lambda p: round_price(rules, p, RoundingMode.NEAREST))
    is_market = not ticket.order_type.has_limit_price
    qty = _snap(ticket.quantity, lambda q: round_quantity(rules, q, RoundingMode.DOWN, is_market))
    for name, before, after in (
        ("price", ticket.price, price),
        ("stop price", ticket.stop_price, stop),
        ("quantity", ticket.quantity, qty),
    ):
        if before is not None and after is not None and before != after:
            notes.append(f"{name} {_plain(before)} → {_plain(after)} (the symbol's grid)")
    return _replace(ticket, price=price, stop_price=stop, quantity=qty), notes


def _snap(value: Decimal | None, rounder: object) -> Decimal | None:
    if value is None:
        return None
    result = rounder(value)  # type: ignore[operator]
    return result if result > 0 else value  # below one step: keep it, the rules will say so


def _replace(ticket: Ticket, **changes: object) -> Ticket:
    values = {**ticket.__dict__, **changes}
    return Ticket(**values)  # type: ignore[arg-type]


def _command(ticket: Ticket) -> tuple[PlaceOrder | None, list[str]]:
    """The PlaceOrder the ticket becomes, or the readable reasons it cannot be one."""
    needs_price, needs_stop = ticket.order_type.has_limit_price, ticket.order_type.has_stop_price
    try:
        command = PlaceOrder(
            actor="preview",
            market=ticket.market,
            symbol=ticket.symbol,
            side=ticket.side,
            order_type=ticket.order_type,
            quantity=ticket.quantity,
            quote_quantity=ticket.quote_quantity,
            price=ticket.price if needs_price else None,
            stop_price=ticket.stop_price if needs_stop else None,
            time_in_force=ticket.time_in_force if needs_price else None,
            post_only=ticket.post_only and ticket.order_type is OrderType.LIMIT,
            reduce_only=ticket.reduce_only and _is_futures(ticket),
            leverage=ticket.leverage if _is_futures(ticket) else None,
            margin_type=ticket.margin_type if _is_futures(ticket) else None,
            position_side=ticket.position_side if _is_futures(ticket) else None,
        )
    except ValidationError as exc:
        return None, [_readable(e) for e in exc.errors()]
    return command, []


def _readable(error: dict[str, object]) -> str:
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    where = ".".join(str(p) for p in error.get("loc", ()))  # type: ignore[attr-defined]
    return f"{where}: {message}" if where else message


def _notional(ticket: Ticket, reference: Decimal | None) -> Decimal | None:
    if ticket.quote_quantity is not None:
        return ticket.quote_quantity
    price = ticket.price if ticket.order_type.has_limit_price else None
    price = price or ticket.stop_price or reference
    if price is None or ticket.quantity is None:
        return None
    return ticket.quantity * price


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


# --- the book: what a market order of the ticket's size is expected to fill at -----------------


@dataclass(frozen=True)
class FillEstimate:
    """A market order walked through the stored book (best levels first)."""

    side: Side
    quantity: Decimal
    filled: Decimal  # less than `quantity` when the stored levels run out
    average_price: Decimal | None
    worst_price: Decimal | None
    mid: Decimal
    slippage_bps: Decimal | None  # against the mid, positive when it costs the taker

    @property
    def complete(self) -> bool:
        return self.filled >= self.quantity


def estimate_market_fill(
    side: Side, quantity: Decimal, bids: list[Level], asks: list[Level]
) -> FillEstimate | None:
    """Walk the asks (a buy) or the bids (a sell); None without both sides of the book."""
    if not bids or not asks or quantity <= 0:
        return None
    mid = (bids[0][0] + asks[0][0]) / 2
    result = walk(asks if side is Side.BUY else bids, quantity)
    slippage = None
    if result.average_price is not None:
        cost = result.average_price - mid if side is Side.BUY else mid - result.average_price
        slippage = cost / mid * 10_000
    return FillEstimate(
        side, quantity, result.filled, result.average_price, result.worst_price, mid, slippage
    )
