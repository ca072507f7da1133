"""The project's structural rules, checked on every test run (design.md section 2).

- no import cycle among the project's modules (grimp builds the graph import-linter uses);
- python-binance and Binance's wire keys only inside the adapter, engine/binance/;
- the engine never uses `asyncio.wait_for`: on Python 3.11 it can swallow a cancellation that
  lands as the awaited call completes (CPython gh-86296), so a task could outlive `stop`;
- no non-test module over 400 lines.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import grimp

from tests.conftest import REPO_ROOT

PACKAGES = ("engine", "simulator", "app", "app_pages")
ADAPTER = REPO_ROOT / "engine" / "binance"
MAX_MODULE_LINES = 400
# Keys of Binance's JSON and params that only the adapter may spell.
WIRE_KEYS = frozenset({
    "clientOrderId", "origClientOrderId", "newClientOrderId", "orderId", "executedQty",
    "cummulativeQuoteQty", "stopPrice", "timeInForce", "reduceOnly", "closePosition",
    "listenKey", "positionAmt", "markPrice", "marginType", "clientAlgoId", "algoId",
    "quoteOrderQty", "recvWindow", "serverTime", "filterType", "rateLimits",
})  # fmt: skip


def _modules(package: str) -> Iterator[Path]:
    yield from sorted((REPO_ROOT / package).rglob("*.py"))


def _tree(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def _binance_imports(path: Path) -> Iterator[int]:
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            if any(a.name.split(".")[0] == "binance" for a in node.names):
                yield node.lineno
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "binance":
            yield node.lineno


def _outside_adapter() -> Iterator[Path]:
    for package in ("engine", "app", "app_pages"):
        for path in _modules(package):
            if ADAPTER not in path.parents:
                yield path


def test_no_import_cycles() -> None:
    """No module reaches itself: for every import a -> b, no chain leads from b back to a."""
    graph = grimp.build_graph(*PACKAGES, include_external_packages=False, cache_dir=None)
    cycles = sorted(
        f"{a} -> {b}"
        for a in graph.modules
        for b in graph.find_modules_directly_imported_by(a)
        if graph.find_shortest_chain(importer=b, imported=a) is not None
    )
    assert cycles == []


def test_python_binance_only_in_the_adapter() -> None:
    found = [
        f"{path.relative_to(REPO_ROOT)}:{line}"
        for path in _outside_adapter()
        for line in _binance_imports(path)
    ]
    assert found == []


def test_binance_wire_keys_only_in_the_adapter() -> None:
    found = [
        f"{path.relative_to(REPO_ROOT)}:{node.lineno} {node.value}"
        for path in _outside_adapter()
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.Constant) and node.value in WIRE_KEYS
    ]
    assert found == []


def test_the_engine_uses_asyncio_timeout_not_wait_for() -> None:
    found = [
        f"{path.relative_to(REPO_ROOT)}:{node.lineno}"
        for path in _modules("engine")
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.Attribute)
        and node.attr == "wait_for"
        and isinstance(node.value, ast.Name)
        and node.value.id == "asyncio"
    ]
    assert found == []


def test_no_module_over_400_lines() -> None:
    long = []
    for package in (*PACKAGES, "benchmarks"):
        for path in _modules(package):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_MODULE_LINES:
                long.append(f"{path.relative_to(REPO_ROOT)}: {lines}")
    assert long == []
