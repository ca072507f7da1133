"""Trading state in DuckDB: orders and fills.

Each function takes the write connection (run it through `Store.write`) and writes a batch in
one Arrow upsert. Exact decimals are kept (DECIMAL(38, 18)). These tables follow the exchange:
responses, user-data events and reconciliation all land here through the same functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import duckdb

from engine.clock import DAY_MS, now_ms
from engine.models import (
    Fill,
    MarketType,
    OrderFields,
    OrderStatus,
    OrderUpdate,
)
from engine.store.tables import FILLS, ORDERS
from engine.store.writer import upsert_arrow

MAX_FILL_LOOKBACK_MS = 7 * DAY_MS


def order_row(update: OrderUpdate, *, actor: str | None, created_ms: int) -> dict[str, Any]:
    """The `orders` row for an exchange update (the actor and creation time are ours)."""
    return {
        "client_order_id": update.client_order_id,
        "market": update.market.value,
        "symbol": update.symbol,
        "side": update.side.value,
        "order_type": update.order_type.value if update.order_type else "EXCHANGE",
        "time_in_force": _time_in_force(update),
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
        "order_list_id": update.order_list_id,
        "position_side": update.position_side,
    }


def _time_in_force(update: OrderUpdate) -> str | None:
    """Only orders with a limit price have one (Binance reports GTC for market orders too)."""
    limit = update.order_type is not None and update.order_type.has_limit_price
    return update.time_in_force.value if update.time_in_force and limit else None


def upsert_orders(con: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or update orders; known actors and creation times are kept."""
    if not rows:
        return
    merged = _keep_local_fields(con, rows)
    upsert_arrow(con, "orders", ORDERS.from_dicts(merged))


def _keep_local_fields(
    con: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    ids = [row["client_order_id"] for row in rows]
    known = {
        cid: rest
        for cid, *rest in con.execute(
            "SELECT client_order_id, actor, created_ms, quote_quantity, status, updated_ms, "
            "order_list_id, list_client_id, position_side "
            "FROM orders WHERE client_order_id IN (SELECT unnest(?))",
            [ids],
        ).fetchall()
    }
    merged = []
    for row in rows:
        previous = known.get(row["client_order_id"])
        if previous is not None:
            actor, created, quote_qty, status, updated, *ours = previous
            if _is_stale(row, status, updated):
                continue
            row = {**row, "actor": row.get("actor") or actor, "created_ms": created}
            row.setdefault("quote_quantity", quote_qty)
            for name, value in zip(LIST_AND_SIDE, ours, strict=True):
                row[name] = row.get(name) or value  # answers without them keep what we know
        merged.append(row)
    return merged


LIST_AND_SIDE = ("order_list_id", "list_client_id", "position_side")


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
    order: OrderFields, client_order_id: str, actor: str, now_ms: int
) -> dict[str, Any]:
    """The write-ahead row of an order about to be sent."""
    limit = order.order_type.has_limit_price
    return {
        "client_order_id": client_order_id,
        "market": order.market.value,
        "symbol": order.symbol,
        "side": order.side.value,
        "order_type": order.order_type.value,
        "time_in_force": order.time_in_force.value if order.time_in_force and limit else None,
        "quantity": order.quantity,
        "quote_quantity": order.quote_quantity,
        "price": order.price,
        "stop_price": order.stop_price,
        "reduce_only": order.reduce_only,
        "post_only": order.post_only,
        "status": OrderStatus.PENDING_NEW.value,
        "executed_qty": Decimal(0),
        "actor": actor,
        "created_ms": now_ms,
        "updated_ms": now_ms,
        "position_side": getattr(order, "position_side", None),
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
        upsert_arrow(con, "fills", FILLS.from_dicts([fill_row(f) for f in fills]))


def fill_cursors(cur: duckdb.DuckDBPyConnection, market: MarketType) -> list[tuple[str, int]]:
    """Per symbol we ordered on: where to fetch trade history from so no fill is skipped.

    The oldest order whose executed quantity our fills do not cover yet (its answer was lost,
    say) wins over the newest fill we hold; without either, the first order's time. Orders
    older than `MAX_FILL_LOOKBACK_MS` are not waited for. (Aggregated per table before joining:
    a join of orders with fills by symbol grows as their product.)
    """
    rows = cur.execute(
        """
        WITH o AS (SELECT symbol, exchange_order_id, executed_qty, created_ms FROM orders
                   WHERE market = ? AND exchange_order_id IS NOT NULL),
        f AS (SELECT exchange_order_id, sum(qty) AS qty FROM fills WHERE market = ?
              GROUP BY exchange_order_id),
        missing AS (SELECT o.symbol, min(o.created_ms) AS since FROM o
                    LEFT JOIN f USING (exchange_order_id)
                    WHERE o.executed_qty > coalesce(f.qty, 0) AND o.created_ms >= ?
                    GROUP BY o.symbol),
        last AS (SELECT symbol, max(time) AS last_fill FROM fills WHERE market = ?
                 GROUP BY symbol),
        first AS (SELECT symbol, min(created_ms) AS first_order FROM o GROUP BY symbol)
        SELECT first.symbol, coalesce(missing.since, last.last_fill, first.first_order)
        FROM first LEFT JOIN missing USING (symbol) LEFT JOIN last USING (symbol)
        """,
        [market.value, market.value, now_ms() - MAX_FILL_LOOKBACK_MS, market.value],
    ).fetchall()
    return [(symbol, int(since)) for symbol, since in rows]


def client_ids(
    cur: duckdb.DuckDBPyConnection, market: MarketType, symbol: str, order_ids: list[str]
) -> dict[str, str]:
    """Exchange order id -> our client order id, for the given orders of one symbol."""
    return dict(
        cur.execute(
            "SELECT exchange_order_id, client_order_id FROM orders WHERE market = ? "
            "AND symbol = ? AND exchange_order_id IN (SELECT unnest(?))",
            [market.value, symbol, order_ids],
        ).fetchall()
    )


def created_since(cur: duckdb.DuckDBPyConnection, since_ms: int) -> set[str]:
    """Client ids of the orders the desk wrote ahead at or after `since_ms`."""
    rows = cur.execute(
        "SELECT client_order_id FROM orders WHERE created_ms >= ? AND actor IS NOT NULL",
        [since_ms],
    ).fetchall()
    return {cid for (cid,) in rows}
