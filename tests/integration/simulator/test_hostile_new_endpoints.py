"""The same property as test_hostile_params.py for the endpoints issue 13 added (spot, order
lists, /sapi, USD-M, coin-M): hostile parameters get a Binance-style 4xx (or an answer), never
a 500 or a traceback, with a valid symbol often enough to reach the engines."""

from __future__ import annotations

import time
from urllib.parse import quote

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.spot.symbols import DEFAULT_SYMBOLS
from tests.integration.sim_support import sign, start_sim
from tests.integration.simulator.test_hostile_params import VALUES

ENDPOINTS = [
    *(("GET", f"/api/v3/{p}") for p in (
        "aggTrades", "historicalTrades", "uiKlines", "ticker", "account/commission",
        "rateLimit/order", "orderList", "allOrderList", "openOrderList")),
    *(("POST", f"/api/v3/{p}") for p in (
        "order/cancelReplace", "orderList/oco", "orderList/oto", "orderList/otoco")),
    ("DELETE", "/api/v3/orderList"),
    *(("GET", f"/sapi/v1/{p}") for p in (
        "system/status", "account/status", "account/apiTradingStatus", "account/apiRestrictions",
        "asset/tradeFee", "asset/assetDetail", "capital/config/getall", "margin/allPairs")),
    *(("GET", f"/fapi/v1/{p}") for p in (
        "depth", "trades", "historicalTrades", "aggTrades", "markPriceKlines", "indexPriceKlines",
        "premiumIndexKlines", "fundingRate", "fundingInfo", "ticker/price", "ticker/bookTicker",
        "openInterest", "allOrders", "openOrder", "allAlgoOrders", "positionSide/dual",
        "multiAssetsMargin", "positionMargin/history", "commissionRate", "symbolConfig",
        "accountConfig", "adlQuantile", "forceOrders", "rateLimit/order", "leverageBracket")),
    *(("POST", f"/fapi/v1/{p}") for p in (
        "batchOrders", "order/test", "countdownCancelAll", "positionSide/dual",
        "multiAssetsMargin", "positionMargin")),
    *(("DELETE", f"/fapi/v1/{p}") for p in ("allOpenOrders", "batchOrders", "algoOpenOrders")),
    ("PUT", "/fapi/v1/order"),
    ("GET", "/fapi/v3/account"),
    ("GET", "/dapi/v1/exchangeInfo"),
]  # fmt: skip
NAMES = [
    "symbol", "symbols", "pair", "side", "type", "quantity", "price", "stopPrice", "orderId",
    "origClientOrderId", "limit", "interval", "startTime", "endTime", "fromId", "windowSize",
    "orderListId", "listClientOrderId", "cancelReplaceMode", "cancelOrderId", "aboveType",
    "abovePrice", "belowType", "belowStopPrice", "workingType", "workingPrice",
    "workingQuantity", "pendingType", "pendingSide", "pendingQuantity", "batchOrders",
    "orderIdList", "countdownTime", "dualSidePosition", "multiAssetsMargin", "amount",
    "positionSide", "timeInForce", "contractType", "asset",
]  # fmt: skip
SYMBOLS = st.sampled_from(["BTCUSDT", "ETHUSDT", "NOPE", ""])


@pytest.fixture(scope="module")
def sim():
    thread = start_sim(symbols=DEFAULT_SYMBOLS[:2], weight_limit=10**9,
                       futures_weight_limit=10**9)  # fmt: skip
    yield thread
    thread.stop()


def check(response: requests.Response) -> None:
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text
    body = response.json()
    if response.status_code >= 400:
        assert set(body) - {"data"} == {"code", "msg"}, body
        assert isinstance(body["code"], int) and body["code"] < 0 and body["msg"]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    endpoint=st.sampled_from(ENDPOINTS),
    symbol=SYMBOLS,
    params=st.lists(st.tuples(st.sampled_from(NAMES), VALUES), max_size=6),
)
def test_hostile_parameters_never_break_the_new_endpoints(sim, endpoint, symbol, params):
    method, path = endpoint
    pairs = [("symbol", symbol), *[(k, v) for k, v in params if k != "symbol"]]
    pairs.append(("timestamp", str(int(time.time() * 1000))))
    query = "&".join(f"{quote(k)}={quote(v)}" for k, v in pairs)
    query += "&signature=" + sign(sim.api_key.secret, query)
    headers = {"X-MBX-APIKEY": sim.api_key.key}
    url = f"{sim.urls.base_url}{path}?{query}"
    check(requests.request(method, url, headers=headers, timeout=10))
