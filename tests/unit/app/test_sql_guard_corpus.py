"""Explore's SQL: every bypass of the security review (notes/security-review.md, findings 1, 3,
4 and 7) and variants, each refused by the guard and, run end to end, returning nothing secret
and changing nothing; the saved queries and ordinary CTEs (nested, recursive) still run.

This file uses only what the base commit (2b2c2aa) already had (`check_select`,
`queries.run_select`), so it can be run against it too: there the bypasses pass the guard and the
run returns the secret or moves the sequence. Cases marked `net_` (DuckDB would download an
extension) and `mem_` (tens of GB without the fix) are left out of such a run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from app import db, queries
from app.sql_guard import RefusedQuery, check_select
from engine.store.database import Store

API_SECRET = "4ca780adfc72-the-simulator-secret"
OTHER_SECRET = "other-db-secret"
CSV_SECRET = "csv-secret-cell"
STATE_SECRET = "paper-balance-9911"
SECRETS = (API_SECRET, OTHER_SECRET, CSV_SECRET, STATE_SECRET, "tradedesk.duckdb")
EVENTS = 3


@dataclass
class Desk:
    store: Store
    dir: Path  # the data dir: tradedesk.duckdb, sim/keys.json, sim/state.json, other files

    def sql(self, template: str) -> str:
        keys = f"{self.dir}/sim/keys.json"
        return template.replace("{dir}", str(self.dir)).replace("{keys}", keys)


def plant_files(data: Path) -> None:
    (data / "sim").mkdir(parents=True)
    keys = {"api_key": "bf4342d5a975", "api_secret": API_SECRET}
    (data / "sim" / "keys.json").write_text(json.dumps(keys))
    state = {"spot": {"balances": {"USDT": STATE_SECRET}}}
    (data / "sim" / "state.json").write_text(json.dumps(state))
    (data / "leak.csv").write_text(f"a\n{CSV_SECRET}\n")
    (data / "leak.ndjson").write_text(json.dumps({"a": CSV_SECRET}) + "\n")
    other = duckdb.connect(str(data / "other.duckdb"))
    other.execute(f"CREATE TABLE t AS SELECT '{OTHER_SECRET}' AS s")
    other.close()


def fill_desk(store: Store) -> None:
    def work(con: duckdb.DuckDBPyConnection) -> None:
        for i in range(EVENTS):
            con.execute(
                "INSERT INTO events (time, level, kind, message) VALUES (?, 'info', 'k', 'm')", [i]
            )
        con.execute(
            "INSERT INTO klines VALUES ('spot', 'BTCUSDT', '1m', 0, 1, 2, 0.5, 1.5, 10, 59999, "
            "15, 3, true), ('spot', 'ETHUSDT', '1m', 0, 1, 2, 0.5, 1.5, 10, 59999, 15, 3, true)"
        )
        con.execute(
            "INSERT INTO fills VALUES ('spot', 'BTCUSDT', 1, 'td-1', 'e1', 'BUY', 88784.23, "
            "0.001, 88.78423, 0.0000887, 'USDT', false, 0, 1700000000000)"
        )

    store.write_sync(work)


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    data = tmp_path / "data"
    plant_files(data)
    store = Store(data / "tradedesk.duckdb")
    fill_desk(store)
    monkeypatch.chdir(tmp_path)  # relative paths ('data/sim/keys.json') resolve from here
    monkeypatch.setattr(db, "store", lambda: store)
    yield Desk(store, data)
    store.close()


def next_event_id(store: Store) -> int:
    """Insert one event and return the id its sequence gave it (EVENTS + 1 when untouched)."""

    def work(con: duckdb.DuckDBPyConnection) -> int:
        con.execute("INSERT INTO events (time, level, kind, message) VALUES (9, 'info', 'k', 'm')")
        return con.execute("SELECT max(id) FROM events").fetchall()[0][0]

    return store.write_sync(work)


def _sibling(path: str, head: str = "SELECT * FROM") -> str:
    """The review's trick: a CTE named like `path` declared in a sibling scope."""
    return f"{head} '{path}' WHERE 1 IN (WITH \"{path}\" AS (SELECT 1) SELECT 1)"


def _cases(**named: object) -> list:
    return [
        pytest.param(*(case if isinstance(case, tuple) else (case,)), id=name)
        for name, case in named.items()
    ]


