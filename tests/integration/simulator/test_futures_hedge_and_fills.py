"""USD-M hedge mode (positions per side, Binance's errors for a wrong side) and how orders fill:
takers walk the perpetual's book (slippage grows with size), resting LIMITs fill against the
volume the path trades (partially, over several steps)."""

from __future__ import annotations

import time
from decimal import Decimal as D

import pytest
from binance.exceptions import BinanceAPIException

from simulator.spot.symbols import DEFAULT_SYMBOLS
from tests.integration.sim_support import advance, client_class, control, start_sim


@pytest.fixture(scope="module")
def sim():
    thread = start_sim(symbols=DEFAULT_SYMBOLS[:2])
    yield thread
    thread.stop()


@pytest.fixture
def client(sim):
    control(sim, "POST", "/_sim/reset")
    control(sim, "POST", "/_sim/futures/balance", {"amount": "1000000"})
    c = client_class(sim.urls)(sim.api_key.key, sim.api_key.secret, ping=False)
    sync(c)
    return c


def sync(c) -> None:
    c.timestamp_offset = c.futures_time()["serverTime"] - int(time.time() * 1000)


def order(c, **params):
    return c.futures_create_order(symbol="ETHUSDT", newOrderRespType="RESULT", **params)


def test_hedge_mode_keeps_a_long_and_a_short_and_refuses_a_wrong_side(client):
    with pytest.raises(BinanceAPIException) as e:  # one-way mode: no LONG / SHORT
        order(client, side="BUY", positionSide="LONG", type="MARKET", quantity="1")
    assert e.value.code == -4061
    client.futures_change_position_mode(dualSidePosition="true")
    for bad, code in (({}, -4061), ({"positionSide": "BOTH"}, -4061),
                      ({"positionSide": "UP"}, -4060),
                      ({"positionSide": "LONG", "reduceOnly": "true"}, -1106)):  # fmt: skip
        with pytest.raises(BinanceAPIException) as e:
            order(client, side="BUY", type="MARKET", quantity="1", **bad)
        assert e.value.code == code, bad
    order(client, side="BUY", positionSide="LONG", type="MARKET", quantity="2")
    order(client, side="SELL", positionSide="SHORT", type="MARKET", quantity="1")
    sides = {
        p["positionSide"]: p["positionAmt"]
        for p in client.futures_position_information(symbol="ETHUSDT")
    }
    assert sides == {"LONG": "2", "SHORT": "-1"}
    with pytest.raises(BinanceAPIException) as e:  # closing more than the side holds
        order(client, side="SELL", positionSide="LONG", type="MARKET", quantity="3")
    assert e.value.code == -2022
    with pytest.raises(BinanceAPIException) as e:  # no mode change with positions open
        client.futures_change_position_mode(dualSidePosition="false")
    assert e.value.code == -4068
    closed = order(client, side="SELL", positionSide="LONG", type="MARKET", quantity="2")
    assert closed["status"] == "FILLED" and closed["positionSide"] == "LONG"
    (short,) = [
        p for p in client.futures_account(version=3)["positions"] if p["positionAmt"] != "0"
    ]
    assert (short["positionSide"], short["positionAmt"]) == ("SHORT", "-1")
    trades = client.futures_account_trades(symbol="ETHUSDT")
    assert [t["positionSide"] for t in trades][-1] == "LONG"


def test_a_large_market_order_walks_the_book_and_slips(client):
    book = client.futures_order_book(symbol="ETHUSDT", limit=1000)
    asks = [(D(p), D(q)) for p, q in book["asks"]]
    size = sum(q for _, q in asks[:5])  # five levels' worth
    half = (asks[0][1] / 2).quantize(D("0.001"), rounding="ROUND_DOWN")
    small = order(client, side="BUY", type="MARKET", quantity=str(half))
    assert D(small["avgPrice"]) == asks[0][0]  # half the touch: at the touch
    sync(client)
    big = order(client, side="BUY", type="MARKET", quantity=str(size))
    assert big["status"] == "FILLED" and D(big["avgPrice"]) > asks[0][0]
    trades = [t for t in client.futures_account_trades(symbol="ETHUSDT") if t["orderId"] ==
              big["orderId"]]  # fmt: skip
    assert len(trades) >= 5  # one trade per level it took
    after = client.futures_order_book(symbol="ETHUSDT", limit=5)
    assert D(after["asks"][0][0]) > asks[0][0]  # what it took is gone from the book
    assert after["lastUpdateId"] > book["lastUpdateId"]


def test_a_large_resting_order_fills_over_several_steps_of_volume(sim, client):
    bid = D(client.futures_order_book(symbol="ETHUSDT", limit=5)["bids"][0][0])
    big = order(client, side="BUY", type="LIMIT", timeInForce="GTC", quantity="5000",
                price=str(bid + D("0.01")))  # fmt: skip
    assert big["status"] == "NEW"  # below the ask: it rests
    seen = []
    for _ in range(60):
        advance(sim, 1_000)
        sync(client)
        now = client.futures_get_order(symbol="ETHUSDT", orderId=big["orderId"])
        seen.append(D(now["executedQty"]))
        if now["status"] == "FILLED":
            break
    filled = sorted(set(seen))
    assert any(0 < q < 5000 for q in filled), (
        f"it should fill in part before all of it: executed {filled} at {bid + D('0.01')}, "
        f"book now {client.futures_order_book(symbol='ETHUSDT', limit=1)}"
    )
    assert seen == sorted(seen)


def test_the_countdown_cancels_open_orders_and_algo_orders_cancel_all(sim, client):
    resting = order(client, side="BUY", type="LIMIT", timeInForce="GTC", quantity="1",
                    price="1000")  # fmt: skip
    client.futures_countdown_cancel_all(symbol="ETHUSDT", countdownTime=2_000)
    advance(sim, 1_000)
    sync(client)
    assert client.futures_get_order(symbol="ETHUSDT", orderId=resting["orderId"])["status"] == "NEW"
    advance(sim, 1_500)
    sync(client)
    assert client.futures_get_order(symbol="ETHUSDT", orderId=resting["orderId"])["status"] == (
        "CANCELED"
    )
    algo = client.futures_create_algo_order(
        symbol="ETHUSDT", side="SELL", type="STOP_MARKET", quantity="1", triggerPrice="1000",
        algoType="CONDITIONAL",
    )  # fmt: skip
    done = client._request_futures_api("delete", "algoOpenOrders", True, data={"symbol": "ETHUSDT"})
    assert done["code"] == 200
    (row,) = client._request_futures_api("get", "allAlgoOrders", True, data={"symbol": "ETHUSDT"})
    assert (row["algoId"], row["algoStatus"]) == (algo["algoId"], "CANCELED")
