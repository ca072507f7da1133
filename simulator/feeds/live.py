"""The live feed: prices from a real Binance-compatible market-data endpoint (no keys).

Spec: ``live:REST_URL[?history=1d][|WS_URL]``, e.g. ``live:https://api.binance.com``,
``live:https://data-api.binance.vision``, or another simulator ``live:http://127.0.0.1:8123``.
Without WS_URL the stream address is derived from the REST one (``derive_ws_url``).

- History: 1m bars from ``REST_URL/api/v3/klines`` for ``history`` (default 1 day) before
  the start, copied field for field.
- Live: the combined stream ``WS_URL/stream?streams=<symbol>@kline_1m/...``. Each kline update
  is a snapshot of the forming minute; the feed turns the change since the previous snapshot
  into samples (the open, a new high or low, then the close carrying the new volume), so the
  simulator's 1m bars equal the upstream's.
- On every (re)connect the missed minutes are fetched from REST first; reconnects back off
  exponentially (0.5 s doubling to 30 s), and a stream silent for 30 s is reconnected.

Upstream times are used as they are, so the simulator should run on the wall clock. Network
work runs on the feed's own thread and event loop: the simulator's loop is never blocked
after start-up, and the feed works the same whether or not its caller has a loop. The REST
history is fetched while the feed is built, so the upstream must not be served by the
caller's own event loop. Orders are never sent upstream; they are simulated locally.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import random
import threading
import time
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import aiohttp
import numpy as np
import orjson

from simulator.feeds.base import FeedHistory, FeedSymbol, PriceFeed
from simulator.feeds.candles import FLOAT_FIELDS, INT_FIELDS, MINUTE_MS, BarColumns, PathChunk
from simulator.feeds.spec import LIVE_HISTORY_MS, UpstreamUrls, parse_live_spec

log = logging.getLogger("simulator.feeds.live")

KLINES_PER_REQUEST = 1000
BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 30.0
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=10.0)
STREAM_TIMEOUT = aiohttp.ClientWSTimeout(ws_receive=30.0, ws_close=5.0)  # silence: reconnect
START_TIMEOUT_S = 60.0


class _MinuteTracker:
    """Turns successive snapshots of a symbol's forming 1m kline into path samples."""

    def __init__(self, spec: FeedSymbol, first_minute_ms: int) -> None:
        self.spec = spec
        self.first_minute_ms = first_minute_ms  # minutes before this are history
        self.open_time = -1
        self.high = self.low = self.close = 0
        self.volume = self.trades = self.buys = 0
        self.last_time = 0
        self.samples: list[tuple[int, int, int, int, int]] = []  # time, price, vol, trades, buy

    def _ticks(self, text: str) -> int:
        return _units(text, self.spec.tick_size)

    def _steps(self, text: str) -> int:
        return _units(text, self.spec.step_size)

    def update(self, open_time: int, close_time: int, k: dict[str, Any], event_ms: int) -> None:
        """Fold one kline snapshot (Binance stream field names) seen at ``event_ms``."""
        if open_time < max(self.open_time, self.first_minute_ms):
            return  # a stale minute, or one the history already holds
        volume, trades, buys = self._steps(k["v"]), int(k["n"]), self._steps(k["V"])
        if open_time == self.open_time and volume < self.volume:
            return  # an older snapshot of this minute
        at = min(max(event_ms, open_time, self.last_time), close_time)
        o, h, low, c = (self._ticks(k[f]) for f in "ohlc")
        moves: list[int] = []
        if open_time > self.open_time:
            self.open_time, self.high, self.low = open_time, o, o
            self.volume = self.trades = self.buys = 0
            moves.append(o)
        extremes = [p for p, new in ((h, h > self.high), (low, low < self.low)) if new]
        if len(extremes) == 2 and o - low < h - o:
            extremes.reverse()  # both new: the one nearer the open first (here the low)
        moves += extremes
        self.high, self.low = max(self.high, h), min(self.low, low)
        for price in moves:
            self.samples.append((at, price, 0, 0, 0))
        if moves or c != self.close or volume > self.volume:
            self.samples.append(
                (at, c, volume - self.volume, trades - self.trades, max(buys - self.buys, 0))
            )
        self.close, self.volume, self.trades, self.buys = c, volume, trades, buys
        self.last_time = at

    def take(self, until_ms: int) -> PathChunk:
        cut = 0
        while cut < len(self.samples) and self.samples[cut][0] <= until_ms:
            cut += 1
        taken, self.samples = self.samples[:cut], self.samples[cut:]
        if not taken:
            return PathChunk.empty()
        cols = np.array(taken, dtype=np.int64).T
        return PathChunk(cols[0], cols[1], cols[2], np.maximum(cols[3], 0), cols[4])


