"""Risk: the kill switch, the use of every limit, the configuration and its history."""

import streamlit as st

from app import account_queries, auth, commands, risk_view
from app.components.feedback import last_reply, show_reply
from app.components.risk_forms import password_field, risk_form, trading_form
from app.formats import browser_timezone, zone_label
from app.runtime import get_engine
from app.text import MAX_SHOWN, plain
from engine.access.roles import Role

st.title("Risk")
last_reply()
zone = browser_timezone()


def kill_switch_panel() -> None:
    switch = risk_view.kill_switch()
    with st.container(border=True):
        if switch.on:
            st.markdown(
                "**The kill switch is on** (the banner above says since when, why, and what "
                "the exchange still holds). Only an admin can reset it. Today's loss counts "
                "from 00:00 UTC whatever the switch does, so a reset is refused while it is "
                "still beyond the daily-loss limit."
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
        st.caption(
            f"When it trips (by hand or at a loss limit), with the action "
            f"“{risk_view.ACTION_LABELS[action]}”: {risk_view.ACTION_WORDS[action]}"
            f"{risk_view.ALWAYS} Afterwards the engine asks the exchange what is left and "
            "names it on every page until nothing is."
        )


def day_start_note() -> None:
    """Say when the desk's day began when it was not running at 00:00 UTC."""
    figures = account_queries.portfolio_figures()
    start = figures.day_start_time if figures is not None else None
    if start is not None and (start.hour, start.minute) != (0, 0):
        st.caption(
            f"The desk was not running at 00:00 UTC today: its day started at {start:%H:%M} "
            "UTC, so today's loss counts from the equity it had then."
        )


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
    day_start_note()
    if usage.empty:
        st.caption("No limit is set: every order within the exchange's rules passes.")
        return
    usage["use"] = usage["pct"].clip(0, 100)
    st.dataframe(
        usage[["name", "used", "limit", "unit", "use", "pct"]],
        hide_index=True,
        width="stretch",
        column_config={
            "name": st.column_config.TextColumn("Limit"),
            "used": st.column_config.NumberColumn("Used", format="%.2f"),
            "limit": st.column_config.NumberColumn("Limit at", format="%.2f"),
            "unit": st.column_config.TextColumn("Unit"),
            "use": st.column_config.ProgressColumn(
                "Use", min_value=0, max_value=100, format="%.0f%%"
            ),
            "pct": st.column_config.NumberColumn("% of limit", format="%.1f"),
        },
    )
    hot = usage[usage["pct"] >= 80]
    for row in hot.itertuples():
        st.warning(f"{plain(row.name)}: {row.pct:.0f}% of the limit in use.")


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
history = risk_view.history_table(zone)
if history.empty:
    st.caption("No change stored yet.")
else:
    st.caption(f"Times in your timezone, {zone_label(zone)}; kill-switch times in UTC.")
    st.dataframe(history, hide_index=True, width="stretch", height=300)
