"""Issue 15 on the pages: the Trade page's ladder and tape from the stored book, the market
order's expected fill under it, a clicked level's price in the ticket, the Status page's books."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from app import book_queries
from engine.models import MarketType
from tests.helpers import eventually
from tests.ui.conftest import open_app

K = "ticket_spot_BTCUSDT"


def book_is_stored() -> bool:
    state = book_queries.book_state(MarketType.SPOT, "BTCUSDT")
    return state.get("state") == "live" and not book_queries.book_levels(
        MarketType.SPOT, "BTCUSDT").empty  # fmt: skip


def test_the_trade_page_shows_the_ladder_tape_and_a_market_orders_expected_fill(app_env):
    at = open_app("app_pages/orders.py")
    eventually(book_is_stored, timeout=30, what="the spot book stored")
    at.selectbox(key="trade_symbol_spot").select("BTCUSDT").run()
    assert not at.exception
    assert "Order book" in [h.value for h in at.subheader]
    ladder = next(d.value for d in at.dataframe if "cumulative" in d.value.columns)
    assert {"ask", "bid"} == set(ladder["side"])
    asks = ladder[ladder["side"] == "ask"]
    bids = ladder[ladder["side"] == "bid"]
    as_number = lambda text: float(text.replace(",", ""))  # noqa: E731
    # asks above bids, highest first; the best ask is above the best bid
    assert as_number(asks["price"].iloc[-1]) > as_number(bids["price"].iloc[0])
    assert list(ladder.index[ladder["side"] == "ask"]) == list(range(len(asks)))
    assert any(c.value.startswith("Spread ") for c in at.caption)

    at.text_input(key=f"{K}_qty").input("0.5").run()
    assert not at.exception
    assert any("A market buy of 0.5" in c.value and "slippage" in c.value for c in at.caption), [
        c.value for c in at.caption]  # fmt: skip


def test_clicking_a_level_puts_its_price_in_the_tickets_price_box():
    def script() -> None:
        from decimal import Decimal
        from types import SimpleNamespace

        import streamlit as st

        from app.components.ladder import _pick
        from app.components.ticket_fields import following_price

        if "ladder" not in st.session_state:  # the click, once
            event = SimpleNamespace(selection=SimpleNamespace(cells=[[1, "price"]]))
            st.session_state["ladder"] = event
            _pick("ladder", ("50000.2", "50000.1", "49999.9"), "ticket_spot_BTCUSDT_price")
        following_price("ticket_spot_BTCUSDT_price", "Price", Decimal("50000"), Decimal("0.1"))

    at = AppTest.from_function(script, default_timeout=10).run()
    assert not at.exception
    assert at.text_input(key="ticket_spot_BTCUSDT_price").value == "50000.1"
    at.run()  # the next refresh keeps it: the price stays as picked until the trader changes it
    assert at.text_input(key="ticket_spot_BTCUSDT_price").value == "50000.1"
    assert at.session_state["_ladder_picked"] is True


def test_the_status_page_lists_each_books_state_age_and_resyncs(app_env):
    at = open_app("app_pages/status.py")
    eventually(book_is_stored, timeout=30, what="the spot book stored")
    at.run()
    assert not at.exception
    assert "Books" in [h.value for h in at.subheader]
    books = next(d.value for d in at.dataframe if "resyncs" in d.value.columns)
    spot = books[(books["market"] == "spot") & (books["symbol"] == "BTCUSDT")]
    assert list(spot["state"]) == ["live"]
    assert spot["last_update_age_s"].notna().all() and (spot["resyncs"] >= 0).all()
