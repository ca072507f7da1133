"""One market's live data: a combined stream connection, its subscriptions, backfill and health.

`MarketFeed.run()` keeps one connection open for as long as any stream is wanted:

- on every connect, each candle series is backfilled over REST from its first bar not known to
  be closed (or its last stored bar, or `history_candles` for a new series) while its stream rows
  are held back; the held rows are applied after the REST rows, so a late REST page never
  overwrites a newer stream frame;
- a bar the stream skipped (its final frame never came) is fetched from REST before the series
  moves on, so the table has every bar exactly once;
- `set_symbols` changes the wanted streams; the live connection SUBSCRIBEs and UNSUBSCRIBEs
  (no reconnect) and new series get their history;
- a connection with no message for `stale_after_s`, older than `max_connection_age_s` (Binance
  cuts at 24 h) or whose held-back rows exceed `max_buffered_frames` is closed and opened again,
  with exponential back-off and jitter after failures. Memory never grows without bound: a full
  buffer costs a reconnect and a backfill, not RAM.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Sequence
from typing import Any

import orjson

from engine.binance.streams import (
    MAX_STREAMS_PER_CONNECTION,
    STREAMS_PER_REQUEST,
    Row,
    StreamConnection,
    backoff_delay,
    kline_row_from_ws,
    mark_price_row_from_ws,
    next_open_time,
    ticker_row_from_ws,
    ticker_rows_from_ws,
)
from engine.events import EventKind, Level
from engine.market import feed_status
from engine.market.backfill import KlineTrack
from engine.market.feed_types import (
    FeedCounters,
    FeedSinks,
    FeedState,
    MarketDataConfig,
    SessionEnded,
    StreamSpec,
    StreamStats,
    wanted_streams,
)
from engine.market.series import SeriesBackfill
from engine.models import MarketType
from engine.store.tables import KLINES, MARK_PRICES, TICKERS

log = logging.getLogger(__name__)


class MarketFeed:
    """The live data of one market (spot or USD-M) on one combined stream connection."""

    def __init__(
        self,
        market: MarketType,
        stream_root: str,
        intervals: Sequence[str],
        config: MarketDataConfig,
        sinks: FeedSinks,
    ) -> None:
        self.market = market
        self.stream_root = stream_root
        self.intervals = tuple(intervals)
        self.config = config
        self.sinks = sinks
        self.state = FeedState.IDLE
        self.counters = FeedCounters()
        self.symbols: tuple[str, ...] = ()
        self.wanted: dict[str, StreamSpec] = {}
        self.wanted_since: dict[str, float] = {}  # monotonic: when a stream was first wanted
        self.routes: dict[str, tuple[StreamSpec, StreamStats]] = {}
        self.stats: dict[str, StreamStats] = {}
        self._tracks: dict[tuple[str, str], KlineTrack] = {}
        self.buffered = 0
        self._changed = asyncio.Event()
        self._stop = asyncio.Event()
        self.finished = asyncio.Event()
        self._session_tasks: set[asyncio.Task[Any]] = set()
        self._series = SeriesBackfill(market, config, sinks, self.counters)
        self._session_failure: BaseException | None = None
        self._conn: StreamConnection | None = None

    # --- selection ------------------------------------------------------------------------------

    def streams_for(self, symbols: Sequence[str]) -> dict[str, StreamSpec]:
        """The streams wanted for `symbols`: klines per interval, ticker, and mark price."""
        return wanted_streams(self.market, self.intervals, symbols, self.config.all_market_tickers)

    def fits(self, symbols: Sequence[str]) -> bool:
        return len(self.streams_for(symbols)) <= MAX_STREAMS_PER_CONNECTION

    def set_symbols(self, symbols: Sequence[str]) -> None:
        """Want the streams of exactly `symbols`; the running session applies the change."""
        self.symbols = tuple(symbols)
        self.wanted = self.streams_for(symbols)
        now = time.monotonic()
        self.wanted_since = {n: self.wanted_since.get(n, now) for n in self.wanted}
        self._changed.set()

    def request_stop(self) -> None:
        self._stop.set()
        self._changed.set()

    # --- the connection loop --------------------------------------------------------------------

    async def run(self) -> None:
        """Keep a connection while streams are wanted; reconnect with back-off until stopped."""
        failures = 0
        try:
            while not self._stop.is_set():
                if not self.wanted:
                    self.state = FeedState.IDLE
                    await self._wait_changed(None)
                    continue
                healthy, reason = await self._one_session()
                if self._stop.is_set():
                    break
                planned = reason.startswith("max-age")  # reconnect at once
                failures = 0 if planned else 1 if healthy else failures + 1
                await self._pause_before_reconnect(failures, reason)
        finally:
            self.state = FeedState.STOPPED
            self.finished.set()

    async def _pause_before_reconnect(self, failures: int, reason: str) -> None:
        self.counters.reconnects += 1
        self.counters.last_reason = reason
        delay = backoff_delay(failures, self.config.backoff_initial_s, self.config.backoff_max_s)
        self.sinks.record_event(
            Level.WARNING,
            EventKind.STREAM_RECONNECT,
            f"{self.market} stream reconnecting in {delay:.2f} s: {reason}",
            {"market": str(self.market), "reason": reason, "delay_s": round(delay, 3)},
        )
        if delay > 0:
            self.state = FeedState.BACKING_OFF
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._stop.wait()

    async def _one_session(self) -> tuple[bool, str]:
        """Run one connection; return (whether it delivered data, why it ended)."""
        self.state = FeedState.CONNECTING
        frames_before = self.counters.frames
        started = time.monotonic()
        try:
            reason = await self._session()
        except asyncio.CancelledError:
            raise
        except SessionEnded as end:
            reason = str(end)
        except Exception as exc:  # any failure: reconnect with back-off
            reason = f"{type(exc).__name__}: {exc}"
        finally:
            await self._end_session()
        lasted = time.monotonic() - started
        healthy = self.counters.frames > frames_before and lasted >= self.config.healthy_session_s
        return healthy, reason

    async def _session(self) -> str:
        conn = self._conn = StreamConnection(self.stream_root, self.market)
        names = sorted(self.wanted)
        stored = await self._stored_open_times()
        # Route the streams named in the URL before the first frame can arrive; the rest are
        # subscribed (and routed) by the first `_sync_subscriptions`.
        series = [self._route(self.wanted[n]) for n in names[:STREAMS_PER_REQUEST]]
        await conn.open(names)
        self.state = FeedState.CONNECTED
        now = time.monotonic()
        self.counters.session_started = self.counters.last_message = now
        self.counters.connected_since = time.time()
        self._spawn(self._read(conn), "read")
        for track in filter(None, series):
            self._spawn(self._backfill(track, stored), "backfill")
        while True:
            await self._sync_subscriptions(conn, stored)
            if self._stop.is_set():
                return "stopped"
            if not self.wanted:
                return "no streams selected"
            await self._wait_changed(self._check_period())
            self._check_health()

    def _check_period(self) -> float:
        return max(0.05, min(1.0, self.config.stale_after_s / 4))

    async def _wait_changed(self, timeout: float | None) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._changed.wait()
        self._changed.clear()

    def _check_health(self) -> None:
        if self._session_failure is not None:
            failure, self._session_failure = self._session_failure, None
            raise SessionEnded(f"{type(failure).__name__}: {failure}")
        now = time.monotonic()
        silent = now - self.counters.last_message
        if silent > self.config.stale_after_s:
            self.counters.stale_reconnects += 1
            self.sinks.record_event(
                Level.WARNING,
                EventKind.STREAM_STALE,
                f"{self.market} stream silent for {silent:.1f} s; reconnecting.",
                {"market": str(self.market), "silent_s": round(silent, 2)},
            )
            raise SessionEnded(f"stale: no message for {silent:.1f} s")
        if now - self.counters.session_started > self.config.max_connection_age_s:
            self.counters.age_reconnects += 1
            raise SessionEnded("max-age: leaving before the exchange's 24 h cut")

    async def _end_session(self) -> None:
        tasks = list(self._session_tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._session_tasks.clear()
        self._session_failure = None
        conn = self._conn
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()
        self._conn = None
        self.routes.clear()
        for track in self._tracks.values():
            track.buffer = None
            track.gap_fill = None
        self.buffered = 0
        self.counters.connected_since = None

    def _spawn(self, coro: Awaitable[Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        task.set_name(f"market-data:{self.market}:{name}")
        self._session_tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._session_tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is None and task.get_name().endswith(":read"):
            error = SessionEnded("closed by the exchange")
        if error is not None and self._session_failure is None:
            self._session_failure = error
            self._changed.set()

    # --- subscriptions --------------------------------------------------------------------------

    async def _sync_subscriptions(
        self, conn: StreamConnection, stored: dict[tuple[str, str], int]
    ) -> None:
        removed = [n for n in self.routes if n not in self.wanted]
        added = [n for n in sorted(self.wanted) if n not in self.routes]
        if removed:
            for name in removed:
                self._unroute(name)
            await conn.unsubscribe(removed)
        if added:
            new_series = [self._route(self.wanted[n]) for n in added]
            for track in filter(None, new_series):
                self._spawn(self._backfill(track, stored), "backfill")
            await conn.subscribe(added)

    def _route(self, spec: StreamSpec) -> KlineTrack | None:
        """Start routing `spec`'s frames; a new candle series holds its rows for a backfill."""
        stats = self.stats.setdefault(spec.name, StreamStats())
        self.routes[spec.name] = (spec, stats)
        if spec.kind != "kline":
            return None
        track = self._tracks.get((spec.symbol, spec.interval))
        if track is None:
            track = KlineTrack(self.market, spec.symbol, spec.interval)
            self._tracks[track.key] = track
        track.buffer = []
        return track

    def _unroute(self, name: str) -> None:
        spec, _ = self.routes.pop(name)
        self.stats.pop(name, None)
        if spec.kind == "kline":
            track = self._tracks.pop((spec.symbol, spec.interval), None)
            if track is not None:
                if track.buffer:
                    self.buffered -= len(track.buffer)
                if track.gap_fill is not None:
                    track.gap_fill.cancel()

    # --- frames ---------------------------------------------------------------------------------

    async def _read(self, conn: StreamConnection) -> None:
        assert conn.ws is not None
        counters, routes, loads = self.counters, self.routes, orjson.loads
        async for raw in conn.ws:
            now = time.monotonic()
            counters.last_message = now
            message = loads(raw)
            name = message.get("stream") if isinstance(message, dict) else None
            if name is None:
                conn.resolve_reply(message)
                continue
            route = routes.get(name)
            if route is None:  # unsubscribed, still in flight
                continue
            spec, stats = route
            stats.messages += 1
            stats.last_message = now
            counters.frames += 1
            self._apply(spec, message["data"])

    def _apply(self, spec: StreamSpec, data: Any) -> None:
        market = self.market.value
        if spec.kind == "kline":
            track = self._tracks.get((spec.symbol, spec.interval))
            if track is not None:
                self._on_kline(track, kline_row_from_ws(market, data))
        elif spec.kind in ("ticker", "tickers"):
            rows = ticker_rows_from_ws(market, data) if spec.kind == "tickers" else [
                ticker_row_from_ws(market, data)]  # fmt: skip
            self.sinks.add_many(TICKERS, rows)
            if self.market is MarketType.SPOT:  # USD-M prices are marks, never a last trade
                for row in rows:
                    self._price(row[1], row[2])
        elif spec.kind == "mark":
            row = mark_price_row_from_ws(data)
            self.sinks.add(MARK_PRICES, row)
            self._price(row[0], row[1])

    def _price(self, symbol: str, price: float) -> None:
        if self.sinks.set_price is not None:
            self.sinks.set_price(self.market, symbol, price)

    def _on_kline(self, track: KlineTrack, row: Row) -> None:
        if track.buffer is not None:
            self._hold(track, row)
            return
        open_time, closed = row[3], row[12]
        needed = track.next_needed
        if needed is not None and open_time > needed and track.gap_fill is None:
            track.gap_fill = self._spawn(self._fill_gap(track, needed, open_time), "gap")
        self.sinks.add(KLINES, row)
        if closed:
            if track.last_closed_frame is None or open_time > track.last_closed_frame:
                track.last_closed_frame = open_time
            if needed is None or open_time == needed:
                track.next_needed = next_open_time(track.interval, open_time)

    def _hold(self, track: KlineTrack, row: Row) -> None:
        assert track.buffer is not None
        if self.buffered >= self.config.max_buffered_frames:
            self.counters.overflows += 1
            raise SessionEnded(
                f"frame buffer full ({self.buffered} rows held during backfill); "
                "dropping the connection to backfill afresh"
            )
        track.buffer.append(row)
        self.buffered += 1

    # --- backfill -------------------------------------------------------------------------------

    async def _stored_open_times(self) -> dict[tuple[str, str], int]:
        if self.sinks.stored_open_times is None:
            return {}
        return await self.sinks.stored_open_times()

    async def _backfill(self, track: KlineTrack, stored: dict[tuple[str, str], int]) -> None:
        """Fetch the series' missing bars, write them, then release the held stream rows."""
        await self._series.backfill(track, stored.get(track.key))
        held, track.buffer = track.buffer or [], None
        self.buffered -= len(held)
        for row in held:
            self._on_kline(track, row)

    async def _fill_gap(self, track: KlineTrack, start: int, before: int) -> None:
        await self._series.fill_gap(track, start, before, lambda: self._tracks.get(track.key))

    # --- status ---------------------------------------------------------------------------------

    def stream_status(self) -> list[dict[str, Any]]:
        """One entry per wanted stream: state, last message age, messages, reconnects."""
        return feed_status.streams(self)

    def summary(self) -> dict[str, Any]:
        """The connection as a whole, for the Status page."""
        return feed_status.summary(self)
