"""MarketFeed's candle bookkeeping without a network: held rows, gap fills, the buffer bound."""

from __future__ import annotations

import asyncio

import pytest

from engine.market.backfill import KlineTrack
from engine.market.feed import MarketFeed
from engine.market.feed_types import FeedSinks, MarketDataConfig, SessionEnded
from engine.models import MarketType
from engine.store.tables import KLINES

MINUTE = 60_000
T0 = 1_700_000_040_000


def row(open_time: int, closed: bool, close: float = 1.0) -> tuple:
    return ("spot", "BTCUSDT", "1m", open_time, 1.0, 2.0, 0.5, close, 10.0,
            open_time + MINUTE - 1, 15.0, 3, closed)  # fmt: skip


class Recorder:
    def __init__(self) -> None:
        self.rows: list[tuple] = []
        self.fetches: list[tuple] = []
        self.events: list[str] = []

    def add(self, spec, r) -> None:
        assert spec is KLINES
        self.rows.append(r)

    def add_many(self, spec, rows) -> None:
        self.rows.extend(rows)

    async def fetch(self, symbol, interval, start, end, limit):
        self.fetches.append((start, end))
        bars = range(start, (end if end is not None else start + 3 * MINUTE) + 1, MINUTE)
        return [row(t, True, close=9.0) for t in bars]


def feed_with(recorder: Recorder, **config) -> MarketFeed:
    sinks = FeedSinks(
        add=recorder.add,
        add_many=recorder.add_many,
        record_event=lambda level, kind, message, data: recorder.events.append(kind),
        fetch_klines=recorder.fetch,
    )
    return MarketFeed(MarketType.SPOT, "ws://unused", ("1m",), MarketDataConfig(**config), sinks)


def live_track(feed: MarketFeed, next_needed: int) -> KlineTrack:
    track = KlineTrack(MarketType.SPOT, "BTCUSDT", "1m", next_needed=next_needed)
    feed._tracks[track.key] = track
    return track


def test_closed_frames_advance_the_series_without_rest():
    async def scenario() -> None:
        recorder = Recorder()
        feed = feed_with(recorder)
        track = live_track(feed, T0)
        for r in (row(T0, False), row(T0, True), row(T0 + MINUTE, False)):
            feed._on_kline(track, r)
        assert track.next_needed == T0 + MINUTE
        assert recorder.fetches == [] and track.gap_fill is None

    asyncio.run(scenario())


def test_skipped_bars_are_fetched_and_never_overwrite_the_stream():
    async def scenario() -> None:
        recorder = Recorder()
        feed = feed_with(recorder)
        track = live_track(feed, T0)
        live = row(T0 + 3 * MINUTE, False, close=42.0)
        feed._on_kline(track, live)  # bars T0 .. T0+2m never closed on the stream
        assert track.gap_fill is not None
        await track.gap_fill
        assert recorder.fetches == [(T0, T0 + 3 * MINUTE - 1)]
        filled = [r for r in recorder.rows if r is not live]
        assert [r[3] for r in filled] == [T0, T0 + MINUTE, T0 + 2 * MINUTE]
        assert all(r[12] for r in filled)  # a later bar exists: these are closed
        assert track.next_needed == T0 + 3 * MINUTE

    asyncio.run(scenario())


def test_rows_held_during_a_backfill_are_applied_after_it():
    async def scenario() -> None:
        recorder = Recorder()
        feed = feed_with(recorder)
        track = live_track(feed, T0)
        track.buffer = []
        stream_row = row(T0 + 3 * MINUTE, False, close=42.0)
        feed._on_kline(track, stream_row)
        assert recorder.rows == [] and feed.buffered == 1
        await feed._backfill(track, {})
        # REST wrote T0 .. T0+3m, then the held stream row came last, so it wins the upsert.
        assert recorder.rows[-1] is stream_row
        assert [r[3] for r in recorder.rows[:-1]] == [T0 + i * MINUTE for i in range(4)]
        assert track.buffer is None and feed.buffered == 0

    asyncio.run(scenario())


def test_a_full_hold_buffer_drops_the_connection_instead_of_growing():
    recorder = Recorder()
    feed = feed_with(recorder, max_buffered_frames=5)
    track = live_track(feed, T0)
    track.buffer = []
    for i in range(5):
        feed._on_kline(track, row(T0, False, close=float(i)))
    with pytest.raises(SessionEnded, match="buffer full"):
        feed._on_kline(track, row(T0, False))
    assert len(track.buffer) == 5 and feed.counters.overflows == 1


def test_selection_becomes_streams():
    recorder = Recorder()
    spot = feed_with(recorder)
    assert sorted(spot.streams_for(["BTCUSDT"])) == ["btcusdt@kline_1m", "btcusdt@ticker"]
    futures = MarketFeed(MarketType.FUTURES, "ws://x", ("1m", "5m"), MarketDataConfig(), spot.sinks)
    assert sorted(futures.streams_for(["ETHUSDT"])) == [
        "ethusdt@kline_1m", "ethusdt@kline_5m", "ethusdt@markPrice@1s", "ethusdt@ticker",
    ]  # fmt: skip
    overview = feed_with(recorder, all_market_tickers=True)
    assert sorted(overview.streams_for(["BTCUSDT"])) == ["!ticker_1d@arr", "btcusdt@kline_1m"]
    assert not spot.fits([f"S{i}USDT" for i in range(600)])
