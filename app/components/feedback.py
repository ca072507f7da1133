"""One way to show the engine's answer: success briefly, a refusal with the engine's reason.

The reason can hold an exchange's error text or a user's words: it is shown as text (app.text).
"""

from __future__ import annotations

import streamlit as st

from app.text import plain
from engine.commands import Reply

_LAST = "_feedback_last_reply"


def show_reply(reply: Reply, *, success_toast: bool = False) -> None:
    """Show `reply` now and keep it for the next run (pages often rerun right after acting)."""
    st.session_state[_LAST] = reply
    if success_toast and reply.ok:
        st.toast(plain(reply.message) or "Done.", icon=":material/check_circle:")
    elif not reply.ok:
        st.toast(f"Refused: {plain(reply.message)}", icon=":material/block:")


def last_reply() -> None:
    """Render the reply kept by `show_reply` once, after a rerun."""
    reply: Reply | None = st.session_state.pop(_LAST, None)
    if reply is None:
        return
    if reply.ok:
        st.success(plain(reply.message) or "Done.", icon=":material/check_circle:")
    else:
        code = f" ({plain(reply.code)})" if reply.code else ""
        st.error(f"Refused{code}: {plain(reply.message)}", icon=":material/block:")
