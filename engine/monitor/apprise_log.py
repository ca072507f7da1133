"""apprise's log lines: kept for the thread that caused them, never passed on.

apprise logs whole URLs (tokens and passwords included) at several levels. A filter on its
logger keeps each warning for the delivery worker that caused it (workers run side by side)
and drops every record, so nothing of it reaches the desk's own logs.
"""

from __future__ import annotations

import logging
import threading


class _KeepPerThread(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self._local = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        lines = getattr(self._local, "lines", None)
        if lines is not None and record.levelno >= logging.WARNING:
            lines.append(record.getMessage())
        return False

    def start(self) -> None:
        self._local.lines = []

    def take(self) -> list[str]:
        lines, self._local.lines = getattr(self._local, "lines", None) or [], None
        return lines


captured = _KeepPerThread()
logging.getLogger("apprise").addFilter(captured)
