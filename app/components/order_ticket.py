"""The order ticket: spot and futures, every order type, with a preview before sending.

From the top: what the account holds in the symbol, the order's fields (prices follow the market
until typed; the amount with the free balance and a Max), every rule the order breaks, the Send
button (disabled while a rule is broken), then the order as the exchange will take it. The ticket
refreshes on its own, so the free balance, the position and the last price stay current.
"""

from __future__ import annotations

from decimal import Decimal

import streamlit as st

from app import account_queries, commands, queries
from app.components.feedback import show_reply
from app.components.oco_ticket import OCO, oco_ticket
from app.components.ticket_fields import amount_box, following_price, free_line, holding
from app.formats import amount, money, places_of
from app.order_preview import Preview, Ticket, closes_side, preview
from app.order_sizing import Funds, max_size, shortfall
from app.runtime import get_engine
from app.text import plain
from engine.models import (
    MarginType,
    MarketType,
    OrderType,
    PositionSide,
    Side,
    TimeInForce,
    TradingPair,
)

TYPE_LABELS = {
    OrderType.LIMIT: "Limit",
    OrderType.MARKET: "Market",
    OrderType.STOP_LIMIT: "Stop limit",
    OrderType.STOP_MARKET: "Stop market",
    OrderType.TAKE_PROFIT_LIMIT: "Take-profit limit",
    OrderType.TAKE_PROFIT_MARKET: "Take-profit market",
}
MARGIN_LABELS = {MarginType.CROSSED: "Cross", MarginType.ISOLATED: "Isolated"}
SIDE_LABELS = {PositionSide.LONG.value: "Long", PositionSide.SHORT.value: "Short"}


def order_ticket(market: MarketType, symbol: str) -> None:
    """Render the ticket for `symbol`; on Send, place the order exactly as previewed."""

    @st.fragment(run_every=get_engine().settings.status_refresh_s)
    def ticket() -> None:
        pair = queries.trading_pair(market, symbol)
        if pair is None:
            st.error(f"{plain(symbol)} is not a {market} symbol on this exchange.")
            return
        _ticket(market, pair)

    ticket()


def _ticket(market: MarketType, pair: TradingPair) -> None:
    last = queries.last_price(market, pair.symbol)
    reference = Decimal(str(last)) if last is not None else None
    account = account_queries.ticket_account(market.value, pair.symbol, pair.base, pair.quote)
    rules = pair.rules
    step = rules.lot_size.step_size if rules.lot_size else None
    holding(market, pair, account, step)
    k = f"ticket_{market}_{pair.symbol}"
    side_col, type_col = st.columns([1.1, 1], vertical_alignment="bottom")
    side = Side(
        side_col.segmented_control("Side", ["BUY", "SELL"], default="BUY", key=f"{k}_side") or "BUY"
    )
    types: list[object] = [*TYPE_LABELS, *([OCO] if market is MarketType.SPOT else [])]
    labels = {**TYPE_LABELS, OCO: "OCO (take-profit + stop-loss)"}
    order_type = type_col.selectbox("Type", types, format_func=labels.get, key=f"{k}_type")
    funds = Funds(account.base_free, account.quote_free, account.position)
    if order_type == OCO:
        oco_ticket(k, pair, side, reference, account, funds)
        return
    assert isinstance(order_type, OrderType)
    ticket = _fields(k, market, side, order_type, reference, pair, account, funds)
    result = preview(ticket, pair, reference)
    short = shortfall(ticket, pair, reference, funds) if result.command is not None else ""
    problems = [*result.problems, *([short] if short else [])]
    given = ticket.quantity is not None or ticket.quote_quantity is not None
    if not given:
        st.info("Enter a quantity to see the order as the exchange will take it.")
    for problem in problems if given else ():
        st.error(plain(problem), icon=":material/rule:")
    verb = "Buy" if side is Side.BUY else "Sell"
    if st.button(
        f"{verb} {plain(pair.symbol)}", type="primary", width="stretch", key=f"{k}_send",
        disabled=result.command is None or bool(problems),
        help="Fix the rules listed above first." if problems else None,
    ):  # fmt: skip
        assert result.command is not None
        show_reply(commands.place_order(result.command), success_toast=True)
        st.rerun()
    if given:
        _show_preview(result, market, pair, ticket.reduce_only or closes_side(ticket))


