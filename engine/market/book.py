"""One local order book, kept by Binance's documented procedure. Pure: no I/O, no clock reads.

1. While syncing, buffer every diff frame; the owner fetches a REST snapshot (`wants_snapshot`)
   as soon as the stream is connected, so a quiet book (no frame for a while) still syncs.
2. A snapshot older than the first buffered frame (`lastUpdateId + 1 < U`) is not usable: ask
   for another. Otherwise frames with `u <= lastUpdateId` are dropped, the book becomes the
   snapshot and the rest of the buffer is applied.
3. The first frame applied after a snapshot (the buffer may be empty) must straddle it
   (`U <= lastUpdateId + 1 <= u`); after that each frame must continue the last: spot
   `U == last u + 1`, USD-M `pu == last u`.
4. Anything else is a gap: the book is dropped, `resyncs` and `gaps` count it, and it syncs
   again from a new snapshot. A reconnect (`restart`) resyncs the same way; a lost connection
   (`mark_stale`) keeps the levels but says the book is not to be trusted.

A size of 0 removes a level. `state` and `reason` say whether the book can be trusted.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from engine.binance.depth import DepthSnapshot, DepthUpdate, Level

MAX_BUFFERED = 5_000  # frames held while a snapshot is on its way; more: start over


class BookState(StrEnum):
    SYNCING = "syncing"  # waiting for a snapshot: the levels are not the exchange's
    LIVE = "live"  # snapshot plus every frame since, in order
    STALE = "stale"  # the stream is down: the levels are the last known, not current


@dataclass
class BookCounters:
    updates: int = 0  # frames applied
    dropped: int = 0  # frames older than the snapshot
    snapshots: int = 0  # snapshots applied
    refused_snapshots: int = 0  # older than the buffered frames: asked again
    resyncs: int = 0  # times the book was dropped and synced again (gap, reconnect, overflow)
    gaps: int = 0  # of those, a frame that did not continue the last


class LocalBook:
    """The book of one symbol on one market."""

    def __init__(self, symbol: str, continues_by_previous_id: bool) -> None:
        self.symbol = symbol
        self.by_previous_id = continues_by_previous_id  # USD-M's `pu` check
        self.bids: dict[Decimal, Decimal] = {}
        self.asks: dict[Decimal, Decimal] = {}
        self.last_id = -1
        self.state = BookState.SYNCING
        self.reason = "waiting for the first update"
        self.counters = BookCounters()
        self.buffer: list[DepthUpdate] = []
        self.wants_snapshot = True  # asked for at once: a quiet book may send no frame for long
        self.epoch = 0  # changes on every restart: a snapshot asked for before is stale
        self.last_event_ms: int | None = None
        self._first_after_snapshot = False

    # --- frames ---------------------------------------------------------------------------------

    def on_update(self, update: DepthUpdate) -> None:
        if self.last_id < 0:
            self._buffer(update)
            return
        if update.final_id <= self.last_id:
            self.counters.dropped += 1
            return
        if not self._continues(update):
            self._gap(update)
            return
        self._apply(update)

    def _continues(self, update: DepthUpdate) -> bool:
        if self._first_after_snapshot:
            return update.first_id <= self.last_id + 1 <= update.final_id
        if self.by_previous_id:
            return update.previous_final_id == self.last_id
        return update.first_id == self.last_id + 1

    def _apply(self, update: DepthUpdate) -> None:
        _merge(self.bids, update.bids)
        _merge(self.asks, update.asks)
        self.last_id = update.final_id
        self.last_event_ms = update.event_ms
        self._first_after_snapshot = False
        self.counters.updates += 1
        if self.state is BookState.STALE:
            self.state, self.reason = BookState.LIVE, ""

    def _buffer(self, update: DepthUpdate) -> None:
        if len(self.buffer) >= MAX_BUFFERED:
            self.restart(f"{len(self.buffer)} frames buffered waiting for a snapshot")
        self.buffer.append(update)
        self.wants_snapshot = True

    def _gap(self, update: DepthUpdate) -> None:
        expected = f"pu={self.last_id}" if self.by_previous_id and not self._first_after_snapshot \
            else f"U<={self.last_id + 1}"  # fmt: skip
        self.counters.gaps += 1
        self.restart(f"gap: expected {expected}, got U={update.first_id} u={update.final_id}")
        self._buffer(update)

    # --- snapshots and restarts -----------------------------------------------------------------

    def on_snapshot(self, snapshot: DepthSnapshot, epoch: int) -> bool:
        """Start from `snapshot` (asked for in `epoch`); False if it is unusable and another
        is wanted (a restart meanwhile, or older than the buffered frames)."""
        if epoch != self.epoch or self.last_id >= 0:
            return False
        buffered = self.buffer
        if buffered and snapshot.last_update_id + 1 < buffered[0].first_id:
            self.counters.refused_snapshots += 1
            self.wants_snapshot = True
            return False
        self.bids = {p: q for p, q in snapshot.bids if q}
        self.asks = {p: q for p, q in snapshot.asks if q}
        self.last_id = snapshot.last_update_id
        self.state, self.reason = BookState.LIVE, ""
        self.buffer, self.wants_snapshot = [], False
        self._first_after_snapshot = True
        self.counters.snapshots += 1
        for update in buffered:
            self.on_update(update)
        return True

    def restart(self, reason: str) -> None:
        """Drop the book and sync again (a gap, a reconnect, a full buffer)."""
        if self.counters.snapshots:
            self.counters.resyncs += 1
        self.bids, self.asks, self.buffer = {}, {}, []
        self.last_id, self.wants_snapshot, self._first_after_snapshot = -1, True, False
        self.state, self.reason = BookState.SYNCING, reason
        self.epoch += 1

    def mark_stale(self, reason: str) -> None:
        """The stream is down: keep the levels, but do not trust them."""
        if self.state is BookState.LIVE:
            self.state = BookState.STALE
        self.reason = reason

    # --- reads ----------------------------------------------------------------------------------

    def top(self, levels: int) -> tuple[list[Level], list[Level]]:
        """The best `levels` bids (highest first) and asks (lowest first)."""
        bids = sorted(self.bids.items(), reverse=True)[:levels]
        asks = sorted(self.asks.items())[:levels]
        return bids, asks


def _merge(side: dict[Decimal, Decimal], changes: tuple[Level, ...]) -> None:
    for price, qty in changes:
        if qty:
            side[price] = qty
        else:
            side.pop(price, None)


@dataclass(frozen=True)
class Walk:
    """A market order of `wanted` walked through one side of the book."""

    wanted: Decimal
    filled: Decimal
    average_price: Decimal | None
    worst_price: Decimal | None
    levels_used: int

    @property
    def complete(self) -> bool:
        return self.filled >= self.wanted


def walk(levels: list[Level], quantity: Decimal) -> Walk:
    """Take `quantity` from `levels` (best first): what fills, at what average and worst price."""
    left, cost, worst, used = quantity, Decimal(0), None, 0
    for price, size in levels:
        if left <= 0:
            break
        take = min(size, left)
        cost += take * price
        left -= take
        worst, used = price, used + 1
    filled = quantity - left
    average = cost / filled if filled > 0 else None
    return Walk(quantity, filled, average, worst, used)
