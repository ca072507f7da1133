"""What order books are made of: a level (price, quantity) and flooring to a step.

The books themselves, with state, are simulator/feeds/orderbook.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal


def floor_to(value: Decimal, step: Decimal) -> Decimal:
    if step == 0:
        return value
    return (value / step).to_integral_value(rounding=ROUND_DOWN) * step


@dataclass(frozen=True, slots=True)
class Level:
    price: Decimal
    qty: Decimal