def _fields(
    k: str,
    market: MarketType,
    side: Side,
    order_type: OrderType,
    reference: Decimal | None,
    pair: TradingPair,
    account: account_queries.TicketAccount,
    funds: Funds,
) -> Ticket:
    tick = pair.rules.price_filter.tick_size if pair.rules.price_filter else None
    quote = plain(pair.quote)
    stop = price = None
    tif, post_only, reduce_only, leverage, margin = None, False, False, 1, None
    position_side = None
    if order_type.has_stop_price:
        stop = following_price(f"{k}_stop", f"Trigger price ({quote})", reference, tick, False)
    if order_type.has_limit_price:
        price_col, tif_col = st.columns([1.6, 1])
        with price_col:
            price = following_price(f"{k}_price", f"Price ({quote})", reference, tick)
        tif = TimeInForce(
            tif_col.selectbox("Time in force", [t.value for t in TimeInForce], key=f"{k}_tif")
        )
        if order_type is OrderType.LIMIT:
            post_only = st.checkbox(
                "Post-only", key=f"{k}_post_only", help="Refused if it would trade at once."
            )
    by_quote = False
    if market is MarketType.SPOT and order_type is OrderType.MARKET:
        by_quote = st.toggle(f"Spend an amount of {quote} instead", key=f"{k}_by_quote")
    if market is MarketType.FUTURES:
        leverage, margin, reduce_only, position_side = _futures_fields(k, account)
    if position_side is not None:  # hedge mode: the chosen side's position is what it closes
        held = account_queries.hedge_sides(pair.symbol).get(position_side.value, Decimal(0))
        funds = Funds(funds.base_free, funds.quote_free, held)
    draft = Ticket(
        market=market, symbol=pair.symbol, side=side, order_type=order_type,
        quantity=None if by_quote else Decimal(1), quote_quantity=Decimal(1) if by_quote else None,
        price=price, stop_price=stop, time_in_force=tif, post_only=post_only,
        reduce_only=reduce_only, leverage=leverage, margin_type=margin,
        position_side=position_side,
    )  # fmt: skip
    label = f"Amount ({quote})" if by_quote else f"Quantity ({plain(pair.base)})"
    sizing = max_size(draft, pair, reference, funds)
    value = amount_box(f"{k}_qty", label, sizing, free_line(market, pair, account))
    return Ticket(**{**draft.__dict__, "quantity": None if by_quote else value,
                     "quote_quantity": value if by_quote else None})  # fmt: skip


def _futures_fields(
    k: str, account: account_queries.TicketAccount
) -> tuple[int, MarginType, bool, PositionSide | None]:
    hedge = account_queries.hedge_mode()
    position_side = _position_side(k) if hedge else None
    cols = st.columns([1, 1.3, 1], vertical_alignment="bottom")
    st.session_state.setdefault(f"{k}_leverage", account.leverage)
    leverage = int(cols[0].number_input("Leverage", 1, 125, key=f"{k}_leverage"))
    current = MarginType(account.margin_type)
    st.session_state.setdefault(f"{k}_margin", current.value)
    margin = MarginType(
        cols[1].segmented_control(
            "Margin mode", [m.value for m in MarginType], format_func=lambda v: MARGIN_LABELS[
                MarginType(v)], key=f"{k}_margin",
            help="Set with the order, like the leverage. Binance changes it only while the "
            "symbol has no position and no open orders.",
        ) or current.value
    )  # fmt: skip
    reduce_only = False
    if not hedge:
        reduce_only = cols[2].checkbox("Reduce-only", key=f"{k}_reduce_only")
        st.caption("Position mode: **one-way** (one position per symbol; a sell reduces a "
                   "long). An admin switches to hedge mode on the Portfolio page.")  # fmt: skip
    if margin is not current and account.position:
        st.warning(
            f"The position is in {MARGIN_LABELS[current].lower()} margin: Binance does not "
            "change the margin mode while it is open, so this order would be refused.",
            icon=":material/warning:",
        )
    return leverage, margin, reduce_only, position_side


def _position_side(k: str) -> PositionSide:
    """Hedge mode: the side the order opens or closes (a SELL on Long closes the long)."""
    st.caption("Position mode: **hedge**. Choose the side: Buy on Long opens or adds to the "
               "long, Sell on Long closes it; Sell on Short opens a short, Buy on Short closes "
               "it. Reduce-only is not taken in hedge mode.")  # fmt: skip
    picked = st.segmented_control(
        "Position side", list(SIDE_LABELS), default=PositionSide.LONG.value,
        format_func=SIDE_LABELS.get, key=f"{k}_position_side",
    )  # fmt: skip
    return PositionSide(picked or PositionSide.LONG.value)


def _show_preview(
    result: Preview, market: MarketType, pair: TradingPair, reduce_only: bool
) -> None:
    unit = plain(pair.quote)
    rules = pair.rules
    ticks = places_of(rules.price_filter.tick_size) if rules.price_filter else 0
    steps = places_of(rules.lot_size.step_size) if rules.lot_size else 0
    rows = {
        "Price": amount(result.price, ticks) if result.price else "market",
        "Trigger": amount(result.stop_price, ticks, missing=""),
        "Quantity": amount(result.quantity, steps, missing=""),
        f"Amount ({unit})": amount(result.quote_quantity, missing=""),
        f"Notional ({unit})": money(result.notional, missing=""),
        f"Fee ({unit}, taker {result.fee_rate * 100:g}%, at most)": money(result.fee, missing=""),
        f"Initial margin ({unit})": (
            "none: it reduces the position" if reduce_only else money(result.margin, missing="")
        )
        if market is MarketType.FUTURES
        else "",
        "Last price": amount(result.reference_price, missing=""),
    }
    lines = [f"| {k} | {v} |" for k, v in rows.items() if v]
    with st.container(border=True):
        st.markdown("**As the exchange will take it**\n\n| | |\n|---|---|\n" + "\n".join(lines))
        for note in result.adjustments:
            st.caption(f"Rounded: {plain(note)}")
        if result.command is not None and not result.problems:
            st.caption(":green[Passes the symbol's rules.] Risk limits are checked on send.")
