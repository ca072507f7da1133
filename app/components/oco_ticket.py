"""The spot ticket's OCO: a take-profit and a stop-loss as one order list, with both legs
previewed before sending. When one leg executes the exchange expires the other.

SELL (protect a holding): the take-profit rests above the market, the stop waits below. BUY:
the take-profit (a cheaper buy) below the market, the stop (a breakout buy) above.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import streamlit as st

from app import commands
from app.account_queries import TicketAccount
from app.components.feedback import show_reply
from app.components.ticket_fields import amount_box, following_price, free_line
from app.formats import amount, money, places_of
from app.oco_preview import OcoPreview, OcoTicket, preview_oco
from app.order_preview import Ticket
from app.order_sizing import Funds, max_size, shortfall
from app.text import plain
from engine.models import MarketType, OrderType, Side, TradingPair
from engine.orders.component import SPOT_TAKER_FEE

OCO = "OCO"  # the ticket's type choice beside the single order types


def oco_ticket(
    k: str,
    pair: TradingPair,
    side: Side,
    reference: Decimal | None,
    account: TicketAccount,
    funds: Funds,
) -> None:
    """The OCO's fields, what the rounded OCO breaks, Send, then both legs as sent."""
    ticket = _fields(k, pair, side, reference, account, funds)
    result = preview_oco(ticket, pair, reference)
    short = _shortfall(result, pair, reference, funds) if result.command is not None else ""
    problems = [*result.problems, *([short] if short else [])]
    given = ticket.quantity is not None
    if not given:
        st.info("Enter a quantity to see both legs as the exchange will take them.")
    for problem in problems if given else ():
        st.error(plain(problem), icon=":material/rule:")
    verb = "Buy" if side is Side.BUY else "Sell"
    if st.button(
        f"{verb} {plain(pair.symbol)} OCO", type="primary", width="stretch", key=f"{k}_oco_send",
        disabled=not result.ok or bool(short),
        help=None if result.ok and not short else "Fix the rules listed above first.",
    ):  # fmt: skip
        assert result.command is not None
        show_reply(commands.place_oco(result.command), success_toast=True)
        st.rerun()
    if given:
        _show_legs(result, pair)


def _shortfall(
    result: OcoPreview, pair: TradingPair, reference: Decimal | None, funds: Funds
) -> str:
    """The funds the OCO locks (once, for the dearer leg) beyond what is free; empty if it fits."""
    prices = [leg.price or leg.trigger for leg in result.legs]
    dearest = max((p for p in prices if p is not None), default=None)
    command = result.command
    assert command is not None
    draft = Ticket(
        market=MarketType.SPOT, symbol=pair.symbol, side=command.side,
        order_type=OrderType.LIMIT, quantity=command.quantity, price=dearest,
    )  # fmt: skip
    return shortfall(draft, pair, reference, funds)


def _fields(
    k: str,
    pair: TradingPair,
    side: Side,
    reference: Decimal | None,
    account: TicketAccount,
    funds: Funds,
) -> OcoTicket:
    tick = pair.rules.price_filter.tick_size if pair.rules.price_filter else None
    quote = plain(pair.quote)
    where = ("above", "below") if side is Side.SELL else ("below", "above")
    take_col, stop_col = st.columns(2)
    with take_col:
        take_profit = following_price(
            f"{k}_oco_take_profit", f"Take-profit price ({quote}, {where[0]} the market)",
            reference, tick, follow=False,
        )  # fmt: skip
    with stop_col:
        stop = following_price(
            f"{k}_oco_stop", f"Stop trigger ({quote}, {where[1]} the market)", reference, tick,
            follow=False,
        )  # fmt: skip
    stop_limit = None
    if st.toggle("Stop-limit (a limit price once triggered)", key=f"{k}_oco_stop_limit_on",
                 help="Off: the stop sells (or buys) at market once triggered."):  # fmt: skip
        stop_limit = following_price(
            f"{k}_oco_stop_limit", f"Stop-limit price ({quote})", reference, tick, follow=False
        )
    highest = max((p for p in (take_profit, stop, stop_limit) if p is not None), default=None)
    draft = Ticket(market=MarketType.SPOT, symbol=pair.symbol, side=side,
                   order_type=OrderType.LIMIT, quantity=Decimal(1), price=highest)  # fmt: skip
    sizing = max_size(draft, pair, reference, funds)
    quantity = amount_box(f"{k}_oco_qty", f"Quantity ({plain(pair.base)})", sizing,
                          free_line(MarketType.SPOT, pair, account))  # fmt: skip
    return OcoTicket(pair.symbol, side, quantity, take_profit, stop, stop_limit)


def _show_legs(result: OcoPreview, pair: TradingPair) -> None:
    rules = pair.rules
    ticks = places_of(rules.price_filter.tick_size) if rules.price_filter else 0
    steps = places_of(rules.lot_size.step_size) if rules.lot_size else 0
    unit = plain(pair.quote)
    rows = [
        {
            "Leg": leg.name,
            "Type": leg.order_type,
            "Price": amount(leg.price, ticks) if leg.price else "market, once triggered",
            "Trigger": amount(leg.trigger, ticks, missing=""),
            "Quantity": amount(leg.quantity, steps, missing=""),
            f"Notional ({unit})": money(leg.notional, missing=""),
        }
        for leg in result.legs
    ]
    with st.container(border=True):
        st.caption("Both legs as the exchange will take them: one list, one quantity.")
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        fee = money(result.fee, missing="")
        if fee:
            st.caption(f"Fee at most {fee} {unit}: one leg executes (taker "
                       f"{SPOT_TAKER_FEE * 100:g}%), the other expires.")  # fmt: skip
        for note in result.adjustments:
            st.caption(f"Rounded: {plain(note)}")
        if result.ok:
            st.caption(":green[Passes the symbol's rules.] Risk limits are checked on send.")
