"""The spot simulator's REST API driven by python-binance's Client over real loopback HTTP."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from binance.exceptions import BinanceAPIException

from tests.integration.sim_support import (
    advance,
    client_class,
    control,
    raw_signed,
    start_sim,
    synced_client,
)

D = Decimal
REQUIRED_FILTERS = {
    "PRICE_FILTER",
    "LOT_SIZE",
    "MARKET_LOT_SIZE",
    "NOTIONAL",
    "PERCENT_PRICE_BY_SIDE",
    "MAX_NUM_ORDERS",
}


@pytest.fixture(scope="module")
def sim():
    thread = start_sim()
    yield thread
    thread.stop()


@pytest.fixture
def client(sim):
    control(sim, "POST", "/_sim/reset")
    c = synced_client(sim)
    yield c
    c.close_connection()


def api_error(call, *args, **kwargs) -> BinanceAPIException:
    with pytest.raises(BinanceAPIException) as e:
        call(*args, **kwargs)
    return e.value


def price_of(client, symbol="BTCUSDT") -> Decimal:
    return D(client.get_symbol_ticker(symbol=symbol)["price"])


# ---- market data ------------------------------------------------------------------------------
def test_ping_time_and_exchange_info(client):
    assert client.ping() == {}
    assert abs(client.get_server_time()["serverTime"] - time.time() * 1000) < 120_000
    info = client.get_exchange_info()
    usdt = [s for s in info["symbols"] if s["quoteAsset"] == "USDT"]
    assert len(usdt) >= 8
    for symbol in usdt:
        assert {f["filterType"] for f in symbol["filters"]} >= REQUIRED_FILTERS
    assert {r["rateLimitType"] for r in info["rateLimits"]} >= {"REQUEST_WEIGHT", "ORDERS"}
    btc = {f["filterType"]: f for f in client.get_symbol_info("BTCUSDT")["filters"]}
    assert btc["PRICE_FILTER"]["tickSize"] == "0.01000000"  # as Binance recorded it
    assert btc["LOT_SIZE"]["stepSize"] == "0.00001000"
    one = client._get("exchangeInfo", data={"symbol": "ETHUSDT"})
    assert [s["symbol"] for s in one["symbols"]] == ["ETHUSDT"]


def test_depth_is_a_sorted_book_around_the_last_price(client):
    book = client.get_order_book(symbol="BTCUSDT", limit=5)
    bids = [D(p) for p, _ in book["bids"]]
    asks = [D(p) for p, _ in book["asks"]]
    assert len(bids) == len(asks) == 5
    assert bids == sorted(bids, reverse=True) and asks == sorted(asks)
    assert bids[0] < price_of(client) < asks[0]
    assert all(D(q) > 0 for _, q in book["bids"] + book["asks"])


def test_trades_klines_and_tickers(client, sim):
    trades = client.get_recent_trades(symbol="ETHUSDT", limit=7)
    assert len(trades) == 7 and {"id", "price", "qty", "time", "isBuyerMaker"} <= set(trades[0])
    klines = client.get_klines(symbol="BTCUSDT", interval="5m", limit=3)
    assert len(klines) == 3 and all(len(k) == 12 for k in klines)
    assert klines[1][0] - klines[0][0] == 300_000
    for k in klines:
        assert D(k[3]) <= min(D(k[1]), D(k[4])) <= max(D(k[1]), D(k[4])) <= D(k[2])
    ticker = client.get_ticker(symbol="BTCUSDT")
    assert D(ticker["lastPrice"]) == price_of(client)
    assert D(ticker["lowPrice"]) <= D(ticker["lastPrice"]) <= D(ticker["highPrice"])
    assert len(client.get_ticker()) == len(client.get_exchange_info()["symbols"])
    assert len(client.get_all_tickers()) >= 8
    book = client.get_orderbook_ticker(symbol="BTCUSDT")
    assert D(book["bidPrice"]) < D(book["askPrice"])
    avg = client.get_avg_price(symbol="BTCUSDT")
    assert avg["mins"] == 5 and abs(D(avg["price"]) / price_of(client) - 1) < D("0.05")
    before = client.get_klines(symbol="BTCUSDT", interval="1m", limit=1)[0][0]
    advance(sim, 120_000)
    assert client.get_klines(symbol="BTCUSDT", interval="1m", limit=1)[0][0] == before + 120_000


@pytest.mark.parametrize(
    ("kwargs", "code", "msg"),
    [
        ({"symbol": "NOPEUSDT", "interval": "1m"}, -1121, "Invalid symbol."),
        ({"symbol": "BTCUSDT", "interval": "7m"}, -1120, "Invalid interval."),
        (
            {"symbol": "BTCUSDT"},
            -1102,
            "Mandatory parameter 'interval' was not sent, was empty/null, or malformed.",
        ),
    ],
)
def test_bad_market_data_requests(client, kwargs, code, msg):
    e = api_error(client.get_klines, **kwargs)
    assert (e.status_code, e.code, e.message) == (400, code, msg)


# ---- orders -----------------------------------------------------------------------------------
def test_market_order_full_response_and_fees_in_balances(client):
    order = client.create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.05")
    assert order["status"] == "FILLED" and order["fills"]
    fee = sum(D(f["commission"]) for f in order["fills"])
    assert fee == D("0.00005") and {f["commissionAsset"] for f in order["fills"]} == {"BTC"}
    balances = {b["asset"]: b for b in client.get_account()["balances"]}
    assert D(balances["BTC"]["free"]) == D(1) + D("0.05") - fee
    assert D(balances["USDT"]["free"]) == D(100000) - D(order["cummulativeQuoteQty"])
    sell = client.create_order(symbol="BTCUSDT", side="SELL", type="MARKET", quoteOrderQty="500")
    assert sell["status"] == "FILLED" and D(sell["cummulativeQuoteQty"]) <= D(500)
    assert {f["commissionAsset"] for f in sell["fills"]} == {"USDT"}


def test_response_types_ack_result_full(client):
    common = {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01"}
    ack = client.create_order(newOrderRespType="ACK", **common)
    assert set(ack) == {"symbol", "orderId", "orderListId", "clientOrderId", "transactTime"}
    result = client.create_order(newOrderRespType="RESULT", **common)
    assert result["status"] == "FILLED" and "fills" not in result
    assert "fills" in client.create_order(newOrderRespType="FULL", **common)


def test_limit_order_lifecycle_query_cancel_and_history(client):
    price = (price_of(client) * D("0.9")).quantize(D("0.01"))
    order = client.create_order(
        symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01",
        price=str(price), newClientOrderId="lifecycle-1",
    )  # fmt: skip
    assert order["status"] == "NEW" and order["clientOrderId"] == "lifecycle-1"
    usdt = {b["asset"]: b for b in client.get_account()["balances"]}["USDT"]
    assert D(usdt["locked"]) == price * D("0.01")
    by_id = client.get_order(symbol="BTCUSDT", orderId=order["orderId"])
    by_cid = client.get_order(symbol="BTCUSDT", origClientOrderId="lifecycle-1")
    assert by_id == by_cid and by_id["isWorking"] is True
    assert [o["orderId"] for o in client.get_open_orders(symbol="BTCUSDT")] == [order["orderId"]]
    canceled = client.cancel_order(symbol="BTCUSDT", origClientOrderId="lifecycle-1")
    assert canceled["status"] == "CANCELED" and canceled["origClientOrderId"] == "lifecycle-1"
    assert client.get_open_orders() == []
    history = client.get_all_orders(symbol="BTCUSDT")
    assert [(o["orderId"], o["status"]) for o in history] == [(order["orderId"], "CANCELED")]
    e = api_error(client.get_order, symbol="BTCUSDT", orderId=999999)
    assert (e.code, e.message) == (-2013, "Order does not exist.")
    e = api_error(client.cancel_order, symbol="BTCUSDT", orderId=order["orderId"])
    assert (e.code, e.message) == (-2011, "Unknown order sent.")


def test_cancel_all_open_orders_and_my_trades(client):
    low = (price_of(client) * D("0.8")).quantize(D("0.01"))
    for i in range(3):
        client.order_limit_buy(symbol="BTCUSDT", quantity="0.001", price=str(low - i))
    canceled = client._delete("openOrders", True, data={"symbol": "BTCUSDT"})
    assert [c["status"] for c in canceled] == ["CANCELED"] * 3
    assert client.get_open_orders(symbol="BTCUSDT") == []
    bought = client.order_market_buy(symbol="BTCUSDT", quantity="0.002")
    trades = client.get_my_trades(symbol="BTCUSDT")
    assert [t["id"] for t in trades] == [f["tradeId"] for f in bought["fills"]]
    assert all(t["isBuyer"] and not t["isMaker"] for t in trades)


def test_test_order_validates_without_placing(client):
    assert (
        client.create_test_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01") == {}
    )
    assert client.get_all_orders(symbol="BTCUSDT") == []
    e = api_error(client.create_test_order, symbol="BTCUSDT", side="BUY", type="MARKET",
                  quantity="0.000001")  # fmt: skip
    assert e.code == -1013


def test_duplicate_client_order_id_is_refused(client):
    price = str((price_of(client) * D("0.9")).quantize(D("0.01")))
    args = {"symbol": "BTCUSDT", "quantity": "0.001", "price": price, "newClientOrderId": "dup-1"}
    client.order_limit_buy(**args)
    e = api_error(client.order_limit_buy, **args)
    assert (e.status_code, e.code, e.message) == (400, -2010, "Duplicate order sent.")


def limit(client, **overrides):
    price = str((price_of(client) * D("0.99")).quantize(D("0.01")))
    args = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
            "quantity": "0.001", "price": price} | overrides  # fmt: skip
    if args["price"] == "above":  # a bit above the best ask
        args["price"] = str((price_of(client) * D("1.01")).quantize(D("0.01")))
    return api_error(client.create_order, **{k: v for k, v in args.items() if v is not None})


@pytest.mark.parametrize(
    ("overrides", "code", "msg"),
    [
        ({"price": "50000.005"}, -1013, "Filter failure: PRICE_FILTER"),
        ({"quantity": "0.000015"}, -1013, "Filter failure: LOT_SIZE"),
        ({"quantity": "0.000001"}, -1013, "Filter failure: LOT_SIZE"),
        ({"quantity": "0.00005"}, -1013, "Filter failure: NOTIONAL"),
        ({"price": "900000.00"}, -1013, "Filter failure: PERCENT_PRICE_BY_SIDE"),
        ({"type": "MARKET", "price": None, "timeInForce": None, "quantity": "150"}, -1013,
         "Filter failure: MARKET_LOT_SIZE"),
        ({"quantity": "5"}, -2010, "Account has insufficient balance for requested action."),
        ({"type": "LIMIT_MAKER", "timeInForce": None, "price": "above"}, -2010,
         "Order would immediately match and take."),
        ({"type": "STOP_LOSS_LIMIT", "stopPrice": "1.00"}, -2010,
         "Order would trigger immediately."),
        ({"side": "SIDEWAYS"}, -1117, "Invalid side."),
        ({"type": "ICEBERG"}, -1116, "Invalid orderType."),
        ({"timeInForce": "GTX"}, -1115, "Invalid timeInForce."),
        ({"timeInForce": None}, -1102,
         "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed."),
        ({"type": "MARKET", "price": None}, -1114,
         "TimeInForce parameter sent when not required."),
        ({"type": "MARKET", "timeInForce": None}, -1106,
         "Parameter 'price' sent when not required."),
        ({"quantity": "1e-3"}, -1100, "Illegal characters found in parameter 'quantity'; "
         "legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'."),
        ({"newClientOrderId": "bad id!"}, -1100, "Illegal characters found in parameter "
         "'newClientOrderId'; legal range is '^[a-zA-Z0-9-_]{1,36}$'."),
    ],
)  # fmt: skip
def test_every_order_refusal_has_binance_code_and_message(client, overrides, code, msg):
    e = limit(client, **overrides)
    assert (e.status_code, e.code, e.message) == (400, code, msg)
    assert client.get_open_orders() == []


# ---- authentication ---------------------------------------------------------------------------
def test_wrong_secret_gives_invalid_signature(sim):
    bad = client_class(sim.urls)(sim.api_key.key, "0" * 64)
    e = api_error(bad.get_account)
    assert (e.status_code, e.code, e.message) == (
        400,
        -1022,
        "Signature for this request is not valid.",
    )


def test_unknown_key_and_missing_key(sim):
    stranger = client_class(sim.urls)("A" * 64, sim.api_key.secret)
    e = api_error(stranger.get_account)
    assert (e.status_code, e.code) == (401, -2015)
    assert e.message == "Invalid API-key, IP, or permissions for action."
    response = raw_signed(sim, "GET", "/v3/account", "", key=None)
    assert response.status_code == 401
    assert response.json() == {"code": -2014, "msg": "API-key format invalid."}


def test_stale_and_future_timestamps(sim):
    client = synced_client(sim)
    client.timestamp_offset -= 20_000
    e = api_error(client.get_account)  # python-binance sends recvWindow=10000
    assert (e.code, e.message) == (
        -1021,
        "Timestamp for this request is outside of the recvWindow.",
    )
    client.timestamp_offset += 25_000
    e = api_error(client.get_account)
    assert (e.code, e.message) == (
        -1021,
        "Timestamp for this request was 1000ms ahead of the server's time.",
    )


def test_missing_timestamp_signature_and_oversized_recv_window(sim):
    no_ts = raw_signed(sim, "GET", "/v3/account", "", timestamp=False)
    assert no_ts.json() == {
        "code": -1102,
        "msg": "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.",
    }
    no_sig = raw_signed(sim, "GET", "/v3/account", "", signature=False)
    assert no_sig.json()["code"] == -1102 and "'signature'" in no_sig.json()["msg"]
    window = raw_signed(sim, "GET", "/v3/account", "recvWindow=60001")
    assert window.json() == {"code": -1131, "msg": "recvWindow must be less than 60000"}
    ok = raw_signed(sim, "GET", "/v3/account", "recvWindow=60000")
    assert ok.status_code == 200 and "balances" in ok.json()


def test_signature_over_query_and_body_together(sim):
    """Binance signs totalParams = query + body; a mixed request must verify."""
    import requests

    from tests.integration.sim_support import sign

    ts = requests.get(sim.urls.api_url + "/v3/time", timeout=5).json()["serverTime"]
    query = "symbol=BTCUSDT&side=BUY&type=MARKET"
    body = f"quantity=0.001&timestamp={ts}"
    signature = sign(sim.api_key.secret, query + body)
    response = requests.post(
        f"{sim.urls.api_url}/v3/order/test?{query}",
        data=f"{body}&signature={signature}",
        headers={"X-MBX-APIKEY": sim.api_key.key,
                 "Content-Type": "application/x-www-form-urlencoded"},
        timeout=5,
    )  # fmt: skip
    assert (response.status_code, response.json()) == (200, {})


def test_weight_and_order_count_headers(client):
    client.get_exchange_info()
    first = int(client.response.headers["X-MBX-USED-WEIGHT-1M"])
    client.get_exchange_info()
    assert int(client.response.headers["X-MBX-USED-WEIGHT-1M"]) == first + 20
    client.order_market_buy(symbol="BTCUSDT", quantity="0.001")
    headers = client.response.headers
    assert int(headers["X-MBX-ORDER-COUNT-10S"]) >= 1 and int(headers["X-MBX-ORDER-COUNT-1D"]) >= 1
