"""The `funding` table: USD-M funding payments, each once (keyed by Binance's transaction id)."""

from __future__ import annotations

import duckdb

from engine.clock import DAY_MS
from engine.models import FundingPayment

FIRST_LOOKBACK_MS = 7 * DAY_MS


def funding_cursor(cur: duckdb.DuckDBPyConnection, now_ms: int) -> int:
    """Fetch funding from just after the newest payment held (a week back on a first run)."""
    row = cur.execute("SELECT max(time) FROM funding").fetchone()
    return int(row[0]) + 1 if row and row[0] is not None else now_ms - FIRST_LOOKBACK_MS


def insert_funding(
    con: duckdb.DuckDBPyConnection, payments: list[FundingPayment]
) -> list[FundingPayment]:
    """Store the payments not held yet; return those (oldest first)."""
    known = {
        tid
        for (tid,) in con.execute(
            "SELECT tran_id FROM funding WHERE tran_id IN (SELECT unnest(?))",
            [[p.tran_id for p in payments]],
        ).fetchall()
    }
    fresh = sorted((p for p in payments if p.tran_id not in known), key=lambda p: p.time)
    if fresh:
        con.executemany(
            "INSERT INTO funding (tran_id, symbol, time, asset, amount) VALUES (?, ?, ?, ?, ?)",
            [(p.tran_id, p.symbol, p.time, p.asset, p.amount) for p in fresh],
        )
    return fresh
