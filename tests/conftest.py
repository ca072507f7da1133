"""Shared fixtures: a settings object on a temporary data dir, a running engine."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.engine import Engine
from engine.settings import Settings, load_settings

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data")


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    threads_before = set(threading.enumerate())
    eng = Engine(settings)
    eng.start()
    try:
        yield eng
    finally:
        eng.stop()
        leftover = {t for t in set(threading.enumerate()) - threads_before if t.is_alive()}
        assert not leftover, f"engine left threads behind: {leftover}"
