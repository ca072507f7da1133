"""Risk: the kill switch, the use of every limit, the configuration and its history."""

import pandas as pd
import streamlit as st

from app import auth, commands, queries, risk_view
from app.components.feedback import last_reply, show_reply
from app.components.risk_forms import password_field, risk_form, trading_form
from app.runtime import get_engine
from app.text import MAX_SHOWN, plain
from engine.access.roles import Role

st.title("Risk")
last_reply()


def kill_switch_panel() -> None:
    switch = risk_view.kill_switch()
    with st.container(border=True):
        if switch.on:
            when = pd.to_datetime(switch.tripped_at, unit="ms", utc=True)
            st.error(
                f"**Kill switch ON** since {when:%Y-%m-%d %H:%M:%S} UTC, by "
                f"{plain(switch.tripped_by)} ({plain(switch.rule)}): {plain(switch.reason)}. "
                "New orders are refused; reduce-only and closing orders still pass.",
                icon=":material/emergency_home:",
            )
            if auth.may(Role.ADMIN):
                reset_form()
            return
        st.success(
            "Kill switch off: trading allowed within the limits below.",
            icon=":material/verified_user:",
        )
        if not auth.may(Role.TRADER):
            st.caption("Pulling the kill switch takes the trader role.")
            return
        reason_col, button_col = st.columns([4, 1], vertical_alignment="bottom")
        reason = reason_col.text_input(
            "Reason", placeholder="why you stop trading", key="ks_reason", max_chars=MAX_SHOWN
        )
        if button_col.button(
            "Pull the kill switch", type="primary", key="ks_trip", width="stretch"
        ):
            show_reply(commands.trip_kill_switch(reason.strip() or "pulled by hand"))
            st.rerun()
        action = risk_view.risk_config().kill_switch_action
        st.caption(f"When it trips (by hand or at a loss limit) the engine also runs: {action}.")


def reset_form() -> None:
    """Only an admin resets the switch, and gives the password again to do it."""
    with st.form("ks_reset_form", clear_on_submit=True):
        password = password_field("ks_reset_password")
        reset = st.form_submit_button("Reset the kill switch")
    if reset:
        show_reply(commands.reset_kill_switch(password), success_toast=True)
        st.rerun()


@st.fragment(run_every=get_engine().settings.status_refresh_s)
def limit_use() -> None:
    auth.keep_session()
    usage = risk_view.usage_table()
    if usage.empty:
        st.caption("No limit is set: every order within the exchange's rules passes.")
        return
    usage["use"] = usage["pct"].clip(0, 100)
    st.dataframe(
        usage[["name", "used", "limit", "unit", "use", "pct"]],
        hide_index=True,
        width="stretch",
        column_config={
            "use": st.column_config.ProgressColumn(
                "Use", min_value=0, max_value=100, format="%.0f%%"
            ),
            "pct": st.column_config.NumberColumn("% of limit", format="%.1f"),
            "used": st.column_config.NumberColumn(format="%.2f"),
            "limit": st.column_config.NumberColumn(format="%.2f"),
        },
    )
    hot = usage[usage["pct"] >= 80]
    for row in hot.itertuples():
        st.warning(f"{row.name}: {row.pct:.0f}% of the limit in use.")


kill_switch_panel()
st.subheader("Current use of each limit")
limit_use()

st.subheader("Configuration")
if auth.may(Role.ADMIN):
    trading_tab, risk_tab = st.tabs(["Trading", "Risk limits"])
    with trading_tab:
        trading_form(risk_view.trading_config())
    with risk_tab:
        risk_form(risk_view.risk_config())
else:
    st.caption("Changing the configuration takes the admin role. In force now:")
    st.json(
        {
            "trading": risk_view.trading_config().model_dump(mode="json"),
            "risk": risk_view.risk_config().model_dump(mode="json"),
        },
        expanded=False,
    )

st.subheader("History of changes")
history = queries.config_changes(("trading", "risk", "kill_switch", "pairs:spot", "pairs:futures"))
if history.empty:
    st.caption("No change stored yet.")
else:
    st.dataframe(history, hide_index=True, width="stretch", height=300)
