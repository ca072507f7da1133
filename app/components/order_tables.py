"""Open orders with a cancel per row and a confirmed cancel-all; order and fill history."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from app import commands, order_queries, queries, tables, text
from app.components.feedback import show_reply
from app.csv_export import to_csv
from app.formats import browser_timezone, local_time, plural, zone_label
from engine.models import MarketType, OrderStatus

MAX_ROWS_WITH_BUTTONS = 50
TEXT_COLUMNS = (
    "Time", "Symbol", "Market", "Side", "Type", "Status", "Reason", "By", "Fee", "Maker/taker",
    "Reduce-only", "Post-only", "Time in force", "Time (UTC)",
)  # fmt: skip
_CONFIRM = "_confirm_cancel_all"


def open_orders_table(orders: pd.DataFrame, *, can_cancel: bool) -> None:
    """One line per open order (the newest 50; `orders` exact), with its own Cancel button
    when `can_cancel` (a trader)."""
    if orders.empty:
        st.caption("No open orders.")
        return
    zone = browser_timezone()
    grids = queries.grids(set(zip(orders["market"], orders["symbol"], strict=True)))
    view = tables.orders_view(orders.head(MAX_ROWS_WITH_BUTTONS), grids, zone)
    shown = ["Symbol", "Side", "Type", "Status", *view.columns[6:11]]
    widths = [1.4, 1.1, 0.7, 1.2, 1.0, 1.2, 1.1, 1.1, 1.0, 1.1, 0.9]
    head = st.columns(widths)
    for col, name in zip(head, ["Time", *shown, ""], strict=True):
        col.markdown(f"**{text.plain(name)}**")
    for order, row in zip(
        orders.head(MAX_ROWS_WITH_BUTTONS).itertuples(), view.itertuples(index=False), strict=True
    ):
        values = dict(zip(view.columns, row, strict=True))
        cols = st.columns(widths, vertical_alignment="center")
        cols[0].markdown(
            text.plain(local_time(order.created, zone, with_date=False)),
            help=f"{values['Time (UTC)']}; your timezone: {zone_label(zone)}",
        )
        symbol = f"{text.plain(order.symbol)} · {order.market}"
        oco = bool(getattr(order, "list_client_id", None))
        side = getattr(order, "position_side", None)
        marks = [*(["reduce-only"] if order.reduce_only else []), *(["OCO leg"] if oco else []),
                 *([side.lower()] if side in ("LONG", "SHORT") else [])]  # fmt: skip
        cols[1].markdown(" · ".join([symbol, *marks]))
        colour = "green" if order.side == "BUY" else "red"
        cols[2].markdown(f":{colour}[{text.plain(order.side)}]")
        for col, name in zip(cols[3:10], shown[2:], strict=True):
            col.markdown(text.plain(values[name]))
        also = "Cancels both legs of the OCO: Binance ends the list with either." if oco else None
        if can_cancel and cols[10].button(
            "Cancel", key=f"cancel_{order.client_order_id}", help=also
        ):
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


def cancel_all_control(market: MarketType, symbol: str, count: int) -> None:
    """Cancel every open order on one symbol, after a confirmation."""
    if count == 0:
        return
    if not st.session_state.get(_CONFIRM):
        label = f"Cancel all {plural(count, 'open order')} on {text.plain(symbol)}"
        if st.button(label, key="cancel_all"):
            st.session_state[_CONFIRM] = True
            st.rerun()
        return
    st.warning(
        f"Cancel all {plural(count, f'open {market} order')} on {text.plain(symbol)}? "
        "This cannot be undone. The desk then asks the exchange and says what is still open."
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
        ["", *order_queries.order_symbols()],
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
    read = order_queries.order_history if kind == "orders" else order_queries.fill_history
    frame = read(**filters, exact=True)  # type: ignore[arg-type]
    zone = browser_timezone()
    grids = queries.grids(set(zip(frame["market"], frame["symbol"], strict=True)))
    view = (tables.orders_view if kind == "orders" else tables.fills_view)(frame, grids, zone)
    st.dataframe(
        view, hide_index=True, width="stretch", height=360,
        column_config={
            **tables.right_aligned(view, *TEXT_COLUMNS),
            "Time": st.column_config.TextColumn(
                "Time", pinned=True, help=f"Your timezone, {zone_label(zone)}; UTC in the last "
                "column.",
            ),
        },
    )  # fmt: skip
    st.download_button(
        f"Download all matching {kind} (CSV)",
        data=lambda: to_csv(read(**filters, limit=None, exact=True)),  # type: ignore[arg-type]
        file_name=f"tradedesk-{kind}.csv",
        mime="text/csv",
        on_click="ignore",
        key=f"{kind}_csv",
    )
    st.caption(
        f"Showing the newest {len(frame)}; the download has every match, with the exchange's "
        "and the desk's order ids."
    )
