"""Symbol filters: build `SymbolRules` from exchangeInfo, validate orders, round on request.

`validate_order` checks what Binance checks, in Binance's order: parameters first, then the
static filters in the order the symbol's exchangeInfo lists them, then the open-order counts.
Each violation carries the code and message Binance would answer with, and a reason with the
numbers. Nothing here rounds silently: `round_price` / `round_quantity` are an explicit step.

Grids: spot checks `value % step == 0` (since 2022/2023); USD-M documents
`(value - min) % step == 0`. The two agree whenever min is a multiple of step, which holds for
every symbol in the recorded exchangeInfo.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum
from typing import Any

from engine.models import (
    LotSizeFilter,
    MarketType,
    NotionalFilter,
    OrderFields,
    OrderType,
    PercentPriceFilter,
    PriceFilter,
    Side,
    SymbolRules,
    TimeInForce,
)

ZERO = Decimal(0)


class RoundingMode(StrEnum):
    DOWN = "down"
    UP = "up"
    NEAREST = "nearest"


_DECIMAL_ROUNDING = {
    RoundingMode.DOWN: ROUND_FLOOR,
    RoundingMode.UP: ROUND_CEILING,
    RoundingMode.NEAREST: ROUND_HALF_UP,
}


@dataclass(frozen=True)
class OrderSpec:
    """A plain `OrderFields` for callers (and tests) that have no `PlaceOrder` at hand."""

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
    close_position: bool = False


class ViolationKind(StrEnum):
    PARAMETER = "parameter"  # a value missing or not allowed for this order type
    PRECISION = "precision"  # more decimals than the asset allows
    TICK = "tick"  # price not on the tick grid
    STEP = "step"  # quantity not on the step grid
    RANGE = "range"  # below a minimum or above a maximum
    NOTIONAL = "notional"  # price x quantity out of range
    PERCENT_PRICE = "percent_price"  # price too far from the reference price
    COUNT = "count"  # too many open orders


@dataclass(frozen=True)
class Violation:
    filter: str  # Binance's filter name, or "PARAMETERS" for request-level checks
    kind: ViolationKind
    field: str  # our field name: price, stop_price, quantity, quote_quantity
    code: int  # the Binance error code the order would get
    binance_message: str
    reason: str  # for the trader, with the numbers


# --- exchangeInfo -> SymbolRules ----------------------------------------------------------------


def rules_from_symbol(market: MarketType, entry: Mapping[str, Any]) -> SymbolRules:
    """Rules of one `symbols[]` entry of spot or USD-M exchangeInfo."""
    filters = {f["filterType"]: f for f in entry["filters"]}
    return SymbolRules(
        market=market,
        symbol=entry["symbol"],
        price_filter=_price_filter(filters.get("PRICE_FILTER")),
        lot_size=_lot_size(filters.get("LOT_SIZE")),
        market_lot_size=_lot_size(filters.get("MARKET_LOT_SIZE")),
        notional_filters=tuple(_notional_filters(market, filters)),
        percent_price_filters=tuple(_percent_price_filters(market, filters)),
        max_num_orders=_count_limit(filters.get("MAX_NUM_ORDERS"), "maxNumOrders"),
        max_num_algo_orders=_count_limit(filters.get("MAX_NUM_ALGO_ORDERS"), "maxNumAlgoOrders"),
        price_precision=_precision(entry, market, "price"),
        quantity_precision=_precision(entry, market, "quantity"),
        quote_order_qty_market_allowed=bool(entry.get("quoteOrderQtyMarketAllowed", False)),
        filter_order=tuple(f["filterType"] for f in entry["filters"]),
    )


def _price_filter(raw: Mapping[str, Any] | None) -> PriceFilter | None:
    if raw is None:
        return None
    return PriceFilter(
        min_price=Decimal(raw["minPrice"]),
        max_price=Decimal(raw["maxPrice"]),
        tick_size=Decimal(raw["tickSize"]),
    )


def _lot_size(raw: Mapping[str, Any] | None) -> LotSizeFilter | None:
    if raw is None:
        return None
    return LotSizeFilter(
        min_qty=Decimal(raw["minQty"]),
        max_qty=Decimal(raw["maxQty"]),
        step_size=Decimal(raw["stepSize"]),
    )


def _notional_filters(
    market: MarketType, filters: Mapping[str, Mapping[str, Any]]
) -> Iterator[NotionalFilter]:
    legacy = filters.get("MIN_NOTIONAL")
    if legacy is not None and market is MarketType.FUTURES:
        yield NotionalFilter(
            filter_type="MIN_NOTIONAL",
            min_notional=Decimal(legacy["notional"]),
            reduce_only_exempt=True,
        )
    elif legacy is not None:
        yield NotionalFilter(
            filter_type="MIN_NOTIONAL",
            min_notional=Decimal(legacy["minNotional"]),
            apply_min_to_market=bool(legacy["applyToMarket"]),
            avg_price_mins=int(legacy.get("avgPriceMins", 0)),
        )
    current = filters.get("NOTIONAL")
    if current is not None:
        yield NotionalFilter(
            filter_type="NOTIONAL",
            min_notional=Decimal(current["minNotional"]),
            max_notional=Decimal(current["maxNotional"]),
            apply_min_to_market=bool(current["applyMinToMarket"]),
            apply_max_to_market=bool(current["applyMaxToMarket"]),
            avg_price_mins=int(current.get("avgPriceMins", 0)),
        )


def _percent_price_filters(
    market: MarketType, filters: Mapping[str, Mapping[str, Any]]
) -> Iterator[PercentPriceFilter]:
    plain = filters.get("PERCENT_PRICE")
    if plain is not None and market is MarketType.FUTURES:
        # USD-M caps BUY prices and floors SELL prices, against the mark price.
        yield PercentPriceFilter(
            filter_type="PERCENT_PRICE",
            bid_multiplier_up=Decimal(plain["multiplierUp"]),
            ask_multiplier_down=Decimal(plain["multiplierDown"]),
            multiplier_decimal=_optional_int(plain.get("multiplierDecimal")),
        )
    elif plain is not None:
        up, down = Decimal(plain["multiplierUp"]), Decimal(plain["multiplierDown"])
        yield PercentPriceFilter(
            filter_type="PERCENT_PRICE",
            bid_multiplier_up=up,
            bid_multiplier_down=down,
            ask_multiplier_up=up,
            ask_multiplier_down=down,
            avg_price_mins=int(plain.get("avgPriceMins", 0)),
        )
    by_side = filters.get("PERCENT_PRICE_BY_SIDE")
    if by_side is not None:
        yield PercentPriceFilter(
            filter_type="PERCENT_PRICE_BY_SIDE",
            bid_multiplier_up=Decimal(by_side["bidMultiplierUp"]),
            bid_multiplier_down=Decimal(by_side["bidMultiplierDown"]),
            ask_multiplier_up=Decimal(by_side["askMultiplierUp"]),
            ask_multiplier_down=Decimal(by_side["askMultiplierDown"]),
            avg_price_mins=int(by_side.get("avgPriceMins", 0)),
        )


def _count_limit(raw: Mapping[str, Any] | None, spot_key: str) -> int | None:
    if raw is None:
        return None
    return int(raw[spot_key] if spot_key in raw else raw["limit"])


def _precision(entry: Mapping[str, Any], market: MarketType, field: str) -> int | None:
    keys = {
        (MarketType.SPOT, "price"): "quotePrecision",
        (MarketType.SPOT, "quantity"): "baseAssetPrecision",
        (MarketType.FUTURES, "price"): "pricePrecision",
        (MarketType.FUTURES, "quantity"): "quantityPrecision",
    }
    return _optional_int(entry.get(keys[(market, field)]))


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


# --- grid arithmetic ----------------------------------------------------------------------------


def _grid_base(rules: SymbolRules, minimum: Decimal) -> Decimal:
    return minimum if rules.market is MarketType.FUTURES else ZERO


def _on_grid(value: Decimal, base: Decimal, step: Decimal) -> bool:
    if step == 0:
        return True
    with localcontext() as ctx:
        ctx.prec = 80
        return (value - base) % step == 0


def _snap(value: Decimal, base: Decimal, step: Decimal, mode: RoundingMode) -> Decimal:
    if step == 0:
        return value
    with localcontext() as ctx:
        ctx.prec = 80
        units = ((value - base) / step).to_integral_value(_DECIMAL_ROUNDING[mode])
        snapped = base + units * step
    exponent = min(_exponent(step), _exponent(base), 0)
    return snapped.quantize(Decimal(1).scaleb(exponent))


def _exponent(value: Decimal) -> int:
    return int(value.normalize().as_tuple().exponent) if value else 0


def _decimals(value: Decimal) -> int:
    return max(0, -_exponent(value))


def _fmt(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


def round_price(rules: SymbolRules, price: Decimal, mode: RoundingMode) -> Decimal:
    """The price on the symbol's tick grid, rounded as asked. Range is not clamped."""
    if rules.price_filter is None:
        return price
    pf = rules.price_filter
    return _snap(price, _grid_base(rules, pf.min_price), pf.tick_size, mode)