def _rest_kline_fields(row: list[Any]) -> dict[str, Any]:
    """A /api/v3/klines row in the stream's field names."""
    return {
        "o": row[1],
        "h": row[2],
        "l": row[3],
        "c": row[4],
        "v": row[5],
        "n": row[8],
        "V": row[9],
    }


def _history_columns(spec: FeedSymbol, rows: list[list[Any]], end_ms: int) -> BarColumns | None:
    """Closed upstream 1m bars before ``end_ms``, contiguous (a missing minute is flat)."""
    rows = [r for r in rows if int(r[0]) < end_ms]
    if not rows:
        return None
    first = int(rows[0][0])
    n = (end_ms - first) // MINUTE_MS
    ints = {f: np.zeros(n, dtype=np.int64) for f in INT_FIELDS}
    floats = {f: np.zeros(n, dtype=np.float64) for f in FLOAT_FIELDS}
    present = np.zeros(n, dtype=bool)
    tick, step = spec.tick_size, spec.step_size
    for r in rows:
        i = (int(r[0]) - first) // MINUTE_MS
        present[i] = True
        for f, j in (("open", 1), ("high", 2), ("low", 3), ("close", 4)):
            ints[f][i] = _units(r[j], tick)
        ints["volume"][i], ints["buy_volume"][i] = _units(r[5], step), _units(r[9], step)
        ints["trades"][i] = int(r[8])
        floats["quote_volume"][i], floats["buy_quote_volume"][i] = float(r[7]), float(r[10])
    source = np.maximum.accumulate(np.where(present, np.arange(n), 0))
    for f in ("open", "high", "low", "close"):
        ints[f] = np.where(present, ints[f], ints["close"][source])
    return BarColumns(first, MINUTE_MS, **ints, **floats)


def _units(text: str, unit: Decimal) -> int:
    return int((Decimal(text) / unit).to_integral_value())


