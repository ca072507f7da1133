"""What a trader reads about an order: placed, filled, cancelled, or refused and by whom.

Every refusal says who refused (the desk, before anything was sent; or Binance, with its code)
and what to do. Never a Python repr, a traceback or an internal id.
"""

from __future__ import annotations

from decimal import Decimal

from engine.binance.errors import ExchangeError
from engine.models import OrderStatus, OrderUpdate, Refusal


def num(value: Decimal | None) -> str:
    """A decimal as people write it: thousands separated, no trailing zeros."""
    if value is None:
        return "-"
    text = format(value.normalize(), ",f")
    return text


def _what(update: OrderUpdate) -> str:
    kind = update.order_type.value if update.order_type else "order"
    text = f"{update.side.value} {num(update.orig_qty)} {update.symbol} {kind}"
    if update.price:
        text += f" at {num(update.price)}"
    if update.stop_price:
        text += f", trigger {num(update.stop_price)}"
    return text


def describe_placed(update: OrderUpdate) -> str:
    if update.status is OrderStatus.FILLED:
        value = f" (value {num(update.cumulative_quote)})" if update.cumulative_quote else ""
        return (
            f"Filled: {update.side.value} {num(update.executed_qty)} {update.symbol} "
            f"at {num(update.avg_price)}{value}."
        )
    if update.status is OrderStatus.PARTIALLY_FILLED:
        return (
            f"Placed: {_what(update)}; {num(update.executed_qty)} filled so far "
            f"at {num(update.avg_price)}."
        )
    if update.status in (OrderStatus.EXPIRED, OrderStatus.CANCELED):
        filled = f"{num(update.executed_qty)} filled" if update.executed_qty else "nothing filled"
        return f"Expired at once: {_what(update)}; {filled}."
    return f"Placed: {_what(update)} (open)."


def describe_open(update: OrderUpdate) -> str:
    """An order the exchange still lists, as a trader names it (no internal id)."""
    kind = update.order_type.value if update.order_type else "order"
    price = f" at {num(update.price)}" if update.price else ""
    trigger = f" trigger {num(update.stop_price)}" if update.stop_price else ""
    return f"{update.market} {update.side.value} {kind} {num(update.orig_qty)} {update.symbol}" + (
        f"{price}{trigger}"
    )


def describe_cancelled(update: OrderUpdate) -> str:
    filled = f"; {num(update.executed_qty)} had filled" if update.executed_qty else ""
    return f"Cancelled {_what(update)}{filled}."


def local_refusal(refusal: Refusal) -> tuple[str, str]:
    """(code, message) of a refusal by the desk: nothing was sent."""
    reason = refusal.reason.rstrip()
    if not reason.endswith((".", "!", "?")):
        reason += "."
    return f"desk.{refusal.code}", f"{reason} The desk did not send it."


def exchange_refusal(error: ExchangeError, what: str) -> tuple[str, str]:
    """(code, message) of a refusal by Binance, with Binance's code (or the HTTP status when the
    answer carried none), and the reason in words."""
    if error.code:
        return (
            f"binance.{error.code}",
            f"Binance refused {what} (Binance code {error.code}): {error.reason}",
        )
    if error.http_status:
        return (
            f"binance.http.{error.http_status}",
            f"The exchange refused {what} (HTTP {error.http_status}, no Binance code): "
            f"{error.reason}",
        )
    return "binance.no_answer", f"No answer from the exchange for {what}: {error.reason}"
