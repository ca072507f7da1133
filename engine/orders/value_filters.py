"""The filters on an order's value: (MIN_)NOTIONAL and PERCENT_PRICE(_BY_SIDE)."""

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal

from engine.models import (
    NotionalFilter,
    OrderFields,
    OrderType,
    PercentPriceFilter,
    Side,
    SymbolRules,
)
from engine.orders.grid import (
    plain,
)
from engine.orders.violations import (
    Check,
    Violation,
    ViolationKind,
    filter_failure,
    is_futures,
)


def notional_check(filter_type: str) -> Check:
    def check(
        rules: SymbolRules, order: OrderFields, reference_price: Decimal | None
    ) -> Iterator[Violation]:
        for nf in rules.notional_filters:
            if nf.filter_type == filter_type:
                yield from _one_notional(rules, nf, order, reference_price)

    return check


def _one_notional(
    rules: SymbolRules, nf: NotionalFilter, order: OrderFields, reference_price: Decimal | None
) -> Iterator[Violation]:
    if nf.reduce_only_exempt and (order.reduce_only or order.close_position):
        return
    notional = _notional_of(order, reference_price)
    if notional is None:
        return
    is_market = order.order_type is OrderType.MARKET
    if nf.min_notional and notional < nf.min_notional and (not is_market or nf.apply_min_to_market):
        violation = _notional_violation(rules, nf, notional, nf.min_notional, below=True)
        yield _with_minimum_quantity(violation, rules, order, notional, nf.min_notional)
    if nf.max_notional and notional > nf.max_notional and (not is_market or nf.apply_max_to_market):
        yield _notional_violation(rules, nf, notional, nf.max_notional, below=False)


def _notional_of(order: OrderFields, reference_price: Decimal | None) -> Decimal | None:
    """price x quantity with the price Binance uses; a stop-market order uses its stop price."""
    if order.quote_quantity is not None:
        return order.quote_quantity
    if order.quantity is None:
        return None
    price = order.price or order.stop_price
    if order.order_type is OrderType.MARKET or price is None:
        price = reference_price
    return None if price is None else price * order.quantity


def _notional_violation(
    rules: SymbolRules, nf: NotionalFilter, notional: Decimal, limit: Decimal, *, below: bool
) -> Violation:
    if is_futures(rules):
        code = -4164
        message = (
            f"Order's notional must be no smaller than {plain(limit)} "
            "(unless you choose reduce only)."
        )
    else:
        code, message = -1013, f"Filter failure: {nf.filter_type}"
    side = "below the minimum" if below else "above the maximum"
    reason = f"Order value {plain(notional)} (price x quantity) is {side} {plain(limit)}."
    return Violation(nf.filter_type, ViolationKind.NOTIONAL, "quantity", code, message, reason)


def _with_minimum_quantity(
    violation: Violation, rules: SymbolRules, order: OrderFields, notional: Decimal, limit: Decimal
) -> Violation:
    """Say which quantity reaches the minimum value at this price (on the step grid, up)."""
    if order.quantity is None or not order.quantity or rules.lot_size is None:
        return violation
    price = notional / order.quantity
    step = rules.lot_size.step_size
    needed = -(-limit / price // step) * step if step else limit / price
    extra = f" At this price that takes a quantity of at least {plain(needed.normalize())}."
    return replace(violation, reason=violation.reason + extra)


# PERCENT_PRICE / PERCENT_PRICE_BY_SIDE


def percent_price_check(filter_type: str) -> Check:
    def check(
        rules: SymbolRules, order: OrderFields, reference_price: Decimal | None
    ) -> Iterator[Violation]:
        if order.price is None or not reference_price:
            return
        for pp in rules.percent_price_filters:
            if pp.filter_type == filter_type:
                yield from _one_percent_price(rules, pp, order.side, order.price, reference_price)

    return check


def _one_percent_price(
    rules: SymbolRules, pp: PercentPriceFilter, side: Side, price: Decimal, reference: Decimal
) -> Iterator[Violation]:
    buy = side is Side.BUY
    up = pp.bid_multiplier_up if buy else pp.ask_multiplier_up
    down = pp.bid_multiplier_down if buy else pp.ask_multiplier_down
    what = "mark price" if is_futures(rules) else "reference price"
    if up is not None and price > reference * up:
        code, message = _percent_answer(rules, pp, -4016, "Price is higher than mark price cap.")
        reason = (
            f"Price {plain(price)} is above {plain(reference * up)} "
            f"({plain(up)} x the {what} {plain(reference)})."
        )
        yield Violation(pp.filter_type, ViolationKind.PERCENT_PRICE, "price", code, message, reason)
    if down is not None and price < reference * down:
        code, message = _percent_answer(rules, pp, -4024, "Price is lower than mark price floor.")
        reason = (
            f"Price {plain(price)} is below {plain(reference * down)} "
            f"({plain(down)} x the {what} {plain(reference)})."
        )
        yield Violation(pp.filter_type, ViolationKind.PERCENT_PRICE, "price", code, message, reason)


def _percent_answer(
    rules: SymbolRules, pp: PercentPriceFilter, futures_code: int, futures_message: str
) -> tuple[int, str]:
    if is_futures(rules):
        return futures_code, futures_message
    return filter_failure(pp.filter_type)


# MAX_NUM_ORDERS / MAX_NUM_ALGO_ORDERS (engine checks, after the static filters)
