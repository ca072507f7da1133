"""Every response of the endpoints below, as the simulator sends it, has the JSON types Binance's
published OpenAPI descriptions give (openapi/README.md): numbers where Binance sends numbers,
strings where it sends strings, a list where it sends a list. Fields the simulator sends and
the description lacks are allowed (Binance adds fields over time); a field of the wrong type is
not."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jsonschema
import pytest
import requests

from simulator.spot.symbols import DEFAULT_SYMBOLS
from tests.integration.sim_support import advance, control, sign, start_sim

TYPES = json.loads((Path(__file__).parent / "openapi" / "binance_response_types.json").read_text())
# Where a description contradicts itself, Binance's actual answer wins; each one named here.
ERRATA = {
    # typed boolean, while its own example (1498793709153) and Binance send a timestamp
    ("spot", "GET /api/v3/aggTrades"): (("items", "properties", "T"), {"type": "integer"}),
}
for (_market, _endpoint), (_where, _fixed) in ERRATA.items():
    _node = TYPES[_market]["responses"][_endpoint]
    for _key in _where[:-1]:
        _node = _node[_key]
    _node[_where[-1]] = _fixed
BTC = {"symbol": "BTCUSDT"}


def to_json_schema(schema: Any) -> Any:
    """OpenAPI 3.0 to JSON Schema: `nullable` becomes a null type; with types only (no required
    lists) several shapes of a `oneOf` fit at once, so any of them will do."""
    if isinstance(schema, list):
        return [to_json_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {
        ("anyOf" if k == "oneOf" else k): to_json_schema(v)
        for k, v in schema.items()
        if k != "nullable"
    }
    if "properties" in schema:
        out["properties"] = {k: to_json_schema(v) for k, v in schema["properties"].items()}
    if schema.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


class Caller:
    def __init__(self, sim) -> None:
        self.sim = sim
        self.offset = 0

    def sync(self) -> None:
        server = requests.get(self.sim.urls.api_url + "/v3/time", timeout=5).json()["serverTime"]
        self.offset = server - int(time.time() * 1000)

    def __call__(self, method: str, path: str, params: dict | None = None, signed: bool = False):
        query = urlencode(params or {})
        headers = {"X-MBX-APIKEY": self.sim.api_key.key}
        if signed:
            stamp = f"timestamp={int(time.time() * 1000) + self.offset}"
            query = f"{query}&{stamp}" if query else stamp
            query += "&signature=" + sign(self.sim.api_key.secret, query)
        url = f"{self.sim.urls.base_url}{path}?{query}"
        response = requests.request(method, url, headers=headers, timeout=10)
        assert response.status_code == 200, (method, path, response.text)
        return response.json()


def check(market: str, method: str, path: str, body: Any) -> None:
    schema = TYPES[market]["responses"][f"{method} {path}"]
    jsonschema.validate(body, to_json_schema(schema), cls=jsonschema.Draft7Validator)


@pytest.fixture(scope="module")
def sim():
    thread = start_sim(symbols=DEFAULT_SYMBOLS[:2])
    advance(thread, 120_000)
    yield thread
    thread.stop()


@pytest.fixture
def call(sim):
    control(sim, "POST", "/_sim/reset")
    caller = Caller(sim)
    caller.sync()
    return caller


def spot_calls(call: Caller) -> list[tuple[str, str, dict, bool]]:
    last = float(call("GET", "/api/v3/ticker/price", BTC)["price"])
    resting = {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.001"}
    placed = call("POST", "/api/v3/order", {**BTC, **resting, "price": "50000.00"}, True)
    check("spot", "POST", "/api/v3/order", placed)
    market = {**BTC, "side": "BUY", "type": "MARKET", "quantity": "0.01"}
    check("spot", "POST", "/api/v3/order", call("POST", "/api/v3/order", market, True))
    extra = call("POST", "/api/v3/order", {**BTC, **resting, "price": "50000.00"}, True)
    cancel = {**BTC, "orderId": extra["orderId"]}
    check("spot", "DELETE", "/api/v3/order", call("DELETE", "/api/v3/order", cancel, True))
    oco = {
        **BTC, "side": "SELL", "quantity": "0.001", "aboveType": "LIMIT_MAKER",
        "abovePrice": f"{last * 1.1:.2f}", "belowType": "STOP_LOSS",
        "belowStopPrice": f"{last * 0.9:.2f}",
    }  # fmt: skip
    oco_list = call("POST", "/api/v3/orderList/oco", oco, True)
    check("spot", "POST", "/api/v3/orderList/oco", oco_list)
    by_id = {**BTC, "orderId": placed["orderId"]}
    return [
        ("GET", "/api/v3/time", {}, False),
        ("GET", "/api/v3/exchangeInfo", BTC, False),
        ("GET", "/api/v3/depth", {**BTC, "limit": 5}, False),
        ("GET", "/api/v3/trades", {**BTC, "limit": 5}, False),
        ("GET", "/api/v3/historicalTrades", {**BTC, "limit": 5}, False),
        ("GET", "/api/v3/aggTrades", {**BTC, "limit": 5}, False),
        ("GET", "/api/v3/klines", {**BTC, "interval": "1m", "limit": 3}, False),
        ("GET", "/api/v3/uiKlines", {**BTC, "interval": "1m", "limit": 3}, False),
        ("GET", "/api/v3/avgPrice", BTC, False),
        ("GET", "/api/v3/ticker/24hr", BTC, False),
        ("GET", "/api/v3/ticker", {**BTC, "windowSize": "1h"}, False),
        ("GET", "/api/v3/ticker/price", BTC, False),
        ("GET", "/api/v3/ticker/bookTicker", BTC, False),
        ("GET", "/api/v3/order", by_id, True),
        ("GET", "/api/v3/openOrders", BTC, True),
        ("GET", "/api/v3/allOrders", BTC, True),
        ("GET", "/api/v3/myTrades", BTC, True),
        ("GET", "/api/v3/account", {}, True),
        ("GET", "/api/v3/account/commission", BTC, True),
        ("GET", "/api/v3/rateLimit/order", {}, True),
        ("GET", "/api/v3/orderList", {"orderListId": oco_list["orderListId"]}, True),
        ("GET", "/api/v3/allOrderList", {}, True),
        ("GET", "/api/v3/openOrderList", {}, True),
        (
            "POST",
            "/api/v3/order/cancelReplace",
            {
                **BTC,
                **resting,
                "price": "50001.00",
                "cancelReplaceMode": "STOP_ON_FAILURE",
                "cancelOrderId": placed["orderId"],
            },
            True,
        ),
        ("DELETE", "/api/v3/orderList", {**BTC, "orderListId": oco_list["orderListId"]}, True),
        ("GET", "/sapi/v1/system/status", {}, False),
        ("GET", "/sapi/v1/account/status", {}, True),
        ("GET", "/sapi/v1/account/apiTradingStatus", {}, True),
        ("GET", "/sapi/v1/account/apiRestrictions", {}, True),
        ("GET", "/sapi/v1/asset/tradeFee", BTC, True),
        ("GET", "/sapi/v1/asset/assetDetail", {}, True),
        ("GET", "/sapi/v1/capital/config/getall", {}, True),
    ]


def usdm_calls(call: Caller) -> list[tuple[str, str, dict, bool]]:
    limit = {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01"}
    resting = call("POST", "/fapi/v1/order", {**BTC, **limit, "price": "80000"}, True)
    check("usdm", "POST", "/fapi/v1/order", resting)
    market = {**BTC, "side": "BUY", "type": "MARKET", "quantity": "0.01"}
    check("usdm", "POST", "/fapi/v1/order", call("POST", "/fapi/v1/order", market, True))
    spare = call("POST", "/fapi/v1/order", {**BTC, **limit, "price": "79000"}, True)
    gone = call("DELETE", "/fapi/v1/order", {**BTC, "orderId": spare["orderId"]}, True)
    check("usdm", "DELETE", "/fapi/v1/order", gone)
    batch = json.dumps([{**BTC, **limit, "price": "80001"}])
    check("usdm", "POST", "/fapi/v1/batchOrders",
          call("POST", "/fapi/v1/batchOrders", {"batchOrders": batch}, True))  # fmt: skip
    by_id = {**BTC, "orderId": resting["orderId"]}
    kline = {**BTC, "interval": "1m", "limit": 3}
    eth = {"symbol": "ETHUSDT"}
    isolated = call("POST", "/fapi/v1/marginType", {**eth, "marginType": "ISOLATED"}, True)
    check("usdm", "POST", "/fapi/v1/marginType", isolated)
    call(
        "POST", "/fapi/v1/order", {**eth, "side": "BUY", "type": "MARKET", "quantity": "0.1"}, True
    )
    return [
        ("GET", "/fapi/v1/time", {}, False),
        ("GET", "/fapi/v1/exchangeInfo", {}, False),
        ("GET", "/fapi/v1/depth", {**BTC, "limit": 5}, False),
        ("GET", "/fapi/v1/trades", {**BTC, "limit": 5}, False),
        ("GET", "/fapi/v1/historicalTrades", {**BTC, "limit": 5}, False),
        ("GET", "/fapi/v1/aggTrades", {**BTC, "limit": 5}, False),
        ("GET", "/fapi/v1/klines", kline, False),
        (
            "GET",
            "/fapi/v1/continuousKlines",
            {"pair": "BTCUSDT", "contractType": "PERPETUAL", "interval": "1m", "limit": 3},
            False,
        ),
        ("GET", "/fapi/v1/markPriceKlines", kline, False),
        (
            "GET",
            "/fapi/v1/indexPriceKlines",
            {"pair": "BTCUSDT", "interval": "1m", "limit": 3},
            False,
        ),
        ("GET", "/fapi/v1/premiumIndexKlines", kline, False),
        ("GET", "/fapi/v1/premiumIndex", BTC, False),
        ("GET", "/fapi/v1/fundingRate", {**BTC, "limit": 3}, False),
        ("GET", "/fapi/v1/fundingInfo", {}, False),
        ("GET", "/fapi/v1/ticker/24hr", BTC, False),
        ("GET", "/fapi/v1/ticker/price", BTC, False),
        ("GET", "/fapi/v2/ticker/price", BTC, False),
        ("GET", "/fapi/v1/ticker/bookTicker", BTC, False),
        ("GET", "/fapi/v1/openInterest", BTC, False),
        ("GET", "/fapi/v1/leverageBracket", {}, True),
        ("GET", "/fapi/v1/order", by_id, True),
        ("GET", "/fapi/v1/openOrder", by_id, True),
        ("GET", "/fapi/v1/openOrders", BTC, True),
        ("GET", "/fapi/v1/allOrders", BTC, True),
        (
            "PUT",
            "/fapi/v1/order",
            {**by_id, "side": "BUY", "quantity": "0.02", "price": "80002"},
            True,
        ),
        ("GET", "/fapi/v1/userTrades", BTC, True),
        ("GET", "/fapi/v1/income", {}, True),
        ("GET", "/fapi/v1/positionSide/dual", {}, True),
        ("GET", "/fapi/v1/multiAssetsMargin", {}, True),
        ("GET", "/fapi/v1/commissionRate", BTC, True),
        ("GET", "/fapi/v1/symbolConfig", BTC, True),
        ("GET", "/fapi/v1/accountConfig", {}, True),
        ("GET", "/fapi/v1/adlQuantile", {}, True),
        ("GET", "/fapi/v1/forceOrders", {}, True),
        ("GET", "/fapi/v1/rateLimit/order", {}, True),
        ("GET", "/fapi/v2/account", {}, True),
        ("GET", "/fapi/v3/account", {}, True),
        ("GET", "/fapi/v2/balance", {}, True),
        ("GET", "/fapi/v3/balance", {}, True),
        ("GET", "/fapi/v2/positionRisk", BTC, True),
        ("GET", "/fapi/v3/positionRisk", BTC, True),
        ("POST", "/fapi/v1/leverage", {**BTC, "leverage": 10}, True),
        ("POST", "/fapi/v1/countdownCancelAll", {**BTC, "countdownTime": 0}, True),
        (
            "DELETE",
            "/fapi/v1/batchOrders",
            {**BTC, "orderIdList": f"[{resting['orderId']}]"},
            True,
        ),
        ("DELETE", "/fapi/v1/allOpenOrders", BTC, True),
        ("POST", "/fapi/v1/positionMargin", {**eth, "amount": "1", "type": 1}, True),
        ("GET", "/fapi/v1/positionMargin/history", eth, True),
        ("POST", "/fapi/v1/listenKey", {}, False),
    ]


@pytest.mark.parametrize("market", ["spot", "usdm"])
def test_responses_have_binances_json_types(sim, call, market):
    calls = spot_calls(call) if market == "spot" else usdm_calls(call)
    checked, wrong = set(), []
    for method, path, params, signed in calls:
        body = call(method, path, params, signed)
        try:
            check(market, method, path, body)
        except jsonschema.ValidationError as e:
            wrong.append(f"{method} {path}: {'/'.join(map(str, e.absolute_path))}: {e.message}")
        checked.add(f"{method} {path}")
    assert wrong == []
    # every described endpoint was checked here, or (placing) before the table ran
    placing = {"POST /fapi/v1/order", "POST /fapi/v1/batchOrders", "POST /api/v3/order",
               "POST /fapi/v1/marginType", "DELETE /fapi/v1/order",
               "POST /api/v3/orderList/oco", "DELETE /api/v3/order"}  # fmt: skip
    elsewhere = {"POST /fapi/v1/positionSide/dual", "POST /api/v3/orderList/oto",
                 "POST /api/v3/orderList/otoco"}  # fmt: skip
    assert set(TYPES[market]["responses"]) - checked - placing - elsewhere == set()
