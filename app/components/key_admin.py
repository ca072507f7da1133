"""Settings: API keys. Where each environment's comes from (masked), storing one encrypted,
removing it, and the connection test with what the exchange says the key may do."""

from __future__ import annotations

import streamlit as st

from app import commands, environment, keys_view
from app.components.feedback import show_reply
from app.runtime import get_runtime
from app.text import plain
from engine.commands import Reply
from engine.models import Environment
from engine.vault import HOW_TO_SET

VAULT_ENVIRONMENTS = [Environment.TESTNET.value, Environment.LIVE.value]
TYPED_SECRETS = ("key_api_key", "key_api_secret", "key_password")


def keys_panel() -> None:
    st.subheader("API keys")
    st.dataframe(keys_view.key_table(), hide_index=True, width="stretch")
    vault = get_runtime().access.vault
    if not vault.has_passphrase:
        st.warning(
            f"Keys cannot be stored here yet: there is no master passphrase. {HOW_TO_SET} Keys "
            "from environment variables or the secrets still work, and are never written.",
            icon=":material/key_off:",
        )
    store_form(disabled=not vault.has_passphrase)
    test_panel()
    delete_form()


def store_form(*, disabled: bool) -> None:
    attached = get_runtime().simulator is None and environment.current_mode() is Environment.SIM
    choices = VAULT_ENVIRONMENTS + (["sim"] if attached else [])  # a simulator of your own
    with st.form("key_store", clear_on_submit=True):
        st.markdown("**Store a key, encrypted** (for the exchange it belongs to only)")
        env = st.selectbox("Environment", choices, key="key_env")
        api_key = st.text_input("API key", type="password", key="key_api_key")
        api_secret = st.text_input("API secret", type="password", key="key_api_secret")
        password = st.text_input("Your password", type="password", key="key_password")
        store = st.form_submit_button("Store encrypted", disabled=disabled)
    if store:
        for key in TYPED_SECRETS:  # what was typed does not stay in the session
            st.session_state.pop(key, None)
        reply = commands.store_api_key(Environment(env), api_key, api_secret, password)
        show_reply(reply, success_toast=True)
        st.rerun()


def delete_form() -> None:
    with st.form("key_delete", clear_on_submit=True):
        st.markdown("**Remove a stored key**")
        env = st.selectbox("Environment", VAULT_ENVIRONMENTS, key="key_delete_env")
        password = st.text_input("Your password", type="password", key="key_delete_password")
        remove = st.form_submit_button("Remove the stored key")
    if remove:
        show_reply(commands.delete_api_key(Environment(env), password), success_toast=True)
        st.rerun()


def test_panel() -> None:
    mode = environment.current_mode()
    names = [e.value for e in Environment]
    left, right = st.columns([2, 1], vertical_alignment="bottom")
    env = Environment(
        left.selectbox("Test the keys of", names, index=names.index(mode), key="conn_env")
    )
    if right.button("Test the connection", key="conn_test", width="stretch"):
        st.session_state["conn_result"] = commands.test_keys(env)  # the key the desk holds now
    result: Reply | None = st.session_state.get("conn_result")
    if result is not None:
        connection_result(result)


def connection_result(result: Reply) -> None:
    (st.success if result.ok else st.error)(plain(result.message))
    data = result.data
    cols = st.columns(3)
    cols[0].metric("Environment", plain(data.get("environment", "?")))
    cols[1].metric("Key", plain(data.get("key") or "none"))
    cols[2].metric("Clock offset", f"{data.get('time_offset_ms', 0)} ms")
    permissions = data.get("permissions")
    if not permissions:
        return
    st.markdown("**What this key may do** (as the exchange reports it)")
    st.dataframe(keys_view.permission_rows(permissions), hide_index=True, width=480)
    for warning in keys_view.key_warnings(permissions):
        st.warning(plain(warning, 1000), icon=":material/warning:")
