"""Server clock: wall time or a virtual time that tests advance, plus an injectable skew."""

from __future__ import annotations

import time


class Clock:
    """`market_ms()` drives the price path; `now_ms()` is the server's time (what /api/v3/time
    reports, what order times carry and what request timestamps are checked against).

    wall: both are the real time, plus the skew for `now_ms()`.
    virtual: the market stands still until `advance()`; the server time is the virtual time
    plus the real time elapsed since start, so clients that sign with their own clock stay
    inside recvWindow between advances (after a big advance they resync, as after -1021).
    The skew moves only the server time, never the market.
    """

    def __init__(self, mode: str = "wall", start_ms: int | None = None) -> None:
        if mode not in ("wall", "virtual"):
            raise ValueError(f"clock must be 'wall' or 'virtual', not {mode!r}")
        self.mode = mode
        self._virtual_ms = start_ms if start_ms is not None else int(time.time() * 1000)
        self._started = time.monotonic()
        self.skew_ms = 0

    @property
    def is_virtual(self) -> bool:
        return self.mode == "virtual"

    def market_ms(self) -> int:
        if self.is_virtual:
            return self._virtual_ms
        return int(time.time() * 1000)

    def now_ms(self) -> int:
        elapsed = int((time.monotonic() - self._started) * 1000) if self.is_virtual else 0
        return self.market_ms() + elapsed + self.skew_ms

    def advance(self, ms: int) -> int:
        if not self.is_virtual:
            raise ValueError("the clock is 'wall'; only a virtual clock can be advanced")
        if ms < 0:
            raise ValueError("a clock only moves forward")
        self._virtual_ms += ms
        return self._virtual_ms
