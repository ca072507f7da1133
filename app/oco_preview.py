"""The OCO ticket's preview: both legs as the exchange will take them, before anything is sent.

Prices snap to the symbol's tick (nearest) and the quantity to its step (down), with the
engine's own code; then the engine's own checks say what the rounded OCO still breaks: the
prices against the last price (SELL: take-profit above, stop below; BUY: the reverse) and
each leg against the symbol's filters. Pure: no Streamlit, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from pydantic import ValidationError

from engine.models import Side, TradingPair
from engine.orders.commands import PlaceOco
from engine.orders.component import SPOT_TAKER_FEE
from engine.orders.filters import validate_order
from engine.orders.grid import RoundingMode, round_price, round_quantity
from engine.orders.oco import check_oco_prices, legs


@dataclass(frozen=True)
class OcoTicket:
    """What the trader typed for an OCO (None: not given). No stop-limit: a stop-market."""

    symbol: str
    side: Side
    quantity: Decimal | None
    take_profit_price: Decimal | None
    stop_price: Decimal | None
    stop_limit_price: Decimal | None = None


@dataclass(frozen=True)
class Leg:
    """One leg as the exchange will take it."""

    name: str  # "Take-profit" or "Stop-loss"
    order_type: str  # as Binance names it: LIMIT_MAKER, STOP_LOSS, STOP_LOSS_LIMIT
    price: Decimal | None  # the limit price (None: at market once triggered)
    trigger: Decimal | None
    quantity: Decimal | None
    notional: Decimal | None


@dataclass(frozen=True)
class OcoPreview:
    legs: tuple[Leg, ...]
    fee: Decimal | None  # at most: one leg executes, at the larger notional, as a taker
    adjustments: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    command: PlaceOco | None = field(default=None, compare=False)

    @property
    def ok(self) -> bool:
        return self.command is not None and not self.problems


def preview_oco(ticket: OcoTicket, pair: TradingPair, reference: Decimal | None) -> OcoPreview:
    """Round the OCO to the symbol's grid, then check it as the engine will; never raises."""
    rounded, notes = _rounded(ticket, pair)
    command, problems = _command(rounded)
    if command is not None:
        refusal = check_oco_prices(command, reference)
        problems = [refusal.reason] if refusal is not None else []
        for leg, name in zip(legs(command), ("Take-profit", "Stop-loss"), strict=True):
            problems += [f"{name}: {v.reason}" for v in validate_order(pair.rules, leg, reference)]
    both = _legs(rounded)
    notionals = [leg.notional for leg in both if leg.notional is not None]
    fee = max(notionals) * SPOT_TAKER_FEE if notionals else None
    return OcoPreview(both, fee, tuple(notes), tuple(problems), command)


def _legs(t: OcoTicket) -> tuple[Leg, Leg]:
    def notional(price: Decimal | None) -> Decimal | None:
        return t.quantity * price if t.quantity is not None and price is not None else None

    stop_type = "STOP_LOSS_LIMIT" if t.stop_limit_price is not None else "STOP_LOSS"
    stop_at = t.stop_limit_price or t.stop_price
    return (
        Leg("Take-profit", "LIMIT_MAKER", t.take_profit_price, None, t.quantity,
            notional(t.take_profit_price)),
        Leg("Stop-loss", stop_type, t.stop_limit_price, t.stop_price, t.quantity,
            notional(stop_at)),
    )  # fmt: skip


def _rounded(ticket: OcoTicket, pair: TradingPair) -> tuple[OcoTicket, list[str]]:
    rules, notes = pair.rules, []

    def price(value: Decimal | None) -> Decimal | None:
        return _snap(value, round_price(rules, value, RoundingMode.NEAREST) if value else None)

    qty = ticket.quantity
    rounded_qty = _snap(qty, round_quantity(rules, qty, RoundingMode.DOWN, False) if qty else None)
    after = OcoTicket(
        ticket.symbol, ticket.side, rounded_qty, price(ticket.take_profit_price),
        price(ticket.stop_price), price(ticket.stop_limit_price),
    )  # fmt: skip
    for name, before, now in (
        ("take-profit price", ticket.take_profit_price, after.take_profit_price),
        ("stop price", ticket.stop_price, after.stop_price),
        ("stop-limit price", ticket.stop_limit_price, after.stop_limit_price),
        ("quantity", ticket.quantity, after.quantity),
    ):
        if before is not None and now is not None and before != now:
            notes.append(f"{name} {_plain(before)} → {_plain(now)} (the symbol's grid)")
    return after, notes


def _snap(value: Decimal | None, rounded: Decimal | None) -> Decimal | None:
    if value is None or rounded is None:
        return value
    return rounded if rounded > 0 else value  # below one step: keep it, the rules will say so


def _command(t: OcoTicket) -> tuple[PlaceOco | None, list[str]]:
    missing = [name for name, value in (("a quantity", t.quantity),
               ("a take-profit price", t.take_profit_price), ("a stop price", t.stop_price))
               if value is None]  # fmt: skip
    if missing:
        return None, [f"Enter {', '.join(missing)}."]
    try:
        command = PlaceOco(
            actor="preview", symbol=t.symbol, side=t.side, quantity=t.quantity,
            take_profit_price=t.take_profit_price, stop_price=t.stop_price,
            stop_limit_price=t.stop_limit_price,
        )  # fmt: skip
    except ValidationError as exc:
        return None, [str(e.get("msg", "")).removeprefix("Value error, ") for e in exc.errors()]
    return command, []


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")
