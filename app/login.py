"""The login page (streamlit-authenticator 0.4.2), the one-time setup form, and logout.

The authenticator is handed a dict built from the user store on every run (never a path: it
would rewrite the file), with `auto_hash=False` and the stored bcrypt hashes. Its cookie is a
JWT signed with a key of 32 random bytes kept in DATA_DIR/cookie.key (0600; `cookie_key` in the
secrets' `[tradedesk.auth]` table wins) and lasts as long as a session. Failed logins are
counted by the user store (engine/access/lockout.py), not by the library: a locked account is
handed to the library with a hash no password matches, so even its right password fails until
the lock has passed, and an attempt on it is not counted again. A disabled account is not handed
over at all. Every outcome is an audit event with the address Streamlit gives.
"""

from __future__ import annotations

import hashlib
import secrets
from functools import cache
from typing import Any

import streamlit as st
import streamlit_authenticator as stauth
from streamlit_authenticator.utilities import LoginError

from app import auth
from app.client import is_local_request
from app.runtime import app_secrets, get_engine, get_users
from engine import redact
from engine.access.lockout import LOCK_MS, MAX_FAILURES
from engine.access.passwords import hash_password
from engine.access.users import UserError, UserStore
from engine.clock import now_ms
from engine.commands import USER_UNKNOWN, RecordUserChange
from engine.private_files import read_private, write_private

COOKIE_FILE = "cookie.key"
MIN_COOKIE_KEY = 32
FIELDS = {"Form name": "Log in", "Username": "User name", "Password": "Password",
          "Login": "Log in"}  # fmt: skip
FAILED = (
    f"Wrong user name or password. After {MAX_FAILURES} failed attempts in a row an account is "
    f"locked for {LOCK_MS // 60_000} minutes."
)


@cache
def _unmatchable_hash() -> str:
    """A bcrypt hash of 32 random bytes nobody knows: what a locked account is checked against."""
    return hash_password(secrets.token_urlsafe(32))


def cookie_key() -> str:
    """The cookie's signing key: from the secrets, else DATA_DIR/cookie.key (made at first use)."""
    configured = (app_secrets().get("auth") or {}).get("cookie_key")
    if configured:
        key = str(configured)
        if len(key) < MIN_COOKIE_KEY:
            raise ValueError(f"[tradedesk.auth] cookie_key in the secrets needs at least "
                             f"{MIN_COOKIE_KEY} characters (python -c 'import secrets; "
                             "print(secrets.token_hex(32))').")  # fmt: skip
    else:
        path = get_engine().settings.data_dir / COOKIE_FILE
        stored = read_private(path)
        if stored is None:
            stored = secrets.token_hex(32).encode()
            write_private(path, stored)
        key = stored.decode().strip()
    redact.register(key)
    return key


def _accounts(users: UserStore) -> dict[str, dict[str, Any]]:
    """The library's credentials: enabled users; a locked one with an unmatchable hash."""
    now = users.now_ms()
    return {
        user.username: {
            "name": user.name, "email": None, "roles": [user.role.value],
            "failed_login_attempts": 0,
            "password": _unmatchable_hash() if users.login_state(user.username).locked(now)
            else user.password_hash,
        }
        for user in users.users() if not user.disabled
    }  # fmt: skip


def authenticator(accounts: dict[str, dict[str, Any]]) -> stauth.Authenticate:
    key = cookie_key()
    return stauth.Authenticate(
        {"usernames": accounts},
        cookie_name=f"tradedesk_{hashlib.sha256(key.encode()).hexdigest()[:8]}",
        cookie_key=key,
        cookie_expiry_days=auth.session_ms() / 86_400_000,
        auto_hash=False,
        login_sleep_time=0,
    )


def login_page() -> None:
    """The only page of a visitor who is not logged in."""
    st.title("tradedesk")
    users = get_users()
    if users.is_empty():
        setup_page(users)
        return
    accounts = _accounts(users)
    desk = authenticator(accounts)
    if st.session_state.get("authentication_status") is False:
        st.session_state["authentication_status"] = None  # so False below means: just failed
    try:
        desk.login(location="main", key="login", fields=FIELDS)
    except LoginError:  # a cookie of a user who may no longer log in
        auth.end_session()
        st.rerun()
    status = st.session_state.get("authentication_status")
    if status is True:
        _logged_in(users, desk)
    elif status is False:
        _failed(users, accounts)
        st.error(FAILED, icon=":material/block:")


