"""Settings: API tokens for automated clients. Make one (shown once), see them all, revoke."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import tokens_admin
from app.acting import Principal
from app.components.feedback import show_reply
from app.formats import utc_time
from app.runtime import get_tokens, get_users
from engine.access.roles import Role

_SHOW_ONCE = "_token_shown_once"


def tokens_table() -> pd.DataFrame:
    tokens = get_tokens()
    now = tokens.now_ms()
    rows = [{
        "id": t.id, "user": t.username, "role": str(t.role), "label": t.label,
        "made": utc_time(t.created_ms), "by": t.created_by, "expires": utc_time(t.expires_ms),
        "state": "revoked" if t.revoked_ms else ("expired" if now >= t.expires_ms else "active"),
    } for t in tokens.tokens()]  # fmt: skip
    return pd.DataFrame(rows)


def tokens_panel(admin: Principal) -> None:
    st.subheader("API tokens")
    st.caption(
        "An automated client calls the API at /api/v1 with 'Authorization: Bearer <token>'. "
        "A token acts as its user with its own role, never more than the user's; it is kept "
        "only as a hash and shown once, when it is made."
    )
    shown = st.session_state.pop(_SHOW_ONCE, None)
    if shown:
        st.warning("Copy this token now: it is not shown again.")
        st.code(shown, language=None)
    table = tokens_table()
    if table.empty:
        st.caption("No tokens yet.")
    else:
        st.dataframe(table, hide_index=True, width="stretch")
    make, revoke = st.tabs(["Make a token", "Revoke a token"])
    with make:
        make_form(admin)
    with revoke:
        revoke_form(admin, list(table["id"]) if not table.empty else [])


def make_form(admin: Principal) -> None:
    with st.form("token_make", clear_on_submit=True):
        users = [u.username for u in get_users().users() if not u.disabled]
        username = st.selectbox("User", users)
        role = st.selectbox("Role", [r.value for r in Role], index=1)
        label = st.text_input("Label (what uses it)", max_chars=60)
        days = st.number_input("Lasts (days)", min_value=1, max_value=366, value=90)
        password = st.text_input("Your password, to confirm", type="password", max_chars=72)
        made = st.form_submit_button("Make the token")
    if made and username:
        reply, text = tokens_admin.create_token(admin, password, username, Role(role), label,
                                                int(days))  # fmt: skip
        if text is not None:
            st.session_state[_SHOW_ONCE] = text
        show_reply(reply)
        if reply.ok:
            st.rerun()


def revoke_form(admin: Principal, ids: list[str]) -> None:
    with st.form("token_revoke", clear_on_submit=True):
        token_id = st.selectbox("Token", ids)
        password = st.text_input("Your password, to confirm", type="password", max_chars=72)
        revoke = st.form_submit_button("Revoke")
    if revoke and token_id:
        show_reply(tokens_admin.revoke_token(admin, password, token_id))