REFUSED = _cases(
    # finding 1: a CTE name from one scope accepted in another -> files, globs, system views
    keys_json=_sibling("{keys}"),
    keys_json_union_by_name=(
        "SELECT * FROM '{keys}' UNION ALL BY NAME "
        'SELECT * FROM (WITH "{keys}" AS (SELECT 1 AS x) SELECT * FROM "{keys}")'
    ),
    keys_json_scalar_subquery="SELECT *, (WITH \"{keys}\" AS (SELECT 1) SELECT 1) FROM '{keys}'",
    keys_json_exists=(
        "SELECT * FROM '{keys}' WHERE EXISTS (WITH \"{keys}\" AS (SELECT 1) SELECT 1)"
    ),
    keys_json_join_partner=(
        'SELECT * FROM (WITH "{keys}" AS (SELECT 1 AS x) SELECT x FROM "{keys}") a, \'{keys}\''
    ),
    state_json_glob=_sibling("{dir}/*/state.json", "SELECT spot.balances FROM"),
    relative_glob=_sibling("data/sim/*.json", "SELECT count(*) FROM"),
    relative_keys="SELECT * FROM 'data/sim/keys.json'",
    plain_file="SELECT * FROM '{keys}'",
    csv_file=_sibling("{dir}/leak.csv"),
    ndjson_file=_sibling("{dir}/leak.ndjson"),
    other_duckdb_file=_sibling("{dir}/other.duckdb"),
    net_http_url=_sibling("http://127.0.0.1:9/x.csv"),
    net_xlsx=_sibling("{dir}/x.xlsx"),
    system_view_by_sibling_cte=(
        'SELECT path FROM duckdb_databases WHERE 1 IN (WITH "duckdb_databases" AS (SELECT 1) '
        "SELECT 1)"
    ),
    system_view_forward_reference=(
        "WITH z AS (SELECT * FROM duckdb_columns), duckdb_columns AS (SELECT 1) SELECT * FROM z"
    ),
    system_view_self_reference=(
        "WITH duckdb_columns AS (SELECT * FROM duckdb_columns) SELECT * FROM duckdb_columns"
    ),
    system_view_recursive_without_union=(
        "WITH RECURSIVE duckdb_columns AS (SELECT * FROM duckdb_columns) "
        "SELECT * FROM duckdb_columns"
    ),
    system_view_in_recursive_anchor=(
        "WITH RECURSIVE duckdb_tables(n) AS (SELECT count(*) FROM duckdb_tables "
        "UNION ALL SELECT n + 1 FROM duckdb_tables WHERE n < 3) SELECT * FROM duckdb_tables"
    ),
    system_view_from_another_union_branch=(
        "SELECT database_name FROM duckdb_tables UNION ALL "
        "(WITH duckdb_tables AS (SELECT 'x' AS database_name) SELECT * FROM duckdb_tables)"
    ),
    system_view_cte_inside_cte=(
        "WITH a AS (WITH duckdb_views AS (SELECT 1 AS sql) SELECT * FROM duckdb_views) "
        "SELECT sql FROM duckdb_views, a"
    ),
    system_view="SELECT * FROM duckdb_databases",
    system_table_qualified="SELECT * FROM system.main.duckdb_tables",
    information_schema="SELECT table_name FROM information_schema.tables",
    pg_catalog="SELECT * FROM pg_catalog.pg_class",
    sqlite_master="SELECT * FROM sqlite_master",
    # table functions, in any position
    read_csv="SELECT * FROM read_csv('{keys}')",
    read_text="SELECT content FROM read_text('{keys}')",
    glob="SELECT * FROM glob('{dir}/*')",
    duckdb_settings="SELECT * FROM duckdb_settings()",
    lateral_read="SELECT * FROM klines, LATERAL read_json_auto('{keys}')",
    query_function="SELECT * FROM query('SELECT * FROM duckdb_settings()')",
    scalar_subquery_table_function="SELECT (SELECT count(*) FROM glob('{dir}/*'))",
    # other statements
    attach="ATTACH '{dir}/other.duckdb' AS other",
    copy_out="COPY (SELECT * FROM fills) TO '{dir}/out.csv'",
    copy_in="COPY fills FROM '{dir}/leak.csv'",
    set_external_access="SET enable_external_access = true",
    set_memory="SET memory_limit = '64GB'",
    pragma="PRAGMA database_list",
    install="INSTALL httpfs",
    load="LOAD httpfs",
    call="CALL duckdb_settings()",
    explain="EXPLAIN SELECT 1",
    create="CREATE TABLE x AS SELECT 1",
    two_statements="SELECT 1; DROP TABLE fills",
    nul_byte="SELECT 1\x00; DROP TABLE fills",
    insert_in_cte="WITH x AS (INSERT INTO events (time, level, kind, message) "
    "VALUES (1, 'a', 'b', 'c') RETURNING *) SELECT * FROM x",
    # finding 3: sequences and other effects
    nextval_setval="SELECT nextval('events_id') AS before, setval('events_id', 1) AS after",
    setval_max="SELECT setval('events_id', 9223372036854775807)",
    nextval="SELECT nextval('events_id')",
    currval="SELECT currval('events_id')",
    setval_in_subquery="SELECT * FROM events WHERE id = (SELECT setval('events_id', 1))",
    setval_in_cte="WITH s AS (SELECT setval('events_id', 1) AS v) SELECT * FROM s",
    setval_qualified="SELECT system.main.setval('events_id', 1)",
    setval_upper_case="SELECT SETVAL('events_id', 1)",
    setval_in_lambda="SELECT list_transform([1], x -> setval('events_id', x))",
    setseed="SELECT setseed(0.5)",
    write_log="SELECT write_log('x')",
    sleep_ms="SELECT sleep_ms(20000)",
    pg_sleep="SELECT pg_sleep(20)",
    # finding 7: settings, the query text, DESCRIBE/SHOW/SUMMARIZE
    current_setting_temp="SELECT current_setting('temp_directory')",
    current_setting_secrets="SELECT current_setting('secret_directory')",
    current_setting_in_where=(
        "SELECT * FROM klines WHERE symbol <> current_setting('home_directory')"
    ),
    getvariable="SELECT getvariable('x')",
    current_query="SELECT current_query()",
    show_all_tables="SHOW ALL TABLES",
    show_tables="SHOW TABLES",
    describe="DESCRIBE klines",
    describe_select="DESCRIBE SELECT * FROM klines",
    summarize="SUMMARIZE klines",
    summarize_subquery="SELECT * FROM (SUMMARIZE klines)",
    catalog_macro_viewdef="SELECT pg_get_viewdef(1)",
    catalog_macro_block_size="SELECT get_block_size('tradedesk')",
    serialized_plan="SELECT json_serialize_plan('SELECT * FROM duckdb_settings()')",
    # finding 4: values built outside DuckDB's memory limit
    mem_generate_series="SELECT generate_series(1, 300000000) AS big",
    mem_range="SELECT range(300000000) AS big",
    mem_repeat_rows="SELECT repeat('x', 1000000) FROM (SELECT unnest(generate_series(1, 2000)))",
    mem_list_of_unnest="SELECT len(list(i)) FROM (SELECT unnest(generate_series(1, 400000000)) i)",
    mem_repeat_one="SELECT repeat('x', 500000000)",
    mem_lpad="SELECT lpad('', 500000000, 'x')",
    mem_list_resize="SELECT list_resize([1], 50000000)",
    mem_printf_width="SELECT printf('%300000000d', 1)",
    mem_format_width="SELECT format('{:>300000000}', 1)",
    mem_series_from_a_column="SELECT generate_series(1, open_time) FROM klines",
    mem_series_in_lambda="SELECT list_transform(generate_series(1, 10), x -> range(x))",
)

