"""DuckDB: the schema, its forward migrations, the batched upsert writer and reader cursors.

This is the only module with DDL. One connection writes, and it is confined to a single
"db-writer" thread: DuckDB connections are not thread-safe, so every write, from any engine task,
runs there through `Store.write`. Readers (pages, queries) take their own `cursor()` per call.
"""

from __future__ import annotations

import asyncio
import operator
import os
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pyarrow as pa

T = TypeVar("T")

# DuckDB's configuration of the desk's database, locked once open. Pages run user SQL (Explore)
# on cursors of this connection, so the database itself refuses what a guard could miss: no
# file or URL outside the database (replacement scans, read_*, COPY, ATTACH), no extension
# install or load, no Python-variable scans, and no SET that would undo any of it.
# The memory limit bounds DuckDB's buffer pool (joins, sorts, aggregates, results; more spills to
# <db>.tmp) instead of the default 80 % of RAM: the desk's own work is batched upserts and
# bounded page reads, far below it, and it leaves Python, Streamlit and the engine room within
# Community Cloud's 2.7 GB ceiling. (A scalar function that builds one huge value allocates
# outside it: app.sql_functions bounds those for Explore.) One thread fewer than the cores
# leaves one to the engine's loop.
DUCKDB_MEMORY_LIMIT = "1GB"
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
DUCKDB_THREADS = max(1, CORES - 1)
DUCKDB_CONFIG: dict[str, str | int | bool] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "python_enable_replacements": False,
    "memory_limit": DUCKDB_MEMORY_LIMIT,
    "threads": DUCKDB_THREADS,
    "lock_configuration": True,  # applied at open: no SET can change any of this afterwards
}


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
)

