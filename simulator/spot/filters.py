"""Binance spot symbol filters, checked on the exact decimals as sent (see binance-api.md §1.1)."""

from __future__ import annotations

from decimal import Decimal

from simulator.core.errors import filter_failure
from simulator.spot.symbols import SymbolSpec

ZERO = Decimal(0)
LIMIT_TYPES = ("LIMIT", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT")


def is_multiple(value: Decimal, step: Decimal) -> bool:
    return step == 0 or value % step == 0


def check_price(spec: SymbolSpec, price: Decimal) -> None:
    """PRICE_FILTER, for `price` and `stopPrice` alike."""
    if price <= 0 or price < spec.min_price or price > spec.max_price:
        raise filter_failure("PRICE_FILTER")
    if not is_multiple(price, spec.tick_size):
        raise filter_failure("PRICE_FILTER")


def check_lot(spec: SymbolSpec, quantity: Decimal) -> None:
    if quantity < spec.min_qty or quantity > spec.max_qty:
        raise filter_failure("LOT_SIZE")
    if not is_multiple(quantity, spec.step_size):
        raise filter_failure("LOT_SIZE")


def check_market_lot(spec: SymbolSpec, quantity: Decimal) -> None:
    """MARKET_LOT_SIZE as served: minQty and stepSize 0 (off), a maxQty cap."""
    if quantity <= 0 or quantity > spec.market_max_qty:
        raise filter_failure("MARKET_LOT_SIZE")


def check_percent_price(spec: SymbolSpec, side: str, price: Decimal, reference: Decimal) -> None:
    """PERCENT_PRICE_BY_SIDE; the simulator serves the same multipliers for bids and asks."""
    low, high = reference * spec.multiplier_down, reference * spec.multiplier_up
    if reference > 0 and not (low <= price <= high):
        raise filter_failure("PERCENT_PRICE_BY_SIDE")


def check_notional(spec: SymbolSpec, notional: Decimal, is_market: bool) -> None:
    """NOTIONAL: min applies to market orders (applyMinToMarket true), max does not."""
    if notional < spec.min_notional:
        raise filter_failure("NOTIONAL")
    if not is_market and notional > spec.max_notional:
        raise filter_failure("NOTIONAL")


def check_static(
    spec: SymbolSpec,
    order_type: str,
    side: str,
    quantity: Decimal | None,
    quote_qty: Decimal | None,
    price: Decimal | None,
    stop_price: Decimal | None,
    reference: Decimal,
) -> None:
    """Every filter that needs no account state, in Binance's order."""
    if price is not None:
        check_price(spec, price)
    if stop_price is not None:
        check_price(spec, stop_price)
    if price is not None and order_type in LIMIT_TYPES:
        check_percent_price(spec, side, price, reference)
    if quantity is not None:
        check_lot(spec, quantity)
        if order_type in ("MARKET", "STOP_LOSS", "TAKE_PROFIT"):
            check_market_lot(spec, quantity)
    is_market = order_type in ("MARKET", "STOP_LOSS", "TAKE_PROFIT")
    if quote_qty is not None:
        check_notional(spec, quote_qty, is_market=True)
    elif quantity is not None:
        unit_price = price if (price is not None and not is_market) else (stop_price or reference)
        check_notional(spec, quantity * unit_price, is_market)
