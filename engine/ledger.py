"""Trading state in DuckDB: orders, fills, balances and positions.

Each function takes the write connection (run it through `Store.write`) and writes a batch in
one Arrow upsert. Exact decimals are kept (DECIMAL(38, 18)). These tables follow the exchange:
responses, user-data events and reconciliation all land here through the same functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa

from engine.models import (
    Balance,
    Fill,
    MarginBalance,
    MarketType,
    OrderStatus,
    OrderUpdate,
    Position,
)
from engine.store import upsert_arrow

DEC = pa.decimal128(38, 18)
_TYPES = {"s": pa.string(), "i": pa.int64(), "d": DEC, "b": pa.bool_()}

ORDER_COLUMNS = (
    ("client_order_id", "s"), ("market", "s"), ("symbol", "s"), ("side", "s"),
    ("order_type", "s"), ("time_in_force", "s"), ("quantity", "d"), ("quote_quantity", "d"),
    ("price", "d"), ("stop_price", "d"), ("reduce_only", "b"), ("post_only", "b"),
    ("status", "s"), ("exchange_order_id", "s"), ("executed_qty", "d"), ("cum_quote", "d"),
    ("avg_price", "d"), ("reason", "s"), ("actor", "s"), ("created_ms", "i"), ("updated_ms", "i"),
)  # fmt: skip
FILL_COLUMNS = (
    ("market", "s"), ("symbol", "s"), ("trade_id", "i"), ("client_order_id", "s"),
    ("exchange_order_id", "s"), ("side", "s"), ("price", "d"), ("qty", "d"), ("quote_qty", "d"),
    ("commission", "d"), ("commission_asset", "s"), ("is_maker", "b"), ("realized_pnl", "d"),
    ("time", "i"),
)  # fmt: skip
BALANCE_COLUMNS = (
    ("market", "s"), ("asset", "s"), ("free", "d"), ("locked", "d"), ("updated_ms", "i"),
)  # fmt: skip
POSITION_COLUMNS = (
    ("symbol", "s"), ("amount", "d"), ("entry_price", "d"), ("mark_price", "d"),
    ("unrealized_pnl", "d"), ("leverage", "i"), ("margin_type", "s"), ("isolated_margin", "d"),
    ("liquidation_price", "d"), ("notional", "d"), ("updated_ms", "i"),
)  # fmt: skip


def _table(columns: Sequence[tuple[str, str]], rows: Iterable[dict[str, Any]]) -> pa.Table:
    rows = list(rows)
    arrays = [
        pa.array([_cell(row.get(name), kind) for row in rows], type=_TYPES[kind])
        for name, kind in columns
    ]
    return pa.Table.from_arrays(arrays, names=[name for name, _ in columns])


def _cell(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "d":
        return Decimal(value).quantize(Decimal("1e-18"))
    if kind == "s":
        return str(value)
    return value


def order_row(update: OrderUpdate, *, actor: str | None, created_ms: int) -> dict[str, Any]:
    """The `orders` row for an exchange update (the actor and creation time are ours)."""
    return {
        "client_order_id": update.client_order_id,
        "market": update.market.value,
        "symbol": update.symbol,
        "side": update.side.value,
        "order_type": update.order_type.value if update.order_type else "EXCHANGE",
        "time_in_force": update.time_in_force.value if update.time_in_force else None,
        "quantity": update.orig_qty,
        "price": update.price,
        "stop_price": update.stop_price,
        "reduce_only": update.reduce_only,
        "post_only": update.post_only,
        "status": update.status.value,
        "exchange_order_id": update.exchange_order_id,
        "executed_qty": update.executed_qty,
        "cum_quote": update.cumulative_quote,
        "avg_price": update.avg_price,
        "reason": update.reject_reason,
        "actor": actor,
        "created_ms": created_ms,
        "updated_ms": update.update_time,
    }


def upsert_orders(con: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or update orders; known actors and creation times are kept."""
    if not rows:
        return
    merged = _keep_local_fields(con, rows)
    upsert_arrow(con, "orders", _table(ORDER_COLUMNS, merged))


