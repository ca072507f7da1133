"""Holdings in DuckDB: spot balances, USD-M wallets and positions, per-symbol settings.

Each function takes the write connection (run it through `Store.write`). A REST snapshot and a
stream event may arrive in either order: the row with the later exchange time wins.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import duckdb

from engine.models import Balance, MarginBalance, Position
from engine.store.tables import BALANCES, POSITIONS
from engine.store.writer import upsert_arrow


def upsert_spot_balances(
    con: duckdb.DuckDBPyConnection, balances: Sequence[Balance], now_ms: int, *, replace_all: bool
) -> None:
    """Write spot balances; `replace_all` (a full account snapshot) drops assets now at zero."""
    rows = [
        {"market": "spot", "asset": b.asset, "free": b.free, "locked": b.locked,
         "updated_ms": b.time or now_ms}
        for b in balances
    ]  # fmt: skip
    with _transaction(con):
        if replace_all:
            snapshot_ms = max((r["updated_ms"] for r in rows), default=now_ms)
            con.execute(
                "DELETE FROM balances WHERE market = 'spot' AND updated_ms <= ? "
                "AND asset NOT IN (SELECT unnest(?))",
                [snapshot_ms, [r["asset"] for r in rows]],
            )
        if rows:
            _upsert_newer_balances(con, BALANCES.from_dicts(rows))


def upsert_futures_balances(
    con: duckdb.DuckDBPyConnection, balances: Sequence[MarginBalance], now_ms: int
) -> None:
    """USD-M wallets: `free` is available for new margin, `locked` the rest of the wallet."""
    rows = []
    for b in balances:
        free = b.available if b.available is not None else _known_free(con, b)
        rows.append({
            "market": "futures", "asset": b.asset, "free": free,
            "locked": b.wallet_balance - free, "updated_ms": b.time or now_ms,
        })  # fmt: skip
    if rows:
        _upsert_newer_balances(con, BALANCES.from_dicts(rows))


def _upsert_newer_balances(con: duckdb.DuckDBPyConnection, data: Any) -> None:
    # A REST snapshot can arrive after a newer stream event (or the other way round): the row
    # with the later exchange time wins, so a reconciliation never rolls a balance back.
    con.register("_incoming", data)
    try:
        con.execute(
            "INSERT INTO balances BY NAME SELECT * FROM _incoming "
            "ON CONFLICT (market, asset) DO UPDATE SET free = excluded.free, "
            "locked = excluded.locked, updated_ms = excluded.updated_ms "
            "WHERE excluded.updated_ms >= balances.updated_ms"
        )
    finally:
        con.unregister("_incoming")


def _known_free(con: duckdb.DuckDBPyConnection, balance: MarginBalance) -> Decimal:
    # ACCOUNT_UPDATE carries no available balance: keep the margin in use we knew.
    rows = con.execute(
        "SELECT locked FROM balances WHERE market = 'futures' AND asset = ?", [balance.asset]
    ).fetchall()  # fetchall: DuckDB 2.0 blocks the connection on a result left half-read
    locked = Decimal(rows[0][0]) if rows else Decimal(0)
    return max(Decimal(0), balance.wallet_balance - locked)


def upsert_positions(
    con: duckdb.DuckDBPyConnection,
    positions: Sequence[Position],
    now_ms: int,
    *,
    replace_all: bool,
    keep: frozenset[str] = frozenset(),
) -> None:
    """Write futures positions, one row per symbol and side (BOTH in one-way mode, LONG and
    SHORT in hedge mode); a zero amount removes that side's row.

    `replace_all` (a REST snapshot) replaces every position except the symbols in `keep`: those
    the stream changed after the snapshot was asked for, whose row is at least as new as the
    snapshot's (a position closed meanwhile must not come back from the older snapshot).
    """
    positions = [p for p in positions if p.symbol not in keep]
    rows = [_position_row(p, now_ms) for p in positions if p.amount != 0]
    rows = _keep_known(con, rows) if rows else rows
    closed = [[p.symbol, p.position_side] for p in positions if p.amount == 0]
    with _transaction(con):
        if replace_all:
            con.execute(
                "DELETE FROM positions WHERE symbol NOT IN (SELECT unnest(?))", [sorted(keep)]
            )
        for symbol, side in closed:
            con.execute(
                "DELETE FROM positions WHERE symbol = ? AND position_side = ?", [symbol, side]
            )
        if rows:
            upsert_arrow(con, "positions", POSITIONS.from_dicts(rows))


@contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Readers see a snapshot either before or after, never the table half rewritten."""
    con.execute("BEGIN")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _keep_known(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # ACCOUNT_UPDATE omits leverage, mark and liquidation price: keep what positionRisk told us.
    result = con.execute(
        "SELECT * FROM positions WHERE symbol IN (SELECT unnest(?))", [[r["symbol"] for r in rows]]
    )
    names = [d[0] for d in result.description]
    known = [dict(zip(names, r, strict=True)) for r in result.fetchall()]
    by_side = {(r["symbol"], r["position_side"]): r for r in known}
    merged = []
    for row in rows:
        previous = by_side.get((row["symbol"], row["position_side"]), {})
        merged.append({k: (v if v is not None else previous.get(k)) for k, v in row.items()})
    return merged


def _position_row(p: Position, now_ms: int) -> dict[str, Any]:
    return {
        "symbol": p.symbol, "position_side": p.position_side, "amount": p.amount,
        "entry_price": p.entry_price, "mark_price": p.mark_price,
        "unrealized_pnl": p.unrealized_pnl, "leverage": p.leverage,
        "margin_type": p.margin_type.value if p.margin_type else None,
        "isolated_margin": p.isolated_margin, "liquidation_price": p.liquidation_price,
        "notional": p.notional, "updated_ms": p.time or now_ms,
    }  # fmt: skip


HEDGE_MODE = "futures_hedge_mode"


def set_account_setting(con: duckdb.DuckDBPyConnection, name: str, value: str, now_ms: int) -> None:
    """Remember one account-wide setting as the exchange reported it (the position mode)."""
    con.execute(
        "INSERT OR REPLACE INTO account_settings (name, value, updated_ms) VALUES (?, ?, ?)",
        [name, value, now_ms],
    )


def set_symbol_setting(
    con: duckdb.DuckDBPyConnection,
    symbol: str,
    now_ms: int,
    *,
    leverage: int | None = None,
    margin_type: str | None = None,
) -> None:
    """Remember a futures symbol's leverage or margin type (known even with no position)."""
    con.execute(
        "INSERT INTO symbol_settings (symbol, leverage, margin_type, updated_ms) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (symbol) DO UPDATE SET "
        "leverage = coalesce(excluded.leverage, symbol_settings.leverage), "
        "margin_type = coalesce(excluded.margin_type, symbol_settings.margin_type), "
        "updated_ms = excluded.updated_ms",
        [symbol, leverage, margin_type, now_ms],
    )
