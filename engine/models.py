"""Domain models shared by the engine and the UI.

These are our own types: Binance's wire names and shapes stay in `engine.binance`, which turns
Binance JSON into these in one named step per type (`engine/binance/schemas.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, field_serializer


def plain_decimal(value: Decimal) -> str:
    """A decimal as a person writes it: 0 not 0E-8, 10 not 1E+1 (JSON and the API's schema)."""
    return format(value.normalize(), "f") if value.is_finite() else str(value)


class PlainDecimals(BaseModel):
    """In JSON, decimals as a person writes them (`plain_decimal`), every field."""

    @field_serializer("*", mode="wrap", when_used="json")
    def _plain(self, value: Any, handler: SerializerFunctionWrapHandler) -> Any:
        return plain_decimal(value) if isinstance(value, Decimal) else handler(value)


class Frozen(PlainDecimals):
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
        return self in (OrderStatus.PENDING_NEW, OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED,
                        OrderStatus.UNKNOWN)  # fmt: skip


OPEN_STATUSES: frozenset[str] = frozenset(s.value for s in OrderStatus if s.is_open)


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


# --- Symbol rules (Binance exchangeInfo filters), as the engine validates against them ---------


class PriceFilter(Frozen):
    """PRICE_FILTER. A zero turns that check off."""

    min_price: Decimal
    max_price: Decimal
    tick_size: Decimal


class LotSizeFilter(Frozen):
    """LOT_SIZE or MARKET_LOT_SIZE. A zero turns that check off."""

    min_qty: Decimal
    max_qty: Decimal
    step_size: Decimal


class NotionalFilter(Frozen):
    """Spot MIN_NOTIONAL (legacy) / NOTIONAL, or USD-M MIN_NOTIONAL (`notional`)."""

    filter_type: str
    min_notional: Decimal | None = None
    max_notional: Decimal | None = None
    apply_min_to_market: bool = True
    apply_max_to_market: bool = False
    avg_price_mins: int = 0
    reduce_only_exempt: bool = False  # USD-M: reduce-only and close-position orders are exempt


class PercentPriceFilter(Frozen):
    """PERCENT_PRICE / PERCENT_PRICE_BY_SIDE: price bounds as multiples of a reference price.

    A None bound is not checked (USD-M caps only BUY prices and floors only SELL prices).
    """

    filter_type: str
    bid_multiplier_up: Decimal | None = None
    bid_multiplier_down: Decimal | None = None
    ask_multiplier_up: Decimal | None = None
    ask_multiplier_down: Decimal | None = None
    avg_price_mins: int = 0
    multiplier_decimal: int | None = None


class SymbolRules(Frozen):
    """What the exchange accepts for one symbol, from its exchangeInfo entry."""

    market: MarketType
    symbol: str
    price_filter: PriceFilter | None = None
    lot_size: LotSizeFilter | None = None
    market_lot_size: LotSizeFilter | None = None
    notional_filters: tuple[NotionalFilter, ...] = ()
    percent_price_filters: tuple[PercentPriceFilter, ...] = ()
    max_num_orders: int | None = None
    max_num_algo_orders: int | None = None
    price_precision: int | None = None  # most decimals a price may have (-1111 beyond)
    quantity_precision: int | None = None
    quote_order_qty_market_allowed: bool = False
    filter_order: tuple[str, ...] = ()  # filter types in the order exchangeInfo lists them


class TradingPair(Frozen):
    market: MarketType
    symbol: str
    base: str
    quote: str
    status: str  # Binance's symbol status: TRADING, BREAK, HALT, CANCEL_ONLY, ...
    rules: SymbolRules

    @property
    def is_trading(self) -> bool:
        return self.status == "TRADING"


# --- Market data -------------------------------------------------------------------------------


class Ticker(Frozen):
    """24-hour rolling statistics of one symbol."""

    market: MarketType
    symbol: str
    last: Decimal
    open: Decimal
    high: Decimal
    low: Decimal
    change: Decimal
    change_pct: Decimal  # percent: 2.5 means +2.5 %
    volume: Decimal  # base asset
    quote_volume: Decimal
    time: int  # ms since epoch: end of the 24 h window (event time for stream updates)


class MarkPrice(Frozen):
    """USD-M mark price, index price and funding."""

    symbol: str
    mark: Decimal
    index: Decimal
    funding_rate: Decimal
    next_funding_time: int
    time: int


# --- Orders, fills, balances, positions ----------------------------------------------------------


class OrderUpdate(Frozen):
    """The exchange's view of one order at one moment (response or stream event)."""

    market: MarketType
    symbol: str
    client_order_id: str
    exchange_order_id: str
    side: Side
    order_type: OrderType | None  # None for exchange-made types (e.g. futures LIQUIDATION)
    status: OrderStatus
    time_in_force: TimeInForce | None = None
    post_only: bool = False
    reduce_only: bool = False
    close_position: bool = False
    price: Decimal | None = None
    stop_price: Decimal | None = None
    orig_qty: Decimal
    executed_qty: Decimal
    cumulative_quote: Decimal | None = None
    avg_price: Decimal | None = None
    update_time: int
    reject_reason: str | None = None
    is_algo: bool = False  # a USD-M conditional order held by Binance's algo service
    triggered_order_id: str | None = None  # USD-M algo: the order it became when triggered
    order_list_id: str | None = None  # spot: the order list (OCO) the order belongs to
    position_side: str | None = None  # USD-M: BOTH (one-way), LONG or SHORT (hedge mode)


class Fill(Frozen):
    market: MarketType
    symbol: str
    trade_id: int
    client_order_id: str
    exchange_order_id: str
    side: Side
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    commission: Decimal
    commission_asset: str | None
    is_maker: bool | None
    realized_pnl: Decimal | None = None  # futures only
    time: int


class Balance(Frozen):
    """Spot balance of one asset."""

    asset: str
    free: Decimal
    locked: Decimal
    time: int = 0

    @property
    def total(self) -> Decimal:
        return self.free + self.locked


class BalanceChange(Frozen):
    """Spot deposit, withdrawal or transfer (balanceUpdate): a delta, not a balance."""

    asset: str
    delta: Decimal
    time: int


class MarginBalance(Frozen):
    """USD-M wallet of one margin asset."""

    asset: str
    wallet_balance: Decimal
    cross_wallet_balance: Decimal
    available: Decimal | None = None  # not in ACCOUNT_UPDATE events
    time: int = 0


class PositionSide(StrEnum):
    """USD-M: one-way mode has one position per symbol (BOTH); hedge mode a LONG and a SHORT."""

    BOTH = "BOTH"
    LONG = "LONG"
    SHORT = "SHORT"


class Position(Frozen):
    """USD-M position, one per side (BOTH, or LONG and SHORT). Amount is signed: short < 0."""

    symbol: str
    position_side: str = "BOTH"
    amount: Decimal
    entry_price: Decimal
    break_even_price: Decimal | None = None
    mark_price: Decimal | None = None
    unrealized_pnl: Decimal
    leverage: int | None = None
    margin_type: MarginType | None = None
    isolated_margin: Decimal = Decimal(0)
    liquidation_price: Decimal | None = None
    notional: Decimal | None = None
    time: int = 0


@dataclass(frozen=True)
class OpenOrder:
    """An order still working (or not yet known), as exposure and the kill switch see it."""

    market: MarketType
    symbol: str
    side: Side
    quantity: Decimal  # still open (original minus executed)
    price: Decimal | None = None  # None for market/stop-market: valued at the snapshot price
    reduce_only: bool = False
    client_order_id: str = ""
    order_type: str = ""
    list_client_id: str = ""  # spot: the OCO the order is a leg of (cancelling one ends both)


@dataclass(frozen=True)
class Refusal:
    """Why the desk will not send an order (nothing was sent)."""

    code: str  # machine-readable: "unknown_symbol", "filter.LOT_SIZE", "balance", "risk.*"
    reason: str  # for the trader, with the figures


class FundingPayment(Frozen):
    """One USD-M funding settlement of one symbol: received (+) or paid (-)."""

    symbol: str
    time: int
    asset: str
    amount: Decimal
    tran_id: int


class OrderFields(Protocol):
    """What filters and risk checks read from an order; `engine.commands.PlaceOrder` has them."""

    @property
    def market(self) -> MarketType: ...
    @property
    def symbol(self) -> str: ...
    @property
    def side(self) -> Side: ...
    @property
    def order_type(self) -> OrderType: ...
    @property
    def quantity(self) -> Decimal | None: ...
    @property
    def quote_quantity(self) -> Decimal | None: ...
    @property
    def price(self) -> Decimal | None: ...
    @property
    def stop_price(self) -> Decimal | None: ...
    @property
    def time_in_force(self) -> TimeInForce | None: ...
    @property
    def post_only(self) -> bool: ...
    @property
    def reduce_only(self) -> bool: ...
    @property
    def close_position(self) -> bool: ...
