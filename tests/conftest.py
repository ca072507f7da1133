"""Shared fixtures: a settings object on a temporary data dir, a running engine; and a guard
that no test reaches a host other than this machine (a real Binance host above all)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.engine import Engine
from engine.settings import Settings, load_settings
from tests.helpers import ADMINS, running

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


LOCAL_HOSTS = frozenset({None, "", "localhost", "127.0.0.1", "::1", "0.0.0.0", "::"})
_resolve = socket.getaddrinfo


def _local_only(host, *args, **kwargs):  # type: ignore[no-untyped-def]
    name = host.decode() if isinstance(host, bytes) else host
    if name not in LOCAL_HOSTS:
        raise socket.gaierror(
            f"tests may not reach {name!r}: only this machine (tests/conftest.py)"
        )
    return _resolve(host, *args, **kwargs)


@pytest.fixture(autouse=True, scope="session")
def no_outside_hosts() -> Iterator[None]:
    """Every name lookup in the test process must be this machine's: a stray call to
    api.binance.com (or any other host) fails at once instead of leaving the machine."""
    socket.getaddrinfo = _local_only
    yield
    socket.getaddrinfo = _resolve


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data")


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    with running(Engine(settings, roles=ADMINS)) as eng:
        yield eng
