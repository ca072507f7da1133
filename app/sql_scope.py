"""Which tables a parsed query reads, with CTE names resolved by scope as DuckDB's binder does.

The tree is DuckDB's own `json_serialize_sql` output. A CTE covers the query that declares it
and that query's subqueries, never a sibling or an outer query. Inside its WITH list a CTE sees
the CTEs declared before it, and only a recursive CTE sees itself, in its recursive term. A name
that no CTE in scope covers is a table: DuckDB would look it up in the catalog and then try it as
a file (a replacement scan), so the guard must treat it as one too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TableRef:
    """One `FROM name` in the query, and whether a CTE in scope answers it."""

    name: str
    catalog: str
    schema: str
    is_cte: bool

    @property
    def qualified(self) -> str:
        return ".".join(p for p in (self.catalog, self.schema, self.name) if p)


def table_refs(tree: Any) -> Iterator[TableRef]:
    """Every base-table reference in `tree`, each resolved against the CTEs in its scope."""
    yield from _visit(tree, frozenset())


def cte_names(tree: Any) -> Iterator[str]:
    """The name of every CTE the query declares, at any depth."""
    if isinstance(tree, dict):
        yield from (name for name, _ in _ctes(tree))
        for value in tree.values():
            yield from cte_names(value)
    elif isinstance(tree, list):
        for item in tree:
            yield from cte_names(item)


def _visit(node: Any, scope: frozenset[str]) -> Iterator[TableRef]:
    if isinstance(node, list):
        for item in node:
            yield from _visit(item, scope)
        return
    if not isinstance(node, dict):
        return
    ctes = _ctes(node)
    for i, (_, body) in enumerate(ctes):  # a CTE's body sees the CTEs declared before it
        yield from _visit(body, scope | {name for name, _ in ctes[:i]})
    inner = scope | {name for name, _ in ctes}
    if node.get("type") == "BASE_TABLE":
        yield _ref(node, inner)
    recursive = _recursive_name(node)
    for key, value in node.items():
        if key == "cte_map":
            continue
        yield from _visit(value, inner | {recursive} if key == "right" and recursive else inner)


def _ctes(node: dict[str, Any]) -> list[tuple[str, Any]]:
    cte_map = node.get("cte_map")
    entries = cte_map.get("map", []) if isinstance(cte_map, dict) else []
    return [
        (entry["key"].lower(), entry.get("value"))
        for entry in entries
        if isinstance(entry, dict) and isinstance(entry.get("key"), str)
    ]


def _recursive_name(node: dict[str, Any]) -> str | None:
    """The CTE a recursive term may name: only the right side of WITH RECURSIVE's UNION."""
    name = node.get("cte_name")
    if node.get("type") == "RECURSIVE_CTE_NODE" and isinstance(name, str):
        return name.lower()
    return None


def _ref(node: dict[str, Any], scope: frozenset[str]) -> TableRef:
    name = str(node.get("table_name") or "")
    catalog = str(node.get("catalog_name") or "")
    schema = str(node.get("schema_name") or "")
    is_cte = not catalog and not schema and name.lower() in scope
    return TableRef(name, catalog, schema, is_cte)
