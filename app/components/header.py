"""What every page shows first: the environment, unmistakably, who is logged in, and notices.

The badge is the environment the engine runs in now: SIM (paper money), TESTNET (test money) or
LIVE (real money, also a red banner). A notice (an environment switch, posted for every open
session by app/environment.py) shows once in each session.
"""

from __future__ import annotations

import streamlit as st

from app.acting import Principal
from app.login import logout_button
from app.runtime import get_engine, last_notice_number, notices_after
from app.text import plain
from engine.models import Environment

BADGES = {
    Environment.SIM: ("blue", ":material/science:", "SIM", "paper money"),
    Environment.TESTNET: ("orange", ":material/experiment:", "TESTNET", "test money"),
    Environment.LIVE: ("red", ":material/warning:", "LIVE", "REAL MONEY"),
}
_SEEN = "_header_seen_notice"


def environment_badge(environment: Environment) -> str:
    colour, icon, label, money = BADGES[environment]
    return f":{colour}-badge[{icon} {label} · {money}]"


def header(principal: Principal) -> None:
    environment = Environment(get_engine().settings.mode)
    st.markdown(environment_badge(environment))
    if environment is Environment.LIVE:
        st.error("LIVE: orders go to Binance and use real money.", icon=":material/warning:")
    st.sidebar.markdown(environment_badge(environment))
    st.sidebar.caption(f"{plain(principal.name)} ({plain(principal.username)}), {principal.role}")
    logout_button()
    show_notices()


def show_notices() -> None:
    """Each notice posted since this session last looked, once (the first look marks the start)."""
    if _SEEN not in st.session_state:
        st.session_state[_SEEN] = last_notice_number()
        return
    for notice in notices_after(st.session_state[_SEEN]):
        st.toast(plain(notice.text), icon=":material/sync:")
        st.warning(plain(notice.text), icon=":material/sync:")
        st.session_state[_SEEN] = notice.number
