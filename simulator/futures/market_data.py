"""USD-M market data in Binance's shapes, from the shared market (the perpetuals trade on the
spot price path, so a futures bar is the spot bar: same prices, volume and trades) and, for the
mark price, from the futures matching engine."""

from __future__ import annotations

from decimal import Decimal

from simulator.feeds.candles import INTERVALS
from simulator.feeds.market import Bar, Market
from simulator.futures.matching import FuturesMatchingEngine

KLINE_INTERVALS = tuple(i for i in INTERVALS if i != "1s")  # USD-M has no 1s klines


def text(value: Decimal) -> str:
    return f"{value:f}"


def ticker_row(market: Market, symbol: str) -> dict:
    """One `GET /fapi/v1/ticker/24hr` entry: the rolling 24 h of the shared market."""
    t = market.ticker_24h(symbol)
    return {
        "symbol": symbol,
        "priceChange": text(t.price_change),
        "priceChangePercent": f"{t.price_change_percent:.3f}",
        "weightedAvgPrice": text(t.weighted_avg_price),
        "lastPrice": text(t.last_price),
        "lastQty": text(t.last_qty),
        "openPrice": text(t.open_price),
        "highPrice": text(t.high_price),
        "lowPrice": text(t.low_price),
        "volume": text(t.volume),
        "quoteVolume": text(t.quote_volume),
        "openTime": t.open_time,
        "closeTime": t.close_time,
        "firstId": t.first_id,
        "lastId": t.last_id,
        "count": t.count,
    }


def ticker_event(market: Market, symbol: str, now: int) -> dict:
    row = ticker_row(market, symbol)
    return {
        "e": "24hrTicker",
        "E": now,
        "s": symbol,
        "p": row["priceChange"],
        "P": row["priceChangePercent"],
        "w": row["weightedAvgPrice"],
        "c": row["lastPrice"],
        "Q": row["lastQty"],
        "o": row["openPrice"],
        "h": row["highPrice"],
        "l": row["lowPrice"],
        "v": row["volume"],
        "q": row["quoteVolume"],
        "O": row["openTime"],
        "C": row["closeTime"],
        "F": row["firstId"],
        "L": row["lastId"],
        "n": row["count"],
    }


def kline_body(bar: Bar, interval: str, closed: bool) -> dict:
    """The `k` object of a kline stream event: the REST row's values, field for field."""
    return {
        "t": bar.open_time,
        "T": bar.close_time,
        "i": interval,
        "f": 0,
        "L": 0,
        "o": str(bar.open),
        "c": str(bar.close),
        "h": str(bar.high),
        "l": str(bar.low),
        "v": str(bar.volume),
        "n": bar.trades,
        "x": closed,
        "q": str(bar.quote_volume),
        "V": str(bar.taker_buy_volume),
        "Q": str(bar.taker_buy_quote_volume),
        "B": "0",
    }


def kline_event(symbol: str, interval: str, bar: Bar, closed: bool, now: int) -> dict:
    body = kline_body(bar, interval, closed)
    return {"e": "kline", "E": now, "s": symbol, "k": {**body, "s": symbol}}


def continuous_kline_event(symbol: str, interval: str, bar: Bar, closed: bool, now: int) -> dict:
    body = kline_body(bar, interval, closed)
    return {"e": "continuous_kline", "E": now, "ps": symbol, "ct": "PERPETUAL", "k": body}


def mark_event(engine: FuturesMatchingEngine, symbol: str, now: int) -> dict:
    index = engine.premium_index(symbol)
    return {
        "e": "markPriceUpdate",
        "E": now,
        "s": symbol,
        "p": index["markPrice"],
        "ap": index["markPrice"],
        "i": index["indexPrice"],
        "P": index["estimatedSettlePrice"],
        "r": index["lastFundingRate"],
        "T": index["nextFundingTime"],
    }
