import pytest

from app import account_queries, queries
from engine.models import MarketType
from tests.helpers import eventually
from tests.ui.conftest import open_app
from tests.ui.desk_fixtures import button, db

K = "ticket_futures_BTCUSDT"


def test_a_futures_position_opens_at_the_tickets_leverage_and_closes_in_one_confirmed_click(
    app_env,
):
    trade = open_app("app_pages/orders.py")
    if (reason := queries.market_unavailable(MarketType.FUTURES)) is not None:
        pytest.skip(f"the simulator serves no futures here: {reason}")
    trade.segmented_control(key="trade_market").set_value("futures").run()
    eventually(lambda: queries.last_price(MarketType.FUTURES, "BTCUSDT"), timeout=20)
    trade.run()
    trade.selectbox(key=f"{K}_type").select("MARKET").run()
    trade.text_input(key=f"{K}_qty").input(str(0.01)).run()
    trade.number_input(key=f"{K}_leverage").set_value(5).run()
    assert any("Initial margin" in m.value for m in trade.markdown)
    button(trade, "Buy BTCUSDT").click()
    trade.run()
    assert not trade.exception
    assert any("BUY" in s.value for s in trade.success), [e.value for e in trade.error]
    eventually(lambda: db("SELECT amount, leverage FROM positions WHERE symbol = 'BTCUSDT'"))
    assert account_queries.current_leverage("BTCUSDT") == 5

    portfolio = open_app("app_pages/portfolio.py")
    positions = next(d.value for d in portfolio.dataframe if "Symbol" in d.value.columns)
    # Issue 19 defect 6: the liquidation price is among the first columns, never `None`.
    assert list(positions.columns[:6]) == [
        "Symbol",
        "Side",
        "Size (BTC)",
        "Entry (USDT)",
        "Mark (USDT)",
        "Liquidation (USDT)",
    ]
    row = positions.iloc[0]
    assert (row["Symbol"], row["Size (BTC)"], row["Leverage"]) == ("BTCUSDT", "0.010", "5x")
    assert row["Margin mode"] == "cross"
    assert "None" not in positions.astype(str).to_numpy().ravel().tolist()
    liquidation = row["Liquidation (USDT)"]
    assert liquidation == "— none: the wallet covers it" or float(liquidation.replace(",", ""))
    portfolio.button(key="close_BTCUSDT").click().run()
    assert any("Close the whole BTCUSDT position" in w.value for w in portfolio.warning)
    portfolio.button(key="close_yes").click().run()
    assert not [e.value for e in portfolio.error if e.value.startswith("Refused")]
    eventually(lambda: not db("SELECT 1 FROM positions WHERE symbol = 'BTCUSDT' AND amount <> 0"))
