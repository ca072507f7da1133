"""Amounts exact (issue 19 defect 5: 0.00999 BTC was shown as 0.01, and selling "0.01" was then
refused) and the ticket's free balance and Max, which pass the filters."""

from __future__ import annotations

from decimal import Decimal

from app import queries
from engine.commands import Reconcile
from engine.models import MarketType
from tests.helpers import eventually
from tests.ui.conftest import open_app
from tests.ui.desk_fixtures import act, button, db, shown, sim_post

K = "ticket_spot_BTCUSDT"


def hold_btc(amount: str) -> None:
    sim_post("/_sim/balances", {"balances": {"BTC": amount}})
    act(Reconcile(actor="local"))
    eventually(lambda: db("SELECT free FROM balances WHERE asset = 'BTC'") == [(Decimal(amount),)])


def test_a_balance_is_shown_with_every_decimal_it_has(app_env):
    open_app()
    hold_btc("0.00999")
    at = open_app("app_pages/portfolio.py")
    balances = next(d.value for d in at.dataframe if "Asset" in d.value.columns)
    btc = balances[balances["Asset"] == "BTC"].iloc[0]
    assert (btc["Free"], btc["Locked"], btc["Total"]) == ("0.00999", "0.00000", "0.00999")


def test_max_sells_exactly_what_is_free_and_the_order_passes(app_env):
    open_app()
    hold_btc("0.00999")
    eventually(lambda: queries.last_price(MarketType.SPOT, "BTCUSDT"), timeout=20)
    at = open_app("app_pages/orders.py")
    at.segmented_control(key=f"{K}_side").set_value("SELL").run()
    at.selectbox(key=f"{K}_type").select("MARKET").run()
    assert any("You hold 0.00999 BTC" in shown(c.value) for c in at.caption)
    assert any("Free: " in shown(c.value) and "0.00999 BTC" in shown(c.value) for c in at.caption)
    at.button(key=f"{K}_qty_max").click().run()
    assert at.text_input(key=f"{K}_qty").value == "0.00999"
    assert not [e.value for e in at.error]
    assert not button(at, "Sell BTCUSDT").disabled


def test_max_buys_what_the_free_quote_pays_for_rounded_down_to_the_step(app_env):
    open_app()
    price = eventually(lambda: queries.last_price(MarketType.SPOT, "BTCUSDT"), timeout=20)
    at = open_app("app_pages/orders.py")
    at.selectbox(key=f"{K}_type").select("LIMIT").run()
    limit = round(price * 0.99, 2)
    at.text_input(key=f"{K}_price").input(str(limit)).run()
    at.button(key=f"{K}_qty_max").click().run()
    qty = Decimal(at.text_input(key=f"{K}_qty").value)
    free = Decimal(db("SELECT free FROM balances WHERE asset = 'USDT'")[0][0])
    step = Decimal("0.00001")
    assert qty % step == 0 and qty * Decimal(str(limit)) <= free
    assert (qty + step) * Decimal(str(limit)) > free  # the most: one step more does not fit
    assert not [e.value for e in at.error] and not button(at, "Buy BTCUSDT").disabled

    at.text_input(key=f"{K}_qty").input(str(qty * 2)).run()  # twice the max: a shortfall
    problems = [shown(e.value) for e in at.error]
    assert any("USDT is free. Use Max, or lower the size." in p for p in problems), problems
    assert button(at, "Buy BTCUSDT").disabled
