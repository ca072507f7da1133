from app import favourites, queries
from engine.models import MarketType
from tests.helpers import eventually
from tests.ui.conftest import open_app
from tests.ui.desk_fixtures import button, db

PAGE = "app_pages/pairs.py"


def test_a_pair_added_on_the_page_streams_into_klines(app_env):
    at = open_app(PAGE)
    assert not at.exception
    assert "SOLUSDT" not in queries.selected_pairs(MarketType.SPOT)
    at.selectbox(key="pairs_add_symbol").select("SOLUSDT").run()
    button(at, "Add pair").click()
    at.run()
    assert not at.exception
    assert "SOLUSDT" in queries.selected_pairs(MarketType.SPOT)
    eventually(
        lambda: (
            db("SELECT count(*) FROM klines WHERE market = 'spot' AND symbol = 'SOLUSDT'")[0][0] > 0
        ),
        timeout=20,
    )
    at.run()
    table = next(d.value for d in at.dataframe if "symbol" in d.value.columns)
    assert "SOLUSDT" in set(table["symbol"])
    # the selection is a stored config version: it survives a restart
    assert db("SELECT count(*) FROM config_versions WHERE kind = 'pairs:spot'")[0][0] >= 1


def test_removing_a_pair_and_favourites(app_env):
    at = open_app(PAGE)
    current = queries.selected_pairs(MarketType.SPOT)
    assert "ETHUSDT" in current
    at.multiselect(key="pairs_picked").select("ETHUSDT").run()
    at.button(key="pairs_fav").click().run()
    assert favourites.favourites(MarketType.SPOT) == ["ETHUSDT"]
    at.multiselect(key="pairs_picked").select("ETHUSDT").run()
    at.button(key="pairs_remove").click().run()
    assert not at.exception
    assert "ETHUSDT" not in queries.selected_pairs(MarketType.SPOT)
    # a favourite that is not streamed is offered for one-click adding
    assert at.pills(key="pairs_quick_add").options == ["ETHUSDT"]
    at.pills(key="pairs_quick_add").set_value("ETHUSDT").run()
    assert "ETHUSDT" in queries.selected_pairs(MarketType.SPOT)


def test_a_refused_selection_shows_the_engines_reason(app_env, monkeypatch):
    at = open_app(PAGE)
    # every symbol in the picker is listed, so a refusal needs the market to be unavailable
    monkeypatch.setitem(
        next(c for c in queries.get_engine().components if c.name == "market-data").unavailable,
        MarketType.SPOT,
        "maintenance (test)",
    )
    at.selectbox(key="pairs_add_symbol").select("XRPUSDT").run()
    button(at, "Add pair").click()
    at.run()
    assert any("maintenance (test)" in e.value for e in at.error)


def test_an_unavailable_market_says_why(app_env):
    at = open_app(PAGE)
    at.segmented_control(key="pairs_market").set_value("futures").run()
    reason = queries.market_unavailable(MarketType.FUTURES)
    if reason is None:  # the simulator serves futures: the page lists them instead
        assert at.selectbox(key="pairs_add_symbol").options
    else:
        assert any(reason in w.value for w in at.warning)
