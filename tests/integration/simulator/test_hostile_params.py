"""Property test: malformed and hostile parameters on every endpoint always get a Binance-style
JSON error with a 4xx status (or a normal answer), never a 500 or a stack trace."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import requests
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from simulator.spot.symbols import DEFAULT_SYMBOLS
from tests.integration.sim_support import control, sign, start_sim

ENDPOINTS = [
    ("GET", "/api/v3/ping", False),
    ("GET", "/api/v3/time", False),
    ("GET", "/api/v3/exchangeInfo", False),
    ("GET", "/api/v3/depth", False),
    ("GET", "/api/v3/trades", False),
    ("GET", "/api/v3/klines", False),
    ("GET", "/api/v3/ticker/24hr", False),
    ("GET", "/api/v3/ticker/price", False),
    ("GET", "/api/v3/ticker/bookTicker", False),
    ("GET", "/api/v3/avgPrice", False),
    ("POST", "/api/v3/order", True),
    ("POST", "/api/v3/order/test", True),
    ("GET", "/api/v3/order", True),
    ("DELETE", "/api/v3/order", True),
    ("GET", "/api/v3/openOrders", True),
    ("DELETE", "/api/v3/openOrders", True),
    ("GET", "/api/v3/allOrders", True),
    ("GET", "/api/v3/myTrades", True),
    ("GET", "/api/v3/account", True),
]
NAMES = [
    "symbol",
    "symbols",
    "side",
    "type",
    "timeInForce",
    "quantity",
    "quoteOrderQty",
    "price",
    "stopPrice",
    "newClientOrderId",
    "origClientOrderId",
    "orderId",
    "limit",
    "interval",
    "startTime",
    "endTime",
    "fromId",
    "newOrderRespType",
    "recvWindow",
    "timestamp",
    "signature",
    "icebergQty",
    "trailingDelta",
    "omitZeroBalances",
    "type",
]
HOSTILE = st.sampled_from(
    [
        "",
        " ",
        "-1",
        "0",
        "1e9",
        "NaN",
        "inf",
        "-0.0",
        "0x10",
        "99999999999999999999999",
        "1" * 400,
        "0.000000001",
        "BTCUSDT",
        "btcusdt",
        "BUY",
        "LIMIT",
        "GTC",
        "MARKET",
        "1m",
        '["BTCUSDT"]',
        '["NOPE"]',
        "[",
        "null",
        "true",
        "\x00",
        "%",
        "' OR 1=1 --",
        "<script>",
        "../../etc/passwd",
        "ü",
        "\u202e",
        "9223372036854775808",
        "-9223372036854775809",
    ]
)
NUMBERS = st.sampled_from(
    [
        "0.00001",
        "0.0000001",
        "0.00",
        "1.1",
        "5",
        "1000",
        "90000.005",
        "999999999",
        "12345678901234567890",
        "0.12345678",
    ]
)
VALUES = st.one_of(HOSTILE, NUMBERS, st.text(max_size=30))


@pytest.fixture(scope="module")
def sim():
    thread = start_sim(symbols=DEFAULT_SYMBOLS[:2], weight_limit=10**9)
    yield thread
    stats = control(thread, "GET", "/_sim/stats")
    thread.stop()
    # the properties are only worth something if requests got past parsing into the engine
    assert stats["spot_orders"].get("orders_placed", 0) > 0, stats
    assert stats["rejected"].get("-1013", 0) > 0, stats  # filters saw hostile values
    assert stats["rejected"].get("-2010", 0) > 0, stats  # and so did the balance check


def server_ms(sim) -> int:
    return requests.get(sim.urls.api_url + "/v3/time", timeout=5).json()["serverTime"]


def check(response: requests.Response) -> None:
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text
    body = response.json()
    if response.status_code >= 400:
        assert set(body) == {"code", "msg"}
        assert isinstance(body["code"], int) and body["code"] < 0 and body["msg"]


@settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    endpoint=st.sampled_from(ENDPOINTS),
    params=st.lists(st.tuples(st.sampled_from(NAMES), VALUES), max_size=8),
    in_body=st.booleans(),
    signed=st.booleans(),
)
def test_hostile_parameters_never_break_the_server(sim, endpoint, params, in_body, signed):
    method, path, needs_key = endpoint
    if signed:
        params = [*params, ("timestamp", str(server_ms(sim)))]
    query = "&".join(f"{quote(k)}={quote(v)}" for k, v in params)
    if signed:
        query += "&signature=" + sign(sim.api_key.secret, query)
    headers = {"X-MBX-APIKEY": sim.api_key.key} if needs_key else {}
    url = sim.urls.base_url + path
    if in_body and method != "GET":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        response = requests.request(method, url, data=query, headers=headers, timeout=10)
    else:
        response = requests.request(method, f"{url}?{query}", headers=headers, timeout=10)
    check(response)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.binary(max_size=200), endpoint=st.sampled_from(ENDPOINTS))
def test_raw_bytes_in_query_and_body(sim, raw, endpoint):
    method, path, _ = endpoint
    url = sim.urls.base_url + path + "?" + quote(raw)
    headers = {"X-MBX-APIKEY": sim.api_key.key, "Content-Type": "application/x-www-form-urlencoded"}
    check(requests.request(method, url, data=raw, headers=headers, timeout=10))


VALID_ORDER = {
    "symbol": "BTCUSDT",
    "side": "BUY",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "quantity": "0.001",
    "price": "90000.00",
    "orderId": "1",
    "interval": "1m",
    "limit": "5",
}


@settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    endpoint=st.sampled_from(
        [e for e in ENDPOINTS if e[2]] + [("POST", "/api/v3/order", True)] * 6
    ),
    drop=st.sets(st.sampled_from(sorted(VALID_ORDER)), max_size=2),
    changes=st.dictionaries(
        st.sampled_from(["quantity", "price", "side", "type", "timeInForce", *NAMES]),
        st.one_of(NUMBERS, NUMBERS, VALUES),
        max_size=3,
    ),
)
@example(endpoint=("POST", "/api/v3/order", True), drop=set(), changes={"quantity": "50"})
@example(endpoint=("POST", "/api/v3/order", True), drop=set(), changes={"price": "90000.005"})
@example(endpoint=("POST", "/api/v3/order", True), drop=set(), changes={})
def test_nearly_valid_requests_reach_the_engine_and_fail_cleanly(sim, endpoint, drop, changes):
    """Mostly valid parameters with a few hostile ones, so parsing passes and filters, balance
    checks and the matching engine see the bad values."""
    method, path, _ = endpoint
    params = {k: v for k, v in VALID_ORDER.items() if k not in drop} | changes
    params.pop("signature", None)
    params["timestamp"] = str(server_ms(sim))
    query = "&".join(f"{quote(k)}={quote(v)}" for k, v in params.items())
    query += "&signature=" + sign(sim.api_key.secret, query)
    headers = {"X-MBX-APIKEY": sim.api_key.key}
    check(
        requests.request(method, f"{sim.urls.base_url}{path}?{query}", headers=headers, timeout=10)
    )
