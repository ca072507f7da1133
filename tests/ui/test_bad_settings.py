"""A bad setting gives a page that names it, not a traceback (walkthrough #31)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.ui.conftest import ENTRY
from tests.ui.desk_fixtures import shown


def test_a_bad_setting_is_named_on_a_clean_page(app_env, monkeypatch):
    monkeypatch.setenv("TRADEDESK_MODE", "paper")
    monkeypatch.setenv("TRADEDESK_FLUSH_INTERVAL_MS", "abc")
    at = AppTest.from_file(ENTRY, default_timeout=30).run()  # before any login form
    assert not at.exception
    (error,) = [shown(e.value) for e in at.error]
    assert "TRADEDESK_MODE" in error and "'sim', 'testnet' or 'live'" in error and "paper" in error
    assert "TRADEDESK_FLUSH_INTERVAL_MS" in error
    assert [t.value for t in at.title] == ["tradedesk cannot start"]
    assert "Traceback" not in error
