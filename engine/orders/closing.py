"""Closing futures positions, in either position mode.

One-way mode: the position is BOTH and is closed by a reduce-only market order on the other
side. Hedge mode: each symbol may hold a LONG and a SHORT at once; Binance takes no reduce-only
there, and a side is closed by the opposite order on that side (a SELL on LONG closes the long).
"""

from __future__ import annotations

from decimal import Decimal

from engine.commands import ClosePosition, PlaceOrder, Reply
from engine.models import MarketType, OrderType, Position, PositionSide, Side
from engine.orders.words import num

HEDGED = (PositionSide.LONG.value, PositionSide.SHORT.value)


def closing_order(position: Position, actor: str) -> PlaceOrder:
    """The market order that closes `position` (one side of it in hedge mode)."""
    hedged = position.position_side in HEDGED
    return PlaceOrder(
        actor=actor, market=MarketType.FUTURES, symbol=position.symbol,
        side=Side.SELL if position.amount > 0 else Side.BUY, order_type=OrderType.MARKET,
        quantity=abs(position.amount), reduce_only=not hedged,
        position_side=PositionSide(position.position_side) if hedged else None,
    )  # fmt: skip


def side_words(position: Position) -> str:
    """'long 0.01' or 'short 0.02' (hedge mode names the side it is on)."""
    kind = "long" if position.amount > 0 else "short"
    return f"{kind} {num(abs(position.amount))}"


def position_to_close(
    command: ClosePosition, open_sides: list[Position]
) -> tuple[Position | None, str]:
    """The position the command closes, or why there is none to close (the reason in words)."""
    symbol, wanted = command.symbol, command.position_side
    if not open_sides:
        return None, f"There is no open {symbol} position."
    if wanted is not None:
        found = next((p for p in open_sides if p.position_side == wanted.value), None)
        if found is None:
            held = ", ".join(f"{p.position_side} {side_words(p)}" for p in open_sides)
            return None, f"There is no open {symbol} {wanted.value} position (open: {held})."
        return found, ""
    if len(open_sides) > 1:
        return None, (
            f"{symbol} has a LONG and a SHORT position (hedge mode): say which side to close."
        )
    return open_sides[0], ""


def closed_reply(
    command: ClosePosition, reply: Reply, position: Position, cancelled: int, left: Decimal
) -> Reply:
    """The close's answer: done, or what the exchange still shows (it is asked afterwards)."""
    orders = "order" if cancelled == 1 else "orders"
    note = f" {cancelled} reduce-only {orders} cancelled." if cancelled else ""
    what = command.symbol
    if position.position_side in HEDGED:
        what += f" {position.position_side}"
    if left:
        return Reply(
            command_id=command.command_id, ok=False, code="desk.position_left",
            message=f"The close order went out, but the exchange still shows a {what} "
            f"position of {left}. Check Portfolio and close the rest.{note}",
            data={"position_left": str(left)},
        )  # fmt: skip
    return reply.model_copy(update={"message": f"Closed {what}: {reply.message}{note}"})
