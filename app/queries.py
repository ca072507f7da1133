"""Read-only queries for the pages: each call takes its own cursor and returns a DataFrame.

Times leave here as UTC timestamps; amounts as floats (the tables keep exact decimals, pages
only show them). Every query is bounded (a time window or a LIMIT) so a page renders in the
same time on a year of data as on an hour of it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from app import db, explore_sql
from app.runtime import get_engine
from engine.clock import DAY_MS, now_ms
from engine.market.selection import PairSelection, selection_kind
from engine.models import OPEN_STATUSES, MarketType, TradingPair
from engine.store.config_versions import ConfigVersion, config_history, load_latest_config
from engine.store.schema import TABLES

INTERVAL_MS = {
    "1m": 60_000,
    "5m": 300_000,
    "15m": 900_000,
    "1h": 3_600_000,
    "4h": 14_400_000,
    "1d": 86_400_000,
}


def _columns(columns: str, exact: bool) -> str:
    """A select list as shown (decimals cast to DOUBLE) or as stored (`exact`, for downloads)."""
    return columns.replace("::DOUBLE", "") if exact else columns


def table_row_counts() -> pd.DataFrame:
    """Return the row count of every table."""
    union = " UNION ALL ".join(
        f"SELECT '{t}' AS table_name, count(*) AS rows FROM {t}" for t in TABLES
    )
    return db.read_df(union)


def database_size_bytes() -> int:
    """Return the database file size on disk."""
    return db.store().size_bytes()


# --- symbols and pairs --------------------------------------------------------------------------


def symbol_catalogue() -> pd.DataFrame:
    """Every symbol the exchange lists in both markets (exchangeInfo, stored by the engine)."""
    return db.read_df(
        "SELECT market, symbol, base, quote, status FROM symbols ORDER BY market, symbol"
    )


def trading_pair(market: MarketType, symbol: str) -> TradingPair | None:
    """The symbol's rules as the exchange listed them, or None when it is not listed."""
    with db.store().reader() as cur:
        rows = cur.execute(
            "SELECT pair FROM symbols WHERE market = ? AND symbol = ?", [market.value, symbol]
        ).fetchall()
    return TradingPair.model_validate_json(rows[0][0]) if rows else None


def selected_pairs(market: MarketType) -> tuple[str, ...]:
    """The pairs the engine streams for `market`: its latest stored selection, else the
    configured pairs the exchange lists (the engine decides the same way at start)."""
    with db.store().reader() as cur:
        saved = load_latest_config(cur, selection_kind(market))
        if saved is not None:
            return saved.parse(PairSelection).symbols
        listed = {
            s for (s,) in cur.execute(
                "SELECT symbol FROM symbols WHERE market = ?", [market.value]
            ).fetchall()
        }  # fmt: skip
    return tuple(s for s in get_engine().settings.pairs if s in listed)


def pair_overview(market: MarketType, symbols: tuple[str, ...]) -> pd.DataFrame:
    """24 h price, change and volume of `symbols`, with hourly closes of the last 24 h."""
    since = now_ms() - DAY_MS
    frame = db.read_df(
        """
        WITH wanted AS (SELECT unnest(?::VARCHAR[]) AS symbol),
        hourly AS (
            SELECT symbol, open_time // 3600000 AS hour, arg_max(close, open_time) AS close
            FROM klines
            WHERE market = ? AND interval = '1m' AND open_time >= ?
              AND symbol IN (SELECT symbol FROM wanted)
            GROUP BY ALL),
        spark AS (SELECT symbol, list(close ORDER BY hour) AS last_24h FROM hourly GROUP BY ALL)
        SELECT w.symbol, t.last_price AS price, t.price_change_pct AS change_pct,
               t.quote_volume AS volume_usdt, s.last_24h, t.high_price AS high_24h,
               t.low_price AS low_24h, epoch_ms(t.event_time) AS updated
        FROM wanted w
        LEFT JOIN tickers t ON t.market = ? AND t.symbol = w.symbol
        LEFT JOIN spark s ON s.symbol = w.symbol
        ORDER BY w.symbol
        """,
        [list(symbols), str(market), since, str(market)],
    )
    return frame


def kline_counts(market: MarketType, symbols: tuple[str, ...]) -> dict[str, int]:
    """How many 1m candles are stored per symbol (for the Pairs page's history column)."""
    frame = db.read_df(
        "SELECT symbol, count(*) AS n FROM klines WHERE market = ? AND interval = '1m' "
        "AND symbol IN (SELECT unnest(?::VARCHAR[])) GROUP BY symbol",
        [str(market), list(symbols)],
    )
    return dict(zip(frame["symbol"], frame["n"].astype(int), strict=True))


