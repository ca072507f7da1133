"""USD-M book streams on `/fstream/public/...` and the tape on `/fstream/market/...`.

- `<sym>@depth`, `@depth@100ms`, `@depth@500ms` (250 ms by default): diff depth
  `{e: "depthUpdate", E, T, s, U, u, pu, b, a}`, where `pu` is the previous event's `u`, so a
  client checks continuity as Binance documents it (each event's pu == the last event's u);
- `<sym>@depth5|10|20[@100ms|@500ms]`: the top levels, in the same shape;
- `<sym>@bookTicker`: `{e: "bookTicker", u, E, T, s, b, B, a, A}` whenever the top changes;
- `<sym>@aggTrade` and `<sym>@trade` (on /market): the perpetual's tape (futures/tape.py), the
  account's own fills included.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from simulator.core.book_cursors import StreamCursors, wall_ms
from simulator.core.streams import StreamHub
from simulator.feeds.orderbook import BookSet
from simulator.futures.order_types import fmt
from simulator.futures.tape import FuturesTape

PUBLIC = "fstream-public"
MARKET = "fstream-market"
BOOK_STREAM = re.compile(
    r"^(?P<sym>[a-z0-9]+)@(?:(?P<depth>depth)(?P<levels>5|10|20)?(?:@(?P<speed>100|250|500)ms)?"
    r"|(?P<ticker>bookTicker))$"
)
TAPE_STREAM = re.compile(r"^(?P<sym>[a-z0-9]+)@(?P<kind>aggTrade|trade)$")


def levels(rows: list[tuple[Decimal, Decimal]]) -> list[list[str]]:
    return [[fmt(price), fmt(qty)] for price, qty in rows]


def valid_book_stream(name: str, listed: set[str]) -> bool:
    match = BOOK_STREAM.match(name)
    return match is not None and match["sym"].upper() in listed


def valid_tape_stream(name: str, listed: set[str]) -> bool:
    match = TAPE_STREAM.match(name)
    return match is not None and match["sym"].upper() in listed


class FuturesBookStreams:
    def __init__(self, hub: StreamHub, books: BookSet, tape: FuturesTape) -> None:
        self.hub = hub
        self.books = books
        self.tape = tape
        self.cursors = StreamCursors()

    def publish(self, now: int) -> None:
        public, market = self.hub.subscribed(PUBLIC), self.hub.subscribed(MARKET)
        self.cursors.keep([f"p:{n}" for n in public] + [f"m:{n}" for n in market])
        wall = wall_ms()
        for name in public:
            for payload in self._book_payloads(name, now, wall):
                self.hub.publish(PUBLIC, name, payload)
        for name in market:
            match = TAPE_STREAM.match(name)
            if match is None:
                continue
            symbol = match["sym"].upper()
            self.tape.follow_market({symbol})
            trades = self.cursors.new_trades(f"m:{name}", self.tape.recent(symbol, 1000))
            for trade in trades:
                self.hub.publish(MARKET, name, _trade(match["kind"], trade, now))

    def _book_payloads(self, name: str, now: int, wall: int) -> list[dict[str, Any]]:
        match = BOOK_STREAM.match(name)
        if match is None or match["sym"].upper() not in self.books.books:
            return []
        symbol, key = match["sym"].upper(), f"p:{name}"
        book = self.books.book(symbol)
        head = {"E": now, "T": now, "s": symbol}
        if match["ticker"]:
            top = (book.best_bid(), book.best_bid_qty(), book.best_ask(), book.best_ask_qty())
            if not self.cursors.changed(key, top):
                return []
            return [
                {
                    "e": "bookTicker", "u": book.update_id, **head, "b": fmt(top[0]),
                    "B": fmt(top[1]), "a": fmt(top[2]), "A": fmt(top[3]),
                }
            ]  # fmt: skip
        if not self.cursors.due(key, int(match["speed"] or 250), wall):
            return []
        found = self.cursors.diff(key, book)
        if found is None:
            return []
        diff, previous = found
        if match["levels"]:
            bids, asks = book.depth(int(match["levels"]))
            bid_rows = [(lv.price, lv.qty) for lv in bids]
            ask_rows = [(lv.price, lv.qty) for lv in asks]
        else:
            bid_rows, ask_rows = diff.bids, diff.asks
        return [
            {
                "e": "depthUpdate", **head, "U": diff.first_id, "u": diff.final_id,
                "pu": previous, "b": levels(bid_rows), "a": levels(ask_rows),
            }
        ]  # fmt: skip


def _trade(kind: str, trade: Any, now: int) -> dict[str, Any]:
    base = {
        "E": now,
        "s": trade.symbol,
        "p": fmt(trade.price),
        "q": fmt(trade.qty),
        "T": trade.time_ms,
        "m": trade.is_buyer_maker,
    }
    if kind == "trade":
        return {"e": "trade", **base, "t": trade.id, "X": "MARKET"}
    return {"e": "aggTrade", **base, "a": trade.id, "f": trade.id, "l": trade.id, "nq": base["q"]}
