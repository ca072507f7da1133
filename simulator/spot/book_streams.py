"""Spot book and tape streams: the book the matching engine takes from, and the trades it prints.

- `<sym>@depth` / `<sym>@depth@100ms`: diff depth, `{e: "depthUpdate", E, s, U, u, b, a}` every
  1000 ms / 100 ms when something changed; U..u are the book's update ids, so Binance's local
  book procedure (buffer, snapshot from /api/v3/depth, drop u <= lastUpdateId, apply, check
  U == previous u + 1) keeps a copy equal to the simulator's;
- `<sym>@depth5|10|20[@100ms]`: the top levels `{lastUpdateId, bids, asks}` (1000 ms / 100 ms);
- `<sym>@bookTicker`: `{u, s, b, B, a, A}` whenever the top changes;
- `<sym>@trade`, `<sym>@aggTrade`: every trade on the tape, the market's and the paper
  account's own fills alike (one trade per aggregate).
`publish` runs every 100 ms (spot venue) and after every step of the price path.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from simulator.core.book_cursors import StreamCursors, wall_ms
from simulator.core.streams import StreamHub
from simulator.spot.matching import SpotMatchingEngine
from simulator.spot.streams import NAMESPACE, parse_stream
from simulator.spot.symbols import fmt8

BOOK_KINDS = ("diff", "depth", "bookTicker", "trade", "aggTrade")
PUBLISH_EVERY_S = 0.1


def levels(rows: list[tuple[Decimal, Decimal]]) -> list[list[str]]:
    return [[fmt8(price), fmt8(qty)] for price, qty in rows]


class SpotBookStreams:
    def __init__(self, hub: StreamHub, matching: SpotMatchingEngine) -> None:
        self.hub = hub
        self.matching = matching
        self.cursors = StreamCursors()

    def publish(self) -> None:
        names = self.hub.subscribed(NAMESPACE)
        self.cursors.keep(names)
        now, wall = self.matching.clock.now_ms(), wall_ms()
        for name in names:
            parsed = parse_stream(name)
            if parsed is None or parsed[1] not in BOOK_KINDS:
                continue
            symbol, kind, arg = parsed
            period = 100 if name.endswith("@100ms") else 1000
            for payload in self._payloads(name, symbol, kind, arg, now, wall, period):
                self.hub.publish(NAMESPACE, name, payload)

    def _payloads(
        self, name: str, symbol: str, kind: str, arg: str, now: int, wall: int, period: int
    ) -> list[dict[str, Any]]:
        book = self.matching.book(symbol)
        if kind in ("trade", "aggTrade"):
            trades = self.matching.market.recent_trades(symbol, 1000)
            return [_trade(symbol, kind, t, now) for t in self.cursors.new_trades(name, trades)]
        if kind == "bookTicker":
            top = (book.best_bid(), book.best_bid_qty(), book.best_ask(), book.best_ask_qty())
            if not self.cursors.changed(name, top):
                return []
            bid, bid_qty, ask, ask_qty = top
            return [
                {
                    "u": book.update_id,
                    "s": symbol,
                    "b": fmt8(bid),
                    "B": fmt8(bid_qty),
                    "a": fmt8(ask),
                    "A": fmt8(ask_qty),
                }
            ]
        if kind == "depth":
            if not self.cursors.due(name, period, wall):
                return []
            if not self.cursors.changed(name, book.update_id):
                return []
            bids, asks = book.depth(int(arg))
            return [
                {
                    "lastUpdateId": book.update_id,
                    "bids": levels([(lv.price, lv.qty) for lv in bids]),
                    "asks": levels([(lv.price, lv.qty) for lv in asks]),
                }
            ]
        if not self.cursors.due(name, period, wall):
            return []
        found = self.cursors.diff(name, book)
        if found is None:
            return []
        diff, _ = found
        return [
            {
                "e": "depthUpdate",
                "E": now,
                "s": symbol,
                "U": diff.first_id,
                "u": diff.final_id,
                "b": levels(diff.bids),
                "a": levels(diff.asks),
            }
        ]


def _trade(symbol: str, kind: str, trade: Any, now: int) -> dict[str, Any]:
    base = {
        "E": now,
        "s": symbol,
        "p": fmt8(trade.price),
        "q": fmt8(trade.qty),
        "T": trade.time_ms,
        "m": trade.is_buyer_maker,
        "M": True,
    }
    if kind == "trade":
        return {"e": "trade", **base, "t": trade.id}
    return {"e": "aggTrade", **base, "a": trade.id, "f": trade.id, "l": trade.id}
