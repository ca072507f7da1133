"""USD-M WebSocket streams: `/fstream/market|public/...` market data and `/fstream/private/...`
user data, on Binance's paths and payloads.

Market payloads are built from the exchange's price path at publish time; a publisher task
sends them on Binance's cadence (klines every 250 ms, ticker and markPrice@1s every second,
markPrice every 3 s). User-data events are pushed as the exchange emits them.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import orjson
from aiohttp import WSMsgType, web

from simulator.futures_errors import invalid_listen_key
from simulator.futures_exchange import FuturesExchange
from simulator.futures_prices import INTERVAL_MS, Candle

MARKET_STREAM = re.compile(
    r"^(?P<sym>[a-z0-9]+)(?:_perpetual)?@(?:"
    r"(?P<kline>kline|continuousKline)_(?P<interval>\w+)|"
    r"(?P<ticker>ticker)|(?P<mark>markPrice)(?P<fast>@1s)?)$"
)
PERIOD_MS = {"kline": 250, "ticker": 1000, "mark_fast": 1000, "mark": 3000}


@dataclass
class Subscription:
    name: str
    symbol: str
    kind: str
    interval: str = ""
    last_sent_ms: int = -(10**15)
    last_open: int | None = None


@dataclass(eq=False)
class Connection:
    ws: web.WebSocketResponse
    route: str
    combined: bool
    listen_key: str | None = None
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)


class FuturesStreamHub:
    def __init__(self, exchange: FuturesExchange, now_ms: Callable[[], int]) -> None:
        self.exchange = exchange
        self.now_ms = now_ms
        self.connections: set[Connection] = set()
        # The server steps its market (and so this exchange's prices) before each publish.
        self.before_publish: Callable[[], object] | None = None
        exchange.listener = self.publish_user
        exchange.on_listen_key_closed = self._close_key

    # --- routes ---

    def register(self, app: web.Application, prefix: str = "/fstream") -> None:
        for route in ("market", "public"):
            app.router.add_get(f"{prefix}/{route}/ws", self._market_handler(route, False))
            app.router.add_get(
                f"{prefix}/{route}/ws/{{streams:.+}}", self._market_handler(route, False)
            )
            app.router.add_get(f"{prefix}/{route}/stream", self._market_handler(route, True))
        app.router.add_get(f"{prefix}/private/ws", self._private)
        app.router.add_get(f"{prefix}/private/ws/{{key}}", self._private)

    def _market_handler(self, route: str, combined: bool):
        async def handler(request: web.Request) -> web.StreamResponse:
            names = request.match_info.get("streams", "") or request.query.get("streams", "")
            ws = web.WebSocketResponse(heartbeat=180)
            await ws.prepare(request)
            conn = Connection(ws, route, combined)
            for name in filter(None, names.split("/")):
                self._subscribe(conn, name)
            return await self._serve(conn)

        return handler

    async def _private(self, request: web.Request) -> web.StreamResponse:
        key = request.match_info.get("key") or request.query.get("listenKey", "")
        ws = web.WebSocketResponse(heartbeat=180)
        await ws.prepare(request)
        self.exchange.advance_to(self.now_ms())
        if not self.exchange.listen_key_valid(key):
            await ws.send_bytes(orjson.dumps(invalid_listen_key().to_wire()))
            await ws.close()
            return ws
        return await self._serve(Connection(ws, "private", False, listen_key=key))

    async def _serve(self, conn: Connection) -> web.WebSocketResponse:
        self.connections.add(conn)
        writer = asyncio.create_task(self._write(conn))
        try:
            async for msg in conn.ws:
                if msg.type == WSMsgType.TEXT:
                    await self._control(conn, msg.data)
        finally:
            self.connections.discard(conn)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        return conn.ws

    async def _write(self, conn: Connection) -> None:
        while True:
            payload = await conn.queue.get()
            if payload is None:
                await conn.ws.close()
                return
            await conn.ws.send_bytes(orjson.dumps(payload))

    async def _control(self, conn: Connection, text: str) -> None:
        try:
            request = orjson.loads(text)
            method, req_id = request["method"], request.get("id")
        except (orjson.JSONDecodeError, KeyError, TypeError):
            conn.queue.put_nowait({"error": {"code": 3, "msg": "Invalid JSON"}, "id": None})
            return
        params = request.get("params") or []
        if method == "SUBSCRIBE":
            for name in params:
                self._subscribe(conn, name)
            conn.queue.put_nowait({"result": None, "id": req_id})
        elif method == "UNSUBSCRIBE":
            for name in params:
                conn.subscriptions.pop(name, None)
            conn.queue.put_nowait({"result": None, "id": req_id})
        elif method == "LIST_SUBSCRIPTIONS":
            conn.queue.put_nowait({"result": list(conn.subscriptions), "id": req_id})
        else:
            conn.queue.put_nowait({"error": {"code": 2, "msg": "Invalid request"}, "id": req_id})

    def _subscribe(self, conn: Connection, name: str) -> None:
        match = MARKET_STREAM.match(name)
        if match is None or match["sym"].upper() not in self.exchange.specs:
            return
        if conn.route != "market":  # Binance routes kline/ticker/markPrice to /market only
            return
        symbol = match["sym"].upper()
        if match["kline"]:
            if match["interval"] not in INTERVAL_MS:
                return
            kind = "continuous_kline" if match["kline"] == "continuousKline" else "kline"
            conn.subscriptions[name] = Subscription(name, symbol, kind, match["interval"])
        elif match["ticker"]:
            conn.subscriptions[name] = Subscription(name, symbol, "ticker")
        else:
            kind = "mark_fast" if match["fast"] else "mark"
            conn.subscriptions[name] = Subscription(name, symbol, kind)

    # --- publishing ---

    def publish_user(self, event: dict) -> None:
        for conn in list(self.connections):
            if conn.route == "private" and conn.listen_key == self.exchange.listen_key:
                conn.queue.put_nowait(event)

    def _close_key(self, key: str) -> None:
        for conn in list(self.connections):
            if conn.listen_key == key:
                conn.queue.put_nowait(None)

    def publish_market(self) -> None:
        """Send every market subscription that is due, as of the exchange's current time."""
        if self.before_publish is not None:
            self.before_publish()
        self.exchange.advance_to(self.now_ms())
        now = self.exchange.now_ms
        for conn in list(self.connections):
            for sub in conn.subscriptions.values():
                for payload in self._due(sub, now):
                    wrapped = {"stream": sub.name, "data": payload} if conn.combined else payload
                    conn.queue.put_nowait(wrapped)

    def _due(self, sub: Subscription, now: int) -> list[dict]:
        # Cadence runs on real time; payloads carry the (possibly virtual) exchange time.
        wall = int(time.monotonic() * 1000)
        if sub.kind.endswith("kline"):
            return self._kline_payloads(sub, now, wall)
        if wall - sub.last_sent_ms < PERIOD_MS[sub.kind]:
            return []
        sub.last_sent_ms = wall
        if sub.kind == "ticker":
            return [self.ticker_event(sub.symbol, now)]
        return [self.mark_event(sub.symbol, now)]

    def _kline_payloads(self, sub: Subscription, now: int, wall: int) -> list[dict]:
        interval_ms = INTERVAL_MS[sub.interval]
        open_time = (now // interval_ms) * interval_ms
        path = self.exchange.prices.paths[sub.symbol]
        out = []
        if sub.last_open is not None and sub.last_open < open_time:
            out.append(self._kline_event(sub, path.candle(sub.last_open, interval_ms, now), now))
        if sub.last_open != open_time or wall - sub.last_sent_ms >= PERIOD_MS["kline"]:
            out.append(self._kline_event(sub, path.candle(open_time, interval_ms, now), now))
            sub.last_sent_ms = wall
        sub.last_open = open_time
        return out

    def _kline_event(self, sub: Subscription, candle: Candle, now: int) -> dict:
        body = {
            "t": candle.open_time,
            "T": candle.close_time,
            "i": sub.interval,
            "f": 0,
            "L": 0,
            "o": str(candle.open),
            "c": str(candle.close),
            "h": str(candle.high),
            "l": str(candle.low),
            "v": "0",
            "n": 0,
            "x": candle.closed,
            "q": "0",
            "V": "0",
            "Q": "0",
            "B": "0",
        }
        if sub.kind == "continuous_kline":
            return {
                "e": "continuous_kline",
                "E": now,
                "ps": sub.symbol,
                "ct": "PERPETUAL",
                "k": body,
            }
        return {"e": "kline", "E": now, "s": sub.symbol, "k": {**body, "s": sub.symbol}}

    def mark_event(self, symbol: str, now: int) -> dict:
        index = self.exchange.premium_index(symbol)
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

    def ticker_event(self, symbol: str, now: int) -> dict:
        stats = ticker_stats(self.exchange, symbol, now)
        return {
            "e": "24hrTicker",
            "E": now,
            "s": symbol,
            "p": stats["priceChange"],
            "P": stats["priceChangePercent"],
            "w": stats["weightedAvgPrice"],
            "c": stats["lastPrice"],
            "Q": "0",
            "o": stats["openPrice"],
            "h": stats["highPrice"],
            "l": stats["lowPrice"],
            "v": "0",
            "q": "0",
            "O": stats["openTime"],
            "C": stats["closeTime"],
            "F": 0,
            "L": 0,
            "n": 0,
        }

    async def run_publisher(self, period_s: float = 0.25) -> None:
        while True:
            self.publish_market()
            await asyncio.sleep(period_s)

    async def close_all(self) -> None:
        for conn in list(self.connections):
            await conn.ws.close()


def ticker_stats(exchange: FuturesExchange, symbol: str, now: int) -> dict:
    """24 h rolling statistics of the price path (the scripted path carries no volume)."""
    path = exchange.prices.paths[symbol]
    open_time = now - 86_400_000
    opening = path.price_at(open_time)
    prices = [opening, *(p.price for p in path.points_between(open_time, now))]
    last = prices[-1]
    change = last - opening
    percent = (change / opening * 100).quantize(Decimal("0.001"))
    return {
        "symbol": symbol,
        "priceChange": f"{change:f}",
        "priceChangePercent": f"{percent:f}",
        "weightedAvgPrice": f"{last:f}",
        "lastPrice": f"{last:f}",
        "lastQty": "0",
        "openPrice": f"{opening:f}",
        "highPrice": f"{max(prices):f}",
        "lowPrice": f"{min(prices):f}",
        "volume": "0",
        "quoteVolume": "0",
        "openTime": open_time,
        "closeTime": now,
        "firstId": 0,
        "lastId": 0,
        "count": 0,
    }
