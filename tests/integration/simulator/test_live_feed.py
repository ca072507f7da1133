"""The live feed against a tiny Binance-shaped stand-in (real loopback HTTP and WebSocket).

The stand-in replays real kline frames recorded from Binance's USD-M combined stream
(../shared/data/fixtures/cryptofeed/BINANCE_FUTURES.ws.1.0, CTKUSDT and SUSHIUSDT, 2021-07-22)
and answers /api/v3/klines with the state those frames describe, so the test can check that
the simulator's 1m bars equal the upstream's, also across a dropped connection.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Coroutine
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from aiohttp import WSMsgType, web

from simulator.feeds.base import FeedSymbol
from simulator.feeds.candles import DAY_MS, MINUTE_MS
from simulator.feeds.live import LiveFeed
from simulator.feeds.market import Market
from simulator.feeds.spec import UpstreamUrls
from tests.conftest import SHARED_DATA
from tests.helpers import eventually

FIXTURES = SHARED_DATA / "fixtures"
RECORDED = FIXTURES / "cryptofeed" / "BINANCE_FUTURES.ws.1.0"
needs_recording = pytest.mark.skipif(
    not RECORDED.is_file(), reason=f"recorded Binance stream not found at {RECORDED}"
)
SYMBOLS = [
    FeedSymbol("CTKUSDT", Decimal("0.001"), Decimal("1"), Decimal("1"), Decimal("1000000")),
    FeedSymbol("SUSHIUSDT", Decimal("0.001"), Decimal("1"), Decimal("7"), Decimal("1000000")),
]


def recorded_frames() -> list[dict[str, Any]]:
    frames = []
    for line in RECORDED.read_text().splitlines():
        _, _, body = line.partition(": ")
        if '@kline_1m"' not in body:
            continue
        message = json.loads(body)
        if message["data"]["s"] in {s.symbol for s in SYMBOLS}:
            frames.append(message)
    return sorted(frames, key=lambda m: m["data"]["E"])


def rest_row(k: dict[str, Any]) -> list[Any]:
    return [k["t"], k["o"], k["h"], k["l"], k["c"], k["v"], k["T"], k["q"], k["n"], k["V"],
            k["Q"], "0"]  # fmt: skip


def history_rows(symbol: str, first_minute: int, price: float) -> list[list[Any]]:
    """A day of recorded-shaped 1m rows (12 fields, strings for decimals) before first_minute."""
    rng = np.random.default_rng(len(symbol))
    rows = []
    for i in range(1440):
        t = first_minute - (1440 - i) * MINUTE_MS
        o, c = price, price * float(np.exp(rng.normal(0, 0.002)))
        h, lo = max(o, c) * 1.001, min(o, c) * 0.999
        v, buy = int(rng.integers(100, 5000)), 0
        buy = v // 3
        fields = [f"{x:.3f}" for x in (o, h, lo, c)]
        rows.append([t, *fields, str(v), t + MINUTE_MS - 1, f"{v * c:.4f}", int(v // 20),
                     str(buy), f"{buy * c:.4f}", "0"])  # fmt: skip
        price = float(fields[3])
    return rows


class StandIn:
    """Binance-shaped market data on loopback: GET /api/v3/klines, GET /api/v3/time and the
    combined stream /stream, replaying ``frames``; runs on its own thread and loop."""

    def __init__(self, frames: list[dict[str, Any]], start_ms: int) -> None:
        self.frames = frames
        self.released = sum(1 for f in frames if f["data"]["E"] <= start_ms)
        self.now_ms = start_ms
        first = min((f["data"]["k"]["t"] for f in frames), default=start_ms // MINUTE_MS * 60_000)
        self.history = {s.symbol: history_rows(s.symbol, first, float(s.start_price))
                        for s in SYMBOLS}  # fmt: skip
        self.sockets: set[web.WebSocketResponse] = set()
        self.ws_attempts: list[float] = []
        self.refuse_ws = 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.runner: web.AppRunner | None = None
        self.port = 0

    # ----- lifecycle -----
    def __enter__(self) -> StandIn:
        self.thread.start()
        self.run(self._start())
        return self

    def __exit__(self, *exc: object) -> None:
        self.run(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    @property
    def urls(self) -> UpstreamUrls:
        return UpstreamUrls(f"http://127.0.0.1:{self.port}", f"ws://127.0.0.1:{self.port}")

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get("/api/v3/klines", self._klines)
        app.router.add_get("/api/v3/time", self._time)
        app.router.add_get("/stream", self._stream)
        self.runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = self.runner.addresses[0][1]

    async def _stop(self) -> None:
        await self._drop()
        assert self.runner is not None
        await self.runner.cleanup()

    # ----- what the upstream knows -----
    def rows(self, symbol: str) -> list[list[Any]]:
        forming: dict[int, list[Any]] = {}
        for frame in self.frames[: self.released]:
            k = frame["data"]["k"]
            if k["s"] == symbol:
                forming[k["t"]] = rest_row(k)
        return self.history[symbol] + [forming[t] for t in sorted(forming)]

    def final_states(self, symbol: str) -> dict[int, dict[str, Any]]:
        return {f["data"]["k"]["t"]: f["data"]["k"] for f in self.frames
                if f["data"]["s"] == symbol}  # fmt: skip

    # ----- handlers -----
    async def _klines(self, request: web.Request) -> web.Response:
        q = request.query
        start, end = int(q.get("startTime", 0)), int(q.get("endTime", 2**62))
        rows = [r for r in self.rows(q["symbol"]) if start <= r[0] <= end]
        return web.json_response(rows[: int(q.get("limit", 500))])

    async def _time(self, request: web.Request) -> web.Response:
        return web.json_response({"serverTime": self.now_ms})

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        self.ws_attempts.append(time.monotonic())
        if self.refuse_ws > 0:
            self.refuse_ws -= 1
            return web.Response(status=503, text="try later")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.add(ws)
        async for message in ws:
            if message.type == WSMsgType.ERROR:
                break
        self.sockets.discard(ws)
        return ws

    # ----- what the test does -----
    async def _push(self, n: int, send: bool) -> None:
        for frame in self.frames[self.released : self.released + n]:
            self.released += 1
            self.now_ms = frame["data"]["E"]
            if send:
                for ws in list(self.sockets):
                    await ws.send_str(json.dumps(frame))

    def push(self, n: int) -> None:
        """The next n recorded frames happen and are streamed."""
        self.run(self._push(n, send=True))

    def drop_while(self, n: int) -> None:
        """Close every stream connection; then the next n frames happen unseen."""
        self.run(self._drop())
        self.run(self._push(n, send=False))

    async def _drop(self) -> None:
        for ws in list(self.sockets):
            await ws.close()


def kline_tuple(k: dict[str, Any]) -> tuple:
    return (k["t"], *(Decimal(k[f]) for f in "ohlcv"), k["n"], Decimal(k["V"]))


def bar_tuple(bar) -> tuple:
    return (bar.open_time, bar.open, bar.high, bar.low, bar.close, bar.volume, bar.trades,
            bar.taker_buy_volume)  # fmt: skip


def received_everything(feed: LiveFeed, server: StandIn) -> bool:
    for spec in SYMBOLS:
        states = [f["data"]["k"] for f in server.frames[: server.released]
                  if f["data"]["s"] == spec.symbol]  # fmt: skip
        if states:
            k = states[-1]
            if feed.forming(spec.symbol)[0] != k["t"] or feed.forming(spec.symbol)[2] != Decimal(
                k["v"]
            ):
                return False
    return True


def assert_bars_equal_upstream(market: Market, server: StandIn) -> None:
    for spec in SYMBOLS:
        for minute, k in server.final_states(spec.symbol).items():
            bar = market.klines(spec.symbol, "1m", start_ms=minute, limit=1)[0]
            assert bar_tuple(bar) == kline_tuple(k), (spec.symbol, minute)


@pytest.fixture
def frames() -> list[dict[str, Any]]:
    return recorded_frames()


@needs_recording
def test_history_is_the_upstreams_klines_field_for_field(frames) -> None:
    start = frames[0]["data"]["E"]
    with StandIn(frames, start) as server:
        feed = LiveFeed(SYMBOLS, server.urls, start_ms=start, history_ms=DAY_MS)
        try:
            market = Market(feed, SYMBOLS)
            for spec in SYMBOLS:
                bars = market.klines(spec.symbol, "1m", end_ms=start - start % MINUTE_MS - 1,
                                     limit=2000)  # fmt: skip
                rows = server.history[spec.symbol][-len(bars) :]
                assert len(bars) >= 1439
                for bar, row in zip(bars, rows, strict=True):
                    got = bar.to_binance()
                    assert got[0] == row[0] and got[6] == row[6] and got[8] == row[8]
                    for i in (1, 2, 3, 4, 5, 7, 9, 10):
                        assert Decimal(got[i]) == Decimal(row[i]), (i, row)
        finally:
            feed.stop()


@needs_recording
def test_stream_updates_rebuild_the_upstreams_bars_exactly(frames) -> None:
    start = frames[0]["data"]["E"]
    with StandIn(frames, start) as server:
        feed = LiveFeed(SYMBOLS, server.urls, start_ms=start, history_ms=DAY_MS)
        try:
            market = Market(feed, SYMBOLS)
            eventually(lambda: feed.connected, what="the stream to connect")
            ticks = []
            for _ in range(len(frames)):
                server.push(1)
                eventually(lambda: received_everything(feed, server), what="the pushed frame")
                ticks += market.advance(server.now_ms + 1)
            assert_bars_equal_upstream(market, server)
            assert ticks and all(t.symbol in ("CTKUSDT", "SUSHIUSDT") for t in ticks)
            assert feed.reconnects == 0
        finally:
            feed.stop()


@needs_recording
def test_a_dropped_stream_reconnects_and_fills_the_gap_from_rest(frames) -> None:
    start = frames[0]["data"]["E"]
    with StandIn(frames, start) as server:
        feed = LiveFeed(SYMBOLS, server.urls, start_ms=start, history_ms=DAY_MS)
        try:
            market = Market(feed, SYMBOLS)
            eventually(lambda: feed.connected, what="the stream to connect")
            server.push(10)
            eventually(lambda: received_everything(feed, server), what="the first frames")
            market.advance(server.now_ms + 1)
            server.drop_while(30)  # the CTK minute closes while nobody listens
            eventually(lambda: feed.reconnects >= 1 and feed.connected, what="a reconnect")
            eventually(lambda: received_everything(feed, server), what="the catch-up from REST")
            server.push(len(frames))
            eventually(lambda: received_everything(feed, server), what="the last frames")
            market.advance(server.now_ms + 1)
            assert_bars_equal_upstream(market, server)
        finally:
            feed.stop()


def test_the_stream_reconnects_with_growing_back_off() -> None:
    start = int(time.time() * 1000)
    with StandIn([], start) as server:
        server.refuse_ws = 3
        feed = LiveFeed(SYMBOLS, server.urls, start_ms=start, backoff_s=(0.1, 30.0))
        try:
            eventually(lambda: feed.connected, what="the stream to connect after refusals")
            gaps = np.diff(server.ws_attempts[:4])
            assert feed.reconnects == 3
            assert gaps[0] < gaps[1] < gaps[2]  # 0.1 s, 0.2 s, 0.4 s, each +-20%
        finally:
            feed.stop()


def test_an_unreachable_upstream_is_a_clear_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    urls = UpstreamUrls(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}")
    threads = threading.active_count()
    with pytest.raises(ConnectionError, match=f"cannot backfill from http://127.0.0.1:{port}"):
        LiveFeed(SYMBOLS, urls, start_ms=int(time.time() * 1000))
    eventually(lambda: threading.active_count() == threads, what="the feed thread to end")
