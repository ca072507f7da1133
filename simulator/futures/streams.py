"""USD-M WebSocket streams on the shared stream hub: `/fstream/market|public/...` market data
and `/fstream/private/...` user data, on Binance's paths and payloads.

Market payloads come from the shared market (klines, 24 h ticker) and the matching engine (mark
price); `run` sends them on Binance's cadence (klines every 250 ms, ticker and markPrice@1s every
second, markPrice every 3 s), and a kline stream sends each bar that closed since its last send
(up to 10) once more with `x: true` first. Binance routes kline/ticker/markPrice to `/market`
only: `/public` accepts the names and sends nothing for them. The book (depth, bookTicker, on
`/public`) and the tape (aggTrade, trade, on `/market`) are futures/book_streams.py's. User-data
events go to the connections of the listen key.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import orjson
from aiohttp import web

from simulator.core import errors
from simulator.core.streams import StreamHub
from simulator.feeds.market import Market
from simulator.futures import market_data
from simulator.futures.book_streams import (
    FuturesBookStreams,
    valid_book_stream,
    valid_tape_stream,
)
from simulator.futures.matching import FuturesMatchingEngine

log = logging.getLogger("simulator.futures.streams")
MARKET = "fstream-market"
PUBLIC = "fstream-public"
PRIVATE = "fstream-private"
MARKET_STREAM = re.compile(
    r"^(?P<sym>[a-z0-9]+)(?:_perpetual)?@(?:"
    r"(?P<kline>kline|continuousKline)_(?P<interval>\w+)|"
    r"(?P<ticker>ticker)|(?P<mark>markPrice)(?P<fast>@1s)?)$"
)
MAX_CLOSED_PER_SEND = 10  # bars that closed between two sends (a jump of the virtual clock)
PERIOD_MS = {"kline": 250, "continuous_kline": 250, "ticker": 1000, "mark_fast": 1000, "mark": 3000}


@dataclass(frozen=True)
class StreamName:
    symbol: str
    kind: str  # kline | continuous_kline | ticker | mark | mark_fast
    interval: str = ""


@dataclass
class Cadence:
    """When a stream last sent, on the wall clock, and which bar it sent."""

    last_sent_ms: int = -(10**15)
    last_open: int | None = None


def parse_stream(name: str, listed: set[str]) -> StreamName | None:
    match = MARKET_STREAM.match(name)
    if match is None or match["sym"].upper() not in listed:
        return None
    symbol = match["sym"].upper()
    if match["kline"]:
        if match["interval"] not in market_data.KLINE_INTERVALS:
            return None
        kind = "continuous_kline" if match["kline"] == "continuousKline" else "kline"
        return StreamName(symbol, kind, match["interval"])
    if match["ticker"]:
        return StreamName(symbol, "ticker")
    return StreamName(symbol, "mark_fast" if match["fast"] else "mark")


class FuturesStreams:
    def __init__(
        self,
        hub: StreamHub,
        market: Market,
        engine: FuturesMatchingEngine,
        sync: Callable[[], object],
    ) -> None:
        self.hub = hub
        self.market = market
        self.engine = engine  # the venue hands in a fresh one on /_sim/reset
        self.sync = sync  # steps the shared market (and so the engine) up to now
        self._cadence: dict[str, Cadence] = {}
        self.book_streams: FuturesBookStreams | None = None  # the venue's books and tape
        hub.validators[MARKET] = self.valid_market
        hub.validators[PUBLIC] = self.valid_public
        hub.validators[PRIVATE] = lambda name: False

    def valid(self, name: str) -> bool:
        return parse_stream(name, set(self.engine.specs)) is not None

    def valid_market(self, name: str) -> bool:
        return self.valid(name) or valid_tape_stream(name, set(self.engine.specs))

    def valid_public(self, name: str) -> bool:
        return self.valid(name) or valid_book_stream(name, set(self.engine.specs))

    def install(self, app: web.Application, prefix: str = "/fstream") -> None:
        for route, namespace in (("market", MARKET), ("public", PUBLIC)):
            raw, combined = self.hub.raw_handler(namespace), self.hub.combined_handler(namespace)
            app.router.add_get(f"{prefix}/{route}/ws", raw)
            app.router.add_get(f"{prefix}/{route}/ws/{{streams:.+}}", raw)
            app.router.add_get(f"{prefix}/{route}/stream", combined)
        app.router.add_get(f"{prefix}/private/ws", self.private)
        app.router.add_get(f"{prefix}/private/ws/{{key}}", self.private)

    # ---- user data ----------------------------------------------------------------------
    async def private(self, request: web.Request) -> web.StreamResponse:
        key = request.match_info.get("key") or request.query.get("listenKey", "")
        self.sync()
        if not self.engine.listen_keys.valid(key):
            ws = web.WebSocketResponse()
            await ws.prepare(request)
            await ws.send_bytes(orjson.dumps(errors.invalid_listen_key().body()))
            await ws.close()
            return ws
        return await self.hub.serve(request, PRIVATE, [key])

    def publish_user(self, event: dict) -> None:
        key = self.engine.listen_keys.key
        if key is not None:
            self.hub.publish(PRIVATE, key, event)

    def close_key(self, key: str) -> None:
        self.hub.close_stream(PRIVATE, key)

    # ---- market data --------------------------------------------------------------------
    async def run(self, period_s: float = 0.25, book_period_s: float = 0.1) -> None:
        """Market streams every `period_s` (stepping the market first), the book and the tape
        every `book_period_s` (they change on those steps and on the account's fills)."""
        last_market = 0.0
        while True:
            try:
                if time.monotonic() - last_market >= period_s:
                    last_market = time.monotonic()
                    self.publish_market()
                elif self.book_streams is not None:
                    self.book_streams.publish(self.engine.now_ms)
            except Exception:
                log.exception("futures market streams: publishing failed")
            await asyncio.sleep(book_period_s)

    def publish_market(self) -> None:
        """Send every market stream that is due, as of the engine's current time."""
        self.sync()
        now = self.engine.now_ms
        if self.book_streams is not None:
            self.book_streams.publish(now)
        wall = int(time.monotonic() * 1000)
        names = self.hub.subscribed(MARKET)
        self._cadence = {n: c for n, c in self._cadence.items() if n in names}
        listed = set(self.engine.specs)
        for name in names:
            stream = parse_stream(name, listed)
            if stream is None:
                continue
            cadence = self._cadence.setdefault(name, Cadence())
            for payload in self._due(stream, cadence, now, wall):
                self.hub.publish(MARKET, name, payload)

    def _due(self, stream: StreamName, cadence: Cadence, now: int, wall: int) -> list[dict]:
        # Cadence runs on real time; payloads carry the (possibly virtual) exchange time.
        if stream.kind.endswith("kline"):
            return self._klines(stream, cadence, now, wall)
        if wall - cadence.last_sent_ms < PERIOD_MS[stream.kind]:
            return []
        cadence.last_sent_ms = wall
        if stream.kind == "ticker":
            return [market_data.ticker_event(self.market, stream.symbol, now)]
        return [market_data.mark_event(self.engine, stream.symbol, now)]

    def _klines(self, stream: StreamName, cadence: Cadence, now: int, wall: int) -> list[dict]:
        event = (
            market_data.continuous_kline_event
            if stream.kind == "continuous_kline"
            else market_data.kline_event
        )
        symbol, interval = stream.symbol, stream.interval
        bar = self.market.forming_bar(symbol, interval)
        out = []
        previous = cadence.last_open
        if previous is not None:
            closed = self.market.closed_since(symbol, interval, previous, MAX_CLOSED_PER_SEND)
            out += [event(symbol, interval, b, True, now) for b in closed]
        if previous != bar.open_time or wall - cadence.last_sent_ms >= PERIOD_MS[stream.kind]:
            out.append(event(symbol, interval, bar, False, now))
            cadence.last_sent_ms = wall
        cadence.last_open = bar.open_time
        return out
