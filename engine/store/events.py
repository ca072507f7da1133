"""The `events` table: the audit trail's rows, written in batches with the engine's own ids."""

from __future__ import annotations

import duckdb
import orjson

from engine.events import Event


def last_event_id(con: duckdb.DuckDBPyConnection) -> int:
    """The newest stored event's id (0 when there is none)."""
    row = con.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()
    return int(row[0]) if row else 0


def write_events(con: duckdb.DuckDBPyConnection, events: list[Event]) -> None:
    """Insert `events` in one transaction; an id already stored is left as it is."""
    rows = [
        (e.id, e.time_ms, e.level.value, e.kind.value, e.message,
         orjson.dumps(e.data, default=str).decode(), e.actor)
        for e in events
    ]  # fmt: skip
    con.execute("BEGIN")
    try:
        con.executemany(
            "INSERT INTO events (id, time, level, kind, message, data, actor) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO NOTHING",
            rows,
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
