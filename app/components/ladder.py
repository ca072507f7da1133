"""The Trade page's order book: the ladder (clicking a level puts its price in the ticket's
limit-price box), what a market order of the ticket's size is expected to fill at, and the
tape. Each part is a fragment that refreshes on its own; the page does not re-render."""

from __future__ import annotations

from decimal import Decimal
from functools import partial

import streamlit as st

from app import book_queries, order_queries, queries
from app.components.ticket_fields import put_price
from app.formats import amount, browser_timezone, local_time, places_of
from app.ladder_view import build_ladder
from app.order_preview import FillEstimate, estimate_market_fill, to_decimal
from app.text import plain
from engine.clock import now_ms
from engine.market.book import Level
from engine.models import MarketType, Side

DEPTH = 12  # levels per side shown
REFRESH_S = 1.0  # the engine stores the levels twice a second
STATE_STALE_S = 5.0  # a book state not rewritten for this long: the engine no longer keeps it


def order_book_panel(market: MarketType, symbol: str, can_trade: bool) -> None:
    """The ladder and the tape of `symbol`, side by side."""
    ladder_col, tape_col = st.columns([1.4, 1])
    with ladder_col:
        ladder(market, symbol, can_trade)
    with tape_col:
        tape(market, symbol)


def _ticket_key(market: MarketType, symbol: str) -> str:
    return f"ticket_{market}_{symbol}"  # the order ticket's widget keys start with this


@st.fragment(run_every=REFRESH_S)
def ladder(market: MarketType, symbol: str, can_trade: bool) -> None:
    if st.session_state.pop("_ladder_picked", False):
        st.rerun()  # the whole page, so the ticket shows the price at once
    st.subheader("Order book")
    state = book_queries.book_state(market, symbol)
    levels = book_queries.book_levels(market, symbol)
    if not state or levels.empty:
        st.info(f"No book of {plain(symbol)} yet: it syncs from a snapshot in a moment.")
        return
    silent_s = (now_ms() - int(state["time"])) / 1000
    if silent_s > STATE_STALE_S:
        st.warning(
            f"The engine has not updated this book for {silent_s:.0f} s (the pair is not "
            "selected, or the engine is busy): its levels may not be current."
        )
    elif state["state"] != "live":
        why = f": {plain(state['reason'])}" if state.get("reason") else ""
        st.warning(f"The book is {plain(state['state'])}{why}. Its levels may not be current.")
    pair = queries.trading_pair(market, symbol)
    rules = pair.rules if pair else None
    tick_places = places_of(rules.price_filter.tick_size) if rules and rules.price_filter else 2
    step_places = places_of(rules.lot_size.step_size) if rules and rules.lot_size else 4
    bids, asks = book_queries.sides(levels)
    own = order_queries.open_orders(market, symbol, exact=True)
    view = build_ladder(bids, asks, own, DEPTH, tick_places, step_places)
    if view.spread is not None and view.mid:
        bps = view.spread / view.mid * 10_000
        st.caption(
            f"Spread {amount(view.spread, tick_places)} ({bps:.2f} bps), mid "
            f"{amount(view.mid, tick_places)} · update {int(state['update_id'])}"
            + (f" · {view.outside} own orders beyond the rows shown" if view.outside else "")
        )
    key = f"ladder_{market}_{symbol}"
    st.dataframe(
        view.frame, hide_index=True, width="stretch", height=35 * (len(view.frame) + 1) + 3,
        key=key, selection_mode="single-cell",
        on_select=partial(_pick, key, view.prices, f"{_ticket_key(market, symbol)}_price")
        if can_trade else "ignore",
        column_config={"side": "Side", "price": "Price", "size": "Size",
                       "cumulative": "Cumulative", "own": "Own orders"},
    )  # fmt: skip
    if can_trade:
        st.caption("Click a price to put it in the ticket's limit price.")
    _fill_estimate(market, symbol, bids, asks, step_places, tick_places)


def _pick(key: str, prices: tuple[str, ...], price_key: str) -> None:
    """The ladder's selection changed: the clicked row's price goes into the ticket."""
    event = st.session_state.get(key)
    cells = list(event.selection.cells) if event is not None else []
    if not cells:
        return
    row = int(cells[0][0])
    if 0 <= row < len(prices):
        put_price(price_key, prices[row])
        st.session_state["_ladder_picked"] = True


def _fill_estimate(
    market: MarketType,
    symbol: str,
    bids: list[Level],
    asks: list[Level],
    step_places: int,
    tick_places: int,
) -> None:
    """What a market order of the ticket's size and side would fill at on this book."""
    k = _ticket_key(market, symbol)
    quantity = to_decimal(st.session_state.get(f"{k}_qty"))
    if quantity is None or st.session_state.get(f"{k}_by_quote"):
        return
    side = Side(st.session_state.get(f"{k}_side") or "BUY")
    estimate = estimate_market_fill(side, quantity, bids, asks)
    if estimate is not None:
        st.caption(plain(describe(estimate, step_places, tick_places)))


def describe(estimate: FillEstimate, step_places: int, tick_places: int) -> str:
    """A market order's expected fill, in words."""
    size = amount(estimate.quantity, step_places)
    head = f"A market {estimate.side.value.lower()} of {size} on this book"
    if estimate.average_price is None:
        return f"{head}: nothing to fill against."
    slip = estimate.slippage_bps or Decimal(0)
    text = (
        f"{head}: average {amount(round(estimate.average_price, tick_places + 2), tick_places)}, "
        f"worst {amount(estimate.worst_price, tick_places)}, slippage {slip:.2f} bps from the mid"
    )
    if not estimate.complete:
        text += f"; the stored levels hold only {amount(estimate.filled, step_places)}"
    return text + "."


@st.fragment(run_every=REFRESH_S)
def tape(market: MarketType, symbol: str) -> None:
    st.subheader("Tape")
    trades = book_queries.recent_trades(market, symbol, 20)
    if trades.empty:
        st.caption("No trade seen yet.")
        return
    zone = browser_timezone()
    trades["time"] = [local_time(t, zone, with_date=False) for t in trades["time"]]
    trades["taker"] = ["sell" if m else "buy" for m in trades["buyer_is_maker"]]
    trades["price"] = [amount(p) for p in trades["price"]]
    trades["qty"] = [amount(q) for q in trades["qty"]]
    st.dataframe(
        trades[["time", "price", "qty", "taker"]], hide_index=True, width="stretch", height=420,
        column_config={"time": "Time", "price": "Price", "qty": "Size", "taker": "Taker"},
    )  # fmt: skip
