"""Read-only SQL for the Explore page, checked with DuckDB's own parser, never by string matching.

A query passes when DuckDB parses it into exactly one SELECT statement whose tables are all
tables of the desk's database or CTEs in scope (app.sql_scope), and which calls no function that
writes, waits, reads settings or builds an unbounded value (app.sql_functions). Table functions
(read_csv, glob, duckdb_settings, ...) and DESCRIBE/SHOW/SUMMARIZE are refused. This is the first
of four layers: app.sql_plan checks DuckDB's bound plan, app.explore_sql runs the query in a
read-only transaction, and the database refuses files, URLs, extensions and SET (engine.store).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import duckdb

from app.sql_functions import function_problems
from app.sql_scope import cte_names, table_refs
from app.sql_tree import nodes
from engine.store.schema import TABLES

MAX_SQL_CHARS = 20_000
PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ONLY_TABLES = "Only the desk's tables can be read here."
REFUSED_SOURCES = {
    "SHOW_REF": "DESCRIBE, SHOW and SUMMARIZE are not available here; the tables are listed above.",
    "COLUMN_DATA": _ONLY_TABLES,
    "DELIM_GET": _ONLY_TABLES,
}
READ_NODES = {"SELECT_NODE", "SET_OPERATION_NODE", "RECURSIVE_CTE_NODE", "CTE_NODE"}
_PARSER_CONFIG = {"enable_external_access": False, "autoload_known_extensions": False}


class RefusedQuery(ValueError):
    """The query is not a single read-only SELECT over the desk's tables; says why."""


@dataclass(frozen=True)
class CheckedQuery:
    sql: str  # the one statement, without a trailing semicolon or comment
    tables: tuple[str, ...]  # the desk's tables it reads


def check_select(sql: str) -> CheckedQuery:
    """Parse `sql`; return it when it is one SELECT over known tables, else raise RefusedQuery."""
    try:
        return _check(sql)
    except RecursionError:
        raise RefusedQuery(
            "The query is nested too deeply to check; use fewer levels of brackets or subqueries."
        ) from None
    except duckdb.Error as exc:  # the tokenizer or the serializer gave up on it
        raise RefusedQuery(f"DuckDB cannot read this query: {exc}") from None


def _check(sql: str) -> CheckedQuery:
    text = _without_trailing(_one_select(sql))
    tree = _syntax_tree(text)
    for problem in _problems(tree):
        raise RefusedQuery(problem)
    read = {ref.name.lower() for ref in table_refs(tree) if not ref.is_cte}
    return CheckedQuery(text, tuple(sorted(read)))


def _one_select(sql: str) -> str:
    if len(sql) > MAX_SQL_CHARS:
        raise RefusedQuery(f"The query is longer than {MAX_SQL_CHARS:,} characters.")
    if "\x00" in sql:
        raise RefusedQuery("The query contains a NUL character.")
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise RefusedQuery(f"DuckDB cannot parse this: {exc}") from None
    if len(statements) != 1:
        raise RefusedQuery(f"Give exactly one statement (this has {len(statements)}).")
    statement = statements[0]
    if statement.type is not duckdb.StatementType.SELECT:
        raise RefusedQuery(f"Only SELECT is allowed here; this is {statement.type.name}.")
    return statement.query


def _without_trailing(text: str) -> str:
    """The statement without a trailing `;` or comment, which would swallow what follows it."""
    data = text.encode()  # DuckDB's token offsets count UTF-8 bytes
    cut = len(data)
    for offset, kind in reversed(duckdb.tokenize(text)):
        if kind == duckdb.token_type.comment or data[offset : offset + 1] == b";":
            cut = offset
            continue
        break
    return data[:cut].decode().rstrip()


def _syntax_tree(sql: str) -> dict[str, Any]:
    con = duckdb.connect(config=_PARSER_CONFIG)
    try:
        row = con.execute("SELECT json_serialize_sql(?)", [sql]).fetchall()
    finally:
        con.close()
    tree = json.loads(row[0][0]) if row else {"error": True, "error_message": "no answer"}
    if tree.get("error"):
        raise RefusedQuery(f"DuckDB cannot read this query: {tree.get('error_message', '')}")
    return tree


def _problems(tree: dict[str, Any]) -> Iterator[str]:
    functions = sorted(set(_table_functions(tree)))
    if functions:
        yield f"Table functions are not allowed here: {', '.join(functions)}."
    yield from sorted({REFUSED_SOURCES[t] for t in _node_types(tree) if t in REFUSED_SOURCES})
    writes = sorted({t for t in _node_types(tree) if t.endswith("_NODE") and t not in READ_NODES})
    if writes:
        yield f"Only reading is allowed here; this query holds {', '.join(writes)}."
    odd_ctes = sorted({n for n in cte_names(tree) if not PLAIN_NAME.match(n)})
    if odd_ctes:
        yield f"Name CTEs with plain identifiers (letters, digits, _), not {', '.join(odd_ctes)}."
    yield from _table_problems(tree)
    yield from function_problems(tree)


def _table_problems(tree: dict[str, Any]) -> Iterator[str]:
    tables = [ref for ref in table_refs(tree) if not ref.is_cte]
    foreign = sorted({r.qualified for r in tables if r.catalog or r.schema not in ("", "main")})
    if foreign:
        yield f"Only the desk's own tables can be read, not {', '.join(foreign)}."
    odd = sorted({r.name for r in tables if not PLAIN_NAME.match(r.name)})
    if odd:
        yield f"Not a table name: {', '.join(odd)}. Files, globs and URLs cannot be read here."
    unknown = sorted({r.name for r in tables if r.name.lower() not in TABLES} - set(odd))
    if unknown:
        yield f"Unknown table: {', '.join(unknown)}. The tables are: {', '.join(TABLES)}."


def _node_types(tree: Any) -> Iterator[str]:
    for node in nodes(tree):
        if isinstance(node.get("type"), str):
            yield node["type"]


def _table_functions(tree: Any) -> Iterator[str]:
    for node in nodes(tree):
        if node.get("type") == "TABLE_FUNCTION":
            function = node.get("function") or {}
            yield str(function.get("function_name", "?"))
