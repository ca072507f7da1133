"""The strategy tables: catalogue, run state, signals, replay runs with their fills and equity.

Each function takes the write connection (run it through `Store.write`). These are small,
infrequent writes (a signal per order a strategy wants), except a replay's equity curve, which
goes in as one Arrow table.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import duckdb
import pyarrow as pa

Row = Mapping[str, Any]

SIGNAL_COLUMNS = (
    "run_id", "seq", "strategy", "market", "symbol", "interval", "candle_time", "time", "side",
    "order_type", "quantity", "quote_quantity", "price", "reason", "outcome", "code", "message",
    "client_order_id",
)  # fmt: skip
STATUS_COLUMNS = (
    "instance", "strategy", "market", "symbol", "interval", "state", "reason", "candles",
    "calls", "mean_ms", "max_ms", "last_candle", "updated_ms",
)  # fmt: skip
RUN_COLUMNS = (
    "run_id", "strategy", "market", "symbol", "interval", "file", "params", "actor", "status",
    "candles_done", "candles_total", "started_ms", "finished_ms", "message", "stats",
)  # fmt: skip
FILL_COLUMNS = (
    "run_id", "trade_id", "client_order_id", "side", "price", "qty", "commission",
    "commission_asset", "time",
)  # fmt: skip


def _upsert(
    con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str], rows: Sequence[Row]
):
    if not rows:
        return
    marks = ", ".join("?" for _ in columns)
    con.executemany(
        f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) VALUES ({marks})",
        [[_cell(row.get(c)) for c in columns] for row in rows],
    )


def _cell(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict | list) else value


def replace_catalogue(con: duckdb.DuckDBPyConnection, rows: Sequence[Row]) -> None:
    columns = ("name", "file", "description", "params_schema", "defaults", "markets", "error",
               "updated_ms")  # fmt: skip
    con.execute("BEGIN")
    try:
        con.execute("DELETE FROM strategies")
        _upsert(con, "strategies", columns, rows)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def upsert_status(con: duckdb.DuckDBPyConnection, rows: Sequence[Row]) -> None:
    _upsert(con, "strategy_status", STATUS_COLUMNS, rows)


def upsert_signals(con: duckdb.DuckDBPyConnection, rows: Sequence[Row]) -> None:
    _upsert(con, "strategy_signals", SIGNAL_COLUMNS, rows)


def next_signal_seq(con: duckdb.DuckDBPyConnection, run_id: str) -> int:
    row = con.execute(
        "SELECT coalesce(max(seq), 0) FROM strategy_signals WHERE run_id = ?", [run_id]
    ).fetchone()
    return int(row[0]) + 1 if row else 1


def upsert_run(con: duckdb.DuckDBPyConnection, row: Row) -> None:
    _upsert(con, "strategy_runs", RUN_COLUMNS, [row])


def set_run_progress(
    con: duckdb.DuckDBPyConnection, run_id: str, done: int, total: int | None
) -> None:
    con.execute(
        "UPDATE strategy_runs SET candles_done = ?, candles_total = coalesce(?, candles_total) "
        "WHERE run_id = ?",
        [done, total, run_id],
    )


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    status: str,
    finished_ms: int,
    message: str,
    stats: Mapping[str, Any] | None = None,
) -> None:
    con.execute(
        "UPDATE strategy_runs SET status = ?, finished_ms = ?, message = ?, "
        "stats = coalesce(?, stats) WHERE run_id = ?",
        [status, finished_ms, message, json.dumps(stats) if stats else None, run_id],
    )


def store_run_results(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    fills: Sequence[Row],
    equity: Sequence[tuple[int, float]],
    signals: Sequence[Row],
) -> None:
    """A finished replay's fills, equity curve and signals, tagged with its run id."""
    con.execute("BEGIN")
    try:
        for table in ("run_fills", "run_equity", "strategy_signals"):
            con.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])
        _upsert(con, "run_fills", FILL_COLUMNS, [{**f, "run_id": run_id} for f in fills])
        _upsert(con, "strategy_signals", SIGNAL_COLUMNS, [{**s, "run_id": run_id} for s in signals])
        if equity:
            curve = pa.table({
                "run_id": [run_id] * len(equity),
                "time": pa.array([t for t, _ in equity], pa.int64()),
                "equity": pa.array([e for _, e in equity], pa.float64()),
            })  # fmt: skip
            con.register("_equity", curve)
            try:
                con.execute("INSERT INTO run_equity BY NAME SELECT * FROM _equity")
            finally:
                con.unregister("_equity")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def run_row(result: dict[str, Any], actor: str, status: str) -> dict[str, Any]:
    return {
        "run_id": result["run_id"], "strategy": result["strategy"], "market": result["market"],
        "symbol": result["symbol"], "interval": result["interval"], "file": result["file"],
        "params": result.get("params") or {}, "actor": actor, "status": status,
        "candles_done": result.get("bars", 0), "candles_total": result.get("bars"),
        "started_ms": result.get("started_ms") or result["finished_ms"],
        "finished_ms": result["finished_ms"], "message": "", "stats": result.get("stats"),
    }  # fmt: skip


def write_result(con: duckdb.DuckDBPyConnection, result: dict[str, Any], actor: str) -> None:
    """Run on the desk's write connection (the desk's replay component, or the CLI's --db)."""
    exists = con.execute(
        "SELECT count(*) FROM strategy_runs WHERE run_id = ?", [result["run_id"]]
    ).fetchone()
    if not exists or not exists[0]:
        upsert_run(con, run_row(result, actor, "finished"))
    stats = result.get("stats") or {}
    message = f"{stats.get('trades', 0)} trades, P&L {stats.get('pnl', 0):,.2f}"
    finish_run(con, result["run_id"], "finished", result["finished_ms"], message, stats)
    equity = [(int(t), float(e)) for t, e in result.get("equity", [])]
    store_run_results(con, result["run_id"], result["fills"], equity, result["signals"])