def round_quantity(
    rules: SymbolRules, qty: Decimal, mode: RoundingMode, market: bool = False
) -> Decimal:
    """The quantity on the step grid (MARKET_LOT_SIZE's when `market` and it has a step)."""
    lot = _lot_for(rules, market)
    if lot is None:
        return qty
    return _snap(qty, _grid_base(rules, lot.min_qty), lot.step_size, mode)


def _lot_for(rules: SymbolRules, market: bool) -> LotSizeFilter | None:
    if market and rules.market_lot_size is not None and rules.market_lot_size.step_size:
        return rules.market_lot_size
    return rules.lot_size


# --- validation -------------------------------------------------------------------------------

_SPOT_ALGO_TYPES = {
    OrderType.STOP_MARKET,
    OrderType.STOP_LIMIT,
    OrderType.TAKE_PROFIT_MARKET,
    OrderType.TAKE_PROFIT_LIMIT,
}
_FUTURES_ALGO_TYPES = _SPOT_ALGO_TYPES | {OrderType.TRAILING_STOP_MARKET}

_Check = Callable[[SymbolRules, OrderFields, Decimal | None], Iterator[Violation]]


def _is_futures(rules: SymbolRules) -> bool:
    return rules.market is MarketType.FUTURES


def _filter_failure(name: str) -> tuple[int, str]:
    return -1013, f"Filter failure: {name}"


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
    if _is_futures(rules) and order.close_position:
        yield from _close_position_conflicts(order)
    yield from _precision_violations(rules, order)