LATEST_VERSION = MIGRATIONS[-1].version
TABLES = (
    "klines", "tickers", "mark_prices", "orders", "fills", "balances", "positions", "equity",
    "events", "config_versions", "symbol_settings", "funding", "symbols",
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


_WorkItem = tuple[Future[Any], Callable[..., Any], tuple[Any, ...]]


class WriterThread:
    """One daemon thread that runs submitted work in order.

    Not a ThreadPoolExecutor: the interpreter shuts those down before `atexit` handlers run, and
    the engine's final flush at exit must still reach the database.
    """

    def __init__(self, name: str) -> None:
        self._work: queue.SimpleQueue[_WorkItem | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        future: Future[T] = Future()
        self._work.put((future, fn, args))
        return future

    def _serve(self) -> None:
        while (item := self._work.get()) is not None:
            future, fn, args = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(*args))
            except BaseException as exc:
                future.set_exception(exc)

    def shutdown(self) -> None:
        """Finish the queued work, then end the thread."""
        self._work.put(None)
        self._thread.join()


class Store:
    """Owns the database file: migrations at open, a confined write connection, reader cursors."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._executor = WriterThread("db-writer")
        try:
            self._con: duckdb.DuckDBPyConnection = self._executor.submit(self._open).result()
        except BaseException:
            self._executor.shutdown()
            raise
        self._cursor_lock = threading.Lock()
        self._closed = False

    def _open(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(str(self.path), config=DUCKDB_CONFIG)
        try:
            migrate(con)
        except BaseException:
            con.close()
            raise
        return con

    def write_sync(self, work: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """Run `work(con)` on the writer thread and wait for it (for non-async callers)."""
        return self._executor.submit(self._settled, work).result()

    async def write(self, work: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """Run `work(con)` on the writer thread without blocking the event loop."""
        return await asyncio.wrap_future(self._executor.submit(self._settled, work))

    def submit(self, work: Callable[[duckdb.DuckDBPyConnection], T]) -> Future[T]:
        """Queue `work(con)` without waiting; writes run in the order they were submitted."""
        return self._executor.submit(self._settled, work)

    def _settled(self, work: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        # DuckDB 2.0 refuses further work on a connection whose last result was not read to
        # its end (a fetchone(), or a failed step): finish it, whatever `work` did.
        try:
            return work(self._con)
        finally:
            self._con.complete()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """Return a new reader cursor; the caller owns it and closes it."""
        with self._cursor_lock:
            if self._closed:
                raise RuntimeError("The store is closed.")
            return self._con.cursor()

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor for one read, closed afterwards."""
        cur = self.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def size_bytes(self) -> int:
        """Database file size on disk, WAL included."""
        if str(self.path) == ":memory:":
            return 0
        wal = self.path.with_name(self.path.name + ".wal")
        return sum(p.stat().st_size for p in (self.path, wal) if p.exists())

    def close(self) -> None:
        """Checkpoint and close the write connection; idempotent."""
        with self._cursor_lock:
            if self._closed:
                return
            self._closed = True
        self._executor.submit(self._checkpoint_and_close).result()
        self._executor.shutdown()

    def _checkpoint_and_close(self) -> None:
        try:
            self._con.execute("CHECKPOINT")
        finally:
            self._con.close()


@dataclass(frozen=True)
class TableSpec:
    """A table the writer upserts into: its columns (in order), key and Arrow types."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    types: tuple[pa.DataType, ...]

    def key_of(self, row: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(row[i] for i in self._key_index)

    @property
    def _key_index(self) -> tuple[int, ...]:
        return tuple(self.columns.index(k) for k in self.key)


_S, _I, _F, _B = pa.string(), pa.int64(), pa.float64(), pa.bool_()

KLINES = TableSpec(
    "klines",
    ("market", "symbol", "interval", "open_time", "open", "high", "low", "close", "volume",
     "close_time", "quote_volume", "trades", "is_closed"),
    ("market", "symbol", "interval", "open_time"),
    (_S, _S, _S, _I, _F, _F, _F, _F, _F, _I, _F, _I, _B),
)  # fmt: skip
TICKERS = TableSpec(
    "tickers",
    ("market", "symbol", "last_price", "open_price", "high_price", "low_price", "price_change",
     "price_change_pct", "volume", "quote_volume", "event_time"),
    ("market", "symbol"),
    (_S, _S, _F, _F, _F, _F, _F, _F, _F, _F, _I),
)  # fmt: skip
MARK_PRICES = TableSpec(
    "mark_prices",
    ("symbol", "mark_price", "index_price", "funding_rate", "next_funding_time", "event_time"),
    ("symbol",),
    (_S, _F, _F, _F, _I, _I),
)


class UpsertBuffer:
    """Rows waiting for the next flush, keyed so the newest row for a key wins."""

    def __init__(self, spec: TableSpec) -> None:
        self.spec = spec
        self._rows: dict[Any, Sequence[Any]] = {}
        self._key = operator.itemgetter(*spec._key_index)
        self._struct = pa.struct(list(zip(spec.columns, spec.types, strict=True)))

    def __len__(self) -> int:
        return len(self._rows)

    def add(self, row: Sequence[Any]) -> None:
        self._rows[self._key(row)] = row

    def add_many(self, rows: Sequence[Sequence[Any]]) -> None:
        self._rows.update(zip(map(self._key, rows), rows, strict=True))

    def take(self) -> list[Sequence[Any]]:
        """Hand over everything buffered, leaving the buffer empty (cheap: a swap)."""
        rows, self._rows = list(self._rows.values()), {}
        return rows

    def to_arrow(self, rows: list[Sequence[Any]]) -> pa.Table:
        # One struct conversion is ~5x faster than transposing rows into columns in Python.
        return pa.Table.from_struct_array(pa.array(rows, type=self._struct))


def upsert_arrow(con: duckdb.DuckDBPyConnection, table: str, data: pa.Table) -> int:
    """Insert or replace `data` into `table` in one statement; return the row count."""
    con.register("_incoming", data)
    try:
        con.execute(f"INSERT OR REPLACE INTO {table} BY NAME SELECT * FROM _incoming")
    finally:
        con.unregister("_incoming")
    return data.num_rows


class BatchWriter:
    """Buffers market-data rows and upserts them in batches through Arrow (never row by row).

    Producers call `add(spec, row)` from the engine loop; `flush()` runs on the writer thread.
    The buffer is bounded: a producer that outruns the database triggers an early flush, and
    `pending()` tells the monitor how far behind the writer is.
    """

    def __init__(self, store: Store, specs: Sequence[TableSpec] = (KLINES, TICKERS, MARK_PRICES)):
        self._store = store
        self._buffers = {spec.name: UpsertBuffer(spec) for spec in specs}
        self.rows_written = 0
        self.flushes = 0

    def add(self, spec: TableSpec, row: Sequence[Any]) -> None:
        self._buffers[spec.name].add(row)

    def add_many(self, spec: TableSpec, rows: Sequence[Sequence[Any]]) -> None:
        self._buffers[spec.name].add_many(rows)

    def pending(self) -> int:
        return sum(len(b) for b in self._buffers.values())

    def _take_all(self) -> list[tuple[UpsertBuffer, list[Sequence[Any]]]]:
        return [(buffer, rows) for buffer in self._buffers.values() if (rows := buffer.take())]

    def _write(
        self, batches: list[tuple[UpsertBuffer, list[Sequence[Any]]]]
    ) -> Callable[[duckdb.DuckDBPyConnection], int]:
        # Runs on the database thread: the Arrow conversion stays off the event loop too.
        def work(con: duckdb.DuckDBPyConnection) -> int:
            return sum(upsert_arrow(con, b.spec.name, b.to_arrow(rows)) for b, rows in batches)

        return work

    async def flush(self) -> int:
        """Write everything buffered; return the number of rows written."""
        batches = self._take_all()
        if not batches:
            return 0
        written = await self._store.write(self._write(batches))
        self._count(written)
        return written

    def flush_sync(self) -> int:
        """Same as `flush`, for callers outside the event loop (benchmarks, shutdown)."""
        batches = self._take_all()
        if not batches:
            return 0
        written = self._store.write_sync(self._write(batches))
        self._count(written)
        return written

    def _count(self, written: int) -> None:
        self.rows_written += written
        self.flushes += 1

    async def run(self, period_s: float, backlog_rows: int) -> None:
        """Flush every `period_s`, or straight away again while `backlog_rows` are waiting.

        Under a burst, each flush takes everything that arrived during the previous one, so
        batches grow with the load and the database sees few large inserts, not many small ones.
        """
        while True:
            await self.flush()
            if self.pending() < backlog_rows:
                await asyncio.sleep(period_s)


def insert_event(
    con: duckdb.DuckDBPyConnection, time_ms: int, level: str, kind: str, message: str, data: str
) -> None:
    """Record one engine event (low volume: crashes, reconnects, refusals, kill-switch trips)."""
    con.execute(
        "INSERT INTO events (time, level, kind, message, data) VALUES (?, ?, ?, ?, ?)",
        [time_ms, level, kind, message, data],
    )
