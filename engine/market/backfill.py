"""Kline history over REST: what to fetch for a candle series, and how to page through it.

`KlineTrack` remembers, per (market, symbol, interval), the first candle not yet known to be
closed (`next_needed`), and holds stream rows back while a backfill runs. The feed backfills
from there on every connect, and fills any hole the stream leaves (a bar whose final frame
never came) from REST before it moves on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from engine.binance.rest import BinanceRest
from engine.binance.streams import REST_KLINES_LIMIT, Row
from engine.models import MarketType

# (symbol, interval, start_ms | None, end_ms | None, limit) -> closed `KLINES` rows, oldest first
FetchKlines = Callable[[str, str, int | None, int | None, int], Awaitable[list[Row]]]
OPEN_TIME = 3  # the `KLINES` column of a row's open time


@dataclass
class KlineTrack:
    """The state of one candle series on the stream."""

    market: MarketType
    symbol: str
    interval: str
    next_needed: int | None = None  # open time of the first bar not known to be closed
    last_closed_frame: int | None = None  # newest bar whose final (x: true) frame arrived
    buffer: list[Row] | None = None  # stream rows held while a backfill runs
    gap_fill: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def key(self) -> tuple[str, str]:
        return self.symbol, self.interval


def rest_fetcher(rest: BinanceRest, market: MarketType) -> FetchKlines:
    """GET /api/v3/klines or /fapi/v1/klines through the engine's gated, retrying adapter."""

    async def fetch(
        symbol: str, interval: str, start: int | None, end: int | None, limit: int
    ) -> list[Row]:
        return await rest.klines(market, symbol, interval, start, end, limit)

    return fetch


async def fetch_forward(
    fetch: FetchKlines,
    symbol: str,
    interval: str,
    start: int,
    end: int | None,
    max_candles: int,
) -> tuple[list[Row], bool]:
    """Bars from `start` on (to `end` if given), oldest first; True when `max_candles` cut it."""
    rows: list[Row] = []
    cursor = start
    while len(rows) < max_candles:
        page = await fetch(symbol, interval, cursor, end, REST_KLINES_LIMIT)
        rows.extend(page)
        if len(page) < REST_KLINES_LIMIT:
            return rows, False
        cursor = page[-1][OPEN_TIME] + 1
    return rows, True


async def fetch_recent(fetch: FetchKlines, symbol: str, interval: str, count: int) -> list[Row]:
    """The newest `count` bars (the forming one included), oldest first."""
    pages: list[list[Row]] = []
    end: int | None = None
    remaining = count
    while remaining > 0:
        limit = min(remaining, REST_KLINES_LIMIT)
        page = await fetch(symbol, interval, None, end, limit)
        if not page:
            break
        pages.append(page)
        remaining -= len(page)
        if len(page) < limit:
            break
        end = page[0][OPEN_TIME] - 1
    return [row for page in reversed(pages) for row in page]


def with_forming_last(rows: list[Row]) -> list[Row]:
    """REST rows up to now: every bar is closed but the newest, which is still forming.

    Marking the newest as forming is the safe side: if it had in fact closed, the next stream
    frame opens a later bar and the gap check fetches it again as closed.
    """
    if not rows:
        return rows
    return [*rows[:-1], (*rows[-1][:-1], False)]


async def fetch_missing(
    fetch: FetchKlines,
    track: KlineTrack,
    stored_open: int | None,
    config: BackfillLimits,
    truncated: Callable[[KlineTrack], None],
) -> list[Row]:
    """The bars a series lacks on (re)connect: from its first bar not known to be closed, or
    its last stored bar, else the newest `history_candles`. A gap longer than
    `max_gap_candles` keeps only the newest bars (and `truncated` is told)."""
    start = track.next_needed if track.next_needed is not None else stored_open
    if start is None:
        return await fetch_recent(fetch, track.symbol, track.interval, config.history_candles)
    raw, cut = await fetch_forward(
        fetch, track.symbol, track.interval, start, None, config.max_gap_candles
    )
    if not cut:
        return raw
    truncated(track)
    recent = await fetch_recent(
        fetch, track.symbol, track.interval, min(1000, config.history_candles)
    )
    return raw[:-1] + [r for r in recent if r[OPEN_TIME] > raw[-2][OPEN_TIME]]


class BackfillLimits(Protocol):
    history_candles: int
    max_gap_candles: int
