"""No log line carries a key or a secret the desk knows.

`register` is called for every API key and secret the moment the desk holds it (engine.credentials
does it for every `Credentials`), and for the master passphrase and the cookie key. `install`
puts `RedactingFilter` on the root logger's handlers and in the log record factory, so every
record, from any logger, with or without propagation, has each known value replaced by
`[redacted]` in its message, its arguments and its formatted traceback before any handler sees it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

MIN_LENGTH = 8  # shorter values are too common to replace everywhere
MARK = "[redacted]"

_known: set[str] = set()
_lock = threading.Lock()
_installed = False


def register(*values: str | None) -> None:
    """Remember `values` as secrets to cut out of every log record."""
    with _lock:
        _known.update(v for v in values if v and len(v) >= MIN_LENGTH)


def scrub(text: str) -> str:
    """`text` with every known secret replaced (longest first, so no part of one is left)."""
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, MARK)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites a record in place: message and arguments merged and scrubbed, traceback too."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_redacted", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what there is, scrubbed
            message = f"{record.msg} {record.args}"
        record.msg, record.args = scrub(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        record._redacted = True
        return True


def install() -> None:
    """Redact every record from now on (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    redactor = RedactingFilter()
    for handler in logging.getLogger().handlers:
        handler.addFilter(redactor)
    previous: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        redactor.filter(record)
        return record

    logging.setLogRecordFactory(factory)
