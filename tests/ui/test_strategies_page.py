"""The Strategies page against the real engine: it lists the folder's strategies and an admin
switches the example on and off for a pair (a configuration version each time); the Trade page
draws the indicators a user switches on."""

from __future__ import annotations

from app import strategy_queries
from tests.helpers import eventually
from tests.ui.conftest import open_app
from tests.ui.desk_fixtures import db, shown

PAGE = "app_pages/strategies.py"


def listed(at) -> bool:
    at.run()
    return any(s.key == "strat_name" for s in at.selectbox)


def state_of(instance: str) -> str | None:
    frame = strategy_queries.instances()
    row = frame[frame["instance"] == instance]
    return None if row.empty else row["state"].iloc[0]


def test_the_page_switches_the_example_strategy_on_and_off(app_env):
    at = open_app(PAGE)
    eventually(lambda: listed(at), timeout=60, what="the folder's strategies listed")
    assert not at.exception
    assert at.selectbox(key="strat_name").value == "ma_crossover"
    assert any("No strategy is configured" in c.value for c in at.caption)  # off by default
    at.selectbox(key="strat_symbol").select("BTCUSDT").run()

    at.button(key="strat_on").click().run()
    assert not at.exception
    assert any("switched ma_crossover on" in shown(s.value) for s in at.success), [
        e.value for e in at.error
    ]
    instance = "ma_crossover:spot:BTCUSDT"
    eventually(lambda: state_of(instance) == "running", timeout=20)

    at.button(key="strat_off").click().run()
    assert any("switched ma_crossover off" in shown(s.value) for s in at.success)
    eventually(lambda: state_of(instance) == "stopped", timeout=20)
    versions = db("SELECT count(*) FROM config_versions WHERE kind = 'strategies'")[0][0]
    assert versions == 2


def test_bad_parameters_are_refused_with_the_reason(app_env):
    at = open_app(PAGE)
    eventually(lambda: listed(at), timeout=60, what="the folder's strategies listed")
    at.text_area(key="strat_params").input('{"fast": 40, "slow": 20}').run()
    at.button(key="strat_on").click().run()
    assert any("fast SMA must be shorter" in shown(e.value) for e in at.error), [
        e.value for e in at.error
    ]
    assert db("SELECT count(*) FROM config_versions WHERE kind = 'strategies'")[0][0] == 0


def test_the_trade_chart_draws_the_chosen_indicators(app_env):
    at = open_app("app_pages/orders.py")
    at.multiselect(key="trade_indicators").select("SMA 20").select("RSI 14").run()
    eventually(lambda: _chart_has(at, "SMA 20"), timeout=30, what="candles with the SMA drawn")
    assert not at.exception


def _chart_has(at, name: str) -> bool:
    at.run()
    charts = [c for c in at.get("plotly_chart") if c.proto.id and "trade_chart" in c.proto.id]
    return any(name in c.proto.spec for c in charts) and len(at.get("plotly_chart")) >= 2
