"""Settings in sim mode: the built-in simulator's balances and its reset."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import streamlit as st

from app import commands, sim_controls
from app.components.feedback import show_reply
from app.text import plain


def sim_panel() -> None:
    st.subheader("Simulator")
    try:
        balances = sim_controls.balances()
    except sim_controls.SimControlError as exc:
        st.error(plain(exc))
    else:
        st.dataframe(balances, hide_index=True, width=480)
    with st.form("sim_balance"):
        a, b = st.columns(2)
        asset = a.text_input("Asset", value="USDT", key="sim_asset", max_chars=20)
        amount = b.text_input("Free balance", value="10000", key="sim_amount", max_chars=40)
        set_it = st.form_submit_button("Set balance")
    if set_it:
        try:
            sim_controls.set_balance(asset.strip(), Decimal(amount.strip()))
            show_reply(commands.reconcile(), success_toast=True)
            st.rerun()
        except (InvalidOperation, sim_controls.SimControlError) as exc:
            st.error(f"Not set: {plain(exc)}")
    reset_control()


def reset_control() -> None:
    if not st.session_state.get("sim_confirm_reset"):
        if st.button("Reset the simulator…", key="sim_reset"):
            st.session_state["sim_confirm_reset"] = True
            st.rerun()
        return
    st.warning("Reset: balances back to the start, every open order gone. Sure?")
    yes, no, _ = st.columns([1, 1, 3])
    if yes.button("Yes, reset", type="primary", key="sim_reset_yes"):
        st.session_state["sim_confirm_reset"] = False
        sim_controls.reset()
        show_reply(commands.reconcile(), success_toast=True)
        st.rerun()
    if no.button("No", key="sim_reset_no"):
        st.session_state["sim_confirm_reset"] = False
        st.rerun()
