"""Text from users and the exchange reaches pages as text: a kill-switch reason planted with a
link, a remote image and bold shows escaped on the Risk page and in another session's toast
(security review, finding 5), and so does an exchange's refusal text."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from app import risk_view
from tests.helpers import eventually
from tests.ui.conftest import open_app

REASON = "[x](https://example.invalid) ![p](http://127.0.0.1:9/p.png) **b**"
ESCAPED = r"\[x\](https\://example.invalid) !\[p\](http\://127.0.0.1\:9/p.png) \*\*b\*\*"
RENDERED = ("[x](", "![p](", "**b**", "](https://", "](http://")


def as_text(body: str) -> bool:
    """`body` holds the reason escaped, and none of its markdown is live."""
    return ESCAPED in body and not any(live in body for live in RENDERED)


def test_a_planted_kill_switch_reason_is_text_on_the_risk_page_and_in_other_sessions(app_env):
    other = open_app("app_pages/orders.py")  # session B: its first run marks where it starts
    risk = open_app("app_pages/risk.py")
    risk.text_input(key="ks_reason").input(REASON).run()
    risk.button(key="ks_trip").click().run()
    assert not risk.exception
    assert risk_view.kill_switch().on

    risk.run()
    banner = [e.value for e in risk.error if "KILL SWITCH ON" in e.value]
    assert banner and as_text(banner[0]), banner

    def toasted() -> list[str]:
        other.run()
        return [t.value for t in other.toast if "Kill switch pulled" in t.value]

    toast = eventually(toasted, timeout=20)
    assert as_text(toast[0]), toast


def feedback_page() -> None:
    import streamlit as st

    from app.components.feedback import last_reply, show_reply
    from engine.commands import Reply

    last_reply()
    if st.button("send", key="send"):
        message = "Binance -2010: [x](https://example.invalid) ![p](http://127.0.0.1:9/p.png) **b**"
        show_reply(Reply(command_id=1, ok=False, message=message, code="exchange.-2010"))
        st.rerun()


def test_an_exchange_refusal_is_text_in_the_toast_and_the_banner():
    at = AppTest.from_function(feedback_page, default_timeout=30)
    at.run()
    at.button(key="send").click().run()
    assert not at.exception
    toast = [t.value for t in at.toast]
    banner = [e.value for e in at.error]
    assert toast and banner
    for body in (*toast, *banner):
        assert as_text(body), body
