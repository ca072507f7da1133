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
    """(code, message) of a refusal by Binance, with Binance's code."""
    if error.code:
        return (
            f"binance.{error.code}",
            f"Binance refused {what} (code {error.code}): {error.reason}",
        )
    status = f"HTTP {error.http_status}" if error.http_status else "no answer"
    return (
        f"binance.http.{error.http_status or 0}",
        f"Binance refused {what} ({status}): {error.reason}",
    )
