"""The order ticket's inputs: prices that follow the market until the trader types, the amount
with the free balance and a Max that passes the filters, and what is held in the symbol.

Amounts are text inputs, read as exact decimals: a number box shows six significant digits and
holds a float, so what the trader saw would not be what is sent.
"""

from __future__ import annotations

from decimal import Decimal

import streamlit as st

from app import account_queries
from app.account_queries import TicketAccount
from app.formats import DASH, amount, money, places_of
from app.order_preview import to_decimal
from app.order_sizing import Sizing
from app.text import plain
from engine.models import MarketType, TradingPair

_PUT = "_put"  # suffix of the key where another part of the page leaves a price for a box


def put_price(key: str, price: str) -> None:
    """Fill the price box `key` on its next run (the ladder's click does this).

    Not by writing the box's own key from a callback: a run that a refreshing fragment asked for
    a moment earlier carries the box's old value from the browser and would overwrite it (seen
    under load: the clicked price vanished). A key that is no widget's is never overwritten."""
    st.session_state[key + _PUT] = price


def following_price(
    key: str, label: str, reference: Decimal | None, tick: object, follow: bool = True
) -> Decimal | None:
    """A price box. Left empty, a limit price is the last price (on the tick grid), which
    follows the market as the ticket refreshes: the box shows it as a placeholder, so a refresh
    never overwrites what the trader is typing. Typed, the price stays as typed.

    With `follow` False (a trigger price) the box must be filled; the last price is a hint."""
    places = places_of(tick)
    on_grid = reference.quantize(Decimal(1).scaleb(-places)) if reference is not None else None
    last = amount(on_grid, places) if on_grid is not None else None
    hint = f"{last} (last price)" if last else "no price yet"
    if (put := st.session_state.pop(key + _PUT, None)) is not None:
        st.session_state[key] = put
    value = to_decimal(st.text_input(label, key=key, placeholder=hint))
    if value is not None:
        if follow:
            st.button(
                "Follow the market again", key=f"{key}_follow", on_click=_set, args=(key, ""),
                type="tertiary", help="Empty the box: the order goes at the last price.",
            )  # fmt: skip
        return value
    if not follow or reference is None:
        return None
    st.caption("Empty: at the last price, as it moves.")
    return on_grid


def _set(key: str, value: str) -> None:
    st.session_state[key] = value


def amount_box(key: str, label: str, sizing: Sizing, free_line: str) -> Decimal | None:
    """The quantity (or quote amount) box with the free balance and a Max button beside it."""
    box, button = st.columns([3, 1], vertical_alignment="bottom")
    value = box.text_input(label, key=key, placeholder="0")
    best = sizing.quantity if sizing.quantity is not None else sizing.quote_amount
    button.button(
        "Max", key=f"{key}_max", disabled=best is None, width="stretch",
        on_click=_set, args=(key, format(best.normalize(), "f") if best is not None else ""),
        help=f"The most this order can be: {sizing.note}.",
    )  # fmt: skip
    shown = f"max {format(best.normalize(), ',f')}" if best is not None else "no max"
    st.caption(f"{plain(free_line)} · {shown}", help=f"The max: {sizing.note}.")
    return to_decimal(value)


def free_line(market: MarketType, pair: TradingPair, account: TicketAccount) -> str:
    if market is MarketType.SPOT:
        return (
            f"Free: {amount(account.quote_free)} {pair.quote}, "
            f"{amount(account.base_free)} {pair.base}"
        )
    return f"Available for margin: {amount(account.quote_free)} USDT"


def holding(market: MarketType, pair: TradingPair, account: TicketAccount, step: object) -> None:
    """What the account holds in the ticket's symbol, shown beside the ticket."""
    places = places_of(step)
    if market is MarketType.SPOT:
        st.caption(
            f"**You hold {amount(account.position, places)} {plain(pair.base)}** "
            f"({amount(account.base_free, places)} free)."
        )
        return
    margin = "isolated" if account.margin_type == "ISOLATED" else "cross"
    sides = account_queries.hedge_sides(pair.symbol)
    if sides:
        held = ", ".join(f"{side} {amount(abs(qty), places)}" for side, qty in sides.items())
        st.caption(f"**Positions (hedge mode): {held} {plain(pair.base)}** · {margin} "
                   f"{account.leverage}x")  # fmt: skip
        return
    if not account.position:
        st.caption(f"No {plain(pair.symbol)} position. Margin mode {margin}, "
                   f"{account.leverage}x.")  # fmt: skip
        return
    side = "LONG" if account.position > 0 else "SHORT"
    liquidation = (
        amount(account.liquidation)
        if account.liquidation is not None
        else f"{DASH} (none: the wallet covers it)"
    )
    st.caption(
        f"**Position: {side} {amount(abs(account.position), places)} {plain(pair.base)}** at "
        f"{amount(account.entry)} · liquidation {liquidation} · P&L "
        f"{money(account.unrealized_pnl, 'USDT', signed=True)} · {margin} {account.leverage}x"
    )
