"""The engine's events for the pages: recent ones, news for toasts, and the audit trail."""

from __future__ import annotations

import pandas as pd

from app import db
from engine.events import AUDIT_PREFIX


def recent_events(limit: int = 50) -> pd.DataFrame:
    """Return the newest engine events, newest first, with readable UTC times."""
    frame = db.read_df(
        "SELECT time, level, kind, message FROM events ORDER BY id DESC LIMIT ?", [limit]
    )
    frame["time"] = pd.to_datetime(frame["time"], unit="ms", utc=True)
    return frame


def events_since(event_id: int, kinds: tuple[str, ...]) -> pd.DataFrame:
    """Events of `kinds` newer than `event_id`, oldest first (for toasts)."""
    return db.read_df(
        "SELECT id, level, kind, message FROM events WHERE id > ? AND kind IN (SELECT unnest(?)) "
        "ORDER BY id LIMIT 20",
        [event_id, list(kinds)],
    )


def last_event_id() -> int:
    with db.store().reader() as cur:
        row = cur.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()
    return int(row[0]) if row else 0


def audit_trail(limit: int = 200) -> pd.DataFrame:
    """Who did what, newest first: every login, order, cancel, close and change (`audit.*`)."""
    frame = db.read_df(
        "SELECT time, actor, kind, message, json_extract_string(data, '$.address') AS address "
        "FROM events WHERE starts_with(kind, ?) ORDER BY id DESC LIMIT ?",
        [AUDIT_PREFIX, limit],
    )
    frame["time"] = pd.to_datetime(frame["time"], unit="ms", utc=True)
    return frame
