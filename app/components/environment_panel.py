"""Settings: the exchange environment and the switch (admin, the password, for live the gate)."""

from __future__ import annotations

import streamlit as st

from app import environment
from app.acting import Principal
from app.client import client_address
from app.components.header import environment_badge
from app.text import plain
from engine.models import Environment


def environment_panel(admin: Principal) -> None:
    mode = environment.current_mode()
    st.subheader("Environment")
    st.markdown(f"Running now: {environment_badge(mode)}")
    st.caption(
        "sim: the built-in Binance-compatible simulator, paper money, no account needed. "
        "testnet: Binance's test exchanges with your testnet keys. live: Binance with real money, "
        "only with a stored live key that passed its connection test (below)."
    )
    choice = Environment(
        st.radio(
            "Exchange",
            [e.value for e in Environment],
            index=list(Environment).index(mode),
            horizontal=True,
            key="env_choice",
        )
    )
    if choice is mode:
        return
    if choice is Environment.LIVE:
        st.warning("Live trading sends real orders with real money.", icon=":material/warning:")
    with st.form("env_form", clear_on_submit=True):
        confirmation = ""
        if choice is Environment.LIVE:
            confirmation = st.text_input(
                f'Type "{environment.LIVE_CONFIRMATION}" to confirm',
                key="env_live_confirm",
                max_chars=40,
            )
        password = st.text_input("Your password", type="password", key="env_password")
        go = st.form_submit_button(f"Switch to {choice}", type="primary")
    st.caption("The switch restarts the engine once, for every open session; each is told.")
    if not go:
        return
    with st.spinner(f"Stopping the {mode} engine and starting {choice}…"):
        problem = environment.switch(
            admin, choice, password, confirmation, address=client_address().remote
        )
    if problem:
        st.error(plain(problem), icon=":material/block:")
        return
    st.session_state.pop("conn_result", None)
    st.rerun()