def candles(market: MarketType, symbol: str, interval: str, bars: int = 240) -> pd.DataFrame:
    """The last `bars` candles of `interval`, built from the stored 1m candles."""
    step = INTERVAL_MS[interval]
    since = (now_ms() // step - bars + 1) * step
    return db.read_df(
        """
        SELECT epoch_ms((open_time // ?) * ?) AS time,
               arg_min(open, open_time) AS open, max(high) AS high, min(low) AS low,
               arg_max(close, open_time) AS close, sum(volume) AS volume
        FROM klines
        WHERE market = ? AND symbol = ? AND interval = '1m' AND open_time >= ?
        GROUP BY 1 ORDER BY 1
        """,
        [step, step, str(market), symbol, since],
    )


def last_price(market: MarketType, symbol: str) -> float | None:
    """The freshest price stored: ticker (spot) or mark (futures), else the last candle close."""
    if market is MarketType.FUTURES:
        sql = "SELECT mark_price FROM mark_prices WHERE symbol = ?"
        params: list[Any] = [symbol]
    else:
        sql = "SELECT last_price FROM tickers WHERE market = 'spot' AND symbol = ?"
        params = [symbol]
    with db.store().reader() as cur:
        row = cur.execute(sql, params).fetchone()
        if row is None or row[0] is None:
            row = cur.execute(
                "SELECT close FROM klines WHERE market = ? AND symbol = ? AND interval = '1m' "
                "AND open_time >= ? ORDER BY open_time DESC LIMIT 1",
                [str(market), symbol, now_ms() - DAY_MS],
            ).fetchone()
    return float(row[0]) if row and row[0] is not None else None


# --- orders and fills ---------------------------------------------------------------------------

_ORDER_COLUMNS = """client_order_id, market, symbol, side, order_type, time_in_force,
    quantity::DOUBLE AS quantity, quote_quantity::DOUBLE AS quote_quantity,
    price::DOUBLE AS price, stop_price::DOUBLE AS stop_price, reduce_only, post_only, status,
    executed_qty::DOUBLE AS executed_qty, avg_price::DOUBLE AS avg_price, reason, actor,
    epoch_ms(created_ms) AS created, epoch_ms(updated_ms) AS updated"""


_FILL_COLUMNS = """epoch_ms(time) AS time, market, symbol, side, price::DOUBLE AS price,
    qty::DOUBLE AS qty, quote_qty::DOUBLE AS quote_qty, commission::DOUBLE AS commission,
    commission_asset, is_maker, realized_pnl::DOUBLE AS realized_pnl, trade_id, client_order_id"""


def open_orders(market: MarketType | None = None, symbol: str | None = None) -> pd.DataFrame:
    """Orders still open (or not yet known), newest first."""
    return db.read_df(
        f"SELECT {_ORDER_COLUMNS} FROM orders WHERE status IN (SELECT unnest(?)) "
        "AND (? IS NULL OR market = ?) AND (? IS NULL OR symbol = ?) ORDER BY created_ms DESC",
        [sorted(OPEN_STATUSES), _m(market), _m(market), symbol, symbol],
    )


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
        f"SELECT {_columns(_ORDER_COLUMNS, exact)} FROM orders WHERE {where} AND created_ms >= ? "
        f"ORDER BY created_ms DESC {lim}"
    )
    return db.read_exact_df(sql, params) if exact else db.read_df(sql, params)


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
    sql = f"""SELECT {_columns(_FILL_COLUMNS, exact)}
        FROM fills WHERE {where} AND time >= ? ORDER BY time DESC {lim}"""
    return db.read_exact_df(sql, params) if exact else db.read_df(sql, params)


def fills_between(market: MarketType, symbol: str, since: pd.Timestamp) -> pd.DataFrame:
    """Fills of one symbol from `since` on (to mark them on the chart)."""
    return db.read_df(
        "SELECT epoch_ms(time) AS time, side, price::DOUBLE AS price, qty::DOUBLE AS qty "
        "FROM fills WHERE market = ? AND symbol = ? AND time >= ? ORDER BY time",
        [str(market), symbol, int(since.timestamp() * 1000)],
    )


def order_symbols() -> list[str]:
    """Symbols that have orders (for the history filter)."""
    frame = db.read_df("SELECT DISTINCT symbol FROM orders ORDER BY symbol")
    return list(frame["symbol"])


