"""exchangeInfo -> our catalogue: each `symbols[]` entry as a `TradingPair` with its rules."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from engine.binance.schemas.common import Payload, _get
from engine.models import (
    LotSizeFilter,
    MarketType,
    NotionalFilter,
    PercentPriceFilter,
    PriceFilter,
    SymbolRules,
    TradingPair,
)

ZERO = Decimal(0)


def trading_pair_from_symbol(market: MarketType, entry: Payload) -> TradingPair:
    """One `symbols[]` entry of spot or USD-M exchangeInfo."""
    what = "exchangeInfo symbol"
    return TradingPair(
        market=market,
        symbol=_get(entry, "symbol", what),
        base=_get(entry, "baseAsset", what),
        quote=_get(entry, "quoteAsset", what),
        status=_get(entry, "status", what),
        rules=rules_from_symbol(market, entry),
    )


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
