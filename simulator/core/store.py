"""Paper-account persistence: one JSON document in the data dir, written atomically, 0600 in a
0700 directory like the keys beside it.

Sections are registered by name (the spot venue saves "spot", the futures venue "futures").
Writes are debounced: `mark_dirty()` schedules a flush a moment later on the loop, and `flush()`
runs at stop, so a clean restart never loses state.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from simulator.core.keyfile import write_private

STATE_FILE = "state.json"
FLUSH_DELAY_S = 0.2


class StateStore:
    def __init__(self, data_dir: Path | None) -> None:
        self.data_dir = data_dir
        self._sections: dict[str, tuple[Callable[[], Any], Callable[[Any], None]]] = {}
        self._pending: asyncio.TimerHandle | None = None
        self.saved: dict[str, Any] = self._read()

    @property
    def path(self) -> Path | None:
        return self.data_dir / STATE_FILE if self.data_dir else None

    def _read(self) -> dict[str, Any]:
        if self.path is None or not self.path.exists():
            return {}
        with self.path.open(encoding="utf-8") as f:
            data = json.load(f)
        if not isinstance(data, dict):
            raise ValueError(f"{self.path} is not a simulator state file")
        return data

    def register(self, name: str, dump: Callable[[], Any], load: Callable[[Any], None]) -> bool:
        """Registers a section; loads it if the file has one. Returns True when it loaded."""
        self._sections[name] = (dump, load)
        if name in self.saved:
            load(self.saved[name])
            return True
        return False

    def mark_dirty(self) -> None:
        if self.path is None or self._pending is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self._pending = loop.call_later(FLUSH_DELAY_S, self.flush)

    def flush(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        if self.path is None:
            return
        document = {name: dump() for name, (dump, _) in self._sections.items()}
        write_private(self.path, json.dumps(document, separators=(",", ":")))
