from app import queries, risk_view
from engine.models import MarketType
from tests.helpers import eventually
from tests.ui.conftest import PASSWORD, open_app
from tests.ui.desk_fixtures import button, db, shown, spot_orders_placed

PAGE = "app_pages/risk.py"


def test_the_kill_switch_blocks_the_next_order(app_env):
    at = open_app(PAGE)
    assert any("Kill switch off" in s.value for s in at.success)
    at.text_input(key="ks_reason").input("test: stop everything").run()
    at.button(key="ks_trip").click().run()
    assert not at.exception
    assert risk_view.kill_switch().on
    assert any("KILL SWITCH ON" in e.value and "stop everything" in e.value for e in at.error)

    trade = open_app("app_pages/orders.py")
    price = eventually(lambda: queries.last_price(MarketType.SPOT, "BTCUSDT"), timeout=20)
    trade.run()
    k = "ticket_spot_BTCUSDT"
    trade.selectbox(key=f"{k}_type").select("LIMIT").run()
    trade.text_input(key=f"{k}_price").input(str(round(price * 0.9, 2))).run()
    trade.text_input(key=f"{k}_qty").input(str(0.001)).run()
    placed = spot_orders_placed()
    button(trade, "Buy BTCUSDT").click()
    trade.run()
    refusals = [e.value for e in trade.error if e.value.startswith("Refused")]
    assert refusals and "kill" in refusals[0].lower(), refusals
    assert spot_orders_placed() == placed

    at.run()
    at.text_input(key="ks_reset_password").input(PASSWORD)
    at.button(key="FormSubmitter:ks_reset_form-Reset the kill switch").click().run()
    assert not risk_view.kill_switch().on
    history = next(d.value for d in at.dataframe if "Setting" in d.value.columns)
    assert "Kill switch" in set(history["What"])


def test_limits_are_validated_saved_and_shown_in_use(app_env):
    at = open_app(PAGE)
    # form widgets are sent with the submit, as in a browser: set them, then submit
    at.number_input(key="cfg_drawdown_pct").set_value(150.0)
    at.button(key="FormSubmitter:risk_form-Save risk limits").click().run()
    assert any("max_drawdown_pct" in shown(e.value) for e in at.error)  # refused before sending
    assert risk_view.risk_config().max_drawdown_pct is None

    at.number_input(key="cfg_drawdown_pct").set_value(10.0)
    at.number_input(key="cfg_max_positions").set_value(3)
    at.text_input(key="cfg_risk_password").input(PASSWORD)
    at.button(key="FormSubmitter:risk_form-Save risk limits").click().run()
    assert not at.exception
    assert any("Risk configuration saved" in s.value for s in at.success)
    assert float(risk_view.risk_config().max_drawdown_pct) == 10.0
    assert db("SELECT count(*) FROM config_versions WHERE kind = 'risk'")[0][0] == 1
    usage = next(d.value for d in at.dataframe if "pct" in d.value.columns)
    assert "Open positions" in set(usage["name"])
    history = next(d.value for d in at.dataframe if "Setting" in d.value.columns)
    assert "max_drawdown_pct" in set(history["Setting"])


def test_the_trading_configuration_reaches_the_engine(app_env):
    at = open_app(PAGE)
    at.toggle(key="cfg_futures_on").set_value(False)
    at.multiselect(key="cfg_spot_pairs").select("LTCUSDT")
    at.text_input(key="cfg_trading_password").input(PASSWORD)
    at.button(key="FormSubmitter:trading_form-Save trading configuration").click().run()
    assert any("Trading configuration saved" in s.value for s in at.success), [
        e.value for e in at.error
    ]
    assert not risk_view.trading_config().futures_enabled
    assert "LTCUSDT" in queries.selected_pairs(MarketType.SPOT)
