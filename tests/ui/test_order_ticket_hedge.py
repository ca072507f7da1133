"""Hedge mode on the desk: Portfolio shows the position mode and an admin switches it after a
confirmation (a trader sees no switch); the futures ticket then asks Long or Short instead of
reduce-only; a long and a short on one symbol show as two rows, each with its own Close."""

import pytest

from app import account_queries, queries
from engine.access.roles import Role
from engine.models import MarketType
from tests.helpers import eventually
from tests.ui.conftest import open_app
from tests.ui.desk_fixtures import button, db, shown

K = "ticket_futures_BTCUSDT"


def futures_ticket():
    trade = open_app("app_pages/orders.py")
    if (reason := queries.market_unavailable(MarketType.FUTURES)) is not None:
        pytest.skip(f"the simulator serves no futures here: {reason}")
    trade.segmented_control(key="trade_market").set_value("futures").run()
    eventually(lambda: queries.last_price(MarketType.FUTURES, "BTCUSDT"), timeout=20)
    trade.run()
    trade.selectbox(key=f"{K}_type").select("MARKET").run()
    return trade


def captions(at) -> str:
    return " ".join(shown(c.value) for c in at.caption).replace("**", "")


def switch_to_hedge() -> None:
    portfolio = open_app("app_pages/portfolio.py")
    eventually(lambda: not account_queries.hedge_mode() and db(
        "SELECT 1 FROM account_settings WHERE name = 'futures_hedge_mode'"))  # fmt: skip
    portfolio.run()
    assert "Position mode: one-way mode" in captions(portfolio)
    portfolio.button(key="position_mode_switch").click().run()
    assert any("Switch the futures account to hedge mode?" in w.value for w in portfolio.warning)
    portfolio.button(key="position_mode_yes").click().run()
    assert not portfolio.exception
    assert any("now in hedge mode" in shown(s.value) for s in portfolio.success), [
        e.value for e in portfolio.error
    ]
    eventually(account_queries.hedge_mode)


def test_the_one_way_ticket_says_so_and_keeps_reduce_only(app_env):
    trade = futures_ticket()
    assert "Position mode: one-way" in captions(trade)
    assert trade.checkbox(key=f"{K}_reduce_only")
    assert not [c for c in trade.segmented_control if c.key == f"{K}_position_side"]


def test_a_trader_sees_the_mode_but_no_switch(app_env):
    portfolio = open_app("app_pages/portfolio.py", role=Role.TRADER)
    assert "Position mode:" in captions(portfolio)
    assert not [b for b in portfolio.button if b.key == "position_mode_switch"]


def test_in_hedge_mode_a_long_and_a_short_open_at_once_and_close_one_side(app_env):
    switch_to_hedge()
    trade = futures_ticket()
    assert "Position mode: hedge" in captions(trade)
    assert not [c for c in trade.checkbox if c.key == f"{K}_reduce_only"]
    trade.segmented_control(key=f"{K}_position_side").set_value("LONG").run()
    trade.text_input(key=f"{K}_qty").input("0.02").run()
    button(trade, "Buy BTCUSDT").click()
    trade.run()
    assert any("BUY" in shown(s.value) for s in trade.success), [e.value for e in trade.error]
    trade.segmented_control(key=f"{K}_side").set_value("SELL").run()
    trade.segmented_control(key=f"{K}_position_side").set_value("SHORT").run()
    trade.text_input(key=f"{K}_qty").input("0.01").run()
    button(trade, "Sell BTCUSDT").click()
    trade.run()
    assert any("SELL" in shown(s.value) for s in trade.success), [e.value for e in trade.error]
    eventually(lambda: len(db("SELECT 1 FROM positions WHERE symbol = 'BTCUSDT'")) == 2)

    portfolio = open_app("app_pages/portfolio.py")
    assert "Position mode: hedge mode" in captions(portfolio)
    table = next(d.value for d in portfolio.dataframe if "Symbol" in d.value.columns)
    assert sorted(table["Side"]) == ["LONG", "SHORT"]
    portfolio.button(key="close_BTCUSDT_SHORT").click().run()
    assert any("Close the BTCUSDT short" in w.value for w in portfolio.warning)
    portfolio.button(key="close_yes").click().run()
    assert not [e.value for e in portfolio.error if e.value.startswith("Refused")]
    eventually(lambda: db("SELECT position_side FROM positions WHERE symbol = 'BTCUSDT'")
               == [("LONG",)], what="the long stays open")  # fmt: skip