def _keep_local_fields(
    con: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    ids = [row["client_order_id"] for row in rows]
    known = {
        cid: (actor, created, qq, status, updated)
        for cid, actor, created, qq, status, updated in con.execute(
            "SELECT client_order_id, actor, created_ms, quote_quantity, status, updated_ms "
            "FROM orders WHERE client_order_id IN (SELECT unnest(?))",
            [ids],
        ).fetchall()
    }
    merged = []
    for row in rows:
        previous = known.get(row["client_order_id"])
        if previous is not None:
            actor, created, quote_qty, status, updated = previous
            if _is_stale(row, status, updated):
                continue
            row = {**row, "actor": row.get("actor") or actor, "created_ms": created}
            row.setdefault("quote_quantity", quote_qty)
        merged.append(row)
    return merged


def _is_stale(row: dict[str, Any], known_status: str, known_updated: int) -> bool:
    """An older event must not undo a newer one (events and REST answers arrive in any order).

    Statuses we set ourselves (PENDING_NEW, UNKNOWN) carry our clock, not the exchange's, and
    always yield to what the exchange says.
    """
    if known_status in (OrderStatus.PENDING_NEW.value, OrderStatus.UNKNOWN.value):
        return False
    if row["updated_ms"] < known_updated:
        return True
    final = not OrderStatus(known_status).is_open
    return final and OrderStatus(row["status"]).is_open and row["updated_ms"] == known_updated


def pending_order_row(
    *,
    client_order_id: str,
    market: MarketType,
    symbol: str,
    side: str,
    order_type: str,
    quantity: Decimal | None,
    quote_quantity: Decimal | None,
    price: Decimal | None,
    stop_price: Decimal | None,
    time_in_force: str | None,
    reduce_only: bool,
    post_only: bool,
    actor: str,
    now_ms: int,
) -> dict[str, Any]:
    """The write-ahead row of an order about to be sent."""
    return {
        "client_order_id": client_order_id,
        "market": market.value,
        "symbol": symbol,
        "side": side,
        "order_type": order_type,
        "time_in_force": time_in_force,
        "quantity": quantity,
        "quote_quantity": quote_quantity,
        "price": price,
        "stop_price": stop_price,
        "reduce_only": reduce_only,
        "post_only": post_only,
        "status": OrderStatus.PENDING_NEW.value,
        "executed_qty": Decimal(0),
        "actor": actor,
        "created_ms": now_ms,
        "updated_ms": now_ms,
    }


def set_order_status(
    con: duckdb.DuckDBPyConnection,
    client_order_id: str,
    status: OrderStatus,
    reason: str,
    now_ms: int,
) -> None:
    con.execute(
        "UPDATE orders SET status = ?, reason = ?, updated_ms = ? WHERE client_order_id = ?",
        [status.value, reason, now_ms, client_order_id],
    )


def fill_row(fill: Fill) -> dict[str, Any]:
    return {
        "market": fill.market.value,
        "symbol": fill.symbol,
        "trade_id": fill.trade_id,
        "client_order_id": fill.client_order_id,
        "exchange_order_id": fill.exchange_order_id,
        "side": fill.side.value,
        "price": fill.price,
        "qty": fill.qty,
        "quote_qty": fill.quote_qty,
        "commission": fill.commission,
        "commission_asset": fill.commission_asset,
        "is_maker": fill.is_maker,
        "realized_pnl": fill.realized_pnl,
        "time": fill.time,
    }


def upsert_fills(con: duckdb.DuckDBPyConnection, fills: Sequence[Fill]) -> None:
    if fills:
        upsert_arrow(con, "fills", _table(FILL_COLUMNS, [fill_row(f) for f in fills]))


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
            _upsert_newer_balances(con, _table(BALANCE_COLUMNS, rows))


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
        _upsert_newer_balances(con, _table(BALANCE_COLUMNS, rows))


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
    """Write futures positions; a zero amount removes the position.

    `replace_all` (a REST snapshot) replaces every position except the symbols in `keep`: those
    the stream changed after the snapshot was asked for, whose row is at least as new as the
    snapshot's (a position closed meanwhile must not come back from the older snapshot).
    """
    positions = [p for p in positions if p.symbol not in keep]
    rows = [_position_row(p, now_ms) for p in positions if p.amount != 0]
    rows = _keep_known(con, rows) if rows else rows
    closed = [p.symbol for p in positions if p.amount == 0]
    with _transaction(con):
        if replace_all:
            con.execute(
                "DELETE FROM positions WHERE symbol NOT IN (SELECT unnest(?))", [sorted(keep)]
            )
        if closed:
            con.execute("DELETE FROM positions WHERE symbol IN (SELECT unnest(?))", [closed])
        if rows:
            upsert_arrow(con, "positions", _table(POSITION_COLUMNS, rows))


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
    by_symbol = {r[0]: dict(zip(names, r, strict=True)) for r in result.fetchall()}
    merged = []
    for row in rows:
        previous = by_symbol.get(row["symbol"], {})
        merged.append({k: (v if v is not None else previous.get(k)) for k, v in row.items()})
    return merged


def _position_row(p: Position, now_ms: int) -> dict[str, Any]:
    return {
        "symbol": p.symbol, "amount": p.amount, "entry_price": p.entry_price,
        "mark_price": p.mark_price, "unrealized_pnl": p.unrealized_pnl, "leverage": p.leverage,
        "margin_type": p.margin_type.value if p.margin_type else None,
        "isolated_margin": p.isolated_margin, "liquidation_price": p.liquidation_price,
        "notional": p.notional, "updated_ms": p.time or now_ms,
    }  # fmt: skip


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
