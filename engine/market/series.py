"""Candle series over REST: the backfill on (re)connect and the bars the stream skipped.

At most `backfill_concurrency` fetches run at once per market, so a reconnect with many series
does not spend the request-weight budget in one burst.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from engine.binance.streams import Row, next_open_time
from engine.events import EventKind, Level
from engine.market.backfill import KlineTrack, fetch_forward, fetch_missing, with_forming_last
from engine.market.feed_types import FeedCounters, FeedSinks, MarketDataConfig
from engine.models import MarketType
from engine.store.tables import KLINES


class SeriesBackfill:
    def __init__(
        self,
        market: MarketType,
        config: MarketDataConfig,
        sinks: FeedSinks,
        counters: FeedCounters,
    ) -> None:
        self.market = market
        self.config = config
        self.sinks = sinks
        self.counters = counters
        self._slots = asyncio.Semaphore(config.backfill_concurrency)

    async def backfill(self, track: KlineTrack, stored_open: int | None) -> None:
        """Fetch and write the series' missing bars; the newest is marked forming."""
        fetch = self.sinks.fetch_klines
        rows: list[Row] = []
        if fetch is not None:
            async with self._slots:
                raw = await fetch_missing(fetch, track, stored_open, self.config, self._truncated)
            rows = with_forming_last(raw)
        if rows:
            self.sinks.add_many(KLINES, rows)
            last = rows[-1][3]
            if track.next_needed is None or last >= track.next_needed:
                track.next_needed = last
        self.counters.backfills += 1
        self.counters.backfilled_rows += len(rows)

    def _truncated(self, track: KlineTrack) -> None:
        self.sinks.record_event(
            Level.WARNING,
            EventKind.BACKFILL_TRUNCATED,
            f"{self.market} {track.symbol} {track.interval}: the gap is longer than "
            f"{self.config.max_gap_candles} bars; fetching the newest, the middle stays empty.",
            {"market": str(self.market), "symbol": track.symbol, "interval": track.interval},
        )

    async def fill_gap(
        self,
        track: KlineTrack,
        start: int,
        before: int,
        current: Callable[[], KlineTrack | None],
    ) -> None:
        """Fetch bars [start, before) the stream skipped; all are closed (a later bar exists).

        `current` gives the series' track now: a series dropped meanwhile is left alone.
        """
        try:
            fetch = self.sinks.fetch_klines
            if fetch is None:
                track.next_needed = before
                return
            async with self._slots:
                raw, _ = await fetch_forward(
                    fetch, track.symbol, track.interval, start, before - 1,
                    self.config.max_gap_candles,
                )  # fmt: skip
            if current() is not track:
                return
            floor = track.next_needed if track.next_needed is not None else start
            self.sinks.add_many(KLINES, [r for r in raw if floor <= r[3] < before])
            self.counters.gap_fills += 1
            if track.next_needed is None or track.next_needed < before:
                track.next_needed = before
            if track.last_closed_frame == track.next_needed:
                track.next_needed = next_open_time(track.interval, before)
        finally:
            track.gap_fill = None
