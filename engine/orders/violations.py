"""A broken symbol rule: which filter, which field, Binance's code and message, our reason."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from engine.models import MarketType, OrderFields, SymbolRules


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


Check = Callable[[SymbolRules, OrderFields, Decimal | None], Iterator[Violation]]


def is_futures(rules: SymbolRules) -> bool:
    return rules.market is MarketType.FUTURES


def filter_failure(name: str) -> tuple[int, str]:
    return -1013, f"Filter failure: {name}"


def for_filter(name: str) -> str:
    return " for market orders." if name == "MARKET_LOT_SIZE" else "."


# MIN_NOTIONAL / NOTIONAL
