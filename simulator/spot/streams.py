"""Spot market streams: turns each step of the price path into Binance's kline and ticker
payloads (the book and trade streams are spot/book_streams.py's).

Only streams somebody is subscribed to are computed. Kline streams push the forming bar on every
step and, when bars close, each closed bar (up to 10) once more with `x: true` first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from simulator.core.streams import StreamHub
from simulator.feeds.candles import INTERVALS
from simulator.spot.matching import SpotMatchingEngine, TickLike
from simulator.spot.symbols import fmt8

NAMESPACE = "spot"
_STREAM = re.compile(
    r"^(?P<symbol>[a-z0-9]{2,20})@(?P<kind>kline_(?P<interval>[0-9]+[smhdwM])|ticker|miniTicker|"
    r"trade|aggTrade|bookTicker|depth(?P<levels>5|10|20)?)(?P<speed>@100ms|@1000ms)?$"
)


def parse_stream(name: str) -> tuple[str, str, str] | None:
    """("BTCUSDT", "kline", "1m") for "btcusdt@kline_1m"; None when not a spot stream."""
    match = _STREAM.match(name)
    if match is None:
        return None
    kind = match["kind"]
    if match["interval"]:
        if match["interval"] not in INTERVALS or match["speed"]:
            return None
        return match["symbol"].upper(), "kline", match["interval"]
    if match["speed"] and not kind.startswith("depth"):
        return None
    if kind == "depth":
        return match["symbol"].upper(), "diff", ""
    return match["symbol"].upper(), "depth" if match["levels"] else kind, match["levels"] or ""


def kline_payload(
    symbol: str, interval: str, bar: Any, closed: bool, now_ms: int
) -> dict[str, Any]:
    return {
        "e": "kline",
        "E": now_ms,
        "s": symbol,
        "k": {
            "t": bar.open_time,
            "T": bar.close_time,
            "s": symbol,
            "i": interval,
            "f": -1,
            "L": -1,
            "o": fmt8(bar.open),
            "c": fmt8(bar.close),
            "h": fmt8(bar.high),
            "l": fmt8(bar.low),
            "v": fmt8(bar.volume),
            "n": bar.trades,
            "x": closed,
            "q": fmt8(bar.quote_volume),
            "V": fmt8(bar.taker_buy_volume),
            "Q": fmt8(bar.taker_buy_quote_volume),
            "B": "0",
        },
    }


class SpotStreamPublisher:
    def __init__(self, hub: StreamHub, matching: SpotMatchingEngine) -> None:
        self.hub = hub
        self.matching = matching
        self.market = matching.market
        self.kline_open: dict[tuple[str, str], int] = {}
        hub.validators[NAMESPACE] = self.valid

    def valid(self, name: str) -> bool:
        parsed = parse_stream(name)
        return parsed is not None and parsed[0] in self.matching.symbols.specs

    def on_ticks(self, ticks: Sequence[TickLike]) -> None:
        ticked = {t.symbol for t in ticks}
        if not ticked:
            return
        now = self.matching.clock.now_ms()
        for name in self.hub.subscribed(NAMESPACE):
            parsed = parse_stream(name)
            if parsed is None or parsed[0] not in ticked:
                continue
            symbol, kind, arg = parsed
            for payload in self._payloads(symbol, kind, arg, now):
                self.hub.publish(NAMESPACE, name, payload)

    def _payloads(self, symbol: str, kind: str, arg: str, now: int) -> list[dict[str, Any]]:
        """Klines and tickers follow the price path; the book and the tape are
        spot/book_streams.py's (published as they change)."""
        if kind == "kline":
            return self._klines(symbol, arg, now)
        if kind in ("ticker", "miniTicker"):
            return [self._ticker(symbol, kind, now)]
        return []

    def _klines(self, symbol: str, interval: str, now: int) -> list[dict[str, Any]]:
        bar = self.market.forming_bar(symbol, interval)
        key = (symbol, interval)
        previous = self.kline_open.get(key)
        self.kline_open[key] = bar.open_time
        closed = (
            [] if previous is None else self.market.closed_since(symbol, interval, previous, 10)
        )
        payloads = [kline_payload(symbol, interval, b, True, now) for b in closed]
        payloads.append(kline_payload(symbol, interval, bar, False, now))
        return payloads

    def _ticker(self, symbol: str, kind: str, now: int) -> dict[str, Any]:
        t = self.market.ticker_24h(symbol)
        common = {
            "E": now,
            "s": symbol,
            "c": fmt8(t.last_price),
            "o": fmt8(t.open_price),
            "h": fmt8(t.high_price),
            "l": fmt8(t.low_price),
            "v": fmt8(t.volume),
            "q": fmt8(t.quote_volume),
        }
        if kind == "miniTicker":
            return {"e": "24hrMiniTicker", **common}
        book = self.matching.book(symbol)
        return {
            "e": "24hrTicker",
            **common,
            "p": fmt8(t.price_change),
            "P": f"{t.price_change_percent:.3f}",
            "w": fmt8(t.weighted_avg_price),
            "x": fmt8(t.prev_close_price),
            "Q": fmt8(t.last_qty),
            "b": fmt8(book.best_bid()),
            "B": fmt8(book.best_bid_qty()),
            "a": fmt8(book.best_ask()),
            "A": fmt8(book.best_ask_qty()),
            "O": t.open_time,
            "C": t.close_time,
            "F": t.first_id,
            "L": t.last_id,
            "n": t.count,
        }
