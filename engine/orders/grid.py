"""The symbol's price and quantity grids: on-grid checks and explicit rounding.

Grids: spot checks `value % step == 0` (since 2022/2023); USD-M documents
`(value - min) % step == 0`. The two agree whenever min is a multiple of step, which holds for
every symbol in the recorded exchangeInfo.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum

from engine.models import LotSizeFilter, MarketType, SymbolRules

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


def grid_base(rules: SymbolRules, minimum: Decimal) -> Decimal:
    return minimum if rules.market is MarketType.FUTURES else ZERO


def on_grid(value: Decimal, base: Decimal, step: Decimal) -> bool:
    if step == 0:
        return True
    with localcontext() as ctx:
        ctx.prec = 80
        return (value - base) % step == 0


def snap(value: Decimal, base: Decimal, step: Decimal, mode: RoundingMode) -> Decimal:
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


def decimals_of(value: Decimal) -> int:
    return max(0, -_exponent(value))


def plain(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


def round_price(rules: SymbolRules, price: Decimal, mode: RoundingMode) -> Decimal:
    """The price on the symbol's tick grid, rounded as asked. Range is not clamped."""
    if rules.price_filter is None:
        return price
    pf = rules.price_filter
    return snap(price, grid_base(rules, pf.min_price), pf.tick_size, mode)


def round_quantity(
    rules: SymbolRules, qty: Decimal, mode: RoundingMode, market: bool = False
) -> Decimal:
    """The quantity on the step grid (MARKET_LOT_SIZE's when `market` and it has a step)."""
    lot = lot_for(rules, market)
    if lot is None:
        return qty
    return snap(qty, grid_base(rules, lot.min_qty), lot.step_size, mode)


def lot_for(rules: SymbolRules, market: bool) -> LotSizeFilter | None:
    if market and rules.market_lot_size is not None and rules.market_lot_size.step_size:
        return rules.market_lot_size
    return rules.lot_size
