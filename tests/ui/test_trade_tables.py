"""The Trade and Portfolio pages as a trader reads them (issue 19 defect 2 and the walkthrough's
#11, #16, #17, #18, #19, #24)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app import queries
from app.runtime import get_runtime
from engine.commands import PlaceOrder
from engine.models import MarketType, OrderType, Side, TimeInForce
from tests.helpers import eventually
from tests.ui.conftest import open_app
from tests.ui.desk_fixtures import act, db, shown

TRADE = "app_pages/orders.py"


def order(market: str, side: str, kind: str, qty: str, **fields) -> str:
    prices = {k: Decimal(str(v)).quantize(Decimal("0.1")) for k, v in fields.items()
              if k in ("price", "stop_price")}  # fmt: skip
    if OrderType(kind).has_limit_price:
        prices["time_in_force"] = TimeInForce.GTC
    reply = act(PlaceOrder(actor="local", market=MarketType(market), symbol="BTCUSDT",
                           side=Side(side), order_type=OrderType(kind), quantity=Decimal(qty),
                           reduce_only=bool(fields.get("reduce_only")), **prices))  # fmt: skip
    return reply.data["client_order_id"]


def futures_open(client_ids: set[str]) -> set[str]:
    rest = get_runtime().engine
    with rest.store.reader() as cur:
        rows = cur.execute(
            "SELECT client_order_id FROM orders WHERE market = 'futures' AND status = 'NEW'"
        ).fetchall()
    return {cid for (cid,) in rows} & client_ids


def price(market: MarketType) -> float:
    return eventually(lambda: queries.last_price(market, "BTCUSDT"), timeout=20)


@pytest.fixture
def futures_desk(app_env):
    open_app()
    if queries.market_unavailable(MarketType.FUTURES) is not None:
        pytest.skip("the simulator serves no futures here")
    return price(MarketType.FUTURES)


def test_futures_cancel_all_cancels_plain_and_conditional_orders_in_words(futures_desk):
    """Defect 2: `Refused (binance.0): ... <bound method ClientResponse.text ...>`."""
    mark = futures_desk
    ids = {order("futures", "BUY", "LIMIT", "0.002", price=mark * 0.8),
           order("futures", "BUY", "STOP_MARKET", "0.002", stop_price=mark * 1.3)}  # fmt: skip
    at = open_app(TRADE)
    at.segmented_control(key="trade_market").set_value("futures").run()
    at.button(key="cancel_all").click().run()
    at.button(key="cancel_all_yes").click().run()
    said = [shown(m.value) for m in (*at.success, *at.error, *at.warning)]
    assert any("Cancel-all done: the exchange shows no open futures orders on BTCUSDT" in s
               for s in said), said  # fmt: skip
    assert not any("<" in s or "binance.0" in s for s in said), said
    eventually(lambda: not futures_open(ids))


def test_open_orders_show_triggers_and_the_history_reads_as_a_trader_writes(app_env):
    open_app()
    last = price(MarketType.SPOT)
    order("spot", "BUY", "STOP_LIMIT", "0.001", stop_price=last * 1.3, price=last * 1.31)
    order("spot", "BUY", "MARKET", "0.001")
    eventually(lambda: db("SELECT count(*) FROM orders WHERE status IN ('NEW', 'FILLED')")[0][0]
               == 2)  # fmt: skip
    at = open_app(TRADE)
    cells = [shown(m.value) for m in at.markdown]
    trigger = f"{Decimal(str(last * 1.3)).quantize(Decimal('0.1')):,.2f}"
    limit = f"{Decimal(str(last * 1.31)).quantize(Decimal('0.1')):,.2f}"
    assert trigger in cells and limit in cells, cells  # walkthrough #16: both, each in its column
    history = next(d.value for d in at.dataframe if "Time in force" in d.value.columns)
    assert list(history.columns[:8]) == [
        "Time", "Symbol", "Market", "Side", "Type", "Status", "Price (USDT)", "Trigger (USDT)"
    ]  # fmt: skip
    market = history[history["Type"] == "market"].iloc[0]
    assert (market["Time in force"], market["Price (USDT)"]) == ("—", "market")  # #17
    assert market["Avg price (USDT)"] not in ("—", "") and market["Status"] == "filled"
    table = history.astype(str).to_numpy().ravel().tolist()
    assert not [c for c in table if c in ("None", "nan", "NaT") or c.startswith("td-")]
    fills = next(d.value for d in at.dataframe if "Maker/taker" in d.value.columns)
    assert "client_order_id" not in fills.columns and fills.iloc[0]["Side"] == "BUY"


def test_a_cancel_says_what_was_cancelled_not_its_internal_id(app_env):
    open_app()
    cid = order("spot", "BUY", "LIMIT", "0.001", price=price(MarketType.SPOT) * 0.8)
    at = open_app(TRADE)
    at.button(key=f"cancel_{cid}").click().run()
    (said,) = [shown(s.value) for s in at.success]
    assert said.startswith("Cancelled BUY 0.001 BTCUSDT LIMIT at ") and "td-" not in said


def preview_price(at) -> str:
    (table,) = [m.value for m in at.markdown if "As the exchange will take it" in m.value]
    return next(line for line in table.splitlines() if line.startswith("| Price |")).split("|")[2]


def test_the_limit_price_follows_the_market_until_the_trader_types(app_env):
    """Walkthrough #19: the box kept the price of the first render, so an unedited limit BUY
    landed above the market. Empty, the price is the last price, shown as the box's placeholder
    (a refresh never overwrites what is being typed) and used in the order."""
    open_app()
    price(MarketType.SPOT)
    at = open_app(TRADE)
    k = "ticket_spot_BTCUSDT"
    at.selectbox(key=f"{k}_type").select("LIMIT").run()
    at.text_input(key=f"{k}_qty").input("0.001").run()

    def shown_price() -> str:
        box = at.text_input(key=f"{k}_price")
        assert box.value == "" and box.placeholder.endswith(" (last price)")
        last = box.placeholder.removesuffix(" (last price)")
        assert preview_price(at).strip() == last  # the order goes at the price shown
        return last

    first = shown_price()

    def moved() -> str | None:
        at.run()
        now = shown_price()
        return now if now != first else None

    eventually(moved, timeout=30, interval=0.5)
    typed_at = at.text_input(key=f"{k}_price").placeholder
    at.text_input(key=f"{k}_price").input("1234.5").run()

    def market_moved_on() -> bool:  # what was typed stays, and is what is sent
        at.run()
        return at.text_input(key=f"{k}_price").placeholder != typed_at

    eventually(market_moved_on, timeout=30, interval=0.5, what="the last price to change")
    assert at.text_input(key=f"{k}_price").value == "1234.5"
    assert preview_price(at).strip() == "1,234.50"


def test_closing_a_position_offers_to_cancel_its_reduce_only_orders(futures_desk):
    """Walkthrough #11: the reduce-only order stayed open with nothing left to reduce."""
    mark = futures_desk
    order("futures", "BUY", "MARKET", "0.01")
    eventually(lambda: db("SELECT 1 FROM positions WHERE symbol = 'BTCUSDT' AND amount > 0"))
    cid = order("futures", "SELL", "LIMIT", "0.005", price=mark * 1.5, reduce_only=True)
    eventually(lambda: futures_open({cid}))
    at = open_app("app_pages/portfolio.py")
    at.button(key="close_BTCUSDT").click().run()
    box = at.checkbox(key="close_cancel_reduce_only")
    assert box.value and "1 reduce-only order" in box.label
    at.button(key="close_yes").click().run()
    said = [shown(s.value) for s in at.success]
    assert said and "1 reduce-only order cancelled" in said[0], said
    eventually(lambda: not futures_open({cid}))


def test_removing_a_pair_with_holdings_or_open_orders_warns_first(app_env):
    open_app()
    order("spot", "BUY", "LIMIT", "0.001", price=price(MarketType.SPOT) * 0.8)
    at = open_app("app_pages/pairs.py")
    at.multiselect(key="pairs_picked").select("BTCUSDT").run()
    at.button(key="pairs_remove").click().run()
    (warning,) = [shown(w.value) for w in at.warning]
    assert "BTCUSDT: 1 open order" in warning and "Remove anyway?" in warning
    assert "BTCUSDT" in queries.selected_pairs(MarketType.SPOT)
    at.button(key="pairs_remove_no").click().run()
    assert "BTCUSDT" in queries.selected_pairs(MarketType.SPOT)
    at.multiselect(key="pairs_picked").select("BTCUSDT").run()
    at.button(key="pairs_remove").click().run()
    at.button(key="pairs_remove_yes").click().run()
    assert "BTCUSDT" not in queries.selected_pairs(MarketType.SPOT)
