"""Rate limits (weights, 429 with Retry-After, 418 ban, order counts) and injected faults."""

from __future__ import annotations

import asyncio
import time

import pytest
import requests
import websockets
from binance.exceptions import BinanceAPIException

from simulator.spot.symbols import DEFAULT_SYMBOLS
from tests.integration.sim_support import (
    advance,
    client_class,
    control,
    control_headers,
    start_sim,
    synced_client,
)


def minute_start_ms() -> int:
    now = int(time.time() * 1000)
    return now - now % 60_000


@pytest.fixture(scope="module")
def sim():
    thread = start_sim(symbols=DEFAULT_SYMBOLS[:2])
    yield thread
    thread.stop()


@pytest.fixture
def client(sim):
    control(sim, "POST", "/_sim/reset")
    c = synced_client(sim)
    yield c
    control(sim, "DELETE", "/_sim/faults")
    c.close_connection()


def test_weight_limit_gives_429_with_retry_after_then_418_for_a_client_that_keeps_going():
    # the window is calendar-aligned on the server clock: start at a minute boundary
    tight = start_sim(symbols=DEFAULT_SYMBOLS[:1], weight_limit=50, start_ms=minute_start_ms())
    try:
        client = client_class(tight.urls)("k", "s", ping=False)
        client.get_exchange_info()
        client.get_exchange_info()
        assert client.response.headers["X-MBX-USED-WEIGHT-1M"] == "40"
        with pytest.raises(BinanceAPIException) as e:
            client.get_exchange_info()
        assert (e.value.status_code, e.value.code) == (429, -1003)
        assert e.value.message.startswith("Too much request weight used; current limit is 50")
        assert 1 <= int(e.value.response.headers["Retry-After"]) <= 60
        statuses = []
        for _ in range(4):
            with pytest.raises(BinanceAPIException) as e:
                client.ping()
            statuses.append(e.value.status_code)
        assert statuses[-1] == 418 and statuses[0] == 429
        assert "IP banned until" in e.value.message
        assert int(e.value.response.headers["Retry-After"]) > 60
        advance(tight, 10 * 60_000)  # past the ban
        assert client.ping() == {}
    finally:
        tight.stop()


def test_order_rate_limit_gives_1015():
    tight = start_sim(symbols=DEFAULT_SYMBOLS[:1], orders_per_10s=2, start_ms=minute_start_ms())
    try:
        client = synced_client(tight)
        for _ in range(2):
            client.order_market_buy(symbol="BTCUSDT", quantity="0.001")
        assert client.response.headers["X-MBX-ORDER-COUNT-10S"] == "2"
        with pytest.raises(BinanceAPIException) as e:
            client.order_market_buy(symbol="BTCUSDT", quantity="0.001")
        assert (e.value.status_code, e.value.code) == (429, -1015)
        assert e.value.message == "Too many new orders; current limit is 2 orders per 10 SECOND."
        assert len(client.get_all_orders(symbol="BTCUSDT")) == 2
    finally:
        tight.stop()


def test_latency_fault_delays_only_the_scoped_requests(sim, client):
    control(sim, "POST", "/_sim/faults", {"kind": "latency", "ms": 400, "path": "/api/v3/ping"})
    started = time.monotonic()
    client.ping()
    assert time.monotonic() - started >= 0.4
    started = time.monotonic()
    client.ping()
    client.get_server_time()
    assert time.monotonic() - started < 0.4


def test_error_fault_fails_the_next_n_requests_with_5xx(sim, client):
    control(
        sim,
        "POST",
        "/_sim/faults",
        {"kind": "error", "status": 503, "count": 2, "path": "/api/v3/time"},
    )
    for _ in range(2):
        with pytest.raises(BinanceAPIException) as e:
            client.get_server_time()
        assert (e.value.status_code, e.value.code) == (503, -1001)
    assert "serverTime" in client.get_server_time()
    assert client.ping() == {}