def _missing_values(order: OrderFields) -> Iterator[Violation]:
    needs_quantity = not order.close_position and order.quote_quantity is None
    required = {
        "quantity": (order.quantity, needs_quantity, "quantity"),
        "price": (order.price, order.order_type.has_limit_price, "price"),
        "stop_price": (order.stop_price, order.order_type.has_stop_price, "stopPrice"),
    }
    for field, (value, needed, wire_name) in required.items():
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
        if value is None or allowed is None or _decimals(value) <= allowed:
            continue
        if _is_futures(rules):
            message = "Precision is over the maximum defined for this asset."
        else:
            wire = {"price": "price", "stop_price": "stopPrice", "quantity": "quantity"}[field]
            message = f"Parameter '{wire}' has too much precision."
        reason = (
            f"{_label(field)} {_fmt(value)} has {_decimals(value)} decimals; "
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
        reason = f"{label} {_fmt(value)} is below the minimum price {_fmt(pf.min_price)}."
        yield Violation("PRICE_FILTER", ViolationKind.RANGE, field, code, message, reason)
    if pf.max_price and value > pf.max_price:
        futures_code = -4007 if field == "stop_price" else -4002
        code, message = _futures_or_spot(rules, futures_code, f"{label} greater than max price.")
        reason = f"{label} {_fmt(value)} is above the maximum price {_fmt(pf.max_price)}."
        yield Violation("PRICE_FILTER", ViolationKind.RANGE, field, code, message, reason)
    base = _grid_base(rules, pf.min_price)
    if not _on_grid(value, base, pf.tick_size):
        code, message = _futures_or_spot(rules, -4014, "Price not increased by tick size.")
        reason = (
            f"{label} {_fmt(value)} is not a multiple of the tick size {_fmt(pf.tick_size)}; "
            f"{_nearest(value, base, pf.tick_size)}"
        )
        yield Violation("PRICE_FILTER", ViolationKind.TICK, field, code, message, reason)


def _futures_or_spot(
    rules: SymbolRules, futures_code: int, futures_message: str
) -> tuple[int, str]:
    if _is_futures(rules):
        return futures_code, futures_message
    return _filter_failure("PRICE_FILTER")


def _nearest(value: Decimal, base: Decimal, step: Decimal) -> str:
    below = _snap(value, base, step, RoundingMode.DOWN)
    above = _snap(value, base, step, RoundingMode.UP)
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
    futures = _is_futures(rules)
    spot_answer = _filter_failure(name)
    if lot.min_qty and qty < lot.min_qty:
        code, message = (-4004, "Quantity less than min quantity.") if futures else spot_answer
        reason = f"Quantity {_fmt(qty)} is below the minimum {_fmt(lot.min_qty)}" + _for(name)
        yield Violation(name, ViolationKind.RANGE, "quantity", code, message, reason)
    if lot.max_qty and qty > lot.max_qty:
        code, message = (-4005, "Quantity greater than max quantity.") if futures else spot_answer
        reason = f"Quantity {_fmt(qty)} is above the maximum {_fmt(lot.max_qty)}" + _for(name)
        yield Violation(name, ViolationKind.RANGE, "quantity", code, message, reason)
    base = _grid_base(rules, lot.min_qty)
    if not _on_grid(qty, base, lot.step_size):
        code, message = (-4023, "Quantity not increased by step size.") if futures else spot_answer
        reason = (
            f"Quantity {_fmt(qty)} is not a multiple of the step size {_fmt(lot.step_size)}; "
            f"{_nearest(qty, base, lot.step_size)}"
        )
        yield Violation(name, ViolationKind.STEP, "quantity", code, message, reason)


def _for(name: str) -> str:
    return " for market orders." if name == "MARKET_LOT_SIZE" else "."


# MIN_NOTIONAL / NOTIONAL


def _notional_check(filter_type: str) -> _Check:
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
        yield _notional_violation(rules, nf, notional, nf.min_notional, below=True)
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
    if _is_futures(rules):
        code = -4164
        message = (
            f"Order's notional must be no smaller than {_fmt(limit)} "
            "(unless you choose reduce only)."
        )
    else:
        code, message = -1013, f"Filter failure: {nf.filter_type}"
    side = "below the minimum" if below else "above the maximum"
    reason = f"Order value {_fmt(notional)} (price x quantity) is {side} {_fmt(limit)}."
    return Violation(nf.filter_type, ViolationKind.NOTIONAL, "quantity", code, message, reason)


# PERCENT_PRICE / PERCENT_PRICE_BY_SIDE


def _percent_price_check(filter_type: str) -> _Check:
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
    what = "mark price" if _is_futures(rules) else "reference price"
    if up is not None and price > reference * up:
        code, message = _percent_answer(rules, pp, -4016, "Price is higher than mark price cap.")
        reason = (
            f"Price {_fmt(price)} is above {_fmt(reference * up)} "
            f"({_fmt(up)} x the {what} {_fmt(reference)})."
        )
        yield Violation(pp.filter_type, ViolationKind.PERCENT_PRICE, "price", code, message, reason)
    if down is not None and price < reference * down:
        code, message = _percent_answer(rules, pp, -4024, "Price is lower than mark price floor.")
        reason = (
            f"Price {_fmt(price)} is below {_fmt(reference * down)} "
            f"({_fmt(down)} x the {what} {_fmt(reference)})."
        )
        yield Violation(pp.filter_type, ViolationKind.PERCENT_PRICE, "price", code, message, reason)


def _percent_answer(
    rules: SymbolRules, pp: PercentPriceFilter, futures_code: int, futures_message: str
) -> tuple[int, str]:
    if _is_futures(rules):
        return futures_code, futures_message
    return _filter_failure(pp.filter_type)


# MAX_NUM_ORDERS / MAX_NUM_ALGO_ORDERS (engine checks, after the static filters)


def _count_violations(
    rules: SymbolRules,
    order: OrderFields,
    open_orders: int | None,
    open_algo_orders: int | None,
) -> Iterator[Violation]:
    futures = _is_futures(rules)
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


_STATIC_CHECKS: Mapping[str, _Check] = {
    "PRICE_FILTER": _price_filter_violations,
    "PERCENT_PRICE": _percent_price_check("PERCENT_PRICE"),
    "PERCENT_PRICE_BY_SIDE": _percent_price_check("PERCENT_PRICE_BY_SIDE"),
    "LOT_SIZE": _lot_size_violations,
    "MARKET_LOT_SIZE": _market_lot_size_violations,
    "MIN_NOTIONAL": _notional_check("MIN_NOTIONAL"),
    "NOTIONAL": _notional_check("NOTIONAL"),
}
