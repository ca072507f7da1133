"""Favourite pairs, kept in DATA_DIR/favourites.json until the engine stores them as a config.

A stop-gap (notes-internal/pages-needs.md asks for a command); written atomically.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from app.runtime import get_engine
from engine.models import MarketType


def _path() -> Path:
    return get_engine().settings.data_dir / "favourites.json"


def load() -> dict[str, list[str]]:
    """Favourite symbols per market ('spot', 'futures')."""
    try:
        data = json.loads(_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): [str(s) for s in v] for k, v in data.items() if isinstance(v, list)}


def favourites(market: MarketType) -> list[str]:
    return load().get(str(market), [])


def set_favourite(market: MarketType, symbol: str, on: bool) -> list[str]:
    """Add or remove one favourite; return the market's favourites after the change."""
    data = load()
    current = [s for s in data.get(str(market), []) if s != symbol]
    if on:
        current.append(symbol)
    data[str(market)] = sorted(current)
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(tmp, path)
    return data[str(market)]
