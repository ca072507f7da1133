"""Symbol filters: validate orders against `SymbolRules` and round on request (pure).

`validate_order` checks what Binance checks, in Binance's order: parameters first, then the
static filters in the order the symbol's exchangeInfo lists them, then the open-order counts.
Each violation carries the code and message Binance would answer with, and a reason with the
numbers. Nothing here rounds silently: `round_price` / `round_quantity` are an explicit step.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal

from engine.binance.params import PARAMETER_NAMES
from engine.models import (
    LotSizeFilter,
    OrderFields,
    OrderType,
    PriceFilter,
    SymbolRules,
)
from engine.orders.grid import (
    RoundingMode,
    decimals_of,
    grid_base,
    on_grid,
    plain,
    snap,
)
from engine.orders.value_filters import notional_check, percent_price_check
from engine.orders.violations import (
    Check,
    Violation,
    ViolationKind,
    filter_failure,
    for_filter,
    is_futures,
)

ZERO = Decimal(0)

# --- validation -------------------------------------------------------------------------------

_SPOT_ALGO_TYPES = {
    OrderType.STOP_MARKET,
    OrderType.STOP_LIMIT,
    OrderType.TAKE_PROFIT_MARKET,
    OrderType.TAKE_PROFIT_LIMIT,
}
_FUTURES_ALGO_TYPES = _SPOT_ALGO_TYPES | {OrderType.TRAILING_STOP_MARKET}


def validate_order(
    rules: SymbolRules,
    order: OrderFields,
    reference_price: Decimal | None = None,
    *,
    open_orders: int | None = None,
    open_algo_orders: int | None = None,
) -> list[Violation]:
    """Every rule of `rules` the order breaks, in the order Binance checks them.

    `reference_price` is what Binance compares with: spot's reference price (or the average
    price over `avgPriceMins`), USD-M's mark price. Without it, the percent-price checks and
    the notional check of orders without a price are skipped. Open-order counts are checked
    only when given (they count orders already open, not this one).
    """
    violations = list(_parameter_violations(rules, order))
    for filter_type in rules.filter_order:
        check = _STATIC_CHECKS.get(filter_type)
        if check is not None:
            violations.extend(check(rules, order, reference_price))
    violations.extend(_count_violations(rules, order, open_orders, open_algo_orders))
    return violations


def _parameter_violations(rules: SymbolRules, order: OrderFields) -> Iterator[Violation]:
    yield from _missing_values(order)
    if order.quote_quantity is not None and not rules.quote_order_qty_market_allowed:
        message = "Quote order qty market orders are not support for this symbol."
        reason = "This pair does not accept market orders by quote amount; give a quantity."
        yield Violation(
            "PARAMETERS", ViolationKind.PARAMETER, "quote_quantity", -2010, message, reason
        )
    if is_futures(rules) and order.close_position:
        yield from _close_position_conflicts(order)
    yield from _precision_violations(rules, order)


def _missing_values(order: OrderFields) -> Iterator[Violation]:
    needs_quantity = not order.close_position and order.quote_quantity is None
    required = {
        "quantity": (order.quantity, needs_quantity),
        "price": (order.price, order.order_type.has_limit_price),
        "stop_price": (order.stop_price, order.order_type.has_stop_price),
    }
    for field, (value, needed) in required.items():
        wire_name = PARAMETER_NAMES[field]
        if needed and value is None:
            message = (
                f"Mandatory parameter '{wire_name}' was not sent, was empty/null, or malformed."
            )
            reason = f"A {order.order_type} order needs a {field.replace('_', ' ')}."
            yield Violation("PARAMETERS", ViolationKind.PARAMETER, field, -1102, message, reason)
    if order.price is not None and not order.order_type.has_limit_price:
        message = "Parameter 'price' sent when not required."
        reason = f"A {order.order_type} order takes no limit price."
        yield Violation("PARAMETERS", ViolationKind.PARAMETER, "price", -1106, message, reason)


def _close_position_conflicts(order: OrderFields) -> Iterator[Violation]:
    if order.quantity is not None:
        message = "Quantity must be zero with closePosition equals true."
        reason = "Closing the whole position takes no quantity."
        yield Violation("PARAMETERS", ViolationKind.PARAMETER, "quantity", -4137, message, reason)
    if order.reduce_only:
        message = "Reduce only must be true with closePosition equals true."
        reason = "Closing the whole position cannot be combined with reduce-only."
        yield Violation(
            "PARAMETERS", ViolationKind.PARAMETER, "reduce_only", -4138, message, reason
        )


def _precision_violations(rules: SymbolRules, order: OrderFields) -> Iterator[Violation]:
    checks = (
        ("price", order.price, rules.price_precision),
        ("stop_price", order.stop_price, rules.price_precision),
        ("quantity", order.quantity, rules.quantity_precision),
    )
    for field, value, allowed in checks:
        if value is None or allowed is None or decimals_of(value) <= allowed:
            continue
        if is_futures(rules):
            message = "Precision is over the maximum defined for this asset."
        else:
            message = f"Parameter '{PARAMETER_NAMES[field]}' has too much precision."
        reason = (
            f"{_label(field)} {plain(value)} has {decimals_of(value)} decimals; "
            f"this pair allows at most {allowed}."
        )
        yield Violation("PARAMETERS", ViolationKind.PRECISION, field, -1111, message, reason)


def _label(field: str) -> str:
    return {
        "price": "Price",
        "stop_price": "Stop price",
        "quantity": "Quantity",
        "quote_quantity": "Quote amount",
    }[field]


# PRICE_FILTER


def _price_filter_violations(
    rules: SymbolRules, order: OrderFields, reference_price: Decimal | None
) -> Iterator[Violation]:
    if rules.price_filter is None:
        return
    for field, value in (("price", order.price), ("stop_price", order.stop_price)):
        if value is not None:
            yield from _price_violations(rules, rules.price_filter, field, value)


def _price_violations(
    rules: SymbolRules, pf: PriceFilter, field: str, value: Decimal
) -> Iterator[Violation]:
    label = _label(field)
    if pf.min_price and value < pf.min_price:
        code, message = _futures_or_spot(rules, -4013, "Price less than min price.")
        reason = f"{label} {plain(value)} is below the minimum price {plain(pf.min_price)}."
        yield Violation("PRICE_FILTER", ViolationKind.RANGE, field, code, message, reason)
    if pf.max_price and value > pf.max_price:
        futures_code = -4007 if field == "stop_price" else -4002
        code, message = _futures_or_spot(rules, futures_code, f"{label} greater than max price.")
        reason = f"{label} {plain(value)} is above the maximum price {plain(pf.max_price)}."
        yield Violation("PRICE_FILTER", ViolationKind.RANGE, field, code, message, reason)
    base = grid_base(rules, pf.min_price)
    if not on_grid(value, base, pf.tick_size):
        code, message = _futures_or_spot(rules, -4014, "Price not increased by tick size.")
        reason = (
            f"{label} {plain(value)} is not a multiple of the tick size {plain(pf.tick_size)}; "
            f"{_nearest(value, base, pf.tick_size)}"
        )
        yield Violation("PRICE_FILTER", ViolationKind.TICK, field, code, message, reason)


def _futures_or_spot(
    rules: SymbolRules, futures_code: int, futures_message: str
) -> tuple[int, str]:
    if is_futures(rules):
        return futures_code, futures_message
    return filter_failure("PRICE_FILTER")


def _nearest(value: Decimal, base: Decimal, step: Decimal) -> str:
    below = snap(value, base, step, RoundingMode.DOWN)
    above = snap(value, base, step, RoundingMode.UP)
    if below <= 0:  # zero is never a valid price or quantity
        return f"nearest valid: {format(above, 'f')}"
    return f"nearest valid: {format(below, 'f')} or {format(above, 'f')}"


# LOT_SIZE / MARKET_LOT_SIZE


def _lot_size_violations(
    rules: SymbolRules, order: OrderFields, reference_price: Decimal | None
) -> Iterator[Violation]:
    if rules.lot_size is not None and order.quantity is not None:
        yield from _quantity_violations(rules, "LOT_SIZE", rules.lot_size, order.quantity)


def _market_lot_size_violations(
    rules: SymbolRules, order: OrderFields, reference_price: Decimal | None
) -> Iterator[Violation]:
    if rules.market_lot_size is None or order.quantity is None:
        return
    if order.order_type is OrderType.MARKET:
        yield from _quantity_violations(
            rules, "MARKET_LOT_SIZE", rules.market_lot_size, order.quantity
        )


def _quantity_violations(
    rules: SymbolRules, name: str, lot: LotSizeFilter, qty: Decimal
) -> Iterator[Violation]:
    futures = is_futures(rules)
    spot_answer = filter_failure(name)
    if lot.min_qty and qty < lot.min_qty:
        code, message = (-4004, "Quantity less than min quantity.") if futures else spot_answer
        reason = f"Quantity {plain(qty)} is below the minimum {plain(lot.min_qty)}" + for_filter(
            name
        )
        yield Violation(name, ViolationKind.RANGE, "quantity", code, message, reason)
    if lot.max_qty and qty > lot.max_qty:
        code, message = (-4005, "Quantity greater than max quantity.") if futures else spot_answer
        reason = f"Quantity {plain(qty)} is above the maximum {plain(lot.max_qty)}" + for_filter(
            name
        )
        yield Violation(name, ViolationKind.RANGE, "quantity", code, message, reason)
    base = grid_base(rules, lot.min_qty)
    if not on_grid(qty, base, lot.step_size):
        code, message = (-4023, "Quantity not increased by step size.") if futures else spot_answer
        reason = (
            f"Quantity {plain(qty)} is not a multiple of the step size {plain(lot.step_size)}; "
            f"{_nearest(qty, base, lot.step_size)}"
        )
        yield Violation(name, ViolationKind.STEP, "quantity", code, message, reason)


def _count_violations(
    rules: SymbolRules,
    order: OrderFields,
    open_orders: int | None,
    open_algo_orders: int | None,
) -> Iterator[Violation]:
    futures = is_futures(rules)
    limit = rules.max_num_orders
    if open_orders is not None and limit is not None and open_orders + 1 > limit:
        code, message = (
            (-2025, "Reach max open order limit.")
            if futures
            else (-2010, "Filter failure: MAX_NUM_ORDERS")
        )
        reason = f"This pair allows {limit} open orders and {open_orders} are open."
        yield Violation("MAX_NUM_ORDERS", ViolationKind.COUNT, "", code, message, reason)
    algo_types = _FUTURES_ALGO_TYPES if futures else _SPOT_ALGO_TYPES
    limit = rules.max_num_algo_orders
    if order.order_type not in algo_types or open_algo_orders is None or limit is None:
        return
    if open_algo_orders + 1 > limit:
        code, message = (
            (-4045, "Reach max stop order limit.")
            if futures
            else (-2010, "Filter failure: MAX_NUM_ALGO_ORDERS")
        )
        reason = (
            f"This pair allows {limit} open stop/take-profit orders and "
            f"{open_algo_orders} are open."
        )
        yield Violation("MAX_NUM_ALGO_ORDERS", ViolationKind.COUNT, "", code, message, reason)


_STATIC_CHECKS: Mapping[str, Check] = {
    "PRICE_FILTER": _price_filter_violations,
    "PERCENT_PRICE": percent_price_check("PERCENT_PRICE"),
    "PERCENT_PRICE_BY_SIDE": percent_price_check("PERCENT_PRICE_BY_SIDE"),
    "LOT_SIZE": _lot_size_violations,
    "MARKET_LOT_SIZE": _market_lot_size_violations,
    "MIN_NOTIONAL": notional_check("MIN_NOTIONAL"),
    "NOTIONAL": notional_check("NOTIONAL"),
}
