"""Read-only queries for the pages: each call takes its own cursor and returns a DataFrame."""

from __future__ import annotations

import pandas as pd

from app.runtime import get_engine
from engine.store import TABLES, Store


def _store() -> Store:
    store = get_engine().store
    if store is None:
        raise RuntimeError("The engine has no database open; it is not running.")
    return store


def table_row_counts() -> pd.DataFrame:
    """Return the row count of every table."""
    union = " UNION ALL ".join(
        f"SELECT '{t}' AS table_name, count(*) AS rows FROM {t}" for t in TABLES
    )
    with _store().reader() as cur:
        return cur.execute(union).df()


def database_size_bytes() -> int:
    """Return the database file size on disk."""
    return _store().size_bytes()


def recent_events(limit: int = 50) -> pd.DataFrame:
    """Return the newest engine events, newest first, with readable UTC times."""
    with _store().reader() as cur:
        frame = cur.execute(
            "SELECT time, level, kind, message FROM events ORDER BY id DESC LIMIT ?", [limit]
        ).df()
    frame["time"] = pd.to_datetime(frame["time"], unit="ms", utc=True)
    return frame
