import asyncio
import threading
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from engine.store.database import CORES, DUCKDB_MEMORY_LIMIT, DUCKDB_THREADS, Store
from engine.store.schema import LATEST_VERSION, MIGRATIONS, TABLES, migrate, schema_version
from engine.store.tables import KLINES
from engine.store.writer import BatchWriter


def kline(open_time: int, close: float = 100.0, symbol: str = "BTCUSDT", closed: bool = True):
    return ("spot", symbol, "1m", open_time, 99.0, 101.0, 98.0, close, 5.0,
            open_time + 59_999, 500.0, 42, closed)  # fmt: skip


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "t.duckdb")
    yield s
    s.close()


def count(store: Store, sql: str) -> int:
    with store.reader() as cur:
        return cur.execute(sql).fetchone()[0]


def test_a_new_database_gets_every_table_at_the_latest_version(store: Store):
    with store.reader() as cur:
        tables = cur.execute("SELECT table_name FROM information_schema.tables").fetchall()
        names = {r[0] for r in tables}
        assert schema_version(cur) == LATEST_VERSION
    assert set(TABLES) <= names


def test_upserting_the_same_klines_twice_leaves_one_row_each(store: Store):
    writer = BatchWriter(store)
    rows = [kline(t * 60_000) for t in range(1_000)]
    writer.add_many(KLINES, rows)
    assert writer.flush_sync() == 1_000
    writer.add_many(KLINES, [kline(t * 60_000, close=200.0) for t in range(1_000)])
    writer.flush_sync()
    assert count(store, "SELECT count(*) FROM klines") == 1_000
    assert count(store, "SELECT count(*) FROM klines WHERE close = 200.0") == 1_000


def test_the_newest_update_of_a_forming_candle_wins_within_a_batch(store: Store):
    writer = BatchWriter(store)
    for close in (100.0, 101.0, 102.5):
        writer.add(KLINES, kline(0, close=close, closed=False))
    writer.add(KLINES, kline(0, close=103.0, closed=True))
    writer.flush_sync()
    with store.reader() as cur:
        assert cur.execute("SELECT close, is_closed FROM klines").fetchall() == [(103.0, True)]


def test_a_reader_thread_sees_committed_rows_while_the_writer_runs(store: Store):
    writer = BatchWriter(store)
    batches, per_batch = 60, 500
    seen: list[int] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def read() -> None:
        try:
            while not done.is_set():
                seen.append(count(store, "SELECT count(*) FROM klines"))
        except BaseException as exc:
            errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for b in range(batches):
            writer.add_many(KLINES, [kline((b * per_batch + i) * 60_000) for i in range(per_batch)])
            asyncio.run(writer.flush())
    finally:
        done.set()
        reader.join(10)
    assert not errors
    assert seen == sorted(seen), "a reader saw the row count go backwards"
    assert all(n % per_batch == 0 for n in seen), "a reader saw a half-written batch"
    assert len(set(seen)) > 1, "the reader never saw the writer's progress"
    assert count(store, "SELECT count(*) FROM klines") == batches * per_batch


def test_migrations_upgrade_an_old_database_file_and_keep_its_rows(tmp_path: Path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    assert migrate(con, target=1) == [1]
    con.execute("INSERT INTO events (time, level, kind, message) VALUES (1, 'info', 'x', 'old')")
    con.close()

    store = Store(path)
    try:
        with store.reader() as cur:
            assert schema_version(cur) == LATEST_VERSION
            assert cur.execute("SELECT message FROM events").fetchall() == [("old",)]
            cur.execute("SELECT * FROM mark_prices").fetchall()  # created by migration 2
    finally:
        store.close()
    assert [m.version for m in MIGRATIONS] == list(range(1, LATEST_VERSION + 1))


def test_a_database_from_a_newer_program_is_refused(tmp_path: Path):
    path = tmp_path / "new.duckdb"
    con = duckdb.connect(str(path))
    migrate(con)
    con.execute("INSERT INTO schema_version (version, description) VALUES (999, 'future')")
    con.close()
    with pytest.raises(RuntimeError, match="newer than this program"):
        Store(path)


def test_closing_twice_is_harmless_and_reads_after_close_are_refused(tmp_path: Path):
    store = Store(tmp_path / "c.duckdb")
    store.close()
    store.close()
    with pytest.raises(RuntimeError, match="closed"):
        store.cursor()


def refusal(store: Store, sql: str) -> str:
    with store.reader() as cur, pytest.raises(duckdb.Error) as caught:
        cur.execute(sql).fetchall()
    return str(caught.value)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM '{dir}/other.csv'",
        "SELECT * FROM read_csv('{dir}/other.csv')",
        "SELECT * FROM '{dir}/*.csv'",
        "ATTACH '{dir}/other.duckdb' AS other",
        "COPY klines TO '{dir}/out.csv'",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SELECT * FROM 'http://127.0.0.1:9/x.csv'",
    ],
)
def test_the_database_refuses_files_urls_and_extensions(store: Store, tmp_path: Path, sql: str):
    (tmp_path / "other.csv").write_text("secret\nkey-material\n")
    message = refusal(store, sql.format(dir=tmp_path))
    assert "disabled" in message or "Permission" in message, message
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize(
    "sql",
    [
        "SET enable_external_access = true",
        "SET memory_limit = '64GB'",
        "SET threads = 64",
        "SET autoinstall_known_extensions = true",
        "RESET lock_configuration",
    ],
)
def test_the_configuration_is_locked(store: Store, sql: str):
    assert "locked" in refusal(store, sql)


def test_memory_and_threads_are_bounded(store: Store):
    with store.reader() as cur:
        limit, threads = cur.execute(
            "SELECT current_setting('memory_limit'), current_setting('threads')"
        ).fetchone()
    reference = duckdb.connect(config={"memory_limit": DUCKDB_MEMORY_LIMIT})
    assert limit == reference.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    reference.close()
    assert 1 <= int(threads) == DUCKDB_THREADS
    assert CORES > DUCKDB_THREADS or DUCKDB_THREADS == 1


def test_python_variables_are_not_scanned_but_arrow_registration_works(store: Store):
    rows = pa.table({"x": [1, 2, 3]})  # noqa: F841 - a replacement scan would find it by name
    assert "rows" in refusal(store, "SELECT * FROM rows")

    def work(con: duckdb.DuckDBPyConnection) -> int:
        con.register("_incoming", pa.table({"x": [1, 2, 3]}))
        try:
            return con.execute("SELECT sum(x) FROM _incoming").fetchall()[0][0]
        finally:
            con.unregister("_incoming")

    assert store.write_sync(work) == 6
