"""The local books of one market: frames routed to their book, snapshots asked for, and what
the Status page shows of each. The REST fetches run in the component (books.py)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from engine.binance.depth import depth_update_from_ws, is_depth_update
from engine.market.book import BookState, LocalBook
from engine.market.book_stream import BookStream
from engine.models import MarketType

WantSnapshot = Callable[[MarketType, LocalBook], None]


class MarketBooks:
    """Every selected symbol's book on one market; the depth stream's listener."""

    def __init__(self, market: MarketType, want_snapshot: WantSnapshot) -> None:
        self.market = market
        self.books: dict[str, LocalBook] = {}
        self.last_change: dict[str, float] = {}  # monotonic: last frame or snapshot applied
        self._want_snapshot = want_snapshot
        self._by_previous_id = market is MarketType.FUTURES
        self.connected = False  # the depth stream: a snapshot is only asked for while it is

    def set_symbols(self, symbols: Sequence[str]) -> None:
        for gone in set(self.books) - set(symbols):
            del self.books[gone]
            self.last_change.pop(gone, None)
        for symbol in symbols:
            if symbol not in self.books:
                self.books[symbol] = LocalBook(symbol, self._by_previous_id)

    # --- the stream's listener ------------------------------------------------------------------

    def on_frame(self, data: Any) -> None:
        if not is_depth_update(data):
            return
        update = depth_update_from_ws(data)
        book = self.books.get(update.symbol)
        if book is None:  # unsubscribed, still in flight
            return
        applied = book.counters.updates
        book.on_update(update)
        if book.counters.updates != applied:
            self.last_change[update.symbol] = time.monotonic()
        if book.wants_snapshot:
            self._want_snapshot(self.market, book)

    def ask_for_snapshots(self) -> None:
        """Ask for the snapshot of every book waiting for one (while the stream is up)."""
        if not self.connected:
            return
        for book in self.books.values():
            if book.wants_snapshot:
                self._want_snapshot(self.market, book)

    def on_connected(self, stream: BookStream) -> None:
        """A new connection: frames were missed since the last one, so every book resyncs."""
        self.connected = True
        for book in self.books.values():
            book.restart("reconnected: syncing from a new snapshot")
        self.ask_for_snapshots()

    def on_lost(self, stream: BookStream, reason: str) -> None:
        self.connected = False
        for book in self.books.values():
            book.mark_stale(reason)

    def snapshot_applied(self, symbol: str) -> None:
        self.last_change[symbol] = time.monotonic()

    # --- status ---------------------------------------------------------------------------------

    def status(self) -> list[dict[str, Any]]:
        now = time.monotonic()
        rows = []
        for symbol, book in sorted(self.books.items()):
            changed = self.last_change.get(symbol)
            c = book.counters
            rows.append(
                {
                    "market": str(self.market),
                    "symbol": symbol,
                    "state": str(book.state),
                    "trusted": book.state is BookState.LIVE,
                    "reason": book.reason,
                    "update_id": book.last_id,
                    "last_update_age_s": None if changed is None else round(now - changed, 3),
                    "levels": len(book.bids) + len(book.asks),
                    "updates": c.updates,
                    "snapshots": c.snapshots,
                    "resyncs": c.resyncs,
                    "gaps": c.gaps,
                    "buffered": len(book.buffer),
                }
            )
        return rows
