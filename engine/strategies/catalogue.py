"""The strategies folder: each `*.py` file one strategy, described by a worker process.

Descriptions are cached per process by (path, size, mtime), so a changed file is read again and
an unchanged one is not described twice.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.clock import now_ms
from engine.strategies.process import describe_file

_cache: dict[tuple[str, int, int], dict[str, Any]] = {}


@dataclass(frozen=True)
class Entry:
    name: str
    file: Path
    description: dict[str, Any]

    @property
    def ok(self) -> bool:
        return bool(self.description.get("ok"))

    @property
    def error(self) -> str | None:
        return None if self.ok else str(self.description.get("error"))

    def row(self) -> dict[str, Any]:
        d = self.description
        return {
            "name": self.name, "file": str(self.file), "description": d.get("description"),
            "params_schema": d.get("params_schema"), "defaults": d.get("defaults"),
            "markets": d.get("markets"), "error": self.error, "updated_ms": now_ms(),
        }  # fmt: skip


def strategy_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.py") if not p.name.startswith("_"))


async def _describe(path: Path) -> dict[str, Any]:
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _cache:
        _cache[key] = await describe_file(path)
    return _cache[key]


async def scan(folder: Path) -> dict[str, Entry]:
    """Every strategy in `folder` by name (a file that fails to load is listed with its error)."""
    files = strategy_files(folder)
    descriptions = await asyncio.gather(*(_describe(p) for p in files))
    entries: dict[str, Entry] = {}
    for path, description in zip(files, descriptions, strict=True):
        name = str(description.get("name") or path.stem)
        entries.setdefault(name, Entry(name, path, description))
    return entries