def _logged_in(users: UserStore, desk: stauth.Authenticate) -> None:
    username = str(st.session_state["username"])
    token = getattr(desk.cookie_controller.cookie_model, "token", None)
    now = now_ms()
    if isinstance(token, dict) and "exp_date" in token:  # restored from the cookie
        expires = int(float(token["exp_date"]) * 1000)
        began = expires - auth.session_ms()
        if began < users.sessions_valid_from_ms(username):  # logged out since
            auth.end_session()
            st.rerun()
        auth.begin_session(username, began, expires)
        auth.record(username, "succeeded", "cookie")
        st.rerun()
    users.record_success(username)
    auth.begin_session(username, now, now + auth.session_ms())
    auth.record(username, "succeeded", "password")
    st.success(f"Logged in as {username}: opening the desk…", icon=":material/login:")
    continue_shortly()


_CONTINUE = "_login_continue_runs"


def continue_shortly() -> None:
    """Rerun the whole app a moment from now, not at once: the authenticator's cookie is set
    (or deleted) by a browser component on this run, which reruns the app itself when done;
    rerunning before it has run would lose the cookie. This is the fallback if it does not."""
    st.session_state[_CONTINUE] = 0
    _rerun_soon()


@st.fragment(run_every=1.0)
def _rerun_soon() -> None:
    runs = int(st.session_state.get(_CONTINUE, 0))
    st.session_state[_CONTINUE] = runs + 1
    if runs >= 1:
        st.rerun()


def _failed(users: UserStore, accounts: dict[str, dict[str, Any]]) -> None:
    """Count the failure against the account it was for (the library counted in `accounts`)."""
    tried = next((u for u, a in accounts.items() if a.get("failed_login_attempts", 0) > 0), None)
    if tried is None:
        auth.record(USER_UNKNOWN, "failed", "password")
        return
    if users.login_state(tried).locked(users.now_ms()):
        auth.record(tried, "locked", "password")
        return
    state = users.record_failure(tried)
    auth.record(tried, "locked" if state.locked(users.now_ms()) else "failed", "password")


def setup_page(users: UserStore) -> None:
    """The one-time form for the first admin: only for a browser on the desk's own machine."""
    st.subheader("Set up the desk: create the first admin")
    if not is_local_request():
        st.warning(
            "This desk has no user yet. Create the first admin from the machine the desk runs "
            "on (open http://127.0.0.1 and the desk's port there), or set "
            "TRADEDESK_ADMIN_USER and TRADEDESK_ADMIN_PASSWORD and restart the desk.",
            icon=":material/lock:",
        )
        return
    with st.form("setup", clear_on_submit=True):
        username = st.text_input("User name", max_chars=32, key="setup_user")
        password = st.text_input("Password", type="password", max_chars=72, key="setup_pw")
        again = st.text_input("Password again", type="password", max_chars=72, key="setup_pw2")
        create = st.form_submit_button("Create the admin", type="primary")
    if not create:
        return
    if not is_local_request():  # checked again on the request that creates it
        st.error("Only a browser on the desk's own machine may create the first admin.")
        return
    if password != again:
        st.error("The two passwords differ.")
        return
    try:
        created = users.create_first_admin(username.strip(), username.strip(), password)
    except UserError as exc:
        st.error(str(exc))
        return
    get_engine().submit(RecordUserChange(actor=created.username, change="created",
                                         username=created.username, role=created.role))  # fmt: skip
    auth.begin_session(created.username, now_ms(), now_ms() + auth.session_ms())
    auth.record(created.username, "succeeded", "setup")
    st.rerun()


def logout_button() -> None:
    """Log out (this session and the user's others: the cookie no longer counts)."""
    username = str(st.session_state.get("username") or "")
    desk = authenticator({})
    if st.sidebar.button("Log out", key="logout_button", icon=":material/logout:"):
        get_users().end_sessions(username)
        auth.record(username, "logged_out")
        desk.cookie_controller.delete_cookie()
        auth.end_session()
        st.info("Logged out.", icon=":material/logout:")
        continue_shortly()
        st.stop()
