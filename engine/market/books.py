"""Local order books per selected pair and market, as an engine component.

For each market a `BookStream` carries the diff-depth frames (USD-M on the `/public` route)
and another the tape (spot `trade`, USD-M `aggTrade` on `/market`). Each book follows
Binance's procedure (`book.py`); this component fetches the REST snapshots it asks for (a few
at a time, retried with back-off, discarded if the book restarted meanwhile). Nothing is
written per update: every `levels_period_s` the best levels and each book's state replace the
previous ones in DuckDB, every `sample_period_s` a top-of-book sample is stored, and the tape
is appended in the writer's batches and trimmed to `tape_keep_s`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any, Protocol

from engine.binance.depth import (
    DepthSnapshot,
    depth_stream,
    is_trade,
    tape_stream,
    trade_from_ws,
)
from engine.binance.streams import backoff_delay
from engine.clock import now_ms
from engine.context import EngineContext
from engine.market.book import BookState, LocalBook
from engine.market.book_rows import level_rows, state_row, tape_row, top_row
from engine.market.book_stream import BookConfig, BookStream
from engine.market.market_books import MarketBooks
from engine.models import MarketType
from engine.store.tables import BOOK_LEVELS, BOOK_STATE, BOOK_TOP, TAPE
from engine.venue import Venue


class PairSource(Protocol):
    def selected(self, market: MarketType) -> tuple[str, ...]: ...


class SnapshotSource(Protocol):
    async def depth(self, market: MarketType, symbol: str, limit: int) -> DepthSnapshot: ...


class OrderBooks:
    """The books of the selected pairs of both markets."""

    name = "books"

    def __init__(self, venue: Venue, pairs: PairSource, config: BookConfig | None = None) -> None:
        self.venue = venue
        self.pairs = pairs
        self.config = config or BookConfig()
        self.markets: dict[MarketType, MarketBooks] = {}
        self.streams: list[BookStream] = []
        self._fetching: set[tuple[MarketType, str]] = set()
        self._slots = asyncio.Semaphore(self.config.snapshot_concurrency)
        self._ctx: EngineContext | None = None

    @property
    def snapshots(self) -> SnapshotSource:
        return self.venue.rest

    async def start(self, ctx: EngineContext) -> None:
        self._ctx = ctx
        endpoints = self.venue.rest.endpoints
        for market in MarketType:
            if market in self.venue.unavailable:
                continue
            books = self.markets[market] = MarketBooks(market, self._want_snapshot)
            futures = market is MarketType.FUTURES
            depth_root = endpoints.futures_ws_public if futures else endpoints.spot_stream_root
            tape_root = endpoints.futures_ws_market if futures else endpoints.spot_stream_root
            depth = BookStream(market, "depth", depth_root, depth_stream, books, self.config)
            tape = BookStream(
                market, "tape", tape_root, lambda s, m=market: tape_stream(m, s),
                _TapeListener(market, ctx), self.config,
            )  # fmt: skip
            for stream in (depth, tape):
                self.streams.append(stream)
                ctx.supervise(f"books:{market}:{stream.kind}", stream.run)
        self._follow_selection()
        ctx.supervise("books:selection", self._selection_loop)
        ctx.supervise("books:store", self._store_loop)

    async def stop(self) -> None:
        for stream in self.streams:
            stream.request_stop()
        self._ctx = None

    def book(self, market: MarketType, symbol: str) -> LocalBook | None:
        books = self.markets.get(market)
        return books.books.get(symbol) if books else None

    # --- selection ------------------------------------------------------------------------------

    def _follow_selection(self) -> None:
        for stream in self.streams:
            symbols = self.pairs.selected(stream.market)
            stream.set_symbols(symbols)
            if stream.kind == "depth":
                books = self.markets[stream.market]
                books.ask_for_snapshots()  # a book added now is asked for on the next round,
                books.set_symbols(symbols)  # once its stream is subscribed

    async def _selection_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.selection_period_s)
            self._follow_selection()

    # --- snapshots ------------------------------------------------------------------------------

    def _want_snapshot(self, market: MarketType, book: LocalBook) -> None:
        key = (market, book.symbol)
        if key in self._fetching or self._ctx is None:
            return
        self._fetching.add(key)
        self._ctx.spawn(self._fetch(market, book), f"books:snapshot:{market}:{book.symbol}")

    async def _fetch(self, market: MarketType, book: LocalBook) -> None:
        failures = 0
        try:
            while book.wants_snapshot and book.last_id < 0:
                epoch = book.epoch
                try:
                    async with self._slots:
                        snapshot = await self.snapshots.depth(
                            market, book.symbol, self.config.snapshot_limit
                        )
                except Exception as exc:  # retried with back-off; the book says why it waits
                    failures += 1
                    book.reason = f"snapshot failed ({type(exc).__name__}: {exc}); retrying"
                    await asyncio.sleep(backoff_delay(failures, 0.5, self.config.backoff_max_s))
                    continue
                if book.on_snapshot(snapshot, epoch):
                    self.markets[market].snapshot_applied(book.symbol)
        finally:
            self._fetching.discard((market, book.symbol))

    # --- storing --------------------------------------------------------------------------------

    async def _store_loop(self) -> None:
        last_sample = last_trim = 0.0
        while True:
            await asyncio.sleep(self.config.levels_period_s)
            now = time.monotonic()
            sample = now - last_sample >= self.config.sample_period_s
            self.write_rows(now_ms(), sample)
            if sample:
                last_sample = now
            if now - last_trim >= 60:
                last_trim = now
                await self._trim_tape()

    def write_rows(self, time_ms: int, sample: bool) -> None:
        """Hand the latest levels, states and (with `sample`) top samples to the writer."""
        if self._ctx is None:
            return
        writer, cfg = self._ctx.writer, self.config
        second = time_ms // 1000 * 1000
        for market, books in self.markets.items():
            for book in books.books.values():
                writer.add(BOOK_STATE, state_row(market.value, book, time_ms))
                if book.state is BookState.SYNCING:
                    continue
                writer.add_many(BOOK_LEVELS, level_rows(market.value, book, time_ms,
                                                        cfg.stored_levels))  # fmt: skip
                top = top_row(market.value, book, second, cfg.stored_levels) if sample else None
                if top is not None and book.state is BookState.LIVE:
                    writer.add(BOOK_TOP, top)

    async def _trim_tape(self) -> None:
        if self._ctx is None:
            return
        before = now_ms() - int(self.config.tape_keep_s * 1000)
        await self._ctx.store.write(
            lambda con: con.execute("DELETE FROM tape WHERE time < ?", [before])
        )

    # --- status ---------------------------------------------------------------------------------

    def status(self) -> Mapping[str, Any]:
        """Each book's state, last update age and resyncs; each stream connection."""
        return {
            "books": [row for books in self.markets.values() for row in books.status()],
            "streams": [stream.status() for stream in self.streams],
        }


class _TapeListener:
    """The tape's frames go straight to the writer's batches."""

    def __init__(self, market: MarketType, ctx: EngineContext) -> None:
        self.market, self.ctx = market, ctx

    def on_frame(self, data: Any) -> None:
        if is_trade(data):
            self.ctx.writer.add(TAPE, tape_row(self.market.value, trade_from_ws(data)))

    def on_connected(self, stream: BookStream) -> None:
        pass

    def on_lost(self, stream: BookStream, reason: str) -> None:
        pass
