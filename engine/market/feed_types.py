"""The parts of a market feed: its configuration, states, stream specs, sinks and counters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from engine.binance.streams import (
    Row,
    all_tickers_stream,
    kline_stream,
    mark_price_stream,
    ticker_stream,
)
from engine.events import EventKind, Level
from engine.market.backfill import FetchKlines
from engine.models import MarketType

RecordEvent = Callable[[Level, EventKind, str, Mapping[str, Any]], None]
StoredOpenTimes = Callable[[], Awaitable[dict[tuple[str, str], int]]]
PriceSink = Callable[[MarketType, str, Decimal | float], None]


@dataclass(frozen=True)
class MarketDataConfig:
    """How market data is fetched and kept healthy; the defaults suit Binance."""

    history_candles: int = 1000  # bars fetched for a series with nothing stored
    max_gap_candles: int = 20_000  # a longer outage keeps only the newest bars
    stale_after_s: float = 30.0  # no message for this long: reconnect
    max_connection_age_s: float = 23.5 * 3600  # Binance disconnects at 24 h: leave first
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 60.0
    healthy_session_s: float = 30.0  # a session this long resets the back-off
    max_buffered_frames: int = 20_000  # rows held during backfills, over all series
    backfill_concurrency: int = 4
    all_market_tickers: bool = False  # one `!ticker@arr` stream instead of one per pair


class FeedState(StrEnum):
    IDLE = "idle"  # nothing selected
    CONNECTING = "connecting"
    CONNECTED = "connected"
    BACKING_OFF = "backing-off"
    STOPPED = "stopped"


class SessionEnded(Exception):
    """The connection is to be closed and opened again (reason in the message)."""


@dataclass(frozen=True)
class StreamSpec:
    name: str
    kind: str  # kline | ticker | tickers | mark
    symbol: str = ""
    interval: str = ""


@dataclass
class StreamStats:
    messages: int = 0
    last_message: float | None = None  # monotonic


@dataclass
class FeedSinks:
    """Where a feed's rows and facts go (the engine's writer and event log, in the engine)."""

    add: Callable[[Any, Row], None]
    add_many: Callable[[Any, Sequence[Row]], None]
    record_event: RecordEvent
    set_price: PriceSink | None = None  # the live prices (spot last, futures mark)
    fetch_klines: FetchKlines | None = None  # None: no backfill (benchmarks)
    stored_open_times: StoredOpenTimes | None = None


@dataclass
class FeedCounters:
    reconnects: int = 0
    backfills: int = 0
    backfilled_rows: int = 0
    gap_fills: int = 0
    overflows: int = 0
    stale_reconnects: int = 0
    age_reconnects: int = 0
    last_reason: str = ""
    connected_since: float | None = None  # wall time
    session_started: float = 0.0  # monotonic
    last_message: float = 0.0  # monotonic, any message on the connection
    frames: int = 0


def wanted_streams(
    market: MarketType, intervals: Sequence[str], symbols: Sequence[str], all_tickers: bool
) -> dict[str, StreamSpec]:
    """The streams `symbols` need: klines per interval, the ticker (or one all-market ticker
    stream), and for USD-M the mark price."""
    specs: list[StreamSpec] = []
    for symbol in symbols:
        specs += [StreamSpec(kline_stream(symbol, i), "kline", symbol, i) for i in intervals]
        if not all_tickers:
            specs.append(StreamSpec(ticker_stream(symbol), "ticker", symbol))
        if market is MarketType.FUTURES:
            specs.append(StreamSpec(mark_price_stream(symbol), "mark", symbol))
    if all_tickers and symbols:
        specs.append(StreamSpec(all_tickers_stream(market), "tickers"))
    return {s.name: s for s in specs}
