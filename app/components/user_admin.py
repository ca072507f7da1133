"""Settings: the desk's users. Add one, change a role, reset a password, disable or enable;
each change asks for the admin's password again."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import users_admin
from app.acting import Principal
from app.components.feedback import show_reply
from app.runtime import get_users
from engine.access.roles import Role

ROLES = [r.value for r in Role]
ACTIONS = ["change role", "reset password", "disable", "enable"]


def users_table() -> pd.DataFrame:
    users = get_users()
    now = users.now_ms()
    rows = []
    for user in users.users():
        state = users.login_state(user.username)
        locked = state.locked(now)
        rows.append({
            "user": user.username, "name": user.name, "role": str(user.role),
            "enabled": not user.disabled, "from": user.source,
            "failed logins": state.failures if not locked else f"{state.failures} (locked)",
        })  # fmt: skip
    return pd.DataFrame(rows)


def users_panel(admin: Principal) -> None:
    st.subheader("Users")
    st.dataframe(users_table(), hide_index=True, width="stretch")
    st.caption(
        "viewer: reads every page. trader: also places and cancels orders, closes positions, "
        "picks pairs, pulls the kill switch. admin: also risk limits, keys, the environment, "
        "users, and resets the kill switch. The desk always keeps one enabled admin."
    )
    add_tab, change_tab = st.tabs(["Add a user", "Change a user"])
    with add_tab:
        add_form(admin)
    with change_tab:
        change_form(admin)


def add_form(admin: Principal) -> None:
    with st.form("user_add", clear_on_submit=True):
        a, b, c = st.columns(3)
        username = a.text_input("User name", max_chars=32, key="user_add_name")
        name = b.text_input("Full name", max_chars=64, key="user_add_full")
        role = c.selectbox("Role", ROLES, key="user_add_role")
        new = a.text_input("Their password", type="password", max_chars=72, key="user_add_pw")
        password = b.text_input("Your password", type="password", key="user_add_admin_pw")
        add = st.form_submit_button("Add the user")
    if add:
        reply = users_admin.add_user(admin, password, username.strip(), name, Role(role), new)
        show_reply(reply, success_toast=True)
        st.rerun()


def change_form(admin: Principal) -> None:
    names = [u.username for u in get_users().users()]
    with st.form("user_change", clear_on_submit=True):
        a, b, c = st.columns(3)
        username = a.selectbox("User", names, key="user_change_name")
        action = b.selectbox("Change", ACTIONS, key="user_change_action")
        role = c.selectbox("New role", ROLES, key="user_change_role")
        new = a.text_input("New password", type="password", max_chars=72, key="user_change_pw")
        password = b.text_input("Your password", type="password", key="user_change_admin_pw")
        apply = st.form_submit_button("Apply")
    if apply and username:
        show_reply(_apply(admin, password, username, action, Role(role), new), success_toast=True)
        st.rerun()


def _apply(admin: Principal, password: str, username: str, action: str, role: Role, new: str):
    if action == "change role":
        return users_admin.set_role(admin, password, username, role)
    if action == "reset password":
        return users_admin.reset_password(admin, password, username, new)
    return users_admin.set_disabled(admin, password, username, action == "disable")
