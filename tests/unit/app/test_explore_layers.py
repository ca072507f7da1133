"""Each of Explore's layers holds on its own (with the ones before it switched off), the limits on
time and size hold, decimals stay exact, and the refused-function list matches DuckDB's catalogue.
"""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from app import explore_sql
from app.explore_sql import Limits, QueryFailed, display_frame, run_select, user_message
from app.sql_functions import BUILDERS, DENIED
from app.sql_guard import CheckedQuery, RefusedQuery
from engine.store.database import Store


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "t.duckdb")
    s.write_sync(
        lambda con: con.execute(
            "INSERT INTO fills VALUES ('spot', 'BTCUSDT', 1, 'td-1', 'e1', 'BUY', 88784.23, "
            "0.001, 88.78423, 0.0000887, 'USDT', false, 0, 1700000000000)"
        )
    )
    yield s
    s.close()


@pytest.fixture
def no_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    """Switch off the parse-tree check: every query reaches the later layers."""
    monkeypatch.setattr(explore_sql, "check_select", lambda sql: CheckedQuery(sql, ()))


@pytest.fixture
def no_plan_check(monkeypatch: pytest.MonkeyPatch, no_guard: None) -> None:
    """Switch off the bound-plan check too: only the transaction and the database are left."""
    monkeypatch.setattr(explore_sql, "_check_plan", lambda cur, sql: None)


def sequence_next(store: Store) -> int:
    return store.write_sync(lambda con: con.execute("SELECT nextval('events_id')").fetchall())[0][0]


@pytest.mark.usefixtures("no_guard")
@pytest.mark.parametrize(
    ("sql", "source"),
    [
        ("SELECT * FROM duckdb_settings()", "duckdb_settings"),
        ("SELECT path FROM duckdb_databases", "duckdb_databases"),
        ("SELECT * FROM information_schema.tables", "duckdb_tables"),
        ("SELECT pg_get_viewdef(1)", "duckdb_views"),
        ("SELECT get_block_size('t')", "pragma_database_size"),
        ("SHOW ALL TABLES", "duckdb_"),
        (
            "WITH z AS (SELECT * FROM duckdb_columns), duckdb_columns AS (SELECT 1) "
            "SELECT * FROM z",
            "duckdb_columns",
        ),
    ],
)
def test_the_plan_check_alone_refuses_every_scan_but_the_desk_tables(
    store: Store, sql: str, source: str
):
    with pytest.raises(RefusedQuery, match=f"Only the desk's tables .*{source}"):
        run_select(store, sql)


@pytest.mark.usefixtures("no_guard")
def test_the_plan_check_lets_the_desk_tables_and_ctes_through(store: Store):
    sql = "WITH f AS (SELECT * FROM fills) SELECT count(*) AS n FROM f, main.fills"
    frame, _ = run_select(store, sql)
    assert frame["n"].tolist() == [1]


@pytest.mark.usefixtures("no_plan_check")
@pytest.mark.parametrize(
    "sql",
    [
        "SELECT setval('events_id', 9223372036854775807)",
        "SELECT nextval('events_id')",
        "SELECT nextval('events_id') AS before, setval('events_id', 1) AS after",
    ],
)
def test_the_read_only_transaction_alone_keeps_the_sequences(store: Store, sql: str):
    before = sequence_next(store)
    with pytest.raises(QueryFailed, match="read-only"):
        run_select(store, sql)
    assert sequence_next(store) == before + 1


@pytest.mark.usefixtures("no_plan_check")
@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_text('{dir}/secret.txt')",
        "SELECT * FROM '{dir}/secret.csv'",
        "SELECT * FROM glob('{dir}/*')",
    ],
)
def test_the_database_alone_refuses_files(store: Store, tmp_path: Path, sql: str):
    (tmp_path / "secret.txt").write_text("the-secret")
    (tmp_path / "secret.csv").write_text("a\nthe-secret\n")
    with pytest.raises(QueryFailed, match="disabled by configuration") as failed:
        run_select(store, sql.replace("{dir}", str(tmp_path)))
    assert "the-secret" not in str(failed.value)


def test_a_result_over_the_byte_budget_is_refused_clearly(store: Store):
    sql = (
        "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 5000) "
        "SELECT i, repeat('x', 1000) AS filler FROM r"
    )
    with pytest.raises(QueryFailed, match=r"larger than 1 MB"):
        run_select(store, sql, Limits(max_bytes=2**20))
    frame, more = run_select(store, sql, Limits(max_rows=100, max_bytes=2**20))
    assert len(frame) == 100 and more  # the row cap comes first when it is the smaller


def test_the_timeout_stops_a_long_query_and_the_cursor_is_usable_after(store: Store):
    series = "(WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 200000) "
    sql = f"SELECT sum(hash(a.i * b.i)) FROM {series}SELECT i FROM r) a, {series}SELECT i FROM r) b"
    started = time.monotonic()
    with pytest.raises(QueryFailed, match=r"Stopped after 0.5 s"):
        run_select(store, sql, Limits(timeout_s=0.5))
    assert time.monotonic() - started < 5
    frame, _ = run_select(store, "SELECT count(*) AS n FROM fills")
    assert frame["n"].tolist() == [1]


def test_decimals_come_back_exact_and_display_as_floats(store: Store):
    frame, _ = run_select(store, "SELECT price, qty, quote_qty, symbol FROM fills")
    assert frame["price"][0] == Decimal("88784.23")
    assert frame["quote_qty"][0] == Decimal("88.78423")
    shown = display_frame(frame)
    assert shown["price"].dtype == float and shown["price"][0] == 88784.23
    assert shown["symbol"][0] == "BTCUSDT"


def test_duckdbs_echo_of_the_query_is_taken_out_of_messages():
    raw = "Conversion Error: no\n\nLINE 3: SELECT * FROM (SELECT x\n               ^"
    assert user_message(duckdb.ConversionException(raw)) == "Conversion Error: no"


HARMLESS_VOLATILE = {"random", "uuid", "uuidv4", "uuidv7", "gen_random_uuid", "error", "stats"}
HARMLESS_VOLATILE |= {"vector_type"}


def test_every_function_with_effects_in_duckdb_is_refused_or_known_harmless():
    con = duckdb.connect()
    names = {
        name
        for (name,) in con.execute(
            "SELECT DISTINCT function_name FROM duckdb_functions() WHERE has_side_effects"
        ).fetchall()
    }
    unclassified = names - set(DENIED) - HARMLESS_VOLATILE
    assert not unclassified, "decide: refuse these in app.sql_functions or call them harmless"


def test_every_macro_that_reads_a_table_is_refused():
    con = duckdb.connect()
    macros = con.execute(
        "SELECT DISTINCT function_name FROM duckdb_functions() "
        "WHERE function_type = 'macro' AND macro_definition ILIKE '%FROM %'"
    ).fetchall()
    assert {name for (name,) in macros} <= set(DENIED)


def test_the_builders_exist_in_duckdb():
    con = duckdb.connect()
    listed = {n for (n,) in con.execute("SELECT function_name FROM duckdb_functions()").fetchall()}
    assert set(BUILDERS) | {"printf", "format"} <= listed
    assert set(DENIED) <= listed
