"""Toasts for what happened since this browser session last looked: fills and refusals.

Event messages hold other users' words (a kill-switch reason) and exchange text, and reach every
session: they are shown as text (app.text), never as markdown.
"""

from __future__ import annotations

import streamlit as st

from app import event_queries, order_queries
from app.auth import keep_session
from app.components.header import show_notices
from app.formats import amount
from app.text import plain
from engine.clock import now_ms

TOAST_KINDS = (
    "order_refused", "order_rejected", "kill_switch.tripped", "kill_switch.reset",
    "kill_switch.leftover",
)  # fmt: skip
_SEEN = "_notify_seen_event_id"
_SEEN_FILL = "_notify_seen_fill_ms"


def toast_news() -> None:
    """Toast new fills and refusals; the first call of a session only marks where it starts.

    Notices to every session (an environment switch) show here too, so a page left open sees
    them without a click; and a session that has ended stops here (every live part calls this).
    """
    keep_session()
    show_notices()
    if _SEEN not in st.session_state:
        st.session_state[_SEEN] = event_queries.last_event_id()
        st.session_state[_SEEN_FILL] = now_ms()
        return
    for event in event_queries.events_since(st.session_state[_SEEN], TOAST_KINDS).itertuples():
        icon = ":material/block:" if event.level != "info" else ":material/info:"
        st.toast(plain(event.message), icon=icon)
        st.session_state[_SEEN] = int(event.id)
    since = st.session_state[_SEEN_FILL]
    fills = order_queries.fills_since(since)
    for fill in fills.itertuples():
        side, symbol, market = plain(fill.side), plain(fill.symbol), plain(fill.market)
        text = f"Filled ({market}): {side} {amount(fill.qty)} {symbol} at {amount(fill.price)}"
        st.toast(text, icon=":material/check_circle:")
    if not fills.empty:
        st.session_state[_SEEN_FILL] = int(fills["time_ms"].max()) + 1
