"""The kill-switch banner, on every page while the switch is on (rendered by streamlit_app.py).

It reads the switch as the engine last stored it, so it says what the engine knows: when and why
it tripped, what its action does, and what the exchange still showed when the engine last asked
(`KillSwitch.outstanding`, kept by engine/guard.py), until the exchange shows nothing.
"""

from __future__ import annotations

import streamlit as st

from app import risk_view
from app.formats import browser_timezone, local_time, plural, utc_time
from app.risk_view import ACTION_WORDS, ALWAYS
from app.runtime import get_engine
from app.text import plain
from engine.risk.config import KillSwitchAction
from engine.risk.kill_switch import KillSwitch


def banner_lines(switch: KillSwitch, zone: object) -> tuple[str, list[str], str]:
    """(headline, still open at the exchange, how far the check is) in words; pure."""
    since = local_time(switch.tripped_at, zone)  # type: ignore[arg-type]
    who = "the risk engine" if switch.tripped_by == "risk-engine" else switch.tripped_by
    action = switch.action or KillSwitchAction.BLOCK_ONLY
    reason = switch.reason.rstrip()
    reason += "" if reason.endswith((".", "!", "?")) else "."
    headline = f"KILL SWITCH ON since {since}, by {who}: {reason} {ACTION_WORDS[action]}{ALWAYS}"
    if action is KillSwitchAction.BLOCK_ONLY:
        return headline, [], "The switch does not touch the exchange with this action."
    if switch.checked_at is None:
        return headline, [], "Cancelling at the exchange; checking what is left…"
    checked = local_time(switch.checked_at, zone, with_date=False)  # type: ignore[arg-type]
    if switch.outstanding:
        return (
            headline,
            list(switch.outstanding),
            f"The exchange has shown this since {checked}. The desk keeps cancelling and "
            "closing it (every 5 s, then every minute); if it stays, cancel or close it on the "
            "exchange itself.",
        )
    done = "no open order" + (
        ", no position and no spot holding to sell" if action is KillSwitchAction.FLATTEN else ""
    )
    return headline, [], f"Checked at the exchange at {checked}: {done}."


def kill_switch_banner() -> None:
    """Loud while the switch is on; nothing at all while it is off. Refreshes on its own."""

    @st.fragment(run_every=get_engine().settings.status_refresh_s)
    def banner() -> None:
        try:
            switch = risk_view.kill_switch()
        except RuntimeError:  # the engine stopped: its store is closed
            st.warning("The engine is not running, so the kill switch's state cannot be read.")
            return
        if not switch.on:
            return
        headline, left, progress = banner_lines(switch, browser_timezone())
        with st.container(border=True, key="kill_switch_banner"):
            st.error(f"**{plain(headline, 1500)}**", icon=":material/emergency_home:")
            if left:
                items = "\n".join(f"- {plain(item)}" for item in left)
                st.error(
                    f"**Still open at the exchange ({plural(len(left), 'item')}):**\n\n{items}",
                    icon=":material/warning:",
                )
            st.caption(
                plain(progress) + f" Tripped at {utc_time(switch.tripped_at)}. "
                "An admin resets it on the Risk page."
            )

    banner()
