"""Read-only SQL for the Explore page, checked with DuckDB's own parser, never by string matching.

A query passes when DuckDB parses it into exactly one SELECT statement whose tables are all
tables of the desk's database (or the query's own CTEs). Table functions (read_csv, glob,
duckdb_settings, ...) are refused: they read files or settings outside the database.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import duckdb

from engine.store.schema import TABLES


class RefusedQuery(ValueError):
    """The query is not a single read-only SELECT over the desk's tables; says why."""


@dataclass(frozen=True)
class CheckedQuery:
    sql: str  # the one statement, without a trailing semicolon
    tables: tuple[str, ...]


def check_select(sql: str) -> CheckedQuery:
    """Parse `sql`; return it when it is one SELECT over known tables, else raise RefusedQuery."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise RefusedQuery(f"DuckDB cannot parse this: {exc}") from None
    if len(statements) != 1:
        raise RefusedQuery(f"Give exactly one statement (this has {len(statements)}).")
    statement = statements[0]
    if statement.type is not duckdb.StatementType.SELECT:
        raise RefusedQuery(f"Only SELECT is allowed here; this is {statement.type.name}.")
    tree = _syntax_tree(statement.query)
    tables = set(_walk(tree, "BASE_TABLE", "table_name"))
    foreign = sorted(set(_qualified_elsewhere(tree)))
    if foreign:
        raise RefusedQuery(f"Only the desk's own tables can be read, not {', '.join(foreign)}.")
    functions = sorted(set(_table_functions(tree)))
    if functions:
        raise RefusedQuery(f"Table functions are not allowed here: {', '.join(functions)}.")
    unknown = sorted(tables - set(TABLES) - set(_cte_names(tree)))
    if unknown:
        raise RefusedQuery(
            f"Unknown table: {', '.join(unknown)}. The tables are: {', '.join(TABLES)}."
        )
    return CheckedQuery(statement.query.strip(), tuple(sorted(tables & set(TABLES))))


def _syntax_tree(sql: str) -> dict[str, Any]:
    con = duckdb.connect()
    try:
        row = con.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()
    finally:
        con.close()
    tree = json.loads(row[0]) if row else {"error": True, "error_message": "no answer"}
    if tree.get("error"):
        raise RefusedQuery(f"DuckDB cannot read this query: {tree.get('error_message', '')}")
    return tree


def _nodes(tree: Any) -> Iterator[dict[str, Any]]:
    if isinstance(tree, dict):
        yield tree
        for value in tree.values():
            yield from _nodes(value)
    elif isinstance(tree, list):
        for item in tree:
            yield from _nodes(item)


def _walk(tree: Any, node_type: str, field: str) -> Iterator[str]:
    for node in _nodes(tree):
        if node.get("type") == node_type and isinstance(node.get(field), str):
            yield node[field]


def _qualified_elsewhere(tree: Any) -> Iterator[str]:
    """Base tables named with another catalog or schema than the desk's main one."""
    for node in _nodes(tree):
        if node.get("type") != "BASE_TABLE":
            continue
        catalog, schema = node.get("catalog_name") or "", node.get("schema_name") or ""
        if catalog or schema not in ("", "main"):
            yield ".".join(p for p in (catalog, schema, str(node.get("table_name"))) if p)


def _table_functions(tree: Any) -> Iterator[str]:
    for node in _nodes(tree):
        if node.get("type") == "TABLE_FUNCTION":
            function = node.get("function") or {}
            yield str(function.get("function_name", "?"))


def _cte_names(tree: Any) -> Iterator[str]:
    for node in _nodes(tree):
        cte_map = node.get("cte_map")
        if isinstance(cte_map, dict):
            for entry in cte_map.get("map", []):
                if isinstance(entry, dict) and isinstance(entry.get("key"), str):
                    yield entry["key"]
