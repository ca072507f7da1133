"""The spot symbols the simulator lists, with Binance's filters, and the exchangeInfo document.

Filter values are the ones Binance served for these pairs (recorded spot exchangeInfo,
shared/data/fixtures/cryptofeed/BINANCE.0 of 2021-10-12, and basana's BTCUSDT of 2022-12-11 for
PERCENT_PRICE_BY_SIDE and TRAILING_DELTA), with the legacy MIN_NOTIONAL carried over as today's
NOTIONAL filter. Start prices and daily volumes are round, realistic figures for the synthetic feed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

ORDER_TYPES = (
    "LIMIT",
    "LIMIT_MAKER",
    "MARKET",
    "STOP_LOSS",
    "STOP_LOSS_LIMIT",
    "TAKE_PROFIT",
    "TAKE_PROFIT_LIMIT",
)
ZERO = Decimal(0)


def fmt8(value: Decimal) -> str:
    """Binance's 8-decimal string for prices, quantities and balances."""
    return f"{value:.8f}"


@dataclass(frozen=True, slots=True)
class SymbolSpec:
    symbol: str
    base: str
    quote: str
    tick_size: Decimal
    min_price: Decimal
    max_price: Decimal
    step_size: Decimal
    min_qty: Decimal
    max_qty: Decimal
    market_max_qty: Decimal
    min_notional: Decimal
    start_price: Decimal
    daily_volume: Decimal
    max_notional: Decimal = Decimal("9000000")
    multiplier_up: Decimal = Decimal(5)
    multiplier_down: Decimal = Decimal("0.2")
    avg_price_mins: int = 5
    max_num_orders: int = 200
    max_num_algo_orders: int = 5

    def filters(self) -> list[dict[str, Any]]:
        return [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": fmt8(self.min_price),
                "maxPrice": fmt8(self.max_price),
                "tickSize": fmt8(self.tick_size),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": fmt8(self.min_qty),
                "maxQty": fmt8(self.max_qty),
                "stepSize": fmt8(self.step_size),
            },
            {"filterType": "ICEBERG_PARTS", "limit": 10},
            {
                "filterType": "MARKET_LOT_SIZE",
                "minQty": fmt8(ZERO),
                "maxQty": fmt8(self.market_max_qty),
                "stepSize": fmt8(ZERO),
            },
            {
                "filterType": "TRAILING_DELTA",
                "minTrailingAboveDelta": 10,
                "maxTrailingAboveDelta": 2000,
                "minTrailingBelowDelta": 10,
                "maxTrailingBelowDelta": 2000,
            },
            {
                "filterType": "PERCENT_PRICE_BY_SIDE",
                "bidMultiplierUp": str(self.multiplier_up),
                "bidMultiplierDown": str(self.multiplier_down),
                "askMultiplierUp": str(self.multiplier_up),
                "askMultiplierDown": str(self.multiplier_down),
                "avgPriceMins": self.avg_price_mins,
            },
            {
                "filterType": "NOTIONAL",
                "minNotional": fmt8(self.min_notional),
                "applyMinToMarket": True,
                "maxNotional": fmt8(self.max_notional),
                "applyMaxToMarket": False,
                "avgPriceMins": self.avg_price_mins,
            },
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": self.max_num_orders},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": self.max_num_algo_orders},
        ]

    def to_binance(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "status": "TRADING",
            "baseAsset": self.base,
            "baseAssetPrecision": 8,
            "quoteAsset": self.quote,
            "quotePrecision": 8,
            "quoteAssetPrecision": 8,
            "baseCommissionPrecision": 8,
            "quoteCommissionPrecision": 8,
            "orderTypes": list(ORDER_TYPES),
            "icebergAllowed": False,
            "ocoAllowed": True,
            "otoAllowed": True,
            "quoteOrderQtyMarketAllowed": True,
            "allowTrailingStop": False,
            "cancelReplaceAllowed": True,
            "amendAllowed": False,
            "isSpotTradingAllowed": True,
            "isMarginTradingAllowed": False,
            "filters": self.filters(),
            "permissions": [],
            "permissionSets": [["SPOT"]],
            "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
            "allowedSelfTradePreventionModes": [
                "NONE",
                "EXPIRE_TAKER",
                "EXPIRE_MAKER",
                "EXPIRE_BOTH",
            ],
        }

    def feed_symbol(self) -> Any:
        from simulator.feeds.base import FeedSymbol  # the market-data engineer's module

        return FeedSymbol(
            symbol=self.symbol,
            tick_size=self.tick_size,
            step_size=self.step_size,
            start_price=self.start_price,
            daily_volume=self.daily_volume,
        )


# symbol, tickSize (= minPrice), maxPrice, stepSize (= minQty), maxQty, MARKET_LOT_SIZE maxQty
# (all as recorded), then start price and daily base volume for the synthetic feed
_TABLE = """
BTCUSDT   0.01    1000000 0.00001 9000    100.05381873     95000.00 20000
ETHUSDT   0.01    1000000 0.0001  9000    1600.51202668    3300.00  350000
BNBUSDT   0.1     100000  0.001   900000  28160.593369     650.0    120000
SOLUSDT   0.01    10000   0.01    90000   52005.8128492    180.00   2500000
XRPUSDT   0.0001  10000   1       9222449 9222449          2.2000   250000000
ADAUSDT   0.001   1000    0.1     900000  8234643.04711605 0.700    300000000
DOGEUSDT  0.0001  1000    1       9000000 32613681.7095205 0.1800   1500000000
DOTUSDT   0.01    10000   0.01    90000   330921.34450312  4.50     8000000
LTCUSDT   0.1     100000  0.001   90000   25570.86240733   95.0     600000
LINKUSDT  0.01    10000   0.01    90000   183978.65296038  15.00    5000000
"""


def _spec(row: str) -> SymbolSpec:
    symbol, tick, max_price, step, max_qty, market_max, price, volume = row.split()
    return SymbolSpec(
        symbol=symbol,
        base=symbol.removesuffix("USDT"),
        quote="USDT",
        tick_size=Decimal(tick),
        min_price=Decimal(tick),
        max_price=Decimal(max_price),
        step_size=Decimal(step),
        min_qty=Decimal(step),
        max_qty=Decimal(max_qty),
        market_max_qty=Decimal(market_max),
        min_notional=Decimal(10),
        start_price=Decimal(price),
        daily_volume=Decimal(volume),
    )


DEFAULT_SYMBOLS: tuple[SymbolSpec, ...] = tuple(_spec(r) for r in _TABLE.strip().splitlines())

RATE_LIMITS = [
    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 50},
    {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 160000},
    {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 300000},
]


class SymbolTable:
    def __init__(self, specs: tuple[SymbolSpec, ...] = DEFAULT_SYMBOLS) -> None:
        self.specs = {s.symbol: s for s in specs}

    def get(self, symbol: str) -> SymbolSpec | None:
        return self.specs.get(symbol)

    def assets(self) -> list[str]:
        found: dict[str, None] = {}
        for spec in self.specs.values():
            found[spec.base] = None
            found[spec.quote] = None
        return list(found)

    def exchange_info(
        self, server_ms: int, rate_limits: list[dict[str, Any]], only: list[str] | None = None
    ) -> dict[str, Any]:
        chosen = [self.specs[s] for s in only] if only else list(self.specs.values())
        return {
            "timezone": "UTC",
            "serverTime": server_ms,
            "rateLimits": rate_limits,
            "exchangeFilters": [],
            "symbols": [s.to_binance() for s in chosen],
            "sors": [],
        }
