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
from typing import Any

from engine.binance.streams import REST_KLINES_LIMIT, Row, kline_rows_from_rest
from engine.models import MarketType

# (symbol, interval, start_ms | None, end_ms | None, limit) -> raw REST kline rows
FetchKlines = Callable[[str, str, int | None, int | None, int], Awaitable[list[list[Any]]]]


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


def rest_fetcher(client: Any, market: MarketType) -> FetchKlines:
    """GET /api/v3/klines or /fapi/v1/klines through the engine's gated, retrying client."""

    async def fetch(
        symbol: str, interval: str, start: int | None, end: int | None, limit: int
    ) -> list[list[Any]]:
        params: dict[str, Any] = {"symbol": symbol, "interval": interval, "limit": limit}
        if start is not None:
            params["startTime"] = start
        if end is not None:
            params["endTime"] = end
        if market is MarketType.FUTURES:
            return await client.read(lambda c: c.futures_klines(**params))
        return await client.read(lambda c: c.get_klines(**params))

    return fetch


async def fetch_forward(
    fetch: FetchKlines,
    symbol: str,
    interval: str,
    start: int,
    end: int | None,
    max_candles: int,
) -> tuple[list[list[Any]], bool]:
    """Bars from `start` on (to `end` if given), oldest first; True when `max_candles` cut it."""
    rows: list[list[Any]] = []
    cursor = start
    while len(rows) < max_candles:
        page = await fetch(symbol, interval, cursor, end, REST_KLINES_LIMIT)
        rows.extend(page)
        if len(page) < REST_KLINES_LIMIT:
            return rows, False
        cursor = int(page[-1][0]) + 1
    return rows, True


async def fetch_recent(
    fetch: FetchKlines, symbol: str, interval: str, count: int
) -> list[list[Any]]:
    """The newest `count` bars (the forming one included), oldest first."""
    pages: list[list[list[Any]]] = []
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
        end = int(page[0][0]) - 1
    return [row for page in reversed(pages) for row in page]


def rows_with_forming_last(
    market: str, symbol: str, interval: str, raw: list[list[Any]]
) -> list[Row]:
    """REST rows up to now: every bar is closed but the newest, which is still forming.

    Marking the newest as forming is the safe side: if it had in fact closed, the next stream
    frame opens a later bar and the gap check fetches it again as closed.
    """
    rows = kline_rows_from_rest(market, symbol, interval, raw[:-1], closed=True)
    rows += kline_rows_from_rest(market, symbol, interval, raw[-1:], closed=False)
    return rows