def test_error_share_is_seeded_and_partial(sim, client):
    control(
        sim,
        "POST",
        "/_sim/faults",
        {"kind": "error", "rate": 0.5, "count": None, "path": "/api/v3/ping"},
    )
    failures = 0
    for _ in range(40):
        try:
            client.ping()
        except BinanceAPIException:
            failures += 1
    assert 5 < failures < 35


def test_timeout_fault_processes_the_order_but_the_client_never_hears(sim, client):
    control(sim, "POST", "/_sim/faults", {"kind": "timeout", "ms": 3000, "path": "/api/v3/order"})
    with pytest.raises(requests.exceptions.RequestException):
        client.order_market_buy(
            symbol="BTCUSDT",
            quantity="0.001",
            newClientOrderId="lost-reply-1",
            requests_params={"timeout": 1},
        )
    order = client.get_order(symbol="BTCUSDT", origClientOrderId="lost-reply-1")
    assert order["status"] == "FILLED"


def test_forced_429_carries_retry_after(sim, client):
    control(sim, "POST", "/_sim/faults", {"kind": "rate_limit", "retry_after": 7, "path": "/api/"})
    with pytest.raises(BinanceAPIException) as e:
        client.get_ticker(symbol="BTCUSDT")
    assert (e.value.status_code, e.value.code) == (429, -1003)
    assert e.value.response.headers["Retry-After"] == "7"
    with pytest.raises(BinanceAPIException) as again:  # inside the window: a strike, not served
        client.get_ticker(symbol="BTCUSDT")
    assert again.value.status_code == 429
    control(sim, "DELETE", "/_sim/faults")
    assert client.get_ticker(symbol="BTCUSDT")["symbol"] == "BTCUSDT"


def test_clock_skew_makes_synced_clients_fail_with_1021_until_they_resync(sim, client):
    control(sim, "POST", "/_sim/clock/skew", {"ms": -30_000})
    try:
        with pytest.raises(BinanceAPIException) as e:
            client.get_account()
        assert e.value.code == -1021
        client.timestamp_offset = client.get_server_time()["serverTime"] - int(time.time() * 1000)
        assert "balances" in client.get_account()
    finally:
        control(sim, "POST", "/_sim/clock/skew", {"ms": 0})


def test_ws_drop_closes_matching_connections(sim):
    async def scenario():
        async with websockets.connect(sim.urls.ws_url + "ws/btcusdt@trade") as ws:
            result = await asyncio.to_thread(control, sim, "POST", "/_sim/ws/drop", {"path": "/ws"})
            assert result["dropped"] == 1
            # Trades already on the wire still arrive; the close comes right after them.
            with pytest.raises(websockets.ConnectionClosed):
                async with asyncio.timeout(5):
                    while True:
                        await ws.recv()

    asyncio.run(scenario())


def test_stats_count_requests_and_rejections(sim, client):
    with pytest.raises(BinanceAPIException):
        client.get_klines(symbol="NOPE", interval="1m")
    stats = control(sim, "GET", "/_sim/stats")
    assert stats["requests"]["GET /api/v3/klines"] >= 1
    assert stats["rejected"]["-1121"] >= 1
    assert {"spot_orders", "connections", "ws_api_sessions"} <= set(stats)


@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "explode"},
        {"kind": "latency", "ms": -1},
        {"kind": "error", "rate": 2},
        {"kind": "error", "status": 200},
        [],
        {"kind": "latency", "bogus": 1},
    ],
)
def test_bad_fault_specs_are_refused(sim, spec):
    response = requests.post(
        sim.urls.base_url + "/_sim/faults", json=spec, headers=control_headers(sim), timeout=5
    )
    assert response.status_code == 400
    assert response.json()["code"] == -1130 and response.json()["msg"]
    assert control(sim, "GET", "/_sim/faults")["faults"] == []


def test_advancing_a_wall_clock_is_refused_clearly():
    wall = start_sim(symbols=DEFAULT_SYMBOLS[:1], clock="wall")
    try:
        response = requests.post(
            wall.urls.base_url + "/_sim/clock/advance",
            json={"ms": 1000},
            headers=control_headers(wall),
            timeout=5,
        )
        assert response.status_code == 400 and "virtual" in response.json()["msg"]
    finally:
        wall.stop()
