"""The simulator's secrets on disk: private from the first byte, kept across starts, never in a
repr."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.core.auth import ApiKey
from simulator.core.keyfile import load_or_create, private_dir, write_private
from simulator.core.store import StateStore


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The most permissive umask: whatever is private is so by its own mode, not the umask."""
    before = os.umask(0)
    try:
        yield
    finally:
        os.umask(before)


def test_keys_file_and_its_directories_are_private_from_the_start(tmp_path, open_umask):
    path = tmp_path / "data" / "sim" / "keys.json"
    secrets = load_or_create(path)
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700 and mode(path.parent.parent) == 0o700  # both created
    saved = json.loads(path.read_text())
    assert saved == {
        "api_key": secrets.api_key.key,
        "api_secret": secrets.api_key.secret,
        "control_token": secrets.control_token,
    }
    assert [p.name for p in path.parent.iterdir()] == ["keys.json"]  # no temporary file left


def test_existing_directory_and_keys_file_are_narrowed(tmp_path):
    data_dir = tmp_path / "sim"
    data_dir.mkdir(mode=0o755)
    os.chmod(data_dir, 0o755)
    first = load_or_create(data_dir / "keys.json")
    os.chmod(data_dir / "keys.json", 0o644)
    private_dir(data_dir)
    again = load_or_create(data_dir / "keys.json")
    assert mode(data_dir) == 0o700 and mode(data_dir / "keys.json") == 0o600
    assert again == first  # the same key and token across starts


def test_an_old_keys_file_gets_a_token_and_given_keys_replace_the_saved(tmp_path):
    path = tmp_path / "keys.json"
    write_private(path, json.dumps({"api_key": "a" * 64, "api_secret": "b" * 64}))
    old = load_or_create(path)
    assert old.api_key == ApiKey("a" * 64, "b" * 64) and len(old.control_token) == 64
    given = load_or_create(path, ApiKey("c" * 64, "d" * 64))
    assert given.api_key.key == "c" * 64 and given.control_token == old.control_token
    assert json.loads(path.read_text())["api_secret"] == "d" * 64


def test_state_file_is_private(tmp_path, open_umask):
    store = StateStore(tmp_path / "sim")
    store.register("spot", lambda: {"x": 1}, lambda state: None)
    store.flush()
    assert mode(tmp_path / "sim" / "state.json") == 0o600 and mode(tmp_path / "sim") == 0o700


def test_reprs_hide_the_secret_and_the_token(tmp_path):
    secrets = load_or_create(tmp_path / "keys.json", ApiKey("K" * 64, "S" * 64))
    assert "S" * 64 not in repr(ApiKey("K" * 64, "S" * 64))
    assert "K" * 64 in repr(ApiKey("K" * 64, "S" * 64))
    assert "S" * 64 not in repr(secrets) and secrets.control_token not in repr(secrets)
