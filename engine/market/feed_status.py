"""What the Status page shows of a market feed: each stream's state and the connection's."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Protocol

from engine.market.feed_types import (
    FeedCounters,
    FeedState,
    MarketDataConfig,
    StreamSpec,
    StreamStats,
)
from engine.models import MarketType


class FeedView(Protocol):
    """What the status of a feed is read from."""

    market: MarketType
    state: FeedState
    symbols: tuple[str, ...]
    counters: FeedCounters
    config: MarketDataConfig
    wanted: Mapping[str, StreamSpec]
    wanted_since: Mapping[str, float]
    stats: Mapping[str, StreamStats]
    routes: Mapping[str, Any]
    buffered: int


def streams(feed: FeedView) -> list[dict[str, Any]]:
    """One entry per wanted stream: state, last message age, messages, reconnects."""
    now = time.monotonic()
    rows = []
    for name, spec in sorted(feed.wanted.items()):
        stats = feed.stats.get(name, StreamStats())
        age = None if stats.last_message is None else round(now - stats.last_message, 3)
        wanted_for = now - feed.wanted_since.get(name, now)
        rows.append(
            {
                "market": str(feed.market),
                "stream": name,
                "symbol": spec.symbol,
                "kind": spec.kind,
                "state": str(feed.state),
                "subscribed": name in feed.routes,
                "last_message_age_s": age,
                "silent_s": age if age is not None else round(wanted_for, 3),
                "stale": _is_stale(feed, age, wanted_for),
                "messages": stats.messages,
                "reconnects": feed.counters.reconnects,
            }
        )
    return rows


def _is_stale(feed: FeedView, age: float | None, wanted_for: float) -> bool:
    """Silent too long; a stream still waiting for its first frame is not stale yet."""
    silent = age if age is not None else wanted_for
    return silent > feed.config.stale_after_s


def summary(feed: FeedView) -> dict[str, Any]:
    """The connection as a whole, for the Status page."""
    c = feed.counters
    silent = time.monotonic() - c.last_message if c.connected_since else None
    return {
        "market": str(feed.market),
        "state": str(feed.state),
        "symbols": list(feed.symbols),
        "streams": len(feed.wanted),
        "subscribed": len(feed.routes),
        "connected_since_ms": int(c.connected_since * 1000) if c.connected_since else None,
        "last_message_age_s": None if silent is None else round(silent, 3),
        "frames": c.frames,
        "reconnects": c.reconnects,
        "stale_reconnects": c.stale_reconnects,
        "age_reconnects": c.age_reconnects,
        "overflows": c.overflows,
        "backfills": c.backfills,
        "backfilled_rows": c.backfilled_rows,
        "gap_fills": c.gap_fills,
        "held_rows": feed.buffered,
        "last_reconnect_reason": c.last_reason,
    }
