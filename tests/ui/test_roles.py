"""What each role may do: pages show only what it may, and app.commands refuses the rest
before anything is queued, whatever the command says about who sends it."""

from decimal import Decimal

import pytest
from streamlit.testing.v1 import AppTest

from app import acting, queries, risk_view
from app.runtime import get_engine, get_users
from engine.access.roles import Role
from engine.clock import now_ms
from engine.commands import PlaceOrder, TripKillSwitch
from engine.models import MarketType
from tests.helpers import eventually
from tests.ui.conftest import PASSWORD, USERS, ensure_user, logged_in, open_app
from tests.ui.desk_fixtures import db, spot_orders_placed

TICKET = "Buy BTCUSDT"


def as_role(role: Role) -> acting.Principal:
    principal = acting.principal_of(get_users(), ensure_user(role))
    assert principal is not None
    return principal


def resting_order() -> str:
    """A limit buy far below the market, placed by the trader; its client order id."""
    price = eventually(lambda: queries.last_price(MarketType.SPOT, "BTCUSDT"), timeout=20)
    order = PlaceOrder(actor="tom", market="spot", symbol="BTCUSDT", side="BUY",
                       order_type="LIMIT", time_in_force="GTC", quantity=Decimal("0.001"),
                       price=Decimal(str(round(price * 0.8, 2))))  # fmt: skip
    reply = acting.act(get_engine(), get_users(), as_role(Role.TRADER), order)
    assert reply.ok, reply.message
    cid = reply.data["client_order_id"]
    eventually(lambda: db("SELECT count(*) FROM orders WHERE client_order_id = ?", [cid])[0][0])
    return cid


def session_as(role: Role, script) -> AppTest:  # type: ignore[no-untyped-def]
    """A browser session of the user holding `role` running `script` (app.commands directly)."""
    at = AppTest.from_function(script, default_timeout=30)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = ensure_user(role)
    at.session_state["_auth_began_ms"] = now_ms()
    at.session_state["_auth_expires_ms"] = now_ms() + 3_600_000
    return at.run()


def place_directly() -> None:
    from decimal import Decimal

    import streamlit as st

    from app import commands
    from engine.commands import PlaceOrder

    forged = PlaceOrder(actor="ada", market="spot", symbol="BTCUSDT", side="BUY",
                        order_type="MARKET", quantity=Decimal("0.001"))  # fmt: skip
    reply = commands.place_order(forged)  # the page says the admin sends it
    st.text(f"{reply.ok}|{reply.code}|{reply.message}")


def cancel_directly() -> None:
    import streamlit as st

    from app import commands, order_queries
    from engine.models import MarketType

    order = order_queries.open_orders().iloc[0]
    reply = commands.cancel_order(MarketType.SPOT, "BTCUSDT", order["client_order_id"])
    st.text(f"{reply.ok}|{reply.code}|{reply.message}")


def answer(at: AppTest) -> list[str]:
    return at.text[0].value.split("|", 2)


def test_a_viewer_sees_no_ticket_no_cancel_and_no_settings(app_env):
    cid = resting_order()
    at = open_app("app_pages/orders.py", role=Role.VIEWER)
    assert not at.exception
    assert TICKET not in [b.label for b in at.button]
    assert any("trader role" in i.value for i in at.info)
    assert "Cancel" not in [b.label for b in at.button]
    assert cid in db("SELECT client_order_id FROM orders WHERE status = 'NEW'")[0]
    with pytest.raises(ValueError):
        at.switch_page("app_pages/settings.py")
    trader = open_app("app_pages/orders.py", role=Role.TRADER)
    assert TICKET in [b.label for b in trader.button]
    assert "Cancel" in [b.label for b in trader.button]


def test_a_viewer_cannot_place_through_app_commands_even_as_someone_else(app_env):
    eventually(lambda: queries.last_price(MarketType.SPOT, "BTCUSDT"), timeout=20)
    placed, submitted = spot_orders_placed(), get_engine().commands.submitted
    ok, code, message = answer(session_as(Role.VIEWER, place_directly))
    assert (ok, code) == ("False", "desk.forbidden") and "val is a viewer" in message
    assert get_engine().commands.submitted == submitted  # nothing was queued
    assert spot_orders_placed() == placed  # nothing reached the exchange
    ok, _, message = answer(session_as(Role.TRADER, place_directly))
    assert ok == "True", message
    rows = eventually(lambda: db("SELECT actor FROM orders ORDER BY created_ms DESC LIMIT 1"))
    assert rows[0][0] == "tom"  # stamped with the session's user, not the admin it named


def test_a_viewer_cannot_cancel_through_app_commands(app_env):
    cid = resting_order()
    ok, code, _ = answer(session_as(Role.VIEWER, cancel_directly))
    assert (ok, code) == ("False", "desk.forbidden")
    assert db("SELECT status FROM orders WHERE client_order_id = ?", [cid])[0][0] == "NEW"


def test_nobody_logged_in_sends_nothing(app_env):
    at = AppTest.from_function(place_directly, default_timeout=30).run()
    assert answer(at)[:2] == ["False", "desk.login"]


def test_a_trader_pulls_the_switch_but_resets_it_nowhere(app_env):
    at = open_app("app_pages/risk.py", role=Role.TRADER)
    at.text_input(key="ks_reason").input("trader stops").run()
    at.button(key="ks_trip").click().run()
    assert risk_view.kill_switch().on
    at.run()
    assert not [t for t in at.text_input if t.key == "ks_reset_password"]  # no reset form
    assert not [n for n in at.number_input if n.key == "cfg_max_positions"]  # no config forms
    reply = acting.act(get_engine(), get_users(), as_role(Role.TRADER),
                       TripKillSwitch(actor="tom", reason="again"))  # fmt: skip
    assert reply.ok  # trip is a trader's


def test_resetting_the_switch_asks_for_the_password_and_five_wrong_lock_the_admin(app_env):
    at = open_app("app_pages/risk.py")
    at.text_input(key="ks_reason").input("admin stops").run()
    at.button(key="ks_trip").click().run()
    for attempt in range(5):
        at.text_input(key="ks_reset_password").input("not my password")
        at.button(key="FormSubmitter:ks_reset_form-Reset the kill switch").click().run()
        assert risk_view.kill_switch().on
        if attempt < 4:
            assert any("Wrong password" in e.value for e in at.error)
    assert not logged_in(at)  # the fifth locked the account and logged the session out
    at.run()
    assert [t.value for t in at.title] == ["tradedesk"]
    assert get_users().login_state(USERS[Role.ADMIN]).locked(now_ms())


def test_the_right_password_resets_it(app_env):
    at = open_app("app_pages/risk.py")
    at.text_input(key="ks_reason").input("admin stops").run()
    at.button(key="ks_trip").click().run()
    at.text_input(key="ks_reset_password").input(PASSWORD)
    at.button(key="FormSubmitter:ks_reset_form-Reset the kill switch").click().run()
    assert not risk_view.kill_switch().on
