"""The login gate: nothing before logging in, the lockout, logout, expiry, the first admin."""

import stat

import pytest
from streamlit.testing.v1 import AppTest

from app import login
from app.runtime import get_engine
from engine.access.lockout import MAX_FAILURES
from engine.access.roles import Role
from engine.commands import USER_UNKNOWN
from tests.helpers import eventually
from tests.ui.conftest import (
    ENTRY,
    PASSWORD,
    ensure_user,
    log_in,
    logged_in,
    open_app,
    user_store,
)
from tests.ui.desk_fixtures import db

PAGES = ["app_pages/orders.py", "app_pages/pairs.py", "app_pages/portfolio.py",
         "app_pages/risk.py", "app_pages/status.py", "app_pages/settings.py",
         "app_pages/explore.py"]  # fmt: skip


def logins() -> list[tuple[str, str]]:
    rows = db("SELECT actor, data FROM events WHERE kind = 'audit.login' ORDER BY id")
    return [(actor, data) for actor, data in rows]


def fresh_session() -> AppTest:
    at = AppTest.from_file(ENTRY, default_timeout=30)
    return at.run()


def test_before_logging_in_there_is_only_the_login_page_and_no_data(app_env):
    ensure_user(Role.ADMIN)
    at = fresh_session()
    assert [t.value for t in at.title] == ["tradedesk"]
    assert not at.dataframe and not at.metric and not at.get("plotly_chart")
    for page in PAGES:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)
    assert len(at.text_input) == 2  # user name and password, nothing else


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(app_env):
    username = ensure_user(Role.ADMIN)
    at = fresh_session()
    for _ in range(MAX_FAILURES):
        log_in(at, username, "wrong password!")
        assert not logged_in(at)
        assert any("Wrong user name or password" in e.value for e in at.error)
    assert user_store().login_state(username).locked(user_store().now_ms())
    log_in(at, username, PASSWORD)  # the right one, while locked
    assert not logged_in(at)
    outcomes = eventually(lambda: len(logins()) == MAX_FAILURES + 1 and logins())
    assert [o for _, data in outcomes for o in ("failed", "locked") if f'"{o}"' in data] == [
        *["failed"] * (MAX_FAILURES - 1), "locked", "locked"]  # fmt: skip
    assert open_app(role=Role.TRADER)  # another account is not locked


def test_a_name_that_is_nobodys_is_recorded_as_unknown_not_as_typed(app_env):
    ensure_user(Role.ADMIN)
    at = fresh_session()
    log_in(at, "my-secret-password", "whatever it is")  # a password typed as the user name
    assert not logged_in(at)
    rows = eventually(logins)
    assert rows[0][0] == USER_UNKNOWN
    typed = "SELECT count(*) FROM events WHERE concat(message, data, actor) LIKE '%my-secret%'"
    assert not db(typed)[0][0]


def test_logout_ends_this_session_and_the_users_others(app_env):
    first = open_app("app_pages/status.py")
    second = open_app("app_pages/portfolio.py")
    first.button(key="logout_button").click().run()
    assert not logged_in(first)
    first.run()
    assert [t.value for t in first.title] == ["tradedesk"]
    second.run()
    assert [t.value for t in second.title] == ["tradedesk"]  # its session began before
    assert eventually(lambda: any('"logged_out"' in d for _, d in logins()))
    assert open_app("app_pages/status.py")  # a new login works


def test_a_session_ends_when_its_time_is_up(app_env, monkeypatch):
    monkeypatch.setenv("TRADEDESK_SESSION_HOURS", "0.0003")  # about a second
    at = open_app("app_pages/status.py")

    def logged_out_by_time() -> bool:
        at.run()
        return [t.value for t in at.title] == ["tradedesk"]

    eventually(logged_out_by_time, timeout=10, interval=0.2, what="the session to expire")
    assert eventually(lambda: any('"expired"' in d for _, d in logins()))


def test_the_first_admin_comes_from_the_environment_at_first_start(app_env, monkeypatch):
    monkeypatch.setenv("TRADEDESK_ADMIN_USER", "root")
    monkeypatch.setenv("TRADEDESK_ADMIN_PASSWORD", "first admin password")
    at = fresh_session()
    assert len(at.text_input) == 2  # the login form, not the setup form
    log_in(at, "root", "first admin password")
    assert logged_in(at)
    path = get_engine().settings.data_dir / "users.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "first admin password" not in path.read_text()
    assert eventually(lambda: db("SELECT actor FROM events WHERE kind = 'audit.users'"))[0] == (
        "root",)  # fmt: skip


def test_without_users_only_a_browser_on_this_machine_may_create_the_first_admin(
    app_env, monkeypatch
):
    at = fresh_session()
    assert not at.text_input  # AppTest has no client address: not local, no form
    assert any("no user yet" in w.value for w in at.warning)
    monkeypatch.setattr(login, "is_local_request", lambda: True)
    at = fresh_session()
    at.text_input(key="setup_user").input("owner")
    at.text_input(key="setup_pw").input("owner's long password")
    at.text_input(key="setup_pw2").input("owner's long password")
    at.button(key="FormSubmitter:setup-Create the admin").click().run()
    assert logged_in(at)
    assert user_store().role_of("owner") is Role.ADMIN
    later = fresh_session()  # one time only: now there is a user, so a login form
    assert not any(w for w in later.warning) and len(later.text_input) == 2
