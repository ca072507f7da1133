"""The database schema: its tables, as forward migrations, and the code that applies them.

This is the only module with DDL. A database opened by a newer tradedesk refuses to start.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "market data, trading state, events and configuration",
        (
            """CREATE TABLE klines (
                market VARCHAR NOT NULL, symbol VARCHAR NOT NULL, interval VARCHAR NOT NULL,
                open_time BIGINT NOT NULL, open DOUBLE NOT NULL, high DOUBLE NOT NULL,
                low DOUBLE NOT NULL, close DOUBLE NOT NULL, volume DOUBLE NOT NULL,
                close_time BIGINT NOT NULL, quote_volume DOUBLE, trades BIGINT,
                is_closed BOOLEAN NOT NULL,
                PRIMARY KEY (market, symbol, interval, open_time))""",
            """CREATE TABLE tickers (
                market VARCHAR NOT NULL, symbol VARCHAR NOT NULL, last_price DOUBLE,
                open_price DOUBLE, high_price DOUBLE, low_price DOUBLE, price_change DOUBLE,
                price_change_pct DOUBLE, volume DOUBLE, quote_volume DOUBLE,
                event_time BIGINT NOT NULL, PRIMARY KEY (market, symbol))""",
            """CREATE TABLE orders (
                client_order_id VARCHAR PRIMARY KEY, market VARCHAR NOT NULL,
                symbol VARCHAR NOT NULL, side VARCHAR NOT NULL, order_type VARCHAR NOT NULL,
                time_in_force VARCHAR, quantity DECIMAL(38, 18), quote_quantity DECIMAL(38, 18),
                price DECIMAL(38, 18), stop_price DECIMAL(38, 18), reduce_only BOOLEAN,
                post_only BOOLEAN, status VARCHAR NOT NULL, exchange_order_id VARCHAR,
                executed_qty DECIMAL(38, 18), cum_quote DECIMAL(38, 18),
                avg_price DECIMAL(38, 18), reason VARCHAR, actor VARCHAR,
                created_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL)""",
            """CREATE TABLE fills (
                market VARCHAR NOT NULL, symbol VARCHAR NOT NULL, trade_id BIGINT NOT NULL,
                client_order_id VARCHAR, exchange_order_id VARCHAR, side VARCHAR NOT NULL,
                price DECIMAL(38, 18) NOT NULL, qty DECIMAL(38, 18) NOT NULL,
                quote_qty DECIMAL(38, 18) NOT NULL, commission DECIMAL(38, 18),
                commission_asset VARCHAR, is_maker BOOLEAN, realized_pnl DECIMAL(38, 18),
                time BIGINT NOT NULL, PRIMARY KEY (market, symbol, trade_id))""",
            """CREATE TABLE balances (
                market VARCHAR NOT NULL, asset VARCHAR NOT NULL, free DECIMAL(38, 18) NOT NULL,
                locked DECIMAL(38, 18) NOT NULL, updated_ms BIGINT NOT NULL,
                PRIMARY KEY (market, asset))""",
            """CREATE TABLE positions (
                symbol VARCHAR PRIMARY KEY, amount DECIMAL(38, 18) NOT NULL,
                entry_price DECIMAL(38, 18), mark_price DECIMAL(38, 18),
                unrealized_pnl DECIMAL(38, 18), leverage INTEGER, margin_type VARCHAR,
                isolated_margin DECIMAL(38, 18), liquidation_price DECIMAL(38, 18),
                notional DECIMAL(38, 18), updated_ms BIGINT NOT NULL)""",
            """CREATE TABLE equity (
                time BIGINT PRIMARY KEY, equity DECIMAL(38, 18) NOT NULL,
                spot_value DECIMAL(38, 18), futures_value DECIMAL(38, 18),
                realized_pnl DECIMAL(38, 18), unrealized_pnl DECIMAL(38, 18))""",
            "CREATE SEQUENCE events_id",
            """CREATE TABLE events (
                id BIGINT PRIMARY KEY DEFAULT nextval('events_id'), time BIGINT NOT NULL,
                level VARCHAR NOT NULL, kind VARCHAR NOT NULL, message VARCHAR NOT NULL,
                data JSON)""",
            """CREATE TABLE config_versions (
                kind VARCHAR NOT NULL, version INTEGER NOT NULL, actor VARCHAR NOT NULL,
                changed_ms BIGINT NOT NULL, config JSON NOT NULL, PRIMARY KEY (kind, version))""",
        ),
    ),
    Migration(
        2,
        "futures mark prices and funding rates",
        (
            """CREATE TABLE mark_prices (
                symbol VARCHAR PRIMARY KEY, mark_price DOUBLE NOT NULL, index_price DOUBLE,
                funding_rate DOUBLE, next_funding_time BIGINT, event_time BIGINT NOT NULL)""",
        ),
    ),
    Migration(
        3,
        "futures settings per symbol and funding payments",
        (
            """CREATE TABLE symbol_settings (
                symbol VARCHAR PRIMARY KEY, leverage INTEGER, margin_type VARCHAR,
                updated_ms BIGINT NOT NULL)""",
            """CREATE TABLE funding (
                symbol VARCHAR NOT NULL, time BIGINT NOT NULL, asset VARCHAR NOT NULL,
                amount DECIMAL(38, 18) NOT NULL, PRIMARY KEY (symbol, time))""",
        ),
    ),
    Migration(
        4,
        "the exchange's symbol catalogue, so pages read it from the database",
        (
            """CREATE TABLE symbols (
                market VARCHAR NOT NULL, symbol VARCHAR NOT NULL, base VARCHAR NOT NULL,
                quote VARCHAR NOT NULL, status VARCHAR NOT NULL, pair JSON NOT NULL,
                updated_ms BIGINT NOT NULL, PRIMARY KEY (market, symbol))""",
        ),
    ),
    Migration(
        5,
        "the engine's live valuation for the pages; funding payments keyed by Binance's id",
        (
            """CREATE TABLE valuation (
                id INTEGER PRIMARY KEY, time BIGINT NOT NULL, equity DECIMAL(38, 18) NOT NULL,
                spot_value DECIMAL(38, 18), futures_wallet DECIMAL(38, 18),
                unrealized_pnl DECIMAL(38, 18), realized_pnl DECIMAL(38, 18),
                day_start_equity DECIMAL(38, 18), day_start_time BIGINT,
                peak_equity DECIMAL(38, 18), unpriced VARCHAR, assets JSON,
                futures_value DECIMAL(38, 18))""",
            """CREATE TABLE risk_usage (
                name VARCHAR PRIMARY KEY, used DECIMAL(38, 18) NOT NULL,
                limit_value DECIMAL(38, 18) NOT NULL, pct DECIMAL(38, 18) NOT NULL,
                unit VARCHAR NOT NULL, time BIGINT NOT NULL)""",
            "DROP TABLE funding",
            """CREATE TABLE funding (
                tran_id BIGINT PRIMARY KEY, symbol VARCHAR NOT NULL, time BIGINT NOT NULL,
                asset VARCHAR NOT NULL, amount DECIMAL(38, 18) NOT NULL)""",
        ),
    ),
    Migration(
        6,
        "the audit trail: who acted, on every event a person caused",
        ("ALTER TABLE events ADD COLUMN actor VARCHAR",),
    ),
    Migration(
        7,
        "monitoring: health metrics over time, alert rules and channels, incidents, deliveries",
        (
            """CREATE TABLE metrics (
                time BIGINT NOT NULL, name VARCHAR NOT NULL, subject VARCHAR NOT NULL,
                value DOUBLE NOT NULL)""",
            """CREATE TABLE alert_rules (
                rule VARCHAR PRIMARY KEY, enabled BOOLEAN NOT NULL, severity VARCHAR NOT NULL,
                params JSON NOT NULL, updated_by VARCHAR NOT NULL, updated BIGINT NOT NULL)""",
            """CREATE TABLE alert_channels (
                id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, service VARCHAR NOT NULL,
                masked_url VARCHAR NOT NULL, min_severity VARCHAR NOT NULL,
                enabled BOOLEAN NOT NULL, sealed BOOLEAN NOT NULL, plain_url VARCHAR,
                updated_by VARCHAR NOT NULL, updated BIGINT NOT NULL)""",
            """CREATE TABLE incidents (
                id BIGINT PRIMARY KEY, rule VARCHAR NOT NULL, subject VARCHAR NOT NULL,
                severity VARCHAR NOT NULL, title VARCHAR NOT NULL, message VARCHAR NOT NULL,
                opened BIGINT NOT NULL, last_seen BIGINT NOT NULL, count BIGINT NOT NULL,
                resolved BIGINT, resolution VARCHAR, acknowledged_by VARCHAR,
                acknowledged BIGINT, first_tally BIGINT)""",
            """CREATE TABLE alert_deliveries (
                time BIGINT NOT NULL, channel VARCHAR NOT NULL, incident BIGINT NOT NULL,
                kind VARCHAR NOT NULL, attempt INTEGER NOT NULL, ok BOOLEAN NOT NULL,
                error VARCHAR NOT NULL, duration_ms DOUBLE NOT NULL)""",
        ),
    ),
)

MIGRATIONS += (
    Migration(
        8,
        "strategies: their catalogue, run state, signals, and replay runs with fills and equity",
        (
            """CREATE TABLE strategies (
                name VARCHAR PRIMARY KEY, file VARCHAR NOT NULL, description VARCHAR,
                params_schema JSON, defaults JSON, markets JSON, error VARCHAR,
                updated_ms BIGINT NOT NULL)""",
            """CREATE TABLE strategy_status (
                instance VARCHAR PRIMARY KEY, strategy VARCHAR NOT NULL, market VARCHAR NOT NULL,
                symbol VARCHAR NOT NULL, interval VARCHAR NOT NULL, state VARCHAR NOT NULL,
                reason VARCHAR, candles BIGINT NOT NULL, calls BIGINT NOT NULL,
                mean_ms DOUBLE, max_ms DOUBLE, last_candle BIGINT, updated_ms BIGINT NOT NULL)""",
            """CREATE TABLE strategy_signals (
                run_id VARCHAR NOT NULL, seq BIGINT NOT NULL, strategy VARCHAR NOT NULL,
                market VARCHAR NOT NULL, symbol VARCHAR NOT NULL, interval VARCHAR NOT NULL,
                candle_time BIGINT NOT NULL, time BIGINT NOT NULL, side VARCHAR NOT NULL,
                order_type VARCHAR NOT NULL, quantity DECIMAL(38, 18),
                quote_quantity DECIMAL(38, 18), price DECIMAL(38, 18), reason VARCHAR,
                outcome VARCHAR NOT NULL, code VARCHAR, message VARCHAR, client_order_id VARCHAR,
                PRIMARY KEY (run_id, seq))""",
            """CREATE TABLE strategy_runs (
                run_id VARCHAR PRIMARY KEY, strategy VARCHAR NOT NULL, market VARCHAR NOT NULL,
                symbol VARCHAR NOT NULL, interval VARCHAR NOT NULL, file VARCHAR NOT NULL,
                params JSON, actor VARCHAR NOT NULL, status VARCHAR NOT NULL,
                candles_done BIGINT NOT NULL, candles_total BIGINT, started_ms BIGINT NOT NULL,
                finished_ms BIGINT, message VARCHAR, stats JSON)""",
            """CREATE TABLE run_fills (
                run_id VARCHAR NOT NULL, trade_id BIGINT NOT NULL, client_order_id VARCHAR,
                side VARCHAR NOT NULL, price DECIMAL(38, 18) NOT NULL,
                qty DECIMAL(38, 18) NOT NULL, commission DECIMAL(38, 18),
                commission_asset VARCHAR, time BIGINT NOT NULL, PRIMARY KEY (run_id, trade_id))""",
            """CREATE TABLE run_equity (
                run_id VARCHAR NOT NULL, time BIGINT NOT NULL, equity DOUBLE NOT NULL,
                PRIMARY KEY (run_id, time))""",
        ),
    ),
)
MIGRATIONS += (
    Migration(
        9,
        "order books: top-of-book samples per second, the latest levels, book state, the tape",
        (
            """CREATE TABLE book_top (
                market VARCHAR NOT NULL, symbol VARCHAR NOT NULL, time BIGINT NOT NULL,
                bid DOUBLE, bid_qty DOUBLE, ask DOUBLE, ask_qty DOUBLE, mid DOUBLE,
                spread DOUBLE, spread_bps DOUBLE, bid_depth_10bps DOUBLE, ask_depth_10bps DOUBLE,
                bid_depth_50bps DOUBLE, ask_depth_50bps DOUBLE, bid_depth_100bps DOUBLE,
                ask_depth_100bps DOUBLE, update_id BIGINT, PRIMARY KEY (market, symbol, time))""",
            """CREATE TABLE book_levels (
                market VARCHAR NOT NULL, symbol VARCHAR NOT NULL, side VARCHAR NOT NULL,
                level INTEGER NOT NULL, price DECIMAL(38, 18) NOT NULL,
                qty DECIMAL(38, 18) NOT NULL, time BIGINT NOT NULL, update_id BIGINT,
                PRIMARY KEY (market, symbol, side, level))""",
            """CREATE TABLE book_state (
                market VARCHAR NOT NULL, symbol VARCHAR NOT NULL, state VARCHAR NOT NULL,
                reason VARCHAR, update_id BIGINT, last_event_ms BIGINT, resyncs BIGINT,
                gaps BIGINT, time BIGINT NOT NULL, PRIMARY KEY (market, symbol))""",
            """CREATE TABLE tape (
                market VARCHAR NOT NULL, symbol VARCHAR NOT NULL, trade_id BIGINT NOT NULL,
                price DECIMAL(38, 18) NOT NULL, qty DECIMAL(38, 18) NOT NULL,
                buyer_is_maker BOOLEAN NOT NULL, time BIGINT NOT NULL,
                PRIMARY KEY (market, symbol, trade_id))""",
        ),
    ),
)
MIGRATIONS += (
    Migration(
        10,
        "order lists (an OCO's legs share a list id), hedge mode: positions per side and the "
        "account's position mode",
        (
            "ALTER TABLE orders ADD COLUMN order_list_id VARCHAR",
            "ALTER TABLE orders ADD COLUMN list_client_id VARCHAR",
            "ALTER TABLE orders ADD COLUMN position_side VARCHAR",
            """CREATE TABLE positions_by_side (
                symbol VARCHAR NOT NULL, position_side VARCHAR NOT NULL,
                amount DECIMAL(38, 18) NOT NULL, entry_price DECIMAL(38, 18),
                mark_price DECIMAL(38, 18), unrealized_pnl DECIMAL(38, 18), leverage INTEGER,
                margin_type VARCHAR, isolated_margin DECIMAL(38, 18),
                liquidation_price DECIMAL(38, 18), notional DECIMAL(38, 18),
                updated_ms BIGINT NOT NULL, PRIMARY KEY (symbol, position_side))""",
            """INSERT INTO positions_by_side SELECT symbol, 'BOTH', amount, entry_price,
                mark_price, unrealized_pnl, leverage, margin_type, isolated_margin,
                liquidation_price, notional, updated_ms FROM positions""",
            "DROP TABLE positions",
            "ALTER TABLE positions_by_side RENAME TO positions",
            """CREATE TABLE account_settings (
                name VARCHAR PRIMARY KEY, value VARCHAR NOT NULL, updated_ms BIGINT NOT NULL)""",
        ),
    ),
)
LATEST_VERSION = MIGRATIONS[-1].version
TABLES = (
    "klines", "tickers", "mark_prices", "orders", "fills", "balances", "positions", "equity",
    "events", "config_versions", "symbol_settings", "funding", "symbols", "valuation",
    "risk_usage", "metrics", "alert_rules", "alert_channels", "incidents", "alert_deliveries",
    "strategies", "strategy_status", "strategy_signals", "strategy_runs", "run_fills", "run_equity",
    "book_top", "book_levels", "book_state", "tape",
    "account_settings",
)  # fmt: skip


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """Return the version a database is at (0 for a new, empty one)."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchone()
    if not exists or exists[0] == 0:
        return 0
    row = con.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def migrate(con: duckdb.DuckDBPyConnection, target: int = LATEST_VERSION) -> list[int]:
    """Apply every migration above the database's version up to `target`; return those applied."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        "version INTEGER PRIMARY KEY, description VARCHAR, applied_at TIMESTAMP DEFAULT now())"
    )
    current = schema_version(con)
    if current > LATEST_VERSION:
        raise RuntimeError(
            f"The database is at schema version {current}, newer than this program "
            f"({LATEST_VERSION}). Upgrade tradedesk or point TRADEDESK_DATA_DIR elsewhere."
        )
    applied = []
    for migration in MIGRATIONS:
        if current < migration.version <= target:
            _apply(con, migration)
            applied.append(migration.version)
    return applied


def _apply(con: duckdb.DuckDBPyConnection, migration: Migration) -> None:
    con.execute("BEGIN")
    try:
        for statement in migration.statements:
            con.execute(statement)
        con.execute(
            "INSERT INTO schema_version (version, description) VALUES (?, ?)",
            [migration.version, migration.description],
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
