"""AppTest fixtures: the real engine singleton on a temporary data dir, stopped afterwards, and
logging in through the login form (the authenticator's cookie does nothing under AppTest, so
every AppTest starts logged out)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from app import acting, runtime
from app.runtime import get_users
from engine.access import passwords
from engine.access.roles import Role
from engine.access.users import USERS_FILE, UserStore
from engine.binance.urls import sim_endpoints
from engine.models import Environment
from simulator.server import SimulatorThread
from tests.conftest import REPO_ROOT
from tests.integration.conftest import sim_config

ENTRY = str(REPO_ROOT / "desk_ui.py")
PASSWORD = "correct horse battery"
USERS = {Role.ADMIN: "ada", Role.TRADER: "tom", Role.VIEWER: "val"}
PASSPHRASE = "the desk's master passphrase"


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
    at.run()
    if logged_in(at):
        at.run()  # past "opening the desk…": a browser reruns once the cookie is set
    return at


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


@pytest.fixture
def vault_env(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The app with a master passphrase, so keys can be stored."""
    monkeypatch.setenv("TRADEDESK_MASTER_KEY", PASSPHRASE)
    return app_env


@pytest.fixture
def live_sim(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, vault_env: Path
) -> Iterator[SimulatorThread]:
    """A simulator standing in for Binance live: the desk's live endpoints point at it."""
    monkeypatch.setenv("TRADEDESK_MODE", "sim")  # restored after the test (a switch sets it)
    thread = SimulatorThread(sim_config(tmp_path / "live")).start()
    live = dataclasses.replace(sim_endpoints(thread.urls.base_url), environment=Environment.LIVE)
    monkeypatch.setattr(runtime, "exchange_endpoints", lambda env: live)
    yield thread
    thread.stop()


def principal(role: Role) -> acting.Principal:
    """The test user holding `role`, as app.acting sees them."""
    found = acting.principal_of(get_users(), ensure_user(role))
    assert found is not None
    return found


def store_key(at: AppTest, env: str, key: str, secret: str, password: str = PASSWORD) -> None:
    """Fill and submit Settings' form that seals a key in the vault."""
    at.selectbox(key="key_env").select(env)
    at.text_input(key="key_api_key").input(key)
    at.text_input(key="key_api_secret").input(secret)
    at.text_input(key="key_password").input(password)
    at.button(key="FormSubmitter:key_store-Store encrypted").click().run()
