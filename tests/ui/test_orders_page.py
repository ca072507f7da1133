from decimal import Decimal

from app import queries
from app.formats import amount
from engine.models import MarketType
from tests.helpers import eventually
from tests.ui.conftest import open_app
from tests.ui.desk_fixtures import button, db, shown, spot_orders_placed

PAGE = "app_pages/orders.py"
K = "ticket_spot_BTCUSDT"


def open_ticket():
    at = open_app(PAGE)
    eventually(lambda: queries.last_price(MarketType.SPOT, "BTCUSDT"), timeout=20)
    at.run()
    assert not at.exception
    return at


def fill_limit_buy(at, price: float, quantity: float) -> None:
    at.selectbox(key="trade_symbol_spot").select("BTCUSDT").run()
    at.selectbox(key=f"{K}_type").select("LIMIT").run()
    at.text_input(key=f"{K}_price").input(str(price)).run()
    at.text_input(key=f"{K}_qty").input(str(quantity)).run()


def test_a_limit_order_reaches_the_simulator_shows_open_and_cancels(app_env):
    at = open_ticket()
    last = queries.last_price(MarketType.SPOT, "BTCUSDT")
    price = round(last * 0.9, 2)
    fill_limit_buy(at, price, 0.001)
    preview = " ".join(m.value for m in at.markdown)
    assert "As the exchange will take it" in preview and f"{Decimal(str(price)):,f}" in preview
    placed_before = spot_orders_placed()

    button(at, "Buy BTCUSDT").click()
    at.run()
    assert not at.exception
    assert any("Placed: BUY" in shown(s.value) for s in at.success), [e.value for e in at.error]
    assert spot_orders_placed() == placed_before + 1
    # The reply does not wait for the database; the open orders list follows within a moment.
    (cid,) = eventually(lambda: db("SELECT client_order_id FROM orders WHERE status = 'NEW'"))[0]
    at.run()
    assert at.button(key=f"cancel_{cid}")  # the open orders list has it, with its own Cancel
    assert amount(Decimal(str(price)), 2) in [shown(m.value) for m in at.markdown]  # its price

    at.button(key=f"cancel_{cid}").click().run()
    assert not at.exception
    assert any("Cancelled BUY" in shown(s.value) for s in at.success)
    assert eventually(
        lambda: db("SELECT status FROM orders WHERE client_order_id = ?", [cid])[0][0] == "CANCELED"
    )
    at.run()
    assert not [b for b in at.button if b.key == f"cancel_{cid}"]


def flat(node) -> list:
    """The page's elements in the order they are drawn (depth first)."""
    children = getattr(node, "children", None)
    if not children:
        return [node]
    return [leaf for key in sorted(children) for leaf in flat(children[key])]


def test_a_rule_breaking_order_cannot_be_sent_and_says_why_above_the_button(app_env):
    """Walkthrough #14: Send stayed enabled, and the broken rules sat below it, off-screen."""
    at = open_ticket()
    last = queries.last_price(MarketType.SPOT, "BTCUSDT")
    fill_limit_buy(at, round(last * 0.9, 2), 0.00001)  # worth under 1 USDT: below NOTIONAL
    problems = [e for e in at.error if "below the minimum 10" in e.value]
    assert problems and "a quantity of at least" in problems[0].value  # and what would do
    send = button(at, "Buy BTCUSDT")
    assert send.disabled
    order = [getattr(e, "key", None) or getattr(e, "value", None) for e in flat(at.main)]
    order = [v if isinstance(v, str) else None for v in order]  # tables' values are frames
    first_problem = next(i for i, v in enumerate(order) if "below the minimum 10" in str(v))
    assert first_problem < order.index(f"{K}_send"), "the problem is drawn below the button"
    placed_before, rows_before = spot_orders_placed(), db("SELECT count(*) FROM orders")[0][0]
    assert spot_orders_placed() == placed_before
    assert db("SELECT count(*) FROM orders")[0][0] == rows_before


def place_two(at) -> None:
    last = queries.last_price(MarketType.SPOT, "BTCUSDT")
    for factor in (0.9, 0.85):
        fill_limit_buy(at, round(last * factor, 2), 0.001)
        button(at, "Buy BTCUSDT").click()
        at.run()
    assert db("SELECT count(*) FROM orders WHERE status = 'NEW'")[0][0] == 2


def test_cancel_all_asks_first_and_keeping_them_keeps_them(app_env):
    at = open_ticket()
    place_two(at)
    at.button(key="cancel_all").click().run()
    assert any("Cancel all 2 open spot orders" in w.value for w in at.warning)
    at.button(key="cancel_all_no").click().run()
    assert not at.warning
    assert db("SELECT count(*) FROM orders WHERE status = 'NEW'")[0][0] == 2


def test_cancel_all_cancels_every_open_order(app_env):
    at = open_ticket()
    place_two(at)
    at.button(key="cancel_all").click().run()
    at.button(key="cancel_all_yes").click().run()
    assert not [e.value for e in at.error], [e.value for e in at.error]
    eventually(lambda: db("SELECT count(*) FROM orders WHERE status = 'NEW'")[0][0] == 0)


def test_chart_history_and_csv(app_env):
    at = open_ticket()
    eventually(lambda: not queries.candles(MarketType.SPOT, "BTCUSDT", "1m").empty, timeout=20)
    # Every chart interval is stored natively: a full chart of daily bars, not two.
    eventually(lambda: len(queries.candles(MarketType.SPOT, "BTCUSDT", "1d")) >= 240, timeout=30)
    at.segmented_control(key="trade_interval").set_value("1h").run()
    charts = at.get("plotly_chart")
    assert charts and '"candlestick"' in charts[0].proto.spec
    assert not at.exception
    csv = [d for d in at.download_button if d.key == "orders_csv"]
    assert csv