class LiveFeed(PriceFeed):
    """Prices followed live from an upstream endpoint (see the module docstring)."""

    def __init__(
        self,
        symbols: Sequence[FeedSymbol],
        urls: UpstreamUrls,
        start_ms: int,
        history_ms: int = LIVE_HISTORY_MS,
        seed: int = 0,
        backoff_s: tuple[float, float] = (BACKOFF_FIRST_S, BACKOFF_MAX_S),
    ) -> None:
        super().__init__(symbols, start_ms)
        self.urls = urls
        self.history_ms = history_ms
        self.backoff_s = backoff_s
        self.reconnects = 0
        self.connected = False
        self.last_message_ms = 0
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._trackers = {s.symbol: _MinuteTracker(s, self.history_end_ms) for s in self.symbols}
        self._histories: dict[str, FeedHistory] = {}
        self._loop = asyncio.new_event_loop()
        self._task: asyncio.Task[None] | None = None
        self._ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._run, name="live-feed", daemon=True)
        self._thread.start()
        try:
            self._ready.result(timeout=START_TIMEOUT_S)
        except BaseException:
            self.stop()
            raise

    @classmethod
    def from_spec(
        cls, argument: str, symbols: Sequence[FeedSymbol], seed: int, start_ms: int
    ) -> LiveFeed:
        urls, history_ms = parse_live_spec(argument)
        return cls(symbols, urls, start_ms=start_ms, history_ms=history_ms, seed=seed)

    # ----- PriceFeed -----

    def history(self, symbol: str) -> FeedHistory:
        return self._histories[symbol]

    def read(self, symbol: str, until_ms: int) -> PathChunk:
        with self._lock:
            return self._trackers[symbol].take(until_ms)

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.stop)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop following the upstream; the feed's thread has ended when this returns."""
        if self._thread.is_alive() and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._cancel)
            self._thread.join(timeout)

    def forming(self, symbol: str) -> tuple[int, Decimal, Decimal]:
        """(open time, close, volume) of the upstream's forming 1m bar as last received."""
        with self._lock:
            t = self._trackers[symbol]
            return t.open_time, t.close * t.spec.tick_size, t.volume * t.spec.step_size

    def status(self) -> dict[str, Any]:
        return {
            "connected": self.connected,
            "reconnects": self.reconnects,
            "last_message_ms": self.last_message_ms,
            "rest": self.urls.rest,
            "ws": self.urls.ws,
        }

    # ----- the feed's thread -----

    def _cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._task = self._loop.create_task(self._main())
        with contextlib.suppress(asyncio.CancelledError):
            self._loop.run_until_complete(self._task)
        self._loop.run_until_complete(self._loop.shutdown_asyncgens())
        self._loop.close()

    async def _main(self) -> None:
        async with aiohttp.ClientSession() as session:
            try:
                await self._backfill_history(session)
            except BaseException as e:
                self._ready.set_exception(
                    ConnectionError(f"live feed: cannot backfill from {self.urls.rest}: {e!r}")
                )
                return
            self._ready.set_result(None)
            await self._follow(session)

    async def _klines(
        self, session: aiohttp.ClientSession, symbol: str, start_ms: int, end_ms: int
    ) -> list[list[Any]]:
        """1m klines [start_ms, end_ms] from REST, following pages."""
        rows: list[list[Any]] = []
        while start_ms <= end_ms:
            params = {
                "symbol": symbol,
                "interval": "1m",
                "startTime": start_ms,
                "endTime": end_ms,
                "limit": KLINES_PER_REQUEST,
            }
            url = f"{self.urls.rest}/api/v3/klines"
            async with session.get(url, params=params, timeout=REQUEST_TIMEOUT) as r:
                if r.status != 200:
                    raise ConnectionError(f"GET klines {symbol}: HTTP {r.status}: {await r.text()}")
                page = orjson.loads(await r.read())
            rows += page
            if len(page) < KLINES_PER_REQUEST:
                break
            start_ms = int(page[-1][0]) + MINUTE_MS
        return rows

    async def _backfill_history(self, session: aiohttp.ClientSession) -> None:
        first = self.history_end_ms - self.history_ms
        for spec in self.symbols:
            rows = await self._klines(session, spec.symbol, first, self.start_ms)
            minutes = _history_columns(spec, rows, self.history_end_ms)
            if minutes is None:
                raise ConnectionError(f"no 1m klines for {spec.symbol} before the start")
            self._histories[spec.symbol] = FeedHistory(minutes=minutes)
            self._fold_rest(
                spec.symbol, [r for r in rows if int(r[0]) >= self.history_end_ms], self.start_ms
            )

    def _fold_rest(self, symbol: str, rows: list[list[Any]], now_ms: int) -> None:
        with self._lock:
            tracker = self._trackers[symbol]
            for r in rows:
                close_time = int(r[6])
                seen = close_time if close_time < now_ms else now_ms
                tracker.update(int(r[0]), close_time, _rest_kline_fields(r), seen)

    async def _upstream_now(self, session: aiohttp.ClientSession) -> int:
        """The upstream's clock (GET /api/v3/time), or ours if it does not say."""
        try:
            url = f"{self.urls.rest}/api/v3/time"
            async with session.get(url, timeout=REQUEST_TIMEOUT) as r:
                return int(orjson.loads(await r.read())["serverTime"])
        except (TimeoutError, aiohttp.ClientError, KeyError, ValueError, TypeError):
            return int(time.time() * 1000)

    async def _catch_up(self, session: aiohttp.ClientSession) -> None:
        """Fetch what the stream missed: every minute from each symbol's forming one on."""
        now = await self._upstream_now(session)
        for spec in self.symbols:
            since = max(self._trackers[spec.symbol].open_time, self.history_end_ms)
            self._fold_rest(spec.symbol, await self._klines(session, spec.symbol, since, now), now)

    def _stream_url(self) -> str:
        names = "/".join(f"{s.symbol.lower()}@kline_1m" for s in self.symbols)
        return f"{self.urls.ws}/stream?streams={names}"

    async def _follow(self, session: aiohttp.ClientSession) -> None:
        first_delay, max_delay = self.backoff_s
        delay = first_delay
        while True:
            if await self._stream_once(session):
                delay = first_delay  # it worked for a while: start the back-off over
            self.connected = False
            self.reconnects += 1
            await asyncio.sleep(delay * self._random.uniform(0.8, 1.2))
            delay = min(delay * 2, max_delay)

    async def _stream_once(self, session: aiohttp.ClientSession) -> bool:
        """One connection: catch up from REST, then fold messages until it ends.

        Returns whether any message arrived.
        """
        got_messages = False
        try:
            async with session.ws_connect(self._stream_url(), timeout=STREAM_TIMEOUT) as ws:
                self.connected = True
                await self._catch_up(session)
                async for message in ws:
                    if message.type is not aiohttp.WSMsgType.TEXT:
                        break
                    got_messages = True
                    self._on_message(message.data)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            log.warning("live feed %s: %r", self.urls.ws, e)
        return got_messages

    def _on_message(self, text: str) -> None:
        message = orjson.loads(text)
        event = message.get("data", message)
        if event.get("e") != "kline":
            return
        k = event["k"]
        tracker = self._trackers.get(event.get("s", k.get("s")))
        if tracker is None:
            return
        self.last_message_ms = int(time.time() * 1000)
        with self._lock:
            tracker.update(int(k["t"]), int(k["T"]), k, int(event["E"]))
