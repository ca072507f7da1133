"""Orders and fills for the pages: open orders, history with filters, fills for the chart and
toasts. Amounts come as exact decimals (`exact`) or floats for charts."""

from __future__ import annotations

from typing import Any

import pandas as pd

from app.db import columns, read_df, read_exact
from engine.models import OPEN_STATUSES, MarketType

_ORDER_COLUMNS = """client_order_id, market, symbol, side, order_type, time_in_force,
    quantity::DOUBLE AS quantity, quote_quantity::DOUBLE AS quote_quantity,
    price::DOUBLE AS price, stop_price::DOUBLE AS stop_price, reduce_only, post_only, status,
    executed_qty::DOUBLE AS executed_qty, avg_price::DOUBLE AS avg_price, reason, actor,
    epoch_ms(created_ms) AS created, epoch_ms(updated_ms) AS updated, order_list_id,
    list_client_id, position_side"""


_FILL_COLUMNS = """epoch_ms(time) AS time, market, symbol, side, price::DOUBLE AS price,
    qty::DOUBLE AS qty, quote_qty::DOUBLE AS quote_qty, commission::DOUBLE AS commission,
    commission_asset, is_maker, realized_pnl::DOUBLE AS realized_pnl, trade_id, client_order_id"""


def open_orders(
    market: MarketType | None = None, symbol: str | None = None, exact: bool = False
) -> pd.DataFrame:
    """Orders still open (or not yet known), newest first; `exact`: amounts as stored."""
    sql = (
        f"SELECT {columns(_ORDER_COLUMNS, exact)} FROM orders WHERE status IN (SELECT unnest(?)) "
        "AND (? IS NULL OR market = ?) AND (? IS NULL OR symbol = ?) ORDER BY created_ms DESC"
    )
    params = [sorted(OPEN_STATUSES), _m(market), _m(market), symbol, symbol]
    return read_exact(sql, params) if exact else read_df(sql, params)


def _m(market: MarketType | None) -> str | None:
    return None if market is None else str(market)


def _history_where(
    market: str | None, symbol: str | None, side: str | None, since_ms: int | None
) -> tuple[str, list[Any]]:
    clauses, params = [], []
    for column, value in (("market", market), ("symbol", symbol), ("side", side)):
        if value:
            clauses.append(f"{column} = ?")
            params.append(value)
    return " AND ".join(clauses) or "TRUE", [*params, since_ms or 0]


def order_history(
    market: str | None = None,
    symbol: str | None = None,
    side: str | None = None,
    status: str | None = None,
    since_ms: int | None = None,
    limit: int | None = 500,
    exact: bool = False,
) -> pd.DataFrame:
    """Orders matching the filters, newest first (all of them when `limit` is None); `exact`
    keeps amounts as the exact decimals stored (for a download)."""
    where, params = _history_where(market, symbol, side, since_ms)
    if status:
        where += " AND status = ?"
        params.insert(-1, status)
    lim = "" if limit is None else f"LIMIT {int(limit)}"
    sql = (
        f"SELECT {columns(_ORDER_COLUMNS, exact)} FROM orders WHERE {where} AND created_ms >= ? "
        f"ORDER BY created_ms DESC {lim}"
    )
    return read_exact(sql, params) if exact else read_df(sql, params)


def fill_history(
    market: str | None = None,
    symbol: str | None = None,
    side: str | None = None,
    since_ms: int | None = None,
    limit: int | None = 500,
    exact: bool = False,
) -> pd.DataFrame:
    """Fills matching the filters, newest first (all of them when `limit` is None); `exact`
    keeps amounts as the exact decimals stored (for a download)."""
    where, params = _history_where(market, symbol, side, since_ms)
    lim = "" if limit is None else f"LIMIT {int(limit)}"
    sql = f"""SELECT {columns(_FILL_COLUMNS, exact)}
        FROM fills WHERE {where} AND time >= ? ORDER BY time DESC {lim}"""
    return read_exact(sql, params) if exact else read_df(sql, params)


def fills_between(market: MarketType, symbol: str, since: pd.Timestamp) -> pd.DataFrame:
    """Fills of one symbol from `since` on (to mark them on the chart)."""
    return read_df(
        "SELECT epoch_ms(time) AS time, side, price::DOUBLE AS price, qty::DOUBLE AS qty "
        "FROM fills WHERE market = ? AND symbol = ? AND time >= ? ORDER BY time",
        [str(market), symbol, int(since.timestamp() * 1000)],
    )


def order_symbols() -> list[str]:
    """Symbols that have orders (for the history filter)."""
    frame = read_df("SELECT DISTINCT symbol FROM orders ORDER BY symbol")
    return list(frame["symbol"])


def fills_since(since_ms: int) -> pd.DataFrame:
    """Fills at or after `since_ms`, oldest first, at most 10 (for toasts)."""
    return read_df(
        "SELECT time AS time_ms, market, symbol, side, price::DOUBLE AS price, qty::DOUBLE AS qty "
        "FROM fills WHERE time >= ? ORDER BY time LIMIT 10",
        [since_ms],
    )
