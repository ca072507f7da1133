"""Binance market streams on the wire: stream names, frames -> row tuples, one combined connection.

The hot path turns orjson-parsed frames straight into the store's row tuples (the column order of
`engine.store.KLINES`, `TICKERS`, `MARK_PRICES`) without building domain models; the mapping is
tested against `engine.binance.schemas`. `StreamConnection` is one combined-stream WebSocket
(`/stream?streams=a/b`, frames wrapped as `{"stream", "data"}`) with paced SUBSCRIBE /
UNSUBSCRIBE control messages, because Binance disconnects a client that sends more than
5 (spot) or 10 (USD-M) messages a second.
"""

from __future__ import annotations

import asyncio
import calendar
import itertools
import random
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect

from engine.models import MarketType

Row = tuple[Any, ...]

MAX_STREAMS_PER_CONNECTION = 1024
REST_KLINES_LIMIT = 1000  # spot's maximum (USD-M allows 1500)
# Binance counts control messages, pings and pongs against 5 (spot) / 10 (USD-M) per second.
CONTROL_MESSAGES_PER_S = {MarketType.SPOT: 3.0, MarketType.FUTURES: 6.0}
# Streams per SUBSCRIBE message and in the connect URL: keeps URLs and messages short.
STREAMS_PER_REQUEST = 200
CONTROL_REPLY_TIMEOUT_S = 10.0

_FIXED_INTERVAL_MS = {
    "1s": 1_000, "1m": 60_000, "3m": 180_000, "5m": 300_000, "15m": 900_000,
    "30m": 1_800_000, "1h": 3_600_000, "2h": 7_200_000, "4h": 14_400_000, "6h": 21_600_000,
    "8h": 28_800_000, "12h": 43_200_000, "1d": 86_400_000, "3d": 259_200_000,
    "1w": 604_800_000,
}  # fmt: skip


class StreamError(RuntimeError):
    """The stream connection failed or the exchange refused a control message."""


# --- stream names ---------------------------------------------------------------------------------


def kline_stream(symbol: str, interval: str) -> str:
    return f"{symbol.lower()}@kline_{interval}"


def ticker_stream(symbol: str) -> str:
    return f"{symbol.lower()}@ticker"


def mark_price_stream(symbol: str) -> str:
    """USD-M mark price every second (the plain `@markPrice` stream comes every 3 s)."""
    return f"{symbol.lower()}@markPrice@1s"


def all_tickers_stream(market: MarketType) -> str:
    """Every symbol's 24 h ticker once a second: USD-M `!ticker@arr`; spot's rolling 1d window."""
    return "!ticker@arr" if market is MarketType.FUTURES else "!ticker_1d@arr"


# --- intervals ------------------------------------------------------------------------------------


def interval_ms(interval: str) -> int:
    """Length of a fixed interval in ms (for `1M`, an upper bound of 31 days)."""
    return _FIXED_INTERVAL_MS.get(interval, 31 * 86_400_000)


def next_open_time(interval: str, open_time: int) -> int:
    """Open time of the bar after the one opening at `open_time` (calendar months for `1M`)."""
    if interval != "1M":
        return open_time + _FIXED_INTERVAL_MS[interval]
    day = datetime.fromtimestamp(open_time / 1000, tz=UTC)
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return calendar.timegm((year, month, 1, 0, 0, 0)) * 1000


# --- frames and REST rows -> row tuples -----------------------------------------------------------


def kline_row_from_ws(market: str, data: dict[str, Any]) -> Row:
    """A `kline` (or USD-M `continuous_kline`) event -> a `KLINES` row."""
    k = data["k"]
    return (
        market, data["ps"] if "ps" in data else k["s"], k["i"], k["t"],
        float(k["o"]), float(k["h"]), float(k["l"]), float(k["c"]), float(k["v"]),
        k["T"], float(k["q"]), k["n"], k["x"],
    )  # fmt: skip


def kline_rows_from_rest(
    market: str, symbol: str, interval: str, rows: Sequence[Sequence[Any]], closed: bool = True
) -> list[Row]:
    """Rows of GET /api/v3/klines or /fapi/v1/klines -> `KLINES` rows, all with `is_closed`."""
    return [
        (
            market,
            symbol,
            interval,
            int(r[0]),
            float(r[1]),
            float(r[2]),
            float(r[3]),
            float(r[4]),
            float(r[5]),
            int(r[6]),
            float(r[7]),
            int(r[8]),
            closed,
        )
        for r in rows
    ]


def ticker_row_from_ws(market: str, data: dict[str, Any]) -> Row:
    """A `24hrTicker` (or rolling-window ticker) event -> a `TICKERS` row."""
    return (
        market, data["s"], float(data["c"]), float(data["o"]), float(data["h"]),
        float(data["l"]), float(data["p"]), float(data["P"]), float(data["v"]),
        float(data["q"]), data["C"],
    )  # fmt: skip