DEEP = _cases(
    subqueries="SELECT " + "(SELECT " * 300 + "1" + ")" * 300,
    sum_terms="SELECT " + " + ".join(["1"] * 1000),
    nested_calls="SELECT " + "abs(" * 500 + "1" + ")" * 500,
)


@pytest.mark.parametrize("template", REFUSED)
def test_the_guard_refuses_it(desk: Desk, template: str):
    with pytest.raises(RefusedQuery):
        check_select(desk.sql(template))


@pytest.mark.parametrize("template", REFUSED)
def test_run_end_to_end_it_shows_nothing_secret_and_changes_nothing(desk: Desk, template: str):
    try:
        frame, _ = queries.run_select(desk.sql(template), timeout_s=5)
        outcome = frame.to_csv()
    except (RefusedQuery, queries.QueryFailed) as exc:
        outcome = str(exc)
    for secret in SECRETS:
        assert secret not in outcome
    assert next_event_id(desk.store) == EVENTS + 1, "the events sequence moved"
    assert not (desk.dir / "out.csv").exists()
    with desk.store.reader() as cur:
        assert cur.execute("SELECT count(*) FROM fills").fetchall() == [(1,)]


@pytest.mark.parametrize("sql", DEEP)
def test_deep_nesting_is_a_clear_refusal_not_a_traceback(desk: Desk, sql: str):
    with pytest.raises(RefusedQuery, match=r"nested too deeply|depth"):
        queries.run_select(sql)


