"""What each book and trade stream last sent, so the next message carries exactly what changed.

A venue's book publisher keeps one `StreamCursors` and asks it, per subscribed stream name:
- `due(name, period_ms)`: has the stream's period (100 ms, 250 ms, 1000 ms...) passed since it
  last sent? (wall time: the cadence of Binance's streams is real time);
- `diff(name, book)`: the changes after the update the stream last carried (a diff-depth
  event's U, u and levels) and the previous event's final id (USD-M's `pu`). The first time a
  stream is seen it starts at the book's current update and sends nothing;
- `changed(name, key)`: whether a value (a book top, a partial book's update id) differs from
  the one the stream last sent;
- `new_trades(name, trades)`: the trades after the last one the stream carried.
Cursors of streams nobody is subscribed to any more are dropped (`keep`).
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from simulator.feeds.orderbook import DepthDiff, OrderBook


@dataclass
class Cursor:
    sent_wall_ms: int = -(10**15)
    last_id: int = -1
    value: Hashable = None


def wall_ms() -> int:
    return int(time.monotonic() * 1000)


class StreamCursors:
    def __init__(self) -> None:
        self._cursors: dict[str, Cursor] = {}

    def _cursor(self, name: str) -> Cursor:
        return self._cursors.setdefault(name, Cursor())

    def keep(self, names: Sequence[str]) -> None:
        wanted = set(names)
        self._cursors = {n: c for n, c in self._cursors.items() if n in wanted}

    def due(self, name: str, period_ms: int, now_wall_ms: int | None = None) -> bool:
        cursor = self._cursor(name)
        now = wall_ms() if now_wall_ms is None else now_wall_ms
        if now - cursor.sent_wall_ms < period_ms:
            return False
        cursor.sent_wall_ms = now
        return True

    def diff(self, name: str, book: OrderBook) -> tuple[DepthDiff, int] | None:
        """(changes since the stream's last event, that event's final id), or None."""
        cursor = self._cursor(name)
        if cursor.last_id < 0:
            cursor.last_id = book.update_id
            return None
        changes = book.changes_since(cursor.last_id)
        if changes is None:
            return None
        previous, cursor.last_id = cursor.last_id, changes.final_id
        return changes, previous

    def changed(self, name: str, value: Hashable) -> bool:
        cursor = self._cursor(name)
        if cursor.value == value and cursor.last_id >= 0:
            return False
        cursor.value, cursor.last_id = value, 0
        return True

    def new_trades(self, name: str, trades: Sequence[Any]) -> list[Any]:
        """Trades (each with an increasing `.id`) after the stream's last; at first, the newest."""
        cursor = self._cursor(name)
        last = cursor.last_id
        if trades:
            cursor.last_id = max(last, trades[-1].id)
        if last < 0:
            return list(trades[-1:])
        return [t for t in trades if t.id > last]
