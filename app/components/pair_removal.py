"""Removing pairs from the streamed selection, with a warning first when the account still holds
them or has open orders on them (they keep working at the exchange, unwatched on Trade)."""

from __future__ import annotations

import streamlit as st

from app import account_queries, commands, queries
from app.components.feedback import show_reply
from app.formats import amount, plural
from app.text import plain
from engine.models import MarketType

_PENDING = "_pairs_remove_pending"


def exposure_lines(market: MarketType, symbols: tuple[str, ...]) -> list[str]:
    """One line per symbol the account is still exposed to: what it holds, its open orders."""
    catalogue = queries.symbol_catalogue()
    bases = dict(zip(catalogue["symbol"], catalogue["base"], strict=True))
    lines = []
    for symbol in symbols:
        base = bases.get(symbol, symbol)
        held, orders = account_queries.pair_exposure(market.value, symbol, base)
        parts = []
        if held:
            what = "a position of" if market is MarketType.FUTURES else "a balance of"
            parts.append(f"{what} {amount(held)} {base}")
        if orders:
            parts.append(plural(orders, "open order"))
        if parts:
            lines.append(f"{symbol}: " + " and ".join(parts))
    return lines


def remove_control(market: MarketType, current: tuple[str, ...], picked: tuple[str, ...],
                   clicked: bool) -> None:  # fmt: skip
    """Remove `picked` when the Remove button was `clicked`, after a warning when needed."""
    if clicked:
        lines = exposure_lines(market, picked)
        if not lines:
            _remove(market, current, picked)
        st.session_state[_PENDING] = (market.value, picked, lines)
    pending = st.session_state.get(_PENDING)
    if not pending or pending[0] != market.value:
        return
    _, picked, lines = pending
    items = "\n".join(f"- {plain(line)}" for line in lines)
    st.warning(
        f"Still in use:\n\n{items}\n\nRemoved, a pair is no longer streamed, charted or offered "
        "on the Trade page; its orders stay open at the exchange and its holdings stay "
        "where they are. Remove anyway?",
        icon=":material/warning:",
    )
    yes, no, _ = st.columns([1, 1, 3])
    if yes.button("Yes, remove", type="primary", key="pairs_remove_yes"):
        _remove(market, current, picked)
    if no.button("Keep them", key="pairs_remove_no"):
        st.session_state[_PENDING] = None
        st.rerun()


def _remove(market: MarketType, current: tuple[str, ...], picked: tuple[str, ...]) -> None:
    st.session_state[_PENDING] = None
    keep = tuple(s for s in current if s not in picked)
    show_reply(commands.select_pairs(market, keep), success_toast=True)
    st.rerun()
