"""One way to show the engine's answer: success briefly, a refusal with the engine's reason."""

from __future__ import annotations

import streamlit as st

from engine.commands import Reply

_LAST = "_feedback_last_reply"


def show_reply(reply: Reply, *, success_toast: bool = False) -> None:
    """Show `reply` now and keep it for the next run (pages often rerun right after acting)."""
    st.session_state[_LAST] = reply
    if success_toast and reply.ok:
        st.toast(reply.message or "Done.", icon=":material/check_circle:")
    elif not reply.ok:
        st.toast(f"Refused: {reply.message}", icon=":material/block:")


def last_reply() -> None:
    """Render the reply kept by `show_reply` once, after a rerun."""
    reply: Reply | None = st.session_state.pop(_LAST, None)
    if reply is None:
        return
    if reply.ok:
        st.success(reply.message or "Done.", icon=":material/check_circle:")
    else:
        code = f" ({reply.code})" if reply.code else ""
        st.error(f"Refused{code}: {reply.message}", icon=":material/block:")
