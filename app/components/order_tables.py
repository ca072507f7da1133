"""Open orders with a cancel per row and a confirmed cancel-all; order and fill history."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from app import commands, queries, text
from app.components.feedback import show_reply
from app.csv_export import to_csv
from engine.models import MarketType, OrderStatus

MAX_ROWS_WITH_BUTTONS = 50
_CONFIRM = "_confirm_cancel_all"


def open_orders_table(orders: pd.DataFrame, *, can_cancel: bool) -> None:
    """One line per open order with its own Cancel button (the newest 50) for a trader."""
    if orders.empty:
        st.caption("No open orders.")
        return
    widths = [1.1, 1.1, 0.8, 1.3, 1.2, 1.2, 1.2, 1.4, 0.9]
    head = st.columns(widths)
    for col, name in zip(
        head,
        ["Symbol", "Market", "Side", "Type", "Price", "Quantity", "Filled", "Status", ""],
        strict=True,
    ):
        col.markdown(f"**{name}**")
    for order in orders.head(MAX_ROWS_WITH_BUTTONS).itertuples():
        cols = st.columns(widths, vertical_alignment="center")
        price = order.price if pd.notna(order.price) else order.stop_price
        colour = "green" if order.side == "BUY" else "red"
        cols[0].markdown(text.plain(order.symbol))
        cols[1].markdown(text.plain(order.market))
        cols[2].markdown(f":{colour}[{text.plain(order.side)}]")
        cols[3].markdown(text.plain(order.order_type))
        cols[4].write("market" if pd.isna(price) else plain(price))
        cols[5].write(plain(order.quantity))
        cols[6].write(plain(order.executed_qty) or "0")
        cols[7].markdown(text.plain(order.status))
        if can_cancel and cols[8].button("Cancel", key=f"cancel_{order.client_order_id}"):
            reply = commands.cancel_order(
                MarketType(order.market), order.symbol, order.client_order_id
            )
            show_reply(reply, success_toast=True)
            st.rerun()
    if len(orders) > MAX_ROWS_WITH_BUTTONS:
        st.caption(
            f"{len(orders) - MAX_ROWS_WITH_BUTTONS} older open orders not shown here; "
            "see the order history."
        )


def plain(value: float | None) -> str:
    """A price or quantity with every decimal it has and none it has not (no exponent)."""
    if value is None or pd.isna(value):
        return ""
    return f"{value:,.8f}".rstrip("0").rstrip(".")


def cancel_all_control(market: MarketType, symbol: str, count: int) -> None:
    """Cancel every open order on one symbol, after a confirmation."""
    if count == 0:
        return
    if not st.session_state.get(_CONFIRM):
        if st.button(f"Cancel all {count} open {text.plain(symbol)} orders", key="cancel_all"):
            st.session_state[_CONFIRM] = True
            st.rerun()
        return
    st.warning(
        f"Cancel all {count} open {market} orders on {text.plain(symbol)}? This cannot be undone."
    )
    yes, no, _ = st.columns([1, 1, 3])
    if yes.button("Yes, cancel them", type="primary", key="cancel_all_yes"):
        st.session_state[_CONFIRM] = False
        show_reply(commands.cancel_all(market, symbol), success_toast=True)
        st.rerun()
    if no.button("Keep them", key="cancel_all_no"):
        st.session_state[_CONFIRM] = False
        st.rerun()


def history_filters(key: str) -> dict[str, object]:
    """Filters shared by the order and fill history."""
    cols = st.columns(5)
    market = cols[0].selectbox(
        "Market", ["", "spot", "futures"], key=f"{key}_market", format_func=lambda v: v or "all"
    )
    symbol = cols[1].selectbox(
        "Symbol",
        ["", *queries.order_symbols()],
        key=f"{key}_symbol",
        format_func=lambda v: v or "all",
    )
    side = cols[2].selectbox(
        "Side", ["", "BUY", "SELL"], key=f"{key}_side", format_func=lambda v: v or "both"
    )
    since = cols[3].date_input(
        "Since (UTC)", value=dt.date.today() - dt.timedelta(days=30), key=f"{key}_since"
    )
    filters: dict[str, object] = {
        "market": market or None,
        "symbol": symbol or None,
        "side": side or None,
        "since_ms": int(dt.datetime.combine(since, dt.time(), dt.UTC).timestamp() * 1000),
    }
    if key == "orders":
        statuses = ["", *[s.value for s in OrderStatus]]
        status = cols[4].selectbox(
            "Status", statuses, key=f"{key}_status", format_func=lambda v: v or "any"
        )
        filters["status"] = status or None
    return filters


def history_table(kind: str) -> None:
    """Order or fill history with filters, the newest 500 shown, every match downloadable."""
    filters = history_filters(kind)
    read = queries.order_history if kind == "orders" else queries.fill_history
    frame = read(**filters)  # type: ignore[arg-type]
    st.dataframe(frame, hide_index=True, width="stretch", height=360)
    st.download_button(
        f"Download all matching {kind} (CSV)",
        data=lambda: to_csv(read(**filters, limit=None, exact=True)),  # type: ignore[arg-type]
        file_name=f"tradedesk-{kind}.csv",
        mime="text/csv",
        on_click="ignore",
        key=f"{kind}_csv",
    )
    st.caption(f"Showing the newest {len(frame)}; the download has every match.")
