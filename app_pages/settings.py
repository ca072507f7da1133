"""Settings: the exchange environment, where the API keys come from, a connection test and,
in sim mode, the simulator's balances and reset."""

from decimal import Decimal, InvalidOperation

import streamlit as st

from app import commands, environment, sim_controls
from app.components.feedback import last_reply, show_reply
from app.components.status import key_permissions
from app.text import plain
from engine.models import Environment

st.title("Settings")
last_reply()
mode = environment.current_mode()

st.subheader("Environment")
st.caption(
    "sim: the built-in Binance-compatible simulator, paper money, no account needed. "
    "testnet: Binance's test exchanges with your testnet keys. live: Binance with real money."
)
left, right = st.columns([2, 3])
choice = Environment(
    left.radio(
        "Exchange",
        [e.value for e in Environment],
        index=list(Environment).index(mode),
        horizontal=True,
        key="env_choice",
    )
)
confirmation = ""
if choice is Environment.LIVE and mode is not Environment.LIVE:
    right.warning("Live trading sends real orders with real money.", icon=":material/warning:")
    confirmation = right.text_input(
        f'Type "{environment.LIVE_CONFIRMATION}" to confirm', key="env_live_confirm", max_chars=40
    )
if left.button(f"Switch to {choice}", disabled=choice is mode, key="env_switch"):
    with st.spinner(f"Stopping the {mode} engine and starting {choice}…"):
        problem = environment.switch(choice, confirmation)
    if problem:
        st.error(plain(problem), icon=":material/block:")
    else:
        st.session_state.clear()
        st.rerun()
st.caption(f"Running now: **{mode}**. The switch restarts the engine for every open session.")

st.subheader("API keys")
source, masked = environment.key_source(mode)
st.markdown(f"**{mode}** keys: {plain(source)}" + (f", key {plain(masked)}" if masked else ""))
st.info(
    "Entering and storing keys on this page comes with the encrypted vault (a later issue); "
    "the secret is never shown. Today, set them before starting the server, either as "
    "environment variables `TRADEDESK_TESTNET_API_KEY` / `TRADEDESK_TESTNET_API_SECRET` "
    "(or `TRADEDESK_LIVE_...`), or in `.streamlit/secrets.toml`:\n\n"
    '```toml\n[tradedesk.keys.testnet]\napi_key = "..."\napi_secret = "..."\n```',
    icon=":material/key:",
)
if st.button("Test the connection", key="conn_test"):
    reply = commands.test_connection()
    st.session_state["conn_result"] = reply
result = st.session_state.get("conn_result")
if result is not None:
    (st.success if result.ok else st.error)(plain(result.message))
    data = result.data
    cols = st.columns(3)
    cols[0].metric("Environment", plain(data.get("environment", "?")))
    cols[1].metric("Key", plain(data.get("key") or "none"))
    cols[2].metric("Clock offset", f"{data.get('time_offset_ms', 0)} ms")
    permissions = data.get("permissions")
    if permissions:
        st.markdown("**What this key may do** (as the exchange reports it)")
        st.dataframe(key_permissions(permissions), hide_index=True, width=480)
        if permissions.get("withdraw"):
            st.warning(
                "This key can withdraw funds. A trading desk never needs that: on Binance, "
                "create a key without the withdrawal permission and use it here instead.",
                icon=":material/warning:",
            )

if sim_controls.available():
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
    if not st.session_state.get("sim_confirm_reset"):
        if st.button("Reset the simulator…", key="sim_reset"):
            st.session_state["sim_confirm_reset"] = True
            st.rerun()
    else:
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
