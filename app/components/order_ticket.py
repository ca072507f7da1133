"""The order ticket: spot and futures, every order type, with a preview before sending."""

from __future__ import annotations

from decimal import Decimal

import streamlit as st

from app import account_queries, commands, queries
from app.components.feedback import show_reply
from app.order_preview import Preview, Ticket, preview, to_decimal
from app.text import plain
from engine.models import MarketType, OrderType, Side, TimeInForce

TYPE_LABELS = {
    OrderType.LIMIT: "Limit",
    OrderType.MARKET: "Market",
    OrderType.STOP_LIMIT: "Stop limit",
    OrderType.STOP_MARKET: "Stop market",
    OrderType.TAKE_PROFIT_LIMIT: "Take-profit limit",
    OrderType.TAKE_PROFIT_MARKET: "Take-profit market",
}


def order_ticket(market: MarketType, symbol: str) -> None:
    """Render the ticket for `symbol`; on Send, place the order exactly as previewed."""
    pair = queries.trading_pair(market, symbol)
    last = queries.last_price(market, symbol)
    reference = Decimal(str(last)) if last is not None else None
    k = f"ticket_{market}_{symbol}"
    side = Side(
        st.segmented_control("Side", ["BUY", "SELL"], default="BUY", key=f"{k}_side") or "BUY"
    )
    order_type = st.selectbox(
        "Type", list(TYPE_LABELS), format_func=TYPE_LABELS.get, key=f"{k}_type"
    )
    ticket = _amounts(k, market, side, order_type, reference, pair)
    result = preview(ticket, pair, reference)
    if ticket.quantity is None and ticket.quote_quantity is None:
        st.info("Enter a quantity to see the order as the exchange will take it.")
    else:
        _show_preview(result, market, pair.quote if pair else "USDT")
    verb = "Buy" if side is Side.BUY else "Sell"
    label = f"{verb} {plain(symbol)}"
    if st.button(
        label, type="primary", width="stretch", key=f"{k}_send", disabled=result.command is None
    ):
        assert result.command is not None
        reply = commands.place_order(result.command)
        show_reply(reply, success_toast=True)
        st.rerun()


def _amounts(
    k: str,
    market: MarketType,
    side: Side,
    order_type: OrderType,
    reference: Decimal | None,
    pair: object,
) -> Ticket:
    needs_price, needs_stop = order_type.has_limit_price, order_type.has_stop_price
    default_price = float(reference) if reference is not None else 0.0
    for name in ("stop", "price"):  # start at the last price, then keep what the trader typed
        st.session_state.setdefault(f"{k}_{name}", default_price)
    price = stop = None
    if needs_stop:
        stop = st.number_input("Trigger price", min_value=0.0, format="%g", key=f"{k}_stop")
    if needs_price:
        price = st.number_input("Price", min_value=0.0, format="%g", key=f"{k}_price")
    by_quote = False
    if market is MarketType.SPOT and order_type is OrderType.MARKET:
        by_quote = st.toggle("Spend a quote amount (USDT) instead", key=f"{k}_by_quote")
    label = "Amount (USDT)" if by_quote else "Quantity"
    amount = st.number_input(label, min_value=0.0, value=0.0, format="%g", key=f"{k}_qty")
    tif, post_only, reduce_only, leverage = None, False, False, 1
    if needs_price:
        cols = st.columns(2)
        tif = TimeInForce(
            cols[0].selectbox("Time in force", [t.value for t in TimeInForce], key=f"{k}_tif")
        )
        if order_type is OrderType.LIMIT:
            post_only = cols[1].checkbox(
                "Post-only", key=f"{k}_post_only", help="Refused if it would trade at once."
            )
    if market is MarketType.FUTURES:
        cols = st.columns(2)
        st.session_state.setdefault(f"{k}_leverage", _leverage(pair))
        leverage = int(cols[0].number_input("Leverage", 1, 125, key=f"{k}_leverage"))
        reduce_only = cols[1].checkbox("Reduce-only", key=f"{k}_reduce_only")
    return Ticket(
        market=market,
        symbol=getattr(pair, "symbol", ""),
        side=side,
        order_type=order_type,
        quantity=None if by_quote else to_decimal(amount),
        quote_quantity=to_decimal(amount) if by_quote else None,
        price=to_decimal(price),
        stop_price=to_decimal(stop),
        time_in_force=tif,
        post_only=post_only,
        reduce_only=reduce_only,
        leverage=leverage,
    )


def _leverage(pair: object) -> int:
    symbol = getattr(pair, "symbol", None)
    return account_queries.current_leverage(symbol) if symbol else 1


def _show_preview(result: Preview, market: MarketType, quote: str) -> None:
    rows = {
        "Price": _num(result.price) if result.price else "market",
        "Trigger": _num(result.stop_price),
        "Quantity": _num(result.quantity),
        "Amount": _num(result.quote_quantity),
        "Notional": _money(result.notional, plain(quote)),
        f"Fee (taker {result.fee_rate * 100:g}%, at most)": _money(result.fee, plain(quote)),
        "Initial margin": _money(result.margin, plain(quote))
        if market is MarketType.FUTURES
        else "",
        "Last price": _num(result.reference_price),
    }
    lines = [f"| {k} | {v} |" for k, v in rows.items() if v]
    with st.container(border=True):
        st.markdown("**As the exchange will take it**\n\n| | |\n|---|---|\n" + "\n".join(lines))
        for note in result.adjustments:
            st.caption(f"Rounded: {plain(note)}")
        for problem in result.problems:
            st.error(plain(problem), icon=":material/rule:")
        if result.command is not None and not result.problems:
            st.caption(":green[Passes the symbol's rules.] Risk and balance are checked on send.")


def _num(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), ",f")


def _money(value: Decimal | None, quote: str) -> str:
    return "" if value is None else f"{value:,.2f} {quote}"
