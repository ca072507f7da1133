"""One combined stream connection carrying the books' frames (diff depth, or the tape).

It keeps the connection open while any stream is wanted, SUBSCRIBEs and UNSUBSCRIBEs as the
selection changes (no reconnect), tells its listener when it connects and when it is lost (a
book then resyncs), closes a connection silent for `stale_after_s`, and reconnects with
exponential back-off and jitter.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from engine.binance.streams import StreamConnection, backoff_delay
from engine.models import MarketType


@dataclass(frozen=True)
class BookConfig:
    snapshot_limit: int = 1000  # levels in a REST snapshot (weight 50 spot, 20 USD-M)
    stored_levels: int = 50  # levels per side written for the pages (ladder, fill preview)
    levels_period_s: float = 0.5  # how often the latest levels and the book state are written
    sample_period_s: float = 1.0  # how often a top-of-book sample is stored
    stale_after_s: float = 60.0  # a connection silent this long is reconnected
    backoff_initial_s: float = 0.25
    backoff_max_s: float = 30.0
    snapshot_concurrency: int = 4
    tape_keep_s: float = 3600.0  # trades older than this are deleted from the tape table
    selection_period_s: float = 0.5  # how often the pair selection is looked at


class StreamListener(Protocol):
    def on_frame(self, data: Any) -> None: ...

    def on_connected(self, stream: BookStream) -> None: ...

    def on_lost(self, stream: BookStream, reason: str) -> None: ...


class BookStream:
    """The frames of one kind (`depth` or `tape`) for one market, on one connection."""

    def __init__(
        self,
        market: MarketType,
        kind: str,
        root: str,
        names_of: Callable[[str], str],
        listener: StreamListener,
        config: BookConfig,
    ) -> None:
        self.market, self.kind, self.root = market, kind, root
        self.names_of, self.listener, self.config = names_of, listener, config
        self.symbols: tuple[str, ...] = ()
        self.connected = False
        self.reconnects = 0
        self.frames = 0
        self.last_message = 0.0  # monotonic
        self.last_reason = ""
        self._changed = asyncio.Event()
        self._stop = False

    def set_symbols(self, symbols: Sequence[str]) -> None:
        if tuple(symbols) != self.symbols:
            self.symbols = tuple(symbols)
            self._changed.set()

    def request_stop(self) -> None:
        self._stop = True
        self._changed.set()

    def wanted(self) -> list[str]:
        return sorted(self.names_of(s) for s in self.symbols)

    async def run(self) -> None:
        failures = 0
        while not self._stop:
            if not self.symbols:
                await self._wait_changed(None)
                continue
            started, frames = time.monotonic(), self.frames
            reason = await self._one_session()
            if self._stop:
                break
            self.reconnects += 1
            self.last_reason = reason
            # A connection that delivered frames or stayed up a while was healthy: the next
            # attempt comes soon. Refusals and instant closes back off exponentially.
            healthy = self.frames > frames or time.monotonic() - started > 5
            failures = 1 if healthy else failures + 1
            delay = backoff_delay(
                failures, self.config.backoff_initial_s, self.config.backoff_max_s
            )
            await self._wait_changed(delay)

    async def _one_session(self) -> str:
        conn = StreamConnection(self.root, self.market)
        reader: asyncio.Task[None] | None = None
        try:
            subscribed = self.wanted()
            await conn.open(subscribed)
            self.connected, self.last_message = True, time.monotonic()
            self.listener.on_connected(self)
            reader = asyncio.ensure_future(self._read(conn))
            while not reader.done():
                subscribed = await self._sync(conn, subscribed)
                await self._wait_changed(min(1.0, self.config.stale_after_s / 4), reader)
                silent = time.monotonic() - self.last_message
                if silent > self.config.stale_after_s:
                    return f"stale: no message for {silent:.1f} s"
                if self._stop:
                    return "stopped"
            return _ended(reader)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any failure: reconnect with back-off
            return f"{type(exc).__name__}: {exc}"
        finally:
            if reader is not None:
                reader.cancel()
                await asyncio.gather(reader, return_exceptions=True)
            with contextlib.suppress(Exception):
                await conn.close()
            if self.connected:
                self.connected = False
                self.listener.on_lost(self, "the stream connection was lost")

    async def _sync(self, conn: StreamConnection, subscribed: list[str]) -> list[str]:
        wanted = self.wanted()
        removed = [n for n in subscribed if n not in wanted]
        added = [n for n in wanted if n not in subscribed]
        if removed:
            await conn.unsubscribe(removed)
        if added:
            await conn.subscribe(added)
        return wanted

    async def _read(self, conn: StreamConnection) -> None:
        assert conn.ws is not None
        loads, listener = orjson.loads, self.listener
        async for raw in conn.ws:
            self.last_message = time.monotonic()
            message = loads(raw)
            data = message.get("data") if isinstance(message, dict) else None
            if data is None:
                conn.resolve_reply(message)
                continue
            self.frames += 1
            listener.on_frame(data)

    async def _wait_changed(self, timeout: float | None, reader: Any = None) -> None:
        waiters = [asyncio.ensure_future(self._changed.wait())]
        if reader is not None:
            waiters.append(reader)
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiters[0].cancel()
        self._changed.clear()

    def status(self) -> dict[str, Any]:
        silent = time.monotonic() - self.last_message if self.connected else None
        return {
            "market": str(self.market),
            "kind": self.kind,
            "connected": self.connected,
            "streams": len(self.symbols),
            "frames": self.frames,
            "reconnects": self.reconnects,
            "last_message_age_s": None if silent is None else round(silent, 3),
            "last_reconnect_reason": self.last_reason,
        }


def _ended(reader: asyncio.Task[None]) -> str:
    if reader.cancelled():
        return "cancelled"
    error = reader.exception()
    return f"{type(error).__name__}: {error}" if error else "closed by the exchange"
