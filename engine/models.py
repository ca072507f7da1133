"""Domain models shared by the engine and the UI.

These are our own types: Binance's wire names and shapes stay in `engine.binance`, which turns
Binance JSON into these in one named step per type (`engine/binance/schemas.py`).
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    """Base for immutable domain values."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class MarketType(StrEnum):
    SPOT = "spot"
    FUTURES = "futures"  # USD-M perpetuals


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class OrderType(StrEnum):
    """One vocabulary for both markets; the adapter maps it onto each market's names.

    Spot: STOP_MARKET -> STOP_LOSS, STOP_LIMIT -> STOP_LOSS_LIMIT, TAKE_PROFIT_MARKET ->
    TAKE_PROFIT, TAKE_PROFIT_LIMIT -> TAKE_PROFIT_LIMIT, LIMIT + post_only -> LIMIT_MAKER.
    Futures: STOP_LIMIT -> STOP, TAKE_PROFIT_LIMIT -> TAKE_PROFIT (both through the algo service).
    """

    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP_MARKET = "STOP_MARKET"
    STOP_LIMIT = "STOP_LIMIT"
    TAKE_PROFIT_MARKET = "TAKE_PROFIT_MARKET"
    TAKE_PROFIT_LIMIT = "TAKE_PROFIT_LIMIT"
    TRAILING_STOP_MARKET = "TRAILING_STOP_MARKET"  # futures only

    @property
    def has_limit_price(self) -> bool:
        return self in (OrderType.LIMIT, OrderType.STOP_LIMIT, OrderType.TAKE_PROFIT_LIMIT)

    @property
    def has_stop_price(self) -> bool:
        return self in (
            OrderType.STOP_MARKET,
            OrderType.STOP_LIMIT,
            OrderType.TAKE_PROFIT_MARKET,
            OrderType.TAKE_PROFIT_LIMIT,
        )


class TimeInForce(StrEnum):
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"


class OrderStatus(StrEnum):
    PENDING_NEW = "PENDING_NEW"  # written locally, not yet acknowledged by the exchange
    NEW = "NEW"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    UNKNOWN = "UNKNOWN"  # sent, outcome not known yet (timeout, 5xx, dropped connection)

    @property
    def is_open(self) -> bool:
        return self in (
            OrderStatus.PENDING_NEW,
            OrderStatus.NEW,
            OrderStatus.PARTIALLY_FILLED,
            OrderStatus.UNKNOWN,
        )


class MarginType(StrEnum):
    ISOLATED = "ISOLATED"
    CROSSED = "CROSSED"


class Environment(StrEnum):
    SIM = "sim"
    TESTNET = "testnet"
    LIVE = "live"


class Kline(Frozen):
    market: MarketType
    symbol: str
    interval: str
    open_time: int  # ms since epoch, UTC
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    close_time: int
    quote_volume: Decimal = Decimal(0)
    trades: int = 0
    is_closed: bool = True
