"""The kill switch on every page while it is on, naming what the exchange still holds (issue 19
defect 1 and the walkthrough's #13), and a reset refused while today's loss is over the limit
(defect 7: at 2b2c2aa the reset went through and the day's loss use dropped to 0)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app import account_queries, queries, risk_view
from engine.commands import PlaceOrder, SaveRiskConfig, TripKillSwitch
from engine.models import MarketType, OrderType, Side, TimeInForce
from tests.helpers import eventually
from tests.ui.conftest import PASSWORD, open_app
from tests.ui.desk_fixtures import act, db, shown, sim_post

PAGES = ("orders", "pairs", "portfolio", "risk", "status", "settings", "explore")


def banner(at) -> list[str]:
    return [shown(e.value) for e in at.error if "KILL SWITCH ON" in e.value]


def still_open(at) -> list[str]:
    return [shown(e.value) for e in at.error if "Still open at the exchange" in e.value]


def test_every_page_shows_the_switch_and_names_the_order_the_exchange_kept(app_env):
    open_app()
    price = eventually(lambda: queries.last_price(MarketType.SPOT, "BTCUSDT"), timeout=20)
    limit = Decimal(str(round(price * 0.8, 2)))
    act(PlaceOrder(actor="local", market=MarketType.SPOT, symbol="BTCUSDT", side=Side.BUY,
                   order_type=OrderType.LIMIT, quantity=Decimal("0.001"), price=limit,
                   time_in_force=TimeInForce.GTC))  # fmt: skip
    for page in PAGES:
        assert not banner(open_app(f"app_pages/{page}.py")), page  # off: no banner anywhere
    # The exchange refuses every spot cancel from now on.
    sim_post(
        "/_sim/faults", {"kind": "error", "status": 503, "path": "/api/v3/order", "count": None}
    )
    act(TripKillSwitch(actor="local", reason="test the banner"))
    eventually(lambda: risk_view.kill_switch().outstanding, timeout=20)
    for page in PAGES:
        at = open_app(f"app_pages/{page}.py")
        assert not at.exception, page
        (headline,) = banner(at)
        assert "test the banner" in headline and "cancelled at the exchange" in headline, page
        (left,) = still_open(at)
        assert f"spot BUY LIMIT 0.001 BTCUSDT at {limit.normalize():,f}" in left, left
        assert "td-" not in left


def test_a_reset_is_refused_while_todays_loss_is_over_its_limit(app_env):
    open_app()
    eventually(account_queries.portfolio_figures, timeout=20)
    act(SaveRiskConfig(actor="local", config={"max_daily_loss_usdt": "1"}))

    def market(side: Side, qty: str) -> None:
        act(PlaceOrder(actor="local", market=MarketType.SPOT, symbol="BTCUSDT", side=side,
                       order_type=OrderType.MARKET, quantity=Decimal(qty)))  # fmt: skip

    market(Side.BUY, "0.05")  # then back: the round trip loses the fees and the spread
    eventually(lambda: db("SELECT free FROM balances WHERE asset = 'BTC' AND free > 0.049"))
    market(Side.SELL, "0.049")
    eventually(lambda: risk_view.kill_switch().on, timeout=30)

    at = open_app("app_pages/risk.py")
    at.text_input(key="ks_reset_password").input(PASSWORD)
    at.button(key="FormSubmitter:ks_reset_form-Reset the kill switch").click().run()
    refusal = [shown(e.value) for e in at.error if e.value.startswith("Refused")]
    assert refusal and "beyond the daily limit of 1.00 USDT" in refusal[0], refusal
    assert "reset after 00:00 UTC" in refusal[0]
    assert risk_view.kill_switch().on
    usage = risk_view.usage_table()
    daily = usage[usage["name"] == "Daily loss (since 00:00 UTC)"].iloc[0]
    assert daily["used"] > 1, daily  # the day's loss is still counted after the refused reset


@pytest.mark.parametrize("action", ["cancel_orders", "flatten", "block_only"])
def test_the_risk_page_says_in_words_what_each_action_does(app_env, action):
    open_app()
    act(SaveRiskConfig(actor="local", config={"kill_switch_action": action}))
    at = open_app("app_pages/risk.py")
    caption = " ".join(shown(c.value) for c in at.caption)
    words = {
        "cancel_orders": "every open order (spot and futures, stop and take-profit orders "
        "included) is cancelled at the exchange",
        "flatten": "every futures position is closed at market and every spot holding is sold "
        "at market for USDT",
        "block_only": "open orders and positions are left as they are",
    }[action]
    assert words in caption, caption