ALLOWED = _cases(
    trailing_semicolon=("SELECT 1 AS x;", [(1,)]),
    trailing_comment=("SELECT 1 AS x -- the answer", [(1,)]),
    semicolon_then_comment=("SELECT 1 AS x; -- done\n", [(1,)]),
    comment_then_semicolon=("SELECT 1 AS x /* done */ ;", [(1,)]),
    leading_comment=("-- count them\nSELECT count(*) FROM klines", [(2,)]),
    comment_after_non_ascii=("SELECT 'üü€日本' AS x -- ünïcode", [("üü€日本",)]),
    semicolon_after_non_ascii=("SELECT '€' AS \"prix €\"; /* fin */", [("€",)]),
    upper_case_table=("SELECT count(*) FROM KLINES", [(2,)]),
    main_schema=("SELECT count(*) FROM main.klines", [(2,)]),
    cte=("WITH k AS (SELECT symbol FROM klines) SELECT count(*) FROM k", [(2,)]),
    cte_chain=(
        "WITH a AS (SELECT 1 AS x), b AS (SELECT x + 1 AS x FROM a) SELECT x FROM b",
        [(2,)],
    ),
    cte_shadowing_a_table=(
        "WITH klines AS (SELECT * FROM klines WHERE symbol = 'BTCUSDT') "
        "SELECT count(*) FROM klines",
        [(1,)],
    ),
    cte_in_subquery=(
        "SELECT (WITH k AS (SELECT count(*) AS n FROM klines) SELECT n FROM k) AS n",
        [(2,)],
    ),
    cte_used_in_a_subquery=(
        "WITH k AS (SELECT symbol FROM klines) "
        "SELECT count(*) FROM fills WHERE symbol IN (SELECT symbol FROM k)",
        [(1,)],
    ),
    cte_in_both_union_branches=(
        "WITH k AS (SELECT 1 AS x) SELECT x FROM k UNION ALL SELECT x + 1 FROM k ORDER BY 1",
        [(1,), (2,)],
    ),
    nested_ctes=(
        "WITH a AS (WITH b AS (SELECT 2 AS x) SELECT x * 3 AS x FROM b) SELECT x FROM a",
        [(6,)],
    ),
    materialized_cte=("WITH a AS MATERIALIZED (SELECT 5 AS x) SELECT x FROM a", [(5,)]),
    recursive_cte=(
        "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 5) "
        "SELECT sum(i) FROM r",
        [(15,)],
    ),
    recursive_cte_over_a_table=(
        "WITH RECURSIVE r(n) AS (SELECT count(*) FROM klines UNION ALL "
        "SELECT n + 1 FROM r WHERE n < 4) SELECT max(n) FROM r",
        [(4,)],
    ),
    recursive_without_end_is_cut_by_the_row_cap=(
        "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) "
        "SELECT count(*) FROM (SELECT * FROM r LIMIT 100)",
        [(100,)],
    ),
    small_series=("SELECT sum(x) FROM (SELECT unnest(generate_series(1, 100)) AS x)", [(5050,)]),
    small_repeat=("SELECT repeat('-', 3)", [("---",)]),
    padding=("SELECT lpad(symbol, 10, '.') FROM klines ORDER BY 1 LIMIT 1", [("...BTCUSDT",)]),
    printf=("SELECT printf('%.2f', 1.005)", [("1.00",)]),
    values_list=("SELECT sum(x) FROM (VALUES (1), (2)) v(x)", [(3,)]),
    window=(
        "SELECT symbol, row_number() OVER (ORDER BY symbol) FROM klines ORDER BY 1",
        [("BTCUSDT", 1), ("ETHUSDT", 2)],
    ),
    pivot=(
        "SELECT * FROM (SELECT symbol, close FROM klines) "
        "PIVOT (sum(close) FOR symbol IN ('BTCUSDT'))",
        [(1.5,)],
    ),
)


@pytest.mark.parametrize(("sql", "rows"), ALLOWED)
def test_ordinary_queries_still_run(desk: Desk, sql: str, rows: list[tuple]):
    frame, more = queries.run_select(sql)
    assert [tuple(r) for r in frame.itertuples(index=False)] == rows
    assert not more


@pytest.mark.parametrize("name", list(queries.SAVED_QUERIES))
def test_the_saved_queries_run(desk: Desk, name: str):
    frame, _ = queries.run_select(queries.SAVED_QUERIES[name])
    assert len(frame.columns) >= 2


def test_the_row_cap_stays(desk: Desk):
    sql = "SELECT unnest(generate_series(1, 10000)) AS i"
    frame, more = queries.run_select(sql, max_rows=500)
    assert len(frame) == 500
    assert more


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT nosuch FROM klines",
        "SELECT CAST('zz' AS INTEGER) FROM klines",
        "SELECT symbol, count(*) FROM klines",
        "SELECT 'a' + 1",
    ],
)
def test_errors_echo_only_the_users_sql(desk: Desk, sql: str):
    with pytest.raises(queries.QueryFailed) as failed:
        queries.run_select(sql)
    message = str(failed.value)
    for internal in ("SELECT * FROM (", "LIMIT 10001", "json_serialize", "READ ONLY"):
        assert internal not in message
