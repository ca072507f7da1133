"""The spot ticket's OCO (take-profit + stop-loss as one): its fields, both legs previewed, sent
as one list; prices on the wrong side of the market refused on the ticket, nothing sent."""

from decimal import Decimal

from app import queries
from engine.models import MarketType
from tests.helpers import eventually
from tests.ui.conftest import open_app
from tests.ui.desk_fixtures import button, db, shown, sim_get

PAGE = "app_pages/orders.py"
K = "ticket_spot_BTCUSDT"


def oco_posts() -> int:
    return sim_get("/_sim/stats")["requests"].get("POST /api/v3/orderList/oco", 0)


def open_oco(side: str = "SELL"):
    at = open_app(PAGE)
    eventually(lambda: queries.last_price(MarketType.SPOT, "BTCUSDT"), timeout=20)
    at.run()
    at.selectbox(key="trade_symbol_spot").select("BTCUSDT").run()
    at.segmented_control(key=f"{K}_side").set_value(side).run()
    at.selectbox(key=f"{K}_type").select("OCO").run()
    assert not at.exception
    return at


def fill(at, take_profit: float, stop: float, qty: str = "0.01") -> None:
    at.text_input(key=f"{K}_oco_take_profit").input(f"{take_profit:.2f}").run()
    at.text_input(key=f"{K}_oco_stop").input(f"{stop:.2f}").run()
    at.text_input(key=f"{K}_oco_qty").input(qty).run()


def legs_table(at):
    return next(d.value for d in at.dataframe if "Leg" in d.value.columns)


def test_an_oco_buy_previews_both_legs_and_is_sent_as_one_list(app_env):
    at = open_oco("BUY")
    labels = [t.label for t in at.text_input]
    assert any(label.startswith("Take-profit price") and "below" in label for label in labels)
    assert any(label.startswith("Stop trigger") and "above" in label for label in labels)
    last = queries.last_price(MarketType.SPOT, "BTCUSDT")
    fill(at, last * 0.95, last * 1.05)
    legs = legs_table(at)
    assert list(legs["Leg"]) == ["Take-profit", "Stop-loss"]
    assert list(legs["Type"]) == ["LIMIT_MAKER", "STOP_LOSS"]
    assert legs.iloc[1]["Price"] == "market, once triggered"
    assert set(legs["Quantity"]) == {"0.01000"}
    assert not [e.value for e in at.error]

    send = button(at, "Buy BTCUSDT OCO")
    assert not send.disabled
    before = oco_posts()
    send.click()
    at.run()
    assert not at.exception
    assert any("Placed: OCO BUY" in shown(s.value) for s in at.success), [e.value for e in at.error]
    assert oco_posts() == before + 1
    rows = eventually(lambda: db(
        "SELECT order_type, order_list_id FROM orders WHERE list_client_id IS NOT NULL "
        "AND order_list_id IS NOT NULL ORDER BY order_type"), what="both legs stored")  # fmt: skip
    assert [r[0] for r in rows] == ["LIMIT", "STOP_MARKET"] and rows[0][1] == rows[1][1]


def test_a_stop_limit_leg_takes_its_limit_price(app_env):
    at = open_oco("BUY")
    at.toggle(key=f"{K}_oco_stop_limit_on").set_value(True).run()
    last = queries.last_price(MarketType.SPOT, "BTCUSDT")
    at.text_input(key=f"{K}_oco_stop_limit").input(f"{last * 1.06:.2f}").run()
    fill(at, last * 0.95, last * 1.05)
    legs = legs_table(at)
    assert legs.iloc[1]["Type"] == "STOP_LOSS_LIMIT"
    assert legs.iloc[1]["Price"] != "market, once triggered"
    assert not button(at, "Buy BTCUSDT OCO").disabled


def test_a_sell_oco_without_the_coins_says_so_and_cannot_be_sent(app_env):
    at = open_oco("SELL")
    last = queries.last_price(MarketType.SPOT, "BTCUSDT")
    fill(at, last * 1.05, last * 0.95, qty="1000")
    assert any("BTC is free" in e.value for e in at.error), [e.value for e in at.error]
    assert button(at, "Sell BTCUSDT OCO").disabled


def test_oco_prices_on_the_wrong_side_are_refused_on_the_ticket(app_env):
    at = open_oco("SELL")
    last = queries.last_price(MarketType.SPOT, "BTCUSDT")
    fill(at, last * 0.97, last * 0.95)  # a SELL's take-profit below the market
    problems = [e.value for e in at.error]
    assert any("take-profit" in p and "not above the last price" in p for p in problems), problems
    assert button(at, "Sell BTCUSDT OCO").disabled
    before = oco_posts()
    at.run()
    assert oco_posts() == before

    buy = open_oco("BUY")
    fill(buy, last * 0.95, last * 0.97)  # a BUY's stop below the market
    problems = [e.value for e in buy.error]
    assert any("stop" in p and "not above the last price" in p for p in problems), problems
    assert button(buy, "Buy BTCUSDT OCO").disabled


def test_the_futures_ticket_offers_no_oco(app_env):
    at = open_app(PAGE)
    at.segmented_control(key="trade_market").set_value("futures").run()
    if queries.market_unavailable(MarketType.FUTURES) is None:
        options = at.selectbox(key="ticket_futures_BTCUSDT_type").options
        assert "OCO (take-profit + stop-loss)" not in options
    assert Decimal(1)  # the spot ticket is where OCOs are placed


def test_the_open_orders_mark_oco_legs_and_cancel_one_ends_both(app_env):
    at = open_oco("BUY")
    last = queries.last_price(MarketType.SPOT, "BTCUSDT")
    fill(at, last * 0.95, last * 1.05)
    button(at, "Buy BTCUSDT OCO").click()
    at.run()
    rows = eventually(lambda: db(
        "SELECT client_order_id FROM orders WHERE list_client_id IS NOT NULL "
        "AND status = 'NEW'"), what="both legs open")  # fmt: skip
    at.run()
    assert sum("OCO leg" in shown(m.value) for m in at.markdown) == 2
    first = rows[0][0]
    assert "both legs" in (at.button(key=f"cancel_{first}").help or "")
    at.button(key=f"cancel_{first}").click().run()
    assert any("Cancelled the OCO, both legs" in shown(s.value) for s in at.success), [
        e.value for e in at.error
    ]
    eventually(lambda: not db("SELECT 1 FROM orders WHERE list_client_id IS NOT NULL "
                              "AND status <> 'CANCELED'"), what="both legs cancelled")  # fmt: skip
