"""A replay's result into a desk database: the run row, its fills, equity curve and signals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.store.database import Store
from engine.store.strategy_rows import write_result


def store_result(db: Path, result: dict[str, Any], actor: str) -> None:
    """Open the desk database (it must not be open in a running desk) and store the run."""
    store = Store(db)
    try:
        store.write_sync(lambda con: write_result(con, result, actor))
    finally:
        store.close()
