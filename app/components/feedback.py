"""One way to show the engine's answer: success briefly, a refusal with who refused and why.

The engine's messages already say who refused (the desk, before anything was sent; Binance,
with its code) and what to do; here they get a headline that matches: refused, not done yet,
or not confirmed. The reason can hold an exchange's error text or a user's words: it is shown as
text (app.text). Internal codes stay out of sight.
"""

from __future__ import annotations

import streamlit as st

from app.text import plain
from engine.commands import Reply

_LAST = "_feedback_last_reply"
# Codes of answers where something was done, but not all of it, or not confirmed yet.
NOT_DONE = {
    "desk.still_open": "Not everything is cancelled",
    "desk.unverified": "Not confirmed at the exchange",
    "desk.position_left": "The position is not fully closed",
    "unknown": "Not confirmed yet",
}


def headline(reply: Reply) -> str:
    """The first words of a failed answer: what kind of failure it is."""
    code = reply.code or ""
    if code in NOT_DONE:
        return NOT_DONE[code]
    if code == "delivery":
        return "The engine did not take it"
    return "Refused"


def show_reply(reply: Reply, *, success_toast: bool = False) -> None:
    """Show `reply` now and keep it for the next run (pages often rerun right after acting)."""
    st.session_state[_LAST] = reply
    if success_toast and reply.ok:
        st.toast(plain(reply.message) or "Done.", icon=":material/check_circle:")
    elif not reply.ok:
        st.toast(f"{headline(reply)}: {plain(reply.message)}", icon=":material/block:")


def last_reply() -> None:
    """Render the reply kept by `show_reply` once, after a rerun."""
    reply: Reply | None = st.session_state.pop(_LAST, None)
    if reply is None:
        return
    if reply.ok:
        st.success(plain(reply.message) or "Done.", icon=":material/check_circle:")
    elif (reply.code or "") in NOT_DONE:
        st.warning(f"{headline(reply)}: {plain(reply.message)}", icon=":material/warning:")
    else:
        st.error(f"{headline(reply)}: {plain(reply.message)}", icon=":material/block:")
