"""AppTest fixtures: the real engine singleton on a temporary data dir, stopped afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.conftest import REPO_ROOT

ENTRY = str(REPO_ROOT / "streamlit_app.py")


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Point the app at a fresh data dir and stop its engine when the test ends."""
    monkeypatch.setenv("TRADEDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(REPO_ROOT)
    st.cache_resource.clear()
    yield tmp_path / "data"
    st.cache_resource.clear()  # calls on_release, which stops the engine


def open_app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(ENTRY, default_timeout=30)
    at.run()
    if page is not None:
        at.switch_page(page).run()
    return at
