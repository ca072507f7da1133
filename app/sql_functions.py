"""Which scalar functions Explore refuses, and why, over DuckDB's parse tree.

Three kinds are refused by name: functions with effects (sequences, the random seed, the log,
sleeping), functions that read the session's settings or the query text, and functions that
read DuckDB's own catalog or run SQL held in a string. A fourth kind builds a value as large as
an argument says, outside DuckDB's memory limit (generate_series(1, 300000000) alone took the
process to 14 GB): those run only with small integer literals for their sizes.
tests/unit/test_sql_guard_corpus.py checks this list against DuckDB's own function catalogue.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

MAX_BUILT = 10_000  # elements or characters one builder call may make (per row)

_EFFECTS = "nextval setval currval setseed write_log sleep_ms pg_sleep"
_SESSION = (
    "current_setting getvariable current_query current_query_id current_connection_id "
    "current_transaction_id txid_current in_search_path current_schemas"
)
_CATALOG = (
    "get_block_size pg_get_viewdef pg_get_constraintdef format_type json_serialize_plan "
    "json_serialize_sql json_deserialize_sql json_execute_serialized_sql"
)
DENIED: dict[str, str] = {
    **dict.fromkeys(_EFFECTS.split(), "changes or waits on the database"),
    **dict.fromkeys(_SESSION.split(), "reads the session's settings"),
    **dict.fromkeys(_CATALOG.split(), "reads DuckDB's catalog or runs SQL from a string"),
}

# builder -> the positions of its size arguments (0-based)
BUILDERS: dict[str, tuple[int, ...]] = {
    "generate_series": (0, 1, 2),
    "range": (0, 1, 2),
    "repeat": (1,),
    "lpad": (1,),
    "rpad": (1,),
    "list_resize": (1,),
    "array_resize": (1,),
    "bitstring": (1,),
}
FORMATTERS = ("printf", "format")


def function_problems(tree: Any) -> Iterator[str]:
    """Why each refused function call in `tree` is refused (nothing for an acceptable query)."""
    yield from _calls(tree, in_lambda=False)


def _calls(node: Any, in_lambda: bool) -> Iterator[str]:
    if isinstance(node, list):
        for item in node:
            yield from _calls(item, in_lambda)
        return
    if not isinstance(node, dict):
        return
    name = node.get("function_name")
    if isinstance(name, str) and node.get("class") in ("FUNCTION", "WINDOW", "AGGREGATE"):
        problem = _problem(name.lower(), _arguments(node), in_lambda)
        if problem:
            yield problem
    lambda_here = node.get("class") == "LAMBDA"
    for value in node.values():
        yield from _calls(value, in_lambda or lambda_here)


def _problem(name: str, args: list[Any], in_lambda: bool) -> str | None:
    if name in DENIED:
        return f"{name}() is not allowed here: it {DENIED[name]}."
    if name not in BUILDERS and name not in FORMATTERS:
        return None
    if in_lambda:
        return f"{name}() is not allowed inside a lambda: it would build a value per element."
    bounded = _format_bounded(args) if name in FORMATTERS else _builder_bounded(name, args)
    if bounded:
        return None
    return (
        f"{name}() builds its whole value outside DuckDB's memory limit, so here it takes only "
        f"integer literals for its sizes, up to {MAX_BUILT:,}."
    )


def _builder_bounded(name: str, args: list[Any]) -> bool:
    sizes = [_integer(args[i]) for i in BUILDERS[name] if i < len(args)]
    if any(size is None for size in sizes):
        return False
    values = [s for s in sizes if s is not None]
    if name in ("generate_series", "range"):
        return _series_length(values) <= MAX_BUILT
    if name == "repeat":
        text = _string(args[0]) if args else None
        return text is not None and len(text) * values[0] <= MAX_BUILT
    return all(abs(v) <= MAX_BUILT for v in values)


def _series_length(values: list[int]) -> int:
    if len(values) == 1:
        return abs(values[0]) + 1
    step = abs(values[2]) if len(values) == 3 else 1
    return abs(values[1] - values[0]) // max(step, 1) + 1


def _format_bounded(args: list[Any]) -> bool:
    """A literal format whose widths and precisions are small and never taken from an argument."""
    text = _string(args[0]) if args else None
    if text is None or "*" in text or re.search(r"\{[^{}]*\{", text.replace("{{", "")):
        return False
    return all(int(digits) <= MAX_BUILT for digits in re.findall(r"\d+", text))


def _arguments(node: dict[str, Any]) -> list[Any]:
    """The call's arguments in order (DuckDB 2.0 wraps each one: {"expression": ...})."""
    args = node.get("arguments")
    return [a.get("expression") for a in args if isinstance(a, dict)] if args else []


def _literal(node: Any) -> dict[str, Any] | None:
    if isinstance(node, dict) and node.get("class") == "CONSTANT":
        literal = node.get("literal")
        return literal if isinstance(literal, dict) else None
    return None


def _integer(node: Any) -> int | None:
    literal = _literal(node)
    if literal is None or literal.get("kind") != "INTEGER":
        return None
    try:
        return int(str(literal.get("text")))
    except ValueError:
        return None


def _string(node: Any) -> str | None:
    literal = _literal(node)
    if literal is None or literal.get("kind") != "STRING":
        return None
    text = literal.get("text")
    return text if isinstance(text, str) else None
