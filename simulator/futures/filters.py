"""USD-M order checks that need no account state: the symbol's filters, in Binance's order,
and the fields every order request carries."""

from __future__ import annotations

import re
from decimal import Decimal

from simulator.core.errors import ApiError
from simulator.core.params import Params
from simulator.futures.order_types import fmt
from simulator.futures.symbols import FuturesSymbol

CLIENT_ID = re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,36}$")


def side_of(params: Params) -> str:
    side = params.required_text("side")
    if side not in ("BUY", "SELL"):
        raise ApiError(-1117, "Invalid side.")
    return side


POSITION_SIDES = ("BOTH", "LONG", "SHORT")


def position_side_of(params: Params, dual_side: bool) -> str:
    """`positionSide` as the account's mode wants it: BOTH (or absent) in one-way mode, LONG or
    SHORT in hedge mode (-4061 otherwise); `reduceOnly` cannot be sent in hedge mode."""
    side = params.text("positionSide", default="BOTH") or "BOTH"
    if side not in POSITION_SIDES:
        raise ApiError(-4060, "Invalid position side.")
    if (side != "BOTH") != dual_side:
        raise ApiError(-4061, "Order's position side does not match user's setting.")
    if dual_side and params.has("reduceOnly"):
        raise ApiError(-1106, "Parameter 'reduceonly' sent when not required.")
    return side


def check_position_side(params: Params, dual_side: bool = False) -> str:
    return position_side_of(params, dual_side)


def check_price(spec: FuturesSymbol, price: Decimal, stop: bool = False) -> None:
    if price <= 0:
        raise (
            ApiError(-4006, "Stop price less than zero.")
            if stop
            else ApiError(-4001, "Price less than 0.")
        )
    if price < spec.min_price:
        raise ApiError(-4013, "Price less than min price.")
    if price > spec.max_price:
        raise (
            ApiError(-4007, "Stop price greater than max price.")
            if stop
            else ApiError(-4002, "Price greater than max price.")
        )
    if (price - spec.min_price) % spec.tick_size != 0:
        raise ApiError(-4014, "Price not increased by tick size.")


def check_quantity(spec: FuturesSymbol, qty: Decimal, is_market: bool) -> None:
    if qty <= 0:
        raise ApiError(-4003, "Quantity less than zero.")
    if qty < spec.min_qty:
        raise ApiError(-4004, "Quantity less than min quantity.")
    if qty > (spec.market_max_qty if is_market else spec.max_qty):
        raise ApiError(-4005, "Quantity greater than max quantity.")
    if (qty - spec.min_qty) % spec.step_size != 0:
        raise ApiError(-4023, "Qty not increased by step size.")


def check_percent_price(spec: FuturesSymbol, side: str, price: Decimal, mark: Decimal) -> None:
    if side == "BUY" and price > mark * spec.multiplier_up:
        raise ApiError(-4016, "Price is higher than mark price multiplier cap.")
    if side == "SELL" and price < mark * spec.multiplier_down:
        raise ApiError(-4024, "Price is lower than mark price multiplier floor.")


def check_min_notional(spec: FuturesSymbol, qty: Decimal, price: Decimal) -> None:
    if qty * price < spec.min_notional:
        raise ApiError(
            -4164,
            f"Order's notional must be no smaller than {fmt(spec.min_notional)} "
            "(unless you choose reduce only)",
        )


def check_client_id(client_id: str) -> None:
    if len(client_id) > 36:
        raise ApiError(-4015, "Client order id length should not be more than 36 chars")
    if not CLIENT_ID.match(client_id):
        raise ApiError(-4015, "Client order id is not valid.")
