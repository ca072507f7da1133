"""Futures positions: the table, a confirmed one-click close per position (which offers to
cancel the position's reduce-only orders; in hedge mode one per side), and the margin mode of
each symbol."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import commands, queries, tables
from app.components.feedback import show_reply
from app.formats import plural
from app.text import plain
from engine.models import MarginType, MarketType, PositionSide

_CONFIRM = "_confirm_close_position"
TEXT = ("Symbol", "Side", "Margin mode")


def positions_table(positions: pd.DataFrame, open_orders: pd.DataFrame, *, can_close: bool) -> None:
    """`positions` exact (account_queries.futures_positions(exact=True)); `open_orders` the
    open futures orders, for the reduce-only ones a close would leave with nothing to reduce;
    a Close button per position when `can_close` (a trader)."""
    grids = queries.grids({("futures", s) for s in positions["symbol"]})
    view = tables.positions_view(positions, grids)
    st.dataframe(
        view, hide_index=True, width="stretch",
        column_config={
            **tables.right_aligned(view, *TEXT),
            "Symbol": st.column_config.TextColumn("Symbol", pinned=True),
            "Liquidation (USDT)": st.column_config.TextColumn(
                "Liquidation (USDT)", alignment="right",
                help="The mark price at which Binance liquidates the position. None when the "
                "wallet's balance covers the position at any price (a small cross position).",
            ),
        },
    )  # fmt: skip
    if not can_close:
        return
    pending = st.session_state.get(_CONFIRM)
    if pending:
        symbol, side = pending
        _confirm_close(symbol, side, _reduce_only(open_orders, symbol))
        return
    cols = st.columns(min(len(positions), 6) or 1)
    for i, (symbol, side) in enumerate(zip(positions["symbol"], _sides(positions), strict=True)):
        label, key = (
            (f"Close {plain(symbol)}", f"close_{symbol}")
            if side is None
            else (f"Close {plain(symbol)} {side.value.lower()}", f"close_{symbol}_{side.value}")
        )
        if cols[i % len(cols)].button(label, key=key):  # fmt: skip
            st.session_state[_CONFIRM] = (symbol, side)
            st.rerun()


def _sides(positions: pd.DataFrame) -> list[PositionSide | None]:
    """Each row's side in hedge mode (LONG or SHORT), None in one-way mode (BOTH)."""
    raw = positions["position_side"] if "position_side" in positions else ["BOTH"] * len(positions)
    return [PositionSide(s) if s in ("LONG", "SHORT") else None for s in raw]


def _reduce_only(open_orders: pd.DataFrame, symbol: str) -> int:
    if open_orders.empty:
        return 0
    mine = open_orders[(open_orders["symbol"] == symbol) & (open_orders["market"] == "futures")]
    return int(mine["reduce_only"].fillna(False).astype(bool).sum())


def _confirm_close(symbol: str, side: PositionSide | None, reduce_only: int) -> None:
    if side is None:
        st.warning(f"Close the whole {plain(symbol)} position at market (reduce-only)?")
    else:
        other = "short" if side is PositionSide.LONG else "long"
        st.warning(f"Close the {plain(symbol)} {side.value.lower()} at market? The {other} "
                   "side, if any, stays open (hedge mode).")  # fmt: skip
    cancel = False
    if reduce_only:
        cancel = st.checkbox(
            f"Also cancel its {plural(reduce_only, 'reduce-only order')}: with the position "
            "closed they have nothing left to reduce",
            value=True, key="close_cancel_reduce_only",
        )  # fmt: skip
    yes, no, _ = st.columns([1.4, 1, 2])
    if yes.button(f"Yes, close {plain(symbol)}", type="primary", key="close_yes"):
        st.session_state[_CONFIRM] = None
        reply = commands.close_position(symbol, cancel_reduce_only=cancel, position_side=side)
        show_reply(reply, success_toast=True)
        st.rerun()
    if no.button("Keep it", key="close_no"):
        st.session_state[_CONFIRM] = None
        st.rerun()


def margin_mode_control(
    symbols: list[str], positions: pd.DataFrame, open_orders: pd.DataFrame
) -> None:
    """Switch a futures symbol between cross and isolated margin, saying first when Binance
    would refuse (a position: -4048; open orders: -4047)."""
    if not symbols:
        return
    with st.expander("Margin mode (cross or isolated) per symbol"):
        pick, mode, go = st.columns([2, 2, 1], vertical_alignment="bottom")
        symbol = pick.selectbox("Symbol", symbols, key="margin_symbol")
        wanted = MarginType(
            mode.segmented_control(
                "Margin mode", [m.value for m in MarginType], default=MarginType.CROSSED.value,
                format_func=lambda v: "Cross" if v == "CROSSED" else "Isolated",
                key="margin_wanted",
            ) or MarginType.CROSSED.value
        )  # fmt: skip
        blocker = _blocker(symbol, positions, open_orders)
        if blocker:
            st.caption(f"{plain(blocker)} Binance changes the margin mode only while the symbol "
                       "has no position and no open orders; it would refuse now.")  # fmt: skip
        if go.button("Set", key="margin_set", width="stretch"):
            show_reply(commands.set_margin_type(symbol, wanted), success_toast=True)
            st.rerun()
        st.caption("The ticket on the Trade page also sends the margin mode with each order.")


def _blocker(symbol: str, positions: pd.DataFrame, open_orders: pd.DataFrame) -> str:
    if not positions.empty and symbol in set(positions["symbol"]):
        return f"{symbol} has an open position."
    if not open_orders.empty:
        mine = open_orders[
            (open_orders["symbol"] == symbol) & (open_orders["market"] == MarketType.FUTURES.value)
        ]
        if len(mine):
            return f"{symbol} has {plural(len(mine), 'open order')}."
    return ""
