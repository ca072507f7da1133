"""The portfolio's history in DuckDB: the `equity` snapshots and the pages' `valuation` row."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import orjson

from engine.portfolio.valuation import ZERO, EquitySnapshot, Valuation


def write_equity_snapshot(con: duckdb.DuckDBPyConnection, snapshot: EquitySnapshot) -> None:
    """Store `snapshot` (a later one at the same millisecond replaces it)."""
    con.execute("INSERT OR REPLACE INTO equity VALUES (?, ?, ?, ?, ?, ?)", list(snapshot.row()))


def read_equity(cursor: duckdb.DuckDBPyConnection, since_ms: int = 0) -> list[EquitySnapshot]:
    """Return the stored equity snapshots from `since_ms` on, oldest first."""
    rows = cursor.execute(
        "SELECT time, equity, spot_value, futures_value, realized_pnl, unrealized_pnl "
        "FROM equity WHERE time >= ? ORDER BY time",
        [since_ms],
    ).fetchall()
    return [
        EquitySnapshot(int(r[0]), *(ZERO if v is None else Decimal(v) for v in r[1:])) for r in rows
    ]


def max_equity(cursor: duckdb.DuckDBPyConnection, since_ms: int = 0) -> Decimal | None:
    """The highest stored equity from `since_ms` on, or None without snapshots."""
    row = cursor.execute("SELECT max(equity) FROM equity WHERE time >= ?", [since_ms]).fetchone()
    return Decimal(row[0]) if row and row[0] is not None else None


def write_valuation(con: duckdb.DuckDBPyConnection, v: Valuation) -> None:
    """Replace the one row: equity, its parts, today's baseline, the peak, asset prices."""
    assets = {
        asset: {"price": str(price), "value": str(v.spot.by_asset.get(asset, 0))}
        for asset, price in v.asset_prices.items()
    }
    s = v.snapshot
    con.execute(
        "INSERT OR REPLACE INTO valuation VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            s.time, s.equity, s.spot_value, v.futures.wallet, s.unrealized_pnl, s.realized_pnl,
            v.day_start_equity, v.day_start_time, v.peak_equity,
            ",".join(v.spot.unpriced + v.futures.unpriced),
            orjson.dumps(assets).decode(), s.futures_value,
        ],
    )  # fmt: skip