# --- configuration ------------------------------------------------------------------------------


def latest_config(kind: str) -> ConfigVersion | None:
    """The newest stored version of a configuration kind (risk, trading, kill_switch, ...)."""
    with db.store().reader() as cur:
        return load_latest_config(cur, kind)


def config_changes(kinds: tuple[str, ...]) -> pd.DataFrame:
    """Every change to the given configuration kinds, newest first: who, when, what."""
    rows = []
    with db.store().reader() as cur:
        for kind in kinds:
            for version in config_history(cur, kind):
                for change in version.changes:
                    rows.append(
                        {
                            "changed": pd.to_datetime(version.changed_ms, unit="ms", utc=True),
                            "kind": kind,
                            "version": version.version,
                            "actor": version.actor,
                            "field": change.field,
                            "before": _text(change.before),
                            "after": _text(change.after),
                        }
                    )
    columns = ["changed", "kind", "version", "actor", "field", "before", "after"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values("changed", ascending=False, ignore_index=True)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def fills_since(since_ms: int) -> pd.DataFrame:
    """Fills at or after `since_ms`, oldest first, at most 10 (for toasts)."""
    return db.read_df(
        "SELECT time AS time_ms, market, symbol, side, price::DOUBLE AS price, qty::DOUBLE AS qty "
        "FROM fills WHERE time >= ? ORDER BY time LIMIT 10",
        [since_ms],
    )


def current_leverage(symbol: str) -> int:
    """The symbol's futures leverage as last set or reported (1 when never set)."""
    with db.store().reader() as cur:
        row = cur.execute(
            "SELECT coalesce(p.leverage, s.leverage) FROM (SELECT ? AS symbol) q "
            "LEFT JOIN positions p USING (symbol) LEFT JOIN symbol_settings s USING (symbol)",
            [symbol],
        ).fetchone()
    return int(row[0]) if row and row[0] else 1


def market_unavailable(market: MarketType) -> str | None:
    """Why `market` cannot be used (the exchange listed none of its symbols), or None."""
    with db.store().reader() as cur:
        count = cur.execute(
            "SELECT count(*) FROM symbols WHERE market = ?", [market.value]
        ).fetchall()[0][0]
    if count:
        return None
    return f"the exchange lists no {market} symbols here (see Status for the connection)"


# --- explore ------------------------------------------------------------------------------------

SAVED_QUERIES = {
    "Fills per symbol and day": (
        "SELECT symbol, date_trunc('day', epoch_ms(time)) AS day, count(*) AS fills,\n"
        "       sum(quote_qty)::DOUBLE AS volume_usdt, sum(commission)::DOUBLE AS fees\n"
        "FROM fills GROUP BY ALL ORDER BY day DESC, symbol"
    ),
    "Hourly closes, BTCUSDT spot, last 2 days": (
        "SELECT epoch_ms(open_time // 3600000 * 3600000) AS hour,\n"
        "       arg_max(close, open_time) AS close, sum(volume) AS volume\n"
        "FROM klines\n"
        "WHERE market = 'spot' AND symbol = 'BTCUSDT' AND interval = '1m'\n"
        "  AND open_time >= (epoch_ms(now()::TIMESTAMP) - 2 * 86400000)\n"
        "GROUP BY 1 ORDER BY 1"
    ),
    "Orders by status": (
        "SELECT status, market, count(*) AS orders FROM orders GROUP BY ALL ORDER BY orders DESC"
    ),
    "Equity curve": (
        "SELECT epoch_ms(time) AS time, equity::DOUBLE AS equity FROM equity ORDER BY time"
    ),
    "Audit trail: who did what": (
        "SELECT epoch_ms(time) AS time, actor, kind, message,\n"
        "       json_extract_string(data, '$.address') AS address\n"
        "FROM events WHERE kind LIKE 'audit.%' ORDER BY id DESC LIMIT 200"
    ),
    "Warnings and errors": (
        "SELECT epoch_ms(time) AS time, level, kind, message FROM events\n"
        "WHERE level <> 'info' ORDER BY id DESC LIMIT 200"
    ),
}


QueryFailed = explore_sql.QueryFailed


def run_select(
    sql: str, max_rows: int = 10_000, timeout_s: float = 10.0
) -> tuple[pd.DataFrame, bool]:
    """Run Explore's SQL (app.explore_sql: checked, read-only, bounded); return at most
    `max_rows` rows, decimals exact, and whether there were more."""
    return explore_sql.run_select(db.store(), sql, explore_sql.Limits(max_rows, timeout_s))
