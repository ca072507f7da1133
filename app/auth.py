"""Who is logged in to this browser session, and for how long.

streamlit-authenticator does the login (app/login.py) and leaves the user name in the session;
here every run reads that user again from the user store: a disabled account, a session begun
before the user's last logout or password change, or a session past its lifetime
(`TRADEDESK_SESSION_HOURS`, 12 by default, the cookie's too) ends the session at once. The role
always comes from the store, never from the session, so a role change counts from the next run.
"""

from __future__ import annotations

import streamlit as st

from app import acting
from app.client import client_address
from app.runtime import get_engine, get_users
from engine.access.roles import Role
from engine.clock import now_ms
from engine.commands import RecordLogin

LIBRARY_KEYS = ("authentication_status", "username", "name", "roles", "email")
_BEGAN = "_auth_began_ms"
_EXPIRES = "_auth_expires_ms"


def session_ms() -> int:
    return int(get_engine().settings.session_hours * 3_600_000)


def principal() -> acting.Principal | None:
    """The user logged in to this session, as the user store has them now (None: nobody)."""
    if st.session_state.get("authentication_status") is not True:
        return None
    username = str(st.session_state.get("username") or "")
    users = get_users()
    found = acting.principal_of(users, username)
    began = int(st.session_state.get(_BEGAN, 0))
    if found is None or began < users.sessions_valid_from_ms(username):
        end_session()
        return None
    if now_ms() >= int(st.session_state.get(_EXPIRES, 0)):
        record(username, "expired")
        end_session()
        return None
    return found


def keep_session() -> None:
    """For a fragment, which reruns on its own without the entry script: once the session has
    ended (logout elsewhere, a disabled account, expiry), rerun the app onto the login page
    instead of drawing another refresh of the page's data."""
    if principal() is None:
        st.rerun()


def may(role: Role) -> bool:
    """True when this session's user holds `role` (pages use it to hide what they may not do)."""
    current = principal()
    return current is not None and current.role.includes(role)


def begin_session(username: str, began_ms: int, expires_ms: int) -> None:
    st.session_state["authentication_status"] = True
    st.session_state["username"] = username
    st.session_state[_BEGAN] = began_ms
    st.session_state[_EXPIRES] = expires_ms


def end_session() -> None:
    """Forget the login in this session (the cookie is not used again in it either)."""
    for key in LIBRARY_KEYS:
        st.session_state[key] = None
    st.session_state.pop(_BEGAN, None)
    st.session_state.pop(_EXPIRES, None)
    st.session_state["logout"] = True


def record(username: str, outcome: str, method: str | None = None) -> None:
    """An audit event for a login, a failed one, a lockout, a logout or an expiry."""
    address = client_address()
    acting.submit_quietly(get_engine(), RecordLogin(
        actor=username, outcome=outcome, method=method, address=address.remote,
        forwarded_for=address.forwarded_for,
    ))  # fmt: skip
