"""The engine never uses `asyncio.wait_for`.

On Python 3.11 `wait_for` can swallow a cancellation that lands as the awaited call completes
(CPython gh-86296): the task keeps running and the engine cannot stop (seen: a user stream
read loop kept the engine thread alive past its stop timeout). `asyncio.timeout` does not.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def wait_for_calls(package: str) -> list[str]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if _is_asyncio_wait_for(node):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def _is_asyncio_wait_for(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "wait_for"
        and isinstance(node.value, ast.Name)
        and node.value.id == "asyncio"
    )


def test_the_engine_uses_asyncio_timeout_not_wait_for():
    assert wait_for_calls("engine") == []
