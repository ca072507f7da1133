"""The futures account's position mode: one-way (one position per symbol) or hedge (a long and a
short at once), shown to everyone, switched by an admin after a confirmation. Binance switches
only with no open position and no open order on any symbol: the control says so first."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import account_queries, commands
from app.components.feedback import show_reply
from app.formats import plural

_CONFIRM = "_confirm_position_mode"
WORDS = {
    False: "One-way: one position per symbol; a sell reduces a long.",
    True: "Hedge: a long and a short per symbol at once; each order names its side.",
}


def mode_name(hedge: bool) -> str:
    return "hedge mode" if hedge else "one-way mode"


def position_mode_control(
    positions: pd.DataFrame, open_orders: pd.DataFrame, *, can_switch: bool
) -> None:
    """The mode, and (for an admin) a confirmed switch to the other one."""
    hedge = account_queries.hedge_mode()
    st.caption(f"Position mode: **{mode_name(hedge)}**. {WORDS[hedge]}")
    if not can_switch:
        return
    target = not hedge
    pending = st.session_state.get(_CONFIRM)
    if pending is not None:
        _confirm(bool(pending))
        return
    blocker = _blocker(positions, open_orders)
    if blocker:
        st.caption(f"{blocker} Binance switches the position mode only with no open position "
                   "and no open order on any symbol: it would refuse now.")  # fmt: skip
    if st.button(f"Switch to {mode_name(target)}", key="position_mode_switch"):
        st.session_state[_CONFIRM] = target
        st.rerun()


def _confirm(target: bool) -> None:
    effect = (
        "Every futures order must then name its side (long or short), a strategy's too; "
        "reduce-only is not taken, closing is by side."
        if target
        else "Orders then take no position side; a sell reduces a long."
    )
    st.warning(f"Switch the futures account to {mode_name(target)}? {effect}")
    yes, no, _ = st.columns([1.6, 1, 2])
    if yes.button(f"Yes, switch to {mode_name(target)}", type="primary", key="position_mode_yes"):
        st.session_state[_CONFIRM] = None
        show_reply(commands.set_position_mode(target), success_toast=True)
        st.rerun()
    if no.button("Keep it", key="position_mode_no"):
        st.session_state[_CONFIRM] = None
        st.rerun()


def _blocker(positions: pd.DataFrame, open_orders: pd.DataFrame) -> str:
    if not positions.empty:
        return f"The account has {plural(len(positions), 'open futures position')}."
    if not open_orders.empty:
        return f"The account has {plural(len(open_orders), 'open futures order')}."
    return ""
