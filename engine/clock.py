"""Time in the engine: epoch milliseconds, UTC days."""

from __future__ import annotations

import time

DAY_MS = 86_400_000


def now_ms() -> int:
    """Now, in milliseconds since the epoch (UTC)."""
    return time.time_ns() // 1_000_000


def utc_day_start(time_ms: int) -> int:
    """00:00 UTC of the day `time_ms` falls in."""
    return time_ms - time_ms % DAY_MS
