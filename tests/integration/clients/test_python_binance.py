"""python-binance, unchanged apart from its URLs (every one of them on the simulator), reaches
the endpoints clients call: spot trades, UI klines, rolling tickers, commission, order usage,
cancel-replace, OCO; the /sapi helpers; USD-M book, tape, price klines, funding, brackets (one
object per symbol, numbers), hedge mode, batches, amend, the v3 account."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal as D

import pytest
from binance.exceptions import BinanceAPIException

from simulator.spot.symbols import DEFAULT_SYMBOLS
from tests.integration.sim_support import (
    advance,
    async_client_class,
    client_class,
    control,
    socket_manager_class,
    start_sim,
)


@pytest.fixture(scope="module")
def sim():
    thread = start_sim(symbols=DEFAULT_SYMBOLS[:2])
    advance(thread, 5_000)
    yield thread
    thread.stop()


@pytest.fixture
def client(sim):
    control(sim, "POST", "/_sim/reset")
    c = client_class(sim.urls)(sim.api_key.key, sim.api_key.secret)  # it pings: the simulator
    c.timestamp_offset = c.get_server_time()["serverTime"] - int(time.time() * 1000)
    yield c
    c.close_connection()


def test_every_url_of_the_client_is_the_simulators(sim, client):
    urls = {n: getattr(client, n) for n in dir(client) if n.endswith("_URL")}
    assert urls and all(u.startswith((sim.urls.base_url, sim.urls.ws_base)) for u in urls.values())


def test_spot_market_data_endpoints(client):
    agg = client.get_aggregate_trades(symbol="BTCUSDT", limit=3)
    assert len(agg) == 3 and {"a", "p", "q", "f", "l", "T", "m", "M"} <= set(agg[0])
    assert client.get_historical_trades(symbol="BTCUSDT", limit=2)[0]["id"] > 0
    assert client.get_ui_klines(symbol="BTCUSDT", interval="1m", limit=2) == client.get_klines(
        symbol="BTCUSDT", interval="1m", limit=2
    )
    window = client._get("ticker", data={"symbol": "BTCUSDT", "windowSize": "1h"})
    assert window["symbol"] == "BTCUSDT" and window["closeTime"] - window["openTime"] == 3_600_000
    with pytest.raises(BinanceAPIException) as e:
        client._get("ticker", data={"symbol": "BTCUSDT", "windowSize": "9w"})
    assert e.value.code == -1130


def test_spot_account_endpoints_and_sapi_helpers(client):
    commission = client._get("account/commission", True, data={"symbol": "BTCUSDT"})
    assert commission["standardCommission"]["taker"] == "0.00100000"
    client.order_market_buy(symbol="BTCUSDT", quantity="0.001")
    usage = client._get("rateLimit/order", True, data={})
    assert [(u["interval"], u["count"]) for u in usage] == [("SECOND", 1), ("DAY", 1)]
    assert client.get_system_status() == {"status": 0, "msg": "normal"}
    assert client.get_account_status() == {"data": "Normal"}
    assert client.get_account_api_trading_status()["data"]["isLocked"] is False
    restrictions = client.get_account_api_permissions()
    assert restrictions["enableReading"] and restrictions["enableSpotAndMarginTrading"]
    assert restrictions["enableFutures"] and not restrictions["enableWithdrawals"]
    assert restrictions["ipRestrict"] is True and isinstance(restrictions["createTime"], int)
    assert client.get_trade_fee(symbol="BTCUSDT") == [
        {"symbol": "BTCUSDT", "makerCommission": "0.001", "takerCommission": "0.001"}
    ]
    assert client.get_asset_details()["BTC"]["depositStatus"] is True
    with pytest.raises(BinanceAPIException) as e:
        client.get_margin_account()
    assert e.value.code == -3003  # no margin account


def test_cancel_replace_swaps_a_resting_order(client):
    first = client.order_limit_buy(symbol="BTCUSDT", quantity="0.001", price="50000")
    swapped = client.cancel_replace_order(
        symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.002",
        price="50100", cancelReplaceMode="STOP_ON_FAILURE", cancelOrderId=first["orderId"],
    )  # fmt: skip
    assert swapped["cancelResult"] == "SUCCESS" and swapped["newOrderResult"] == "SUCCESS"
    assert swapped["cancelResponse"]["status"] == "CANCELED"
    assert swapped["newOrderResponse"]["origQty"] == "0.00200000"
    with pytest.raises(BinanceAPIException) as e:
        client.cancel_replace_order(
            symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.002",
            price="50100", cancelReplaceMode="STOP_ON_FAILURE", cancelOrderId=first["orderId"],
        )  # fmt: skip
    assert (e.value.status_code, e.value.code) == (400, -2022)


def test_an_oco_through_python_binance(client):
    last = D(client.get_symbol_ticker(symbol="BTCUSDT")["price"])
    placed = client.create_oco_order(
        symbol="BTCUSDT", side="SELL", quantity="0.01",
        aboveType="LIMIT_MAKER", abovePrice=str((last * D("1.05")).quantize(D("0.01"))),
        belowType="STOP_LOSS_LIMIT", belowStopPrice=str((last * D("0.95")).quantize(D("0.01"))),
        belowPrice=str((last * D("0.94")).quantize(D("0.01"))), belowTimeInForce="GTC",
    )  # fmt: skip
    assert placed["contingencyType"] == "OCO" and placed["listOrderStatus"] == "EXECUTING"
    assert client.response.headers["X-MBX-ORDER-COUNT-10S"] == "2"  # two orders placed
    assert [r["type"] for r in placed["orderReports"]] == ["STOP_LOSS_LIMIT", "LIMIT_MAKER"]
    assert [o["orderListId"] for o in client.get_open_oco_orders()] == [placed["orderListId"]]
    assert client.get_asset_balance("BTC")["locked"] == "0.01000000"  # locked once, not twice


def test_usdm_market_data_endpoints(client):
    depth = client.futures_order_book(symbol="BTCUSDT", limit=5)
    assert len(depth["bids"]) == 5 and depth["lastUpdateId"] > 0 and "T" in depth
    assert client.futures_recent_trades(symbol="BTCUSDT", limit=3)
    assert client.futures_aggregate_trades(symbol="BTCUSDT", limit=3)[0]["a"] > 0
    mark = client.futures_mark_price_klines(symbol="BTCUSDT", interval="1m", limit=2)
    assert len(mark) == 2 and len(mark[0]) == 12
    assert client.futures_index_price_klines(pair="BTCUSDT", interval="1m", limit=2)
    assert client.futures_premium_index_klines(symbol="BTCUSDT", interval="1m", limit=2)
    history = client.futures_funding_rate(symbol="BTCUSDT", limit=3)
    assert len(history) == 3 and history[0]["fundingTime"] % (8 * 3_600_000) == 0
    assert client.futures_symbol_ticker(symbol="BTCUSDT")["symbol"] == "BTCUSDT"
    top = client.futures_orderbook_ticker(symbol="BTCUSDT")
    assert D(top["bidPrice"]) < D(top["askPrice"]) and top["lastUpdateId"] > 0
    assert D(client.futures_open_interest(symbol="BTCUSDT")["openInterest"]) > 0
    assert client._request_futures_api("get", "fundingInfo")[0]["fundingIntervalHours"] == 8


def test_leverage_brackets_are_numbers_and_one_object_per_symbol(client):
    every = client.futures_leverage_bracket()
    assert isinstance(every, list) and len(every) == 2
    one = client.futures_leverage_bracket(symbol="BTCUSDT")
    assert isinstance(one, dict) and one["symbol"] == "BTCUSDT"
    first = one["brackets"][0]
    assert first == {
        "bracket": 1, "initialLeverage": 125, "notionalCap": 50000, "notionalFloor": 0,
        "maintMarginRatio": 0.004, "cum": 0,
    }  # fmt: skip


def test_usdm_accounts_v2_and_v3(client):
    client.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01")
    v2 = client.futures_account(version=2)
    assert v2["feeBurn"] is False and "canTrade" in v2 and len(v2["positions"]) == 2
    v3 = client.futures_account(version=3)
    assert "canTrade" not in v3 and "feeTier" not in v3
    (position,) = v3["positions"]
    assert position["positionAmt"] == "0.01" and "isolatedMargin" in position
    assert "leverage" not in position


def test_hedge_mode_batches_amend_and_countdown(client):
    assert client.futures_get_position_mode() == {"dualSidePosition": False}
    client.futures_change_position_mode(dualSidePosition="true")
    with pytest.raises(BinanceAPIException) as e:
        client.futures_change_position_mode(dualSidePosition="true")
    assert e.value.code == -4059
    placed = client.futures_place_batch_order(
        batchOrders=[
            {"symbol": "BTCUSDT", "side": "BUY", "positionSide": "LONG", "type": "LIMIT",
             "timeInForce": "GTC", "quantity": "0.01", "price": "80000"},
            {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
             "quantity": "0.01", "price": "80000"},
        ]
    )  # fmt: skip
    assert placed[0]["positionSide"] == "LONG" and placed[1]["code"] == -4061
    amended = client.futures_modify_order(
        symbol="BTCUSDT", orderId=placed[0]["orderId"], side="BUY", quantity="0.02", price="80100"
    )
    assert (amended["origQty"], amended["price"]) == ("0.02", "80100")
    assert client.futures_get_order(symbol="BTCUSDT", orderId=placed[0]["orderId"])["price"] == (
        "80100"
    )
    canceled = client.futures_cancel_orders(symbol="BTCUSDT", orderIdList=[placed[0]["orderId"]])
    assert canceled[0]["status"] == "CANCELED"
    assert client.futures_countdown_cancel_all(symbol="BTCUSDT", countdownTime=60_000) == {
        "symbol": "BTCUSDT",
        "countdownTime": "60000",
    }


def test_python_binances_book_and_tape_sockets_reach_the_streams(sim):
    """`depth_socket` (spot diff depth) and `futures_depth_socket` (on /fstream/public), as the
    socket manager builds their URLs, carry the simulator's book; the tape sockets its trades."""

    async def scenario() -> dict[str, dict]:
        client = async_client_class(sim.urls)(sim.api_key.key, sim.api_key.secret)
        manager = socket_manager_class(sim.urls)(client)
        got: dict[str, dict] = {}
        sockets = {
            "spot depth": manager.depth_socket("BTCUSDT", interval=100),
            "spot partial": manager.depth_socket("BTCUSDT", depth="5"),
            "usdm depth": manager.futures_depth_socket("BTCUSDT", depth="10"),
            "usdm aggTrade": manager.aggtrade_futures_socket("BTCUSDT"),
        }
        try:
            for name, socket in sockets.items():
                socket.TIMEOUT = 0.1  # its exit waits for the read loop's recv timeout (10 s)
                async with socket as stream:
                    for _ in range(3):
                        await asyncio.to_thread(advance, sim, 1_000)
                        try:
                            got[name] = await asyncio.wait_for(stream.recv(), 2)
                            break
                        except TimeoutError:
                            continue
        finally:
            await client.close_connection()
        return got

    got = asyncio.run(scenario())
    assert (
        got["spot depth"]["e"] == "depthUpdate" and got["spot depth"]["u"] >= got["spot depth"]["U"]
    )
    assert len(got["spot partial"]["bids"]) == 5
    usdm = got["usdm depth"]
    usdm = usdm.get("data", usdm)
    assert usdm["e"] == "depthUpdate" and "pu" in usdm and len(usdm["b"]) == 10
    trade = got["usdm aggTrade"]
    assert trade.get("data", trade)["e"] == "aggTrade"
