"""Read-only queries for the pages: each call takes its own cursor and returns a DataFrame.

Orders and fills are in app.order_queries, the account in app.account_queries.

Times leave here as UTC timestamps. Every query is bounded (a time window or a LIMIT) so a
page renders in the same time on a year of data as on an hour of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

from app import db, explore_sql
from app.db import read_df
from app.runtime import get_engine
from engine.clock import DAY_MS, now_ms
from engine.market.selection import PairSelection, selection_kind
from engine.models import MarketType, TradingPair
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


def table_row_counts() -> pd.DataFrame:
    """Return the row count of every table."""
    union = " UNION ALL ".join(
        f"SELECT '{t}' AS table_name, count(*) AS rows FROM {t}" for t in TABLES
    )
    return read_df(union)


def database_size_bytes() -> int:
    """Return the database file size on disk."""
    return db.store().size_bytes()


# --- symbols and pairs --------------------------------------------------------------------------


def symbol_catalogue() -> pd.DataFrame:
    """Every symbol the exchange lists in both markets (exchangeInfo, stored by the engine)."""
    return read_df(
        "SELECT market, symbol, base, quote, status FROM symbols ORDER BY market, symbol"
    )


def trading_pair(market: MarketType, symbol: str) -> TradingPair | None:
    """The symbol's rules as the exchange listed them, or None when it is not listed."""
    with db.store().reader() as cur:
        rows = cur.execute(
            "SELECT pair FROM symbols WHERE market = ? AND symbol = ?", [market.value, symbol]
        ).fetchall()
    return TradingPair.model_validate_json(rows[0][0]) if rows else None


@dataclass(frozen=True)
class Grid:
    """How a symbol's figures are written: its tick and step, and its assets."""

    tick: Decimal | None
    step: Decimal | None
    base: str
    quote: str


def grids(keys: set[tuple[str, str]]) -> dict[tuple[str, str], Grid]:
    """(market, symbol) -> its tick, step and assets, for the symbols asked (listed ones)."""
    if not keys:
        return {}
    with db.store().reader() as cur:
        rows = cur.execute(
            "SELECT pair FROM symbols WHERE market || ':' || symbol IN (SELECT unnest(?))",
            [[f"{m}:{s}" for m, s in keys]],
        ).fetchall()
    found = {}
    for (raw,) in rows:
        pair = TradingPair.model_validate_json(raw)
        rules = pair.rules
        found[(pair.market.value, pair.symbol)] = Grid(
            tick=rules.price_filter.tick_size if rules.price_filter else None,
            step=rules.lot_size.step_size if rules.lot_size else None,
            base=pair.base, quote=pair.quote,
        )  # fmt: skip
    return found


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
    """24 h price, change and volume of `symbols`, with hourly closes of the last 24 h (from the
    stored 1h candles when the engine streams them, else from the 1m candles)."""
    since = now_ms() - DAY_MS
    interval = "1h" if "1h" in get_engine().settings.kline_intervals else "1m"
    frame = read_df(
        """
        WITH wanted AS (SELECT unnest(?::VARCHAR[]) AS symbol),
        hourly AS (
            SELECT symbol, open_time // 3600000 AS hour, arg_max(close, open_time) AS close
            FROM klines
            WHERE market = ? AND interval = ? AND open_time >= ?
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
        [list(symbols), str(market), interval, since, str(market)],
    )
    return frame


def candles(market: MarketType, symbol: str, interval: str, bars: int = 240) -> pd.DataFrame:
    """The last `bars` candles of `interval`: as the exchange gave them when the engine stores
    that interval, else built from the stored 1m candles."""
    step = INTERVAL_MS[interval]
    since = (now_ms() // step - bars + 1) * step
    native = read_df(
        "SELECT epoch_ms(open_time) AS time, open::DOUBLE AS open, high::DOUBLE AS high, "
        "low::DOUBLE AS low, close::DOUBLE AS close, volume::DOUBLE AS volume FROM klines "
        "WHERE market = ? AND symbol = ? AND interval = ? AND open_time >= ? ORDER BY open_time",
        [str(market), symbol, interval, since],
    )
    if not native.empty or interval == "1m":
        return native
    return read_df(
        """
        SELECT epoch_ms((open_time // ?) * ?) AS time,
               arg_min(open, open_time)::DOUBLE AS open, max(high)::DOUBLE AS high,
               min(low)::DOUBLE AS low, arg_max(close, open_time)::DOUBLE AS close,
               sum(volume)::DOUBLE AS volume
        FROM klines
        WHERE market = ? AND symbol = ? AND interval = '1m' AND open_time >= ?
        GROUP BY 1 ORDER BY 1
        """,
        [step, step, str(market), symbol, since],
    )


def history_span(market: MarketType, symbols: tuple[str, ...]) -> dict[str, str]:
    """Per symbol, how many candles of each interval are stored, coarsest first (Pairs page)."""
    frame = read_df(
        "SELECT symbol, interval, count(*) AS n FROM klines WHERE market = ? "
        "AND symbol IN (SELECT unnest(?::VARCHAR[])) GROUP BY ALL",
        [str(market), list(symbols)],
    )
    order = {name: i for i, name in enumerate(reversed(INTERVAL_MS))}
    spans: dict[str, list[tuple[int, str]]] = {}
    for row in frame.itertuples():
        spans.setdefault(row.symbol, []).append(
            (order.get(row.interval, 99), f"{int(row.n):,} × {row.interval}")
        )
    return {s: ", ".join(text for _, text in sorted(parts)) for s, parts in spans.items()}


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

QueryFailed = explore_sql.QueryFailed


def run_select(
    sql: str, max_rows: int = 10_000, timeout_s: float = 10.0
) -> tuple[pd.DataFrame, bool]:
    """Run Explore's SQL (app.explore_sql: checked, read-only, bounded); return at most
    `max_rows` rows, decimals exact, and whether there were more."""
    return explore_sql.run_select(db.store(), sql, explore_sql.Limits(max_rows, timeout_s))