def ticker_rows_from_ws(market: str, data: Iterable[dict[str, Any]]) -> list[Row]:
    """An all-market ticker array (`!ticker@arr`) -> `TICKERS` rows."""
    return [
        (
            market,
            t["s"],
            float(t["c"]),
            float(t["o"]),
            float(t["h"]),
            float(t["l"]),
            float(t["p"]),
            float(t["P"]),
            float(t["v"]),
            float(t["q"]),
            t["C"],
        )
        for t in data
    ]


def mark_price_row_from_ws(data: dict[str, Any]) -> Row:
    """A `markPriceUpdate` event -> a `MARK_PRICES` row."""
    return (data["s"], float(data["p"]), float(data["i"]), float(data["r"]), data["T"], data["E"])


# --- back-off -------------------------------------------------------------------------------------


def backoff_delay(failures: int, initial_s: float, ceiling_s: float) -> float:
    """Exponential back-off with jitter: half fixed, half random, so clients do not stampede."""
    if failures <= 0:
        return 0.0
    base = min(ceiling_s, initial_s * 2 ** (failures - 1))
    return base / 2 + random.uniform(0, base / 2)


# --- the connection -------------------------------------------------------------------------------


def combined_url(root: str, streams: Sequence[str]) -> str:
    """`<root>/stream?streams=a/b` (root is e.g. `wss://stream.binance.com:9443`)."""
    return f"{root}/stream?streams={'/'.join(streams)}"


class StreamConnection:
    """One combined-stream WebSocket with paced, acknowledged SUBSCRIBE / UNSUBSCRIBE.

    The caller reads raw messages with `async for raw in conn.ws`, parses them, and hands any
    message without a "stream" key (a control reply) to `resolve_reply`.
    """

    def __init__(self, root: str, market: MarketType) -> None:
        self.root = root
        self.market = market
        self.ws: ClientConnection | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._min_gap_s = 1.0 / CONTROL_MESSAGES_PER_S[market]
        self._last_control = 0.0

    async def open(self, streams: Sequence[str], timeout_s: float = 10.0) -> list[str]:
        """Connect with the first streams in the URL; return the streams still to subscribe."""
        first, rest = list(streams[:STREAMS_PER_REQUEST]), list(streams[STREAMS_PER_REQUEST:])
        self.ws = await connect(
            combined_url(self.root, first),
            open_timeout=timeout_s,
            ping_interval=20,
            ping_timeout=20,
            close_timeout=2,
            compression=None,
            proxy=None,
            max_size=8 * 1024 * 1024,  # an all-market ticker array is ~1 MB
            max_queue=64,
        )
        return rest

    async def subscribe(self, streams: Sequence[str]) -> None:
        await self._change("SUBSCRIBE", streams)

    async def unsubscribe(self, streams: Sequence[str]) -> None:
        await self._change("UNSUBSCRIBE", streams)

    async def _change(self, method: str, streams: Sequence[str]) -> None:
        for start in range(0, len(streams), STREAMS_PER_REQUEST):
            chunk = list(streams[start : start + STREAMS_PER_REQUEST])
            reply = await self.request(method, chunk)
            if isinstance(reply, dict) and "error" in reply:
                raise StreamError(f"{method} {chunk[:3]}... refused: {reply['error']}")

    async def request(self, method: str, params: list[Any] | None = None) -> Any:
        """Send one control message, paced under Binance's limit, and wait for its reply."""
        if self.ws is None:
            raise StreamError("not connected")
        wait = self._last_control + self._min_gap_s - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self._last_control = time.monotonic()
        request_id = next(self._ids)
        reply: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = reply
        message: dict[str, Any] = {"method": method, "id": request_id}
        if params is not None:
            message["params"] = params
        try:
            await self.ws.send(orjson.dumps(message).decode())
            async with asyncio.timeout(CONTROL_REPLY_TIMEOUT_S):
                return await reply
        except TimeoutError:
            raise StreamError(
                f"no reply to {method} within {CONTROL_REPLY_TIMEOUT_S:g} s"
            ) from None
        finally:
            self._pending.pop(request_id, None)

    def resolve_reply(self, message: Any) -> None:
        """Hand a control reply (`{"result", "id"}` or `{"error", "id"}`) to its waiter."""
        if not isinstance(message, dict):
            return
        waiter = self._pending.get(message.get("id"))  # type: ignore[arg-type]
        if waiter is not None and not waiter.done():
            waiter.set_result(message)

    async def close(self) -> None:
        ws, self.ws = self.ws, None
        for waiter in self._pending.values():
            if not waiter.done():
                waiter.set_exception(StreamError("connection closed"))
        self._pending.clear()
        if ws is not None:
            await ws.close()
