"""The second check of Explore's SQL: what DuckDB's binder made of it, on the desk's database.

`json_serialize_plan` binds and plans the query without running it. Every scan in that plan
must be a plain table scan of one of the desk's tables: a CTE the guard took for a table, a
view over a system table function, a macro that reads the catalog or a file read would all show
up here as another kind of scan, whatever the parse tree looked like.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import duckdb

from app.sql_tree import nodes
from engine.store.schema import TABLES


class PlanError(ValueError):
    """DuckDB could not bind or plan the query; the message is DuckDB's."""


def bound_plan(cur: duckdb.DuckDBPyConnection, sql: str) -> dict[str, Any]:
    """The logical plan DuckDB binds `sql` to on this cursor (PlanError when it cannot)."""
    rows = cur.execute("SELECT json_serialize_plan(?)", [sql]).fetchall()
    plan = json.loads(rows[0][0]) if rows and rows[0][0] else {"error": True}
    if plan.get("error"):
        raise PlanError(str(plan.get("error_message") or "DuckDB could not plan this query."))
    return plan


def plan_problems(plan: dict[str, Any], catalog: str) -> Iterator[str]:
    """A reason for every scan in `plan` that is not a scan of a desk table in `catalog`."""
    for node in nodes(plan):
        if node.get("type") == "LOGICAL_GET" and not _desk_scan(node, catalog):
            yield f"Only the desk's tables can be read here, not {_source(node)}."


def _desk_scan(node: dict[str, Any], catalog: str) -> bool:
    data = node.get("function_data") or {}
    return (
        _path(node) == ["seq_scan"]
        and data.get("catalog") == catalog
        and data.get("schema") == "main"
        and data.get("table") in TABLES
    )


def _source(node: dict[str, Any]) -> str:
    data = node.get("function_data") or {}
    if _path(node) == ["seq_scan"]:
        return ".".join(str(data.get(k) or "?") for k in ("catalog", "schema", "table"))
    return f"{'.'.join(_path(node)) or 'an unknown source'}()"


def _path(node: dict[str, Any]) -> list[str]:
    qname = node.get("qname") or {}
    return [str(p) for p in qname.get("path") or []]
