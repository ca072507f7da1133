"""AppTest fixtures: the real engine singleton on a temporary data dir, stopped afterwards, and
logging in through the login form (the authenticator's cookie does nothing under AppTest, so
every AppTest starts logged out)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from engine.access import passwords
from engine.access.roles import Role
from engine.access.users import USERS_FILE, UserStore
from tests.conftest import REPO_ROOT

ENTRY = str(REPO_ROOT / "streamlit_app.py")
PASSWORD = "correct horse battery"
USERS = {Role.ADMIN: "ada", Role.TRADER: "tom", Role.VIEWER: "val"}


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Point the app at a fresh data dir and stop its engine when the test ends."""
    monkeypatch.setenv("TRADEDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("TRADEDESK_ADMIN_USER", raising=False)
    monkeypatch.delenv("TRADEDESK_ADMIN_PASSWORD", raising=False)
    monkeypatch.delenv("TRADEDESK_MASTER_KEY", raising=False)
    monkeypatch.setattr(passwords, "ROUNDS", 4)  # bcrypt's cost is not under test here
    monkeypatch.chdir(REPO_ROOT)
    st.cache_resource.clear()
    yield tmp_path / "data"
    st.cache_resource.clear()  # calls on_release, which stops the engine


def user_store() -> UserStore:
    return UserStore(Path(os.environ["TRADEDESK_DATA_DIR"]) / USERS_FILE)


def ensure_user(role: Role) -> str:
    """The test user holding `role` (ada is the admin, tom a trader, val a viewer)."""
    users = user_store()
    if users.is_empty():
        users.create_first_admin(USERS[Role.ADMIN], "Ada Admin", PASSWORD)
    username = USERS[role]
    if users.get(username) is None:
        users.add(username, username.title(), role, PASSWORD)
    return username


def log_in(at: AppTest, username: str, password: str = PASSWORD) -> AppTest:
    """Fill the login form and submit it, as a person does."""
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click()
    at.run()  # "opening the desk…": the browser would rerun once the cookie is set
    return at.run()


def logged_in(at: AppTest) -> bool:
    return at.session_state["authentication_status"] is True if "authentication_status" in (
        at.session_state) else False  # fmt: skip


def open_app(page: str | None = None, role: Role = Role.ADMIN) -> AppTest:
    """A new browser session, logged in as the test user holding `role`, on `page`."""
    username = ensure_user(role)
    at = AppTest.from_file(ENTRY, default_timeout=30)
    at.run()
    log_in(at, username)
    assert logged_in(at), [e.value for e in at.error]
    if page is not None:
        at.switch_page(page).run()
    return at
